#include "platform/tsdb/engine/engine.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/bytes.h"
#include "platform/tsdb/codec/crc32c.h"
#include "platform/tsdb/engine/engine_internal.h"
#include "platform/tsdb/engine/wal_record.h"

namespace qilian::platform::tsdb {
namespace engine_internal {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

std::string Be64(uint64_t v) {
  std::string out;
  ByteWriter(&out).WriteU64(v);
  return out;
}
uint64_t BiasTime(int64_t t) { return static_cast<uint64_t>(t) ^ kSignBit; }
int64_t UnbiasTime(uint64_t v) { return static_cast<int64_t>(v ^ kSignBit); }

std::string SeriesMetaKey(SeriesId id) { return std::string(kSeriesPrefix) + Be64(id); }
std::string SealKey(SeriesId id) { return std::string(kSealPrefix) + Be64(id); }
std::string FloorKey(SeriesId id) { return std::string(kFloorPrefix) + Be64(id); }
std::string BlockPrefix(SeriesId id) { return std::string(kBlockPrefix) + Be64(id) + "/"; }
std::string BlockKey(SeriesId id, int64_t first) {
  return absl::StrCat(BlockPrefix(id), Be64(BiasTime(first)));
}
std::string IndexPrefix(SeriesId id) { return std::string(kIndexPrefix) + Be64(id) + "/"; }
void PutBlock(store::WriteBatch* batch, SeriesId id, int64_t first, std::string_view bytes) {
  batch->Put(kTsdbSpace, BlockKey(id, first), bytes);
  batch->Put(kTsdbSpace, IndexPrefix(id) + Be64(BiasTime(first)), "");
}
void DeleteBlock(store::WriteBatch* batch, SeriesId id, int64_t first) {
  batch->Delete(kTsdbSpace, BlockKey(id, first));
  batch->Delete(kTsdbSpace, IndexPrefix(id) + Be64(BiasTime(first)));
}
std::string ColumnPrefix(uint64_t enterprise, std::string_view device) {
  std::string out(kColumnPrefix);
  ByteWriter w(&out);
  w.WriteU64(enterprise);
  w.WriteU32(Crc32c(device));
  return out;
}
std::string ColumnKey(uint64_t enterprise, std::string_view device, int64_t last,
                      uint64_t column) {
  return absl::StrCat(ColumnPrefix(enterprise, device), Be64(BiasTime(last)), Be64(column));
}
std::string RollupPrefix(SeriesId id, Resolution r) {
  return absl::StrCat(r == Resolution::k1m ? "r1m/" : "r1h/", Be64(id), "/");
}
std::string RollupKey(SeriesId id, Resolution r, int64_t chunk_start) {
  return absl::StrCat(RollupPrefix(id, r), Be64(BiasTime(chunk_start)));
}

PointValue ValueAt(const Values& values, size_t i) {
  return std::visit([&](const auto& column) -> PointValue { return column[i]; }, values);
}
Values EmptyValues(ValueKind kind) {
  switch (kind) {
    case ValueKind::kFloat:
      return std::vector<double>();
    case ValueKind::kInt:
      return std::vector<int64_t>();
    case ValueKind::kBool:
      return std::vector<bool>();
    case ValueKind::kText:
      return std::vector<std::string>();
  }
  return std::vector<double>();
}
std::vector<Point> ToPoints(const std::vector<int64_t>& ts, const Values& values) {
  std::vector<Point> out;
  out.reserve(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out.push_back({ts[i], ValueAt(values, i)});
  return out;
}

std::vector<Point> MergePoints(std::vector<Point> older, std::vector<Point> newer) {
  std::vector<Point> out;
  out.reserve(older.size() + newer.size());
  size_t i = 0, j = 0;
  while (i < older.size() || j < newer.size()) {
    if (j == newer.size() || (i < older.size() && older[i].time_ms < newer[j].time_ms)) {
      out.push_back(std::move(older[i++]));
    } else {
      if (i < older.size() && older[i].time_ms == newer[j].time_ms) ++i;
      out.push_back(std::move(newer[j++]));
    }
  }
  return out;
}

void InsertSorted(std::vector<int64_t>* v, int64_t x) {
  auto it = std::lower_bound(v->begin(), v->end(), x);
  if (it == v->end() || *it != x) v->insert(it, x);
}
void EraseSorted(std::vector<int64_t>* v, int64_t x) {
  auto it = std::lower_bound(v->begin(), v->end(), x);
  if (it != v->end() && *it == x) v->erase(it);
}

}  // namespace engine_internal

namespace {

using namespace engine_internal;  // NOLINT(build/namespaces): the engine's own
                                  // helpers

// enterprise (u64) · device length (u32) · device · property, into *out
// (its capacity reused: no allocation per point).
void PutSeriesLookupKey(uint64_t enterprise, std::string_view device, std::string_view property,
                        std::string* out) {
  out->clear();
  ByteWriter w(out);
  w.WriteU64(enterprise);
  w.WriteLengthPrefixed(device);
  w.WriteBytes(property);
}
std::string SeriesLookupKey(uint64_t enterprise, std::string_view device,
                            std::string_view property) {
  std::string out;
  PutSeriesLookupKey(enterprise, device, property, &out);
  return out;
}
// Device and property sizes and a text value's size, as Write requires.
absl::Status CheckPoint(const PointInput& p, size_t i) {
  if (p.device.empty() || p.device.size() > kMaxNameBytes || p.property.empty() ||
      p.property.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrFormat("point %d: device and property must be 1 to %d bytes", i, kMaxNameBytes));
  }
  if (const auto* text = std::get_if<std::string>(&p.value);
      text != nullptr && text->size() > kMaxTextValueBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "point %d: a text value is %d bytes, over %d", i, text->size(), kMaxTextValueBytes));
  }
  return absl::OkStatus();
}
std::string WalKey(uint64_t seq) { return std::string(kWalPrefix) + Be64(seq); }

std::string SeriesName(SeriesId id, uint64_t enterprise, std::string_view device,
                       std::string_view property) {
  return absl::StrFormat("series %d (enterprise %d, device \"%s\", property \"%s\")", id,
                         enterprise, device, property);
}

// The value column as points and back.
void AppendValue(Values& values, const PointValue& v) {
  std::visit(
      [&](auto& column) {
        using T = typename std::decay_t<decltype(column)>::value_type;
        column.push_back(std::get<T>(v));
      },
      values);
}
ValuesView ViewOf(const Values& values) {
  return std::visit(
      [](const auto& column) -> ValuesView {
        using V = std::decay_t<decltype(column)>;
        if constexpr (std::is_same_v<V, std::vector<bool>>) {
          return std::cref(column);
        } else {
          return std::span(column);
        }
      },
      values);
}
// (time, index into the call's points), sorted by time; of equal times the
// last index stays (last write wins within a call).
void SortDedupe(std::vector<std::pair<int64_t, uint32_t>>& v) {
  // Usually already so (a series' points in time order within a call).
  if (std::adjacent_find(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.first >= b.first;
      }) == v.end()) {
    return;
  }
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t out = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (out > 0 && v[out - 1].first == v[i].first) {
      v[out - 1] = v[i];
    } else {
      v[out++] = v[i];
    }
  }
  v.resize(out);
}

// A label set as stored after the property in `series/`: count (u32), then
// each key and value length-prefixed (u32).
void PutLabels(ByteWriter& w, const LabelSet& labels) {
  w.WriteU32(static_cast<uint32_t>(labels.size()));
  for (const Label& l : labels) {
    w.WriteLengthPrefixed(l.key);
    w.WriteLengthPrefixed(l.value);
  }
}
// A record written before labels ends after the property: no labels.
bool ReadLabels(ByteReader& r, LabelSet* labels) {
  if (r.at_end()) return r.ok();
  uint32_t n = r.ReadU32();
  if (n > kMaxLabels) r.Fail();
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    std::string key(r.ReadLengthPrefixed(kMaxLabelBytes));
    std::string value(r.ReadLengthPrefixed(kMaxLabelBytes));
    labels->push_back({std::move(key), std::move(value)});
  }
  return r.ok();
}

absl::Status ValidateLabels(const LabelSet& labels, size_t point) {
  if (labels.size() > kMaxLabels) {
    return absl::InvalidArgumentError(
        absl::StrFormat("point %d: %d labels, over %d", point, labels.size(), kMaxLabels));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    if (l.key.empty() || l.key.size() > kMaxLabelBytes || l.value.empty() ||
        l.value.size() > kMaxLabelBytes) {
      return absl::InvalidArgumentError(
          absl::StrFormat("point %d: label \"%s\": key and value must be 1 to %d bytes", point,
                          l.key.substr(0, kMaxLabelBytes), kMaxLabelBytes));
    }
    if (i > 0 && labels[i - 1].key >= l.key) {
      return absl::InvalidArgumentError(
          absl::StrFormat("point %d: label keys must be sorted and unique "
                          "(\"%s\" after \"%s\")",
                          point, l.key, labels[i - 1].key));
    }
  }
  return absl::OkStatus();
}

size_t TextBytes(const PointValue& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s == nullptr ? 0 : s->size();
}

}  // namespace

ValueKind KindOf(const PointValue& value) { return static_cast<ValueKind>(value.index() + 1); }

Engine::Engine(store::KvStore* store, const EngineOptions& options)
    : store_(store),
      options_(options),
      pool_(std::make_unique<WorkPool>(options.seal_threads == SIZE_MAX ? WorkPool::DefaultThreads()
                                                                       : options.seal_threads)) {
  options_.max_points_per_block =
      std::clamp<size_t>(options_.max_points_per_block, 1, kMaxPointsPerBlock);
  options_.max_wal_records = std::max<uint64_t>(options_.max_wal_records, 1);
}

Engine::~Engine() = default;

absl::StatusOr<std::unique_ptr<Engine>> Engine::Open(store::KvStore* store,
                                                     const EngineOptions& options) {
  std::unique_ptr<Engine> engine(new Engine(store, options));
  if (absl::Status st = engine->Load(); !st.ok()) return st;
  return engine;
}

namespace {
constexpr int64_t kHourMs = 3600 * 1000;

// Notes that write `seq` raised the head's newest time to new_max.
void NoteNewest(std::vector<std::pair<int64_t, uint64_t>>* marks, int64_t new_max, uint64_t seq) {
  const int64_t hour = SafeBucketStart(new_max, kHourMs);
  if (marks->empty() || hour > marks->back().first) marks->emplace_back(hour, seq);
}

// The oldest write with a point at or after `boundary` (at most the head's
// newest time once write `seq` is in) in a head with these marks.
uint64_t HeadSeqFrom(const std::vector<std::pair<int64_t, uint64_t>>& marks, int64_t boundary,
                     uint64_t seq) {
  for (const auto& [hour, from] : marks) {
    if (hour >= boundary) return from;
  }
  return seq;  // past every mark: write `seq` raised the newest time over it
}
}  // namespace

void Engine::MergeIntoHead(Series* s, std::vector<Point> fresh, uint64_t seq) {
  if (fresh.empty()) return;
  if (s->head_ts.empty()) {
    s->head_min_seq = seq;
    s->hour_marks.clear();
  }
  if (s->head_ts.empty() || fresh.back().time_ms > s->head_ts.back()) {
    NoteNewest(&s->hour_marks, fresh.back().time_ms, seq);
  }
  if (s->head_ts.empty() || fresh.front().time_ms > s->head_ts.back()) {
    for (Point& p : fresh) {
      s->head_ts.push_back(p.time_ms);
      AppendValue(s->head_values, p.value);
    }
    return;
  }
  // Only the head's points from the first fresh one on are merged (calls
  // that arrive a little out of order touch their own stretch, not the
  // whole head).
  const size_t keep = static_cast<size_t>(
      std::lower_bound(s->head_ts.begin(), s->head_ts.end(), fresh.front().time_ms) -
      s->head_ts.begin());
  std::vector<Point> tail;
  tail.reserve(s->head_ts.size() - keep);
  for (size_t i = keep; i < s->head_ts.size(); ++i) {
    tail.push_back({s->head_ts[i], ValueAt(s->head_values, i)});
  }
  s->head_ts.resize(keep);
  std::visit([keep](auto& column) { column.resize(keep); }, s->head_values);
  for (Point& p : MergePoints(std::move(tail), std::move(fresh))) {
    s->head_ts.push_back(p.time_ms);
    AppendValue(s->head_values, p.value);
  }
}

// Scans the records under `prefix` from `start`; the first error `visit`
// returns stops the scan and is returned.
absl::Status Engine::ScanRecords(
    std::string_view prefix, std::string_view start,
    const std::function<absl::Status(std::string_view, std::string_view)>& visit) const {
  absl::Status error;
  absl::Status st =
      store_->Scan(kTsdbSpace, prefix, start, [&](std::string_view key, std::string_view value) {
        error = visit(key.substr(prefix.size()), value);
        return error.ok();
      });
  return st.ok() ? error : st;
}

absl::Status Engine::Load() {
  if (absl::Status st = LoadSeries(); !st.ok()) return st;
  if (absl::Status st = BuildIndexEntries(); !st.ok()) return st;
  if (absl::Status st = SplitWideRollupChunks(); !st.ok()) return st;
  if (absl::Status st = LoadSealsAndFloors(); !st.ok()) return st;
  std::string ckpt;
  absl::Status st = store_->Get(kTsdbSpace, kCheckpointKey, &ckpt);
  if (st.ok()) {
    ByteReader r(ckpt);
    checkpoint_ = r.ReadU64();
    if (!r.ok()) return absl::DataLossError("tsdb: bad checkpoint");
  } else if (!absl::IsNotFound(st)) {
    return st;
  }
  next_seq_ = checkpoint_;
  std::string next_column;
  st = store_->Get(kTsdbSpace, kNextColumnKey, &next_column);
  if (st.ok()) {
    ByteReader r(next_column);
    next_column_ = r.ReadU64();
    if (!r.ok() || next_column_ == 0) return absl::DataLossError("tsdb: bad next column id");
  } else if (!absl::IsNotFound(st)) {
    return st;
  }
  if (absl::Status st = MoveLegacyWal(); !st.ok()) return st;
  return ReplayWal();
}

absl::Status Engine::LoadSeries() {
  absl::Status st =
      ScanRecords(kSeriesPrefix, "", [&](std::string_view key, std::string_view value) {
        ByteReader k(key);
        SeriesId id = k.ReadU64();
        ByteReader r(value);
        auto s = std::make_unique<Series>();
        uint8_t kind = r.ReadU8();
        s->info.id = id;
        s->info.enterprise = r.ReadU64();
        s->info.device = std::string(r.ReadLengthPrefixed(kMaxNameBytes));
        s->info.property = std::string(r.ReadLengthPrefixed(kMaxNameBytes));
        ReadLabels(r, &s->info.labels);
        if (!k.ok() || !r.ok() || !r.at_end() || kind < 1 || kind > 4 || id != series_.size() + 1) {
          return absl::DataLossError(absl::StrCat("tsdb: bad series record ", id));
        }
        s->info.kind = static_cast<ValueKind>(kind);
        s->head_values = EmptyValues(s->info.kind);
        s->lookup_key = SeriesLookupKey(s->info.enterprise, s->info.device, s->info.property);
        by_key_[s->lookup_key] = id;
        ++per_enterprise_[s->info.enterprise];
        series_.push_back(std::move(s));
        return absl::OkStatus();
      });
  next_id_ = series_.size() + 1;
  return st;
}

absl::Status Engine::LoadSealsAndFloors() {
  absl::Status st = ScanRecords(kSealPrefix, "", [&](std::string_view key, std::string_view value) {
    ByteReader k(key);
    Series* s = Lookup(k.ReadU64());
    ByteReader r(value);
    int64_t last = UnbiasTime(r.ReadU64());
    int64_t first = UnbiasTime(r.ReadU64());
    // Watermarks follow since rollups; older records have none.
    int64_t rolled_1m = r.at_end() ? kNoTime : UnbiasTime(r.ReadU64());
    int64_t rolled_1h = r.at_end() ? kNoTime : UnbiasTime(r.ReadU64());
    if (s == nullptr || !k.ok() || !r.ok() || !r.at_end()) {
      return absl::DataLossError("tsdb: bad seal record");
    }
    s->has_blocks = true;
    s->sealed_last = last;
    s->last_block_first = first;
    s->rolled[0] = rolled_1m;
    s->rolled[1] = rolled_1h;
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return ScanRecords(kFloorPrefix, "", [&](std::string_view key, std::string_view value) {
    ByteReader k(key);
    Series* s = Lookup(k.ReadU64());
    ByteReader r(value);
    int64_t floor = UnbiasTime(r.ReadU64());
    if (s == nullptr || !k.ok() || !r.ok() || !r.at_end()) {
      return absl::DataLossError("tsdb: bad retention floor record");
    }
    s->floor_ms = floor;
    return absl::OkStatus();
  });
}

// Replays the WAL from the checkpoint into the heads. A point at or before
// its series' sealed_last is already in a block (it was merged there, or
// its head was sealed since); one before the retention floor was deleted.
absl::Status Engine::ReplayWal() {
  const std::string start = WalKey(checkpoint_);
  absl::Status error;
  absl::Status st = store_->Scan(
      kTsdbWalSpace, kWalPrefix, start, [&](std::string_view key, std::string_view value) {
        ByteReader k(key.substr(kWalPrefix.size()));
        uint64_t seq = k.ReadU64();
        absl::flat_hash_map<Series*, std::vector<Point>> fresh;
        absl::Status decoded =
            DecodeWalRecord(value, [&](SeriesId id, int64_t t, PointValue v) {
              Series* s = Lookup(id);
              if (s == nullptr || KindOf(v) != s->info.kind) return false;
              if ((s->has_blocks && t <= s->sealed_last) || t < s->floor_ms) return true;
              fresh[s].push_back({t, std::move(v)});
              return true;
            });
        if (!k.ok() || !decoded.ok()) {
          error = absl::DataLossError(absl::StrCat("tsdb: bad WAL record ", seq));
          return false;
        }
        for (auto& [s, pts] : fresh) {
          // Sort, last of equal times wins (stable).
          std::stable_sort(pts.begin(), pts.end(),
                           [](const Point& a, const Point& b) { return a.time_ms < b.time_ms; });
          std::vector<Point> unique;
          for (Point& p : pts) {
            if (!unique.empty() && unique.back().time_ms == p.time_ms) {
              unique.back() = std::move(p);
            } else {
              unique.push_back(std::move(p));
            }
          }
          MergeIntoHead(s, std::move(unique), seq);
        }
        next_seq_ = seq + 1;
        return true;
      });
  return st.ok() ? error : st;
}

// A store from before kTsdbWalSpace kept its WAL records in kTsdbSpace:
// each is moved (as is: the decoder reads both versions) in the same batch
// as its deletion, a few at a time, so an interrupted move resumes.
absl::Status Engine::MoveLegacyWal() {
  constexpr size_t kRecordsPerBatch = 16;
  for (;;) {
    store::WriteBatch batch;
    size_t moved = 0;
    absl::Status st =
        store_->Scan(kTsdbSpace, kWalPrefix, "", [&](std::string_view key, std::string_view value) {
          batch.Put(kTsdbWalSpace, key, value);
          batch.Delete(kTsdbSpace, key);
          return ++moved < kRecordsPerBatch;
        });
    if (!st.ok()) return st;
    if (moved == 0) return absl::OkStatus();
    if (st = store_->Write(batch); !st.ok()) return st;
  }
}

absl::Status Engine::BuildIndexEntries() {
  std::string ready;
  absl::Status st = store_->Get(kTsdbSpace, kIndexReadyKey, &ready);
  if (!absl::IsNotFound(st)) return st;
  // Once, for a store written before the index: an entry per block, in
  // bounded batches (not written while scanning); the marker last, so an
  // interrupted build starts over.
  std::string from;
  for (;;) {
    store::WriteBatch batch;
    std::string last;
    st = store_->Scan(kTsdbSpace, kBlockPrefix, from, [&](std::string_view key, std::string_view) {
      batch.Put(kTsdbSpace, std::string(kIndexPrefix) += key.substr(kBlockPrefix.size()), "");
      last = key;
      return batch.size() < kRetentionBatchKeys;
    });
    if (!st.ok()) return st;
    if (batch.size() < kRetentionBatchKeys) {
      batch.Put(kTsdbSpace, kIndexReadyKey, "");
      return store_->Write(batch);
    }
    if (st = store_->Write(batch); !st.ok()) return st;
    from = last + '\0';
  }
}

Engine::Series* Engine::Lookup(SeriesId id) const {
  std::shared_lock lock(catalog_mu_);
  if (id == 0 || id > series_.size()) return nullptr;
  return series_[id - 1].get();
}

absl::Status Engine::EncodeChunks(SeriesId id, ValueKind kind, std::span<const Point> points,
                                  store::WriteBatch* batch, std::vector<int64_t>* firsts,
                                  uint64_t shared_column) {
  size_t i = 0;
  while (i < points.size()) {
    std::vector<int64_t> ts;
    Values values = EmptyValues(kind);
    size_t text = 0;
    while (i < points.size() && ts.size() < options_.max_points_per_block) {
      size_t bytes = TextBytes(points[i].value);
      if (!ts.empty() && text + bytes > kMaxTextBytesPerBlock / 2) break;
      text += bytes;
      ts.push_back(points[i].time_ms);
      AppendValue(values, points[i].value);
      ++i;
    }
    // A shared column holds exactly these timestamps (the caller shares
    // only points that make one block).
    absl::StatusOr<std::string> block =
        EncodeBlock(kind, ts, ViewOf(values), options_.encode,
                    ts.size() == points.size() ? shared_column : 0);
    if (!block.ok()) return block.status();
    PutBlock(batch, id, ts.front(), *block);
    firsts->push_back(ts.front());
  }
  return absl::OkStatus();
}

absl::Status Engine::MergeLate(Series* s, std::vector<std::pair<int64_t, uint32_t>>& late,
                               std::span<const PointInput> points, store::WriteBatch* batch,
                               Pending* pending) {
  if (absl::Status st = EnsureIndex(s); !st.ok()) return st;
  const std::vector<int64_t>& firsts = s->block_firsts;
  pending->late_points.reserve(late.size());
  for (const auto& [t, index] : late) pending->late_points.push_back({t, points[index].value});
  pending->blocks_changed = true;
  pending->sealed_last = s->sealed_last;
  if (firsts.empty()) {
    // Retention deleted every block: the late points make new ones.
    absl::Status st =
        EncodeChunks(s->info.id, s->info.kind, pending->late_points, batch, &pending->index_insert);
    if (st.ok()) pending->last_block_first = pending->index_insert.back();
    return st;
  }
  // Each late point goes to the block with the largest first time <= it, or
  // the first block when it is older than all of them.
  absl::flat_hash_map<size_t, std::vector<Point>> by_block;
  for (const Point& p : pending->late_points) {
    auto it = std::upper_bound(firsts.begin(), firsts.end(), p.time_ms);
    size_t b = it == firsts.begin() ? 0 : static_cast<size_t>(it - firsts.begin()) - 1;
    by_block[b].push_back(p);
  }
  int64_t last_first = s->last_block_first;
  for (auto& [b, newer] : by_block) {
    std::string key = BlockKey(s->info.id, firsts[b]);
    std::string bytes;
    if (absl::Status st = store_->Get(kTsdbSpace, key, &bytes); !st.ok()) return st;
    absl::StatusOr<Block> old = LoadBlock(s, bytes);
    if (!old.ok()) return old.status();
    std::vector<Point> merged = MergePoints(ToPoints(old->timestamps, old->values), newer);
    DeleteBlock(batch, s->info.id, firsts[b]);
    pending->index_erase.push_back(firsts[b]);
    if (absl::Status e =
            EncodeChunks(s->info.id, s->info.kind, merged, batch, &pending->index_insert);
        !e.ok()) {
      return e;
    }
    if (b + 1 == firsts.size()) last_first = pending->index_insert.back();
  }
  pending->last_block_first = last_first;
  return absl::OkStatus();
}

namespace {
// The call's WAL record (wal_record.h); `of` names each point's series.
template <typename SeriesPtr>
void EncodeWal(std::span<const PointInput> points, const std::vector<SeriesPtr>& of,
               std::string* out) {
  out->reserve(points.size() * 14 + 16);
  WalRecordWriter w(out, points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    w.Add(of[i]->info.id, points[i].time_ms, points[i].value);
  }
}
}  // namespace

// One Write call: the batch it builds, and what changes in memory once the
// store has taken it. Each step is one job; Write runs them in order under
// the writer lock.
struct Engine::WriteCall {
  // (time, index into points) of one series, by time, one per time.
  using Group = std::pair<Series*, std::vector<std::pair<int64_t, uint32_t>>>;

  WriteCall(Engine& engine, std::span<const PointInput> points, std::vector<Series*> found,
            std::string* wal, std::vector<Group> grouped)
      : e(engine),
        points(points),
        seq(engine.next_seq_),
        next_column(engine.next_column_),
        wal(wal),
        of(std::move(found)),
        groups(std::move(grouped)) {}

  // The points by series (of[i] is point i's), in order of first point.
  static std::vector<Group> GroupBySeries(std::span<const PointInput> points,
                                          const std::vector<Series*>& of);

  absl::Status ResolveSeries();
  void PutWalRecord();
  void PutNewSeries();
  void Partition();
  absl::Status MergeAndSeal();
  absl::Status SealPinningHeads();
  // Seals, as they are, the heads holding points from WAL records before
  // keep_from.
  absl::Status SealHeadsBefore(uint64_t keep_from);
  absl::Status EncodeSealsAndRollups();
  absl::Status ShareTimestamps(const std::vector<Pending*>& changed);
  void PutCheckpoint();
  void Apply();

  absl::StatusOr<Series*> CreateSeries(size_t i, const std::string& key);
  Pending& PendingOf(Series* s);
  void Seal(Pending& pd, std::vector<Point> merged);
  void SealBefore(Pending& pd, std::vector<Point> merged, int64_t boundary);

  Engine& e;
  const std::span<const PointInput> points;
  const uint64_t seq;
  uint64_t next_column;  // the id of the next shared timestamp column
  std::string* wal;  // the WAL record, when encoded before the lock; else empty
  store::WriteBatch batch;
  // New series, registered only once the batch is stored.
  std::vector<std::unique_ptr<Series>> created;
  absl::flat_hash_map<std::string, Series*> created_by_key;
  absl::flat_hash_map<uint64_t, uint64_t> created_per_enterprise;
  std::vector<Series*> of;  // each point's series (those found before the lock, then all)
  std::vector<Group> groups;  // made before the lock when every series existed
  absl::flat_hash_map<Series*, size_t> slot;  // index into pending
  std::vector<Pending> pending;
  bool any_sealed = false;
  uint64_t late_count = 0;
  uint64_t rollup_buckets = 0;
  uint64_t checkpoint = 0;
};

// Checks each point and finds its series, or makes a new one; points
// found before the lock (of[i] set) were checked then.
absl::Status Engine::WriteCall::ResolveSeries() {
  std::string key;
  for (size_t i = 0; i < points.size(); ++i) {
    if (of[i] != nullptr) continue;
    const PointInput& p = points[i];
    if (absl::Status st = CheckPoint(p, i); !st.ok()) return st;
    PutSeriesLookupKey(p.enterprise, p.device, p.property, &key);
    Series* s = nullptr;
    {
      std::shared_lock lock(e.catalog_mu_);
      auto it = e.by_key_.find(key);
      if (it != e.by_key_.end()) s = e.series_[it->second - 1].get();
    }
    if (s == nullptr) {
      auto it = created_by_key.find(key);
      if (it != created_by_key.end()) {
        s = it->second;
      } else {
        absl::StatusOr<Series*> fresh = CreateSeries(i, key);
        if (!fresh.ok()) return fresh.status();
        s = *fresh;
      }
    }
    if (KindOf(p.value) != s->info.kind) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s holds %s values; point %d is %s",
          SeriesName(s->info.id, s->info.enterprise, s->info.device, s->info.property),
          ValueKindName(s->info.kind), i, ValueKindName(KindOf(p.value))));
    }
    of[i] = s;
  }
  return absl::OkStatus();
}

// A new series for point i, within its enterprise's limit, with the
// point's labels.
absl::StatusOr<Engine::Series*> Engine::WriteCall::CreateSeries(size_t i, const std::string& key) {
  const PointInput& p = points[i];
  uint64_t have;
  {
    std::shared_lock lock(e.catalog_mu_);
    auto it = e.per_enterprise_.find(p.enterprise);
    have = it == e.per_enterprise_.end() ? 0 : it->second;
  }
  uint64_t& more = created_per_enterprise[p.enterprise];
  if (have + more >= e.options_.max_series_per_enterprise) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("enterprise %d has %d series, the limit ([tsdb] "
                        "max_series_per_enterprise)",
                        p.enterprise, have + more));
  }
  if (p.labels != nullptr) {
    if (absl::Status st = ValidateLabels(*p.labels, i); !st.ok()) return st;
  }
  ++more;
  auto fresh = std::make_unique<Series>();
  fresh->info = {e.next_id_ + created.size(), p.enterprise,    std::string(p.device),
                 std::string(p.property),     KindOf(p.value), {}};
  if (p.labels != nullptr) fresh->info.labels = *p.labels;
  fresh->head_values = EmptyValues(fresh->info.kind);
  fresh->lookup_key = key;
  Series* s = fresh.get();
  created_by_key[key] = s;
  created.push_back(std::move(fresh));
  return s;
}

void Engine::WriteCall::PutWalRecord() {
  if (wal->empty()) EncodeWal(points, of, wal);
  batch.PutOwned(kTsdbWalSpace, WalKey(seq), std::move(*wal));
}

void Engine::WriteCall::PutNewSeries() {
  for (const auto& s : created) {
    std::string meta;
    ByteWriter w(&meta);
    w.WriteU8(static_cast<uint8_t>(s->info.kind));
    w.WriteU64(s->info.enterprise);
    w.WriteLengthPrefixed(s->info.device);
    w.WriteLengthPrefixed(s->info.property);
    PutLabels(w, s->info.labels);
    batch.Put(kTsdbSpace, std::string(kSidPrefix) + s->lookup_key, Be64(s->info.id));
    batch.Put(kTsdbSpace, SeriesMetaKey(s->info.id), meta);
  }
}

Engine::Pending& Engine::WriteCall::PendingOf(Series* s) {
  auto [it, inserted] = slot.try_emplace(s, pending.size());
  if (inserted) {
    pending.emplace_back();
    pending.back().s = s;
    pending.back().rolled[0] = s->rolled[0];
    pending.back().rolled[1] = s->rolled[1];
  }
  return pending[it->second];
}

std::vector<Engine::WriteCall::Group> Engine::WriteCall::GroupBySeries(
    std::span<const PointInput> points, const std::vector<Series*>& of) {
  std::vector<Group> groups;
  // Group slots by series id: an array when the ids are few against the
  // points (a big call), else a hash map (a small call on a big node).
  constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  SeriesId max_id = 0;
  for (const Series* s : of) max_id = std::max(max_id, s->info.id);
  const bool dense = max_id <= 4 * points.size() + 1024;
  std::vector<uint32_t> by_id(dense ? max_id + 1 : 0, kNone);
  absl::flat_hash_map<SeriesId, uint32_t> by_hash;
  for (size_t i = 0; i < points.size(); ++i) {
    const SeriesId id = of[i]->info.id;
    uint32_t& g = dense ? by_id[id] : by_hash.try_emplace(id, kNone).first->second;
    if (g == kNone) {
      g = static_cast<uint32_t>(groups.size());
      groups.emplace_back(of[i], std::vector<std::pair<int64_t, uint32_t>>());
    }
    groups[g].second.emplace_back(points[i].time_ms, static_cast<uint32_t>(i));
  }
  for (Group& g : groups) SortDedupe(g.second);
  return groups;
}

// Per series: late points (at or before sealed_last) go to blocks, the rest
// to the head; points older than the retention floor are dropped.
void Engine::WriteCall::Partition() {
  if (groups.empty()) groups = GroupBySeries(points, of);
  for (auto& [s, entries] : groups) {
    Pending& pd = PendingOf(s);
    auto by_time = [](const std::pair<int64_t, uint32_t>& a, int64_t t) { return a.first < t; };
    auto begin = std::lower_bound(entries.begin(), entries.end(), s->floor_ms, by_time);
    auto split = begin;
    if (s->has_blocks) {
      split = std::upper_bound(begin, entries.end(), s->sealed_last,
                               [](int64_t t, const auto& a) { return t < a.first; });
    }
    pd.late.assign(begin, split);
    if (split == entries.begin()) {
      pd.fresh = std::move(entries);
    } else {
      pd.fresh.assign(split, entries.end());
    }
  }
}

// Marks the head (with the call's fresh points) for sealing; the blocks are
// encoded by EncodeSealsAndRollups, side by side for every sealed series.
void Engine::WriteCall::Seal(Pending& pd, std::vector<Point> merged) {
  pd.sealed = true;
  pd.blocks_changed = true;
  pd.sealed_last = merged.back().time_ms;
  pd.sealed_points = std::move(merged);
  any_sealed = true;
}

// Seals the points before `boundary` (an hour start, some of the points
// before it) and keeps the rest as the head.
void Engine::WriteCall::SealBefore(Pending& pd, std::vector<Point> merged, int64_t boundary) {
  auto split = std::lower_bound(merged.begin(), merged.end(), boundary,
                                [](const Point& p, int64_t t) { return p.time_ms < t; });
  pd.kept_points.assign(std::make_move_iterator(split), std::make_move_iterator(merged.end()));
  merged.erase(split, merged.end());
  pd.kept_min_seq = HeadSeqFrom(pd.s->hour_marks, boundary, seq);
  pd.partial = true;
  pd.boundary = boundary;
  Seal(pd, std::move(merged));
  pd.sealed_last = boundary - 1;  // nothing in [last sealed point, boundary) is in the head
}

// Late points merged into their blocks; heads sealed when full or too long.
absl::Status Engine::WriteCall::MergeAndSeal() {
  for (Pending& pd : pending) {
    Series* s = pd.s;
    if (!pd.late.empty()) {
      SortDedupe(pd.late);
      late_count += pd.late.size();
      if (absl::Status st = e.MergeLate(s, pd.late, points, &batch, &pd); !st.ok()) return st;
    }
    if (pd.fresh.empty()) continue;
    SortDedupe(pd.fresh);
    pd.fresh_points.reserve(pd.fresh.size());
    for (const auto& [t, index] : pd.fresh) pd.fresh_points.push_back({t, points[index].value});
    int64_t first = pd.fresh.front().first;
    int64_t last = pd.fresh.back().first;
    if (!s->head_ts.empty()) {
      first = std::min(first, s->head_ts.front());
      last = std::max(last, s->head_ts.back());
    }
    bool full = s->head_ts.size() + pd.fresh.size() >= e.options_.max_points_per_block;
    bool long_span = static_cast<uint64_t>(last) - static_cast<uint64_t>(first) >=
                     static_cast<uint64_t>(e.options_.max_head_span_ms);
    if (!full && !long_span) continue;
    std::vector<Point> merged = MergePoints(ToPoints(s->head_ts, s->head_values), pd.fresh_points);
    if (merged.size() < e.options_.max_points_per_block && !long_span) continue;
    // A long head is sealed up to an hour boundary a margin before its
    // newest point (EngineOptions::seal_margin_ms), when that leaves
    // something to seal and a block's worth at most; a full one whole.
    const int64_t margin = std::max<int64_t>(e.options_.seal_margin_ms, 0);
    const int64_t boundary =
        last >= kNoTime + margin + kHourMs ? SafeBucketStart(last - margin, kHourMs) : kNoTime;
    const bool fits = std::lower_bound(merged.begin(), merged.end(), boundary,
                                       [](const Point& p, int64_t t) { return p.time_ms < t; }) -
                          merged.begin() <=
                      static_cast<ptrdiff_t>(e.options_.max_points_per_block);
    if (long_span && boundary > merged.front().time_ms && boundary != kNoTime && fits) {
      SealBefore(pd, std::move(merged), boundary);
    } else {
      Seal(pd, std::move(merged));
    }
  }
  return absl::OkStatus();
}

// Heads that pin the WAL too long (series gone quiet) are sealed as they
// are, so the WAL keeps at most about max_wal_records records.
absl::Status Engine::WriteCall::SealPinningHeads() {
  if (seq + 1 - e.checkpoint_ <= e.options_.max_wal_records) return absl::OkStatus();
  return SealHeadsBefore(seq + 1 - e.options_.max_wal_records / 2);
}

absl::Status Engine::WriteCall::SealHeadsBefore(uint64_t keep_from) {
  std::vector<Series*> pinning;
  {
    std::shared_lock lock(e.catalog_mu_);
    for (const auto& s : e.series_) {
      if (!s->head_ts.empty() && s->head_min_seq < keep_from) pinning.push_back(s.get());
    }
  }
  for (Series* s : pinning) {
    Pending& pd = PendingOf(s);
    if (pd.sealed) continue;
    Seal(pd, MergePoints(ToPoints(s->head_ts, s->head_values), pd.fresh_points));
  }
  return absl::OkStatus();
}

// The CPU-heavy part of a call, one job per series whose blocks changed,
// run side by side on the engine's pool (a call that crosses a block
// boundary seals every series of its devices at once): its sealed head
// encoded as blocks, and its rollups. Each job fills its series' own batch;
// they are appended to the call's in series order, each followed by the
// series' seal record with the watermarks its rollups moved.
absl::Status Engine::WriteCall::EncodeSealsAndRollups() {
  std::vector<Pending*> changed;
  for (Pending& pd : pending) {
    if (pd.blocks_changed) changed.push_back(&pd);
  }
  if (absl::Status st = ShareTimestamps(changed); !st.ok()) return st;
  std::vector<absl::Status> results(changed.size());
  e.pool_->ParallelFor(changed.size(), [&](size_t i) {
    Pending& pd = *changed[i];
    if (pd.sealed) {
      results[i] = e.EncodeChunks(pd.s->info.id, pd.s->info.kind, pd.sealed_points, &pd.batch,
                                  &pd.index_insert, pd.shared_column);
      if (!results[i].ok()) return;
      pd.last_block_first = pd.index_insert.back();
    }
    results[i] = e.UpdateRollups(&pd, &pd.batch);
  });
  for (size_t i = 0; i < changed.size(); ++i) {
    if (!results[i].ok()) return results[i];
    Pending& pd = *changed[i];
    batch.Append(std::move(pd.batch));
    rollup_buckets += pd.rollup_buckets;
    std::string seal;
    ByteWriter w(&seal);
    w.WriteU64(BiasTime(pd.sealed_last));
    w.WriteU64(BiasTime(pd.last_block_first));
    w.WriteU64(BiasTime(pd.rolled[0]));
    w.WriteU64(BiasTime(pd.rolled[1]));
    batch.Put(kTsdbSpace, SealKey(pd.s->info.id), seal);
  }
  return absl::OkStatus();
}

// The series of one device that this call seals with the same timestamps
// (every property of a line or an MQTT report shares its time) store them
// once: a column of their own, which each block names. Only seals that
// make one block, of numeric series, and groups of two or more.
absl::Status Engine::WriteCall::ShareTimestamps(const std::vector<Pending*>& changed) {
  using GroupKey = std::tuple<uint64_t, std::string_view, size_t, int64_t, int64_t>;
  absl::flat_hash_map<GroupKey, std::vector<std::vector<Pending*>>> candidates;
  for (Pending* pd : changed) {
    const std::vector<Point>& p = pd->sealed_points;
    if (!pd->sealed || pd->s->info.kind == ValueKind::kText ||
        p.size() > e.options_.max_points_per_block) {
      continue;
    }
    auto& groups = candidates[GroupKey{pd->s->info.enterprise, pd->s->info.device, p.size(),
                                       p.front().time_ms, p.back().time_ms}];
    auto same_times = [&](const std::vector<Pending*>& g) {
      const std::vector<Point>& q = g.front()->sealed_points;
      for (size_t i = 0; i < p.size(); ++i) {
        if (p[i].time_ms != q[i].time_ms) return false;
      }
      return true;
    };
    auto it = std::find_if(groups.begin(), groups.end(), same_times);
    if (it == groups.end()) {
      groups.push_back({pd});
    } else {
      it->push_back(pd);
    }
  }
  std::vector<std::vector<Pending*>*> shared;
  for (auto& [key, groups] : candidates) {
    for (auto& g : groups) {
      if (g.size() >= 2) shared.push_back(&g);
    }
  }
  if (shared.empty()) return absl::OkStatus();
  // In the order of the groups' first series, so that ids do not depend on
  // hash-map order.
  std::sort(shared.begin(), shared.end(), [](const auto* a, const auto* b) {
    return a->front()->s->info.id < b->front()->s->info.id;
  });
  std::vector<absl::StatusOr<std::string>> columns(shared.size());
  e.pool_->ParallelFor(shared.size(), [&](size_t i) {
    const std::vector<Point>& p = shared[i]->front()->sealed_points;
    std::vector<int64_t> ts(p.size());
    for (size_t k = 0; k < p.size(); ++k) ts[k] = p[k].time_ms;
    columns[i] = EncodeTimestampColumn(ts, e.options_.encode);
  });
  for (size_t i = 0; i < shared.size(); ++i) {
    if (!columns[i].ok()) return columns[i].status();
    const uint64_t id = next_column++;
    const Series* first = shared[i]->front()->s;
    batch.PutOwned(kTsdbSpace,
                   ColumnKey(first->info.enterprise, first->info.device,
                             shared[i]->front()->sealed_points.back().time_ms, id),
                   std::move(*columns[i]));
    for (Pending* pd : *shared[i]) pd->shared_column = id;
  }
  batch.Put(kTsdbSpace, kNextColumnKey, Be64(next_column));
  return absl::OkStatus();
}

// The oldest WAL record some head still needs after this call; the records
// below it are deleted.
void Engine::WriteCall::PutCheckpoint() {
  checkpoint = e.checkpoint_;
  if (!any_sealed) return;
  // SealAll writes no record: seq stays the next one.
  uint64_t need = points.empty() ? seq : seq + 1;
  {
    std::shared_lock lock(e.catalog_mu_);
    for (const auto& s : e.series_) {
      if (s->head_ts.empty()) continue;
      auto it = slot.find(s.get());
      if (it != slot.end() && pending[it->second].sealed) continue;  // below
      need = std::min(need, s->head_min_seq);
    }
  }
  for (const Pending& pd : pending) {
    if (!pd.sealed && !pd.fresh.empty()) need = std::min(need, seq);
    if (pd.partial && !pd.kept_points.empty()) need = std::min(need, pd.kept_min_seq);
  }
  if (need <= e.checkpoint_) return;
  for (uint64_t q = e.checkpoint_; q < need; ++q) batch.Delete(kTsdbWalSpace, WalKey(q));
  batch.Put(kTsdbSpace, kCheckpointKey, Be64(need));
  checkpoint = need;
}

// The store has taken the batch: new series, heads, seal state, the block
// index and the counters.
void Engine::WriteCall::Apply() {
  if (!created.empty()) {
    std::unique_lock lock(e.catalog_mu_);
    for (auto& s : created) {
      e.by_key_[s->lookup_key] = s->info.id;
      ++e.per_enterprise_[s->info.enterprise];
      e.series_.push_back(std::move(s));
    }
    e.next_id_ = e.series_.size() + 1;
  }
  uint64_t blocks = 0;
  for (const store::WriteBatch::Op& op : batch.ops()) {
    if (op.kind == store::WriteBatch::OpKind::kPut && op.key.starts_with(kBlockPrefix)) ++blocks;
  }
  for (Pending& pd : pending) {
    Series* s = pd.s;
    std::lock_guard lock(e.ShardOf(s->info.id));
    if (pd.sealed) {
      // Emptied, their capacity kept: the next head grows as large.
      s->head_ts.clear();
      std::visit([](auto& column) { column.clear(); }, s->head_values);
      s->head_min_seq = 0;
      if (pd.partial && !pd.kept_points.empty()) {
        NoteNewest(&s->hour_marks, pd.kept_points.back().time_ms, seq);
        std::erase_if(s->hour_marks, [&](const auto& m) { return m.first < pd.boundary; });
        for (Point& p : pd.kept_points) {
          s->head_ts.push_back(p.time_ms);
          AppendValue(s->head_values, p.value);
        }
        s->head_min_seq = pd.kept_min_seq;
      } else {
        s->hour_marks.clear();
      }
    } else {
      MergeIntoHead(s, std::move(pd.fresh_points), seq);
    }
    if (!pd.blocks_changed) continue;
    s->has_blocks = true;
    s->sealed_last = pd.sealed_last;
    s->last_block_first = pd.last_block_first;
    s->rolled[0] = pd.rolled[0];
    s->rolled[1] = pd.rolled[1];
    if (s->index_loaded) {
      for (int64_t first : pd.index_erase) EraseSorted(&s->block_firsts, first);
      for (int64_t first : pd.index_insert) InsertSorted(&s->block_firsts, first);
    }
  }
  e.next_seq_ = points.empty() ? seq : seq + 1;
  e.next_column_ = next_column;
  e.checkpoint_ = checkpoint;
  e.blocks_written_ += blocks;
  e.late_points_ += late_count;
  e.points_written_ += points.size();
  e.rollup_buckets_written_ += rollup_buckets;
}

absl::Status Engine::Write(std::span<const PointInput> points) {
  if (points.empty()) return absl::OkStatus();
  if (points.size() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("tsdb: too many points in one write");
  }
  // Before the lock, so that concurrent callers do it in parallel: check
  // the points and find their series (series are never removed, and a
  // kind never changes), stopping at the first point that fails; and when
  // every series exists, encode the WAL record (ids are final).
  std::vector<Series*> found(points.size(), nullptr);
  bool all_found = true;
  {
    std::string key;
    std::shared_lock lock(catalog_mu_);
    for (size_t i = 0; i < points.size(); ++i) {
      const PointInput& p = points[i];
      if (!CheckPoint(p, i).ok()) {
        all_found = false;
        break;
      }
      PutSeriesLookupKey(p.enterprise, p.device, p.property, &key);
      auto it = by_key_.find(key);
      if (it == by_key_.end()) {
        all_found = false;
        continue;
      }
      Series* s = series_[it->second - 1].get();
      if (KindOf(p.value) != s->info.kind) {
        all_found = false;
        break;
      }
      found[i] = s;
    }
  }
  std::string wal;
  std::vector<WriteCall::Group> groups;
  if (all_found) {
    EncodeWal(points, found, &wal);
    groups = WriteCall::GroupBySeries(points, found);
  }

  std::lock_guard write_lock(write_mu_);
  WriteCall call(*this, points, std::move(found), &wal, std::move(groups));
  if (absl::Status st = call.ResolveSeries(); !st.ok()) return st;
  call.PutWalRecord();
  call.PutNewSeries();
  call.Partition();
  if (absl::Status st = call.MergeAndSeal(); !st.ok()) return st;
  if (absl::Status st = call.SealPinningHeads(); !st.ok()) return st;
  if (absl::Status st = call.EncodeSealsAndRollups(); !st.ok()) return st;
  call.PutCheckpoint();
  if (absl::Status st = store_->Write(call.batch); !st.ok()) return st;
  call.Apply();
  return absl::OkStatus();
}

absl::Status Engine::SealAll() {
  std::lock_guard write_lock(write_mu_);
  std::string no_record;
  WriteCall call(*this, {}, {}, &no_record, {});
  if (absl::Status st = call.SealHeadsBefore(std::numeric_limits<uint64_t>::max()); !st.ok()) {
    return st;
  }
  if (absl::Status st = call.EncodeSealsAndRollups(); !st.ok()) return st;
  call.PutCheckpoint();  // every head sealed: the checkpoint passes the last record
  if (call.batch.empty()) return absl::OkStatus();
  if (absl::Status st = store_->Write(call.batch); !st.ok()) return st;
  call.Apply();
  return absl::OkStatus();
}

absl::StatusOr<Block> Engine::LoadBlock(const Series* s, std::string_view bytes) const {
  absl::StatusOr<BlockHeader> header = DecodeBlockHeader(bytes);
  if (!header.ok()) return header.status();
  if (!(header->flags & kFlagSharedTimestamps)) return DecodeBlock(bytes);
  std::string key = ColumnKey(s->info.enterprise, s->info.device, header->last_timestamp,
                              header->timestamp_column);
  std::string column;
  if (absl::Status st = store_->Get(kTsdbSpace, key, &column); !st.ok()) {
    if (absl::IsNotFound(st)) {
      return absl::DataLossError(absl::StrCat(
          SeriesName(s->info.id, s->info.enterprise, s->info.device, s->info.property),
          ": a block's timestamp column ", header->timestamp_column, " is missing"));
    }
    return st;
  }
  absl::StatusOr<std::vector<int64_t>> ts = DecodeTimestampColumn(column);
  if (!ts.ok()) return ts.status();
  return DecodeBlock(bytes, *ts);
}

absl::StatusOr<SeriesId> Engine::Find(uint64_t enterprise, std::string_view device,
                                      std::string_view property) const {
  std::shared_lock lock(catalog_mu_);
  auto it = by_key_.find(SeriesLookupKey(enterprise, device, property));
  if (it == by_key_.end()) {
    return absl::NotFoundError(
        absl::StrFormat("no series for enterprise %d, device \"%s\", property \"%s\"", enterprise,
                        device, property));
  }
  return it->second;
}

absl::StatusOr<SeriesInfo> Engine::Info(SeriesId id) const {
  const Series* s = Lookup(id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("series ", id, " not found"));
  return s->info;
}

std::vector<SeriesInfo> Engine::ListSeries(uint64_t enterprise,
                                           std::optional<std::string_view> device) const {
  std::vector<SeriesInfo> out;
  std::shared_lock lock(catalog_mu_);
  for (const auto& s : series_) {
    if (s->info.enterprise != enterprise) continue;
    if (device.has_value() && s->info.device != *device) continue;
    out.push_back(s->info);
  }
  return out;
}

uint64_t Engine::SeriesCount(uint64_t enterprise) const {
  std::shared_lock lock(catalog_mu_);
  auto it = per_enterprise_.find(enterprise);
  return it == per_enterprise_.end() ? 0 : it->second;
}

Engine::Stats Engine::GetStats() const {
  Stats stats;
  {
    std::lock_guard lock(write_mu_);
    stats.wal_seq = next_seq_;
    stats.checkpoint = checkpoint_;
  }
  stats.blocks_written = blocks_written_.load();
  stats.late_points = late_points_.load();
  stats.points_written = points_written_.load();
  stats.blocks_read = blocks_read_.load();
  stats.rollup_buckets_written = rollup_buckets_written_.load();
  stats.retention_blocks_deleted = retention_blocks_deleted_.load();
  stats.retention_points_deleted = retention_points_deleted_.load();
  std::shared_lock lock(catalog_mu_);
  for (const auto& s : series_) {
    std::lock_guard shard(ShardOf(s->info.id));
    stats.head_points += s->head_ts.size();
  }
  return stats;
}

}  // namespace qilian::platform::tsdb
