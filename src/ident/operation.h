// Handle operation codes and the request flags shared by every front door
// (RFC 3652 section 2.2.2.1 and 2.2.2.4, with the bits deployed Handle.Net
// software added; ../shared/HANDLE-INTEROP.md "Header flags and codes").
#ifndef QILIAN_IDENT_OPERATION_H_
#define QILIAN_IDENT_OPERATION_H_

#include <cstdint>
#include <string_view>

namespace qilian::ident {

enum class OpCode : uint32_t {
  kReserved = 0,
  kResolution = 1,
  kGetSiteInfo = 2,
  kCreateHandle = 100,
  kDeleteHandle = 101,
  kAddValue = 102,
  kRemoveValue = 103,
  kModifyValue = 104,
  kListHandles = 105,
  kListDerivedPrefixes = 106,
  kChallengeResponse = 200,
  kVerifyResponse = 201,
  kSessionSetup = 400,
  kSessionTerminate = 401,
  kIdisLogin = 2001,  // IDIS (China identifier system) login
};

std::string_view OpCodeName(OpCode op);

// OpFlag bits of the message header, most significant first.
namespace op_flag {
inline constexpr uint32_t kAuthoritative = 0x80000000;     // AT
inline constexpr uint32_t kCertified = 0x40000000;         // CT
inline constexpr uint32_t kEncrypted = 0x20000000;         // ENC
inline constexpr uint32_t kRecursive = 0x10000000;         // REC
inline constexpr uint32_t kCacheAuthenticate = 0x08000000; // CA
inline constexpr uint32_t kContinuous = 0x04000000;        // CN
inline constexpr uint32_t kKeepAlive = 0x02000000;         // KC
inline constexpr uint32_t kPublicOnly = 0x01000000;        // PO
inline constexpr uint32_t kReturnDigest = 0x00800000;      // RD
inline constexpr uint32_t kOverwrite = 0x00400000;         // deployed: bit 9
inline constexpr uint32_t kMint = 0x00200000;              // deployed: bit 10
inline constexpr uint32_t kDoNotRefer = 0x00100000;        // deployed: bit 11
}  // namespace op_flag

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_OPERATION_H_
