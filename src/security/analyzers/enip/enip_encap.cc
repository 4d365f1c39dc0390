#include "security/analyzers/enip/enip_encap.h"

#include "security/analyzers/enip/cip_identity.h"
#include "security/analyzers/enip/enip_names.h"
#include "security/analyzers/enip/enip_reader.h"

namespace qilian::security::enip {
namespace {

using Json = nlohmann::ordered_json;
using Bytes = std::span<const uint8_t>;

constexpr std::string_view kItemTruncated = "enip_item_truncated";
constexpr std::string_view kTooManyItems = "enip_too_many_items";
constexpr std::string_view kTrailing = "enip_trailing_bytes";
constexpr std::string_view kTruncated = "enip_command_data_truncated";
constexpr std::string_view kBadItem = "enip_bad_item";
constexpr std::string_view kNoCip = "enip_missing_cip_message";

// sockaddr_in as List Identity and the sockaddr items carry it: big-endian.
std::string SocketAddress(Bytes b, uint16_t* port) {
  *port = static_cast<uint16_t>(b[2] << 8 | b[3]);
  return std::to_string(b[4]) + "." + std::to_string(b[5]) + "." + std::to_string(b[6]) + "." +
         std::to_string(b[7]);
}

void ListIdentityItem(Bytes data, Json& identities, Weirds* w) {
  LeReader r(data);
  Json id;
  id["encap_version"] = r.U16();
  Bytes sockaddr = r.Take(16);
  if (!r.ok()) {
    w->push_back(kBadItem);
    return;
  }
  uint16_t port;
  id["socket_address"] = SocketAddress(sockaddr, &port);
  id["socket_port"] = port;
  if (!ReadIdentity(r, id) || !id.contains("state")) w->push_back(kBadItem);
  identities.push_back(std::move(id));
}

void ListServicesItem(Bytes data, Json& services, Weirds* w) {
  LeReader r(data);
  Json s;
  s["version"] = r.U16();
  s["capability_flags"] = r.U16();
  Bytes name = r.Take(16);
  if (!r.ok()) {
    w->push_back(kBadItem);
    return;
  }
  size_t n = 0;
  while (n < name.size() && name[n] != 0) ++n;
  s["name"] = Printable(name.first(n));
  services.push_back(std::move(s));
}

// The common packet format: an item count, then typed, length-prefixed items.
void CommonPacketFormat(LeReader& r, Json& j, EncapMessage* m, Weirds* w) {
  uint16_t count = r.U16();
  if (!r.ok()) {
    w->push_back(kTruncated);
    return;
  }
  // "items" goes first, the fields of the items' contents after it: its
  // place is taken now and its value set at the end.
  j["items"] = nullptr;
  Json items = Json::array();
  Json identities = Json::array();
  Json services = Json::array();
  for (uint16_t i = 0; i < count; ++i) {
    if (i == kMaxItems) {
      w->push_back(kTooManyItems);
      break;
    }
    uint16_t type = r.U16();
    uint16_t length = r.U16();
    if (!r.ok() || length > r.remaining()) {
      // Counted once here; the message's end is this item's.
      w->push_back(kItemTruncated);
      r.Rest();
      break;
    }
    Bytes data = r.Take(length);
    Json item;
    item["type"] = type;
    std::string_view name = ItemTypeName(type);
    item["type_name"] = name.empty() ? "unknown" : name;
    item["length"] = length;
    items.push_back(std::move(item));
    LeReader d(data);
    switch (type) {
      case kConnectedAddress:
        j["connection_id"] = d.U32();
        break;
      case kSequencedAddress:
        j["connection_id"] = d.U32();
        j["sequence"] = d.U32();
        break;
      case kSockaddrOT:
      case kSockaddrTO: {
        if (data.size() != 16) {
          w->push_back(kBadItem);
          break;
        }
        uint16_t port;
        std::string addr = SocketAddress(data, &port);
        j[type == kSockaddrOT ? "sockaddr_o_t" : "sockaddr_t_o"] =
            addr + ":" + std::to_string(port);
        break;
      }
      case kUnconnectedData:
        if (m != nullptr) m->cip = data;
        break;
      case kConnectedData:
        if (m != nullptr && m->command == kSendUnitData) {
          m->cip_sequence = d.U16();
          m->cip = d.Rest();
          if (d.ok()) j["cip_sequence"] = *m->cip_sequence;
        } else {
          j["data_length"] = data.size();  // I/O data
        }
        break;
      case kListIdentityItem:
        ListIdentityItem(data, identities, w);
        break;
      case kListServicesItem:
        ListServicesItem(data, services, w);
        break;
      default:
        break;
    }
    if (!d.ok()) w->push_back(kBadItem);
  }
  j["items"] = std::move(items);
  if (!identities.empty()) j["identities"] = std::move(identities);
  if (!services.empty()) j["list_services"] = std::move(services);
}

}  // namespace

bool PlausibleHeader(Bytes h) {
  if (h.size() < kEncapHeaderSize) return false;
  uint16_t command = static_cast<uint16_t>(h[0] | h[1] << 8);
  bool options_zero = h[20] == 0 && h[21] == 0 && h[22] == 0 && h[23] == 0;
  return !CommandName(command).empty() && options_zero;
}

void DecodeEncap(Bytes frame, bool response, EncapMessage* m, Weirds* w) {
  LeReader r(frame);
  m->command = r.U16();
  uint16_t length = r.U16();
  uint32_t session = r.U32();
  uint32_t status = r.U32();
  Bytes context = r.Take(8);
  uint32_t options = r.U32();
  Json& j = m->fields;
  j["pdu"] = response ? "response" : "request";
  j["command"] = m->command;
  std::string_view name = CommandName(m->command);
  j["command_name"] = name.empty() ? "unknown" : name;
  j["length"] = length;
  j["session"] = session;
  j["status"] = status;
  std::string_view status_name = EncapStatusName(status);
  j["status_name"] = status_name.empty() ? "unknown" : status_name;
  if (!r.ok()) return;
  std::copy(context.begin(), context.end(), m->context.begin());
  j["context"] = Hex(context);
  if (options != 0) {
    j["options"] = options;
    w->push_back("enip_nonzero_options");
  }
  if (name.empty()) w->push_back("enip_unknown_command");
  if (status != 0 && !response) w->push_back("enip_status_in_request");
  switch (m->command) {
    case kRegisterSession:
      j["protocol_version"] = r.U16();
      j["option_flags"] = r.U16();
      break;
    case kListIdentity:
      // A List Identity request's first two context bytes ask responders to
      // spread their answers over up to that many milliseconds.
      if (!response) j["max_response_delay_ms"] = context[0] | context[1] << 8;
      [[fallthrough]];
    case kListServices:
    case kListInterfaces:
      if (response && r.remaining() > 0) CommonPacketFormat(r, j, m, w);
      break;
    case kSendRRData:
    case kSendUnitData: {
      j["interface_handle"] = r.U32();
      j["timeout"] = r.U16();
      size_t before = w->size();
      CommonPacketFormat(r, j, m, w);
      // A broken item already said why there is no CIP message.
      if (r.ok() && w->size() == before && m->cip.empty() && status == 0) w->push_back(kNoCip);
      break;
    }
    case kNop:
    case kIndicateStatus:
    case kCancel:
    default:
      if (r.remaining() > 0) j["data_length"] = r.remaining();
      r.Rest();
      break;
  }
  if (!r.ok()) {
    w->push_back(kTruncated);
  } else if (r.remaining() > 0) {
    w->push_back(kTrailing);
  }
}

Json DecodeIo(Bytes datagram, Weirds* w) {
  Json j;
  j["pdu"] = "io";
  LeReader r(datagram);
  CommonPacketFormat(r, j, nullptr, w);
  if (r.ok() && r.remaining() > 0) w->push_back(kTrailing);
  return j;
}

}  // namespace qilian::security::enip
