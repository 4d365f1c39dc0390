#include "cli/device_args.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <set>

#include "cli/product_args.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

std::string Text(const json& object, const char* key) { return MemberText(object, key); }

absl::Status AddFields(const DeviceFieldArgs& args, json* body) {
  if (args.name_zh || args.name_en) {
    json name = json::object();
    if (args.name_zh) name["zh"] = *args.name_zh;
    if (args.name_en) name["en"] = *args.name_en;
    (*body)["name"] = std::move(name);
  }
  if (args.serial) (*body)["serial"] = *args.serial;
  if (args.gateway) (*body)["gateway"] = *args.gateway;
  if (args.model_version) (*body)["modelVersion"] = *args.model_version;
  if (args.enabled) (*body)["enabled"] = *args.enabled;
  if (!args.tags.empty() || args.clear_tags) {
    json tags = json::object();
    for (const std::string& tag : args.tags) {
      const size_t eq = tag.find('=');
      if (eq == std::string::npos || eq == 0) {
        return absl::InvalidArgumentError("--tag '" + tag + "' is not NAME=VALUE");
      }
      const std::string name = tag.substr(0, eq);
      if (tags.contains(name)) {
        return absl::InvalidArgumentError("--tag '" + name + "' is given twice");
      }
      tags[name] = tag.substr(eq + 1);
    }
    (*body)["tags"] = std::move(tags);
  }
  return absl::OkStatus();
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Compact(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<json> BuildDeviceCreateBody(std::string_view id, std::string_view product,
                                           const DeviceFieldArgs& args) {
  json body = {{"id", std::string(id)}, {"product", std::string(product)}};
  if (absl::Status s = AddFields(args, &body); !s.ok()) return s;
  return body;
}

absl::StatusOr<json> BuildDeviceUpdateBody(const DeviceFieldArgs& args) {
  json body = json::object();
  if (absl::Status s = AddFields(args, &body); !s.ok()) return s;
  if (body.empty()) return absl::InvalidArgumentError("give at least one field to change");
  return body;
}

std::string DeviceTarget(std::string_view id, std::string_view suffix,
                         std::optional<uint64_t> enterprise,
                         std::vector<std::pair<std::string, std::string>> query) {
  return CollectionTarget("/api/devices", id, suffix, enterprise, std::move(query));
}

std::string FormatDevices(const json& devices) {
  std::vector<std::vector<std::string>> rows = {
      {"ENTERPRISE", "ID", "PRODUCT", "VERSION", "ENABLED", "GATEWAY", "NAME"}};
  if (devices.is_array()) {
    for (const json& d : devices) {
      std::string gateway = Text(d, "gateway");
      rows.push_back({Text(d, "enterprise"), Text(d, "id"), Text(d, "product"),
                      Text(d, "modelVersion"), Text(d, "enabled"), gateway.empty() ? "-" : gateway,
                      Text(d.value("name", json()), "zh")});
    }
  }
  return TextTable(rows);
}

std::string FormatDevice(const json& d) {
  std::string out;
  for (const char* key : {"enterprise", "id", "product", "productKey", "modelVersion", "serial",
                          "gateway", "enabled", "handle", "createdAt", "updatedAt"}) {
    out += std::string(key) + ": " + Text(d, key) + "\n";
  }
  const json name = d.value("name", json::object());
  out += "name: " + Text(name, "zh");
  if (!Text(name, "en").empty()) out += " (" + Text(name, "en") + ")";
  out += "\n";
  std::string tags;
  const json tag_object = d.value("tags", json::object());
  for (auto it = tag_object.begin(); it != tag_object.end(); ++it) {
    if (!tags.empty()) tags += ";";
    tags += it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump());
  }
  out += "tags: " + tags + "\n";
  return out;
}

absl::StatusOr<std::vector<CsvPiece>> SplitCsv(std::string_view csv, size_t max_bytes) {
  // Records: [start, end) byte ranges ending after their line break.
  struct Record {
    size_t start, end, line;
  };
  std::vector<Record> records;
  size_t start = 0, line = 1, record_line = 1;
  bool quoted = false;
  for (size_t i = 0; i < csv.size(); ++i) {
    const char c = csv[i];
    if (c == '"') quoted = !quoted;
    if (c == '\n') {
      ++line;
      if (!quoted) {
        records.push_back({start, i + 1, record_line});
        start = i + 1;
        record_line = line;
      }
    }
  }
  if (start < csv.size()) records.push_back({start, csv.size(), record_line});
  if (records.empty()) {
    return absl::InvalidArgumentError("the CSV file has no header line");
  }
  std::string header(csv.substr(records[0].start, records[0].end - records[0].start));
  if (header.empty() || header.back() != '\n') header += '\n';
  std::vector<CsvPiece> pieces;
  CsvPiece piece;
  for (size_t r = 1; r < records.size(); ++r) {
    std::string_view text = csv.substr(records[r].start, records[r].end - records[r].start);
    if (!piece.text.empty() && piece.text.size() + text.size() > max_bytes) {
      pieces.push_back(std::move(piece));
      piece = CsvPiece{};
    }
    if (piece.text.empty()) {
      piece.text = header;
      piece.first_line = records[r].line;
    }
    piece.text += text;
  }
  if (!piece.text.empty()) pieces.push_back(std::move(piece));
  return pieces;
}

json ParseLooseValue(std::string_view text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return json(std::string(text));
  return value;
}

absl::StatusOr<json> ParseAssignments(const std::vector<std::string>& args,
                                      std::string_view noun) {
  json out = json::object();
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError("malformed '" + arg + "': expected " + Upper(noun) +
                                        "=VALUE");
    }
    if (eq == 0) {
      return absl::InvalidArgumentError("malformed '" + arg + "': the " + std::string(noun) +
                                        " name is empty");
    }
    const std::string name = arg.substr(0, eq);
    if (out.contains(name)) {
      return absl::InvalidArgumentError(std::string(noun) + " '" + name + "' is given twice");
    }
    out[name] = ParseLooseValue(std::string_view(arg).substr(eq + 1));
  }
  return out;
}

namespace {

// {"<member>": {assignments}}; `need_one` refuses none.
absl::StatusOr<json> AssignmentBody(const std::vector<std::string>& args, std::string_view noun,
                                    const char* member, bool need_one) {
  absl::StatusOr<json> values = ParseAssignments(args, noun);
  if (!values.ok()) return values.status();
  if (need_one && values->empty()) {
    return absl::InvalidArgumentError("give at least one PROPERTY=VALUE");
  }
  return json{{member, *std::move(values)}};
}

}  // namespace

absl::StatusOr<json> BuildDesiredBody(const std::vector<std::string>& args,
                                      std::optional<uint64_t> version) {
  absl::StatusOr<json> body = AssignmentBody(args, "property", "desired", true);
  if (body.ok() && version) (*body)["version"] = *version;
  return body;
}

absl::StatusOr<json> BuildWriteBody(const std::vector<std::string>& args,
                                    std::optional<int64_t> timeout_ms) {
  absl::StatusOr<json> body = AssignmentBody(args, "property", "properties", true);
  if (body.ok() && timeout_ms) (*body)["timeout"] = *timeout_ms;
  return body;
}

absl::StatusOr<json> BuildInvokeBody(const std::vector<std::string>& args,
                                     std::optional<int64_t> timeout_ms) {
  absl::StatusOr<json> body = AssignmentBody(args, "input", "inputs", false);
  if (body.ok() && timeout_ms) (*body)["timeout"] = *timeout_ms;
  return body;
}

std::string FormatEpochMs(int64_t ms) {
  int64_t seconds = ms / 1000;
  int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(ms);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return text;
}

std::string FormatAssignments(const json& object) {
  if (!object.is_object() || object.empty()) return "none";
  std::string out;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!out.empty()) out += " ";
    out += it.key() + "=" + Compact(*it);
  }
  return out;
}

namespace {

// A reported {"value", "time"} as its two cells.
std::pair<std::string, std::string> ReportedCells(const json& point) {
  if (!point.is_object()) return {"-", "-"};
  std::string value = point.contains("value") ? Compact(point["value"]) : "-";
  std::string time = point.contains("time") && point["time"].is_number_integer()
                         ? FormatEpochMs(point["time"].get<int64_t>())
                         : "-";
  return {value, time};
}

}  // namespace

std::string FormatShadow(const json& shadow) {
  const json reported = shadow.value("reported", json::object());
  const json desired = shadow.value("desired", json::object());
  std::string last_seen = Text(shadow, "lastSeen");
  std::string out = "online: " + Text(shadow, "online") + "\n";
  out += "lastSeen: " + (last_seen.empty() || last_seen == "null" ? "-" : last_seen) + "\n";
  out += "desired version: " + Text(shadow, "desiredVersion") + "\n";
  out += "delta: " + FormatAssignments(shadow.value("delta", json::object())) + "\n";
  std::set<std::string> names;
  if (reported.is_object()) {
    for (auto it = reported.begin(); it != reported.end(); ++it) names.insert(it.key());
  }
  if (desired.is_object()) {
    for (auto it = desired.begin(); it != desired.end(); ++it) names.insert(it.key());
  }
  std::vector<std::vector<std::string>> rows = {{"PROPERTY", "VALUE", "TIME", "DESIRED"}};
  for (const std::string& name : names) {
    auto [value, time] = reported.is_object() && reported.contains(name)
                             ? ReportedCells(reported[name])
                             : std::pair<std::string, std::string>{"-", "-"};
    rows.push_back({name, value, time,
                    desired.is_object() && desired.contains(name) ? Compact(desired[name]) : "-"});
  }
  return out + TextTable(rows);
}

std::string FormatProperties(const json& reply) {
  std::string out = "online: " + Text(reply, "online") + "\n";
  std::vector<std::vector<std::string>> rows = {{"PROPERTY", "VALUE", "TIME"}};
  const json properties = reply.value("properties", json::object());
  if (properties.is_object()) {
    for (auto it = properties.begin(); it != properties.end(); ++it) {
      auto [value, time] = ReportedCells(*it);
      rows.push_back({it.key(), value, time});
    }
  }
  return out + TextTable(rows);
}

std::string FleetFile(const std::vector<json>& created_rows,
                      const std::map<std::string, std::string>& starters) {
  std::string out = "product_key,device_id,secret,model\n";
  for (const json& row : created_rows) {
    auto it = starters.find(Text(row, "product"));
    out += Text(row, "productKey") + "," + Text(row, "id") + "," + Text(row, "secret") + "," +
           (it == starters.end() ? "" : it->second) + "\n";
  }
  return out;
}

}  // namespace qilian::cli
