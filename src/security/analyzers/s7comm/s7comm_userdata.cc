// Userdata PDUs (ROSCTR 7): the programmer, cyclic, block, CPU, security and
// time function groups. The parameter names the group and subfunction and
// whether this is a request, a response or a push from the PLC; the data
// part starts with a return code, a transport size and a length.
#include <algorithm>
#include <cstdio>

#include "security/analyzers/s7comm/s7comm_names.h"
#include "security/analyzers/s7comm/s7comm_pdu.h"

namespace qilian::security::s7comm::internal {

using Json = JsonWriter;

namespace {

// The type nibble; 0x0 is a push from the PLC, answered by nothing.
constexpr uint8_t kTypeRequest = 0x4;
constexpr uint8_t kTypeResponse = 0x8;

int Bcd(uint8_t b) { return (b >> 4) * 10 + (b & 15); }
bool IsBcd(uint8_t b) { return (b >> 4) < 10 && (b & 15) < 10; }

// An S7 DATE_AND_TIME as userdata's clock functions carry it: a reserved
// byte, then BCD century, year, month, day, hour, minute, second, and three
// digits of milliseconds followed by the weekday.
void PutTime(std::string_view t, Json& e) {
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
  e.Key("time").String(buf);
}

void BlockType(std::string_view two, Json& e, CopiedFields* copied) {
  if (two.size() == 2 && two[0] == '0') {
    copied->block_type = BlockTypeName(static_cast<uint8_t>(two[1]));
    e.Key("block_type").String(*copied->block_type);
  }
}

// Cyclic services: a subscription names its items and interval; the PLC
// answers and then pushes the items' values; an unsubscribe names the job.
void CyclicData(uint8_t type, uint8_t subfunction, ByteReader& r, Json& e) {
  if (subfunction == kCyclicUnsubscribe) {
    if (type != kTypeRequest) return;
    r.ReadU8();  // function
    uint8_t job = r.ReadU8();
    if (r.ok()) e.Key("job_id").Uint(job);
    return;
  }
  if (subfunction != kCyclicTransfer && subfunction != kCyclicChange &&
      subfunction != kCyclicChangeModify) {
    return;
  }
  uint16_t count = r.ReadU16();
  if (!r.ok()) return;
  e.Key("item_count").Uint(count);
  if (type == kTypeRequest) {
    static constexpr int kBaseMs[] = {100, 1000, 10000};
    uint8_t base = r.ReadU8();
    uint8_t factor = r.ReadU8();
    if (r.ok() && base < 3) e.Key("interval_ms").Int(kBaseMs[base] * factor);
    e.Key("items").BeginArray();
    for (uint16_t i = 0; i < count && r.ok(); ++i) {
      S7Item item = ItemSpec(r);
      if (!r.ok()) break;
      WriteItemSpec(item, e.BeginObject());
      e.EndObject();
    }
  } else {
    e.Key("items").BeginArray();
    for (uint16_t i = 0; i < count && r.ok() && !r.at_end(); ++i) {
      S7DataItem item = DataItem(r, i + 1 == count);
      if (!r.ok()) break;
      WriteDataItem(item, e.BeginObject());
      e.EndObject();
    }
  }
  e.EndArray();
}

// The group-specific data of one userdata PDU.
void GroupData(uint8_t type, uint8_t group, uint8_t subfunction, bool first_unit,
               std::string_view data, Json& e, RequestContext* remember,
               CarriedFields* szl) {
  ByteReader r(data);
  if (group == kGroupCpu && subfunction == kCpuReadSzl && first_unit) {
    uint16_t id = r.ReadU16();
    uint16_t index = r.ReadU16();
    if (!r.ok()) return;
    e.Key("szl_id").Uint(id);
    e.Key("szl_index").Uint(index);
    szl->szl_id = id;
    szl->szl_index = index;
    if (type == kTypeResponse) {
      uint16_t entry_length = r.ReadU16();
      uint16_t count = r.ReadU16();
      if (r.ok()) {
        e.Key("szl_entry_length").Uint(entry_length);
        e.Key("szl_count").Uint(count);
      }
    }
  } else if (group == kGroupBlock && subfunction == kBlockList && type == kTypeResponse) {
    // By type name, each where it first appears with its last count (a
    // list may name a type twice, and "unknown" stands for several).
    std::vector<std::pair<std::string_view, uint16_t>> counts;
    while (r.remaining() >= 4) {
      std::string_view t = r.ReadBytes(2);
      uint16_t count = r.ReadU16();
      std::string_view name = t[0] == '0' ? BlockTypeName(static_cast<uint8_t>(t[1])) : "unknown";
      auto at = std::find_if(counts.begin(), counts.end(),
                             [name](const auto& c) { return c.first == name; });
      if (at != counts.end()) {
        at->second = count;
      } else {
        counts.emplace_back(name, count);
      }
    }
    e.Key("block_counts").BeginObject();
    for (const auto& [name, count] : counts) e.Key(name).Uint(count);
    e.EndObject();
  } else if (group == kGroupBlock && subfunction == kBlockListType) {
    if (type == kTypeRequest) {
      BlockType(r.ReadBytes(2), e, &remember->copied);
    } else if (type == kTypeResponse) {
      std::vector<uint16_t> numbers;
      while (r.remaining() >= 4) {
        numbers.push_back(r.ReadU16());
        r.Skip(2);  // flags, language
      }
      e.Key("block_count").Uint(numbers.size());
      e.Key("block_numbers").Uints(numbers);
    }
  } else if (group == kGroupBlock && subfunction == kBlockInfo && type == kTypeRequest) {
    std::string_view name = r.ReadBytes(8);  // "0A00001A": type, number, file system
    if (r.ok()) {
      std::string file(1, '_');  // (operator+ trips a GCC 12 -Wrestrict false positive)
      file.append(name);
      if (std::optional<BlockName> b = ParseBlockName(file)) {
        CopiedFields& copied = remember->copied;
        copied.block_type = b->block_type;
        copied.block_number = b->block_number;
        copied.filesystem = std::move(b->filesystem);
        copied.Write(e);
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
                               std::span<const uint8_t> data, S7Session* session, Json& e) {
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
  e.Key("type").String(UserdataTypeName(type));
  e.Key("group").Uint(group);
  e.Key("group_name").String(GroupName(group));
  e.Key("subfunction").Uint(subfunction);
  e.Key("subfunction_name").String(SubfunctionName(group, subfunction));
  e.Key("seq").Uint(seq);
  bool more = false;
  uint8_t unit_ref = 0;
  const CarriedFields* carried = nullptr;
  if (length == 8) {
    unit_ref = p.ReadU8();
    uint8_t last_unit = p.ReadU8();
    uint16_t error_code = p.ReadU16();
    if (!p.ok()) return "s7comm_pdu_truncated";
    more = last_unit != 0;
    e.Key("data_unit_ref").Uint(unit_ref);
    e.Key("last_data_unit").Bool(!more);
    e.Key("param_error").Uint(error_code);
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
    if (request != nullptr) request->copied.Write(e);
  }
  RequestContext remember;
  remember.rosctr = kUserdata;
  remember.group = group;
  remember.subfunction = subfunction;
  CarriedFields szl;  // what this unit's followers repeat
  ByteReader d(data);
  if (!data.empty()) {
    uint8_t rc = d.ReadU8();
    d.ReadU8();  // transport size
    uint16_t length_field = d.ReadU16();
    if (!d.ok()) {
      if (weird.empty()) weird = "s7comm_pdu_truncated";
    } else {
      e.Key("return_code").Uint(rc);
      e.Key("result").String(ReturnCodeName(rc));
      std::string_view body = d.ReadBytes(std::min<size_t>(length_field, d.remaining()));
      if (length_field != body.size() && weird.empty()) weird = "s7comm_pdu_truncated";
      e.Key("data_length").Uint(body.size());
      // A password is a secret: it is never written, only that one was sent.
      if (group != kGroupSecurity) {
        GroupData(type, group, subfunction, carried == nullptr, body, e, &remember, &szl);
      }
    }
  }
  if (carried != nullptr) {
    // GroupData wrote no SZL header for a follower: these come last.
    if (carried->szl_id) e.Key("szl_id").Uint(*carried->szl_id);
    if (carried->szl_index) e.Key("szl_index").Uint(*carried->szl_index);
  }
  if (unit_ref != 0 && type == kTypeResponse) {
    if (!more) {
      session->EndContinuation(unit_ref);
    } else if (carried == nullptr) {
      session->SetContinuation(unit_ref, szl);
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
