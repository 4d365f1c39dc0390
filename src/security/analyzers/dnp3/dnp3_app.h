// DNP3 application layer decoding (IEEE 1815-2012 clause 4): the
// application control and function code, the internal indications of a
// response, then every object header (group, variation, qualifier, range)
// with its objects skipped by their size, and the values that matter for
// security decoded (controls, analog outputs, times, delays, file names).
// Pure: one reassembled fragment in, a Dnp3Event out. A malformed fragment
// fills in what it can and returns the name of the weird that describes it.
#ifndef QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_APP_H_
#define QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_APP_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "security/analyzers/dnp3/dnp3_event.h"

namespace qilian::security::dnp3 {

// Object headers kept per fragment; parsing stops after this many.
constexpr size_t kMaxObjectHeaders = 256;
// Points whose values are kept per header; the rest are skipped, counted.
constexpr size_t kMaxPointsPerHeader = 32;

// How an object's size is known (IEEE 1815-2012 annex A).
enum class SizeKind : uint8_t {
  kUnknown,    // not in the table: the rest of the fragment cannot be parsed
  kNone,       // no data (class objects)
  kFixed,      // `size` bytes each
  kPacked,     // `size` bits each, packed LSB first, padded to a byte
  kAttribute,  // group 0: data type, length, then that many bytes
};
struct ObjectSize {
  SizeKind kind = SizeKind::kUnknown;
  uint32_t size = 0;
};
ObjectSize SizeOf(uint8_t group, uint8_t variation);

// Fills e->app_control, e->function, e->iin and e->objects from `fragment`
// (application header onwards). Returns "" or a weird name.
std::string_view ParseApplication(std::span<const uint8_t> fragment, Dnp3Event* e);

}  // namespace qilian::security::dnp3

#endif  // QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_APP_H_
