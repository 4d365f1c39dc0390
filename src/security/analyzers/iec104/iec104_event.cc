#include "security/analyzers/iec104/iec104_event.h"

#include "security/analyzers/iec104/iec104_types.h"

namespace qilian::security::iec104 {

nlohmann::ordered_json ToJson(const Apdu& a) {
  nlohmann::ordered_json j;
  j["apdu"] = std::string(1, static_cast<char>(a.format));
  j["sender"] = a.from_controlled ? "controlled" : "controlling";
  j["length"] = a.length;
  if (a.tx_seq) j["tx_seq"] = *a.tx_seq;
  if (a.rx_seq) j["rx_seq"] = *a.rx_seq;
  if (a.expected_tx_seq) j["expected_tx_seq"] = *a.expected_tx_seq;
  if (a.u_control) {
    std::string_view name = UFunctionName(*a.u_control);
    j["u_func"] = name.empty() ? "invalid" : name;
  }
  if (!a.asdu) return j;
  const Asdu& s = *a.asdu;
  j["type_id"] = s.type_id;
  j["type_name"] = TypeName(s.type_id);
  j["sq"] = s.sq;
  j["num_objects"] = s.num_objects;
  j["cot"] = s.cot;
  std::string_view cause = CauseName(s.cot);
  j["cot_name"] = cause.empty() ? "unknown" : cause;
  j["negative"] = s.negative;
  j["test"] = s.test;
  j["originator"] = s.originator;
  j["common_address"] = s.common_address;
  if (!s.objects.empty()) j["objects"] = s.objects;
  if (s.data) j["data"] = *s.data;
  return j;
}

}  // namespace qilian::security::iec104
