#include "ident/authz/audit_log.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/handle_name.h"

namespace qilian::ident::authz {
namespace {

constexpr uint8_t kEventVersion = 1;
constexpr char kEventTag = 'e';
constexpr char kActorTag = 'a';
constexpr char kPrefixTag = 'p';
constexpr std::string_view kSequenceKey = "s";
constexpr size_t kTailBytes = 16;  // <time><seq>
constexpr size_t kDefaultLimit = 100;
// Bounds a single field so one event cannot bloat the store.
constexpr size_t kMaxFieldBytes = 64 * 1024;

// Flipping the sign bit makes unsigned byte order match signed time order.
uint64_t TimeKey(absl::Time t) {
  return static_cast<uint64_t>(absl::ToUnixMicros(t)) ^ (uint64_t{1} << 63);
}

absl::Time TimeOfKey(uint64_t k) {
  return absl::FromUnixMicros(static_cast<int64_t>(k ^ (uint64_t{1} << 63)));
}

std::string Tail(uint64_t time_key, uint64_t seq) {
  std::string out;
  ByteWriter w(&out);
  w.WriteU64(time_key);
  w.WriteU64(seq);
  return out;
}

std::string IndexPrefix(char tag, std::string_view term) {
  std::string out(1, tag);
  ByteWriter w(&out);
  w.WriteLengthPrefixed(term);
  return out;
}

// The prefix and its parents: 88.999.1, 88.999, 88.
std::vector<std::string> PrefixAndParents(std::string prefix) {
  std::vector<std::string> out;
  while (!prefix.empty()) {
    out.push_back(prefix);
    size_t dot = prefix.rfind('.');
    if (dot == std::string::npos) break;
    prefix.resize(dot);
  }
  return out;
}

constexpr char kHex[] = "0123456789abcdef";

std::string ToHex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

bool FromHex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

}  // namespace

std::string AuditPrefixOf(std::string_view target) {
  size_t slash = target.find('/');
  if (slash == std::string_view::npos) return FoldPrefix(target);
  std::string prefix = FoldPrefix(target.substr(0, slash));
  if (prefix == "0.NA") {
    std::string_view rest = target.substr(slash + 1);
    return FoldPrefix(rest.substr(0, rest.find('/')));
  }
  return prefix;
}

std::string EncodeAuditEvent(const AuditEvent& event) {
  std::string out;
  ByteWriter w(&out);
  w.WriteU8(kEventVersion);
  w.WriteU64(TimeKey(event.time));
  w.WriteU64(event.sequence);
  w.WriteLengthPrefixed(event.actor);
  w.WriteLengthPrefixed(event.action);
  w.WriteLengthPrefixed(event.target);
  w.WriteLengthPrefixed(event.peer);
  w.WriteLengthPrefixed(event.transport);
  w.WriteU32(event.result);
  w.WriteLengthPrefixed(event.detail);
  return out;
}

bool DecodeAuditEvent(std::string_view bytes, AuditEvent* event) {
  ByteReader r(bytes);
  if (r.ReadU8() != kEventVersion) return false;
  AuditEvent e;
  e.time = TimeOfKey(r.ReadU64());
  e.sequence = r.ReadU64();
  e.actor = std::string(r.ReadLengthPrefixed(kMaxFieldBytes));
  e.action = std::string(r.ReadLengthPrefixed(kMaxFieldBytes));
  e.target = std::string(r.ReadLengthPrefixed(kMaxFieldBytes));
  e.peer = std::string(r.ReadLengthPrefixed(kMaxFieldBytes));
  e.transport = std::string(r.ReadLengthPrefixed(kMaxFieldBytes));
  e.result = r.ReadU32();
  e.detail = std::string(r.ReadLengthPrefixed(kMaxFieldBytes));
  if (!r.ok() || !r.at_end()) return false;
  *event = std::move(e);
  return true;
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(store::KvStore* store) {
  std::string value;
  uint64_t next = 1;
  absl::Status s = store->Get(kSpace, kSequenceKey, &value);
  if (s.ok()) {
    ByteReader r(value);
    next = r.ReadU64();
    if (!r.ok() || !r.at_end()) return absl::DataLossError("audit sequence counter is corrupt");
  } else if (!absl::IsNotFound(s)) {
    return s;
  }
  return std::unique_ptr<AuditLog>(new AuditLog(store, next));
}

absl::StatusOr<uint64_t> AuditLog::Append(AuditEvent event) {
  store::WriteBatch batch;
  QL_ASSIGN_OR_RETURN(uint64_t sequence, Stage(std::move(event), &batch));
  QL_RETURN_IF_ERROR(store_->Write(batch));
  return sequence;
}

absl::StatusOr<uint64_t> AuditLog::Stage(AuditEvent event, store::WriteBatch* batch_out) {
  for (const std::string* f : {&event.actor, &event.action, &event.target, &event.peer,
                               &event.transport, &event.detail}) {
    if (f->size() > kMaxFieldBytes) {
      return absl::InvalidArgumentError("audit event field is longer than 65536 bytes");
    }
  }
  QL_ASSIGN_OR_RETURN(event.sequence, NextSequence());
  const std::string tail = Tail(TimeKey(event.time), event.sequence);
  batch_out->Put(kSpace, std::string(1, kEventTag) + tail, EncodeAuditEvent(event));
  batch_out->Put(kSpace, IndexPrefix(kActorTag, event.actor) + tail, "");
  for (const std::string& p : PrefixAndParents(AuditPrefixOf(event.target))) {
    batch_out->Put(kSpace, IndexPrefix(kPrefixTag, p) + tail, "");
  }
  return event.sequence;
}

absl::StatusOr<uint64_t> AuditLog::NextSequence() {
  std::lock_guard<std::mutex> lock(mu_);
  if (next_sequence_ >= reserved_end_) {
    std::string counter;
    ByteWriter(&counter).WriteU64(next_sequence_ + kSequenceBlock);
    store::WriteBatch reserve;
    reserve.Put(kSpace, kSequenceKey, counter);
    QL_RETURN_IF_ERROR(store_->Write(reserve));
    reserved_end_ = next_sequence_ + kSequenceBlock;
  }
  return next_sequence_++;
}

absl::StatusOr<AuditPage> AuditLog::Query(const AuditQuery& query) const {
  if (query.from > query.to) return absl::InvalidArgumentError("audit query ends before it starts");
  size_t limit = query.limit == 0 ? kDefaultLimit : std::min(query.limit, kMaxQueryLimit);
  std::string start = Tail(TimeKey(query.from), 0);
  if (!query.cursor.empty()) {
    std::string cursor;
    if (!FromHex(query.cursor, &cursor) || cursor.size() != kTailBytes) {
      return absl::InvalidArgumentError("invalid audit cursor");
    }
    start = std::max(start, cursor);
  }
  const uint64_t to_key = TimeKey(query.to);
  const bool infinite_to = query.to == absl::InfiniteFuture();
  std::optional<std::string> prefix;
  if (query.prefix.has_value()) prefix = FoldPrefix(*query.prefix);

  // The narrowest index scan; a second filter is checked on the event.
  std::string scan_prefix;
  if (query.actor.has_value()) {
    scan_prefix = IndexPrefix(kActorTag, *query.actor);
  } else if (prefix.has_value()) {
    scan_prefix = IndexPrefix(kPrefixTag, *prefix);
  } else {
    scan_prefix = std::string(1, kEventTag);
  }
  const bool primary = scan_prefix.size() == 1;

  AuditPage page;
  absl::Status error;
  QL_RETURN_IF_ERROR(store_->Scan(
      kSpace, scan_prefix, scan_prefix + start,
      [&](std::string_view key, std::string_view value) {
        std::string_view tail = key.substr(scan_prefix.size());
        ByteReader r(tail);
        uint64_t time_key = r.ReadU64();
        if (!r.ok() || tail.size() != kTailBytes) {
          error = absl::DataLossError("malformed audit key");
          return false;
        }
        if (!infinite_to && time_key >= to_key) return false;
        if (page.events.size() == limit) {
          page.next_cursor = ToHex(tail);
          return false;
        }
        std::string stored;
        if (!primary) {
          error = store_->Get(kSpace, std::string(1, kEventTag) + std::string(tail), &stored);
          if (!error.ok()) return false;
          value = stored;
        }
        AuditEvent event;
        if (!DecodeAuditEvent(value, &event)) {
          error = absl::DataLossError("malformed audit event");
          return false;
        }
        if (query.actor.has_value() && prefix.has_value() &&
            !PrefixIsUnder(AuditPrefixOf(event.target), *prefix)) {
          return true;
        }
        page.events.push_back(std::move(event));
        return true;
      }));
  QL_RETURN_IF_ERROR(error);
  return page;
}

}  // namespace qilian::ident::authz
