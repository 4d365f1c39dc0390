#include "platform/tsdb/query/query_answer.h"

#include <cmath>

#include "nlohmann/json.hpp"

namespace qilian::platform::tsdb {
namespace {

using json = nlohmann::ordered_json;  // keys in the order written

json CellJson(const Cell& cell) {
  struct Visitor {
    json operator()(std::monostate) const { return nullptr; }
    json operator()(double d) const { return std::isfinite(d) ? json(d) : json(nullptr); }
    json operator()(int64_t i) const { return i; }
    json operator()(bool b) const { return b; }
    json operator()(const std::string& s) const { return s; }
  };
  return std::visit(Visitor{}, cell);
}

json SeriesJson(const AnswerSeries& s) {
  json out = json::object();
  if (s.grouped) {
    json group = json::object();
    for (const auto& [key, value] : s.group) {
      group[key] = value ? json(*value) : json(nullptr);
    }
    out["group"] = std::move(group);
    out["members"] = s.members;
  } else {
    out["id"] = s.id;
    out["device"] = s.device;
    out["property"] = s.property;
    json labels = json::object();
    for (const Label& l : s.labels) labels[l.key] = l.value;
    out["labels"] = std::move(labels);
  }
  json columns = json::array({"time"});
  for (const std::string& c : s.columns) columns.push_back(c);
  out["columns"] = std::move(columns);
  json values = json::array();
  for (const AnswerRow& row : s.rows) {
    json r = json::array({row.time_ms});
    for (const Cell& c : row.cells) r.push_back(CellJson(c));
    values.push_back(std::move(r));
  }
  out["values"] = std::move(values);
  return out;
}

}  // namespace

std::string QueryAnswerJson(const QueryAnswer& answer) {
  json series = json::array();
  for (const AnswerSeries& s : answer.series) series.push_back(SeriesJson(s));
  json stats = {{"series", answer.stats.series},
                {"points_read", answer.stats.points_read},
                {"buckets_read", answer.stats.buckets_read},
                {"rollup", nullptr}};
  if (answer.stats.rollup) stats["rollup"] = *answer.stats.rollup == Resolution::k1m ? "1m" : "1h";
  json out = {{"series", std::move(series)}, {"stats", std::move(stats)}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace qilian::platform::tsdb
