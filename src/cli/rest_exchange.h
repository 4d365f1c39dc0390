// One REST request of a `qilian` subcommand over qiliand's JSON API, with
// the output and exit-code conventions of docs/cli.md shared by the
// `enterprise` and `product` commands.
#ifndef QILIAN_CLI_REST_EXCHANGE_H_
#define QILIAN_CLI_REST_EXCHANGE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace qilian::cli {

class RestClient;

// Called with a failed reply's HTTP status and parsed body before the
// generic message; a value is the exit code, after the hook printed its own
// message. nullopt: the generic "qilian: MESSAGE (responseCode N)".
using FailureHook = std::function<std::optional<int>(int http_status, const nlohmann::json&)>;

// Sends one request and, on success (2xx with responseCode 1), hands the
// parsed body to `print` unless `raw`, which prints the body as it came
// (on a failure as well). Failures print "qilian: MESSAGE (responseCode N)"
// to stderr and return the exit code of cli/exit_code.h.
int Exchange(RestClient& client, bool raw, std::string_view method, const std::string& target,
             const std::string& body, const std::function<void(const nlohmann::json&)>& print,
             const FailureHook& on_failure = nullptr);

}  // namespace qilian::cli

#endif  // QILIAN_CLI_REST_EXCHANGE_H_
