// The identity object's attributes (CIP Vol 1, 5-2: class 0x01), as a List
// Identity response item and a Get_Attributes_All response carry them:
// vendor id, device type, product code, revision, status, serial number,
// product name, and (optionally) state.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_CIP_IDENTITY_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_CIP_IDENTITY_H_

#include <cstdint>

#include "nlohmann/json.hpp"
#include "security/analyzers/enip/enip_reader.h"

namespace qilian::security::enip {

// Reads attributes 1-7 and, if a byte remains, 8 (state) into `j`: vendor_id,
// vendor_name, device_type, device_type_name, product_code, revision
// ("major.minor"), status, serial ("0x" and 8 hex digits), product_name,
// state. False if the bytes end early (what was read is kept).
bool ReadIdentity(LeReader& r, nlohmann::ordered_json& j);

// One attribute of the identity object, as Get_Attribute_Single returns it:
// the same field names. False for attributes outside 1-8 or short data.
bool ReadIdentityAttribute(uint32_t attribute, LeReader& r, nlohmann::ordered_json& j);

}  // namespace qilian::security::enip

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_CIP_IDENTITY_H_
