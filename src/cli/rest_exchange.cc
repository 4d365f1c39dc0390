#include "cli/rest_exchange.h"

#include <iostream>

#include "cli/exit_code.h"
#include "cli/rest_client.h"

namespace qilian::cli {

using nlohmann::json;

int Exchange(RestClient& client, bool raw, std::string_view method, const std::string& target,
             const std::string& body, const std::function<void(const json&)>& print,
             const FailureHook& on_failure) {
  absl::StatusOr<HttpReply> http = client.Send(method, target, body);
  if (!http.ok()) {
    std::cerr << "qilian: " << http.status().message() << "\n";
    return ToInt(ExitCode::kServerError);
  }
  json reply = json::parse(http->body, nullptr, /*allow_exceptions=*/false);
  std::optional<int> code;
  if (reply.is_object() && reply.contains("responseCode") &&
      reply["responseCode"].is_number_integer()) {
    code = reply["responseCode"].get<int>();
  }
  bool ok = http->status >= 200 && http->status < 300 && reply.is_object() && code == 1;
  if (raw && !reply.is_discarded()) {
    std::cout << http->body;
    if (http->body.empty() || http->body.back() != '\n') std::cout << "\n";
  }
  if (ok) {
    if (!raw) print(reply);
    return ToInt(ExitCode::kOk);
  }
  if (on_failure && reply.is_object()) {
    if (std::optional<int> exit = on_failure(http->status, reply)) return *exit;
  }
  std::string message = "server answered HTTP " + std::to_string(http->status);
  if (reply.is_object() && reply.contains("message") && reply["message"].is_string()) {
    message = reply["message"].get<std::string>();
  }
  if (code) {
    message += " (responseCode " + std::to_string(*code) + ")";
  } else {
    message += " (HTTP " + std::to_string(http->status) + ")";
  }
  std::cerr << "qilian: " << message << "\n";
  return ToInt(ExitCodeForFailure(http->status, code));
}

}  // namespace qilian::cli
