// IEC 60870-5-104 ASDU decoding: the data unit identifier (type, variable
// structure qualifier, cause of transmission with P/N and test bits,
// originator address, common address) and every information object (3-octet
// address, then the type's elements: values with quality, command qualifiers,
// CP56Time2a times, file transfer fields). Pure: no framing, no I/O. A
// malformed ASDU fills in what it can and returns the weird that names it.
#ifndef QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_ASDU_H_
#define QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_ASDU_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "security/analyzers/iec104/iec104_event.h"

namespace qilian::security::iec104 {

// Type, VSQ, COT, originator, common address (2): IEC 60870-5-104's
// fixed field sizes.
constexpr size_t kAsduHeaderSize = 6;
constexpr size_t kIoaSize = 3;

// Returns "" for a well-formed ASDU, else a weird name.
std::string_view ParseAsdu(std::span<const uint8_t> bytes, Asdu* asdu);

// CP56Time2a as "YYYY-MM-DDThh:mm:ss.mmm" (the station's clock; the format
// carries no zone), years 2000-2099. Exposed for tests.
std::string Cp56ToString(std::span<const uint8_t, 7> b);

}  // namespace qilian::security::iec104

#endif  // QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_ASDU_H_
