#include "store/memory_store.h"

#include <map>
#include <mutex>
#include <memory>
#include <shared_mutex>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace qilian::store {
namespace {

// Spaces are immutable maps shared by pointer: a write copies the spaces it
// touches (copy-on-write), so a snapshot is just the set of pointers at the
// time it was taken. Fine for tests; not meant for large data.
using Space = std::map<std::string, std::string, std::less<>>;
using SpaceSet = absl::flat_hash_map<std::string, std::shared_ptr<const Space>>;

absl::Status ScanSpace(const Space& space, std::string_view prefix, std::string_view start,
                       const ScanVisitor& visit) {
  std::string_view from = start.empty() || start < prefix ? prefix : start;
  for (auto it = space.lower_bound(from); it != space.end(); ++it) {
    if (!std::string_view(it->first).starts_with(prefix)) break;
    if (!visit(it->first, it->second)) break;
  }
  return absl::OkStatus();
}

absl::Status UnknownSpace(std::string_view space) {
  return absl::InvalidArgumentError("unknown key space '" + std::string(space) + "'");
}

class MemorySnapshot final : public KvSnapshot {
 public:
  explicit MemorySnapshot(SpaceSet spaces) : spaces_(std::move(spaces)) {}

  absl::Status Get(std::string_view space, std::string_view key,
                   std::string* value) const override {
    auto s = spaces_.find(std::string(space));
    if (s == spaces_.end()) return UnknownSpace(space);
    auto it = s->second->find(key);
    if (it == s->second->end()) return absl::NotFoundError("key not found");
    *value = it->second;
    return absl::OkStatus();
  }

  absl::Status Scan(std::string_view space, std::string_view prefix, std::string_view start,
                    const ScanVisitor& visit) const override {
    auto s = spaces_.find(std::string(space));
    if (s == spaces_.end()) return UnknownSpace(space);
    return ScanSpace(*s->second, prefix, start, visit);
  }

 private:
  SpaceSet spaces_;
};

class MemoryStore final : public KvStore {
 public:
  explicit MemoryStore(const StoreOptions& options) {
    for (const auto& name : options.spaces) spaces_[name] = std::make_shared<const Space>();
  }

  absl::Status Get(std::string_view space, std::string_view key,
                   std::string* value) const override {
    return MemorySnapshot(Current()).Get(space, key, value);
  }

  absl::Status Scan(std::string_view space, std::string_view prefix, std::string_view start,
                    const ScanVisitor& visit) const override {
    return MemorySnapshot(Current()).Scan(space, prefix, start, visit);
  }

  absl::Status Write(const WriteBatch& batch) override {
    std::unique_lock lock(mu_);
    for (const auto& op : batch.ops()) {
      if (!spaces_.contains(op.space)) return UnknownSpace(op.space);
    }
    absl::flat_hash_map<std::string, std::shared_ptr<Space>> copies;
    for (const auto& op : batch.ops()) {
      auto& copy = copies[op.space];
      if (!copy) copy = std::make_shared<Space>(*spaces_[op.space]);
      if (op.kind == WriteBatch::OpKind::kPut) {
        (*copy)[op.key] = op.value;
      } else {
        copy->erase(op.key);
      }
    }
    for (auto& [name, space] : copies) spaces_[name] = std::move(space);
    return absl::OkStatus();
  }

  std::unique_ptr<KvSnapshot> Snapshot() const override {
    return std::make_unique<MemorySnapshot>(Current());
  }

  uint64_t ApproximateMemoryUsage() const override {
    uint64_t total = 0;
    for (const auto& [name, space] : Current()) {
      for (const auto& [k, v] : *space) total += k.size() + v.size() + 64;
    }
    return total;
  }

 private:
  SpaceSet Current() const {
    std::shared_lock lock(mu_);
    return spaces_;
  }

  mutable std::shared_mutex mu_;
  SpaceSet spaces_;
};

}  // namespace

std::unique_ptr<KvStore> NewMemoryStore(const StoreOptions& options) {
  return std::make_unique<MemoryStore>(options);
}

}  // namespace qilian::store
