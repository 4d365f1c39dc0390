// IEC 60870-5-104 names and layouts: the ASDU type identifications of
// IEC 60870-5-101/104 (with the information elements each object carries
// after its address, so the parser knows every object's size), the causes of
// transmission, and the U-format functions. Tables only: no parsing here.
#ifndef QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_TYPES_H_
#define QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_TYPES_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace qilian::security::iec104 {

// Information elements, in the standard's abbreviations (IEC 60870-5-101
// clause 7.2.6). Each has a fixed size except kSegment (a length byte and
// that many bytes).
enum class Element : uint8_t {
  kSiq,       // single-point information with quality
  kDiq,       // double-point information with quality
  kVti,       // value with transient state indication
  kQds,       // quality descriptor
  kBsi,       // binary state information, 32 bits
  kNva,       // normalized value
  kSva,       // scaled value
  kFloat,     // IEEE 754 short floating point
  kBcr,       // binary counter reading
  kSep,       // single event of protection equipment
  kSpe,       // start events of protection equipment
  kOci,       // output circuit information
  kQdp,       // quality descriptor for protection events
  kCp16,      // two-octet binary time (elapsed, duration, delay)
  kCp24,      // CP24Time2a
  kCp56,      // CP56Time2a
  kScd,       // status and status change detection
  kSco,       // single command
  kDco,       // double command
  kRco,       // regulating step command
  kQos,       // qualifier of set-point command
  kCoi,       // cause of initialization
  kQoi,       // qualifier of interrogation
  kQcc,       // qualifier of counter interrogation
  kQrp,       // qualifier of reset process
  kFbp,       // fixed test bit pattern
  kTsc,       // test sequence counter
  kQpm,       // qualifier of parameter of measured values
  kQpa,       // qualifier of parameter activation
  kNof,       // name of file
  kLof,       // length of file or section
  kFrq,       // file ready qualifier
  kNos,       // name of section
  kSrq,       // section ready qualifier
  kScq,       // select and call qualifier
  kLsq,       // last section or segment qualifier
  kChs,       // checksum
  kAfq,       // acknowledge file or section qualifier
  kSof,       // status of file
  kSegment,   // LOS (one byte) and the segment
  kStopTime,  // CP56Time2a, the end of a requested range
};

// The encoded size of a fixed-size element; 1 for kSegment's length byte.
size_t ElementSize(Element e);

constexpr size_t kMaxElements = 5;

struct TypeInfo {
  uint8_t id = 0;
  std::string_view name;  // "M_SP_NA_1", ...
  uint8_t count = 0;      // elements per object
  std::array<Element, kMaxElements> elements{};
};

// The type's layout, or nullptr for an identification the standard does not
// define (or one without a defined layout, such as private ranges).
const TypeInfo* FindType(uint8_t type_id);
// "M_SP_NA_1", ...; "unknown" for undefined identifications.
std::string_view TypeName(uint8_t type_id);

// Causes of transmission (6 bits): the standard's abbreviations in lower
// case ("spont", "act", "actcon", "inrogen", "inro1", ...); "" if undefined.
std::string_view CauseName(uint8_t cot);

// U-format functions: "STARTDT_act", ... for the one bit set in the first
// control octet (0x04 .. 0x80); "" otherwise.
std::string_view UFunctionName(uint8_t control1);

}  // namespace qilian::security::iec104

#endif  // QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_TYPES_H_
