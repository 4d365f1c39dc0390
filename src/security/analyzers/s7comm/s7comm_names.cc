#include "security/analyzers/s7comm/s7comm_names.h"

namespace qilian::security::s7comm {

std::string_view RosctrName(uint8_t rosctr) {
  switch (rosctr) {
    case kJob:
      return "job";
    case kAck:
      return "ack";
    case kAckData:
      return "ack_data";
    case kUserdata:
      return "userdata";
    default:
      return "unknown";
  }
}

std::string_view FunctionName(uint8_t function) {
  switch (function) {
    case kCpuServices:
      return "cpu_services";
    case kModeTransition:
      return "mode_transition";
    case kReadVar:
      return "read_var";
    case kWriteVar:
      return "write_var";
    case kRequestDownload:
      return "request_download";
    case kDownloadBlock:
      return "download_block";
    case kDownloadEnded:
      return "download_ended";
    case kStartUpload:
      return "start_upload";
    case kUpload:
      return "upload";
    case kEndUpload:
      return "end_upload";
    case kPiService:
      return "pi_service";
    case kPlcStop:
      return "plc_stop";
    case kSetupCommunication:
      return "setup_communication";
    default:
      return "unknown";
  }
}

std::string_view ErrorClassName(uint8_t error_class) {
  switch (error_class) {
    case 0x00:
      return "no_error";
    case 0x81:
      return "application_relationship";
    case 0x82:
      return "object_definition";
    case 0x83:
      return "no_resources";
    case 0x84:
      return "service_processing";
    case 0x85:
      return "supplies";
    case 0x87:
      return "access";
    default:
      return "unknown";
  }
}

std::string_view SyntaxName(uint8_t syntax_id) {
  switch (syntax_id) {
    case 0x10:
      return "S7ANY";
    case 0x11:
      return "PARAMETER_SHORT";
    case 0x12:
      return "PARAMETER_EXTENDED";
    case 0x13:
      return "PBC_R_ID";
    case 0x15:
      return "ALARM_LOCKFREE";
    case 0x16:
      return "ALARM_IND";
    case 0x19:
      return "ALARM_ACK";
    case 0x1a:
      return "ALARM_QUERYREQ";
    case 0x1c:
      return "NOTIFY_IND";
    case 0x82:
      return "NCK";
    case 0x83:
      return "NCK_METRIC";
    case 0x84:
      return "NCK_INCH";
    case 0xa2:
      return "DRIVEESANY";
    case 0xb0:
      return "DBREAD";
    case 0xb2:
      return "1200SYM";
    default:
      return "unknown";
  }
}

std::string_view AreaName(uint8_t area) {
  switch (area) {
    case 0x01:
      return "RECORD";
    case 0x03:
      return "SI200";
    case 0x05:
      return "SF200";
    case 0x06:
      return "AI200";
    case 0x07:
      return "AO200";
    case 0x1c:
      return "C";
    case 0x1d:
      return "T";
    case 0x1e:
      return "C200";
    case 0x1f:
      return "T200";
    case 0x80:
      return "P";
    case 0x81:
      return "I";
    case 0x82:
      return "Q";
    case 0x83:
      return "M";
    case 0x84:
      return "DB";
    case 0x85:
      return "DI";
    case 0x86:
      return "L";
    case 0x87:
      return "V";
    default:
      return "unknown";
  }
}

std::string_view TransportSizeName(uint8_t size) {
  switch (size) {
    case 1:
      return "BIT";
    case 2:
      return "BYTE";
    case 3:
      return "CHAR";
    case 4:
      return "WORD";
    case 5:
      return "INT";
    case 6:
      return "DWORD";
    case 7:
      return "DINT";
    case 8:
      return "REAL";
    case 9:
      return "DATE";
    case 10:
      return "TOD";
    case 11:
      return "TIME";
    case 12:
      return "S5TIME";
    case 15:
      return "DATE_AND_TIME";
    case 28:
      return "COUNTER";
    case 29:
      return "TIMER";
    case 30:
      return "IEC_COUNTER";
    case 31:
      return "IEC_TIMER";
    case 32:
      return "HS_COUNTER";
    default:
      return "unknown";
  }
}

std::string_view DataTypeName(uint8_t size) {
  switch (size) {
    case 0:
      return "NULL";
    case 3:
      return "BIT";
    case 4:
      return "BYTE";
    case 5:
      return "INTEGER";
    case 6:
      return "DINTEGER";
    case 7:
      return "REAL";
    case 9:
      return "OCTET_STRING";
    case 17:
      return "NCK_ADDRESS1";
    case 18:
      return "NCK_ADDRESS2";
    default:
      return "unknown";
  }
}

bool LengthInBits(uint8_t size) { return size == 3 || size == 4 || size == 5; }

std::string_view ReturnCodeName(uint8_t code) {
  switch (code) {
    case 0x00:
      return "reserved";
    case 0x01:
      return "hardware_fault";
    case 0x03:
      return "access_denied";
    case 0x05:
      return "invalid_address";
    case 0x06:
      return "data_type_not_supported";
    case 0x07:
      return "data_type_inconsistent";
    case 0x0a:
      return "object_does_not_exist";
    case 0xff:
      return "success";
    default:
      return "unknown";
  }
}

std::string_view BlockTypeName(uint8_t c) {
  switch (c) {
    case '8':
      return "OB";
    case '9':
      return "CMOD";
    case 'A':
      return "DB";
    case 'B':
      return "SDB";
    case 'C':
      return "FC";
    case 'D':
      return "SFC";
    case 'E':
      return "FB";
    case 'F':
      return "SFB";
    default:
      return "unknown";
  }
}

std::string_view UserdataTypeName(uint8_t type) {
  switch (type) {
    case 0x0:
      return "push";
    case 0x4:
      return "request";
    case 0x8:
      return "response";
    default:
      return "unknown";
  }
}

std::string_view GroupName(uint8_t group) {
  switch (group) {
    case kGroupProgrammer:
      return "programmer_commands";
    case kGroupCyclic:
      return "cyclic_data";
    case kGroupBlock:
      return "block_functions";
    case kGroupCpu:
      return "cpu_functions";
    case kGroupSecurity:
      return "security";
    case kGroupPbc:
      return "pbc_bsend";
    case kGroupTime:
      return "time_functions";
    case 0xf:
      return "nc_programming";
    default:
      return "unknown";
  }
}

namespace {

std::string_view ProgrammerSubfunction(uint8_t s) {
  static constexpr std::string_view kNames[] = {
      "unknown",       "block_status",     "variable_status", "output_istack",   "output_bstack",
      "output_lstack", "time_measurement", "force_selection", "modify_variable", "force",
      "breakpoint",    "exit_hold",        "memory_reset",    "disable_job",     "enable_job",
      "delete_job",    "read_job_list",    "read_job",        "replace_job",     "block_status_v2"};
  if (s < std::size(kNames)) return kNames[s];
  return s == 0x16 ? "flash_led" : "unknown";
}

std::string_view CyclicSubfunction(uint8_t s) {
  switch (s) {
    case 0x01:
      return "cyclic_transfer";
    case 0x04:
      return "unsubscribe";
    case 0x05:
      return "change_driven_transfer";
    case 0x07:
      return "change_driven_transfer_modify";
    case 0x08:
      return "rdrec";
    default:
      return "unknown";
  }
}

std::string_view CpuSubfunction(uint8_t s) {
  switch (s) {
    case 0x01:
      return "read_szl";
    case 0x02:
      return "message_service";
    case 0x03:
      return "diagnostic_message";
    case 0x05:
      return "alarm8_indication";
    case 0x06:
      return "notify_indication";
    case 0x07:
      return "alarm8_lock";
    case 0x08:
      return "alarm8_unlock";
    case 0x09:
      return "scan_indication";
    case 0x0b:
      return "alarm_ack";
    case 0x0c:
      return "alarm_ack_indication";
    case 0x0d:
      return "alarm_lock_indication";
    case 0x0e:
      return "alarm_unlock_indication";
    case 0x10:
      return "ar_send_indication";
    case 0x11:
      return "alarm_sq_indication";
    case 0x12:
      return "alarm_s_indication";
    case 0x13:
      return "alarm_query";
    case 0x16:
      return "notify8_indication";
    default:
      return "unknown";
  }
}

}  // namespace

std::string_view SubfunctionName(uint8_t group, uint8_t s) {
  switch (group) {
    case kGroupProgrammer:
      return ProgrammerSubfunction(s);
    case kGroupCyclic:
      return CyclicSubfunction(s);
    case kGroupBlock:
      return s == kBlockList       ? "list_blocks"
             : s == kBlockListType ? "list_blocks_of_type"
             : s == kBlockInfo     ? "get_block_info"
                                   : "unknown";
    case kGroupCpu:
      return CpuSubfunction(s);
    case kGroupSecurity:
      return s == 0x01 ? "plc_password" : s == 0x02 ? "clean_session" : "unknown";
    case kGroupTime:
      return s == 0x01   ? "read_clock"
             : s == 0x02 ? "set_clock"
             : s == 0x03 ? "read_clock_following"
             : s == 0x04 ? "set_clock"
                         : "unknown";
    default:
      return "unknown";
  }
}

}  // namespace qilian::security::s7comm
