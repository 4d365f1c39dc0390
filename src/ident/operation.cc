#include "ident/operation.h"

namespace qilian::ident {

std::string_view OpCodeName(OpCode op) {
  // Metric labels and log fields: snake_case, stable, and bounded (a code
  // the enum does not name is "unknown", so clients cannot grow the label
  // set by sending made-up opcodes).
  switch (op) {
    case OpCode::kReserved:
      return "reserved";
    case OpCode::kResolution:
      return "resolution";
    case OpCode::kGetSiteInfo:
      return "get_site_info";
    case OpCode::kCreateHandle:
      return "create_handle";
    case OpCode::kDeleteHandle:
      return "delete_handle";
    case OpCode::kAddValue:
      return "add_value";
    case OpCode::kRemoveValue:
      return "remove_value";
    case OpCode::kModifyValue:
      return "modify_value";
    case OpCode::kListHandles:
      return "list_handles";
    case OpCode::kListDerivedPrefixes:
      return "list_derived_prefixes";
    case OpCode::kChallengeResponse:
      return "challenge_response";
    case OpCode::kVerifyResponse:
      return "verify_response";
    case OpCode::kSessionSetup:
      return "session_setup";
    case OpCode::kSessionTerminate:
      return "session_terminate";
    case OpCode::kIdisLogin:
      return "idis_login";
  }
  return "unknown";
}

}  // namespace qilian::ident
