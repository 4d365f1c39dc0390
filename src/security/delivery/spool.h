// The store-and-forward spool of qilian-sensor's events
// (docs/security/delivery.md, "Spool"): a directory of append-only segment
// files of framed records (spool_format.h), an acknowledged sequence kept
// durable beside them, and a bound on the bytes held.
//
//   DIR/identity              the spool's identity (event ids start with it)
//   DIR/acked                 the last sequence the node acknowledged
//   DIR/NNNNNNNNNNNNNNNNNNNN.seg  a segment, named by its first sequence
//   DIR/lock                  flock()ed while a process has the spool open
//
// One thread appends (the sensor), another reads and acknowledges (the
// sender); every method takes the spool's mutex. A record is read only
// after it is on disk (fdatasync), so an id the node has seen is never
// given to another event, even after a power loss.
#ifndef QILIAN_SECURITY_DELIVERY_SPOOL_H_
#define QILIAN_SECURITY_DELIVERY_SPOOL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace qilian::security {

struct SpoolOptions {
  // A segment is closed (and a new one started) before it grows past this.
  uint64_t segment_bytes = 8 << 20;
  // All segments together; past it the oldest segment is dropped, delivered
  // or not (counted in SpoolStats::dropped). At least 2 segments.
  uint64_t max_bytes = 1ull << 30;
};

struct SpoolRecord {
  uint64_t sequence = 0;
  std::string payload;
};

struct SpoolStats {
  uint64_t appended = 0;          // records appended since Open
  uint64_t lost = 0;              // buffered appends a write error (disk full) lost
  uint64_t dropped = 0;           // undelivered records dropped by the size bound
  uint64_t dropped_segments = 0;  // segments dropped by the size bound
  uint64_t corrupt = 0;           // records skipped after a corrupt record
  uint64_t torn_bytes = 0;        // cut from the newest segment's tail by Open
  uint64_t pending = 0;           // records not acknowledged yet
  uint64_t segments = 0;
  uint64_t bytes = 0;  // of all segment files
};

class Spool {
 public:
  // Opens DIR (made if absent; its parent must exist), recovering it: a torn
  // record at the newest segment's end is cut, segments already
  // acknowledged are deleted. FailedPrecondition when another process has
  // it open; DataLoss when `acked` or `identity` is unreadable.
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const std::string& dir,
                                                     SpoolOptions options = {});
  ~Spool();  // writes and syncs what is buffered
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& identity() const { return identity_; }

  // Appends one record and returns its sequence number. Records are
  // buffered (64 KiB) and written to the segment file when the buffer
  // fills or on Flush/Read. InvalidArgument for a payload over
  // kMaxRecordPayload; a write error (ResourceExhausted for a full disk)
  // loses the buffered records (counted in `lost`), whose sequence numbers
  // are then given again: they were never on disk, so never sent.
  absl::StatusOr<uint64_t> Append(std::string_view payload);

  // Writes buffered records to the segment file; with `sync`, fdatasync too.
  absl::Status Flush(bool sync);

  // The records after the acknowledged ones, in order: up to `max_records`
  // and `max_bytes` of payload (at least one record when any is pending).
  // A batch ends at the end of a segment. Empty when all are acknowledged. A corrupt record (bad
  // length, CRC, sequence) gives DataLoss "spool segment PATH: record at offset N: ..." and the
  // rest of that segment is skipped (counted in `corrupt`): the next call reads on from the next
  // segment.
  absl::Status Read(size_t max_records, size_t max_bytes, std::vector<SpoolRecord>* out);

  // Every record up to `sequence` is delivered (or given up): kept durably,
  // and segments wholly acknowledged are deleted. Earlier sequences are a no-op.
  absl::Status Acknowledge(uint64_t sequence);

  SpoolStats stats() const;

 private:
  class SegmentReader;
  struct Segment {
    uint64_t bytes = 0;  // file size, buffered bytes included for the active one
  };

  Spool(std::string dir, SpoolOptions options);
  absl::Status Recover();
  absl::Status RecoverNewest(uint64_t first, uint64_t* next_sequence);
  absl::Status StartSegment(uint64_t first);
  // Appends go to `fd` from now on (the previous active file is closed).
  void SetActive(int fd, uint64_t first, uint64_t bytes, uint64_t next_sequence);
  absl::Status FlushLocked(bool sync);
  // Writes what is buffered and fdatasyncs the active segment without
  // holding the mutex across the sync, so appends never wait on the disk.
  absl::Status SyncForRead();
  absl::Status Rotate();
  void DropOldest();
  void DeleteAcknowledged();
  absl::Status PersistAcked();
  absl::Status SeekCursor(uint64_t sequence);
  absl::Status SkipCorruptSegment(uint64_t first, uint64_t offset, const std::string& why);
  std::string SegmentPath(uint64_t first) const;
  uint64_t SegmentEnd(std::map<uint64_t, Segment>::const_iterator it) const;
  void CloseCursor();

  const std::string dir_;
  const SpoolOptions options_;
  std::string identity_;
  int lock_fd_ = -1;

  mutable std::mutex mu_;
  std::map<uint64_t, Segment> segments_;  // by first sequence; the last is active
  uint64_t total_bytes_ = 0;
  uint64_t next_sequence_ = 1;
  uint64_t acked_ = 0;

  // The active segment: appends go to write_buffer_, then to the file.
  int active_fd_ = -1;
  uint64_t active_first_ = 0;
  uint64_t active_flushed_ = 0;         // bytes in the file
  uint64_t active_synced_ = 0;          // bytes known on disk: what Read hands out
  uint64_t flushed_next_sequence_ = 1;  // the sequence after the last record in the file
  std::string write_buffer_;
  uint64_t buffered_records_ = 0;
  bool unsynced_ = false;
  bool rotate_before_append_ = false;  // a failed write left the active file unusable

  // Where Read goes on: the segment it has open and its position.
  std::unique_ptr<SegmentReader> cursor_;
  uint64_t cursor_first_ = 0;

  SpoolStats stats_;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DELIVERY_SPOOL_H_
