// The audit store of issue 5: every authenticated change and every failed
// authentication (who, what, when, from where, result), queryable by time
// range, actor and prefix for /api/audit.
//
// Layout in the KvStore space "audit" (docs/authorization.md):
//   e <time> <seq>                  -> the encoded event
//   a <len><actor> <time> <seq>     -> "" (actor index)
//   p <len><prefix> <time> <seq>    -> "" (prefix index, one entry for the
//                                      event's prefix and each parent)
//   s                               -> the next sequence number
// <time> is the event's Unix microseconds, big-endian with the sign bit
// flipped, and <seq> a big-endian u64, so byte order is time order and a time
// range is one contiguous scan of the primary or an index. An event and its
// index entries are written in one batch: all or nothing.
#ifndef QILIAN_IDENT_AUTHZ_AUDIT_LOG_H_
#define QILIAN_IDENT_AUTHZ_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/kv_store.h"

namespace qilian::ident::authz {

struct AuditEvent {
  absl::Time time = absl::UnixEpoch();
  std::string actor;      // "300:88.999/ADMIN", "console:alice"; empty if anonymous
  std::string action;     // "create handle", "login failed", ...
  std::string target;     // a handle, a prefix handle 0.NA/<p>, or a bare prefix
  std::string peer;       // "127.0.0.1:40512"
  std::string transport;  // "tcp", "udp", "https"
  uint32_t result = 1;    // the Handle response code answered
  std::string detail;
  uint64_t sequence = 0;  // assigned by Append
  bool operator==(const AuditEvent&) const = default;
};

struct AuditQuery {
  absl::Time from = absl::InfinitePast();  // inclusive
  absl::Time to = absl::InfiniteFuture();  // exclusive
  std::optional<std::string> actor;        // exact
  std::optional<std::string> prefix;       // this prefix and those derived from it
  size_t limit = 100;                      // 0 means 100; at most kMaxQueryLimit
  std::string cursor;                      // next_cursor of the previous page
};

struct AuditPage {
  std::vector<AuditEvent> events;  // in time order (then append order)
  std::string next_cursor;         // empty when nothing follows
};

class AuditLog {
 public:
  static constexpr std::string_view kSpace = "audit";
  static constexpr size_t kMaxQueryLimit = 1000;

  // Reads the sequence counter; `store` must declare kSpace.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(store::KvStore* store);

  // Stores `event` and its index entries in one durable batch; returns the
  // sequence number assigned. On error nothing was stored (the sequence
  // number is not reused). Concurrent appends commit together (the store's
  // group commit): only the sequence number is taken under a lock.
  absl::StatusOr<uint64_t> Append(AuditEvent event);

  // Adds `event`'s keys to `batch` instead of writing them: the caller
  // writes them with its own change, atomically. Returns the sequence
  // number assigned (unused if the batch is never written).
  absl::StatusOr<uint64_t> Stage(AuditEvent event, store::WriteBatch* batch);

  // Sequence numbers are reserved durably in blocks of this many, before
  // any of them is used: after a restart numbering continues above every
  // number that may have been used, leaving a gap.
  static constexpr uint64_t kSequenceBlock = 4096;

  // InvalidArgument for a malformed cursor or from > to.
  absl::StatusOr<AuditPage> Query(const AuditQuery& query) const;

 private:
  AuditLog(store::KvStore* store, uint64_t next_sequence)
      : store_(store), next_sequence_(next_sequence), reserved_end_(next_sequence) {}

  // The next sequence number, reserving a new block first when needed.
  absl::StatusOr<uint64_t> NextSequence();

  store::KvStore* store_;
  std::mutex mu_;
  uint64_t next_sequence_;  // guarded by mu_
  uint64_t reserved_end_;   // guarded by mu_; the stored counter
};

// The prefix an audit target belongs to ("88.999.1" for 88.999.1/X and for
// 0.NA/88.999.1), case-folded; empty if none.
std::string AuditPrefixOf(std::string_view target);

// Exposed for tests and tools that read the store directly.
std::string EncodeAuditEvent(const AuditEvent& event);
bool DecodeAuditEvent(std::string_view bytes, AuditEvent* event);

}  // namespace qilian::ident::authz

#endif  // QILIAN_IDENT_AUTHZ_AUDIT_LOG_H_
