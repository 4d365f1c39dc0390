#include "security/delivery/spool_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "platform/tsdb/codec/crc32c.h"

namespace qilian::security {

namespace {

void PutLe(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(std::string_view bytes, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

}  // namespace

std::string EncodeSegmentHeader(uint64_t first_sequence) {
  std::string out(kSegmentMagic);
  PutLe(first_sequence, 8, &out);
  return out;
}

absl::StatusOr<uint64_t> DecodeSegmentHeader(std::string_view bytes) {
  if (bytes.size() < kSegmentHeaderBytes) {
    return absl::DataLossError(
        absl::StrCat("bad segment header: ", bytes.size(), " of ", kSegmentHeaderBytes, " bytes"));
  }
  if (bytes.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return absl::DataLossError("bad segment header: not a spool segment (magic)");
  }
  return GetLe(bytes, 8, 8);
}

void AppendRecord(uint64_t sequence, std::string_view payload, std::string* out) {
  const size_t start = out->size();
  PutLe(payload.size(), 4, out);
  PutLe(0, 4, out);  // the CRC, once the bytes it covers are in place
  PutLe(sequence, 8, out);
  out->append(payload);
  const uint32_t crc =
      platform::tsdb::Crc32c(std::string_view(*out).substr(start + 8, 8 + payload.size()));
  for (int i = 0; i < 4; ++i) (*out)[start + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

RecordResult DecodeRecord(std::string_view bytes, uint64_t expected_sequence, DecodedRecord* out,
                          std::string* error) {
  if (bytes.size() < 4) return RecordResult::kIncomplete;
  const uint64_t length = GetLe(bytes, 0, 4);
  if (length > kMaxRecordPayload) {
    *error = absl::StrCat("record length ", length, " over the limit");
    return RecordResult::kCorrupt;
  }
  if (bytes.size() < kRecordHeaderBytes + length) return RecordResult::kIncomplete;
  const uint32_t stored = static_cast<uint32_t>(GetLe(bytes, 4, 4));
  const uint32_t computed = platform::tsdb::Crc32c(bytes.substr(8, 8 + length));
  if (stored != computed) {
    *error = absl::StrFormat("CRC32C mismatch (stored 0x%08x, computed 0x%08x)", stored, computed);
    return RecordResult::kCorrupt;
  }
  const uint64_t sequence = GetLe(bytes, 8, 8);
  if (sequence != expected_sequence) {
    *error = absl::StrCat("sequence ", sequence, " where ", expected_sequence, " was expected");
    return RecordResult::kCorrupt;
  }
  out->sequence = sequence;
  out->payload = bytes.substr(kRecordHeaderBytes, length);
  out->size = kRecordHeaderBytes + length;
  return RecordResult::kRecord;
}

}  // namespace qilian::security
