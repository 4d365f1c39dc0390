#include "platform/tsdb/query/series_select.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace qilian::platform::tsdb {
namespace {

template <typename T>
bool In(const std::vector<T>& allowed, const T& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool Matches(const SeriesInfo& s, const SeriesSelector& selector) {
  if (!In(selector.ids, s.id) || !In(selector.devices, s.device) ||
      !In(selector.properties, s.property)) {
    return false;
  }
  for (const Label& want : selector.where) {
    auto it = std::find_if(s.labels.begin(), s.labels.end(),
                           [&](const Label& l) { return l.key == want.key; });
    if (it == s.labels.end() || it->value != want.value) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::vector<SeriesInfo>> SelectSeries(const SeriesSource& source,
                                                     uint64_t enterprise,
                                                     const SeriesSelector& selector,
                                                     const QueryLimits& limits) {
  std::vector<SeriesInfo> all = source.ListSeries(enterprise);
  std::vector<SeriesInfo> selected;
  for (SeriesInfo& s : all) {
    if (Matches(s, selector)) selected.push_back(std::move(s));
  }
  if (selected.size() > limits.max_series) {
    return OverLimit(absl::StrCat("selects ", selected.size(), " series"), limits.max_series,
                     kMaxSeriesKey);
  }
  return selected;
}

std::string_view LabelValue(const SeriesInfo& series, std::string_view key) {
  for (const Label& l : series.labels) {
    if (l.key == key) return l.value;
  }
  return {};
}

}  // namespace qilian::platform::tsdb
