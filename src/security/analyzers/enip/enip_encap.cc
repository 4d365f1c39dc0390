#include "security/analyzers/enip/enip_encap.h"

#include "security/analyzers/enip/cip_identity.h"
#include "security/analyzers/enip/enip_names.h"
#include "security/analyzers/enip/enip_reader.h"

namespace qilian::security::enip {
namespace {

using Json = JsonWriter;
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

struct IdentityItem {
  uint16_t encap_version = 0;
  std::string socket_address;
  uint16_t socket_port = 0;
  CipIdentity identity;
};

struct ServicesItem {
  uint16_t version = 0;
  uint16_t capability_flags = 0;
  std::string name;
};

void ListIdentityItem(Bytes data, std::vector<IdentityItem>& identities, Weirds* w) {
  LeReader r(data);
  IdentityItem id;
  id.encap_version = r.U16();
  Bytes sockaddr = r.Take(16);
  if (!r.ok()) {
    w->push_back(kBadItem);
    return;
  }
  id.socket_address = SocketAddress(sockaddr, &id.socket_port);
  if (!ReadIdentity(r, &id.identity) || !id.identity.state) w->push_back(kBadItem);
  identities.push_back(std::move(id));
}

void ListServicesItem(Bytes data, std::vector<ServicesItem>& services, Weirds* w) {
  LeReader r(data);
  ServicesItem s;
  s.version = r.U16();
  s.capability_flags = r.U16();
  Bytes name = r.Take(16);
  if (!r.ok()) {
    w->push_back(kBadItem);
    return;
  }
  size_t n = 0;
  while (n < name.size() && name[n] != 0) ++n;
  s.name = PrintableBytes(name.first(n));
  services.push_back(std::move(s));
}

// The members taken from the items' contents, each where it first appeared
// with the value of its last item (a message may repeat an item type).
class ItemFields {
 public:
  void Set(std::string_view key, uint64_t number) { Find(key) = Field{key, number, {}, false}; }
  void Set(std::string_view key, std::string text) {
    Find(key) = Field{key, 0, std::move(text), true};
  }
  void Write(Json& j) const {
    for (size_t i = 0; i < size_; ++i) {
      const Field& f = fields_[i];
      j.Key(f.key);
      if (f.is_text) {
        j.String(f.text);
      } else {
        j.Uint(f.number);
      }
    }
  }

 private:
  struct Field {
    std::string_view key;
    uint64_t number = 0;
    std::string text;
    bool is_text = false;
  };
  Field& Find(std::string_view key) {
    for (size_t i = 0; i < size_; ++i) {
      if (fields_[i].key == key) return fields_[i];
    }
    return fields_[size_++];
  }
  // The six keys CommonPacketFormat sets.
  std::array<Field, 6> fields_;
  size_t size_ = 0;
};

// The common packet format: an item count, then typed, length-prefixed items.
void CommonPacketFormat(LeReader& r, Json& j, EncapMessage* m, Weirds* w) {
  uint16_t count = r.U16();
  if (!r.ok()) {
    w->push_back(kTruncated);
    return;
  }
  // "items" goes first, the fields of the items' contents after it.
  j.Key("items").BeginArray();
  ItemFields fields;
  std::vector<IdentityItem> identities;
  std::vector<ServicesItem> services;
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
    std::string_view name = ItemTypeName(type);
    j.BeginObject()
        .Key("type")
        .Uint(type)
        .Key("type_name")
        .String(name.empty() ? "unknown" : name)
        .Key("length")
        .Uint(length)
        .EndObject();
    LeReader d(data);
    switch (type) {
      case kConnectedAddress:
        fields.Set("connection_id", d.U32());
        break;
      case kSequencedAddress:
        fields.Set("connection_id", d.U32());
        fields.Set("sequence", d.U32());
        break;
      case kSockaddrOT:
      case kSockaddrTO: {
        if (data.size() != 16) {
          w->push_back(kBadItem);
          break;
        }
        uint16_t port;
        std::string addr = SocketAddress(data, &port);
        fields.Set(type == kSockaddrOT ? "sockaddr_o_t" : "sockaddr_t_o",
                   addr + ":" + std::to_string(port));
        break;
      }
      case kUnconnectedData:
        if (m != nullptr) m->cip = data;
        break;
      case kConnectedData:
        if (m != nullptr && m->command == kSendUnitData) {
          m->cip_sequence = d.U16();
          m->cip = d.Rest();
          if (d.ok()) fields.Set("cip_sequence", *m->cip_sequence);
        } else {
          fields.Set("data_length", data.size());  // I/O data
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
  j.EndArray();
  fields.Write(j);
  if (!identities.empty()) {
    j.Key("identities").BeginArray();
    for (const IdentityItem& id : identities) {
      j.BeginObject()
          .Key("encap_version")
          .Uint(id.encap_version)
          .Key("socket_address")
          .String(id.socket_address)
          .Key("socket_port")
          .Uint(id.socket_port);
      WriteIdentity(id.identity, j);
      j.EndObject();
    }
    j.EndArray();
  }
  if (!services.empty()) {
    j.Key("list_services").BeginArray();
    for (const ServicesItem& s : services) {
      j.BeginObject()
          .Key("version")
          .Uint(s.version)
          .Key("capability_flags")
          .Uint(s.capability_flags)
          .Key("name")
          .String(s.name)
          .EndObject();
    }
    j.EndArray();
  }
}

}  // namespace

bool PlausibleHeader(Bytes h) {
  if (h.size() < kEncapHeaderSize) return false;
  uint16_t command = static_cast<uint16_t>(h[0] | h[1] << 8);
  bool options_zero = h[20] == 0 && h[21] == 0 && h[22] == 0 && h[23] == 0;
  return !CommandName(command).empty() && options_zero;
}

void DecodeEncap(Bytes frame, bool response, EncapMessage* m, Weirds* w, Json& j) {
  LeReader r(frame);
  m->command = r.U16();
  uint16_t length = r.U16();
  uint32_t session = r.U32();
  uint32_t status = r.U32();
  Bytes context = r.Take(8);
  uint32_t options = r.U32();
  j.Key("pdu").String(response ? "response" : "request");
  j.Key("command").Uint(m->command);
  std::string_view name = CommandName(m->command);
  j.Key("command_name").String(name.empty() ? "unknown" : name);
  j.Key("length").Uint(length);
  j.Key("session").Uint(session);
  j.Key("status").Uint(status);
  std::string_view status_name = EncapStatusName(status);
  j.Key("status_name").String(status_name.empty() ? "unknown" : status_name);
  if (!r.ok()) return;
  std::copy(context.begin(), context.end(), m->context.begin());
  j.Key("context").String(HexBytes(context));
  if (options != 0) {
    j.Key("options").Uint(options);
    w->push_back("enip_nonzero_options");
  }
  if (name.empty()) w->push_back("enip_unknown_command");
  if (status != 0 && !response) w->push_back("enip_status_in_request");
  switch (m->command) {
    case kRegisterSession:
      j.Key("protocol_version").Uint(r.U16());
      j.Key("option_flags").Uint(r.U16());
      break;
    case kListIdentity:
      // A List Identity request's first two context bytes ask responders to
      // spread their answers over up to that many milliseconds.
      if (!response) j.Key("max_response_delay_ms").Uint(context[0] | context[1] << 8);
      [[fallthrough]];
    case kListServices:
    case kListInterfaces:
      if (response && r.remaining() > 0) CommonPacketFormat(r, j, m, w);
      break;
    case kSendRRData:
    case kSendUnitData: {
      j.Key("interface_handle").Uint(r.U32());
      j.Key("timeout").Uint(r.U16());
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
      if (r.remaining() > 0) j.Key("data_length").Uint(r.remaining());
      r.Rest();
      break;
  }
  if (!r.ok()) {
    w->push_back(kTruncated);
  } else if (r.remaining() > 0) {
    w->push_back(kTrailing);
  }
}

void DecodeIo(Bytes datagram, Weirds* w, Json& j) {
  j.Key("pdu").String("io");
  LeReader r(datagram);
  CommonPacketFormat(r, j, nullptr, w);
  if (r.ok() && r.remaining() > 0) w->push_back(kTrailing);
}

}  // namespace qilian::security::enip
