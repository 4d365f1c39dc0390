#include "security/analyzers/enip/cip_identity.h"

#include <cstdio>

#include "security/analyzers/enip/enip_names.h"

namespace qilian::security::enip {

bool ReadIdentityAttribute(uint32_t attribute, LeReader& r, nlohmann::ordered_json& j) {
  switch (attribute) {
    case 1: {
      uint16_t v = r.U16();
      if (!r.ok()) return false;
      j["vendor_id"] = v;
      if (std::string_view n = VendorName(v); !n.empty()) j["vendor_name"] = n;
      return true;
    }
    case 2: {
      uint16_t v = r.U16();
      if (!r.ok()) return false;
      j["device_type"] = v;
      if (std::string_view n = DeviceTypeName(v); !n.empty()) j["device_type_name"] = n;
      return true;
    }
    case 3: {
      uint16_t v = r.U16();
      if (!r.ok()) return false;
      j["product_code"] = v;
      return true;
    }
    case 4: {
      uint8_t major = r.U8();
      uint8_t minor = r.U8();
      if (!r.ok()) return false;
      j["revision"] = std::to_string(major) + "." + std::to_string(minor);
      return true;
    }
    case 5: {
      uint16_t v = r.U16();
      if (!r.ok()) return false;
      j["status"] = v;
      return true;
    }
    case 6: {
      uint32_t v = r.U32();
      if (!r.ok()) return false;
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%08x", v);
      j["serial"] = buf;
      return true;
    }
    case 7: {  // SHORT_STRING
      uint8_t len = r.U8();
      std::span<const uint8_t> name = r.Take(len);
      if (!r.ok()) return false;
      j["product_name"] = Printable(name);
      return true;
    }
    case 8: {
      uint8_t v = r.U8();
      if (!r.ok()) return false;
      j["state"] = v;
      return true;
    }
    default:
      return false;
  }
}

bool ReadIdentity(LeReader& r, nlohmann::ordered_json& j) {
  for (uint32_t a = 1; a <= 7; ++a) {
    if (!ReadIdentityAttribute(a, r, j)) return false;
  }
  if (r.remaining() > 0) ReadIdentityAttribute(8, r, j);
  return true;
}

}  // namespace qilian::security::enip
