#include "security/analyzers/enip/cip_identity.h"

#include <cstdio>

#include "security/analyzers/enip/enip_names.h"

namespace qilian::security::enip {

bool ReadIdentityAttribute(uint32_t attribute, LeReader& r, CipIdentity* id) {
  switch (attribute) {
    case 1: {
      uint16_t v = r.U16();
      if (!r.ok()) return false;
      id->vendor_id = v;
      return true;
    }
    case 2: {
      uint16_t v = r.U16();
      if (!r.ok()) return false;
      id->device_type = v;
      return true;
    }
    case 3: {
      uint16_t v = r.U16();
      if (!r.ok()) return false;
      id->product_code = v;
      return true;
    }
    case 4: {
      uint8_t major = r.U8();
      uint8_t minor = r.U8();
      if (!r.ok()) return false;
      id->revision = std::to_string(major) + "." + std::to_string(minor);
      return true;
    }
    case 5: {
      uint16_t v = r.U16();
      if (!r.ok()) return false;
      id->status = v;
      return true;
    }
    case 6: {
      uint32_t v = r.U32();
      if (!r.ok()) return false;
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%08x", v);
      id->serial = buf;
      return true;
    }
    case 7: {  // SHORT_STRING
      uint8_t len = r.U8();
      std::span<const uint8_t> name = r.Take(len);
      if (!r.ok()) return false;
      id->product_name = PrintableBytes(name);
      return true;
    }
    case 8: {
      uint8_t v = r.U8();
      if (!r.ok()) return false;
      id->state = v;
      return true;
    }
    default:
      return false;
  }
}

bool ReadIdentity(LeReader& r, CipIdentity* id) {
  for (uint32_t a = 1; a <= 7; ++a) {
    if (!ReadIdentityAttribute(a, r, id)) return false;
  }
  if (r.remaining() > 0) ReadIdentityAttribute(8, r, id);
  return true;
}

void WriteIdentity(const CipIdentity& id, JsonWriter& j) {
  if (id.vendor_id) {
    j.Key("vendor_id").Uint(*id.vendor_id);
    if (std::string_view n = VendorName(*id.vendor_id); !n.empty()) j.Key("vendor_name").String(n);
  }
  if (id.device_type) {
    j.Key("device_type").Uint(*id.device_type);
    if (std::string_view n = DeviceTypeName(*id.device_type); !n.empty()) {
      j.Key("device_type_name").String(n);
    }
  }
  if (id.product_code) j.Key("product_code").Uint(*id.product_code);
  if (id.revision) j.Key("revision").String(*id.revision);
  if (id.status) j.Key("status").Uint(*id.status);
  if (id.serial) j.Key("serial").String(*id.serial);
  if (id.product_name) j.Key("product_name").String(*id.product_name);
  if (id.state) j.Key("state").Uint(*id.state);
}

}  // namespace qilian::security::enip
