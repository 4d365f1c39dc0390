// The engine's write-ahead records (docs/tsdb.md, "Keys", `wal/`): one per
// Write call, the call's points in order. Pure codec: no I/O, no storage.
//
// Version 2 (space tsdb_wal), compact: a point of a float series over
// 1 s data costs about 13 bytes (version 1, in space tsdb before it, cost
// 26). Version 1 records are still decoded, for stores written before.
#ifndef QILIAN_PLATFORM_TSDB_ENGINE_WAL_RECORD_H_
#define QILIAN_PLATFORM_TSDB_ENGINE_WAL_RECORD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "platform/tsdb/engine/engine.h"

namespace qilian::platform::tsdb {

inline constexpr uint8_t kWalRecordVersion = 2;

// Appends points to a version 2 record:
//   record = version:u8 (2) count:varint point{count}
//   point  = series:varint time:zigzag-varint(t - previous t, the first from 0)
//            kind:u8 value
//   value  = float: IEEE bits, 8 bytes little-endian | int: zigzag varint
//          | bool: u8 0/1 | text: varint length, bytes
class WalRecordWriter {
 public:
  // Starts a record of `count` points in *out (cleared; its capacity kept).
  WalRecordWriter(std::string* out, size_t count);
  void Add(SeriesId id, int64_t time_ms, const PointValue& value);

 private:
  std::string* out_;
  int64_t previous_ = 0;
};

// Calls `visit` for each point of a record (version 1 or 2), in order;
// InvalidArgument for a malformed record (truncated, an unknown kind or
// version, a text over kMaxTextValueBytes, trailing bytes) or when `visit`
// returns false.
using WalVisitor = std::function<bool(SeriesId id, int64_t time_ms, PointValue value)>;
absl::Status DecodeWalRecord(std::string_view record, const WalVisitor& visit);

// A version 1 record (count:u32, then per point id:u64 time:i64 kind:u8
// value: float bits u64, int i64, bool u8, text u32 length and bytes; all
// big-endian), for tests of the upgrade from it.
void AppendWalRecordV1(std::string* out, SeriesId id, int64_t time_ms, const PointValue& value);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_ENGINE_WAL_RECORD_H_
