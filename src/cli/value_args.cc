#include "cli/value_args.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <vector>

#include "absl/status/status.h"

namespace qilian::cli {

using nlohmann::json;

namespace {

constexpr uint32_t kMaxIndex = 0x7fffffff;

std::optional<uint32_t> ParseIndex(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < 1 || v > kMaxIndex) return std::nullopt;
  return static_cast<uint32_t>(v);
}

absl::Status Malformed(std::string_view flag, std::string_view spec, std::string_view why) {
  return absl::InvalidArgumentError("malformed " + std::string(flag) + " \"" +
                                    std::string(spec) + "\": " + std::string(why));
}

std::vector<std::string_view> SplitColons(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
}

bool IsBitString(std::string_view text) {
  return text.size() == 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c == '0' || c == '1'; });
}

// A permission mask as the 12-character bit string, from either that form or
// hex ("0x0fff").
std::optional<std::string> ParsePermissions(std::string_view text) {
  if (IsBitString(text)) return std::string(text);
  if (text.size() < 3 || text.size() > 6 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return std::nullopt;
  }
  uint32_t mask = 0;
  for (char c : text.substr(2)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    mask = mask * 16 + static_cast<uint32_t>(digit);
  }
  if (mask > 0x0fff) return std::nullopt;
  std::string bits(12, '0');
  for (int i = 0; i < 12; ++i) {
    if (mask & (1u << (11 - i))) bits[i] = '1';
  }
  return bits;
}

// Whether a code point takes two terminal columns (East Asian Wide and
// Fullwidth, Unicode UAX #11, plus the common emoji blocks). Identifiers here
// are often Chinese, so tables must line up for CJK text.
bool IsWide(uint32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
         (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
         (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
         (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
         (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
         (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
         (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
}

// Terminal columns of UTF-8 text (invalid bytes count one column each).
size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                : (c & 0xf8) == 0xf0 ? 4 : 1;
    if (i + len > text.size()) len = 1;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (text[i + k] & 0x3f);
    width += IsWide(cp) ? 2 : 1;
    i += len;
  }
  return width;
}

std::string EscapeControls(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0x0f]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string TextOf(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void PadTo(std::string& line, std::string_view cell, size_t width) {
  line += cell;
  line.append(width - std::min(width, DisplayWidth(cell)), ' ');
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > text.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    i += len;
  }
  return true;
}

absl::StatusOr<json> ParseValueFlag(std::string_view spec, std::optional<uint32_t> ttl) {
  constexpr std::string_view kFlag = "--value";
  size_t first = spec.find(':');
  size_t second = first == std::string_view::npos ? first : spec.find(':', first + 1);
  if (second == std::string_view::npos) {
    return Malformed(kFlag, spec, "expected INDEX:TYPE:DATA");
  }
  std::optional<uint32_t> index = ParseIndex(spec.substr(0, first));
  if (!index.has_value()) {
    return Malformed(kFlag, spec, "index must be an integer from 1 to 2147483647");
  }
  std::string_view type = spec.substr(first + 1, second - first - 1);
  std::string_view data = spec.substr(second + 1);
  if (type.empty()) return Malformed(kFlag, spec, "empty type");
  if (!IsValidUtf8(type) || !IsValidUtf8(data)) {
    return absl::InvalidArgumentError("malformed --value: not valid UTF-8");
  }
  json value = {{"index", *index},
                {"type", std::string(type)},
                {"data", {{"format", "string"}, {"value", std::string(data)}}}};
  if (ttl.has_value()) value["ttl"] = *ttl;
  return value;
}

absl::StatusOr<json> ParseAdminFlag(std::string_view spec, std::optional<uint32_t> ttl) {
  constexpr std::string_view kFlag = "--admin";
  std::vector<std::string_view> parts = SplitColons(spec);
  if (parts.size() < 3) {
    return Malformed(kFlag, spec, "expected INDEX:HANDLE:ADMIN_INDEX[:PERMISSIONS]");
  }
  std::optional<uint32_t> index = ParseIndex(parts[0]);
  if (!index.has_value()) {
    return Malformed(kFlag, spec, "index must be an integer from 1 to 2147483647");
  }
  // The handle may contain ':', so the fields are taken from both ends: a
  // trailing field that reads as a permission mask is one, provided an
  // admin index precedes it.
  std::string permissions(kDefaultAdminPermissions);
  size_t last = parts.size() - 1;
  if (parts.size() >= 4 && !ParseIndex(parts[last]).has_value()) {
    std::optional<std::string> parsed = ParsePermissions(parts[last]);
    if (!parsed.has_value()) {
      return Malformed(kFlag, spec,
                       "permissions must be 12 characters of 0/1 or a hex mask up to 0x0fff");
    }
    permissions = *parsed;
    --last;
  }
  std::optional<uint32_t> admin_index = ParseIndex(parts[last]);
  if (!admin_index.has_value()) {
    return Malformed(kFlag, spec, "admin index must be an integer from 1 to 2147483647");
  }
  std::string handle;
  for (size_t i = 1; i < last; ++i) {
    if (i > 1) handle += ':';
    handle += parts[i];
  }
  if (handle.empty()) return Malformed(kFlag, spec, "empty admin handle");
  if (!IsValidUtf8(handle)) return absl::InvalidArgumentError("malformed --admin: not valid UTF-8");
  json value = {
      {"index", *index},
      {"type", "HS_ADMIN"},
      {"data",
       {{"format", "admin"},
        {"value", {{"handle", handle}, {"index", *admin_index}, {"permissions", permissions}}}}}};
  if (ttl.has_value()) value["ttl"] = *ttl;
  return value;
}

absl::StatusOr<json> ParseValuesDocument(std::string_view text, std::string_view source) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(std::string(source) + ": not valid JSON");
  }
  if (doc.is_object() && doc.contains("values")) doc = doc["values"];
  if (!doc.is_array()) {
    return absl::InvalidArgumentError(std::string(source) +
                                      ": expected {\"values\":[...]} or an array of values");
  }
  if (doc.empty()) return absl::InvalidArgumentError(std::string(source) + ": no values");
  for (const json& v : doc) {
    if (!v.is_object()) {
      return absl::InvalidArgumentError(std::string(source) + ": each value must be an object");
    }
  }
  return doc;
}

absl::StatusOr<std::string> ReadValuesSource(const std::string& path) {
  if (path == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (std::cin.bad()) return absl::InvalidArgumentError("cannot read stdin");
    return text;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError("cannot read " + path);
  return text.str();
}

std::string RenderData(const json& data) {
  if (!data.is_object()) return EscapeControls(TextOf(data));
  std::string format = data.contains("format") ? TextOf(data["format"]) : "";
  const json value = data.contains("value") ? data["value"] : json();
  if (format == "string" && value.is_string()) return EscapeControls(value.get<std::string>());
  if ((format == "hex" || format == "base64") && value.is_string()) {
    return format + ":" + EscapeControls(value.get<std::string>());
  }
  if (format == "admin" && value.is_object()) {
    std::string out = "handle=" + (value.contains("handle") ? TextOf(value["handle"]) : "");
    out += " index=" + (value.contains("index") ? TextOf(value["index"]) : "");
    out += " permissions=" + (value.contains("permissions") ? TextOf(value["permissions"]) : "");
    return EscapeControls(out);
  }
  return EscapeControls(format.empty() ? TextOf(data) : format + ":" + TextOf(value));
}

std::string FormatValuesTable(const json& values) {
  struct Row {
    std::string index, type, data, ttl;
  };
  std::vector<Row> rows;
  rows.push_back({"INDEX", "TYPE", "DATA", "TTL"});
  if (values.is_array()) {
    for (const json& v : values) {
      if (!v.is_object()) continue;
      Row row;
      // Every cell is escaped: a server's reply must not be able to put
      // control characters (new lines, terminal escapes) on the screen.
      row.index = v.contains("index") ? EscapeControls(TextOf(v["index"])) : "";
      row.type = v.contains("type") ? EscapeControls(TextOf(v["type"])) : "";
      row.data = v.contains("data") ? RenderData(v["data"]) : "";
      row.ttl = v.contains("ttl") ? EscapeControls(TextOf(v["ttl"])) : "";
      if (v.contains("ttlType") && v["ttlType"] == 1) row.ttl = "until " + row.ttl;
      rows.push_back(std::move(row));
    }
  }
  size_t w_index = 0, w_type = 0, w_data = 0;
  for (const Row& r : rows) {
    w_index = std::max(w_index, DisplayWidth(r.index));
    w_type = std::max(w_type, DisplayWidth(r.type));
    w_data = std::max(w_data, DisplayWidth(r.data));
  }
  std::string out;
  for (const Row& r : rows) {
    std::string line;
    PadTo(line, r.index, w_index + 2);
    PadTo(line, r.type, w_type + 2);
    PadTo(line, r.data, w_data + 2);
    line += r.ttl;
    out += line + "\n";
  }
  return out;
}

}  // namespace qilian::cli
