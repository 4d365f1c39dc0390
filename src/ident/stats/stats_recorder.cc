#include "ident/stats/stats_recorder.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/processor.h"

namespace qilian::ident::stats {
namespace {

constexpr int64_t kSecondsPerHour = 3600;
// A prefix longer than this is not a real one; it is counted as "other"
// rather than kept as a key.
constexpr size_t kMaxPrefixBytes = 255;
// How many of the most-registered prefixes get a gauge in /metrics.
constexpr size_t kGaugedPrefixes = 20;

constexpr size_t kHourValueBytes = 5 * 8;
constexpr size_t kPrefixValueBytes = 6 * 8;

struct MemKey {
  std::string prefix;
  int64_t hour = 0;  // Unix hours

  bool operator==(const MemKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const MemKey& k) {
    return H::combine(std::move(h), k.prefix, k.hour);
  }
};

using CountMap = absl::flat_hash_map<MemKey, Counts>;

std::string HourText(int64_t hour) {
  return absl::FormatTime("%Y-%m-%dT%H", absl::FromUnixSeconds(hour * kSecondsPerHour),
                          absl::UTCTimeZone());
}

std::string HourKey(std::string_view prefix, std::string_view hour_text) {
  return absl::StrCat("h/", std::string(prefix), "/", std::string(hour_text));
}

std::string PrefixKey(std::string_view prefix) { return absl::StrCat("p/", std::string(prefix)); }

std::string EncodeHour(const Counts& c) {
  std::string out;
  ByteWriter w(&out);
  for (uint64_t r : c.resolutions) w.WriteU64(r);
  w.WriteU64(c.created);
  w.WriteU64(c.deleted);
  return out;
}

absl::Status DecodeHour(std::string_view bytes, Counts* c) {
  ByteReader r(bytes);
  for (uint64_t& v : c->resolutions) v = r.ReadU64();
  c->created = r.ReadU64();
  c->deleted = r.ReadU64();
  if (!r.ok() || !r.at_end()) {
    return absl::DataLossError(absl::StrCat("statistics record of ", bytes.size(),
                                            " bytes, expected ", kHourValueBytes));
  }
  return absl::OkStatus();
}

std::string EncodePrefix(const PrefixTotals& t) {
  std::string out;
  ByteWriter w(&out);
  w.WriteU64(static_cast<uint64_t>(t.registered));
  w.WriteU64(t.counts.created);
  w.WriteU64(t.counts.deleted);
  for (uint64_t r : t.counts.resolutions) w.WriteU64(r);
  return out;
}

absl::Status DecodePrefix(std::string_view bytes, PrefixTotals* t) {
  ByteReader r(bytes);
  t->registered = static_cast<int64_t>(r.ReadU64());
  t->counts.created = r.ReadU64();
  t->counts.deleted = r.ReadU64();
  for (uint64_t& v : t->counts.resolutions) v = r.ReadU64();
  if (!r.ok() || !r.at_end()) {
    return absl::DataLossError(absl::StrCat("statistics total of ", bytes.size(),
                                            " bytes, expected ", kPrefixValueBytes));
  }
  return absl::OkStatus();
}

// Prefixes compare case-insensitively; counting them upper-cased keeps
// "88.abc" and "88.ABC" one prefix (and "0.NA" as it is written).
std::string NormalizePrefix(std::string_view prefix) {
  std::string out(prefix);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

enum class Event { kResolution, kCreated, kDeleted };

}  // namespace

std::string_view DoorName(Door door) {
  switch (door) {
    case Door::kHttp:
      return "http";
    case Door::kUdp:
      return "udp";
    case Door::kTcp:
      return "tcp";
  }
  return "http";
}

void Counts::Add(const Counts& other) {
  for (size_t i = 0; i < kDoors; ++i) resolutions[i] += other.resolutions[i];
  created += other.created;
  deleted += other.deleted;
}

std::string HourBucket(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H", t, absl::UTCTimeZone());
}

bool ParseDay(std::string_view text, absl::CivilDay* day) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  absl::CivilDay parsed(y, m, d);
  // CivilDay normalizes (2026-02-30 becomes 2026-03-02): refuse that.
  if (parsed.year() != y || parsed.month() != m || parsed.day() != d) return false;
  *day = parsed;
  return true;
}

// Always YYYY-MM-DD with a four-digit year, the form ParseDay reads back
// (absl::FormatCivilTime writes year 506 as "506"); also keeps the store
// keys built from it fixed-width.
std::string FormatDay(absl::CivilDay day) {
  if (day.year() < 0 || day.year() > 9999) return absl::FormatCivilTime(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(day.year()), day.month(),
                day.day());
  return buf;
}

struct StatsRecorder::Impl {
  struct Shard {
    std::mutex mu;
    CountMap counts;
  };

  // Survives the recorder so a /metrics collector left in a longer-lived
  // registry finds it gone instead of dangling.
  struct Alive {
    std::mutex mu;
    StatsRecorder* recorder = nullptr;
  };

  store::KvStore* store = nullptr;
  StatsOptions options;
  std::vector<std::unique_ptr<Shard>> shards;

  std::shared_mutex admitted_mu;
  absl::flat_hash_set<std::string> admitted;

  // Exclusive for a flush, shared for a query: a query must not see a
  // count both in the store and still in memory.
  mutable std::shared_mutex flush_mu;

  std::atomic<uint64_t> folded{0};
  std::array<Counter*, kDoors> door_counters{};
  Counter* folded_counter = nullptr;
  MetricsRegistry* metrics = nullptr;
  std::shared_ptr<Alive> alive = std::make_shared<Alive>();
  std::vector<Gauge*> gauges;  // guarded by alive->mu
  absl::flat_hash_map<std::string, Gauge*> gauge_by_prefix;

  Shard& MyShard() {
    static thread_local size_t slot = std::hash<std::thread::id>()(std::this_thread::get_id());
    return *shards[slot % shards.size()];
  }

  // The prefix as counted: itself, or kOtherPrefix past the cap.
  std::string Admit(std::string_view raw) {
    std::string prefix = NormalizePrefix(raw);
    if (prefix.size() > kMaxPrefixBytes) return Fold();
    {
      std::shared_lock lock(admitted_mu);
      if (admitted.contains(prefix)) return prefix;
    }
    std::unique_lock lock(admitted_mu);
    if (admitted.contains(prefix)) return prefix;
    if (admitted.size() >= options.max_prefixes) {
      lock.unlock();
      return Fold();
    }
    admitted.insert(prefix);
    return prefix;
  }

  std::string Fold() {
    folded.fetch_add(1, std::memory_order_relaxed);
    if (folded_counter != nullptr) folded_counter->Inc();
    return std::string(kOtherPrefix);
  }

  void Record(std::string_view raw_prefix, Event event, Door door, absl::Time now) {
    MemKey key{Admit(raw_prefix), absl::ToUnixSeconds(now) / kSecondsPerHour};
    if (absl::ToUnixSeconds(now) < 0) key.hour = 0;
    Shard& shard = MyShard();
    std::lock_guard lock(shard.mu);
    Counts& c = shard.counts[std::move(key)];
    switch (event) {
      case Event::kResolution:
        ++c.resolutions[static_cast<size_t>(door)];
        break;
      case Event::kCreated:
        ++c.created;
        break;
      case Event::kDeleted:
        ++c.deleted;
        break;
    }
  }

  // Everything still in memory, merged across shards.
  std::map<std::pair<std::string, int64_t>, Counts> Pending() const {
    std::map<std::pair<std::string, int64_t>, Counts> out;
    for (const auto& shard : shards) {
      std::lock_guard lock(shard->mu);
      for (const auto& [key, counts] : shard->counts) out[{key.prefix, key.hour}].Add(counts);
    }
    return out;
  }

  void RefreshGauges(StatsRecorder* recorder);
};

StatsRecorder::StatsRecorder(store::KvStore* store, const Clock& clock, MetricsRegistry* metrics,
                             StatsOptions options)
    : clock_(clock), impl_(std::make_unique<Impl>()) {
  impl_->store = store;
  impl_->options = options;
  if (impl_->options.shards == 0) impl_->options.shards = 1;
  for (size_t i = 0; i < impl_->options.shards; ++i) {
    impl_->shards.push_back(std::make_unique<Impl::Shard>());
  }
  impl_->metrics = metrics;
  if (metrics != nullptr) {
    for (size_t i = 0; i < kDoors; ++i) {
      impl_->door_counters[i] = &metrics->GetCounter(
          "qilian_resolutions_total", "Resolutions answered authoritatively, by front door",
          {{"door", std::string(DoorName(static_cast<Door>(i)))}});
    }
    impl_->folded_counter = &metrics->GetCounter(
        "qilian_stats_folded_total",
        "Statistics events counted under prefix 'other' because of the prefix cap");
    impl_->alive->recorder = this;
    std::shared_ptr<Impl::Alive> alive = impl_->alive;
    metrics->AddCollector([alive] {
      std::lock_guard lock(alive->mu);
      if (alive->recorder != nullptr) alive->recorder->impl_->RefreshGauges(alive->recorder);
    });
  }
}

StatsRecorder::~StatsRecorder() {
  std::lock_guard lock(impl_->alive->mu);
  impl_->alive->recorder = nullptr;
}

void StatsRecorder::Impl::RefreshGauges(StatsRecorder* recorder) {
  absl::StatusOr<std::vector<PrefixTotals>> totals = recorder->Totals();
  if (!totals.ok()) return;
  absl::flat_hash_map<std::string, int64_t> current;
  for (const PrefixTotals& t : *totals) current[t.prefix] = t.registered;
  // A gauge exists only for prefixes that have been among the top ones, so
  // the label set stays bounded; one that left the top keeps being updated.
  for (size_t i = 0; i < totals->size() && i < kGaugedPrefixes; ++i) {
    const std::string& prefix = (*totals)[i].prefix;
    if (!gauge_by_prefix.contains(prefix)) {
      gauge_by_prefix[prefix] = &metrics->GetGauge(
          "qilian_identifiers_registered",
          "Identifiers registered (created minus deleted since statistics began), top prefixes",
          {{"prefix", prefix}});
    }
  }
  for (auto& [prefix, gauge] : gauge_by_prefix) {
    auto it = current.find(prefix);
    gauge->Set(it == current.end() ? 0 : it->second);
  }
}

void StatsRecorder::Observe(const Request& request, const Response& response) {
  std::string_view handle = request.handle;
  size_t slash = handle.find('/');
  if (slash == std::string_view::npos || slash == 0) return;
  std::string_view prefix = handle.substr(0, slash);
  switch (request.op) {
    case OpCode::kResolution:
      if (response.code == ResponseCode::kSuccess ||
          response.code == ResponseCode::kHandleNotFound ||
          response.code == ResponseCode::kValuesNotFound) {
        size_t door = static_cast<size_t>(request.peer.transport);
        RecordResolution(prefix, door < kDoors ? static_cast<Door>(door) : Door::kHttp);
      }
      return;
    case OpCode::kCreateHandle:
      if (response.ok() && response.outcome == WriteOutcome::kCreated) RecordCreated(prefix);
      return;
    case OpCode::kDeleteHandle:
      if (response.ok()) RecordDeleted(prefix);
      return;
    default:
      return;
  }
}

void StatsRecorder::RecordResolution(std::string_view prefix, Door door) {
  impl_->Record(prefix, Event::kResolution, door, clock_.Now());
  if (Counter* c = impl_->door_counters[static_cast<size_t>(door)]; c != nullptr) c->Inc();
}

void StatsRecorder::RecordCreated(std::string_view prefix) {
  impl_->Record(prefix, Event::kCreated, Door::kHttp, clock_.Now());
}

void StatsRecorder::RecordDeleted(std::string_view prefix) {
  impl_->Record(prefix, Event::kDeleted, Door::kHttp, clock_.Now());
}

uint64_t StatsRecorder::folded() const { return impl_->folded.load(std::memory_order_relaxed); }

absl::Status StatsRecorder::Flush() {
  std::unique_lock flush_lock(impl_->flush_mu);
  std::vector<CountMap> taken(impl_->shards.size());
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    std::lock_guard lock(impl_->shards[i]->mu);
    taken[i].swap(impl_->shards[i]->counts);
  }
  {
    // A new interval: the cap counts prefixes afresh.
    std::unique_lock lock(impl_->admitted_mu);
    impl_->admitted.clear();
  }
  std::map<std::pair<std::string, int64_t>, Counts> merged;
  for (const CountMap& m : taken) {
    for (const auto& [key, counts] : m) merged[{key.prefix, key.hour}].Add(counts);
  }
  if (merged.empty()) return absl::OkStatus();

  auto run = [&]() -> absl::Status {
    store::WriteBatch batch;
    std::map<std::string, Counts> per_prefix;
    for (const auto& [key, delta] : merged) {
      std::string k = HourKey(key.first, HourText(key.second));
      Counts stored;
      std::string value;
      absl::Status s = impl_->store->Get(kSpace, k, &value);
      if (s.ok()) {
        QL_RETURN_IF_ERROR(DecodeHour(value, &stored));
      } else if (!absl::IsNotFound(s)) {
        return s;
      }
      stored.Add(delta);
      batch.Put(kSpace, k, EncodeHour(stored));
      per_prefix[key.first].Add(delta);
    }
    for (const auto& [prefix, delta] : per_prefix) {
      std::string k = PrefixKey(prefix);
      PrefixTotals stored;
      std::string value;
      absl::Status s = impl_->store->Get(kSpace, k, &value);
      if (s.ok()) {
        QL_RETURN_IF_ERROR(DecodePrefix(value, &stored));
      } else if (!absl::IsNotFound(s)) {
        return s;
      }
      stored.counts.Add(delta);
      stored.registered += static_cast<int64_t>(delta.created) - static_cast<int64_t>(delta.deleted);
      batch.Put(kSpace, k, EncodePrefix(stored));
    }
    return impl_->store->Write(batch);
  };
  absl::Status status = run();
  if (!status.ok()) {
    // Keep the counts for the next flush rather than lose them.
    Impl::Shard& shard = *impl_->shards[0];
    std::lock_guard lock(shard.mu);
    for (const auto& [key, counts] : merged) {
      shard.counts[MemKey{key.first, key.second}].Add(counts);
    }
  }
  return status;
}

absl::StatusOr<std::vector<SeriesPoint>> StatsRecorder::Series(std::string_view raw_prefix,
                                                               absl::CivilDay from,
                                                               absl::CivilDay to,
                                                               Granularity granularity) const {
  std::vector<SeriesPoint> points;
  if (to < from) return points;
  std::string prefix = NormalizePrefix(raw_prefix);
  const bool hourly = granularity == Granularity::kHour;
  for (absl::CivilDay d = from; d <= to; ++d) {
    if (hourly) {
      for (int h = 0; h < 24; ++h) {
        points.push_back({absl::FormatCivilTime(absl::CivilHour(d.year(), d.month(), d.day(), h)),
                          Counts{}});
      }
    } else {
      points.push_back({FormatDay(d), Counts{}});
    }
  }
  // Buckets are dense and in order: the index follows from the text.
  auto slot_of = [&](std::string_view hour_text) -> SeriesPoint* {
    absl::CivilHour hour;
    if (!absl::ParseCivilTime(std::string(hour_text), &hour)) return nullptr;
    absl::CivilDay day(hour);
    if (day < from || day > to) return nullptr;
    int64_t index = day - from;
    if (hourly) index = index * 24 + hour.hour();
    return &points[static_cast<size_t>(index)];
  };

  std::shared_lock flush_lock(impl_->flush_mu);
  std::string scan_prefix = absl::StrCat("h/", prefix, "/");
  std::string start = absl::StrCat(scan_prefix, FormatDay(from));
  std::string last = absl::StrCat(scan_prefix, FormatDay(to), "T23");
  absl::Status decode_status;
  QL_RETURN_IF_ERROR(impl_->store->Scan(
      kSpace, scan_prefix, start, [&](std::string_view key, std::string_view value) {
        if (key > std::string_view(last)) return false;
        Counts c;
        decode_status = DecodeHour(value, &c);
        if (!decode_status.ok()) return false;
        if (SeriesPoint* p = slot_of(key.substr(scan_prefix.size()))) p->counts.Add(c);
        return true;
      }));
  QL_RETURN_IF_ERROR(decode_status);
  for (const auto& [key, counts] : impl_->Pending()) {
    if (key.first != prefix) continue;
    if (SeriesPoint* p = slot_of(HourText(key.second))) p->counts.Add(counts);
  }
  return points;
}

absl::StatusOr<Counts> StatsRecorder::Day(std::string_view prefix, absl::CivilDay day) const {
  QL_ASSIGN_OR_RETURN(std::vector<SeriesPoint> points, Series(prefix, day, day, Granularity::kDay));
  return points.front().counts;
}

absl::StatusOr<int64_t> StatsRecorder::Registered(std::string_view prefix) const {
  std::shared_lock flush_lock(impl_->flush_mu);
  int64_t registered = 0;
  std::string value;
  absl::Status s = impl_->store->Get(kSpace, absl::StrCat("p/", std::string(prefix)), &value);
  if (s.ok()) {
    PrefixTotals t;
    QL_RETURN_IF_ERROR(DecodePrefix(value, &t));
    registered = t.registered;
  } else if (!absl::IsNotFound(s)) {
    return s;
  }
  for (const auto& [key, counts] : impl_->Pending()) {
    if (key.first != prefix) continue;
    registered += static_cast<int64_t>(counts.created) - static_cast<int64_t>(counts.deleted);
  }
  return registered;
}

absl::StatusOr<std::vector<PrefixTotals>> StatsRecorder::Totals(size_t limit) const {
  std::map<std::string, PrefixTotals> by_prefix;
  std::shared_lock flush_lock(impl_->flush_mu);
  absl::Status decode_status;
  QL_RETURN_IF_ERROR(
      impl_->store->Scan(kSpace, "p/", "", [&](std::string_view key, std::string_view value) {
        PrefixTotals t;
        decode_status = DecodePrefix(value, &t);
        if (!decode_status.ok()) return false;
        t.prefix = std::string(key.substr(2));
        by_prefix[t.prefix] = std::move(t);
        return true;
      }));
  QL_RETURN_IF_ERROR(decode_status);
  for (const auto& [key, counts] : impl_->Pending()) {
    PrefixTotals& t = by_prefix[key.first];
    t.prefix = key.first;
    t.counts.Add(counts);
    t.registered += static_cast<int64_t>(counts.created) - static_cast<int64_t>(counts.deleted);
  }
  std::vector<PrefixTotals> out;
  out.reserve(by_prefix.size());
  for (auto& [prefix, t] : by_prefix) out.push_back(std::move(t));
  std::stable_sort(out.begin(), out.end(), [](const PrefixTotals& a, const PrefixTotals& b) {
    if (a.registered != b.registered) return a.registered > b.registered;
    return a.counts.total_resolutions() > b.counts.total_resolutions();
  });
  if (limit != 0 && out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace qilian::ident::stats
