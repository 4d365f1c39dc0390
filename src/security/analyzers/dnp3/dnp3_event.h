// The typed records of DNP3: one event per application fragment (a request
// or a response) and one per link-layer-only frame, and their JSON form.
// Fields a message does not carry stay empty and are left out of the JSON.
// docs/security/dnp3.md describes every field.
#ifndef QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_EVENT_H_
#define QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "security/analyzers/dnp3/dnp3_link.h"

namespace qilian::security::dnp3 {

// Application function codes (IEEE 1815-2012 table 4-1).
enum FunctionCode : uint8_t {
  kConfirm = 0,
  kRead = 1,
  kWrite = 2,
  kSelect = 3,
  kOperate = 4,
  kDirectOperate = 5,
  kDirectOperateNoAck = 6,
  kImmediateFreeze = 7,
  kImmediateFreezeNoAck = 8,
  kFreezeClear = 9,
  kFreezeClearNoAck = 10,
  kFreezeAtTime = 11,
  kFreezeAtTimeNoAck = 12,
  kColdRestart = 13,
  kWarmRestart = 14,
  kInitializeData = 15,
  kInitializeApplication = 16,
  kStartApplication = 17,
  kStopApplication = 18,
  kSaveConfiguration = 19,
  kEnableUnsolicited = 20,
  kDisableUnsolicited = 21,
  kAssignClass = 22,
  kDelayMeasure = 23,
  kRecordCurrentTime = 24,
  kOpenFile = 25,
  kCloseFile = 26,
  kDeleteFile = 27,
  kGetFileInfo = 28,
  kAuthenticateFile = 29,
  kAbortFile = 30,
  kActivateConfig = 31,
  kAuthenticateRequest = 32,
  kAuthenticateRequestNoAck = 33,
  kResponse = 129,
  kUnsolicitedResponse = 130,
  kAuthenticateResponse = 131,
};

inline bool IsResponse(uint8_t function) { return function >= kResponse; }

// The values of one point, where they matter: control relay output blocks,
// analog output blocks, times, delays, file transfer, IIN writes.
struct Point {
  std::optional<uint32_t> index;  // from the index prefix, else start + i
  // Group 12 (CROB, PCB).
  std::optional<uint8_t> control_code;
  std::optional<uint8_t> count;
  std::optional<uint32_t> on_time;
  std::optional<uint32_t> off_time;
  std::optional<uint8_t> status;  // groups 12 and 41; file status (70)
  // Group 41: the set point, integer or floating.
  std::optional<int64_t> int_value;
  std::optional<double> float_value;
  // Group 50: milliseconds since 1970-01-01 UTC, and the interval of v2/v4.
  std::optional<uint64_t> time_ms;
  std::optional<uint32_t> interval;
  std::optional<uint8_t> interval_units;
  // Group 52: the delay (seconds for v1, milliseconds for v2).
  std::optional<uint16_t> delay;
  // Group 80: the written indication.
  std::optional<bool> bit;
  // Group 70 (file transfer).
  std::optional<std::string> file_name;
  std::optional<std::string> user_name;
  std::optional<uint32_t> file_handle;
  std::optional<uint32_t> file_size;
  std::optional<uint16_t> file_type;
  std::optional<uint16_t> permissions;
  std::optional<uint16_t> op_mode;
  std::optional<uint16_t> max_block_size;
  std::optional<uint16_t> request_id;
  std::optional<uint32_t> block;
  std::optional<bool> last_block;
  std::optional<uint32_t> data_bytes;
};

// One object header: group, variation, qualifier and range.
struct ObjectHeader {
  uint8_t group = 0;
  uint8_t variation = 0;
  uint8_t qualifier = 0;
  std::optional<uint32_t> start;  // range codes 0-5
  std::optional<uint32_t> stop;
  bool all = false;    // range code 6: every object of the type
  uint64_t count = 0;  // the objects the header covers
  std::vector<Point> points;
};

struct Dnp3Event {
  bool link_only = false;  // a frame with no user data (reset, status, ack, ...)
  LinkHeader link;         // of the fragment's first frame
  uint32_t segments = 0;   // transport segments the fragment came in
  uint8_t app_control = 0;
  uint8_t function = 0;
  std::optional<uint16_t> iin;              // responses: IIN1 << 8 | IIN2
  std::optional<uint8_t> request_function;  // the request a response answers
  std::vector<ObjectHeader> objects;
};

// "read", "direct_operate", "response", ...; "unknown" otherwise.
std::string_view FunctionName(uint8_t function);
// "binary_input", "crob", ... by group; "unknown" for groups not in the standard.
std::string_view GroupName(uint8_t group);
// The set IIN bits by name, most significant (IIN1.7, device_restart) first.
std::vector<std::string_view> IinNames(uint16_t iin);
// CROB operation type (low nibble of the control code): "latch_on", ...
std::string_view OperationTypeName(uint8_t control_code);
// Control status (groups 12 and 41): "success", "timeout", ...
std::string_view ControlStatusName(uint8_t status);

// The event's own fields, in schema order (the host adds time and flow).
nlohmann::ordered_json ToJson(const Dnp3Event& e);

}  // namespace qilian::security::dnp3

#endif  // QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_EVENT_H_
