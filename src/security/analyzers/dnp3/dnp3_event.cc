#include "security/analyzers/dnp3/dnp3_event.h"

#include "absl/time/time.h"

namespace qilian::security::dnp3 {
namespace {

template <typename T>
void Put(nlohmann::ordered_json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

// File and user names are meant to be ASCII, but a device may send
// anything: printable ASCII is kept, every other byte becomes \xNN so the
// JSON is always valid UTF-8 and nothing is lost.
std::string Printable(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

std::string TimeString(uint64_t ms) {
  // 48-bit milliseconds reach the year 10889: absl formats them all.
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(static_cast<int64_t>(ms)),
                          absl::UTCTimeZone());
}

std::string_view TripCloseName(uint8_t control_code) {
  switch (control_code >> 6) {
    case 0:
      return "nul";
    case 1:
      return "close";
    case 2:
      return "trip";
    default:
      return "reserved";
  }
}

nlohmann::ordered_json PointJson(const Point& p) {
  nlohmann::ordered_json j;
  Put(j, "index", p.index);
  if (p.control_code) {
    j["control_code"] = *p.control_code;
    j["op_type"] = OperationTypeName(*p.control_code);
    j["tcc"] = TripCloseName(*p.control_code);
    j["queue"] = (*p.control_code & 0x10) != 0;
    j["clear"] = (*p.control_code & 0x20) != 0;
  }
  Put(j, "count", p.count);
  Put(j, "on_time", p.on_time);
  Put(j, "off_time", p.off_time);
  Put(j, "value", p.int_value);
  Put(j, "value", p.float_value);
  if (p.status) {
    j["status"] = *p.status;
    if (!p.file_handle && !p.block) j["status_name"] = ControlStatusName(*p.status);
  }
  if (p.time_ms) {
    j["time_ms"] = *p.time_ms;
    j["time"] = TimeString(*p.time_ms);
  }
  Put(j, "interval", p.interval);
  Put(j, "interval_units", p.interval_units);
  Put(j, "delay", p.delay);
  Put(j, "value", p.bit);
  if (p.file_name) j["file_name"] = Printable(*p.file_name);
  if (p.user_name) j["user_name"] = Printable(*p.user_name);
  Put(j, "file_handle", p.file_handle);
  Put(j, "file_size", p.file_size);
  Put(j, "file_type", p.file_type);
  Put(j, "permissions", p.permissions);
  Put(j, "op_mode", p.op_mode);
  Put(j, "max_block_size", p.max_block_size);
  Put(j, "request_id", p.request_id);
  Put(j, "block", p.block);
  Put(j, "last_block", p.last_block);
  Put(j, "data_bytes", p.data_bytes);
  return j;
}

nlohmann::ordered_json HeaderJson(const ObjectHeader& h) {
  nlohmann::ordered_json j;
  j["group"] = h.group;
  j["variation"] = h.variation;
  j["name"] = GroupName(h.group);
  j["qualifier"] = h.qualifier;
  Put(j, "start", h.start);
  Put(j, "stop", h.stop);
  if (h.all) j["all"] = true;
  j["count"] = h.count;
  if (!h.points.empty()) {
    nlohmann::ordered_json points = nlohmann::ordered_json::array();
    for (const Point& p : h.points) points.push_back(PointJson(p));
    j["points"] = std::move(points);
  }
  return j;
}

}  // namespace

std::string_view FunctionName(uint8_t f) {
  // Function codes 0-33, in order.
  // clang-format off
  static constexpr std::string_view kRequests[] = {
      "confirm", "read", "write", "select",
      "operate", "direct_operate", "direct_operate_no_ack", "immediate_freeze",
      "immediate_freeze_no_ack", "freeze_clear", "freeze_clear_no_ack", "freeze_at_time",
      "freeze_at_time_no_ack", "cold_restart", "warm_restart", "initialize_data",
      "initialize_application", "start_application", "stop_application", "save_configuration",
      "enable_unsolicited", "disable_unsolicited", "assign_class", "delay_measure",
      "record_current_time", "open_file", "close_file", "delete_file",
      "get_file_info", "authenticate_file", "abort_file", "activate_config",
      "authenticate_request", "authenticate_request_no_ack"};
  // clang-format on
  if (f < std::size(kRequests)) return kRequests[f];
  switch (f) {
    case kResponse:
      return "response";
    case kUnsolicitedResponse:
      return "unsolicited_response";
    case kAuthenticateResponse:
      return "authenticate_response";
    default:
      return "unknown";
  }
}

std::string_view GroupName(uint8_t g) {
  switch (g) {
    case 0:
      return "device_attributes";
    case 1:
      return "binary_input";
    case 2:
      return "binary_input_event";
    case 3:
      return "double_bit_binary_input";
    case 4:
      return "double_bit_binary_input_event";
    case 10:
      return "binary_output";
    case 11:
      return "binary_output_event";
    case 12:
      return "binary_output_command";
    case 13:
      return "binary_output_command_event";
    case 20:
      return "counter";
    case 21:
      return "frozen_counter";
    case 22:
      return "counter_event";
    case 23:
      return "frozen_counter_event";
    case 30:
      return "analog_input";
    case 31:
      return "frozen_analog_input";
    case 32:
      return "analog_input_event";
    case 33:
      return "frozen_analog_input_event";
    case 34:
      return "analog_input_deadband";
    case 40:
      return "analog_output_status";
    case 41:
      return "analog_output";
    case 42:
      return "analog_output_event";
    case 43:
      return "analog_output_command_event";
    case 50:
      return "time_and_date";
    case 51:
      return "time_and_date_cto";
    case 52:
      return "time_delay";
    case 60:
      return "class_data";
    case 70:
      return "file_control";
    case 80:
      return "internal_indications";
    case 81:
      return "device_storage";
    case 82:
      return "device_profile";
    case 83:
      return "data_set_registration";
    case 85:
      return "data_set_prototype";
    case 86:
      return "data_set_descriptor";
    case 87:
      return "data_set";
    case 88:
      return "data_set_event";
    case 90:
      return "application";
    case 91:
      return "status_of_requested_operation";
    case 100:
      return "floating_point";
    case 101:
      return "bcd";
    case 102:
      return "unsigned_integer";
    case 110:
      return "octet_string";
    case 111:
      return "octet_string_event";
    case 112:
      return "virtual_terminal_output";
    case 113:
      return "virtual_terminal_event";
    case 120:
      return "authentication";
    case 121:
      return "security_statistic";
    case 122:
      return "security_statistic_event";
    default:
      return "unknown";
  }
}

std::vector<std::string_view> IinNames(uint16_t iin) {
  static constexpr std::string_view kNames[16] = {
      "device_restart",        "device_trouble",  "local_control",  "need_time",
      "class3_events",         "class2_events",   "class1_events",  "all_stations",
      "iin2_reserved_7",       "iin2_reserved_6", "config_corrupt", "already_executing",
      "event_buffer_overflow", "parameter_error", "object_unknown", "no_func_code_support"};
  std::vector<std::string_view> out;
  for (int bit = 0; bit < 16; ++bit) {
    if (iin & (0x8000 >> bit)) out.push_back(kNames[bit]);
  }
  return out;
}

std::string_view OperationTypeName(uint8_t control_code) {
  switch (control_code & 0x0f) {
    case 0:
      return "nul";
    case 1:
      return "pulse_on";
    case 2:
      return "pulse_off";
    case 3:
      return "latch_on";
    case 4:
      return "latch_off";
    default:
      return "undefined";
  }
}

std::string_view ControlStatusName(uint8_t status) {
  // Control status codes 0-18, in order.
  // clang-format off
  static constexpr std::string_view kNames[] = {
      "success", "timeout", "no_select", "format_error",
      "not_supported", "already_active", "hardware_error", "local",
      "too_many_objs", "not_authorized", "automation_inhibit", "processing_limited",
      "out_of_range", "downstream_local", "already_complete", "blocked",
      "canceled", "blocked_other_master", "downstream_fail"};
  // clang-format on
  uint8_t code = status & 0x7f;
  if (code < std::size(kNames)) return kNames[code];
  if (code == 126) return "non_participating";
  return "undefined";
}

nlohmann::ordered_json ToJson(const Dnp3Event& e) {
  nlohmann::ordered_json j;
  const LinkHeader& l = e.link;
  if (e.link_only) {
    j["pdu"] = "link";
  } else {
    j["pdu"] = IsResponse(e.function) ? "response" : "request";
  }
  j["src"] = l.source;
  j["dst"] = l.destination;
  j["link_dir"] = l.from_master();
  j["link_prm"] = l.primary();
  if (l.primary()) {
    j["link_fcb"] = (l.control & kFcbBit) != 0;
    j["link_fcv"] = (l.control & kFcvBit) != 0;
  } else {
    j["link_dfc"] = (l.control & kFcvBit) != 0;
  }
  j["link_func"] = l.function();
  j["link_func_name"] = LinkFunctionName(l.primary(), l.function());
  if (e.link_only) return j;
  j["segments"] = e.segments;
  j["fir"] = (e.app_control & 0x80) != 0;
  j["fin"] = (e.app_control & 0x40) != 0;
  j["con"] = (e.app_control & 0x20) != 0;
  j["uns"] = (e.app_control & 0x10) != 0;
  j["seq"] = e.app_control & 0x0f;
  j["func"] = e.function;
  j["func_name"] = FunctionName(e.function);
  if (e.iin) {
    j["iin"] = *e.iin;
    j["iin_flags"] = IinNames(*e.iin);
  }
  if (e.request_function) {
    j["request_func"] = *e.request_function;
    j["request_func_name"] = FunctionName(*e.request_function);
  }
  if (!e.objects.empty()) {
    nlohmann::ordered_json objects = nlohmann::ordered_json::array();
    for (const ObjectHeader& h : e.objects) objects.push_back(HeaderJson(h));
    j["objects"] = std::move(objects);
  }
  return j;
}

}  // namespace qilian::security::dnp3
