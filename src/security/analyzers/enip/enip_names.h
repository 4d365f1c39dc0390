// EtherNet/IP and CIP names: encapsulation commands and status codes, common
// packet format item types, CIP services (common, and the object-specific
// ones of the Connection Manager, PCCC and Logix tag classes), general and
// extended status codes, object classes, elementary data types, and the
// identity object's vendors and device types. Tables only.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_NAMES_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_NAMES_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace qilian::security::enip {

// Encapsulation commands (CIP Vol 2, 2-3.2).
enum Command : uint16_t {
  kNop = 0x0000,
  kListServices = 0x0004,
  kListIdentity = 0x0063,
  kListInterfaces = 0x0064,
  kRegisterSession = 0x0065,
  kUnRegisterSession = 0x0066,
  kSendRRData = 0x006f,
  kSendUnitData = 0x0070,
  kIndicateStatus = 0x0072,
  kCancel = 0x0073,
};

// Common packet format item types (CIP Vol 2, 2-6).
enum ItemType : uint16_t {
  kNullAddress = 0x0000,
  kListIdentityItem = 0x000c,
  kConnectedAddress = 0x00a1,
  kConnectedData = 0x00b1,
  kUnconnectedData = 0x00b2,
  kListServicesItem = 0x0100,
  kSockaddrOT = 0x8000,
  kSockaddrTO = 0x8001,
  kSequencedAddress = 0x8002,
};

// CIP classes the analyzer treats specially.
constexpr uint32_t kIdentityClass = 0x01;
constexpr uint32_t kConnectionManagerClass = 0x06;
constexpr uint32_t kPcccClass = 0x67;

// CIP services whose data the analyzer decodes.
enum Service : uint8_t {
  kGetAttributesAll = 0x01,
  kMultipleServicePacket = 0x0a,
  kGetAttributeSingle = 0x0e,
  kSetAttributeSingle = 0x10,
  kExecutePccc = 0x4b,         // PCCC class
  kReadTag = 0x4c,             // Logix
  kWriteTag = 0x4d,            // Logix
  kForwardClose = 0x4e,        // Connection Manager
  kUnconnectedSend = 0x52,     // Connection Manager
  kReadTagFragmented = 0x52,   // Logix
  kWriteTagFragmented = 0x53,  // Logix
  kForwardOpen = 0x54,         // Connection Manager
  kLargeForwardOpen = 0x5b,    // Connection Manager
};
constexpr uint8_t kResponseBit = 0x80;

// "SendRRData", ...; "" for commands the specification lacks.
std::string_view CommandName(uint16_t command);
// "success", "invalid_command", ...; "" for undefined codes.
std::string_view EncapStatusName(uint32_t status);
// "connected_address", ...; "" for undefined types.
std::string_view ItemTypeName(uint16_t type);
// The service's name without the response bit. Object-specific services
// (0x4B and up) are named by the class they address, when known:
// Connection Manager, PCCC; else the Logix tag services. "" if none fits.
std::string_view ServiceName(uint8_t service, std::optional<uint32_t> cls);
// "identity", "message_router", ...; "" for classes not in the table.
std::string_view ClassName(uint32_t cls);
// "success", "connection_failure", ...; "" for undefined codes.
std::string_view GeneralStatusName(uint8_t status);
// Connection Manager extended status (general status 0x01); "" otherwise.
std::string_view ExtendedStatusName(uint8_t general, uint16_t extended);
// "BOOL", "DINT", "REAL", "STRUCT", ...; "" otherwise.
std::string_view DataTypeName(uint16_t type);
// Common vendors ("Rockwell Automation/Allen-Bradley" for 1); "" otherwise.
std::string_view VendorName(uint16_t vendor);
// "Programmable Logic Controller", ...; "" otherwise.
std::string_view DeviceTypeName(uint16_t device_type);

}  // namespace qilian::security::enip

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_NAMES_H_
