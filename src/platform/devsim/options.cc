#include "platform/devsim/options.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <utility>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "platform/thing_model/str_cat.h"
#include "perf/loopback.h"
#include "platform/devsim/fleet.h"
#include "platform/ingest/batch_payload.h"
#include "platform/thing_model/starter_library.h"

namespace qilian::platform::devsim {

namespace {

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(absl::string_view(message.data(), message.size()));
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) Append(&out, out.empty() ? "" : ", ", item);
  return out;
}

std::string Rfc3339(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

// The simulated clock must stay behind real time: the platform refuses
// timestamps from the future (beyond [mqtt] max_clock_skew_seconds). Both
// clocks are straight lines from the start of publishing, which is at or
// after `now_ms`, so checking both ends of the run against `now_ms` is
// enough.
absl::Status CheckSimClock(const Options& o, int64_t now_ms) {
  if (o.sim_start_ms > now_ms) {
    return Invalid(Cat("--sim-start ", Rfc3339(o.sim_start_ms), " is in the future (now ",
                       Rfc3339(now_ms), "): the platform refuses future timestamps"));
  }
  const double lead_s = double(now_ms - o.sim_start_ms) / 1000.0;
  if (o.time_scale > 1 && o.duration * (o.time_scale - 1) > lead_s) {
    const double catch_up_s = lead_s / (o.time_scale - 1);
    return Invalid(Cat("--sim-start ", Rfc3339(o.sim_start_ms), " with --time-scale ", o.time_scale,
                       ": the simulated clock would catch up with real time after ", catch_up_s,
                       " s of the --duration ", o.duration,
                       " s, and the platform refuses future timestamps: shorten --duration to at "
                       "most ",
                       catch_up_s, " s, start earlier or lower --time-scale"));
  }
  return absl::OkStatus();
}

absl::Status Check(const Options& o, bool rate_given, int64_t now_ms) {
  if (auto host = perf::ParseLoopback(o.host, o.port); !host.ok()) {
    return Invalid(Cat("--host ", o.host, ": qilian-devsim only connects to a broker on "
                                "this machine (127.0.0.0/8 or ::1)"));
  }
  if (o.port == 0) return Invalid("--port: must be 1 to 65535");
  if (!(o.duration > 0 && o.duration <= kMaxDurationSeconds)) {
    return Invalid(Cat("--duration: must be more than 0 and at most ", kMaxDurationSeconds,
                                " seconds (the simulator always stops by itself)"));
  }
  if (o.threads < 1 || o.threads > kMaxThreads) {
    return Invalid(Cat("--threads: must be 1 to ", kMaxThreads));
  }
  if (!(o.connect_rate > 0)) return Invalid("--connect-rate: must be more than 0 per second");
  if (o.connect_timeout < 0) return Invalid("--connect-timeout: must not be negative");
  if (o.source_addresses < 0 || o.source_addresses > kMaxSourceAddresses) {
    return Invalid(Cat("--source-addresses: must be 0 (automatic) to ",
                                kMaxSourceAddresses));
  }
  if (o.source_offset < -1 || o.source_offset > 253) {
    return Invalid("--source-offset: must be 0 to 253");
  }
  if (o.keepalive < 5 || o.keepalive > 65535) return Invalid("--keepalive: must be 5 to 65535 s");
  if (o.qos != 0 && o.qos != 1) return Invalid("--qos: must be 0 or 1");
  if (!(o.drain >= 0 && o.drain <= 600)) return Invalid("--drain: must be 0 to 600 seconds");

  if (o.sink) {
    if (!o.fleet_file.empty() || o.generate > 0) {
      return Invalid("--sink takes no fleet (--fleet, --generate)");
    }
    if (o.connections < 1 || o.connections > 100000) {
      return Invalid("--connections: must be 1 to 100000");
    }
    if (o.topic_filters.empty()) return Invalid("--sink needs at least one --topic-filter");
    if (o.sim_start_ms >= 0) return Invalid("--sim-start applies to publishing, not --sink");
    return absl::OkStatus();
  }

  if (o.fleet_file.empty() == (o.generate == 0)) {
    return Invalid("give the fleet: either --fleet FILE or --generate N (or --sink)");
  }
  if (o.generate > kMaxFleetDevices) {
    return Invalid(Cat("--generate: at most ", kMaxFleetDevices, " devices"));
  }
  if (o.generate > 0) {
    if (o.starter.empty()) {
      return Invalid("--generate needs --starter ID or --model @FILE (the devices' thing model)");
    }
    if (o.product_key.empty()) return Invalid("--generate needs --product-key KEY");
    if (std::string reason = CheckProductKey(o.product_key); !reason.empty()) {
      return Invalid(Cat("--product-key: ", reason));
    }
    if (std::string reason = CheckDeviceId(o.id_prefix + "000001"); !reason.empty()) {
      return Invalid(Cat("--id-prefix: ", reason));
    }
  } else if (!o.fleet_out.empty()) {
    return Invalid("--fleet-out writes a generated fleet: it needs --generate");
  }
  if (rate_given && o.message_rate > 0) {
    return Invalid("--rate (values/s per device) and --message-rate (messages/s overall) "
                   "exclude each other");
  }
  if (o.row_seconds != 0 && (rate_given || o.message_rate > 0)) {
    return Invalid("--row-seconds sets the rate: it excludes --rate and --message-rate");
  }
  if (o.row_seconds != 0 && !(o.row_seconds >= 0.001 && o.row_seconds <= 86400)) {
    return Invalid("--row-seconds: must be 0.001 to 86400");
  }
  if (!(o.rate > 0) || !std::isfinite(o.rate)) return Invalid("--rate: must be more than 0");
  if (o.message_rate < 0 || !std::isfinite(o.message_rate)) {
    return Invalid("--message-rate: must be more than 0");
  }
  if (o.batch_samples < 1 || o.batch_samples > kMaxBatchSamples) {
    return Invalid(Cat("--batch-samples: must be 1 to ", kMaxBatchSamples));
  }
  if (!(o.time_scale > 0 && o.time_scale <= 1e6)) {
    return Invalid("--time-scale: must be more than 0 and at most 1000000");
  }
  if (o.sim_start_ms >= 0) {
    if (o.message_rate > 0) {
      return Invalid(
          "--sim-start paces rows on the simulated clock: give --rate or --row-seconds, not "
          "--message-rate");
    }
    if (auto status = CheckSimClock(o, now_ms); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ResolveStarter(std::string_view name) {
  std::vector<std::string> ids, matches;
  for (const StarterProduct& p : StarterLibrary()) {
    if (p.id == name) return std::string(p.id);
    ids.emplace_back(p.id);
    if (!name.empty() && p.id.find(name) != std::string_view::npos) matches.emplace_back(p.id);
  }
  if (matches.size() == 1) return matches[0];
  return absl::InvalidArgumentError(Cat("--starter ", name, ": ",
                                                 matches.empty() ? "no such starter product"
                                                                 : "ambiguous",
                                                 " (", Join(ids), ")"));
}

absl::StatusOr<int64_t> ParseSimStart(std::string_view text, int64_t now_ms) {
  auto refused = [&] {
    return Invalid(Cat("--sim-start ", text,
                       ": give epoch milliseconds, an RFC 3339 time (2026-12-06T00:00:00Z) or "
                       "now-<N><s|m|h|d> (now-1d)"));
  };
  if (text == "now") return now_ms;
  if (text.starts_with("now-")) {
    std::string_view rest = text.substr(4);
    double amount = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), amount);
    if (ec != std::errc() || !std::isfinite(amount) || amount < 0) return refused();
    std::string_view unit(end, static_cast<size_t>(rest.data() + rest.size() - end));
    constexpr std::pair<std::string_view, double> kUnitsMs[] = {
        {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}, {"d", 8.64e7}};
    double unit_ms = 0;
    for (const auto& [name, ms] : kUnitsMs) unit_ms = unit == name ? ms : unit_ms;
    if (unit_ms == 0 || amount * unit_ms > double(now_ms)) return refused();
    return now_ms - std::llround(amount * unit_ms);
  }
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc()) return refused();
    return ms;
  }
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &error) ||
      t < absl::UnixEpoch()) {
    return refused();
  }
  return absl::ToUnixMillis(t);
}

absl::StatusOr<Options> ParseOptions(int argc, const char* const* argv) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return ParseOptions(argc, argv, now_ms);
}

absl::StatusOr<Options> ParseOptions(int argc, const char* const* argv, int64_t now_ms) {
  Options o;
  CLI::App app{
      "qilian-devsim: simulated devices of Qilian thing models publishing over MQTT to a broker "
      "on this machine; stops by itself and prints a JSON summary (docs/devsim.md)",
      "qilian-devsim"};
  std::string format = "json", faults, model, starter, sim_start;
  app.add_option("--fleet", o.fleet_file, "fleet CSV: product_key,device_id,secret,model");
  app.add_option("--generate", o.generate, "generate N devices instead of reading a fleet");
  app.add_option("--starter", starter, "with --generate: starter product id (or a unique part)");
  app.add_option("--model", model, "with --generate: @FILE, a thing model in Qilian's JSON");
  app.add_option("--product-key", o.product_key, "with --generate: the product key (11 chars)");
  app.add_option("--id-prefix", o.id_prefix, "with --generate: device id prefix (default sim-)");
  app.add_option("--secret-seed", o.secret_seed,
                 "with --generate: derive secrets from this seed (default: random secrets)");
  app.add_option("--fleet-out", o.fleet_out, "write the generated fleet to FILE and exit");
  app.add_option("--host", o.host, "broker address, loopback only (default 127.0.0.1)");
  app.add_option("--port", o.port, "broker port (default 1883)");
  app.add_option("--broker-env", o.broker_env, "scripts/broker's broker.env: host, port, admin");
  app.add_option("--threads", o.threads, "worker threads (default 1)");
  app.add_option("--connect-rate", o.connect_rate, "connections started per second (default 2000)");
  app.add_option("--connect-timeout", o.connect_timeout,
                 "seconds for all devices to connect before publishing starts anyway");
  app.add_option("--source-addresses", o.source_addresses,
                 "bind to 127.0.0.2..: how many addresses (default: one per 10000 connections)");
  app.add_option("--source-offset", o.source_offset,
                 "the first source address is 127.0.0.(2 + N), 0..253 (default: by process id)");
  app.add_option("--keepalive", o.keepalive, "MQTT keepalive seconds (default 60)");
  auto* rate = app.add_option("--rate", o.rate, "values per second per device (default 1)");
  app.add_option("--message-rate", o.message_rate, "messages per second overall, instead of --rate");
  app.add_option("--format", format, "json or batch (default json)")
      ->check(CLI::IsMember({"json", "batch"}));
  app.add_option("--batch-samples", o.batch_samples, "samples per batch message (default 100)");
  app.add_option("--qos", o.qos, "0 or 1 (default 0)");
  app.add_option("--duration", o.duration, "seconds of publishing (default 10)");
  app.add_option("--messages", o.messages, "stop after N messages");
  app.add_option("--fault", faults, "e.g. bearing-wear=0.05,overheating=0.01,stuck-sensor=0.02,"
                                    "dropout=0.01");
  app.add_option("--seed", o.seed, "signals and faults seed (default 1)");
  app.add_option("--time-scale", o.time_scale, "simulated seconds per real second (default 1)");
  app.add_option("--sim-start", sim_start,
                 "stamp rows on a simulated clock starting here (epoch ms, RFC 3339 or now-1d) and "
                 "running at --time-scale; never past real time");
  app.add_option("--row-seconds", o.row_seconds,
                 "rows of each device this many (simulated) seconds apart, instead of --rate");
  app.add_flag("--refuse-writes", o.refuse_writes, "answer every properties/write with a refusal");
  app.add_option("--drain", o.drain, "seconds to wait for PUBACKs at the end (default 5)");
  app.add_flag("--sink", o.sink, "reference mode: subscribe and count instead of publishing");
  app.add_option("--connections", o.connections, "with --sink: connections (default 1)");
  app.add_option("--topic-filter", o.topic_filters, "with --sink: e.g. '$share/bench/#'");
  app.add_option("--username", o.username, "with --sink: user (default: broker.env's admin)");
  app.add_option("--password-file", o.password_file, "with --sink: file holding the password");
  app.add_flag("--count-json-values", o.count_json_values,
               "with --sink: parse JSON reports to count their values");
  app.add_flag("-q,--quiet", o.quiet, "no progress lines");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return absl::CancelledError(app.help());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  o.format = format == "batch" ? Format::kBatch : Format::kJson;
  if (!starter.empty() && !model.empty()) return Invalid("give --starter or --model, not both");
  if (!model.empty()) {
    if (model.size() < 2 || model[0] != '@') return Invalid("--model: @FILE");
    o.starter = model;
  } else if (!starter.empty()) {
    auto id = ResolveStarter(starter);
    if (!id.ok()) return id.status();
    o.starter = *id;
  }
  if (!sim_start.empty()) {
    auto ms = ParseSimStart(sim_start, now_ms);
    if (!ms.ok()) return ms.status();
    o.sim_start_ms = *ms;
  }
  auto fault_fractions = ParseFaults(faults);
  if (!fault_fractions.ok()) return fault_fractions.status();
  o.faults = *fault_fractions;
  if (auto status = Check(o, rate->count() > 0, now_ms); !status.ok()) return status;
  return o;
}

absl::Status ApplyBrokerEnv(std::string_view text, Options* o) {
  std::string host, port, user, password_file;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::string_view line = TakeLine(&text);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Invalid(Cat("broker.env line ", line_number, ": not KEY='value'"));
    }
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    if (key == "QILIAN_BROKER_HOST") host = value;
    if (key == "QILIAN_BROKER_PORT") port = value;
    if (key == "QILIAN_BROKER_ADMIN_USER") user = value;
    if (key == "QILIAN_BROKER_ADMIN_PASSWORD_FILE") password_file = value;
  }
  if (host.empty() || port.empty()) {
    return Invalid("broker.env: QILIAN_BROKER_HOST or QILIAN_BROKER_PORT missing");
  }
  char* end = nullptr;
  unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (*end != '\0' || p == 0 || p > 65535) {
    return Invalid(Cat("broker.env: QILIAN_BROKER_PORT '", port, "' is not a port"));
  }
  if (!perf::ParseLoopback(host, static_cast<uint16_t>(p)).ok()) {
    return Invalid(Cat("broker.env: QILIAN_BROKER_HOST ", host, " is not loopback"));
  }
  o->host = host;
  o->port = static_cast<uint16_t>(p);
  if (o->sink && o->username.empty()) o->username = user;
  if (o->sink && o->password_file.empty()) o->password_file = password_file;
  return absl::OkStatus();
}

}  // namespace qilian::platform::devsim
