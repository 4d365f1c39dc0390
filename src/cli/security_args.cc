#include "cli/security_args.h"

#include <utility>
#include <vector>

#include "cli/product_args.h"
#include "cli/rest_client.h"

namespace qilian::cli {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// Members every event has, shown in their own columns (or not at all).
constexpr std::string_view kColumnFields[] = {"id",     "sensor", "enterprise", "received",
                                              "ts",     "flow",   "proto",      "orig_h",
                                              "orig_p", "resp_h", "resp_p"};

std::string OrDash(const json& object, const char* key) {
  std::string text = MemberText(object, key);
  return text.empty() || text == "null" ? "-" : text;
}

std::string Endpoint(const ordered_json& event, const char* host, const char* port) {
  std::string h =
      event.contains(host) && event[host].is_string() ? event[host].get<std::string>() : "-";
  if (event.contains(port) && event[port].is_number_unsigned()) {
    const bool v6 = h.find(':') != std::string::npos;
    return (v6 ? "[" + h + "]" : h) + ":" + std::to_string(event[port].get<uint64_t>());
  }
  return h;
}

}  // namespace

std::string SensorTarget(uint64_t enterprise, std::string_view id, std::string_view suffix) {
  return CollectionTarget("/api/enterprises/" + std::to_string(enterprise) + "/sensors", id, suffix,
                          std::nullopt, {});
}

std::string EventsTarget(const EventFilter& f, size_t limit, std::string_view cursor) {
  std::vector<std::pair<std::string, std::string>> query;
  if (f.enterprise) query.emplace_back("enterprise", std::to_string(*f.enterprise));
  if (f.sensor) query.emplace_back("sensor", *f.sensor);
  if (f.protocol) query.emplace_back("protocol", *f.protocol);
  if (f.from) query.emplace_back("from", *f.from);
  if (f.to) query.emplace_back("to", *f.to);
  query.emplace_back("limit", std::to_string(limit));
  if (!cursor.empty()) query.emplace_back("cursor", std::string(cursor));
  return "/api/security/events" + BuildQuery(query);
}

std::string FormatSensors(const json& sensors) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "EVENTS", "LAST_SEEN", "LAST_EVENT"}};
  for (const json& s : sensors) {
    rows.push_back({MemberText(s, "id"), MemberText(s, "name"), MemberText(s, "events_received"),
                    OrDash(s, "last_seen"), OrDash(s, "last_event_ts")});
  }
  return TextTable(rows);
}

std::string FormatSensor(const json& s) {
  std::string out;
  for (const char* key : {"id", "name", "description", "enterprise", "created", "last_seen",
                          "events_received", "last_event_ts"}) {
    out += std::string(key) + ": " + OrDash(s, key) + "\n";
  }
  return out;
}

std::vector<std::string> EventHeader() {
  return {"TS", "PROTO", "ORIG", "RESP", "SENSOR", "ID", "DETAIL"};
}

std::vector<std::string> EventRow(const ordered_json& event) {
  std::string detail;
  for (auto it = event.begin(); it != event.end(); ++it) {
    bool column = false;
    for (std::string_view c : kColumnFields) column = column || it.key() == c;
    if (column) continue;
    if (!detail.empty()) detail += " ";
    detail += it.key() + "=" +
              (it->is_string() ? it->get<std::string>()
                               : it->dump(-1, ' ', false, json::error_handler_t::replace));
  }
  auto text = [&](const char* key) {
    return event.contains(key) && event[key].is_string() ? event[key].get<std::string>()
                                                         : std::string("-");
  };
  return {text("ts"),
          text("proto"),
          Endpoint(event, "orig_h", "orig_p"),
          Endpoint(event, "resp_h", "resp_p"),
          text("sensor"),
          text("id"),
          detail};
}

}  // namespace qilian::cli
