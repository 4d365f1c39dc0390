// Fuzz target: a telemetry query body (docs/telemetry-query.md) through
// ParseQueryRequest and, when it parses, EvaluateQuery over a small series
// source with rollups complete half way, under tight limits; and the same
// bytes as an export request. Nothing may crash; a parsed request evaluates
// to an answer or to an InvalidArgument / ResourceExhausted refusal, and
// every answer serializes as JSON.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "platform/tsdb/query/export_request.h"
#include "platform/tsdb/query/memory_series_source.h"
#include "platform/tsdb/query/query_answer.h"
#include "platform/tsdb/query/query_eval.h"
#include "platform/tsdb/query/query_request.h"

using namespace qilian::platform::tsdb;

namespace {

const MemorySeriesSource& Source() {
  static MemorySeriesSource* source = [] {
    auto* s = new MemorySeriesSource();
    std::vector<Point> flow, count, text;
    for (int64_t i = 0; i < 600; ++i) {
      flow.push_back({i * 1000, i % 97 == 0 ? NAN : std::sin(i / 10.0)});
      count.push_back({i * 1000 + 3, int64_t{i % 50}});  // a counter with resets
      if (i % 60 == 0) text.push_back({i * 1000, std::string(i % 120 ? "run" : "idle")});
    }
    s->Add({0, 1, "d1", "flow", ValueKind::kFloat, {{"product", "pump"}}}, flow);
    s->Add({0, 1, "d2", "count", ValueKind::kInt, {{"product", "meter"}}}, count);
    s->Add({0, 1, "d2", "state", ValueKind::kText, {}}, text);
    s->SetAllRollupsComplete(300'000);
    return s;
  }();
  return *source;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<QueryRequest> request = ParseQueryRequest(body, 600'000);
  if (request.ok()) {
    QueryLimits limits;
    limits.max_series = 3;
    limits.max_points_read = 5000;
    limits.max_rows = 5000;
    limits.max_windows = 2000;
    absl::StatusOr<QueryAnswer> answer = EvaluateQuery(Source(), 1, *request, limits);
    if (answer.ok()) {
      if (QueryAnswerJson(*answer).empty()) std::abort();
    } else if (answer.status().code() != absl::StatusCode::kInvalidArgument &&
               answer.status().code() != absl::StatusCode::kResourceExhausted) {
      std::abort();
    }
  } else if (request.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  absl::StatusOr<ExportRequest> exported = ParseExportRequest(body, 600'000);
  if (!exported.ok() && exported.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return 0;
}
