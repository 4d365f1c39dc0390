#include "cli/device.h"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/exit_code.h"
#include "cli/product_args.h"
#include "cli/rest_client.h"
#include "cli/rest_exchange.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

constexpr char kEnterpriseHelp[] =
    "the enterprise whose device this is (operators and auditors; staff act on their own)";

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

int Usage(const std::string& message) {
  std::cerr << "qilian: " << message << "\n";
  return ToInt(ExitCode::kUsage);
}

void AddEnterprise(CLI::App* cmd, std::optional<uint64_t>* enterprise) {
  cmd->add_option("--enterprise", *enterprise, kEnterpriseHelp)
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{UINT64_MAX}).description(""));
}

CLI::App* AddDeviceSubcommand(CLI::App* group, const char* name, const char* help, std::string* id,
                              std::optional<uint64_t>* enterprise) {
  CLI::App* cmd = group->add_subcommand(name, help);
  cmd->add_option("id", *id, "the device id")->required();
  AddEnterprise(cmd, enterprise);
  return cmd;
}

void AddFieldOptions(CLI::App* cmd, DeviceFieldArgs* f, bool* enable, bool* disable) {
  cmd->add_option("--name-zh", f->name_zh, "the Chinese name");
  cmd->add_option("--name-en", f->name_en, "the English name");
  cmd->add_option("--serial", f->serial, "the serial number");
  cmd->add_option("--gateway", f->gateway, "the gateway device's id (\"\" detaches)")
      ->type_name("ID");
  cmd->add_option("--tag", f->tags, "a tag NAME=VALUE (repeat; replaces all tags)")
      ->type_name("NAME=VALUE");
  cmd->add_option("--model-version", f->model_version,
                  "the thing model version (default the product's latest; only raised)")
      ->type_name("N");
  cmd->add_flag("--enable", *enable, "enable the device");
  cmd->add_flag("--disable", *disable, "disable the device (the broker refuses it)");
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("cannot read '" + path + "': " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad())
    return absl::InvalidArgumentError("cannot read '" + path + "': " + std::strerror(errno));
  return text;
}

// "line N: message" with the line of the whole file; the server numbered
// the lines of its piece, whose first record is on line 2.
std::string FileLineMessage(const json& row, size_t first_line) {
  const size_t line = row.value("line", size_t{0}) + first_line - 2;
  std::string message = row.value("message", std::string());
  if (message.starts_with("line ")) {
    const size_t colon = message.find(": ");
    if (colon != std::string::npos) message = message.substr(colon + 2);
  }
  return "line " + std::to_string(line) + ": " + message;
}

}  // namespace

DeviceCommand::DeviceCommand(CLI::App* app) {
  group_ = app->add_subcommand(
      "device", "devices: credentials, identifiers, CSV import, the shadow, writes and calls");
  group_->require_subcommand(1);

  create_ = group_->add_subcommand("create", "create a device; prints its secret (shown once)");
  create_->add_option("id", id_, "the device id: 1 to 64 of A-Z a-z 0-9 _ -")->required();
  create_->add_option("--product", product_, "the product id")->required();
  AddFieldOptions(create_, &fields_, &enable_, &disable_);
  AddEnterprise(create_, &enterprise_);
  create_->footer(
      "Prints \"created device ID (identifier H)\" and \"secret: S\": keep the secret,\n"
      "the node stores only its hash (rotate-secret makes a new one).\n\n"
      "Exit codes: 0 created, 2 usage, 3 exists, 4 refused (the message names the field),\n"
      "5 permission, 6 server or network error.\n");

  list_ = group_->add_subcommand("list",
                                 "list devices: ENTERPRISE, ID, PRODUCT, VERSION, ENABLED, "
                                 "GATEWAY, NAME");
  AddEnterprise(list_, &enterprise_);
  list_->add_option("--product", list_product_, "only this product's devices");
  list_->add_option("--gateway", list_gateway_,
                    "only this gateway's sub-devices (\"\": devices without a gateway)");
  list_->add_option("--after", after_, "start after this id (the cursor printed last time)");
  list_->add_option("--limit", limit_, "devices per page (default 100, at most 1000)")
      ->type_name("N");
  list_->footer(
      "When more follow, \"qilian: more devices follow: --after X\" goes to stderr.\n"
      "Exit codes: 0 listed, 1 enterprise not found, 4 bad paging, 5 permission,\n"
      "6 server or network error.\n");

  get_ =
      AddDeviceSubcommand(group_, "get", "print a device (never its secret)", &id_, &enterprise_);
  get_->footer("Exit codes: 0 found, 1 not found, 5 permission, 6 server error.\n");

  update_ = AddDeviceSubcommand(group_, "update", "change a device's fields", &id_, &enterprise_);
  AddFieldOptions(update_, &fields_, &enable_, &disable_);
  update_->add_flag("--clear-tags", fields_.clear_tags, "remove every tag");
  update_->footer(
      "Exit codes: 0 updated, 1 not found, 2 usage, 4 refused, 5 permission,\n"
      "6 server or network error.\n");

  delete_ = AddDeviceSubcommand(group_, "delete", "delete a device and its identifier", &id_,
                                &enterprise_);
  delete_->footer(
      "Exit codes: 0 deleted, 1 not found, 3 a gateway with sub-devices,\n"
      "5 permission, 6 server error.\n");

  rotate_ = AddDeviceSubcommand(group_, "rotate-secret",
                                "give a device a new secret (the old one stops working)", &id_,
                                &enterprise_);
  rotate_->footer("Exit codes: 0 rotated, 1 not found, 5 permission, 6 server error.\n");

  import_ = group_->add_subcommand("import", "create devices from a CSV file");
  import_->add_option("file", file_, "the CSV: header id,product,name,serial,gateway,tags")
      ->required();
  import_
      ->add_option("--secrets-out", secrets_out_,
                   "write product_key,device_id,secret,model of each created device "
                   "(mode 0600; the device simulator's fleet file)")
      ->type_name("FILE");
  import_
      ->add_option("--piece-bytes", piece_bytes_,
                   "bytes of CSV per request (default 524288; keep it under the server's "
                   "[http] max_body_bytes)")
      ->type_name("N")
      ->check(CLI::Range(size_t{1024}, size_t{16} << 20).description(""));
  AddEnterprise(import_, &enterprise_);
  import_->footer(
      "Sends the file in pieces that fit the server's body limit; each row is created\n"
      "or refused on its own. Prints \"created N devices, rejected M\"; each refused row\n"
      "goes to stderr as \"qilian: line L: reason\".\n\n"
      "Exit codes: 0 every row created, 2 usage (unreadable file, --secrets-out not\n"
      "writable), 4 some rows refused or a bad file, 5 permission, 6 server error.\n");

  shadow_ = AddDeviceSubcommand(group_, "shadow",
                                "print a device's shadow: presence, reported and desired values, "
                                "delta",
                                &id_, &enterprise_);
  shadow_->footer(
      "Prints online, lastSeen, desired version and delta lines, then a table PROPERTY,\n"
      "VALUE, TIME, DESIRED of every property reported or desired.\n"
      "Exit codes: 0 printed, 1 not found, 5 permission, 6 server error (501: no broker).\n");

  properties_ = AddDeviceSubcommand(group_, "properties",
                                    "print a device's latest reported values", &id_, &enterprise_);
  properties_->footer(
      "Prints \"online: B\" and a table PROPERTY, VALUE, TIME.\n"
      "Exit codes: 0 printed, 1 not found, 5 permission, 6 server error.\n");

  desired_ = AddDeviceSubcommand(group_, "desired",
                                 "change a device's desired state (sent to it, kept until it "
                                 "reports the values)",
                                 &id_, &enterprise_);
  desired_->add_option("assignments", assignments_, "PROPERTY=VALUE (VALUE null removes)")
      ->type_name("PROPERTY=VALUE");
  desired_->add_option("--version", version_,
                       "apply only if the desired version is still N (else exit 3)")
      ->type_name("N");
  desired_->footer(
      "A VALUE is JSON when it parses as JSON (55, true, \"text\", {...}), else a string;\n"
      "PROPERTY=null removes the property from the desired state. Prints \"device ID\n"
      "desired version N: ...\" and \"delta: ...\".\n"
      "Exit codes: 0 changed, 1 not found, 2 usage, 3 --version is not the current one,\n"
      "4 refused (read-only property, bad value), 5 permission, 6 server error.\n");

  write_ = AddDeviceSubcommand(group_, "write",
                               "write properties to a device and wait for its reply", &id_,
                               &enterprise_);
  write_->add_option("assignments", assignments_, "PROPERTY=VALUE")
      ->type_name("PROPERTY=VALUE");

  invoke_ = group_->add_subcommand("invoke", "call a service of a device and wait for its output");
  invoke_->add_option("id", id_, "the device id")->required();
  invoke_->add_option("function", function_, "the service's identifier")->required();
  invoke_->add_option("assignments", assignments_, "its inputs")->type_name("NAME=VALUE");
  AddEnterprise(invoke_, &enterprise_);
  for (CLI::App* cmd : {write_, invoke_}) {
    cmd->add_option("--timeout", call_timeout_ms_,
                    "milliseconds to wait for the device (default 10000, at most 60000)")
        ->type_name("MS")
        ->check(CLI::Range(int64_t{1}, int64_t{60000}).description(""));
    cmd->footer(
        "A VALUE is JSON when it parses as JSON (55, true, \"text\", {...}), else a string.\n"
        "Prints the device's answer: \"device ID accepted: ...\" (write) or \"device ID\n"
        "answered FUNCTION: ...\" (invoke, with the output).\n"
        "Exit codes: 0 done, 1 not found, 2 usage, 4 refused by the model, 5 permission,\n"
        "6 server error, 7 the device refused (its code and message on stderr), 8 the\n"
        "device did not reply in time.\n");
  }
}

bool DeviceCommand::parsed() const { return group_->parsed(); }

int DeviceCommand::Run(RestClient& client, bool raw) const {
  DeviceFieldArgs fields = fields_;
  if (enable_ && disable_) return Usage("give --enable or --disable, not both");
  if (enable_) fields.enabled = true;
  if (disable_) fields.enabled = false;

  if (create_->parsed()) {
    auto body = BuildDeviceCreateBody(id_, product_, fields);
    if (!body.ok()) return Usage(std::string(body.status().message()));
    return Exchange(client, raw, "POST", DeviceTarget("", "", enterprise_), Dump(*body),
                    [](const json& reply) {
                      const json device = reply.value("device", json::object());
                      std::cout << "created device " << device.value("id", "") << " (identifier "
                                << device.value("handle", "") << ")\n"
                                << "secret: " << reply.value("secret", "") << "\n";
                    });
  }
  if (list_->parsed()) {
    std::vector<std::pair<std::string, std::string>> query;
    if (list_product_) query.emplace_back("product", *list_product_);
    if (list_gateway_) query.emplace_back("gateway", *list_gateway_);
    if (after_) query.emplace_back("after", *after_);
    if (limit_) query.emplace_back("limit", std::to_string(*limit_));
    return Exchange(
        client, raw, "GET", DeviceTarget("", "", enterprise_, query), "", [](const json& reply) {
          std::cout << FormatDevices(reply.value("devices", json::array()));
          if (reply.value("more", false)) {
            std::cerr << "qilian: more devices follow: --after " << reply.value("next", "") << "\n";
          }
        });
  }
  if (get_->parsed()) {
    return Exchange(client, raw, "GET", DeviceTarget(id_, "", enterprise_), "",
                    [](const json& reply) {
                      std::cout << FormatDevice(reply.value("device", json::object()));
                    });
  }
  if (update_->parsed()) {
    auto body = BuildDeviceUpdateBody(fields);
    if (!body.ok()) return Usage(std::string(body.status().message()));
    return Exchange(client, raw, "PUT", DeviceTarget(id_, "", enterprise_), Dump(*body),
                    [this](const json&) { std::cout << "updated device " << id_ << "\n"; });
  }
  if (rotate_->parsed()) {
    return Exchange(client, raw, "POST", DeviceTarget(id_, "/secret", enterprise_), "",
                    [this](const json& reply) {
                      std::cout << "rotated the secret of device " << id_ << "\n"
                                << "secret: " << reply.value("secret", "") << "\n";
                    });
  }
  if (import_->parsed()) return RunImport(client, raw);
  if (shadow_->parsed()) {
    return Exchange(client, raw, "GET", DeviceTarget(id_, "/shadow", enterprise_), "",
                    [](const json& reply) {
                      std::cout << FormatShadow(reply.value("shadow", json::object()));
                    });
  }
  if (properties_->parsed()) {
    return Exchange(client, raw, "GET", DeviceTarget(id_, "/properties", enterprise_), "",
                    [](const json& reply) { std::cout << FormatProperties(reply); });
  }
  if (desired_->parsed()) {
    auto body = BuildDesiredBody(assignments_, version_);
    if (!body.ok()) return Usage(std::string(body.status().message()));
    return Exchange(
        client, raw, "PUT", DeviceTarget(id_, "/shadow", enterprise_), Dump(*body),
        [this](const json& reply) {
          const json shadow = reply.value("shadow", json::object());
          std::cout << "device " << id_ << " desired version "
                    << MemberText(shadow, "desiredVersion") << ": "
                    << FormatAssignments(shadow.value("desired", json::object())) << "\n"
                    << "delta: " << FormatAssignments(shadow.value("delta", json::object()))
                    << "\n";
        },
        [](int http_status, const json& reply) -> std::optional<int> {
          if (http_status != 409) return std::nullopt;
          // Someone changed the desired state since the version given.
          std::cerr << "qilian: " << reply.value("message", "") << "\n";
          return ToInt(ExitCode::kConflict);
        });
  }
  if (write_->parsed() || invoke_->parsed()) return RunDeviceCall(client, raw);
  return Exchange(
      client, raw, "DELETE", DeviceTarget(id_, "", enterprise_), "",
      [this](const json&) { std::cout << "deleted device " << id_ << "\n"; },
      [](int http_status, const json& reply) -> std::optional<int> {
        if (http_status != 409) return std::nullopt;
        // A gateway with sub-devices: a conflict with other records.
        std::cerr << "qilian: " << reply.value("message", "") << "\n";
        return ToInt(ExitCode::kConflict);
      });
}

int DeviceCommand::RunDeviceCall(RestClient& client, bool raw) const {
  const bool write = write_->parsed();
  auto body = write ? BuildWriteBody(assignments_, call_timeout_ms_)
                    : BuildInvokeBody(assignments_, call_timeout_ms_);
  if (!body.ok()) return Usage(std::string(body.status().message()));
  // The server answers within the device's time-out and its sweep (2 s);
  // wait for that at least, whatever the global --timeout.
  const auto wait = std::chrono::milliseconds(call_timeout_ms_.value_or(10000)) +
                    std::chrono::seconds(5);
  if (client.timeout() < wait) client.set_timeout(wait);
  const std::string target =
      write ? DeviceTarget(id_, "/properties", enterprise_)
            : DeviceTarget(id_, "/functions/" + EncodeQueryComponent(function_), enterprise_);
  return Exchange(
      client, raw, write ? "PUT" : "POST", target, Dump(*body),
      [this, write](const json& reply) {
        const json data = reply.value(write ? "properties" : "output", json::object());
        std::cout << "device " << id_ << (write ? " accepted" : " answered " + function_);
        if (data.is_object() && !data.empty()) std::cout << ": " << FormatAssignments(data);
        std::cout << "\n";
      },
      [this](int http_status, const json& reply) -> std::optional<int> {
        if (http_status == 422) {
          std::cerr << "qilian: device " << id_ << " refused: " << MemberText(reply, "message")
                    << " (code " << MemberText(reply, "code") << ")\n";
          return ToInt(ExitCode::kDeviceRefused);
        }
        if (http_status == 504) {
          std::cerr << "qilian: " << MemberText(reply, "message") << "\n";
          return ToInt(ExitCode::kDeviceTimeout);
        }
        return std::nullopt;
      });
}

int DeviceCommand::RunImport(RestClient& client, bool raw) const {
  absl::StatusOr<std::string> csv = ReadFile(file_);
  if (!csv.ok()) return Usage(std::string(csv.status().message()));
  absl::StatusOr<std::vector<CsvPiece>> pieces = SplitCsv(*csv, piece_bytes_);
  if (!pieces.ok()) return Usage(std::string(pieces.status().message()));
  std::ofstream secrets;
  if (!secrets_out_.empty()) {
    secrets.open(secrets_out_, std::ios::binary | std::ios::trunc);
    if (!secrets) return Usage("cannot write '" + secrets_out_ + "': " + std::strerror(errno));
    ::chmod(secrets_out_.c_str(), 0600);
  }
  std::vector<json> created, rejected;
  json all_rows = json::array();
  client.set_content_type("text/csv");
  for (const CsvPiece& piece : *pieces) {
    absl::StatusOr<HttpReply> http =
        client.Send("POST", DeviceTarget("", "/import", enterprise_), piece.text);
    if (!http.ok()) {
      client.set_content_type("application/json");
      std::cerr << "qilian: " << http.status().message() << "\n";
      return ToInt(ExitCode::kServerError);
    }
    json reply = json::parse(http->body, nullptr, false);
    const bool ok = http->status == 200 && reply.is_object() && reply.value("responseCode", 0) == 1;
    if (!ok) {
      client.set_content_type("application/json");
      std::optional<int> code;
      if (reply.is_object() && reply.contains("responseCode") &&
          reply["responseCode"].is_number_integer()) {
        code = reply["responseCode"].get<int>();
      }
      std::string message = reply.is_object() ? reply.value("message", std::string()) : "";
      if (message.empty()) message = "server answered HTTP " + std::to_string(http->status);
      std::cerr << "qilian: " << message
                << (code ? " (responseCode " + std::to_string(*code) + ")" : "") << "\n";
      if (!created.empty()) {
        std::cerr << "qilian: " << created.size() << " devices were created before this\n";
      }
      if (!secrets_out_.empty()) secrets << FleetFile(created, {});
      return ToInt(ExitCodeForFailure(http->status, code));
    }
    for (json row : reply.value("rows", json::array())) {
      const size_t line = row.value("line", size_t{0}) + piece.first_line - 2;
      if (row.value("status", "") == "created") {
        row["line"] = line;
        created.push_back(row);
      } else {
        std::string message = FileLineMessage(row, piece.first_line);
        row["line"] = line;
        row["message"] = message;
        rejected.push_back(row);
      }
      all_rows.push_back(std::move(row));
    }
  }
  client.set_content_type("application/json");

  if (!secrets_out_.empty()) {
    // The model column: each product's starter, if it was made from one.
    std::map<std::string, std::string> starters;
    std::set<std::string> products;
    for (const json& row : created) products.insert(row.value("product", ""));
    for (const std::string& product : products) {
      absl::StatusOr<HttpReply> http =
          client.Send("GET", ProductTarget(product, "", enterprise_), "");
      if (!http.ok() || http->status != 200) continue;
      json reply = json::parse(http->body, nullptr, false);
      if (reply.is_object()) {
        starters[product] = reply.value("product", json::object()).value("starter", "");
      }
    }
    secrets << FleetFile(created, starters);
    secrets.close();
    if (!secrets) return Usage("cannot write '" + secrets_out_ + "'");
  }
  if (raw) {
    std::cout << json({{"responseCode", 1},
                       {"created", created.size()},
                       {"rejected", rejected.size()},
                       {"rows", all_rows}})
                     .dump(-1, ' ', false, json::error_handler_t::replace)
              << "\n";
  } else {
    for (const json& row : rejected) std::cerr << "qilian: " << row.value("message", "") << "\n";
    std::cout << "created " << created.size() << " devices, rejected " << rejected.size() << "\n";
  }
  return rejected.empty() ? ToInt(ExitCode::kOk) : ToInt(ExitCode::kRejected);
}

}  // namespace qilian::cli
