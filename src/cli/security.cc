#include "cli/security.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/exit_code.h"
#include "cli/product_args.h"
#include "cli/rest_client.h"
#include "cli/rest_exchange.h"

namespace qilian::cli {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// The most events one request asks for (the server's limit).
constexpr uint64_t kMaxPage = 1000;

CLI::App* AddSensorCommand(CLI::App* group, const char* name, const char* help,
                           uint64_t* enterprise, std::string* id) {
  CLI::App* cmd = group->add_subcommand(name, help);
  cmd->add_option("--enterprise", *enterprise, "the enterprise whose sensor this is")
      ->type_name("N")
      ->required()
      ->check(CLI::Range(uint64_t{1}, uint64_t{UINT64_MAX}).description(""));
  if (id != nullptr) cmd->add_option("id", *id, "the sensor id (16 hex digits)")->required();
  return cmd;
}

}  // namespace

SecurityCommand::SecurityCommand(CLI::App* app) {
  group_ = app->add_subcommand("security", "security situational awareness: sensors, events");
  group_->require_subcommand(1);
  sensors_ = group_->add_subcommand("sensors", "the sensors that deliver an enterprise's events");
  sensors_->require_subcommand(1);

  add_ = AddSensorCommand(sensors_, "add", "register a sensor; prints its token (shown once)",
                          &enterprise_, nullptr);
  add_->add_option("name", name_, "a name unique in the enterprise (plant-1-line-3)")->required();
  add_->add_option("--description", description_, "what the sensor watches");
  add_->footer(
      "Prints \"registered sensor ID (NAME) of enterprise N\" and \"token: T\": give the\n"
      "token to qilian-sensor; the node keeps only its hash (rotate-token makes another).\n\n"
      "Exit codes: 0 registered, 1 enterprise not found, 3 name taken, 4 refused,\n"
      "5 permission, 6 server or network error.\n");
  list_ =
      AddSensorCommand(sensors_, "list", "list sensors: ID, NAME, EVENTS, LAST_SEEN, LAST_EVENT",
                       &enterprise_, nullptr);
  list_->footer("Exit codes: 0 listed, 1 enterprise not found, 5 permission, 6 server error.\n");
  show_ =
      AddSensorCommand(sensors_, "show", "print a sensor (never its token)", &enterprise_, &id_);
  show_->footer("Exit codes: 0 found, 1 not found, 5 permission, 6 server error.\n");
  remove_ = AddSensorCommand(sensors_, "remove",
                             "delete a sensor: its token stops working, its events stay",
                             &enterprise_, &id_);
  remove_->footer("Exit codes: 0 removed, 1 not found, 5 permission, 6 server error.\n");
  rotate_ =
      AddSensorCommand(sensors_, "rotate-token",
                       "give a sensor a new token (the old one stops working)", &enterprise_, &id_);
  rotate_->footer("Exit codes: 0 rotated, 1 not found, 5 permission, 6 server error.\n");

  events_ = group_->add_subcommand("events", "security events, newest first");
  events_
      ->add_option("--enterprise", filter_.enterprise,
                   "only this enterprise's (operators and auditors; staff see their own)")
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{UINT64_MAX}).description(""));
  events_->add_option("--sensor", filter_.sensor, "only this sensor's")->type_name("ID");
  events_->add_option("--protocol", filter_.protocol, "only this protocol's (modbus, dnp3, ...)")
      ->type_name("P");
  events_->add_option("--from", filter_.from, "from this time on (RFC 3339 UTC, inclusive)")
      ->type_name("T");
  events_->add_option("--to", filter_.to, "before this time (RFC 3339 UTC, exclusive)")
      ->type_name("T");
  events_->add_option("--limit", limit_, "at most this many events (default 100)")
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}).description(""));
  events_->footer(
      "Prints TS, PROTO, ORIG, RESP, SENSOR, ID and DETAIL (the protocol's fields);\n"
      "--json prints each event as one JSON line. Pages are followed up to --limit.\n\n"
      "Examples:\n"
      "  qilian security events --protocol modbus --from 2026-12-07T00:00:00Z\n"
      "  qilian security events --enterprise 3 --sensor 3f9c0a7d51e2b846 --limit 5000 --json\n\n"
      "Exit codes: 0 listed, 1 enterprise not found, 4 bad filter or a query over the\n"
      "node's limit, 5 permission, 6 server or network error.\n");
}

bool SecurityCommand::parsed() const { return group_->parsed(); }

int SecurityCommand::Run(RestClient& client, bool raw) const {
  if (events_->parsed()) return RunEvents(client, raw);
  if (add_->parsed()) {
    json body = {{"name", name_}};
    if (description_) body["description"] = *description_;
    return Exchange(client, raw, "POST", SensorTarget(enterprise_), body.dump(),
                    [this](const json& reply) {
                      std::cout << "registered sensor " << MemberText(reply, "id") << " ("
                                << MemberText(reply, "name") << ") of enterprise " << enterprise_
                                << "\ntoken: " << MemberText(reply, "token") << "\n";
                    });
  }
  if (list_->parsed()) {
    return Exchange(client, raw, "GET", SensorTarget(enterprise_), "", [](const json& reply) {
      std::cout << FormatSensors(reply.value("sensors", json::array()));
    });
  }
  if (show_->parsed()) {
    return Exchange(client, raw, "GET", SensorTarget(enterprise_, id_), "",
                    [](const json& reply) { std::cout << FormatSensor(reply); });
  }
  if (remove_->parsed()) {
    return Exchange(client, raw, "DELETE", SensorTarget(enterprise_, id_), "",
                    [this](const json&) { std::cout << "removed sensor " << id_ << "\n"; });
  }
  return Exchange(client, raw, "POST", SensorTarget(enterprise_, id_, "/token"), "",
                  [this](const json& reply) {
                    std::cout << "rotated the token of sensor " << id_
                              << "\ntoken: " << MemberText(reply, "token") << "\n";
                  });
}

int SecurityCommand::RunEvents(RestClient& client, bool raw) const {
  std::vector<std::vector<std::string>> rows = {EventHeader()};
  uint64_t left = limit_;
  std::string cursor;
  while (left > 0) {
    const uint64_t page = std::min(left, kMaxPage);
    absl::StatusOr<HttpReply> http = client.Send("GET", EventsTarget(filter_, page, cursor), "");
    if (!http.ok()) {
      std::cerr << "qilian: " << http.status().message() << "\n";
      return ToInt(ExitCode::kServerError);
    }
    // Parsed keeping the events' member order (Exchange's json sorts them).
    ordered_json reply = ordered_json::parse(http->body, nullptr, false);
    const bool ok = http->status == 200 && reply.is_object() && reply["responseCode"] == 1 &&
                    reply["events"].is_array();
    if (!ok) {
      std::optional<int> code;
      if (reply.is_object() && reply["responseCode"].is_number_integer()) {
        code = reply["responseCode"].get<int>();
      }
      std::string message = reply.is_object() && reply["message"].is_string()
                                ? reply["message"].get<std::string>()
                                : "server answered HTTP " + std::to_string(http->status);
      std::cerr << "qilian: " << message
                << (code ? " (responseCode " + std::to_string(*code) + ")"
                         : " (HTTP " + std::to_string(http->status) + ")")
                << "\n";
      return ToInt(ExitCodeForFailure(http->status, code));
    }
    for (ordered_json& e : reply["events"]) {
      if (raw) {
        std::cout << e.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
      } else {
        rows.push_back(EventRow(e));
      }
    }
    left -= std::min<uint64_t>(left, reply["events"].size());
    if (!reply["next_cursor"].is_string()) break;
    cursor = reply["next_cursor"].get<std::string>();
  }
  if (!raw) std::cout << TextTable(rows);
  return ToInt(ExitCode::kOk);
}

}  // namespace qilian::cli
