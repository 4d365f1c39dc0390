#include "security/delivery/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "security/delivery/event_id.h"
#include "security/delivery/spool_format.h"

namespace qilian::security {

namespace {

// Appends are gathered into one write(2) of about this many bytes.
constexpr size_t kWriteBufferBytes = 64 * 1024;
// A read fetches this much of a segment at once: any one record fits.
constexpr size_t kReadChunkBytes = kRecordHeaderBytes + kMaxRecordPayload;
constexpr char kSegmentSuffix[] = ".seg";

absl::Status ErrnoError(std::string_view what, const std::string& path, int err = errno) {
  std::string message = std::string(what) + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return absl::ResourceExhaustedError(message);
  return absl::UnavailableError(message);
}

absl::Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("cannot write", path, n < 0 ? errno : ENOSPC);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : ErrnoError("cannot sync", dir, err);
}

// Replaces `path` with `content` so that a crash leaves the old or the new
// file, never a part of one.
absl::Status WriteFileAtomically(const std::string& dir, const std::string& path,
                                 std::string_view content) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  absl::Status s = WriteAll(fd, content, tmp);
  if (s.ok() && ::fdatasync(fd) != 0) s = ErrnoError("cannot sync", tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoError("cannot rename", tmp);
  if (!s.ok()) return s;
  return SyncDirectory(dir);
}

// The file's content, or nullopt-like NotFound when it does not exist.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(path);
    return ErrnoError("cannot read", path);
  }
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < 4096) out.append(buf, n);
  ::close(fd);
  return out;
}

// "00000000000000000042.seg" -> 42.
bool ParseSegmentName(absl::string_view name, uint64_t* first) {
  if (name.size() != 20 + 4 || !absl::ConsumeSuffix(&name, kSegmentSuffix)) return false;
  if (name.find_first_not_of("0123456789") != absl::string_view::npos) return false;
  return absl::SimpleAtoi(name, first) && *first > 0;
}

}  // namespace

// Reads one segment's records in order, a chunk at a time, up to `end`
// (which grows while the segment is the active one).
class Spool::SegmentReader {
 public:
  SegmentReader(int fd, std::string path, uint64_t offset, uint64_t sequence)
      : fd_(fd), path_(std::move(path)), offset_(offset), sequence_(sequence) {}
  ~SegmentReader() { ::close(fd_); }

  // The record at the position, without moving past it. kIncomplete: the
  // data ends inside it (or, when offset() == end, at it).
  RecordResult Peek(uint64_t end, DecodedRecord* record, std::string* error) {
    if (offset_ >= end) return RecordResult::kIncomplete;
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string_view view;
      if (offset_ >= buffer_start_ && offset_ <= buffer_start_ + buffer_.size()) {
        view = std::string_view(buffer_).substr(offset_ - buffer_start_);
        view = view.substr(0, end - offset_);
      }
      RecordResult r = DecodeRecord(view, sequence_, record, error);
      if (r != RecordResult::kIncomplete || offset_ + view.size() >= end) return r;
      if (!Fill(end, error)) return RecordResult::kCorrupt;
    }
    return RecordResult::kIncomplete;
  }
  void Advance(const DecodedRecord& record) {
    offset_ += record.size;
    sequence_ = record.sequence + 1;
  }
  uint64_t offset() const { return offset_; }
  uint64_t sequence() const { return sequence_; }

 private:
  bool Fill(uint64_t end, std::string* error) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kReadChunkBytes, end - offset_));
    buffer_.resize(want);
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::pread(fd_, buffer_.data() + got, want - got, static_cast<off_t>(offset_ + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        *error = absl::StrCat("cannot read: ", std::strerror(errno));
        buffer_.clear();
        return false;
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    buffer_.resize(got);
    buffer_start_ = offset_;
    return true;
  }

  int fd_;
  std::string path_;
  uint64_t offset_;
  uint64_t sequence_;
  std::string buffer_;
  uint64_t buffer_start_ = 0;
};

Spool::Spool(std::string dir, SpoolOptions options) : dir_(std::move(dir)), options_(options) {}

Spool::~Spool() {
  {
    std::lock_guard lock(mu_);
    (void)FlushLocked(true);
    cursor_.reset();
    if (active_fd_ >= 0) ::close(active_fd_);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(const std::string& dir, SpoolOptions options) {
  if (options.segment_bytes < kSegmentHeaderBytes + kRecordHeaderBytes ||
      options.max_bytes < 2 * options.segment_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("spool bound of ", options.max_bytes,
                                                   " bytes is under two segments of ",
                                                   options.segment_bytes, " bytes"));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError("cannot create spool directory", dir);
  }
  std::unique_ptr<Spool> spool(new Spool(dir, options));
  const std::string lock_path = dir + "/lock";
  spool->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (spool->lock_fd_ < 0) return ErrnoError("cannot open", lock_path);
  if (::flock(spool->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("spool ", dir, " is in use by another process"));
    }
    return ErrnoError("cannot lock", lock_path);
  }
  std::lock_guard lock(spool->mu_);
  if (absl::Status s = spool->Recover(); !s.ok()) return s;
  return spool;
}

absl::Status Spool::Recover() {
  // Identity: made once, with the directory.
  const std::string identity_path = dir_ + "/identity";
  absl::StatusOr<std::string> identity = ReadSmallFile(identity_path);
  if (absl::IsNotFound(identity.status())) {
    identity_ = NewSpoolIdentity();
    if (absl::Status s = WriteFileAtomically(dir_, identity_path, identity_ + "\n"); !s.ok()) {
      return s;
    }
  } else if (!identity.ok()) {
    return identity.status();
  } else {
    identity_ = std::string(absl::StripAsciiWhitespace(*identity));
    if (!IsValidEventId(identity_) || identity_.size() > 40) {
      return absl::DataLossError(absl::StrCat(identity_path, " does not hold a spool identity"));
    }
  }

  // The acknowledged sequence: 0 before the first acknowledgement.
  const std::string acked_path = dir_ + "/acked";
  absl::StatusOr<std::string> acked = ReadSmallFile(acked_path);
  if (acked.ok()) {
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*acked), &acked_)) {
      return absl::DataLossError(absl::StrCat(acked_path, " does not hold a sequence number"));
    }
  } else if (!absl::IsNotFound(acked.status())) {
    return acked.status();
  }

  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return ErrnoError("cannot list", dir_);
  while (struct dirent* entry = ::readdir(d)) {
    uint64_t first = 0;
    if (!ParseSegmentName(entry->d_name, &first)) continue;
    struct stat st {};
    if (::stat(SegmentPath(first).c_str(), &st) == 0) {
      segments_[first].bytes = static_cast<uint64_t>(st.st_size);
      total_bytes_ += static_cast<uint64_t>(st.st_size);
    }
  }
  ::closedir(d);

  next_sequence_ = acked_ + 1;
  if (!segments_.empty()) {
    // Only the newest segment can end in a torn record: a segment is
    // synced before the next one is started.
    uint64_t after_last = 0;
    if (absl::Status s = RecoverNewest(segments_.rbegin()->first, &after_last); !s.ok()) return s;
    // The acknowledged sequence can be ahead of the data only if the data
    // was lost; new records then start after it, so no id is given twice.
    next_sequence_ = std::max(after_last, acked_ + 1);
    if (segments_.begin()->first > acked_ + 1) acked_ = segments_.begin()->first - 1;
  }
  if (segments_.empty() || next_sequence_ != flushed_next_sequence_) {
    if (absl::Status s = StartSegment(next_sequence_); !s.ok()) return s;
  }
  DeleteAcknowledged();
  return absl::OkStatus();
}

absl::Status Spool::RecoverNewest(uint64_t first, uint64_t* next_sequence) {
  const std::string path = SegmentPath(first);
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  const uint64_t size = segments_[first].bytes;
  std::string header(kSegmentHeaderBytes, '\0');
  ssize_t n = ::pread(fd, header.data(), header.size(), 0);
  header.resize(n > 0 ? static_cast<size_t>(n) : 0);
  absl::StatusOr<uint64_t> header_first = DecodeSegmentHeader(header);
  uint64_t valid_end = kSegmentHeaderBytes;
  uint64_t after_last = first;
  if (header_first.ok() && *header_first != first) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat("spool segment ", path, ": its header says sequence ",
                                            *header_first, " comes first"));
  }
  if (header_first.ok()) {
    SegmentReader reader(::dup(fd), path, kSegmentHeaderBytes, first);
    DecodedRecord record;
    std::string error;
    while (reader.Peek(size, &record, &error) == RecordResult::kRecord) reader.Advance(record);
    valid_end = reader.offset();
    after_last = reader.sequence();
  }
  if (!header_first.ok() || valid_end != size) {
    // A torn tail (a crash inside a write) or a torn header: cut it.
    std::string rewrite = header_first.ok() ? "" : EncodeSegmentHeader(first);
    const uint64_t keep = header_first.ok() ? valid_end : 0;
    if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoError("cannot cut the torn tail of", path, err);
    }
    if (!rewrite.empty()) {
      if (absl::Status s = WriteAll(fd, rewrite, path); !s.ok()) {
        ::close(fd);
        return s;
      }
    }
    ::fdatasync(fd);
    stats_.torn_bytes += size - keep;
    total_bytes_ = total_bytes_ - size + valid_end;
    segments_[first].bytes = valid_end;
  }
  // A process crash leaves written bytes in the page cache, not yet on
  // disk: SetActive marks them unsynced, and the first read syncs them.
  SetActive(fd, first, valid_end, after_last);
  *next_sequence = after_last;
  return absl::OkStatus();
}

void Spool::SetActive(int fd, uint64_t first, uint64_t bytes, uint64_t next_sequence) {
  if (active_fd_ >= 0) ::close(active_fd_);
  active_fd_ = fd;
  active_first_ = first;
  active_flushed_ = bytes;
  active_synced_ = kSegmentHeaderBytes;
  unsynced_ = true;
  flushed_next_sequence_ = next_sequence;
}

absl::Status Spool::StartSegment(uint64_t first) {
  const std::string path = SegmentPath(first);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("cannot create", path);
  if (absl::Status s = WriteAll(fd, EncodeSegmentHeader(first), path); !s.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  SetActive(fd, first, kSegmentHeaderBytes, first);
  auto [it, added] = segments_.try_emplace(first);
  total_bytes_ = total_bytes_ - it->second.bytes + kSegmentHeaderBytes;
  it->second.bytes = kSegmentHeaderBytes;
  rotate_before_append_ = false;
  // The new file's name must survive a power loss with the records in it.
  return SyncDirectory(dir_);
}

std::string Spool::SegmentPath(uint64_t first) const {
  return absl::StrFormat("%s/%020u%s", dir_, first, kSegmentSuffix);
}

uint64_t Spool::SegmentEnd(std::map<uint64_t, Segment>::const_iterator it) const {
  auto next = std::next(it);
  return next == segments_.end() ? next_sequence_ : next->first;
}

absl::StatusOr<uint64_t> Spool::Append(std::string_view payload) {
  if (payload.size() > kMaxRecordPayload) {
    return absl::InvalidArgumentError(absl::StrCat("an event of ", payload.size(),
                                                   " bytes is over the spool's record limit of ",
                                                   kMaxRecordPayload));
  }
  std::lock_guard lock(mu_);
  const uint64_t size = kRecordHeaderBytes + payload.size();
  Segment& active = segments_.rbegin()->second;
  if (rotate_before_append_ ||
      (active.bytes > kSegmentHeaderBytes && active.bytes + size > options_.segment_bytes)) {
    if (absl::Status s = Rotate(); !s.ok()) return s;
  }
  while (total_bytes_ + size > options_.max_bytes && segments_.size() > 1) DropOldest();
  AppendRecord(next_sequence_, payload, &write_buffer_);
  ++buffered_records_;
  segments_.rbegin()->second.bytes += size;
  total_bytes_ += size;
  ++stats_.appended;
  const uint64_t sequence = next_sequence_++;
  if (write_buffer_.size() >= kWriteBufferBytes) {
    if (absl::Status s = FlushLocked(false); !s.ok()) return s;
  }
  return sequence;
}

absl::Status Spool::Flush(bool sync) {
  std::lock_guard lock(mu_);
  return FlushLocked(sync);
}

absl::Status Spool::FlushLocked(bool sync) {
  if (active_fd_ < 0) return absl::FailedPreconditionError("spool has no open segment");
  if (!write_buffer_.empty()) {
    const std::string path = SegmentPath(active_first_);
    absl::Status s = WriteAll(active_fd_, write_buffer_, path);
    if (!s.ok()) {
      // Forget the buffered records and give their sequences again: they
      // never reached the disk, so never the node. A part written is cut.
      stats_.lost += buffered_records_;
      stats_.appended -= std::min(stats_.appended, buffered_records_);
      Segment& active = segments_.rbegin()->second;
      total_bytes_ -= active.bytes - active_flushed_;
      active.bytes = active_flushed_;
      next_sequence_ = flushed_next_sequence_;
      write_buffer_.clear();
      buffered_records_ = 0;
      if (::ftruncate(active_fd_, static_cast<off_t>(active_flushed_)) != 0) {
        rotate_before_append_ = true;
      }
      return s;
    }
    active_flushed_ += write_buffer_.size();
    flushed_next_sequence_ = next_sequence_;
    write_buffer_.clear();
    buffered_records_ = 0;
    unsynced_ = true;
  }
  if (sync && unsynced_) {
    if (::fdatasync(active_fd_) != 0) return ErrnoError("cannot sync", SegmentPath(active_first_));
    unsynced_ = false;
    active_synced_ = active_flushed_;
  }
  return absl::OkStatus();
}

absl::Status Spool::SyncForRead() {
  int fd;
  uint64_t first, bytes;
  {
    std::lock_guard lock(mu_);
    if (absl::Status s = FlushLocked(false); !s.ok()) return s;
    if (!unsynced_) return absl::OkStatus();
    fd = ::dup(active_fd_);
    if (fd < 0) return ErrnoError("cannot sync", SegmentPath(active_first_));
    first = active_first_;
    bytes = active_flushed_;
  }
  // Appends go on meanwhile; what they write is synced by the next read.
  const int rc = ::fdatasync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError("cannot sync", SegmentPath(first), err);
  std::lock_guard lock(mu_);
  if (active_first_ == first) {  // else a rotation synced the segment whole
    active_synced_ = std::max(active_synced_, bytes);
    if (active_flushed_ == bytes) unsynced_ = false;
  }
  return absl::OkStatus();
}

absl::Status Spool::Rotate() {
  if (absl::Status s = FlushLocked(true); !s.ok()) return s;
  if (rotate_before_append_) {
    // The old file's tail could not be cut: records after it could not be
    // framed. The next segment starts where its good records end.
    Segment& active = segments_.rbegin()->second;
    total_bytes_ -= active.bytes - active_flushed_;
    active.bytes = active_flushed_;
  }
  return StartSegment(next_sequence_);
}

void Spool::DropOldest() {
  auto oldest = segments_.begin();
  const uint64_t end = SegmentEnd(oldest);
  if (acked_ + 1 < end) {
    stats_.dropped += end - std::max(oldest->first, acked_ + 1);
    acked_ = end - 1;  // not persisted: Open finds the segment gone and moves past it
  }
  ++stats_.dropped_segments;
  if (cursor_ != nullptr && cursor_first_ == oldest->first) CloseCursor();
  ::unlink(SegmentPath(oldest->first).c_str());
  total_bytes_ -= oldest->second.bytes;
  segments_.erase(oldest);
}

void Spool::DeleteAcknowledged() {
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= acked_ + 1) {
    auto oldest = segments_.begin();
    if (cursor_ != nullptr && cursor_first_ == oldest->first) CloseCursor();
    ::unlink(SegmentPath(oldest->first).c_str());
    total_bytes_ -= oldest->second.bytes;
    segments_.erase(oldest);
  }
}

void Spool::CloseCursor() {
  cursor_.reset();
  cursor_first_ = 0;
}

absl::Status Spool::PersistAcked() {
  return WriteFileAtomically(dir_, dir_ + "/acked", absl::StrCat(acked_, "\n"));
}

absl::Status Spool::SeekCursor(uint64_t sequence) {
  auto it = segments_.upper_bound(sequence);
  if (it == segments_.begin()) return absl::InternalError("no spool segment holds the sequence");
  --it;
  const uint64_t first = it->first;
  const std::string path = SegmentPath(first);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open", path);
  std::string header(kSegmentHeaderBytes, '\0');
  ssize_t n = ::pread(fd, header.data(), header.size(), 0);
  header.resize(n > 0 ? static_cast<size_t>(n) : 0);
  absl::StatusOr<uint64_t> header_first = DecodeSegmentHeader(header);
  if (!header_first.ok() || *header_first != first) {
    ::close(fd);
    return SkipCorruptSegment(first, 0,
                              header_first.ok() ? "header names another first sequence"
                                                : std::string(header_first.status().message()));
  }
  cursor_ = std::make_unique<SegmentReader>(fd, path, kSegmentHeaderBytes, first);
  cursor_first_ = first;
  DecodedRecord record;
  std::string error;
  while (cursor_->sequence() < sequence) {
    RecordResult r = cursor_->Peek(it->second.bytes, &record, &error);
    if (r != RecordResult::kRecord) {
      return SkipCorruptSegment(first, cursor_->offset(),
                                r == RecordResult::kCorrupt ? error : "truncated record");
    }
    cursor_->Advance(record);
  }
  return absl::OkStatus();
}

absl::Status Spool::SkipCorruptSegment(uint64_t first, uint64_t offset, const std::string& why) {
  const std::string path = SegmentPath(first);
  CloseCursor();
  if (first == active_first_) {
    // Appends cannot go on after bytes that do not frame.
    if (absl::Status s = Rotate(); !s.ok()) return s;
  }
  const uint64_t end = SegmentEnd(segments_.find(first));
  if (acked_ + 1 < end) {
    stats_.corrupt += end - (acked_ + 1);
    acked_ = end - 1;
    (void)PersistAcked();
  }
  DeleteAcknowledged();
  return absl::DataLossError(
      absl::StrCat("spool segment ", path, ": record at offset ", offset, ": ", why));
}

absl::Status Spool::Read(size_t max_records, size_t max_bytes, std::vector<SpoolRecord>* out) {
  out->clear();
  if (absl::Status s = SyncForRead(); !s.ok()) return s;
  std::lock_guard lock(mu_);
  size_t bytes = 0;
  while (out->size() < max_records && acked_ + 1 + out->size() < next_sequence_) {
    const uint64_t want = acked_ + 1 + out->size();
    if (cursor_ == nullptr || cursor_->sequence() != want) {
      if (!out->empty()) break;  // never happens: records follow each other
      if (absl::Status s = SeekCursor(want); !s.ok()) return s;
    }
    auto it = segments_.find(cursor_first_);
    // Closed segments were synced whole; the active one only so far.
    const bool active = std::next(it) == segments_.end();
    const uint64_t end = active ? std::min(it->second.bytes, active_synced_) : it->second.bytes;
    DecodedRecord record;
    std::string error;
    RecordResult r = cursor_->Peek(end, &record, &error);
    if (r == RecordResult::kRecord) {
      if (!out->empty() && bytes + record.payload.size() > max_bytes) break;
      out->push_back(SpoolRecord{record.sequence, std::string(record.payload)});
      bytes += record.payload.size();
      cursor_->Advance(record);
      continue;
    }
    if (r == RecordResult::kIncomplete && cursor_->offset() == end) {
      if (active) break;  // caught up with what is on disk
      // The end of a closed segment: on to the next one.
      const uint64_t next_first = std::next(it)->first;
      CloseCursor();
      if (!out->empty()) break;
      if (next_first > want) {
        // Sequences missing between segments were lost to a write error.
        stats_.corrupt += next_first - want;
        acked_ = next_first - 1;
      }
      continue;
    }
    if (!out->empty()) break;  // hand over what is good; the next call reports the damage
    return SkipCorruptSegment(cursor_first_, cursor_->offset(),
                              r == RecordResult::kCorrupt ? error : "truncated record");
  }
  return absl::OkStatus();
}

absl::Status Spool::Acknowledge(uint64_t sequence) {
  std::lock_guard lock(mu_);
  if (sequence <= acked_) return absl::OkStatus();
  if (sequence >= next_sequence_) {
    return absl::InvalidArgumentError(absl::StrCat("acknowledging sequence ", sequence,
                                                   ", beyond the last ", next_sequence_ - 1));
  }
  acked_ = sequence;
  if (absl::Status s = PersistAcked(); !s.ok()) return s;
  DeleteAcknowledged();
  return absl::OkStatus();
}

SpoolStats Spool::stats() const {
  std::lock_guard lock(mu_);
  SpoolStats out = stats_;
  out.pending = next_sequence_ - 1 - acked_;
  out.segments = segments_.size();
  out.bytes = total_bytes_;
  return out;
}

}  // namespace qilian::security
