#include "ident/stats/node_report.h"

#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "ident/response_code.h"
#include "nlohmann/json.hpp"
#include "tenant/field_error.h"

namespace qilian::ident::stats {
namespace {

using nlohmann::json;

constexpr size_t kMaxPrefixBytes = 255;

bool ValidNodeId(std::string_view id) {
  if (id.empty() || id.size() > kMaxNodeIdBytes) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ValidPrefix(std::string_view p) {
  if (p.empty() || p.size() > kMaxPrefixBytes) return false;
  for (unsigned char c : p) {
    if (c == '/' || c < 0x21 || c == 0x7f) return false;
  }
  return true;
}

// Refuses any key of `object` not in `known`, in the object's key order.
absl::Status NoUnknownFields(const json& object, std::string_view path,
                             std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || key == k;
    if (!ok) {
      std::string name = path.empty() ? tenant::Excerpt(key)
                                      : absl::StrCat(std::string(path), ".", tenant::Excerpt(key));
      return tenant::FieldError(name, "is not a field of a statistics report");
    }
  }
  return absl::OkStatus();
}

const json* Require(const json& object, std::string_view name, const std::string& field,
                    absl::Status* error) {
  auto it = object.find(std::string(name));
  if (it == object.end()) {
    *error = tenant::FieldError(field, "is required");
    return nullptr;
  }
  return &*it;
}

absl::Status ReadCount(const json& object, std::string_view name, const std::string& field,
                       uint64_t* out) {
  absl::Status error;
  const json* v = Require(object, name, field, &error);
  if (v == nullptr) return error;
  if (!v->is_number_unsigned()) return tenant::FieldError(field, "must be a non-negative integer");
  *out = v->get<uint64_t>();
  return absl::OkStatus();
}

absl::Status ReadPrefix(const json& item, size_t index, PrefixReport* out) {
  std::string base = absl::StrCat("prefixes[", index, "]");
  if (!item.is_object()) return tenant::FieldError(base, "must be an object");
  absl::Status error;
  const json* prefix = Require(item, "prefix", base + ".prefix", &error);
  if (prefix == nullptr) return error;
  if (!prefix->is_string()) return tenant::FieldError(base + ".prefix", "must be a string");
  out->prefix = prefix->get<std::string>();
  if (!ValidPrefix(out->prefix)) {
    return tenant::FieldError(base + ".prefix",
                              "must be 1 to 255 printable characters without '/'");
  }
  const json* registered = Require(item, "registered", base + ".registered", &error);
  if (registered == nullptr) return error;
  if (registered->is_number_unsigned()) {
    uint64_t v = registered->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return tenant::FieldError(base + ".registered", "must be a 64-bit integer");
    }
    out->registered = static_cast<int64_t>(v);
  } else if (registered->is_number_integer()) {
    out->registered = registered->get<int64_t>();
  } else {
    return tenant::FieldError(base + ".registered", "must be a 64-bit integer");
  }
  QL_RETURN_IF_ERROR(ReadCount(item, "created", base + ".created", &out->created));
  const json* res = Require(item, "resolutions", base + ".resolutions", &error);
  if (res == nullptr) return error;
  if (!res->is_object()) return tenant::FieldError(base + ".resolutions", "must be an object");
  for (size_t d = 0; d < kDoors; ++d) {
    std::string_view door = DoorName(static_cast<Door>(d));
    QL_RETURN_IF_ERROR(ReadCount(*res, door, absl::StrCat(base, ".resolutions.", std::string(door)),
                                 &out->resolutions[d]));
  }
  QL_RETURN_IF_ERROR(NoUnknownFields(*res, base + ".resolutions", {"http", "udp", "tcp"}));
  return NoUnknownFields(item, base, {"prefix", "registered", "created", "resolutions"});
}

std::string ReportKey(absl::CivilDay day, std::string_view node) {
  return absl::StrCat("n/", FormatDay(day), "/", std::string(node));
}

}  // namespace

absl::StatusOr<NodeReport> ParseNodeReport(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return HandleError(ResponseCode::kProtocolError, "request body is not valid JSON");
  }
  if (!doc.is_object()) {
    return HandleError(ResponseCode::kProtocolError, "request body must be a JSON object");
  }
  NodeReport report;
  absl::Status error;
  const json* node = Require(doc, "node", "node", &error);
  if (node == nullptr) return error;
  if (!node->is_string()) return tenant::FieldError("node", "must be a string");
  report.node = node->get<std::string>();
  if (!ValidNodeId(report.node)) {
    return tenant::FieldError("node", "must be 1 to 128 characters of A-Z a-z 0-9 . _ -");
  }
  const json* day = Require(doc, "day", "day", &error);
  if (day == nullptr) return error;
  if (!day->is_string() || !ParseDay(day->get<std::string>(), &report.day)) {
    return tenant::FieldError("day", "must be a date YYYY-MM-DD");
  }
  const json* prefixes = Require(doc, "prefixes", "prefixes", &error);
  if (prefixes == nullptr) return error;
  if (!prefixes->is_array()) return tenant::FieldError("prefixes", "must be an array");
  if (prefixes->size() > kMaxReportPrefixes) {
    return tenant::FieldError("prefixes",
                              absl::StrCat("must have at most ", kMaxReportPrefixes, " entries"));
  }
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < prefixes->size(); ++i) {
    PrefixReport p;
    QL_RETURN_IF_ERROR(ReadPrefix((*prefixes)[i], i, &p));
    if (!seen.insert(p.prefix).second) {
      return tenant::FieldError(absl::StrCat("prefixes[", i, "].prefix"),
                                absl::StrCat("repeats prefix '", tenant::Excerpt(p.prefix), "'"));
    }
    report.prefixes.push_back(std::move(p));
  }
  QL_RETURN_IF_ERROR(NoUnknownFields(doc, "", {"node", "day", "prefixes"}));
  return report;
}

std::string NodeReportJson(const NodeReport& report) {
  json prefixes = json::array();
  for (const PrefixReport& p : report.prefixes) {
    json res = json::object();
    for (size_t d = 0; d < kDoors; ++d) {
      res[std::string(DoorName(static_cast<Door>(d)))] = p.resolutions[d];
    }
    prefixes.push_back(
        {{"prefix", p.prefix}, {"registered", p.registered}, {"created", p.created},
         {"resolutions", std::move(res)}});
  }
  json doc = {{"node", report.node}, {"day", FormatDay(report.day)},
              {"prefixes", std::move(prefixes)}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<NodeReport> BuildNodeReport(const StatsRecorder& recorder, std::string_view node,
                                           absl::CivilDay day) {
  NodeReport report;
  report.node = std::string(node);
  report.day = day;
  const absl::CivilDay today = absl::ToCivilDay(recorder.clock().Now(), absl::UTCTimeZone());
  QL_ASSIGN_OR_RETURN(std::vector<PrefixTotals> totals, recorder.Totals(kMaxReportPrefixes));
  for (const PrefixTotals& t : totals) {
    QL_ASSIGN_OR_RETURN(Counts counts, recorder.Day(t.prefix, day));
    int64_t registered = t.registered;
    if (day + 1 == today) {
      QL_ASSIGN_OR_RETURN(Counts later, recorder.Day(t.prefix, today));
      registered -= static_cast<int64_t>(later.created) - static_cast<int64_t>(later.deleted);
    }
    if (registered == 0 && counts == Counts{}) continue;
    PrefixReport p;
    p.prefix = t.prefix;
    p.registered = registered;
    p.created = counts.created;
    p.resolutions = counts.resolutions;
    report.prefixes.push_back(std::move(p));
  }
  return report;
}

absl::Status NodeReportStore::Put(const NodeReport& report, absl::Time received_at) {
  json stored = {{"receivedAt", absl::ToUnixSeconds(received_at)},
                 {"report", NodeReportJson(report)}};
  return store_->Put(kSpace, ReportKey(report.day, report.node), stored.dump());
}

absl::StatusOr<std::vector<StoredReport>> NodeReportStore::List(absl::CivilDay day) const {
  std::vector<StoredReport> out;
  absl::Status bad;
  std::string prefix = absl::StrCat("n/", FormatDay(day), "/");
  QL_RETURN_IF_ERROR(
      store_->Scan(kSpace, prefix, "", [&](std::string_view key, std::string_view value) {
        json stored = json::parse(value, nullptr, false);
        if (stored.is_discarded() || !stored.is_object() || !stored.contains("report") ||
            !stored["report"].is_string() || !stored.contains("receivedAt") ||
            !stored["receivedAt"].is_number_integer()) {
          bad = absl::DataLossError(absl::StrCat("stored report '", std::string(key),
                                                 "' is corrupt"));
          return false;
        }
        absl::StatusOr<NodeReport> report =
            ParseNodeReport(stored["report"].get<std::string>());
        if (!report.ok()) {
          bad = absl::DataLossError(absl::StrCat("stored report '", std::string(key),
                                                 "' is corrupt: ", report.status().message()));
          return false;
        }
        out.push_back({*std::move(report),
                       absl::FromUnixSeconds(stored["receivedAt"].get<int64_t>())});
        return true;
      }));
  QL_RETURN_IF_ERROR(bad);
  return out;
}

}  // namespace qilian::ident::stats
