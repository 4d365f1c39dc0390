#include "security/analyzers/modbus/modbus_event.h"

#include "security/common/wire_text.h"

namespace qilian::security::modbus {
namespace {

template <typename T>
void Put(JsonWriter& w, const char* key, const std::optional<T>& v) {
  if (!v) return;
  if constexpr (std::is_same_v<T, bool>) {
    w.Key(key).Bool(*v);
  } else {
    w.Key(key).Uint(*v);
  }
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

void WriteJson(const ModbusEvent& e, JsonWriter& w) {
  w.Key("pdu").String(e.response ? "response" : "request");
  w.Key("tid").Uint(e.tid);
  w.Key("unit").Uint(e.unit);
  w.Key("func").Uint(e.function);
  w.Key("func_name").String(FunctionName(e.function));
  if (e.exception) {
    w.Key("exception").Uint(*e.exception);
    w.Key("exception_name").String(ExceptionName(*e.exception));
  }
  Put(w, "address", e.address);
  Put(w, "quantity", e.quantity);
  Put(w, "write_address", e.write_address);
  Put(w, "write_quantity", e.write_quantity);
  if (!e.values.empty()) w.Key("values").Uints(e.values);
  if (e.coils) {
    w.Key("coils").BeginArray();
    for (bool c : *e.coils) w.Bool(c);
    w.EndArray();
  }
  Put(w, "and_mask", e.and_mask);
  Put(w, "or_mask", e.or_mask);
  Put(w, "subfunction", e.subfunction);
  Put(w, "status", e.status);
  Put(w, "event_count", e.event_count);
  Put(w, "message_count", e.message_count);
  if (!e.file_records.empty()) {
    w.Key("file_records").BeginArray();
    for (const FileRecord& r : e.file_records) {
      w.BeginObject();
      w.Key("ref_type").Uint(r.ref_type);
      Put(w, "file", r.file);
      Put(w, "record", r.record);
      Put(w, "length", r.length);
      if (!r.values.empty()) w.Key("values").Uints(r.values);
      w.EndObject();
    }
    w.EndArray();
  }
  Put(w, "mei_type", e.mei_type);
  Put(w, "read_device_id_code", e.read_device_id_code);
  Put(w, "object_id", e.object_id);
  Put(w, "conformity", e.conformity);
  Put(w, "more_follows", e.more_follows);
  Put(w, "next_object_id", e.next_object_id);
  if (!e.objects.empty()) {
    w.Key("objects").BeginArray();
    for (const DeviceIdObject& o : e.objects) {
      w.BeginObject();
      w.Key("id").Uint(o.id);
      if (std::string_view name = DeviceIdObjectName(o.id); !name.empty()) w.Key("name").String(name);
      w.Key("value").String(PrintableBytes(o.value));
      w.EndObject();
    }
    w.EndArray();
  }
  if (e.data) w.Key("data").String(HexBytes(*e.data));
}

nlohmann::ordered_json ToJson(const ModbusEvent& e) {
  JsonWriter w;
  WriteJson(e, w);
  return nlohmann::ordered_json::parse("{" + std::string(w.view()) + "}");
}

}  // namespace qilian::security::modbus
