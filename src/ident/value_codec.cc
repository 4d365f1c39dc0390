#include "ident/value_codec.h"

#include <algorithm>

#include "ident/handle_name.h"

namespace qilian::ident {
namespace {

// Smallest encodings, used to reject a declared count that the remaining
// bytes cannot possibly hold before anything is reserved.
constexpr size_t kMinReferenceBytes = 4 + 4;                 // empty handle + index
constexpr size_t kMinAttributeBytes = 4 + 4;                 // two empty strings
constexpr size_t kMinServerBytes = 4 + 16 + 4 + 4;           // id, address, key, count
constexpr size_t kMinInterfaceBytes = 1 + 1 + 4;             // type, protocol, port

// Reads a u32 count and checks it against `max` and against what remains.
// Returns 0 with the reader failed when either check fails.
uint32_t ReadCount(ByteReader* in, size_t max, size_t min_item_bytes) {
  uint32_t count = in->ReadU32();
  if (!in->ok()) return 0;
  if (count > max || count > in->remaining() / min_item_bytes) {
    in->Fail();
    return 0;
  }
  return count;
}

void EncodeReferences(const std::vector<ValueReference>& refs, ByteWriter* out) {
  out->WriteU32(static_cast<uint32_t>(refs.size()));
  for (const auto& ref : refs) {
    out->WriteLengthPrefixed(ref.handle);
    out->WriteU32(ref.index);
  }
}

bool DecodeReferences(ByteReader* in, size_t max, std::vector<ValueReference>* refs) {
  uint32_t count = ReadCount(in, max, kMinReferenceBytes);
  refs->clear();
  refs->reserve(count);
  for (uint32_t i = 0; i < count && in->ok(); ++i) {
    ValueReference ref;
    ref.handle = std::string(in->ReadLengthPrefixed(kMaxHandleBytes));
    ref.index = in->ReadU32();
    refs->push_back(std::move(ref));
  }
  return in->ok();
}

}  // namespace

void EncodeValue(const HandleValue& value, ByteWriter* out) {
  out->WriteU32(value.index);
  out->WriteU32(value.timestamp);
  out->WriteU8(static_cast<uint8_t>(value.ttl_type));
  out->WriteU32(value.ttl);
  out->WriteU8(value.permissions);
  out->WriteLengthPrefixed(value.type);
  out->WriteLengthPrefixed(value.data);
  EncodeReferences(value.references, out);
}

bool DecodeValue(ByteReader* in, HandleValue* value) {
  value->index = in->ReadU32();
  value->timestamp = in->ReadU32();
  uint8_t ttl_type = in->ReadU8();
  if (ttl_type > static_cast<uint8_t>(TtlType::kAbsolute)) in->Fail();
  value->ttl_type = static_cast<TtlType>(ttl_type);
  value->ttl = in->ReadU32();
  value->permissions = in->ReadU8();
  value->type = std::string(in->ReadLengthPrefixed(kMaxTypeBytes));
  value->data = std::string(in->ReadLengthPrefixed(kMaxValueDataBytes));
  return DecodeReferences(in, kMaxReferencesPerValue, &value->references);
}

void EncodeAdmin(const AdminRecord& admin, ByteWriter* out) {
  out->WriteU16(admin.permissions);
  out->WriteLengthPrefixed(admin.admin_handle);
  out->WriteU32(admin.admin_index);
}

bool DecodeAdmin(ByteReader* in, AdminRecord* admin) {
  admin->permissions = in->ReadU16();
  admin->admin_handle = std::string(in->ReadLengthPrefixed(kMaxHandleBytes));
  admin->admin_index = in->ReadU32();
  return in->ok();
}

void EncodeVList(const std::vector<ValueReference>& refs, ByteWriter* out) {
  EncodeReferences(refs, out);
}

bool DecodeVList(ByteReader* in, std::vector<ValueReference>* refs) {
  return DecodeReferences(in, kMaxVListEntries, refs);
}

void EncodeSite(const SiteInfo& site, ByteWriter* out) {
  out->WriteU16(site.version);
  out->WriteU8(site.protocol_major);
  out->WriteU8(site.protocol_minor);
  out->WriteU16(site.serial_number);
  out->WriteU8(site.primary_mask);
  out->WriteU8(site.hash_option);
  out->WriteLengthPrefixed(site.hash_filter);
  out->WriteU32(static_cast<uint32_t>(site.attributes.size()));
  for (const auto& [name, value] : site.attributes) {
    out->WriteLengthPrefixed(name);
    out->WriteLengthPrefixed(value);
  }
  out->WriteU32(static_cast<uint32_t>(site.servers.size()));
  for (const auto& server : site.servers) {
    out->WriteU32(server.server_id);
    out->WriteBytes(std::string_view(reinterpret_cast<const char*>(server.address.data()),
                                     server.address.size()));
    out->WriteLengthPrefixed(server.public_key);
    out->WriteU32(static_cast<uint32_t>(server.interfaces.size()));
    for (const auto& itf : server.interfaces) {
      out->WriteU8(itf.service_type);
      out->WriteU8(itf.protocol);
      out->WriteU32(itf.port);
    }
  }
}

bool DecodeSite(ByteReader* in, SiteInfo* site) {
  site->version = in->ReadU16();
  site->protocol_major = in->ReadU8();
  site->protocol_minor = in->ReadU8();
  site->serial_number = in->ReadU16();
  site->primary_mask = in->ReadU8();
  site->hash_option = in->ReadU8();
  site->hash_filter = std::string(in->ReadLengthPrefixed(kMaxSiteStringBytes));

  uint32_t attribute_count = ReadCount(in, kMaxSiteAttributes, kMinAttributeBytes);
  site->attributes.clear();
  site->attributes.reserve(attribute_count);
  for (uint32_t i = 0; i < attribute_count && in->ok(); ++i) {
    std::string name(in->ReadLengthPrefixed(kMaxSiteStringBytes));
    std::string value(in->ReadLengthPrefixed(kMaxSiteStringBytes));
    site->attributes.emplace_back(std::move(name), std::move(value));
  }

  uint32_t server_count = ReadCount(in, kMaxSiteServers, kMinServerBytes);
  site->servers.clear();
  site->servers.reserve(server_count);
  for (uint32_t i = 0; i < server_count && in->ok(); ++i) {
    SiteServer server;
    server.server_id = in->ReadU32();
    std::string_view address = in->ReadBytes(server.address.size());
    if (in->ok()) std::copy(address.begin(), address.end(), server.address.begin());
    server.public_key = std::string(in->ReadLengthPrefixed(kMaxSiteKeyBytes));
    uint32_t interface_count = ReadCount(in, kMaxSiteInterfaces, kMinInterfaceBytes);
    server.interfaces.reserve(interface_count);
    for (uint32_t k = 0; k < interface_count && in->ok(); ++k) {
      SiteInterface itf;
      itf.service_type = in->ReadU8();
      itf.protocol = in->ReadU8();
      itf.port = in->ReadU32();
      server.interfaces.push_back(itf);
    }
    site->servers.push_back(std::move(server));
  }
  return in->ok();
}

std::string EncodeAdminData(const AdminRecord& admin) {
  ByteWriter out;
  EncodeAdmin(admin, &out);
  return out.Release();
}

std::string EncodeVListData(const std::vector<ValueReference>& refs) {
  ByteWriter out;
  EncodeVList(refs, &out);
  return out.Release();
}

std::string EncodeSiteData(const SiteInfo& site) {
  ByteWriter out;
  EncodeSite(site, &out);
  return out.Release();
}

}  // namespace qilian::ident
