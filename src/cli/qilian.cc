// `qilian`: the command-line client of qiliand's REST API (docs/cli.md).
// get / put / delete / list over /api/handles, and resolve / siteinfo over
// the native Handle protocol, with exit codes and messages that scripts can
// rely on (cli/exit_code.h). Everything here is argument handling and
// printing; HTTP lives in rest_client, the native transport in
// handle_client, value syntax in value_args.
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/value_json.h"
#include "cli/enterprise.h"
#include "cli/exit_code.h"
#include "cli/handle_client.h"
#include "cli/native_write.h"
#include "cli/device.h"
#include "cli/security.h"
#include "cli/product.h"
#include "cli/template.h"
#include "cli/rest_client.h"
#include "cli/telemetry.h"
#include "cli/value_args.h"
#include "core/status.h"
#include "ident/reply_certifier.h"
#include "ident/value_codec.h"
#include "ident/wire/client.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

constexpr char kDefaultServer[] = "http://127.0.0.1:8000";
constexpr uint32_t kMaxIndex = 0x7fffffff;

constexpr char kExitCodesHelp[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  handle or values not found (responseCode 100, 200)\n"
    "  2  usage error: bad flags, unreadable file, malformed --value\n"
    "  3  conflict: handle or value already exists (responseCode 101, 201)\n"
    "  4  rejected by the server as bad input (responseCode 102, 202, 301, 4; other HTTP 4xx)\n"
    "  5  permission or authentication refused (responseCode 400-406; HTTP 401, 403)\n"
    "  6  server or network error: cannot connect, timeout, HTTP 5xx, unparsable reply\n"
    "  7  device write/invoke: the device refused (HTTP 422)\n"
    "  8  device write/invoke: the device did not reply in time (HTTP 504)\n";

struct GlobalOptions {
  std::string server = kDefaultServer;
  double timeout_seconds = 30;
  bool json = false;
  // CAs trusted for an https:// --server instead of the system store.
  std::string cacert;
  // Authenticated writes (docs/cli.md, "Authenticated writes").
  std::string auth;
  std::string secret_file;
  std::string key_file;
  bool native = false;
  std::string handle_server = kDefaultHandleServer;
};

// One reply from the API, its body parsed when it is JSON.
struct ApiReply {
  int http_status = 0;
  std::string raw;
  json body;  // discarded when the body is not JSON
  std::optional<int> response_code;

  bool ok() const {
    return http_status >= 200 && http_status < 300 && body.is_object() &&
           (!response_code.has_value() || *response_code == 1);
  }
};

void PrintError(std::string_view message) { std::cerr << "qilian: " << message << "\n"; }

// The exit code and message for a Status from this side of the wire.
int FailLocal(const absl::Status& status) {
  PrintError(std::string(status.message()));
  return ToInt(absl::IsInvalidArgument(status) ? ExitCode::kUsage : ExitCode::kServerError);
}

void PrintRaw(const std::string& raw) {
  std::cout << raw;
  if (raw.empty() || raw.back() != '\n') std::cout << "\n";
}

// Reports a reply that is not a success and returns the exit code for it.
int FailReply(const ApiReply& reply, const GlobalOptions& options, const ServerUrl& server) {
  if (options.json && !reply.body.is_discarded()) PrintRaw(reply.raw);
  if (reply.body.is_object() && reply.response_code.has_value()) {
    std::string message = reply.body.contains("message") && reply.body["message"].is_string()
                              ? reply.body["message"].get<std::string>()
                              : "request failed";
    PrintError(message + " (responseCode " + std::to_string(*reply.response_code) + ")");
    return ToInt(ExitCodeForFailure(reply.http_status, reply.response_code));
  }
  if (reply.http_status >= 200 && reply.http_status < 300) {
    PrintError("unparsable reply from " + server.text + " (HTTP " +
               std::to_string(reply.http_status) + ")");
    return ToInt(ExitCode::kServerError);
  }
  std::string message = "server answered HTTP " + std::to_string(reply.http_status);
  if (reply.body.is_object() && reply.body.contains("message") &&
      reply.body["message"].is_string()) {
    message = reply.body["message"].get<std::string>() + " (HTTP " +
              std::to_string(reply.http_status) + ")";
  }
  PrintError(message);
  return ToInt(ExitCodeForFailure(reply.http_status, std::nullopt));
}

absl::StatusOr<ApiReply> Call(RestClient& client, std::string_view method,
                              const std::string& target, const std::string& body) {
  QL_ASSIGN_OR_RETURN(HttpReply http, client.Send(method, target, body));
  ApiReply reply;
  reply.http_status = http.status;
  reply.raw = std::move(http.body);
  reply.body = json::parse(reply.raw, nullptr, /*allow_exceptions=*/false);
  if (reply.body.is_object() && reply.body.contains("responseCode") &&
      reply.body["responseCode"].is_number_integer()) {
    reply.response_code = reply.body["responseCode"].get<int>();
  }
  return reply;
}

std::string HandleTarget(const std::string& handle) {
  return "/api/handles/" + EncodePathSegment(handle);
}

std::string JoinIndexes(const std::vector<uint32_t>& indexes) {
  std::string out;
  for (uint32_t i : indexes) {
    if (!out.empty()) out += ",";
    out += std::to_string(i);
  }
  return out;
}

// --- get -------------------------------------------------------------------

struct GetArgs {
  std::string handle;
  std::vector<uint32_t> indexes;
  std::vector<std::string> types;
};

int RunGet(RestClient& client, const GlobalOptions& options, const GetArgs& args) {
  std::vector<std::pair<std::string, std::string>> query;
  for (uint32_t i : args.indexes) query.emplace_back("index", std::to_string(i));
  for (const std::string& t : args.types) query.emplace_back("type", t);
  absl::StatusOr<ApiReply> reply =
      Call(client, "GET", HandleTarget(args.handle) + BuildQuery(query), "");
  if (!reply.ok()) return FailLocal(reply.status());
  if (!reply->ok()) return FailReply(*reply, options, client.server());
  if (options.json) {
    PrintRaw(reply->raw);
  } else {
    std::cout << FormatValuesTable(reply->body.contains("values") ? reply->body["values"]
                                                                  : json::array());
  }
  return ToInt(ExitCode::kOk);
}

// --- put -------------------------------------------------------------------

struct PutArgs {
  std::string handle;
  std::vector<std::string> values;
  std::vector<std::string> admins;
  std::optional<uint32_t> ttl;
  std::string file;
  std::vector<uint32_t> indexes;
  bool no_overwrite = false;
};

absl::StatusOr<json> CollectValues(const PutArgs& args) {
  bool from_flags = !args.values.empty() || !args.admins.empty();
  if (!args.file.empty() && from_flags) {
    return absl::InvalidArgumentError("give values with --file or with --value/--admin, not both");
  }
  if (!args.file.empty() && args.ttl.has_value()) {
    return absl::InvalidArgumentError("--ttl applies to --value/--admin, not to --file");
  }
  json values = json::array();
  if (!args.file.empty()) {
    QL_ASSIGN_OR_RETURN(std::string text, ReadValuesSource(args.file));
    QL_ASSIGN_OR_RETURN(values, ParseValuesDocument(text, args.file == "-" ? "stdin" : args.file));
  } else if (!from_flags) {
    return absl::InvalidArgumentError("no values: give --value, --admin or --file");
  }
  for (const std::string& spec : args.values) {
    QL_ASSIGN_OR_RETURN(json value, ParseValueFlag(spec, args.ttl));
    values.push_back(std::move(value));
  }
  for (const std::string& spec : args.admins) {
    QL_ASSIGN_OR_RETURN(json value, ParseAdminFlag(spec, args.ttl));
    values.push_back(std::move(value));
  }
  // A repeated index is a mistake on this side; saying so here is clearer
  // than the server's refusal of the whole body.
  std::set<int64_t> seen;
  for (const json& v : values) {
    if (v.contains("index") && v["index"].is_number_integer() &&
        !seen.insert(v["index"].get<int64_t>()).second) {
      return absl::InvalidArgumentError("index " + std::to_string(v["index"].get<int64_t>()) +
                                        " given twice");
    }
  }
  return values;
}

int RunPut(RestClient& client, const GlobalOptions& options, const PutArgs& args) {
  absl::StatusOr<json> values = CollectValues(args);
  if (!values.ok()) return FailLocal(values.status());
  std::vector<std::pair<std::string, std::string>> query;
  for (uint32_t i : args.indexes) query.emplace_back("index", std::to_string(i));
  if (args.no_overwrite) query.emplace_back("overwrite", "false");
  json body = {{"values", std::move(*values)}};
  absl::StatusOr<ApiReply> reply =
      Call(client, "PUT", HandleTarget(args.handle) + BuildQuery(query),
           body.dump(-1, ' ', false, json::error_handler_t::strict));
  if (!reply.ok()) return FailLocal(reply.status());
  if (!reply->ok()) return FailReply(*reply, options, client.server());
  if (options.json) {
    PrintRaw(reply->raw);
  } else {
    std::cout << (reply->http_status == 201 ? "created " : "updated ") << args.handle << "\n";
  }
  return ToInt(ExitCode::kOk);
}

// --- delete ----------------------------------------------------------------

struct DeleteArgs {
  std::string handle;
  std::vector<uint32_t> indexes;
};

int RunDelete(RestClient& client, const GlobalOptions& options, const DeleteArgs& args) {
  std::vector<std::pair<std::string, std::string>> query;
  for (uint32_t i : args.indexes) query.emplace_back("index", std::to_string(i));
  absl::StatusOr<ApiReply> reply =
      Call(client, "DELETE", HandleTarget(args.handle) + BuildQuery(query), "");
  if (!reply.ok()) return FailLocal(reply.status());
  if (!reply->ok()) return FailReply(*reply, options, client.server());
  if (options.json) {
    PrintRaw(reply->raw);
  } else if (args.indexes.empty()) {
    std::cout << "deleted " << args.handle << "\n";
  } else {
    std::cout << "deleted index " << JoinIndexes(args.indexes) << " of " << args.handle << "\n";
  }
  return ToInt(ExitCode::kOk);
}

// --- put / delete over the native protocol ---------------------------------

// A fresh random request id, never 0 (see NativeExchange).
uint32_t RandomRequestId() {
  static std::random_device random;
  return (static_cast<uint32_t>(random()) & 0x7fffffff) | 1;
}

// Runs `writes` in order over one connection; each but the last may fall
// through to the next when its result is `fall_through_on`.
int RunNativeWrite(const GlobalOptions& options, const std::optional<Credentials>& credentials,
                   const std::string& handle, const std::vector<NativeWrite>& writes,
                   std::optional<ident::ResponseCode> fall_through_on,
                   const std::string& success_text) {
  absl::StatusOr<HandleServerAddress> server = HandleServerAddress::Parse(options.handle_server);
  if (!server.ok()) return FailLocal(server.status());
  auto timeout = std::chrono::milliseconds(
      std::max<int64_t>(1, std::llround(options.timeout_seconds * 1000)));
  TcpExchanger exchanger(*server, timeout);
  absl::StatusOr<WriteResult> result;
  for (size_t i = 0; i < writes.size(); ++i) {
    result = PerformNativeWrite(exchanger, writes[i], credentials, RandomRequestId);
    if (!result.ok()) {
      return FailLocal(absl::UnavailableError(server->text + ": " +
                                              std::string(result.status().message())));
    }
    if (!(fall_through_on.has_value() && result->code == *fall_through_on)) break;
  }
  const int code = static_cast<int>(result->code);
  if (result->code == ident::ResponseCode::kSuccess) {
    if (options.json) {
      std::cout << api::DumpJson(json{{"responseCode", 1}, {"handle", handle}}) << "\n";
    } else {
      std::cout << success_text << "\n";
    }
    return ToInt(ExitCode::kOk);
  }
  std::string message = result->message.empty()
                            ? std::string(ident::ResponseCodeName(result->code))
                            : result->message;
  if (options.json) {
    std::cout << api::DumpJson(json{{"responseCode", code}, {"handle", handle}, {"message", message}})
              << "\n";
  }
  PrintError(message + " (responseCode " + std::to_string(code) + ")");
  return ToInt(ExitCodeForFailure(0, code));
}

int RunNativePut(const GlobalOptions& options, const std::optional<Credentials>& credentials,
                 const PutArgs& args) {
  absl::StatusOr<json> values_json = CollectValues(args);
  if (!values_json.ok()) return FailLocal(values_json.status());
  absl::StatusOr<std::vector<ident::HandleValue>> values = api::ValuesFromJson(*values_json);
  if (!values.ok()) return FailLocal(absl::InvalidArgumentError(values.status().message()));
  NativeWrite write;
  write.handle = args.handle;
  write.values = *std::move(values);
  if (args.indexes.empty()) {
    // Create, or with overwrite replace the whole handle, as REST PUT does.
    write.op = ident::OpCode::kCreateHandle;
    if (!args.no_overwrite) write.op_flags = ident::op_flag::kOverwrite;
    return RunNativeWrite(options, credentials, args.handle, {write}, std::nullopt,
                          (args.no_overwrite ? "created " : "stored ") + args.handle);
  }
  // Only these values: add them, or replace them and add those that are not
  // there yet (modify answers 200 for a missing index).
  write.op = ident::OpCode::kAddValue;
  if (args.no_overwrite) {
    return RunNativeWrite(options, credentials, args.handle, {write}, std::nullopt,
                          "updated " + args.handle);
  }
  NativeWrite modify = write;
  modify.op = ident::OpCode::kModifyValue;
  return RunNativeWrite(options, credentials, args.handle, {modify, write},
                        ident::ResponseCode::kValuesNotFound, "updated " + args.handle);
}

int RunNativeDelete(const GlobalOptions& options, const std::optional<Credentials>& credentials,
                    const DeleteArgs& args) {
  NativeWrite write;
  write.handle = args.handle;
  if (args.indexes.empty()) {
    write.op = ident::OpCode::kDeleteHandle;
    return RunNativeWrite(options, credentials, args.handle, {write}, std::nullopt,
                          "deleted " + args.handle);
  }
  write.op = ident::OpCode::kRemoveValue;
  write.indexes = args.indexes;
  return RunNativeWrite(options, credentials, args.handle, {write}, std::nullopt,
                        "deleted index " + JoinIndexes(args.indexes) + " of " + args.handle);
}

// --- list ------------------------------------------------------------------

struct ListArgs {
  std::string prefix;
  std::optional<uint64_t> page;
  std::optional<uint64_t> page_size;
  bool all = false;
};

absl::StatusOr<json> HandlesOf(const ApiReply& reply) {
  if (!reply.body.contains("handles") || !reply.body["handles"].is_array()) {
    return absl::UnavailableError("unparsable reply: no \"handles\" list");
  }
  return reply.body["handles"];
}

void PrintHandles(const json& handles) {
  for (const json& h : handles) {
    std::cout << (h.is_string() ? h.get<std::string>() : h.dump()) << "\n";
  }
}

int RunList(RestClient& client, const GlobalOptions& options, const ListArgs& args) {
  std::optional<uint64_t> page = args.page;
  std::optional<std::string> after;
  json all_handles = json::array();
  while (true) {
    std::vector<std::pair<std::string, std::string>> query = {{"prefix", args.prefix}};
    if (after.has_value()) {
      query.emplace_back("after", *after);
    } else if (page.has_value()) {
      query.emplace_back("page", std::to_string(*page));
    }
    if (args.page_size.has_value()) query.emplace_back("pageSize", std::to_string(*args.page_size));
    absl::StatusOr<ApiReply> reply = Call(client, "GET", "/api/handles" + BuildQuery(query), "");
    if (!reply.ok()) return FailLocal(reply.status());
    if (!reply->ok()) return FailReply(*reply, options, client.server());
    absl::StatusOr<json> handles = HandlesOf(*reply);
    if (!handles.ok()) return FailLocal(handles.status());
    if (!args.all) {
      if (options.json) {
        PrintRaw(reply->raw);
      } else {
        PrintHandles(*handles);
      }
      return ToInt(ExitCode::kOk);
    }
    if (!options.json) PrintHandles(*handles);
    const size_t count = handles->size();
    std::optional<std::string> last;
    if (count > 0 && handles->back().is_string()) last = handles->back().get<std::string>();
    for (json& h : *handles) all_handles.push_back(std::move(h));
    if (count == 0) break;

    // qiliand says whether more follow and continues after the last handle
    // in one step; a server without "more" is paged by number until a short
    // page, checking that it served the page asked for.
    const json& body = reply->body;
    if (body.contains("more") && body["more"].is_boolean()) {
      if (!body["more"].get<bool>() || !last.has_value()) break;
      after = last;
      continue;
    }
    if (!body.contains("page") || !body["page"].is_number_unsigned() ||
        !body.contains("pageSize") || !body["pageSize"].is_number_unsigned()) {
      break;
    }
    uint64_t served = body["page"].get<uint64_t>();
    uint64_t size = body["pageSize"].get<uint64_t>();
    if (page.has_value() && served != *page) {
      PrintError("server ignored the page parameter (asked for page " + std::to_string(*page) +
                 ", got " + std::to_string(served) + ")");
      return ToInt(ExitCode::kServerError);
    }
    if (size == 0 || count < size) break;
    page = served + 1;
  }
  if (options.json) {
    json out = {{"responseCode", 1}, {"prefix", args.prefix}, {"handles", std::move(all_handles)}};
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  }
  return ToInt(ExitCode::kOk);
}

// --- resolve / siteinfo (native protocol) ----------------------------------

struct NativeArgs {
  std::string handle;
  std::string server = kDefaultHandleServer;
  bool udp = false;
  bool tcp = false;
  std::vector<uint32_t> indexes;
  std::vector<std::string> types;
  bool json = false;
  double timeout_seconds = 5;
  bool certify = false;  // resolve: ask CT and check the signature
};

// A reply to one native request, decoded, or a local failure.
// With `raw`, the reply's octets too (to check a certified answer).
absl::StatusOr<ident::wire::ClientReply> NativeExchange(const NativeArgs& args,
                                                        ident::wire::ClientRequest request,
                                                        std::string* raw = nullptr) {
  QL_ASSIGN_OR_RETURN(HandleServerAddress server, HandleServerAddress::Parse(args.server));
  if (!(args.timeout_seconds > 0 && args.timeout_seconds <= 86400)) {
    return absl::InvalidArgumentError("--timeout must be above 0 and at most 86400 seconds");
  }
  auto timeout = std::chrono::milliseconds(
      std::max<int64_t>(1, std::llround(args.timeout_seconds * 1000)));
  // A fresh random id per run, never 0: a late reply to an earlier run of
  // the command then cannot be taken for this one.
  std::random_device random;
  request.request_id = (static_cast<uint32_t>(random()) & 0x7fffffff) | 1;
  const std::string message = ident::wire::EncodeClientRequest(request);

  std::string reply_bytes;
  if (args.tcp) {
    QL_ASSIGN_OR_RETURN(reply_bytes, ExchangeTcp(server, message, timeout));
  } else {
    QL_ASSIGN_OR_RETURN(UdpExchange udp, ExchangeUdp(server, message, request.request_id, timeout));
    if (udp.use_tcp) {
      if (args.udp) {
        return absl::UnavailableError("the reply from " + server.text +
                                      " does not fit in UDP (truncated); retry with --tcp");
      }
      QL_ASSIGN_OR_RETURN(reply_bytes, ExchangeTcp(server, message, timeout));
    } else {
      reply_bytes = std::move(udp.message);
    }
  }
  absl::StatusOr<ident::wire::ClientReply> reply = ident::wire::DecodeClientReply(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply_bytes.data()),
                               reply_bytes.size()));
  if (!reply.ok()) {
    return absl::UnavailableError("unparsable reply from " + server.text + ": " +
                                  std::string(reply.status().message()));
  }
  if (reply->envelope.request_id != request.request_id) {
    return absl::UnavailableError("reply from " + server.text + " answers another request (id " +
                                  std::to_string(reply->envelope.request_id) + ")");
  }
  if (raw != nullptr) *raw = std::move(reply_bytes);
  return reply;
}

// --certify: the key the server's own HS_SITE publishes (get-site-info), as
// Handle.Net's resolver takes the key of the server it asks.
absl::StatusOr<std::string> SiteKeyOf(const NativeArgs& args) {
  ident::wire::ClientRequest request;
  request.op = ident::OpCode::kGetSiteInfo;
  QL_ASSIGN_OR_RETURN(ident::wire::ClientReply site, NativeExchange(args, std::move(request)));
  if (site.code == ident::ResponseCode::kSuccess) {
    for (const ident::SiteServer& server : site.site.servers) {
      if (!server.public_key.empty()) return server.public_key;
    }
  }
  return absl::PermissionDeniedError(args.server +
                                     " publishes no key in its HS_SITE: its answers cannot be "
                                     "certified");
}

// Reports a reply whose code is not success, as FailReply does for REST.
int FailNative(const ident::wire::ClientReply& reply, const NativeArgs& args) {
  const int code = static_cast<int>(reply.code);
  std::string message = reply.error_message.empty()
                            ? std::string(ident::ResponseCodeName(reply.code))
                            : reply.error_message;
  if (args.json) {
    json out = {{"responseCode", code}};
    if (!args.handle.empty()) out["handle"] = args.handle;
    out["message"] = message;
    std::cout << api::DumpJson(out) << "\n";
  }
  PrintError(message + " (responseCode " + std::to_string(code) + ")");
  return ToInt(ExitCodeForFailure(0, code));
}

int RunResolve(const NativeArgs& args) {
  ident::wire::ClientRequest request;
  request.op = ident::OpCode::kResolution;
  request.handle = args.handle;
  request.indexes = args.indexes;
  request.types = args.types;
  // Public values only, as deployed anonymous clients ask: without PO a
  // node challenges a question that would hide values without public read.
  request.op_flags = ident::op_flag::kPublicOnly;
  std::string site_key;
  if (args.certify) {
    absl::StatusOr<std::string> key = SiteKeyOf(args);
    if (!key.ok()) {
      if (!absl::IsPermissionDenied(key.status())) return FailLocal(key.status());
      PrintError(std::string(key.status().message()));
      return ToInt(ExitCode::kPermission);
    }
    site_key = *std::move(key);
    request.op_flags |= ident::op_flag::kCertified;
  }
  std::string raw;
  absl::StatusOr<ident::wire::ClientReply> reply = NativeExchange(args, std::move(request), &raw);
  if (!reply.ok()) return FailLocal(reply.status());
  if (args.certify) {
    // Every answer to a certified question is checked, errors too.
    absl::StatusOr<ident::wire::RawMessage> message = ident::wire::DecodeMessage(raw);
    absl::Status checked = message.ok() ? ident::VerifyCertifiedReply(*message, site_key)
                                        : message.status();
    if (!checked.ok()) {
      PrintError("the answer from " + args.server + " is not certified by its site key: " +
                 std::string(checked.message()));
      return ToInt(ExitCode::kPermission);
    }
  }
  if (reply->code != ident::ResponseCode::kSuccess) return FailNative(*reply, args);
  json values = json::array();
  for (const ident::HandleValue& v : reply->values) values.push_back(api::ValueToJson(v));
  if (args.json) {
    json out = {{"responseCode", 1},
                {"handle", reply->handle.empty() ? args.handle : reply->handle},
                {"values", std::move(values)}};
    if (args.certify) out["certified"] = true;
    std::cout << api::DumpJson(out) << "\n";
  } else {
    std::cout << FormatValuesTable(values);
  }
  return ToInt(ExitCode::kOk);
}

std::string FormatSite(const json& site) {
  auto text = [](const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); };
  std::string out;
  out += "version " + text(site.value("version", json())) + ", protocol " +
         text(site.value("protocolVersion", json())) + ", serial " +
         text(site.value("serialNumber", json()));
  int mask = site.value("primaryMask", 0);
  out += std::string(", ") + ((mask & 0x80) ? "primary" : "mirror");
  if (mask & 0x40) out += ", multi-primary";
  out += "\n";
  for (const json& a : site.value("attributes", json::array())) {
    out += "attribute " + text(a.value("name", json())) + "=" + text(a.value("value", json())) +
           "\n";
  }
  for (const json& s : site.value("servers", json::array())) {
    out += "server " + text(s.value("serverId", json())) + " " + text(s.value("address", json())) +
           "\n";
    for (const json& i : s.value("interfaces", json::array())) {
      out += "  " + text(i.value("protocol", json())) + " " + text(i.value("port", json())) + " " +
             text(i.value("type", json())) + "\n";
    }
  }
  return out;
}

int RunSiteInfo(const NativeArgs& args) {
  ident::wire::ClientRequest request;
  request.op = ident::OpCode::kGetSiteInfo;
  request.handle = "/";
  absl::StatusOr<ident::wire::ClientReply> reply = NativeExchange(args, std::move(request));
  if (!reply.ok()) return FailLocal(reply.status());
  if (reply->code != ident::ResponseCode::kSuccess) return FailNative(*reply, args);
  ident::HandleValue value;
  value.type = std::string(ident::kTypeSite);
  value.data = ident::EncodeSiteData(reply->site);
  json site = api::ValueToJson(value)["data"]["value"];
  if (args.json) {
    std::cout << api::DumpJson(json{{"responseCode", 1}, {"site", std::move(site)}}) << "\n";
  } else {
    std::cout << FormatSite(site);
  }
  return ToInt(ExitCode::kOk);
}

void AddNativeOptions(CLI::App* cmd, NativeArgs* args) {
  cmd->add_option("--server", args->server,
                  "the Handle server HOST:PORT, IPv6 as [ADDR]:PORT (default " +
                      std::string(kDefaultHandleServer) + ")")
      ->envname("QILIAN_HANDLE_SERVER")
      ->type_name("HOST:PORT");
  CLI::Option* udp = cmd->add_flag("--udp", args->udp, "UDP only, no TCP fallback");
  CLI::Option* tcp = cmd->add_flag("--tcp", args->tcp, "TCP only");
  udp->excludes(tcp);
  cmd->add_option("--timeout", args->timeout_seconds,
                  "seconds to wait for the reply (default 5)")
      ->type_name("SECONDS");
  cmd->add_flag("--json", args->json, "print the reply as JSON");
}

// --- main ------------------------------------------------------------------

CLI::Option* AddIndexOption(CLI::App* app, std::vector<uint32_t>* indexes, std::string help) {
  return app->add_option("--index", *indexes, std::move(help))
      ->type_name("N")
      ->allow_extra_args(false)
      ->check(CLI::Range(1u, kMaxIndex).description(""));
}

int Main(int argc, char** argv) {
  CLI::App app{
      "qilian: command-line client of a Qilian identifier node (qiliand REST API, "
      "Handle.Net v9 shape)",
      "qilian"};
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(std::string(
                 "Examples:\n"
                 "  qilian put 88.999/pump-1 --value 1:URL:https://example.com/pump-1\n"
                 "  qilian get 88.999/pump-1\n"
                 "  qilian --json get 88.999/pump-1 --type URL\n"
                 "  qilian list 88.999 --all\n"
                 "  qilian delete 88.999/pump-1\n"
                 "  qilian resolve 88.999/pump-1 --server 127.0.0.1:2641\n"
                 "  QILIAN_SERVER=http://127.0.0.1:8001 qilian get 88.999/pump-1\n"
                 "  qilian --server https://127.0.0.1:8000 --cacert ca.pem get 88.999/pump-1\n\n") +
             kExitCodesHelp);

  GlobalOptions options;
  app.add_option("--server", options.server,
                 "server URL (default " + std::string(kDefaultServer) + ")")
      ->envname("QILIAN_SERVER")
      ->type_name("URL");
  app.add_option("--cacert", options.cacert,
                 "PEM file of the CAs that an https:// server's certificate must chain to "
                 "(default: the system store)")
      ->envname("QILIAN_CACERT")
      ->type_name("FILE");
  app.add_option("--timeout", options.timeout_seconds,
                 "seconds to wait for connecting and for each reply (default 30)")
      ->type_name("SECONDS");
  app.add_flag("--json", options.json, "print the server's JSON replies as they are");
  app.add_option("--auth", options.auth,
                 "authenticate put/delete as this identity (an HS_SECKEY or HS_PUBKEY value)")
      ->envname("QILIAN_AUTH")
      ->type_name("INDEX:HANDLE");
  CLI::Option* secret_file =
      app.add_option("--secret-file", options.secret_file,
                     "the identity's secret (HS_SECKEY), one trailing newline ignored")
          ->envname("QILIAN_SECRET_FILE")
          ->type_name("FILE");
  CLI::Option* key_file =
      app.add_option("--key-file", options.key_file,
                     "the identity's unencrypted PEM private key (HS_PUBKEY: RSA, DSA, Ed25519, "
                     "SM2); needs --native")
          ->envname("QILIAN_KEY_FILE")
          ->type_name("FILE");
  secret_file->excludes(key_file);
  app.add_flag("--native", options.native,
               "send put/delete over the native Handle protocol (TCP) to --handle-server");
  app.add_option("--handle-server", options.handle_server,
                 "the Handle server for --native, HOST:PORT (default " +
                     std::string(kDefaultHandleServer) + ")")
      ->envname("QILIAN_HANDLE_SERVER")
      ->type_name("HOST:PORT");

  GetArgs get;
  CLI::App* get_cmd = app.add_subcommand("get", "print the values of a handle");
  get_cmd->add_option("handle", get.handle, "the handle, e.g. 88.999/pump-1")->required();
  AddIndexOption(get_cmd, &get.indexes, "only the value at this index (repeatable)");
  get_cmd->add_option("--type", get.types, "only values of this type; \"T.\" also matches subtypes (repeatable)")
      ->type_name("TYPE")
      ->allow_extra_args(false);
  get_cmd->footer(
      "Prints INDEX, TYPE, DATA and TTL of each value; --json prints the reply.\n\n"
      "Examples:\n"
      "  qilian get 88.999/pump-1\n"
      "  qilian get 88.999/pump-1 --type URL --type EMAIL\n"
      "  qilian get 88.999/pump-1 --index 1 --index 100\n"
      "  qilian --json get 88.999/pump-1\n\n"
      "Exit codes: 0 found, 1 handle or values not found, 2 usage, 4 bad input,\n"
      "5 permission, 6 server or network error (see qilian --help).\n");

  PutArgs put;
  CLI::App* put_cmd =
      app.add_subcommand("put", "create a handle or replace its values (or some of them)");
  put_cmd->add_option("handle", put.handle, "the handle, e.g. 88.999/pump-1")->required();
  put_cmd->add_option("--value", put.values, "a value INDEX:TYPE:DATA, DATA a UTF-8 string (repeatable)")
      ->type_name("INDEX:TYPE:DATA")
      ->allow_extra_args(false);
  put_cmd
      ->add_option("--admin", put.admins,
                   "an HS_ADMIN value; PERMISSIONS is 12 bits, list-handles first, or a hex mask "
                   "(default " + std::string(kDefaultAdminPermissions) + ") (repeatable)")
      ->type_name("INDEX:HANDLE:ADMIN_INDEX[:PERMISSIONS]")
      ->allow_extra_args(false);
  put_cmd->add_option("--ttl", put.ttl, "TTL in seconds for the --value/--admin values (server default 86400)")
      ->type_name("SECONDS");
  put_cmd->add_option("--file", put.file, "read {\"values\":[...]} from this file, \"-\" for stdin")
      ->type_name("PATH");
  AddIndexOption(put_cmd, &put.indexes,
                 "add or replace only the value at this index, keep the others (repeatable)");
  put_cmd->add_flag("--no-overwrite", put.no_overwrite,
                    "refuse to replace an existing handle or value (exit 3)");
  put_cmd->footer(
      "Prints \"created HANDLE\" or \"updated HANDLE\".\n\n"
      "Examples:\n"
      "  qilian put 88.999/pump-1 --value 1:URL:https://example.com/pump-1 \\\n"
      "      --value 2:EMAIL:ops@example.com --admin 100:0.NA/88.999:200\n"
      "  qilian put 88.999/pump-1 --index 2 --value 2:EMAIL:new@example.com\n"
      "  qilian put 88.999/pump-1 --no-overwrite --value 1:URL:https://example.com\n"
      "  qilian put 88.999/pump-1 --file values.json\n"
      "  echo '{\"values\":[{\"index\":1,\"type\":\"URL\",\"data\":{\"format\":\"string\","
      "\"value\":\"https://example.com\"}}]}' | qilian put 88.999/pump-1 --file -\n\n"
      "Exit codes: 0 stored, 2 usage, 3 exists and --no-overwrite, 4 bad input,\n"
      "5 permission, 6 server or network error (see qilian --help).\n");

  DeleteArgs del;
  CLI::App* delete_cmd = app.add_subcommand("delete", "delete a handle, or some of its values");
  delete_cmd->add_option("handle", del.handle, "the handle, e.g. 88.999/pump-1")->required();
  AddIndexOption(delete_cmd, &del.indexes, "delete only the value at this index (repeatable)");
  delete_cmd->footer(
      "Prints \"deleted HANDLE\" or \"deleted index N,M of HANDLE\".\n\n"
      "Examples:\n"
      "  qilian delete 88.999/pump-1\n"
      "  qilian delete 88.999/pump-1 --index 2\n\n"
      "Exit codes: 0 deleted, 1 handle or values not found, 2 usage, 4 bad input,\n"
      "5 permission, 6 server or network error (see qilian --help).\n");

  ListArgs list;
  CLI::App* list_cmd = app.add_subcommand("list", "list the handles under a prefix, one per line");
  list_cmd->add_option("prefix", list.prefix, "the prefix, e.g. 88.999")->required();
  list_cmd->add_option("--page", list.page, "the page to print, counted from 0 (default 0)")
      ->type_name("N");
  list_cmd->add_option("--page-size", list.page_size, "handles per page (server default 100)")
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1000000000}).description(""));
  list_cmd->add_flag("--all", list.all, "print every page, from --page (default 0) to the end");
  list_cmd->footer(
      "Examples:\n"
      "  qilian list 88.999\n"
      "  qilian list 88.999 --page 2 --page-size 50\n"
      "  qilian list 88.999 --all\n\n"
      "Exit codes: 0 listed, 2 usage, 4 bad input, 5 permission,\n"
      "6 server or network error (see qilian --help).\n");

  NativeArgs resolve;
  CLI::App* resolve_cmd = app.add_subcommand(
      "resolve", "resolve a handle over the native Handle protocol (UDP, TCP fallback)");
  resolve_cmd->add_option("handle", resolve.handle, "the handle, e.g. 88.999/pump-1")->required();
  AddIndexOption(resolve_cmd, &resolve.indexes, "only the value at this index (repeatable)");
  resolve_cmd
      ->add_option("--type", resolve.types,
                   "only values of this type; \"T.\" also matches subtypes (repeatable)")
      ->type_name("TYPE")
      ->allow_extra_args(false);
  AddNativeOptions(resolve_cmd, &resolve);
  resolve_cmd->add_flag("--certify", resolve.certify,
                        "ask for a certified answer (CT) and check its signature with the key "
                        "the server's HS_SITE publishes; exit 5 if it does not verify");
  resolve_cmd->footer(
      "Asks over UDP; a reply split into several datagrams is reassembled, and one\n"
      "the server marks truncated is asked again over TCP (unless --udp). Prints\n"
      "INDEX, TYPE, DATA and TTL like `get`; --json prints\n"
      "{\"responseCode\":1,\"handle\":H,\"values\":[...]} in the REST API's value shape.\n\n"
      "Examples:\n"
      "  qilian resolve 88.999/pump-1\n"
      "  qilian resolve 88.999/pump-1 --server [::1]:2641 --type URL\n"
      "  qilian resolve 88.999/pump-1 --tcp --index 1 --json\n"
      "  qilian resolve 88.999/pump-1 --certify\n\n"
      "Exit codes: 0 found, 1 handle or values not found, 2 usage, 4 bad input,\n"
      "5 permission, 6 server or network error (see qilian --help).\n");

  EnterpriseCommand enterprise(&app);
  ProductCommand product(&app);
  DeviceCommand device(&app);
  TelemetryCommand telemetry(&app);
  SecurityCommand security(&app);
  TemplateCommand template_cmd(&app);

  NativeArgs siteinfo;
  CLI::App* siteinfo_cmd =
      app.add_subcommand("siteinfo", "print a Handle server's site information (HS_SITE)");
  AddNativeOptions(siteinfo_cmd, &siteinfo);
  siteinfo_cmd->footer(
      "Examples:\n"
      "  qilian siteinfo --server 127.0.0.1:2641\n"
      "  qilian siteinfo --json\n\n"
      "Exit codes: 0 answered, 2 usage, 6 server or network error (see qilian --help).\n");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    PrintError(e.what());
    std::cerr << "Run 'qilian --help' for usage.\n";
    return ToInt(ExitCode::kUsage);
  }

  // The native commands have their own --server (HOST:PORT) and --timeout;
  // the global --json applies to them too.
  if (resolve_cmd->parsed() || siteinfo_cmd->parsed()) {
    NativeArgs& args = resolve_cmd->parsed() ? resolve : siteinfo;
    args.json = args.json || options.json;
    return resolve_cmd->parsed() ? RunResolve(args) : RunSiteInfo(args);
  }

  if (!(options.timeout_seconds > 0 && options.timeout_seconds <= 86400)) {
    PrintError("--timeout must be above 0 and at most 86400 seconds");
    return ToInt(ExitCode::kUsage);
  }
  const bool write = put_cmd->parsed() || delete_cmd->parsed();
  std::optional<Credentials> credentials;
  if (!options.auth.empty() || !options.secret_file.empty() || !options.key_file.empty()) {
    absl::StatusOr<Credentials> loaded =
        LoadCredentials(options.auth, options.secret_file, options.key_file);
    if (!loaded.ok()) return FailLocal(loaded.status());
    credentials = *std::move(loaded);
  }
  if (options.native) {
    if (!write) {
      PrintError("--native applies to put and delete (resolve and siteinfo are always native)");
      return ToInt(ExitCode::kUsage);
    }
    return put_cmd->parsed() ? RunNativePut(options, credentials, put)
                             : RunNativeDelete(options, credentials, del);
  }
  if (credentials.has_value() && credentials->private_key_pem.has_value()) {
    PrintError("--key-file needs --native: the REST API takes only secrets");
    return ToInt(ExitCode::kUsage);
  }

  absl::StatusOr<ServerUrl> server = ServerUrl::Parse(options.server);
  if (!server.ok()) return FailLocal(server.status());
  auto timeout = std::chrono::milliseconds(
      std::max<int64_t>(1, std::llround(options.timeout_seconds * 1000)));
  if (server->tls && !options.cacert.empty()) {
    // Checked before any request so that every command reports it alike.
    if (std::FILE* f = std::fopen(options.cacert.c_str(), "r"); f == nullptr) {
      PrintError("cannot read --cacert file '" + options.cacert + "': " + std::strerror(errno));
      return ToInt(ExitCode::kUsage);
    } else {
      std::fclose(f);
    }
  }
  RestClient client(*std::move(server), timeout, TlsClientOptions{options.cacert});
  if (credentials.has_value()) client.set_authorization(BasicAuthorization(*credentials));

  if (enterprise.parsed()) return enterprise.Run(client, options.json);
  if (product.parsed()) return product.Run(client, options.json);
  if (device.parsed()) return device.Run(client, options.json);
  if (telemetry.parsed()) return telemetry.Run(client, options.json);
  if (security.parsed()) return security.Run(client, options.json);
  if (template_cmd.parsed()) return template_cmd.Run(client, options.json);
  if (get_cmd->parsed()) return RunGet(client, options, get);
  if (put_cmd->parsed()) return RunPut(client, options, put);
  if (delete_cmd->parsed()) return RunDelete(client, options, del);
  return RunList(client, options, list);
}

}  // namespace
}  // namespace qilian::cli

int main(int argc, char** argv) {
  // The boundary: nothing below is meant to throw, but a library surprise
  // must still end with a message and the documented exit code.
  try {
    return qilian::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "qilian: internal error: " << e.what() << "\n";
    return qilian::cli::ToInt(qilian::cli::ExitCode::kServerError);
  }
}
