// A KvStore wrapper that injects failures, for tests that show an operation
// failing at the store leaves nothing half-stored and reports the error.
#ifndef QILIAN_STORE_FAULT_STORE_H_
#define QILIAN_STORE_FAULT_STORE_H_

#include <atomic>
#include <memory>
#include <mutex>

#include "store/kv_store.h"

namespace qilian::store {

class FaultInjectingStore final : public KvStore {
 public:
  explicit FaultInjectingStore(KvStore* base) : base_(base) {}

  // The `n`th Write from now (1 = the next one) fails with `status` and
  // applies nothing. Later writes succeed again.
  void FailNthWrite(int n, absl::Status status);
  // Every read (Get, Scan, snapshot reads) fails with `status` until Clear().
  void FailReads(absl::Status status);
  void Clear();
  int writes_attempted() const { return writes_attempted_.load(); }

  absl::Status Get(std::string_view space, std::string_view key, std::string* value) const override;
  absl::Status Scan(std::string_view space, std::string_view prefix, std::string_view start,
                    const ScanVisitor& visit) const override;
  absl::Status Write(const WriteBatch& batch) override;
  std::unique_ptr<KvSnapshot> Snapshot() const override;
  uint64_t ApproximateMemoryUsage() const override { return base_->ApproximateMemoryUsage(); }

 private:
  absl::Status ReadFault() const;

  KvStore* base_;
  mutable std::mutex mu_;
  int fail_write_in_ = 0;  // 0 = no pending write fault
  absl::Status write_status_;
  absl::Status read_status_;
  std::atomic<int> writes_attempted_{0};
};

}  // namespace qilian::store

#endif  // QILIAN_STORE_FAULT_STORE_H_
