// The identity object's attributes (CIP Vol 1, 5-2: class 0x01), as a List
// Identity response item and a Get_Attributes_All response carry them:
// vendor id, device type, product code, revision, status, serial number,
// product name, and (optionally) state.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_CIP_IDENTITY_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_CIP_IDENTITY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "security/analyzers/enip/enip_reader.h"
#include "security/analyzers/json_writer.h"

namespace qilian::security::enip {

// The attributes read so far (each optional: a Get_Attribute_Single reads
// one, a short Get_Attributes_All some).
struct CipIdentity {
  std::optional<uint16_t> vendor_id;
  std::optional<uint16_t> device_type;
  std::optional<uint16_t> product_code;
  std::optional<std::string> revision;  // "major.minor"
  std::optional<uint16_t> status;
  std::optional<std::string> serial;  // "0x" and 8 hex digits
  std::optional<std::string> product_name;
  std::optional<uint8_t> state;
};

// Reads attributes 1-7 and, if a byte remains, 8 (state). False if the
// bytes end early (what was read is kept).
bool ReadIdentity(LeReader& r, CipIdentity* id);

// One attribute of the identity object, as Get_Attribute_Single returns it.
// False for attributes outside 1-8 or short data.
bool ReadIdentityAttribute(uint32_t attribute, LeReader& r, CipIdentity* id);

// The attributes read, as members in attribute order: vendor_id,
// vendor_name, device_type, device_type_name, product_code, revision,
// status, serial, product_name, state.
void WriteIdentity(const CipIdentity& id, JsonWriter& j);

}  // namespace qilian::security::enip

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_CIP_IDENTITY_H_
