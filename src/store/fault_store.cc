#include "store/fault_store.h"

#include <functional>
#include <utility>

namespace qilian::store {
namespace {

// Wraps a snapshot of the base store so FailReads also covers reads through
// snapshots, including ones taken before the fault was set.
class FaultSnapshot final : public KvSnapshot {
 public:
  FaultSnapshot(std::unique_ptr<KvSnapshot> base, std::function<absl::Status()> fault)
      : base_(std::move(base)), fault_(std::move(fault)) {}

  absl::Status Get(std::string_view space, std::string_view key,
                   std::string* value) const override {
    if (absl::Status s = fault_(); !s.ok()) return s;
    return base_->Get(space, key, value);
  }
  absl::Status Scan(std::string_view space, std::string_view prefix, std::string_view start,
                    const ScanVisitor& visit) const override {
    if (absl::Status s = fault_(); !s.ok()) return s;
    return base_->Scan(space, prefix, start, visit);
  }

 private:
  std::unique_ptr<KvSnapshot> base_;
  std::function<absl::Status()> fault_;
};

}  // namespace

void FaultInjectingStore::FailNthWrite(int n, absl::Status status) {
  std::lock_guard lock(mu_);
  fail_write_in_ = n > 0 ? n : 0;
  write_status_ = std::move(status);
}

void FaultInjectingStore::FailReads(absl::Status status) {
  std::lock_guard lock(mu_);
  read_status_ = std::move(status);
}

void FaultInjectingStore::Clear() {
  std::lock_guard lock(mu_);
  fail_write_in_ = 0;
  write_status_ = absl::OkStatus();
  read_status_ = absl::OkStatus();
}

absl::Status FaultInjectingStore::ReadFault() const {
  std::lock_guard lock(mu_);
  return read_status_;
}

absl::Status FaultInjectingStore::Get(std::string_view space, std::string_view key,
                                      std::string* value) const {
  if (absl::Status s = ReadFault(); !s.ok()) return s;
  return base_->Get(space, key, value);
}

absl::Status FaultInjectingStore::Scan(std::string_view space, std::string_view prefix,
                                       std::string_view start, const ScanVisitor& visit) const {
  if (absl::Status s = ReadFault(); !s.ok()) return s;
  return base_->Scan(space, prefix, start, visit);
}

absl::Status FaultInjectingStore::Write(const WriteBatch& batch) {
  writes_attempted_.fetch_add(1);
  {
    std::lock_guard lock(mu_);
    if (fail_write_in_ > 0 && --fail_write_in_ == 0) {
      // The failing write never reaches the base store: the model is a
      // storage failure before commit, after which nothing may be visible.
      return std::exchange(write_status_, absl::OkStatus());
    }
  }
  return base_->Write(batch);
}

std::unique_ptr<KvSnapshot> FaultInjectingStore::Snapshot() const {
  return std::make_unique<FaultSnapshot>(base_->Snapshot(), [this] { return ReadFault(); });
}

}  // namespace qilian::store
