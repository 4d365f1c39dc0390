#include "platform/tsdb/query/query_request.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace qilian::platform::tsdb {
namespace {

using json = nlohmann::json;

constexpr char kAggregateList[] =
    "avg, min, max, sum, count, first, last, stddev, p50, p90, p95, p99, percentile:<q>, twa, "
    "increase, rate";

absl::Status Bad(std::string_view field, std::string_view reason) {
  // std::string_view is not Debian's absl::string_view: join by hand.
  std::string message(field);
  message.append(": ").append(reason);
  return absl::InvalidArgumentError(message);
}

// Quotes a value from the request for an error message, cut short so that a
// huge value cannot make a huge message.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out =
      json(std::string(s.substr(0, kMax))).dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > kMax) out.insert(out.size() - 1, "...");
  return out;
}

// Refuses keys of `object` outside `known`: a misspelt key must not be
// silently ignored (a typo in "where" would select every series).
absl::Status OnlyKeys(const json& object, std::string_view field,
                      std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string names;
      for (std::string_view k : known) names.append(names.empty() ? "" : ", ").append(k);
      return Bad(field, absl::StrCat("unknown key ", Quote(key), " (known: ", names, ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> StringList(const json& value, std::string_view field) {
  if (!value.is_array()) return Bad(field, "must be a list of strings");
  if (value.empty()) return Bad(field, "must not be empty");
  std::vector<std::string> out;
  for (const json& item : value) {
    if (!item.is_string()) return Bad(field, "must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<SeriesSelector> ParseSelector(const json& value) {
  if (!value.is_object()) return Bad("series", "must be an object");
  if (auto s = OnlyKeys(value, "series", {"ids", "devices", "properties", "where"}); !s.ok()) {
    return s;
  }
  SeriesSelector selector;
  if (auto it = value.find("ids"); it != value.end()) {
    if (!it->is_array() || it->empty()) {
      return Bad("series.ids", "must be a non-empty list of series ids");
    }
    for (const json& id : *it) {
      if (!id.is_number_unsigned() || id.get<uint64_t>() == 0) {
        return Bad("series.ids", "must be a non-empty list of series ids");
      }
      selector.ids.push_back(id.get<uint64_t>());
    }
  }
  for (auto [key, out] :
       {std::pair{"devices", &selector.devices}, std::pair{"properties", &selector.properties}}) {
    auto it = value.find(key);
    if (it == value.end()) continue;
    auto list = StringList(*it, absl::StrCat("series.", key));
    if (!list.ok()) return list.status();
    *out = *std::move(list);
  }
  if (auto it = value.find("where"); it != value.end()) {
    if (!it->is_object() || it->empty()) {
      return Bad("series.where", "must be a non-empty object of label values");
    }
    for (const auto& [key, label] : it->items()) {
      if (!label.is_string()) {
        return Bad(absl::StrCat("series.where.", key), "must be a string");
      }
      selector.where.push_back({key, label.get<std::string>()});
    }
    // JSON object keys are unique, and nlohmann keeps them sorted.
  }
  return selector;
}

absl::StatusOr<int64_t> ParseTime(const json& value, std::string_view field) {
  int64_t ms = 0;
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX}) {
      return Bad(field, "out of range (years 0000 to 9999)");
    }
    ms = value.get<int64_t>();
  } else if (value.is_string()) {
    absl::Time t;
    std::string err;
    const std::string& text = value.get_ref<const std::string&>();
    if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
      return Bad(field, absl::StrCat(Quote(text),
                                     " is not an RFC 3339 time such as 2026-01-02T03:04:05Z"));
    }
    ms = absl::ToUnixMillis(t);
  } else {
    return Bad(field, "must be epoch milliseconds (an integer) or an RFC 3339 string");
  }
  if (ms < kMinQueryTimeMs || ms > kMaxQueryTimeMs) {
    return Bad(field, "out of range (years 0000 to 9999)");
  }
  return ms;
}

absl::StatusOr<int64_t> ParseWindow(const json& value) {
  // nlohmann reads a non-negative integer as unsigned, a negative one as
  // signed.
  if (value.is_number_unsigned()) {
    uint64_t ms = value.get<uint64_t>();
    if (ms == 0) return Bad("window", "must be positive");
    if (ms > uint64_t{kMaxQueryTimeMs}) return Bad("window", "too long");
    return static_cast<int64_t>(ms);
  }
  if (value.is_number_integer()) return Bad("window", "must be positive");
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (!(d > 0)) return Bad("window", "must be positive");
    if (d != std::floor(d)) return Bad("window", "must be a whole number of milliseconds");
    if (d > static_cast<double>(kMaxQueryTimeMs)) return Bad("window", "too long");
    return static_cast<int64_t>(d);
  }
  if (value.is_string()) return ParseDuration(value.get_ref<const std::string&>(), "window");
  return Bad("window", "must be a duration such as \"15m\" or a number of milliseconds");
}

absl::StatusOr<double> ParseQuantile(std::string_view text, std::string_view field) {
  double q = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), q);
  if (ec != std::errc() || end != text.data() + text.size() || !(q >= 0 && q <= 100)) {
    return Bad(field, absl::StrCat("percentile ", Quote(text), " is not a number from 0 to 100"));
  }
  return q;
}

absl::StatusOr<Aggregate> ParseAggregate(const json& value, std::string_view field) {
  if (!value.is_string()) return Bad(field, "must be a string");
  const std::string& name = value.get_ref<const std::string&>();
  static constexpr std::pair<std::string_view, AggregateKind> kNames[] = {
      {"avg", AggregateKind::kAvg},     {"min", AggregateKind::kMin},
      {"max", AggregateKind::kMax},     {"sum", AggregateKind::kSum},
      {"count", AggregateKind::kCount}, {"first", AggregateKind::kFirst},
      {"last", AggregateKind::kLast},   {"stddev", AggregateKind::kStddev},
      {"twa", AggregateKind::kTwa},     {"increase", AggregateKind::kIncrease},
      {"rate", AggregateKind::kRate},
  };
  for (const auto& [n, kind] : kNames) {
    if (name == n) return Aggregate{kind, 0, name};
  }
  static constexpr std::pair<std::string_view, double> kPercentiles[] = {
      {"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}};
  for (const auto& [n, q] : kPercentiles) {
    if (name == n) return Aggregate{AggregateKind::kPercentile, q, name};
  }
  constexpr std::string_view kPrefix = "percentile:";
  if (std::string_view(name).starts_with(kPrefix)) {
    auto q = ParseQuantile(std::string_view(name).substr(kPrefix.size()), field);
    if (!q.ok()) return q.status();
    return Aggregate{AggregateKind::kPercentile, *q, name};
  }
  return Bad(field, absl::StrCat("unknown aggregate ", Quote(name), " (", kAggregateList, ")"));
}

absl::StatusOr<std::vector<Aggregate>> ParseAggregates(const json& value) {
  if (!value.is_array() || value.empty()) {
    return Bad("aggregates", "must be a non-empty list of aggregate names");
  }
  std::vector<Aggregate> out;
  for (size_t i = 0; i < value.size(); ++i) {
    auto a = ParseAggregate(value[i], absl::StrCat("aggregates[", i, "]"));
    if (!a.ok()) return a.status();
    for (const Aggregate& seen : out) {
      if (seen.name == a->name) {
        return Bad(absl::StrCat("aggregates[", i, "]"), absl::StrCat(Quote(a->name), " twice"));
      }
    }
    out.push_back(*std::move(a));
  }
  return out;
}

absl::StatusOr<Fill> ParseFill(const json& value) {
  if (value.is_number()) {
    double d = value.get<double>();
    if (!std::isfinite(d)) return Bad("fill", "must be a finite number");
    return Fill{FillKind::kNumber, d};
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == "none") return Fill{FillKind::kNone, 0};
    if (s == "null") return Fill{FillKind::kNull, 0};
    if (s == "previous") return Fill{FillKind::kPrevious, 0};
    if (s == "linear") return Fill{FillKind::kLinear, 0};
    return Bad("fill", absl::StrCat("unknown fill ", Quote(s),
                                    " (none, null, previous, linear or a number)"));
  }
  if (value.is_null()) return Fill{FillKind::kNull, 0};
  return Bad("fill", "must be none, null, previous, linear or a number");
}

absl::StatusOr<std::vector<GroupKey>> ParseGroupBy(const json& value) {
  if (!value.is_array()) return Bad("group_by", "must be a list");
  std::vector<GroupKey> out;
  for (size_t i = 0; i < value.size(); ++i) {
    std::string field = absl::StrCat("group_by[", i, "]");
    if (!value[i].is_string()) return Bad(field, "must be a string");
    const std::string& name = value[i].get_ref<const std::string&>();
    GroupKey key{GroupKey::kDevice, "", name};
    if (name == "device") {
      key.kind = GroupKey::kDevice;
    } else if (name == "property") {
      key.kind = GroupKey::kProperty;
    } else if (name == "product") {
      key = {GroupKey::kLabel, "product", name};
    } else if (name.starts_with("tag:") && name.size() > 4) {
      key = {GroupKey::kLabel, name.substr(4), name};
    } else {
      return Bad(field, absl::StrCat("unknown group key ", Quote(name),
                                     " (device, property, product or tag:<key>)"));
    }
    for (const GroupKey& seen : out) {
      if (seen.name == name) return Bad(field, absl::StrCat(Quote(name), " twice"));
    }
    out.push_back(std::move(key));
  }
  return out;
}

absl::StatusOr<size_t> ParseLimit(const json& value) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() == 0) {
    return Bad("limit", "must be a positive integer");
  }
  return static_cast<size_t>(value.get<uint64_t>());
}

// Each field in turn, in the order of the document, so that the first
// error reported is stable whatever the key order of the body.
absl::Status ParseFields(const json& body, int64_t now_ms, QueryRequest* r) {
  if (auto s = OnlyKeys(body, "request",
                        {"series", "start", "end", "window", "aggregates", "fill", "group_by",
                         "limit", "latest"});
      !s.ok()) {
    return s;
  }
  if (auto it = body.find("series"); it != body.end()) {
    auto selector = ParseSelector(*it);
    if (!selector.ok()) return selector.status();
    r->series = *std::move(selector);
  }
  if (auto it = body.find("latest"); it != body.end()) {
    if (!it->is_boolean()) return Bad("latest", "must be true or false");
    r->latest = it->get<bool>();
  }
  auto start = body.find("start");
  if (start == body.end() && !r->latest) return Bad("start", "missing");
  if (start != body.end()) {
    auto t = ParseTime(*start, "start");
    if (!t.ok()) return t.status();
    r->start_ms = *t;
  }
  if (auto it = body.find("end"); it != body.end()) {
    auto t = ParseTime(*it, "end");
    if (!t.ok()) return t.status();
    r->end_ms = *t;
  } else {
    r->end_ms = now_ms;
  }
  if (r->latest) {
    for (const char* key : {"start", "end", "window", "aggregates", "fill", "group_by", "limit"}) {
      if (body.contains(key)) return Bad(key, "does not apply to latest");
    }
    return absl::OkStatus();
  }
  if (r->start_ms >= r->end_ms) {
    return Bad("start",
               absl::StrCat("must be before end (start ", r->start_ms, ", end ", r->end_ms, ")"));
  }
  if (auto it = body.find("window"); it != body.end()) {
    auto w = ParseWindow(*it);
    if (!w.ok()) return w.status();
    r->window_ms = *w;
  }
  if (auto it = body.find("aggregates"); it != body.end()) {
    if (!r->window_ms)
      return Bad("aggregates", "need a window (without one the answer is raw points)");
    auto a = ParseAggregates(*it);
    if (!a.ok()) return a.status();
    r->aggregates = *std::move(a);
  } else if (r->window_ms) {
    r->aggregates.push_back({AggregateKind::kAvg, 0, "avg"});
  }
  if (auto it = body.find("fill"); it != body.end()) {
    if (!r->window_ms) return Bad("fill", "needs a window");
    auto f = ParseFill(*it);
    if (!f.ok()) return f.status();
    r->fill = *f;
  }
  if (auto it = body.find("group_by"); it != body.end()) {
    auto g = ParseGroupBy(*it);
    if (!g.ok()) return g.status();
    if (!g->empty() && !r->window_ms) return Bad("group_by", "needs a window");
    r->group_by = *std::move(g);
  }
  if (auto it = body.find("limit"); it != body.end()) {
    auto l = ParseLimit(*it);
    if (!l.ok()) return l.status();
    r->limit = *l;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> ParseDuration(std::string_view text, std::string_view field) {
  // The number as an exact decimal: digits, with `scale` of them after the
  // point, so that "1.5s" is 1500 ms exactly and "0.5ms" is refused.
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  std::string_view number = text;
  int64_t unit_ms = 0;
  for (const auto& [suffix, ms] : kUnits) {
    if (text.ends_with(suffix) && text.size() > suffix.size()) {
      number = text.substr(0, text.size() - suffix.size());
      unit_ms = ms;
      break;
    }
  }
  auto not_duration = [&] {
    return Bad(field, absl::StrCat(Quote(text),
                                   " is not a duration (a number and one of ms, s, m, h, d)"));
  };
  if (unit_ms == 0) return not_duration();
  int64_t digits = 0, scale = 0, digit_count = 0;
  bool point = false;
  for (char c : number) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      if (++digit_count > 15) return Bad(field, "too long");
      digits = digits * 10 + (c - '0');
      if (point) ++scale;
    } else {
      return not_duration();
    }
  }
  if (digit_count == 0) return not_duration();
  int64_t divisor = 1;
  for (int64_t i = 0; i < scale; ++i) divisor *= 10;
  // digits < 10^15 and unit_ms < 10^8 would overflow; divide first where exact.
  __int128 scaled = static_cast<__int128>(digits) * unit_ms;
  if (scaled % divisor != 0) return Bad(field, "must be a whole number of milliseconds");
  __int128 ms = scaled / divisor;
  if (ms <= 0) return Bad(field, "must be positive");
  if (ms > kMaxQueryTimeMs) return Bad(field, "too long");
  return static_cast<int64_t>(ms);
}

absl::StatusOr<QueryRequest> ParseQueryRequest(std::string_view body, int64_t now_ms) {
  json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Bad("request", "not valid JSON");
  if (!parsed.is_object()) return Bad("request", "must be a JSON object");
  QueryRequest request;
  if (absl::Status s = ParseFields(parsed, now_ms, &request); !s.ok()) return s;
  return request;
}

}  // namespace qilian::platform::tsdb
