// qilian-perf: a dnsperf-like load generator for the Handle protocol. Sends
// resolutions of the handles in a file, picked at random, to one server on
// loopback over UDP or pipelined TCP, and prints what came back: requests
// sent, answered and lost, response codes, queries/s and latency
// percentiles. With --create it instead creates handles as an
// administrator over TCP, in one authenticated session per connection or
// with a challenge per create (auth_load.h). It always stops by itself
// (-l, at most 300 s). See docs/benchmarks.md.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ident/operation.h"
#include "ident/response_code.h"
#include "ident/wire/client.h"
#include "perf/auth_load.h"
#include "perf/load_generator.h"
#include "perf/loopback.h"

namespace qilian::perf {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? "0.00%" : Fixed(100.0 * double(part) / double(whole), 2) + "%";
}

std::string Millis(uint64_t nanos) { return Fixed(double(nanos) / 1e6, 3); }

void PrintStats(const LoadStats& s) {
  std::cout << "Requests sent:        " << s.sent << "\n"
            << "Requests answered:    " << s.answered << " (" << Percent(s.answered, s.sent)
            << ")\n"
            << "Requests lost:        " << s.lost << " (" << Percent(s.lost, s.sent) << ")\n"
            << "Late answers:         " << s.late << "\n"
            << "Malformed replies:    " << s.malformed << "\n"
            << "Send errors:          " << s.send_errors << "\n";
  if (s.reconnects > 0) std::cout << "Reconnects:           " << s.reconnects << "\n";
  std::cout << "Response codes:      ";
  bool any = false;
  for (size_t code = 0; code < kCodeSlots; ++code) {
    if (s.codes[code] == 0) continue;
    any = true;
    std::cout << " " << code << " "
              << ident::ResponseCodeName(static_cast<ident::ResponseCode>(code)) << " "
              << s.codes[code] << " (" << Percent(s.codes[code], s.answered) << ");";
  }
  if (s.codes_other > 0) std::cout << " other " << s.codes_other << ";";
  if (!any && s.codes_other == 0) std::cout << " none";
  std::cout << "\n"
            << "Run time (s):         " << Fixed(s.send_seconds, 3) << " sending, "
            << Fixed(s.elapsed_seconds, 3) << " in all\n"
            << "Queries per second:   "
            << Fixed(s.send_seconds > 0 ? double(s.answered) / s.send_seconds : 0, 1) << "\n"
            << "Latency (ms):         min " << Millis(s.latency.min()) << " p50 "
            << Millis(s.latency.Percentile(50)) << " p90 " << Millis(s.latency.Percentile(90))
            << " p99 " << Millis(s.latency.Percentile(99)) << " max "
            << Millis(s.latency.max()) << "\n";
}

int Main(int argc, char** argv) {
  CLI::App app{"qilian-perf: load generator for the Handle protocol (resolutions over UDP or "
               "TCP, loopback only)",
               "qilian-perf"};
  std::string server = "127.0.0.1";
  uint16_t port = 2641;
  std::string handles_file;
  bool udp = false;
  bool tcp = false;
  LoadOptions options;
  app.add_option("-s,--server", server, "server address: 127.0.0.0/8, ::1 or localhost "
                                        "(default 127.0.0.1)");
  app.add_option("-p,--port", port, "server port (default 2641)")->check(CLI::Range(1, 65535));
  app.add_option("-d,--datafile", handles_file, "file of handles, one per line (resolutions)");
  bool create = false;
  std::string auth;
  std::string secret_file;
  std::string prefix = "88.999";
  bool per_request_challenge = false;
  app.add_flag("--create", create,
               "authenticated creates over TCP instead of resolutions (needs --auth, "
               "--secret-file); -c connections, one session each");
  app.add_option("--auth", auth, "INDEX:HANDLE of the administrator, e.g. 300:0.NA/88.999");
  app.add_option("--secret-file", secret_file, "file holding the administrator's HS_SECKEY secret");
  app.add_option("--prefix", prefix, "prefix the created handles go under (default 88.999)");
  app.add_flag("--per-request-challenge", per_request_challenge,
               "--create without sessions: every create is challenged (402) and answered with "
               "HMAC-SHA256");
  CLI::Option* udp_opt = app.add_flag("--udp", udp, "UDP (the default)");
  CLI::Option* tcp_opt =
      app.add_flag("--tcp", tcp, "TCP: persistent connections, requests pipelined");
  udp_opt->excludes(tcp_opt);
  app.add_option("-Q,--max-qps", options.max_qps,
                 "send at this fixed rate (default: as fast as the in-flight limit allows)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-q,--max-in-flight", options.max_in_flight,
                 "outstanding requests at most (default 100)")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("-l,--limit", options.duration_seconds,
                 "seconds to send for (default 10, at most 300)")
      ->check(CLI::Range(0.001, kMaxDurationSeconds));
  app.add_option("-c,--clients", options.clients, "sockets / connections, one thread each "
                                                  "(default 1)")
      ->check(CLI::Range(1u, 256u));
  app.add_option("-t,--timeout", options.timeout_seconds,
                 "seconds after which a request without answer is lost (default 1)")
      ->check(CLI::Range(0.001, 60.0));
  app.add_flag("--decode", options.decode,
               "decode every reply fully with the client codec (slower; counts malformed ones)");
  app.add_option("--seed", options.seed, "seed of the random choice of handles (default 1)");
  bool recursive = false;
  app.add_flag("--rec", recursive,
               "set the REC flag: ask a recursive node to resolve handles homed elsewhere");
  bool certify = false;
  app.add_flag("--certify", certify,
               "set the CT flag: ask for certified (signed) answers, as hdllib's certified "
               "resolution does");
  app.footer(
      "Example:\n"
      "  qilian-perf -s 127.0.0.1 -p 2641 -d handles.txt -l 15 -q 200\n"
      "  qilian-perf -d handles.txt --tcp -c 4 -Q 20000\n"
      "  qilian-perf --create --auth 300:0.NA/88.999 --secret-file admin.secret -c 8 -l 10\n");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  absl::StatusOr<LoopbackAddress> address = ParseLoopback(server, port);
  if (!address.ok()) {
    std::cerr << "qilian-perf: " << address.status().message() << "\n";
    return 2;
  }
  options.server = *address;
  options.tcp = tcp;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  if (create) {
    AuthLoadOptions a;
    a.server = *address;
    a.connections = options.clients;
    a.duration_seconds = options.duration_seconds;
    a.prefix = prefix;
    a.session = !per_request_challenge;
    a.stop = &g_stop;
    size_t colon = auth.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == auth.size() ||
        auth.find_first_not_of("0123456789") != colon) {
      std::cerr << "qilian-perf: --create needs --auth INDEX:HANDLE\n";
      return 2;
    }
    a.identity_index = static_cast<uint32_t>(std::stoul(auth.substr(0, colon)));
    a.identity_handle = auth.substr(colon + 1);
    std::ifstream secret_in(secret_file);
    if (secret_file.empty() || !secret_in) {
      std::cerr << "qilian-perf: --create needs a readable --secret-file\n";
      return 2;
    }
    std::getline(secret_in, a.secret);
    if (!a.secret.empty() && a.secret.back() == '\r') a.secret.pop_back();
    std::cout << "qilian-perf: authenticated creates over TCP to " << a.server.text << ", "
              << a.connections << " connection(s), "
              << (a.session ? "one session each (HS_MAC per create)"
                            : "a challenge per create (HMAC-SHA256 answers)")
              << ", " << Fixed(a.duration_seconds, 1) << " s, as " << auth << "\n"
              << std::flush;
    absl::StatusOr<LoadStats> stats = RunAuthLoad(a);
    if (!stats.ok()) {
      std::cerr << "qilian-perf: " << stats.status().message() << "\n";
      return 1;
    }
    PrintStats(*stats);
    std::cout << "Creates per second:   "
              << Fixed(stats->send_seconds > 0 ? double(stats->codes[1]) / stats->send_seconds : 0,
                       1)
              << "\n";
    if (!stats->error.empty()) std::cerr << "qilian-perf: " << stats->error << "\n";
    return stats->codes[1] > 0 ? 0 : 1;
  }
  if (handles_file.empty()) {
    std::cerr << "qilian-perf: -d,--datafile is required (or --create)\n";
    return 2;
  }

  std::ifstream in(handles_file);
  if (!in) {
    std::cerr << "qilian-perf: cannot read " << handles_file << "\n";
    return 2;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    ident::wire::ClientRequest request;
    request.op = ident::OpCode::kResolution;
    request.handle = line;
    if (recursive) request.op_flags |= ident::op_flag::kRecursive;
    if (certify) request.op_flags |= ident::op_flag::kCertified;
    options.requests.push_back(ident::wire::EncodeClientRequest(request));
    if (options.requests.back().size() > ident::wire::kMaxUdpPacket) {
      std::cerr << "qilian-perf: handle too long for one packet: " << line << "\n";
      return 2;
    }
  }
  if (options.requests.empty()) {
    std::cerr << "qilian-perf: no handles in " << handles_file << "\n";
    return 2;
  }

  options.stop = &g_stop;
  std::cout << "qilian-perf: " << (tcp ? "TCP" : "UDP") << " to " << options.server.text << ", "
            << options.clients << " client(s), at most " << options.max_in_flight
            << " in flight, " << (options.max_qps > 0 ? Fixed(options.max_qps, 0) + " q/s"
                                                      : std::string("unlimited rate"))
            << ", " << Fixed(options.duration_seconds, 1) << " s, " << options.requests.size()
            << " handles\n"
            << std::flush;
  absl::StatusOr<LoadStats> stats = RunLoad(options);
  if (!stats.ok()) {
    std::cerr << "qilian-perf: " << stats.status().message() << "\n";
    return 1;
  }
  PrintStats(*stats);
  if (!stats->error.empty()) {
    std::cerr << "qilian-perf: " << stats->error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace qilian::perf

int main(int argc, char** argv) { return qilian::perf::Main(argc, argv); }
