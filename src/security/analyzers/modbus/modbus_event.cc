#include "security/analyzers/modbus/modbus_event.h"

namespace qilian::security::modbus {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

void AppendHex(unsigned char c, std::string* out) {
  out->push_back(kDigits[c >> 4]);
  out->push_back(kDigits[c & 15]);
}

std::string Hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) AppendHex(c, &out);
  return out;
}

// Device identification objects are meant to be ASCII, but a device may
// send anything: printable ASCII is kept, every other byte is written as
// \xNN so the JSON is always valid UTF-8 and nothing is lost.
std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      AppendHex(c, &out);
    }
  }
  return out;
}

template <typename T>
void Put(nlohmann::ordered_json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

}  // namespace

std::string_view FunctionName(uint8_t f) {
  switch (f) {
    case kReadCoils:
      return "read_coils";
    case kReadDiscreteInputs:
      return "read_discrete_inputs";
    case kReadHoldingRegisters:
      return "read_holding_registers";
    case kReadInputRegisters:
      return "read_input_registers";
    case kWriteSingleCoil:
      return "write_single_coil";
    case kWriteSingleRegister:
      return "write_single_register";
    case kReadExceptionStatus:
      return "read_exception_status";
    case kDiagnostics:
      return "diagnostics";
    case kGetCommEventCounter:
      return "get_comm_event_counter";
    case kGetCommEventLog:
      return "get_comm_event_log";
    case kWriteMultipleCoils:
      return "write_multiple_coils";
    case kWriteMultipleRegisters:
      return "write_multiple_registers";
    case kReportServerId:
      return "report_server_id";
    case kReadFileRecord:
      return "read_file_record";
    case kWriteFileRecord:
      return "write_file_record";
    case kMaskWriteRegister:
      return "mask_write_register";
    case kReadWriteMultipleRegisters:
      return "read_write_multiple_registers";
    case kReadFifoQueue:
      return "read_fifo_queue";
    case kEncapsulatedInterface:
      return "encapsulated_interface_transport";
    default:
      if ((f >= 65 && f <= 72) || (f >= 100 && f <= 110)) return "user_defined";
      return "unknown";
  }
}

std::string_view ExceptionName(uint8_t code) {
  switch (code) {
    case 1:
      return "illegal_function";
    case 2:
      return "illegal_data_address";
    case 3:
      return "illegal_data_value";
    case 4:
      return "server_device_failure";
    case 5:
      return "acknowledge";
    case 6:
      return "server_device_busy";
    case 8:
      return "memory_parity_error";
    case 10:
      return "gateway_path_unavailable";
    case 11:
      return "gateway_target_device_failed_to_respond";
    default:
      return "unknown";
  }
}

std::string_view DeviceIdObjectName(uint8_t id) {
  static constexpr std::string_view kNames[] = {
      "VendorName",  "ProductCode", "MajorMinorRevision", "VendorUrl",
      "ProductName", "ModelName",   "UserApplicationName"};
  return id < std::size(kNames) ? kNames[id] : "";
}

nlohmann::ordered_json ToJson(const ModbusEvent& e) {
  nlohmann::ordered_json j;
  j["pdu"] = e.response ? "response" : "request";
  j["tid"] = e.tid;
  j["unit"] = e.unit;
  j["func"] = e.function;
  j["func_name"] = FunctionName(e.function);
  if (e.exception) {
    j["exception"] = *e.exception;
    j["exception_name"] = ExceptionName(*e.exception);
  }
  Put(j, "address", e.address);
  Put(j, "quantity", e.quantity);
  Put(j, "write_address", e.write_address);
  Put(j, "write_quantity", e.write_quantity);
  if (!e.values.empty()) j["values"] = e.values;
  if (e.coils) j["coils"] = *e.coils;
  Put(j, "and_mask", e.and_mask);
  Put(j, "or_mask", e.or_mask);
  Put(j, "subfunction", e.subfunction);
  Put(j, "status", e.status);
  Put(j, "event_count", e.event_count);
  Put(j, "message_count", e.message_count);
  if (!e.file_records.empty()) {
    nlohmann::ordered_json records = nlohmann::ordered_json::array();
    for (const FileRecord& r : e.file_records) {
      nlohmann::ordered_json o;
      o["ref_type"] = r.ref_type;
      Put(o, "file", r.file);
      Put(o, "record", r.record);
      Put(o, "length", r.length);
      if (!r.values.empty()) o["values"] = r.values;
      records.push_back(std::move(o));
    }
    j["file_records"] = std::move(records);
  }
  Put(j, "mei_type", e.mei_type);
  Put(j, "read_device_id_code", e.read_device_id_code);
  Put(j, "object_id", e.object_id);
  Put(j, "conformity", e.conformity);
  Put(j, "more_follows", e.more_follows);
  Put(j, "next_object_id", e.next_object_id);
  if (!e.objects.empty()) {
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    for (const DeviceIdObject& o : e.objects) {
      nlohmann::ordered_json x;
      x["id"] = o.id;
      if (std::string_view name = DeviceIdObjectName(o.id); !name.empty()) x["name"] = name;
      x["value"] = Printable(o.value);
      objects.push_back(std::move(x));
    }
    j["objects"] = std::move(objects);
  }
  if (e.data) j["data"] = Hex(*e.data);
  return j;
}

}  // namespace qilian::security::modbus
