// Issue 4's latency figure: how long one resolution takes when the answer is
// not in a recursive node's cache. Sends each handle of a file once, one at a
// time (the next only after the answer to the previous one), over UDP on
// loopback, and reports the distribution of the round trips. qilian-perf
// picks handles at random and keeps many in flight, so it cannot promise
// every question is a first one; this loop can. C++ rather than Python so
// that the client's own overhead stays out of the figure.
// Usage: cold_resolve_bench PORT HANDLES_FILE [--rec] [--raw]
//   --rec  set the REC flag (ask a recursive node to resolve)
//   --raw  also print every round trip, in microseconds, one a line
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "ident/operation.h"
#include "ident/response_code.h"
#include "ident/wire/client.h"

namespace {

using qilian::ident::ResponseCode;
namespace wire = qilian::ident::wire;

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p * sorted.size() + 0.999999);
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PORT HANDLES_FILE [--rec] [--raw]\n", argv[0]);
    return 2;
  }
  int port = std::atoi(argv[1]);
  bool rec = false, raw = false;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rec") == 0) rec = true;
    if (std::strcmp(argv[i], "--raw") == 0) raw = true;
  }
  std::vector<std::string> handles;
  {
    std::ifstream in(argv[2]);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) handles.push_back(line);
    }
  }

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::perror("socket/connect");
    return 1;
  }

  std::vector<double> micros;
  size_t ok = 0, failed = 0, lost = 0;
  std::vector<uint8_t> buf(65536);
  uint32_t request_id = 1000;
  for (const std::string& handle : handles) {
    wire::ClientRequest request;
    request.handle = handle;
    request.request_id = ++request_id;
    if (rec) request.op_flags |= qilian::ident::op_flag::kRecursive;
    std::string message = wire::EncodeClientRequest(request);
    auto start = std::chrono::steady_clock::now();
    if (send(fd, message.data(), message.size(), 0) < 0) {
      std::perror("send");
      return 1;
    }
    bool answered = false;
    while (!answered) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 5000) <= 0) break;  // lost: 5 s without an answer
      ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) continue;
      auto reply = wire::DecodeClientReply(std::span<const uint8_t>(buf.data(), n));
      if (!reply.ok() || reply->envelope.request_id != request.request_id) continue;
      double us = std::chrono::duration<double, std::micro>(
                      std::chrono::steady_clock::now() - start).count();
      micros.push_back(us);
      answered = true;
      if (reply->code == ResponseCode::kSuccess) {
        ++ok;
      } else {
        ++failed;
        if (failed <= 3) {
          std::fprintf(stderr, "%s: code %u %s\n", handle.c_str(),
                       static_cast<unsigned>(reply->code), reply->error_message.c_str());
        }
      }
      if (raw) std::printf("%.1f\n", us);
    }
    if (!answered) ++lost;
  }
  close(fd);

  std::vector<double> sorted = micros;
  std::sort(sorted.begin(), sorted.end());
  std::printf("queries %zu, success %zu, other codes %zu, lost %zu\n", handles.size(), ok, failed,
              lost);
  if (!sorted.empty()) {
    std::printf("round trip ms: min %.3f median %.3f p90 %.3f p99 %.3f max %.3f\n",
                sorted.front() / 1000, Percentile(sorted, 0.5) / 1000,
                Percentile(sorted, 0.9) / 1000, Percentile(sorted, 0.99) / 1000,
                sorted.back() / 1000);
  }
  return failed + lost == 0 ? 0 : 1;
}
