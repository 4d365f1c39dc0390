// The S7comm protocol's constants and their names as events write them
// (snake_case; "unknown" for a code with no name). The codes follow the
// public descriptions of the protocol (Wireshark's s7comm dissector, snap7);
// docs/security/s7comm.md lists them.
#ifndef QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_NAMES_H_
#define QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_NAMES_H_

#include <cstdint>
#include <string_view>

namespace qilian::security::s7comm {

constexpr uint8_t kS7ProtocolId = 0x32;
constexpr uint8_t kS7PlusProtocolId = 0x72;

enum Rosctr : uint8_t { kJob = 1, kAck = 2, kAckData = 3, kUserdata = 7 };

enum Function : uint8_t {
  kCpuServices = 0x00,
  kModeTransition = 0x01,
  kReadVar = 0x04,
  kWriteVar = 0x05,
  kRequestDownload = 0x1a,
  kDownloadBlock = 0x1b,
  kDownloadEnded = 0x1c,
  kStartUpload = 0x1d,
  kUpload = 0x1e,
  kEndUpload = 0x1f,
  kPiService = 0x28,
  kPlcStop = 0x29,
  kSetupCommunication = 0xf0,
};

enum SyntaxId : uint8_t { kS7Any = 0x10, kDbRead = 0xb0 };

enum FunctionGroup : uint8_t {
  kGroupProgrammer = 0x1,
  kGroupCyclic = 0x2,
  kGroupBlock = 0x3,
  kGroupCpu = 0x4,
  kGroupSecurity = 0x5,
  kGroupPbc = 0x6,
  kGroupTime = 0x7,
};
constexpr uint8_t kCpuReadSzl = 0x01;
constexpr uint8_t kCyclicTransfer = 0x01;
constexpr uint8_t kCyclicUnsubscribe = 0x04;
constexpr uint8_t kCyclicChange = 0x05;
constexpr uint8_t kCyclicChangeModify = 0x07;
constexpr uint8_t kBlockList = 0x01;
constexpr uint8_t kBlockListType = 0x02;
constexpr uint8_t kBlockInfo = 0x03;

// Item return code of success; data transport sizes whose length counts bits.
constexpr uint8_t kReturnSuccess = 0xff;

std::string_view RosctrName(uint8_t rosctr);
std::string_view FunctionName(uint8_t function);
std::string_view ErrorClassName(uint8_t error_class);
std::string_view SyntaxName(uint8_t syntax_id);
std::string_view AreaName(uint8_t area);
// Transport size of a request item (BIT, BYTE, WORD, ...).
std::string_view TransportSizeName(uint8_t size);
// Transport size of a data item (how its length is counted).
std::string_view DataTypeName(uint8_t size);
// Whether a data item's length field counts bits rather than bytes.
bool LengthInBits(uint8_t data_transport_size);
std::string_view ReturnCodeName(uint8_t code);
// Block type from its ASCII code ('8' OB, 'A' DB, 'B' SDB, 'C' FC, ...).
std::string_view BlockTypeName(uint8_t ascii_code);
std::string_view UserdataTypeName(uint8_t type);  // the high nibble, shifted
std::string_view GroupName(uint8_t group);
std::string_view SubfunctionName(uint8_t group, uint8_t subfunction);

}  // namespace qilian::security::s7comm

#endif  // QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_NAMES_H_
