// The on-disk format of the delivery spool's segment files
// (docs/security/delivery.md, "Spool format"). Pure: no I/O, so the same
// code reads a file, recovers a torn tail and runs under the fuzzer.
//
//   segment: "QSPOOL01" | first sequence (u64 LE) | record | record | ...
//   record:  payload length (u32 LE) | CRC-32C (u32 LE) | sequence (u64 LE) | payload
//
// The CRC covers the sequence and the payload (the 8 + length bytes after
// it), so a torn or overwritten record is told from a whole one.
#ifndef QILIAN_SECURITY_DELIVERY_SPOOL_FORMAT_H_
#define QILIAN_SECURITY_DELIVERY_SPOOL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace qilian::security {

inline constexpr std::string_view kSegmentMagic = "QSPOOL01";
inline constexpr size_t kSegmentHeaderBytes = 16;
inline constexpr size_t kRecordHeaderBytes = 16;
// An event line is a few hundred bytes; anything near this is not an event.
inline constexpr size_t kMaxRecordPayload = 1 << 20;

std::string EncodeSegmentHeader(uint64_t first_sequence);
// The first sequence of a segment whose file starts with `bytes`;
// DataLoss "bad segment header: ..." for a short header or wrong magic.
absl::StatusOr<uint64_t> DecodeSegmentHeader(std::string_view bytes);

// Appends one framed record to *out.
void AppendRecord(uint64_t sequence, std::string_view payload, std::string* out);

enum class RecordResult {
  kRecord,      // a whole record, its CRC right
  kIncomplete,  // `bytes` ends inside the record (at a file's end: a torn tail)
  kCorrupt,     // *error says why; nothing after it can be framed
};

struct DecodedRecord {
  uint64_t sequence = 0;
  std::string_view payload;  // points into the decoded bytes
  size_t size = 0;           // header and payload
};

// Decodes the record at the start of `bytes`, which must carry
// `expected_sequence` (records follow each other without gaps). kCorrupt
// errors: "record length N over the limit", "CRC32C mismatch (stored
// 0x..., computed 0x...)", "sequence N where M was expected".
RecordResult DecodeRecord(std::string_view bytes, uint64_t expected_sequence, DecodedRecord* out,
                          std::string* error);

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DELIVERY_SPOOL_FORMAT_H_
