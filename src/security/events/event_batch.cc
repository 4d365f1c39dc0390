#include "security/events/event_batch.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "platform/thing_model/str_cat.h"

namespace qilian::security::events {

using platform::Append;
using platform::Cat;

namespace {

using Json = nlohmann::ordered_json;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The value of `n` digits at `text[at]`, or -1.
int Digits(std::string_view text, size_t at, size_t n) {
  if (at + n > text.size()) return -1;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!IsDigit(text[i])) return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// Why one line is not a valid event, or "" when it is (then *out is filled).
std::string CheckEvent(std::string_view line, IncomingEvent* out) {
  if (line.size() > kMaxEventBytes) {
    return Cat("event is ", line.size(), " bytes, over the limit of ", kMaxEventBytes);
  }
  bool too_deep = false;
  const Json::parser_callback_t depth_check = [&](int depth, Json::parse_event_t event, Json&) {
    // `depth` of an object or array start is the number of brackets around it.
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        static_cast<size_t>(depth) >= kMaxEventNesting) {
      too_deep = true;
    }
    return true;
  };
  // A line with no more brackets than the bound cannot nest deeper: most
  // events parse without the callback.
  const size_t brackets = static_cast<size_t>(
      std::count_if(line.begin(), line.end(), [](char c) { return c == '{' || c == '['; }));
  Json doc = Json::parse(line, brackets > kMaxEventNesting ? depth_check : nullptr,
                         /*allow_exceptions=*/false);
  if (too_deep) return Cat("event nests deeper than ", kMaxEventNesting, " levels");
  if (doc.is_discarded()) return "not valid JSON";
  if (!doc.is_object()) return "not a JSON object";
  for (std::string_view reserved : kServerFields) {
    if (doc.contains(reserved)) return Cat(reserved, ": is set by the server");
  }
  auto id = doc.find("id");
  if (id == doc.end()) return "id: missing";
  if (!id->is_string() || !ValidEventId(id->get_ref<const std::string&>())) {
    return "id: must be 1 to 64 of [A-Za-z0-9._:-]";
  }
  auto ts = doc.find("ts");
  if (ts == doc.end()) return "ts: missing";
  std::optional<int64_t> ns;
  if (ts->is_string()) ns = ParseRfc3339Utc(ts->get_ref<const std::string&>());
  if (!ns.has_value()) return "ts: not an RFC 3339 time";
  auto proto = doc.find("proto");
  if (proto == doc.end()) return "proto: missing";
  if (!proto->is_string() || !ValidProto(proto->get_ref<const std::string&>())) {
    return "proto: must be 1 to 32 of [a-z0-9_-]";
  }
  for (const char* name : {"orig_h", "resp_h"}) {
    auto h = doc.find(name);
    if (h != doc.end() &&
        (!h->is_string() || h->get_ref<const std::string&>().size() > kMaxAddressChars)) {
      return Cat(name, ": must be a string of at most ", kMaxAddressChars, " characters");
    }
  }
  for (const char* name : {"orig_p", "resp_p"}) {
    auto p = doc.find(name);
    if (p != doc.end() && (!p->is_number_unsigned() || p->get<uint64_t>() > 65535)) {
      return Cat(name, ": must be an integer 0 to 65535");
    }
  }
  out->id = id->get<std::string>();
  out->ts_ns = *ns;
  out->proto = proto->get<std::string>();
  out->json = line;
  return "";
}

}  // namespace

bool ValidEventId(std::string_view id) {
  if (id.empty() || id.size() > kMaxEventIdChars) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '.' || c == '_' ||
           c == ':' || c == '-';
  });
}

bool ValidProto(std::string_view proto) {
  if (proto.empty() || proto.size() > kMaxProtoChars) return false;
  return std::all_of(proto.begin(), proto.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_' || c == '-';
  });
}

std::optional<int64_t> ParseRfc3339Utc(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
      t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  const int year = Digits(t, 0, 4), month = Digits(t, 5, 2), day = Digits(t, 8, 2);
  const int hour = Digits(t, 11, 2), minute = Digits(t, 14, 2), second = Digits(t, 17, 2);
  if (year < 1970 || year > 2200 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 59) {
    return std::nullopt;
  }
  const absl::CivilDay civil_day(year, month, day);
  if (civil_day.month() != month || civil_day.day() != day) return std::nullopt;  // Feb 30
  size_t i = 19;
  int64_t fraction = 0;
  if (t[i] == '.') {
    ++i;
    size_t digits = 0;
    while (i < t.size() && IsDigit(t[i])) {
      if (++digits > 9) return std::nullopt;
      fraction = fraction * 10 + (t[i] - '0');
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) fraction *= 10;
  }
  if (i + 1 != t.size() || (t[i] != 'Z' && t[i] != 'z')) return std::nullopt;
  const absl::Time at = absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                                        absl::UTCTimeZone());
  return absl::ToUnixSeconds(at) * 1'000'000'000 + fraction;
}

std::string FormatRfc3339Utc(int64_t ns) {
  int64_t seconds = ns / 1'000'000'000;
  int64_t fraction = ns % 1'000'000'000;
  if (fraction < 0) {
    fraction += 1'000'000'000;
    --seconds;
  }
  std::string out =
      absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
  if (fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, 9 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    Append(&out, ".", digits);
  }
  out.push_back('Z');
  return out;
}

ParsedBatch ParseEventBatch(std::string_view body) {
  ParsedBatch out;
  size_t line_number = 0;
  while (!body.empty()) {
    const size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body.remove_prefix(end == std::string_view::npos ? body.size() : end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (out.events.size() == kMaxBatchLines) {
      out.events.clear();
      out.too_large = true;
      out.error = BatchError{0, Cat("request holds more than ", kMaxBatchLines,
                                    " events, over the limit of ", kMaxBatchLines)};
      return out;
    }
    IncomingEvent event;
    std::string why = CheckEvent(line, &event);
    if (!why.empty()) {
      out.events.clear();
      out.error = BatchError{line_number, Cat("line ", line_number, ": ", why)};
      return out;
    }
    out.events.push_back(std::move(event));
  }
  return out;
}

}  // namespace qilian::security::events
