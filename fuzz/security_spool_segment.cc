// Fuzz target: bytes as a delivery spool segment (docs/security/delivery.md,
// "Segment format") through the header and record decoders, as recovery and
// the sender read them. Any input must frame into records, stop at an
// incomplete one or give a named error, never crash or read past the input;
// every record decoded must encode to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "security/delivery/spool_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::security;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto first = DecodeSegmentHeader(bytes);
  uint64_t sequence = first.ok() ? *first : 1;
  if (first.ok()) bytes.remove_prefix(kSegmentHeaderBytes);
  DecodedRecord record;
  std::string error;
  for (;;) {
    RecordResult r = DecodeRecord(bytes, sequence, &record, &error);
    if (r == RecordResult::kIncomplete) break;
    if (r == RecordResult::kCorrupt) {
      if (error.empty()) std::abort();
      break;
    }
    if (record.size > bytes.size() || record.payload.size() > kMaxRecordPayload) std::abort();
    std::string again;
    AppendRecord(record.sequence, record.payload, &again);
    if (again != bytes.substr(0, record.size)) std::abort();
    bytes.remove_prefix(record.size);
    ++sequence;
  }
  return 0;
}
