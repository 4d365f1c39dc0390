// The typed record of one Modbus PDU (a request or a response), and its JSON
// form. Fields a function code does not carry stay empty and are left out
// of the JSON. docs/security/modbus.md describes every field.
#ifndef QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_EVENT_H_
#define QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "security/analyzers/json_writer.h"

namespace qilian::security::modbus {

// Function codes of the Modbus Application Protocol Specification v1.1b3.
enum FunctionCode : uint8_t {
  kReadCoils = 1,
  kReadDiscreteInputs = 2,
  kReadHoldingRegisters = 3,
  kReadInputRegisters = 4,
  kWriteSingleCoil = 5,
  kWriteSingleRegister = 6,
  kReadExceptionStatus = 7,
  kDiagnostics = 8,
  kGetCommEventCounter = 11,
  kGetCommEventLog = 12,
  kWriteMultipleCoils = 15,
  kWriteMultipleRegisters = 16,
  kReportServerId = 17,
  kReadFileRecord = 20,
  kWriteFileRecord = 21,
  kMaskWriteRegister = 22,
  kReadWriteMultipleRegisters = 23,
  kReadFifoQueue = 24,
  kEncapsulatedInterface = 43,
};
constexpr uint8_t kExceptionBit = 0x80;
constexpr uint8_t kMeiReadDeviceId = 0x0e;

struct FileRecord {
  uint8_t ref_type = 0;
  std::optional<uint16_t> file;    // requests and write responses
  std::optional<uint16_t> record;  // requests and write responses
  std::optional<uint16_t> length;  // registers
  std::vector<uint16_t> values;
};

struct DeviceIdObject {
  uint8_t id = 0;
  std::string value;  // raw bytes of the object
};

struct ModbusEvent {
  bool response = false;
  uint16_t tid = 0;
  uint8_t unit = 0;
  uint8_t function = 0;  // without the exception bit
  std::optional<uint8_t> exception;
  // The data model's address and count: from the PDU, or for read
  // responses from the matching request.
  std::optional<uint16_t> address;
  std::optional<uint16_t> quantity;
  std::vector<uint16_t> values;  // register values
  std::optional<std::vector<bool>> coils;
  std::optional<uint16_t> write_address;  // FC 23
  std::optional<uint16_t> write_quantity;
  std::optional<uint16_t> and_mask;  // FC 22
  std::optional<uint16_t> or_mask;
  std::optional<uint16_t> subfunction;  // FC 8
  std::optional<uint16_t> status;       // FC 7, 11, 12
  std::optional<uint16_t> event_count;  // FC 11, 12
  std::optional<uint16_t> message_count;
  std::vector<FileRecord> file_records;  // FC 20, 21
  // FC 43: the MEI type, and for read device identification (0x0E) the rest.
  std::optional<uint8_t> mei_type;
  std::optional<uint8_t> read_device_id_code;
  std::optional<uint8_t> object_id;
  std::optional<uint8_t> conformity;
  std::optional<bool> more_follows;
  std::optional<uint8_t> next_object_id;
  std::vector<DeviceIdObject> objects;
  // Bytes with no finer structure: diagnostics data, report server id,
  // comm event log events, user-defined and unknown functions.
  std::optional<std::string> data;
};

// "read_holding_registers", ... ; "user_defined" for 65-72 and 100-110;
// "unknown" otherwise.
std::string_view FunctionName(uint8_t function);
// "illegal_function", ... ; "unknown" for codes the specification lacks.
std::string_view ExceptionName(uint8_t code);
// "VendorName", ... for the basic and regular objects; "" otherwise.
std::string_view DeviceIdObjectName(uint8_t id);

// The event's own fields, in schema order (the host adds time and flow), as
// JSON object members (AnalyzerHost::EmitJson).
void WriteJson(const ModbusEvent& e, JsonWriter& w);
// The same as a tree (tests).
nlohmann::ordered_json ToJson(const ModbusEvent& e);

}  // namespace qilian::security::modbus

#endif  // QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_EVENT_H_
