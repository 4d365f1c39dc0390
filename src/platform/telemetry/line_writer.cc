#include "platform/telemetry/line_writer.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace qilian::platform::telemetry {
namespace {

using tsdb::Engine;
using tsdb::LabelSet;
using tsdb::PointInput;
using tsdb::PointValue;

constexpr std::string_view kDeviceTag = "device";
constexpr std::string_view kMeasurementLabel = "_measurement";

void AppendEscaped(std::string_view s, std::string_view escaped, std::string* out) {
  for (char c : s) {
    if (escaped.find(c) != std::string_view::npos) out->push_back('\\');
    out->push_back(c);
  }
}

// The series key as line protocol writes it: "cpu,host=a,region=x".
std::string SeriesKey(const lp::Point& p) {
  std::string key;
  AppendEscaped(p.measurement, ", ", &key);
  for (const lp::Tag& t : p.tags) {
    key.push_back(',');
    AppendEscaped(t.key, ",= ", &key);
    key.push_back('=');
    AppendEscaped(t.value, ",= ", &key);
  }
  return key;
}

// The series identity and labels of one line, owned for the engine call.
struct LineSeries {
  std::string device;
  LabelSet labels;
};

LineSeries SeriesOf(const lp::Point& p) {
  LineSeries s;
  s.labels.reserve(p.tags.size() + 1);
  s.labels.push_back({std::string(kMeasurementLabel), std::string(p.measurement)});
  for (const lp::Tag& t : p.tags) {
    if (t.key == kDeviceTag) {
      s.device = std::string(t.value);
    } else {
      s.labels.push_back({std::string(t.key), std::string(t.value)});
    }
  }
  // "_measurement" sorts before letters and digits but not before every
  // byte: keep the set sorted whatever the tag keys are.
  std::sort(s.labels.begin(), s.labels.end(),
            [](const tsdb::Label& a, const tsdb::Label& b) { return a.key < b.key; });
  if (s.device.empty()) s.device = SeriesKey(p);
  return s;
}

// The value of a field, or the reason it cannot be stored.
bool ValueOf(const lp::FieldValue& v, PointValue* out, std::string* reason) {
  switch (v.type) {
    case lp::FieldType::kFloat:
      *out = v.f;
      return true;
    case lp::FieldType::kInteger:
      *out = v.i;
      return true;
    case lp::FieldType::kUnsigned:
      if (v.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *reason = absl::StrCat("unsigned value ", v.u, " is over 9223372036854775807, the largest "
                               "integer stored");
        return false;
      }
      *out = static_cast<int64_t>(v.u);
      return true;
    case lp::FieldType::kString:
      *out = std::string(v.s);
      return true;
    case lp::FieldType::kBoolean:
      *out = v.b;
      return true;
  }
  return false;
}

std::string_view KindName(tsdb::ValueKind kind) {
  switch (kind) {
    case tsdb::ValueKind::kFloat:
      return "float";
    case tsdb::ValueKind::kInt:
      return "integer";
    case tsdb::ValueKind::kBool:
      return "boolean";
    case tsdb::ValueKind::kText:
      return "string";
  }
  return "unknown";
}

// The points of a body, and which line each came from.
struct Batch {
  std::deque<LineSeries> series;  // stable addresses for the views below
  std::deque<std::string> arena;  // names the parser unescaped (not in the body)
  std::vector<PointInput> points;
  std::vector<size_t> line_of;         // per point: index into `lines`
  std::vector<size_t> lines;           // body line numbers of the lines kept
};

// The engine's label rules (engine.h), checked per line so that one bad
// line does not refuse the body: at most 64 labels, keys and values 1 to
// 256 bytes, "_measurement" not a tag key.
constexpr size_t kMaxLabels = 64;

std::optional<std::string> LabelProblem(const LabelSet& labels) {
  if (labels.size() > kMaxLabels) {
    return absl::StrCat(labels.size() - 1, " tags, over the limit of ", kMaxLabels - 1);
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const tsdb::Label& l = labels[i];
    if (i > 0 && labels[i - 1].key == l.key) {
      return absl::StrCat("tag key \"", l.key, "\" is reserved");
    }
    if (l.key.size() > tsdb::kMaxNameBytes || l.value.size() > tsdb::kMaxNameBytes) {
      return absl::StrCat("tag \"", l.key, "\" is over ", tsdb::kMaxNameBytes, " bytes");
    }
  }
  return std::nullopt;
}

// Checks every point against the engine's catalog (the slow path, taken
// only when the engine refused the whole call): returns the reason per
// refused line, by index into batch.lines.
absl::flat_hash_map<size_t, std::string> RefusedLines(const Engine& engine, uint64_t enterprise,
                                                      uint64_t limit, const Batch& batch) {
  absl::flat_hash_map<size_t, std::string> refused;
  absl::flat_hash_map<std::string, tsdb::ValueKind> fresh;  // new series of this body
  uint64_t series = engine.SeriesCount(enterprise);
  for (size_t i = 0; i < batch.points.size(); ++i) {
    const PointInput& p = batch.points[i];
    const size_t line = batch.line_of[i];
    if (refused.contains(line)) continue;
    if (p.device.size() > tsdb::kMaxNameBytes) {
      refused[line] = absl::StrCat("device (or series key) is ", p.device.size(),
                                   " bytes, over the limit of ", tsdb::kMaxNameBytes);
      continue;
    }
    if (p.property.size() > tsdb::kMaxNameBytes) {
      refused[line] = absl::StrCat("field key is ", p.property.size(), " bytes, over the limit of ",
                                   tsdb::kMaxNameBytes);
      continue;
    }
    if (std::optional<std::string> problem = LabelProblem(*p.labels)) {
      refused[line] = *std::move(problem);
      continue;
    }
    const tsdb::ValueKind kind = tsdb::KindOf(p.value);
    std::optional<tsdb::ValueKind> held;
    if (absl::StatusOr<tsdb::SeriesId> id = engine.Find(enterprise, p.device, p.property);
        id.ok()) {
      if (absl::StatusOr<tsdb::SeriesInfo> info = engine.Info(*id); info.ok()) held = info->kind;
    } else {
      std::string key = absl::StrCat(std::string(p.device), "\n", std::string(p.property));
      if (auto it = fresh.find(key); it != fresh.end()) {
        held = it->second;
      } else if (series >= limit) {
        refused[line] = absl::StrCat("enterprise ", enterprise, " has ", series,
                                     " series, the limit ([tsdb] max_series_per_enterprise)");
        continue;
      } else {
        ++series;
        fresh.emplace(std::move(key), kind);
      }
    }
    if (held.has_value() && *held != kind) {
      refused[line] = absl::StrCat("field \"", std::string(p.property), "\" is ",
                                   std::string(KindName(kind)), ", but its series (device \"",
                                   std::string(p.device), "\") holds ",
                                   std::string(KindName(*held)), " values");
    }
  }
  return refused;
}

// Keeps the points of lines not in `refused`; their line errors go to *errors.
void DropRefused(Batch* batch, const absl::flat_hash_map<size_t, std::string>& refused,
                 std::vector<lp::LineError>* errors) {
  std::vector<PointInput> kept;
  std::vector<size_t> kept_lines;
  kept.reserve(batch->points.size());
  kept_lines.reserve(batch->points.size());
  for (size_t i = 0; i < batch->points.size(); ++i) {
    if (refused.contains(batch->line_of[i])) continue;
    kept.push_back(std::move(batch->points[i]));
    kept_lines.push_back(batch->line_of[i]);
  }
  batch->line_of = std::move(kept_lines);
  for (const auto& [line, reason] : refused) {
    errors->push_back({batch->lines[line], 1, reason});
  }
  batch->points = std::move(kept);
}

// Builds the batch line by line as the parser reads them (no copy of the
// parse): views into the body are kept as they are, views into the
// parser's scratch (escaped names) copied to `arena`. Consecutive lines of
// one series (the common shape of a batch) share their LineSeries,
// compared by measurement and tags, without building a key.
class BatchSink final : public lp::LineSink {
 public:
  BatchSink(std::string_view body, uint64_t enterprise, Batch* batch,
            absl::flat_hash_map<size_t, std::string>* refused, std::vector<lp::LineError>* errors)
      : body_(body), enterprise_(enterprise), batch_(batch), refused_(refused), errors_(errors) {}

  void OnPoint(const lp::Point& line) override {
    const size_t index = batch_->lines.size();
    batch_->lines.push_back(line.line);
    if (batch_->series.empty() || !SameSeries(line)) {
      batch_->series.push_back(SeriesOf(line));
      previous_measurement_ = Own(line.measurement);
      previous_tags_.clear();
      for (const lp::Tag& t : line.tags) previous_tags_.push_back({Own(t.key), Own(t.value)});
    }
    const LineSeries& series = batch_->series.back();
    for (const lp::Field& field : line.fields) {
      PointInput& p = batch_->points.emplace_back();
      p.enterprise = enterprise_;
      p.device = series.device;
      p.property = Own(field.key);
      p.time_ms = line.time_ms;
      p.labels = &series.labels;
      std::string reason;
      if (!ValueOf(field.value, &p.value, &reason)) {
        batch_->points.pop_back();
        (*refused_)[index] = absl::StrCat("field \"", std::string(field.key), "\": ", reason);
        continue;
      }
      batch_->line_of.push_back(index);
    }
  }
  void OnError(lp::LineError error) override { errors_->push_back(std::move(error)); }

 private:
  bool SameSeries(const lp::Point& line) const {
    if (line.measurement != previous_measurement_ || line.tags.size() != previous_tags_.size()) {
      return false;
    }
    for (size_t i = 0; i < line.tags.size(); ++i) {
      if (line.tags[i].key != previous_tags_[i].key ||
          line.tags[i].value != previous_tags_[i].value) {
        return false;
      }
    }
    return true;
  }
  // A view that outlives the parse: into the body as it is, else a copy.
  std::string_view Own(std::string_view v) {
    if (v.empty() ||
        (v.data() >= body_.data() && v.data() + v.size() <= body_.data() + body_.size())) {
      return v;
    }
    return batch_->arena.emplace_back(v);
  }

  std::string_view body_;
  uint64_t enterprise_;
  Batch* batch_;
  absl::flat_hash_map<size_t, std::string>* refused_;
  std::vector<lp::LineError>* errors_;
  std::string_view previous_measurement_;
  std::vector<lp::Tag> previous_tags_;
};

// Each HTTP worker thread keeps its last call's per-point buffers (their
// capacity) for the next: a 10,000-line body is about 140,000 points,
// 13 MB, that the allocator would otherwise map and the kernel zero again
// on every call. Buffers of more than kKeepPoints points (about 25 MB)
// are let go.
constexpr size_t kKeepPoints = size_t{1} << 18;

struct Scratch {
  std::vector<PointInput> points;
  std::vector<size_t> line_of, lines;
};

// Lends the thread's buffers to `batch` for one call and takes them back.
class ScratchLoan {
 public:
  explicit ScratchLoan(Batch* batch) : batch_(batch) {
    batch_->points.swap(scratch_.points);
    batch_->line_of.swap(scratch_.line_of);
    batch_->lines.swap(scratch_.lines);
  }
  ~ScratchLoan() {
    batch_->points.clear();
    batch_->line_of.clear();
    batch_->lines.clear();
    if (batch_->points.capacity() > kKeepPoints) return;
    batch_->points.swap(scratch_.points);
    batch_->line_of.swap(scratch_.line_of);
    batch_->lines.swap(scratch_.lines);
  }
  ScratchLoan(const ScratchLoan&) = delete;
  ScratchLoan& operator=(const ScratchLoan&) = delete;

 private:
  static thread_local Scratch scratch_;
  Batch* batch_;
};
thread_local Scratch ScratchLoan::scratch_;

}  // namespace

absl::StatusOr<LineWriteOutcome> WriteLines(Engine& engine, uint64_t enterprise,
                                            std::string_view body,
                                            const lp::ParseOptions& options,
                                            uint64_t max_series) {
  LineWriteOutcome outcome;
  Batch batch;
  ScratchLoan loan(&batch);
  // About one line per 60 bytes of body, a point per field.
  batch.points.reserve(std::min<size_t>(body.size() / 10, options.limits.max_lines * 4));
  absl::flat_hash_map<size_t, std::string> refused;
  BatchSink sink(body, enterprise, &batch, &refused, &outcome.errors);
  outcome.truncated = lp::ParseLines(body, options, sink).truncated;
  if (!refused.empty()) DropRefused(&batch, refused, &outcome.errors);

  absl::Status written = engine.Write(batch.points);
  // Refusals of the whole call name one point; find every refused line,
  // drop them and write the rest. Another writer may create a series in
  // between: a second refusal is retried once more.
  for (int attempt = 0; !written.ok() && attempt < 2; ++attempt) {
    if (written.code() != absl::StatusCode::kInvalidArgument &&
        written.code() != absl::StatusCode::kFailedPrecondition &&
        written.code() != absl::StatusCode::kResourceExhausted) {
      break;
    }
    DropRefused(&batch, RefusedLines(engine, enterprise, max_series, batch), &outcome.errors);
    written = engine.Write(batch.points);
  }
  if (!written.ok()) return written;

  std::sort(outcome.errors.begin(), outcome.errors.end(),
            [](const lp::LineError& a, const lp::LineError& b) { return a.line < b.line; });
  outcome.points = batch.points.size();
  // Points are in line order: distinct consecutive indices count the lines.
  for (size_t i = 0; i < batch.line_of.size(); ++i) {
    if (i == 0 || batch.line_of[i] != batch.line_of[i - 1]) ++outcome.lines;
  }
  return outcome;
}

}  // namespace qilian::platform::telemetry
