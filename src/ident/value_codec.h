// Binary encodings of RFC 3651 as deployed software writes them
// (../shared/HANDLE-INTEROP.md "Value encodings"): the value layout is
// index, timestamp (4 bytes), TTL type, TTL, permissions, type, data,
// references; HS_ADMIN is the 16-bit permission mask, then the admin
// handle and index. These encodings are used on the wire and in storage.
//
// Decoders take a ByteReader, leave it failed on malformed input and return
// false (a TTL type other than 0 or 1 is malformed, so that a decoded value
// always re-encodes to the same bytes); they check every declared length against what remains before
// allocating, and enforce the limits below.
#ifndef QILIAN_IDENT_VALUE_CODEC_H_
#define QILIAN_IDENT_VALUE_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "ident/handle_value.h"

namespace qilian::ident {

inline constexpr size_t kMaxTypeBytes = 255;
inline constexpr size_t kMaxValueDataBytes = 1 << 20;
inline constexpr size_t kMaxReferencesPerValue = 64;
inline constexpr size_t kMaxValuesPerHandle = 1024;
inline constexpr size_t kMaxVListEntries = 1024;
inline constexpr size_t kMaxSiteServers = 256;
inline constexpr size_t kMaxSiteInterfaces = 16;
inline constexpr size_t kMaxSiteAttributes = 64;
// Hash filter, attribute names and values in HS_SITE.
inline constexpr size_t kMaxSiteStringBytes = 4096;
// A server's public-key record in HS_SITE (RSA 4096 is about 550 bytes).
inline constexpr size_t kMaxSiteKeyBytes = 16384;
// Handles inside values (references, HS_ADMIN, HS_VLIST) obey the handle
// limit of handle_name.h, kMaxHandleBytes.

void EncodeValue(const HandleValue& value, ByteWriter* out);
bool DecodeValue(ByteReader* in, HandleValue* value);

void EncodeAdmin(const AdminRecord& admin, ByteWriter* out);
bool DecodeAdmin(ByteReader* in, AdminRecord* admin);

// HS_VLIST: u32 count, then (handle, index) pairs.
void EncodeVList(const std::vector<ValueReference>& refs, ByteWriter* out);
bool DecodeVList(ByteReader* in, std::vector<ValueReference>* refs);

void EncodeSite(const SiteInfo& site, ByteWriter* out);
bool DecodeSite(ByteReader* in, SiteInfo* site);

// Convenience wrappers over a whole string.
std::string EncodeAdminData(const AdminRecord& admin);
std::string EncodeVListData(const std::vector<ValueReference>& refs);
std::string EncodeSiteData(const SiteInfo& site);

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_VALUE_CODEC_H_
