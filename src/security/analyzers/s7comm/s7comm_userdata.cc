// Userdata PDUs (ROSCTR 7): the programmer, cyclic, block, CPU, security and
// time function groups. The parameter names the group and subfunction and
// whether this is a request, a response or a push from the PLC; the data
// part starts with a return code, a transport size and a length.
#include <algorithm>
#include <cstdio>

#include "security/analyzers/s7comm/s7comm_names.h"
#include "security/analyzers/s7comm/s7comm_pdu.h"

namespace qilian::security::s7comm::internal {

using nlohmann::ordered_json;

namespace {

// The type nibble; 0x0 is a push from the PLC, answered by nothing.
constexpr uint8_t kTypeRequest = 0x4;
constexpr uint8_t kTypeResponse = 0x8;

int Bcd(uint8_t b) { return (b >> 4) * 10 + (b & 15); }
bool IsBcd(uint8_t b) { return (b >> 4) < 10 && (b & 15) < 10; }

// An S7 DATE_AND_TIME as userdata's clock functions carry it: a reserved
// byte, then BCD century, year, month, day, hour, minute, second, and three
// digits of milliseconds followed by the weekday.
void PutTime(std::string_view t, ordered_json* e) {
  if (t.size() != 10) return;
  for (size_t i = 1; i < 10; ++i) {
    if (!IsBcd(static_cast<uint8_t>(t[i]))) return;
  }
  auto d = [&](size_t i) { return Bcd(static_cast<uint8_t>(t[i])); };
  // The century byte is unreliable (a CPU was seen sending 19 in 2014), so
  // the two-digit year decides, as Wireshark does.
  int year = d(2);
  int century = year >= 90 ? 19 : 20;
  int ms = d(8) * 10 + (static_cast<uint8_t>(t[9]) >> 4);
  char buf[32];
  snprintf(buf, sizeof(buf), "%02d%02d-%02d-%02dT%02d:%02d:%02d.%03d", century, year, d(3), d(4),
           d(5), d(6), d(7), ms);
  (*e)["time"] = buf;
}

void BlockType(std::string_view two, ordered_json* e) {
  if (two.size() == 2 && two[0] == '0') {
    (*e)["block_type"] = BlockTypeName(static_cast<uint8_t>(two[1]));
  }
}

// Cyclic services: a subscription names its items and interval; the PLC
// answers and then pushes the items' values; an unsubscribe names the job.
void CyclicData(uint8_t type, uint8_t subfunction, ByteReader& r, ordered_json* e) {
  if (subfunction == kCyclicUnsubscribe) {
    if (type != kTypeRequest) return;
    r.ReadU8();  // function
    uint8_t job = r.ReadU8();
    if (r.ok()) (*e)["job_id"] = job;
    return;
  }
  if (subfunction != kCyclicTransfer && subfunction != kCyclicChange &&
      subfunction != kCyclicChangeModify) {
    return;
  }
  uint16_t count = r.ReadU16();
  if (!r.ok()) return;
  (*e)["item_count"] = count;
  ordered_json items = ordered_json::array();
  if (type == kTypeRequest) {
    static constexpr int kBaseMs[] = {100, 1000, 10000};
    uint8_t base = r.ReadU8();
    uint8_t factor = r.ReadU8();
    if (r.ok() && base < 3) (*e)["interval_ms"] = kBaseMs[base] * factor;
    for (uint16_t i = 0; i < count && r.ok(); ++i) {
      ordered_json item = ItemSpec(r);
      if (r.ok()) items.push_back(std::move(item));
    }
  } else {
    for (uint16_t i = 0; i < count && r.ok() && !r.at_end(); ++i) {
      ordered_json item = ordered_json::object();
      DataItem(r, i + 1 == count, &item);
      if (r.ok()) items.push_back(std::move(item));
    }
  }
  (*e)["items"] = std::move(items);
}

// The group-specific data of one userdata PDU.
void GroupData(uint8_t type, uint8_t group, uint8_t subfunction, bool first_unit,
               std::string_view data, ordered_json* e, RequestContext* remember) {
  ByteReader r(data);
  if (group == kGroupCpu && subfunction == kCpuReadSzl && first_unit) {
    uint16_t id = r.ReadU16();
    uint16_t index = r.ReadU16();
    if (!r.ok()) return;
    (*e)["szl_id"] = id;
    (*e)["szl_index"] = index;
    if (type == kTypeResponse) {
      uint16_t entry_length = r.ReadU16();
      uint16_t count = r.ReadU16();
      if (r.ok()) {
        (*e)["szl_entry_length"] = entry_length;
        (*e)["szl_count"] = count;
      }
    }
  } else if (group == kGroupBlock && subfunction == kBlockList && type == kTypeResponse) {
    ordered_json counts = ordered_json::object();
    while (r.remaining() >= 4) {
      std::string_view t = r.ReadBytes(2);
      uint16_t count = r.ReadU16();
      std::string name =
          t[0] == '0' ? std::string(BlockTypeName(static_cast<uint8_t>(t[1]))) : "unknown";
      counts[name] = count;
    }
    (*e)["block_counts"] = std::move(counts);
  } else if (group == kGroupBlock && subfunction == kBlockListType) {
    if (type == kTypeRequest) {
      BlockType(r.ReadBytes(2), e);
      if (e->contains("block_type")) remember->copied["block_type"] = (*e)["block_type"];
    } else if (type == kTypeResponse) {
      ordered_json numbers = ordered_json::array();
      while (r.remaining() >= 4) {
        numbers.push_back(r.ReadU16());
        r.Skip(2);  // flags, language
      }
      (*e)["block_count"] = numbers.size();
      (*e)["block_numbers"] = std::move(numbers);
    }
  } else if (group == kGroupBlock && subfunction == kBlockInfo && type == kTypeRequest) {
    std::string_view name = r.ReadBytes(8);  // "0A00001A": type, number, file system
    if (r.ok()) {
      ordered_json b;
      std::string file(1, '_');  // (operator+ trips a GCC 12 -Wrestrict false positive)
      file.append(name);
      PutFileName(file, &b);
      for (const char* key : {"block_type", "block_number", "filesystem"}) {
        if (b.contains(key)) {
          (*e)[key] = b[key];
          remember->copied[key] = b[key];
        }
      }
    }
  } else if (group == kGroupCyclic) {
    CyclicData(type, subfunction, r, e);
  } else if (group == kGroupTime && (subfunction == 0x01 || subfunction == 0x03) &&
             type == kTypeResponse) {
    PutTime(data, e);
  } else if (group == kGroupTime && (subfunction == 0x02 || subfunction == 0x04) &&
             type == kTypeRequest) {
    PutTime(data, e);
  }
}

}  // namespace

std::string_view ParseUserdata(uint16_t pdu_ref, std::span<const uint8_t> param,
                               std::span<const uint8_t> data, S7Session* session, ordered_json* e) {
  ByteReader p(param);
  std::string_view head = p.ReadBytes(3);
  uint8_t length = p.ReadU8();
  uint8_t method = p.ReadU8();
  uint8_t type_group = p.ReadU8();
  uint8_t subfunction = p.ReadU8();
  uint8_t seq = p.ReadU8();
  if (!p.ok()) return "s7comm_pdu_truncated";
  uint8_t type = type_group >> 4;
  uint8_t group = type_group & 0x0f;
  (*e)["type"] = UserdataTypeName(type);
  (*e)["group"] = group;
  (*e)["group_name"] = GroupName(group);
  (*e)["subfunction"] = subfunction;
  (*e)["subfunction_name"] = SubfunctionName(group, subfunction);
  (*e)["seq"] = seq;
  bool more = false;
  uint8_t unit_ref = 0;
  const ordered_json* carried = nullptr;
  if (length == 8) {
    unit_ref = p.ReadU8();
    uint8_t last_unit = p.ReadU8();
    uint16_t error_code = p.ReadU16();
    if (!p.ok()) return "s7comm_pdu_truncated";
    more = last_unit != 0;
    (*e)["data_unit_ref"] = unit_ref;
    (*e)["last_data_unit"] = !more;
    (*e)["param_error"] = error_code;
    if (unit_ref != 0) carried = session->Continuation(unit_ref);
  }
  std::string_view weird;
  if (head != std::string_view("\x00\x01\x12", 3) || (length != 4 && length != 8) ||
      size_t{length} + 4 != param.size() || (method != 0x11 && method != 0x12)) {
    weird = "s7comm_bad_userdata_param";
  }
  const RequestContext* request = nullptr;
  if (type == kTypeResponse) {
    request = session->Find(pdu_ref);
    if (request != nullptr && (request->rosctr != kUserdata || request->group != group ||
                               request->subfunction != subfunction)) {
      request = nullptr;
    }
    if (request != nullptr) {
      for (auto& [k, v] : request->copied.items()) (*e)[k] = v;
    }
  }
  RequestContext remember;
  remember.rosctr = kUserdata;
  remember.group = group;
  remember.subfunction = subfunction;
  ByteReader d(data);
  if (!data.empty()) {
    uint8_t rc = d.ReadU8();
    d.ReadU8();  // transport size
    uint16_t length_field = d.ReadU16();
    if (!d.ok()) {
      if (weird.empty()) weird = "s7comm_pdu_truncated";
    } else {
      (*e)["return_code"] = rc;
      (*e)["result"] = ReturnCodeName(rc);
      std::string_view body = d.ReadBytes(std::min<size_t>(length_field, d.remaining()));
      if (length_field != body.size() && weird.empty()) weird = "s7comm_pdu_truncated";
      (*e)["data_length"] = body.size();
      // A password is a secret: it is never written, only that one was sent.
      if (group != kGroupSecurity) {
        GroupData(type, group, subfunction, carried == nullptr, body, e, &remember);
      }
    }
  }
  if (carried != nullptr) {
    for (auto& [k, v] : carried->items()) (*e)[k] = v;
  }
  if (unit_ref != 0 && type == kTypeResponse) {
    if (!more) {
      session->EndContinuation(unit_ref);
    } else if (carried == nullptr) {
      ordered_json fields = ordered_json::object();
      for (const char* key : {"szl_id", "szl_index"}) {
        if (e->contains(key)) fields[key] = (*e)[key];
      }
      session->SetContinuation(unit_ref, std::move(fields));
    }
  }
  if (type == kTypeRequest) {
    session->Remember(pdu_ref, std::move(remember));
  } else if (type == kTypeResponse && !more) {
    if (request != nullptr) session->Forget(pdu_ref);
  }
  return weird;
}

}  // namespace qilian::security::s7comm::internal
