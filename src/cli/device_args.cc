#include "cli/device_args.h"

#include <algorithm>

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
