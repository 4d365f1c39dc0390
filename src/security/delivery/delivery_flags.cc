#include "security/delivery/delivery_flags.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"

namespace qilian::security {

void AddDeliveryFlags(CLI::App* app, DeliveryFlags* flags) {
  app->add_option("--deliver", flags->url, "send events to this qiliand (https://HOST:PORT)");
  app->add_option("--sensor-token-file", flags->token_file,
                  "file holding the sensor's token (from POST /api/enterprises/ID/sensors)");
  app->add_option("--ca-file", flags->ca_file,
                  "PEM file of the CAs that sign the node's certificate (default: system store)");
  app->add_option("--spool", flags->spool_dir,
                  "directory of events waiting for the node (made if absent)");
  app->add_option("--spool-max-mib", flags->spool_max_mib,
                  "bound on the spool; past it the oldest events are dropped (default 1024)")
      ->check(CLI::Range(16, 1 << 20));
  app->add_option("--flush-timeout", flags->flush_timeout_s,
                  "seconds to go on delivering at exit (default 10)")
      ->check(CLI::NonNegativeNumber);
  app->add_flag("--flush-only", flags->flush_only,
                "read no capture: deliver what the spool holds, then exit");
}

namespace {

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError("cannot read sensor token file " + path + ": " +
                                      std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty()) return absl::InvalidArgumentError("sensor token file " + path + " is empty");
  if (token.find_first_of(" \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("sensor token file " + path + " holds more than a token");
  }
  return token;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventDelivery>> StartDelivery(
    const DeliveryFlags& flags, std::function<void(const std::string&)> log) {
  if (flags.url.empty()) return absl::InvalidArgumentError("--flush-only needs --deliver URL");
  if (flags.token_file.empty())
    return absl::InvalidArgumentError("--deliver needs --sensor-token-file");
  if (flags.spool_dir.empty()) return absl::InvalidArgumentError("--deliver needs --spool DIR");
  absl::StatusOr<cli::ServerUrl> url = cli::ServerUrl::Parse(flags.url);
  if (!url.ok()) return url.status();
  if (!url->tls) {
    return absl::InvalidArgumentError(
        "--deliver needs an https:// URL: the sensor token must not cross the network in clear");
  }
  absl::StatusOr<std::string> token = ReadToken(flags.token_file);
  if (!token.ok()) return token.status();
  if (!flags.ca_file.empty() && !std::ifstream(flags.ca_file)) {
    return absl::InvalidArgumentError("cannot read CA file " + flags.ca_file + ": " +
                                      std::strerror(errno));
  }
  DeliveryOptions options;
  options.spool_dir = flags.spool_dir;
  options.spool.max_bytes = flags.spool_max_mib << 20;
  options.sender.server = *std::move(url);
  options.sender.token = *std::move(token);
  options.sender.tls.ca_file = flags.ca_file;
  options.sender.log = std::move(log);
  return EventDelivery::Start(std::move(options));
}

int FinishDelivery(EventDelivery* delivery, const DeliveryFlags& flags, std::ostream& out,
                   int status) {
  delivery->Finish(std::chrono::milliseconds(static_cast<int64_t>(flags.flush_timeout_s * 1000)));
  out << delivery->Summary();
  const DeliveryStats stats = delivery->stats();
  return stats.sender.stopped || stats.sender.rejected > 0 ? kExitDeliveryRefused : status;
}

}  // namespace qilian::security
