#include "security/analyzers/iec104/iec104_types.h"

#include <algorithm>
#include <initializer_list>

namespace qilian::security::iec104 {
namespace {

using E = Element;

constexpr TypeInfo T(uint8_t id, std::string_view name, std::initializer_list<Element> els) {
  TypeInfo t;
  t.id = id;
  t.name = name;
  for (Element e : els) t.elements[t.count++] = e;
  return t;
}

// IEC 60870-5-101 table 8 and IEC 60870-5-104 table 1 (types 58-64 and 107
// are the 104-only time-tagged commands). Sorted by id.
constexpr TypeInfo kTypes[] = {
    // Process information in monitor direction.
    T(1, "M_SP_NA_1", {E::kSiq}),
    T(2, "M_SP_TA_1", {E::kSiq, E::kCp24}),
    T(3, "M_DP_NA_1", {E::kDiq}),
    T(4, "M_DP_TA_1", {E::kDiq, E::kCp24}),
    T(5, "M_ST_NA_1", {E::kVti, E::kQds}),
    T(6, "M_ST_TA_1", {E::kVti, E::kQds, E::kCp24}),
    T(7, "M_BO_NA_1", {E::kBsi, E::kQds}),
    T(8, "M_BO_TA_1", {E::kBsi, E::kQds, E::kCp24}),
    T(9, "M_ME_NA_1", {E::kNva, E::kQds}),
    T(10, "M_ME_TA_1", {E::kNva, E::kQds, E::kCp24}),
    T(11, "M_ME_NB_1", {E::kSva, E::kQds}),
    T(12, "M_ME_TB_1", {E::kSva, E::kQds, E::kCp24}),
    T(13, "M_ME_NC_1", {E::kFloat, E::kQds}),
    T(14, "M_ME_TC_1", {E::kFloat, E::kQds, E::kCp24}),
    T(15, "M_IT_NA_1", {E::kBcr}),
    T(16, "M_IT_TA_1", {E::kBcr, E::kCp24}),
    T(17, "M_EP_TA_1", {E::kSep, E::kCp16, E::kCp24}),
    T(18, "M_EP_TB_1", {E::kSpe, E::kQdp, E::kCp16, E::kCp24}),
    T(19, "M_EP_TC_1", {E::kOci, E::kQdp, E::kCp16, E::kCp24}),
    T(20, "M_PS_NA_1", {E::kScd, E::kQds}),
    T(21, "M_ME_ND_1", {E::kNva}),
    T(30, "M_SP_TB_1", {E::kSiq, E::kCp56}),
    T(31, "M_DP_TB_1", {E::kDiq, E::kCp56}),
    T(32, "M_ST_TB_1", {E::kVti, E::kQds, E::kCp56}),
    T(33, "M_BO_TB_1", {E::kBsi, E::kQds, E::kCp56}),
    T(34, "M_ME_TD_1", {E::kNva, E::kQds, E::kCp56}),
    T(35, "M_ME_TE_1", {E::kSva, E::kQds, E::kCp56}),
    T(36, "M_ME_TF_1", {E::kFloat, E::kQds, E::kCp56}),
    T(37, "M_IT_TB_1", {E::kBcr, E::kCp56}),
    T(38, "M_EP_TD_1", {E::kSep, E::kCp16, E::kCp56}),
    T(39, "M_EP_TE_1", {E::kSpe, E::kQdp, E::kCp16, E::kCp56}),
    T(40, "M_EP_TF_1", {E::kOci, E::kQdp, E::kCp16, E::kCp56}),
    // Process information in control direction.
    T(45, "C_SC_NA_1", {E::kSco}),
    T(46, "C_DC_NA_1", {E::kDco}),
    T(47, "C_RC_NA_1", {E::kRco}),
    T(48, "C_SE_NA_1", {E::kNva, E::kQos}),
    T(49, "C_SE_NB_1", {E::kSva, E::kQos}),
    T(50, "C_SE_NC_1", {E::kFloat, E::kQos}),
    T(51, "C_BO_NA_1", {E::kBsi}),
    T(58, "C_SC_TA_1", {E::kSco, E::kCp56}),
    T(59, "C_DC_TA_1", {E::kDco, E::kCp56}),
    T(60, "C_RC_TA_1", {E::kRco, E::kCp56}),
    T(61, "C_SE_TA_1", {E::kNva, E::kQos, E::kCp56}),
    T(62, "C_SE_TB_1", {E::kSva, E::kQos, E::kCp56}),
    T(63, "C_SE_TC_1", {E::kFloat, E::kQos, E::kCp56}),
    T(64, "C_BO_TA_1", {E::kBsi, E::kCp56}),
    // System information in monitor direction.
    T(70, "M_EI_NA_1", {E::kCoi}),
    // System information in control direction.
    T(100, "C_IC_NA_1", {E::kQoi}),
    T(101, "C_CI_NA_1", {E::kQcc}),
    T(102, "C_RD_NA_1", {}),
    T(103, "C_CS_NA_1", {E::kCp56}),
    T(104, "C_TS_NA_1", {E::kFbp}),
    T(105, "C_RP_NA_1", {E::kQrp}),
    T(106, "C_CD_NA_1", {E::kCp16}),
    T(107, "C_TS_TA_1", {E::kTsc, E::kCp56}),
    // Parameters in control direction.
    T(110, "P_ME_NA_1", {E::kNva, E::kQpm}),
    T(111, "P_ME_NB_1", {E::kSva, E::kQpm}),
    T(112, "P_ME_NC_1", {E::kFloat, E::kQpm}),
    T(113, "P_AC_NA_1", {E::kQpa}),
    // File transfer.
    T(120, "F_FR_NA_1", {E::kNof, E::kLof, E::kFrq}),
    T(121, "F_SR_NA_1", {E::kNof, E::kNos, E::kLof, E::kSrq}),
    T(122, "F_SC_NA_1", {E::kNof, E::kNos, E::kScq}),
    T(123, "F_LS_NA_1", {E::kNof, E::kNos, E::kLsq, E::kChs}),
    T(124, "F_AF_NA_1", {E::kNof, E::kNos, E::kAfq}),
    T(125, "F_SG_NA_1", {E::kNof, E::kNos, E::kSegment}),
    T(126, "F_DR_TA_1", {E::kNof, E::kLof, E::kSof, E::kCp56}),
    T(127, "F_SC_NB_1", {E::kNof, E::kCp56, E::kStopTime}),
};

}  // namespace

size_t ElementSize(Element e) {
  switch (e) {
    case E::kBsi:
    case E::kFloat:
    case E::kScd:
      return 4;
    case E::kBcr:
      return 5;
    case E::kNva:
    case E::kSva:
    case E::kCp16:
    case E::kFbp:
    case E::kTsc:
    case E::kNof:
      return 2;
    case E::kCp24:
    case E::kLof:
      return 3;
    case E::kCp56:
    case E::kStopTime:
      return 7;
    default:
      return 1;
  }
}

const TypeInfo* FindType(uint8_t type_id) {
  const TypeInfo* end = std::end(kTypes);
  const TypeInfo* it = std::lower_bound(std::begin(kTypes), end, type_id,
                                        [](const TypeInfo& t, uint8_t id) { return t.id < id; });
  return it != end && it->id == type_id ? it : nullptr;
}

std::string_view TypeName(uint8_t type_id) {
  const TypeInfo* t = FindType(type_id);
  return t != nullptr ? t->name : "unknown";
}

std::string_view CauseName(uint8_t cot) {
  // Indexed by cause; "" where the standard defines none.
  // clang-format off
  static constexpr std::string_view kNames[] = {
      /*  0 */ "", "per/cyc", "back", "spont", "init", "req", "act", "actcon", "deact", "deactcon",
      /* 10 */ "actterm", "retrem", "retloc", "file", "", "", "", "", "", "",
      /* 20 */ "inrogen", "inro1", "inro2", "inro3", "inro4", "inro5", "inro6", "inro7", "inro8",
      /* 29 */ "inro9", "inro10", "inro11", "inro12", "inro13", "inro14", "inro15", "inro16",
      /* 37 */ "reqcogen", "reqco1", "reqco2", "reqco3", "reqco4", "", "",
      /* 44 */ "unknown_type", "unknown_cause", "unknown_asdu_address", "unknown_object_address"};
  // clang-format on
  return cot < std::size(kNames) ? kNames[cot] : "";
}

std::string_view UFunctionName(uint8_t control1) {
  switch (control1 & 0xfc) {
    case 0x04:
      return "STARTDT_act";
    case 0x08:
      return "STARTDT_con";
    case 0x10:
      return "STOPDT_act";
    case 0x20:
      return "STOPDT_con";
    case 0x40:
      return "TESTFR_act";
    case 0x80:
      return "TESTFR_con";
    default:
      return "";
  }
}

}  // namespace qilian::security::iec104
