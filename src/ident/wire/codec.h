// The RFC 3652 message codec as deployed Handle.Net 9.x software speaks it
// (../shared/HANDLE-INTEROP.md, docs/handle_wire.md): the 24-octet message
// header, the op-specific bodies, the request digest and the credential
// section. Pure functions: no I/O, no logging, no clock.
//
// A message is envelope (envelope.h) + header + body + credential section.
// DecodeMessage checks the framing (every declared length against the bytes
// actually there, before anything is allocated); DecodeRequestBody and
// DecodeResponseBody then read the body for a given opcode. Every decoder
// returns InvalidArgument naming the field on malformed input and never
// reads past its input.
#ifndef QILIAN_IDENT_WIRE_CODEC_H_
#define QILIAN_IDENT_WIRE_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ident/handle_name.h"
#include "ident/handle_value.h"
#include "ident/operation.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"
#include "ident/wire/envelope.h"

namespace qilian::ident::wire {

inline constexpr size_t kHeaderSize = 24;
inline constexpr size_t kCredentialLengthSize = 4;

// Protocol versions accepted: 2.1 (RFC 3652) through 2.11 (Handle.Net 9).
inline constexpr uint8_t kMajorVersion = 2;
inline constexpr uint8_t kMinMinorVersion = 1;
inline constexpr uint8_t kMaxMinorVersion = 11;
// Our own highest version as deployed servers put it into every reply's
// MessageFlag (major in the low bits of the first octet, minor second).
inline constexpr uint16_t kOwnVersionFlag = (kMajorVersion << 8) | kMaxMinorVersion;

// Named limits of one message. Lengths and counts beyond these are rejected
// before anything is allocated.
inline constexpr size_t kMaxValuesPerMessage = kMaxValuesPerHandle;
inline constexpr size_t kMaxIndexesPerRequest = kMaxValuesPerHandle;
inline constexpr size_t kMaxTypesPerRequest = 256;
inline constexpr size_t kMaxHandlesPerListReply = 1 << 20;
inline constexpr size_t kMaxErrorMessageBytes = 64 << 10;
inline constexpr size_t kMaxNonceBytes = 1024;
inline constexpr size_t kMaxAuthFieldBytes = 64 << 10;  // MACs, signatures, keys
inline constexpr size_t kMaxCredentialBytes = 64 << 10;
inline constexpr size_t kMaxDigestBytes = 64;

// Request digest algorithms (RFC 3652 2.2.2.5; 3 is deployed-only, 2.7+).
enum class DigestAlgorithm : uint8_t { kNone = 0, kMd5 = 1, kSha1 = 2, kSha256 = 3 };

// Octets of a digest made with `algorithm`; 0 for an unknown one.
size_t DigestSize(DigestAlgorithm algorithm);
// The algorithm deployed servers use for a request of minor version
// `minor`: SHA-1 up to 2.6, SHA-256 from 2.7.
DigestAlgorithm DigestAlgorithmForVersion(uint8_t major, uint8_t minor);
// The digest of `bytes` (a request's header + body), via OpenSSL.
std::string ComputeDigest(DigestAlgorithm algorithm, std::string_view bytes);

// Whether the envelope's version is one we speak.
bool IsSupportedVersion(uint8_t major, uint8_t minor);

// RFC 3652 2.2.2 (Message Header).
struct MessageHeader {
  uint32_t op_code = 0;
  uint32_t response_code = 0;
  uint32_t op_flags = 0;
  uint16_t site_info_serial = 0;
  uint8_t recursion_count = 0;
  uint8_t reserved = 0;
  uint32_t expiration_time = 0;  // seconds since the epoch; 0 = none
  uint32_t body_length = 0;
  bool operator==(const MessageHeader&) const = default;
};

void EncodeHeader(const MessageHeader& header, ByteWriter* out);
// False (reader failed) when fewer than 24 octets remain.
bool DecodeHeader(ByteReader* in, MessageHeader* header);

// RFC 3652 2.2.4 (Message Credential), the part after CredentialLength.
// SignedInfo is digest algorithm name + signed data.
struct Credential {
  uint8_t version = 0;
  uint8_t reserved = 0;
  uint16_t options = 0;
  std::string signer_handle;
  uint32_t signer_index = 0;
  std::string type;              // "HS_SIGNED", "HS_MAC"
  std::string digest_algorithm;  // "SHA-256", "SHA1"
  std::string signed_data;
  bool operator==(const Credential&) const = default;
};

void EncodeCredential(const Credential& credential, ByteWriter* out);
absl::StatusOr<Credential> DecodeCredential(std::string_view bytes);

// One framed message. `body` and `credential` alias the decoded input.
struct RawMessage {
  Envelope envelope;
  MessageHeader header;
  std::string_view header_and_body;  // what a request digest covers
  std::string_view body;
  // Deployed software always writes CredentialLength (4 zero octets when
  // there is none); RFC-era senders may end after the body. Both accepted.
  bool has_credential_section = true;
  std::string_view credential;  // after CredentialLength; empty if none
};

// Frames a whole message (envelope + rest). Checks that MessageLength
// equals the octets after the envelope, that the header is complete, that
// BodyLength fits, and that CredentialLength matches what is left exactly.
absl::StatusOr<RawMessage> DecodeMessage(std::span<const uint8_t> message);
absl::StatusOr<RawMessage> DecodeMessage(std::string_view message);

// Writes envelope + header + body + credential section, filling in
// MessageLength and BodyLength. An empty `credential` writes
// CredentialLength 0.
std::string EncodeMessage(const Envelope& envelope, const MessageHeader& header,
                          std::string_view body, std::string_view credential = {});

// Request digest (the RD prefix of a response body, and the challenge).
struct RequestDigest {
  DigestAlgorithm algorithm = DigestAlgorithm::kNone;
  std::string digest;
  bool operator==(const RequestDigest&) const = default;
};

// The body of a request, by opcode. Only the fields of the opcode are used.
struct RequestBody {
  // 1, 2 ("/" as CNRI clients send, or empty as RFC), 100-105.
  std::string handle;
  std::vector<uint32_t> indexes;   // 1 filter, 103 indexes to remove
  std::vector<std::string> types;  // 1 filter
  std::vector<HandleValue> values; // 100, 102, 104
  // 200 (challenge answer) and 201 (verification request).
  std::string auth_type;           // 200: "HS_SECKEY" / "HS_PUBKEY"
  std::string key_handle;
  uint32_t key_index = 0;
  std::string answer;              // 200: algorithm octet + MAC or signature
  std::string nonce;               // 201
  std::string digest;              // 201: the original request digest
  std::string signature;           // 201: the MAC to verify
  // 400 (session setup): key exchange mode and timeout, then
  // mode-specific data kept raw.
  uint16_t key_exchange_mode = 0;
  uint32_t timeout = 0;
  // 400's mode data; 2001 (IDIS login) and anything else: the whole body.
  std::string raw;
  bool operator==(const RequestBody&) const = default;
};

absl::StatusOr<RequestBody> DecodeRequestBody(OpCode op, std::string_view body);
std::string EncodeRequestBody(OpCode op, const RequestBody& body);

// Whether a request with opcode `op` has a body layout we know.
bool IsKnownOpCode(uint32_t op);
// Administrative opcodes (100-106): not accepted over UDP, as deployed
// servers' query-only UDP interfaces refuse them.
bool IsAdminOpCode(uint32_t op);

// The body of a response. When the header has RD, the body starts with
// the request digest; a 402 carries the challenge nonce; a referral (302,
// 303) carries, as Handle.Net sends it, the referral handle and values in
// `handle` and `values` (a referral with only `message` set is written, and
// read, as RFC-era servers send it: an error message);
// any other code but success carries an error message.
struct ResponseBody {
  RequestDigest digest;             // when op_flags has RD
  std::string handle;               // 1, 100 (the created handle; may be empty)
  std::vector<HandleValue> values;  // 1
  SiteInfo site;                    // 2
  std::vector<std::string> handles; // 105
  std::string nonce;                // 402 challenge
  bool verified = false;            // 201
  uint16_t key_exchange_mode = 0;   // 400
  std::string raw;                  // 400 mode data, 2001, other success bodies
  std::string message;              // error codes
  bool operator==(const ResponseBody&) const = default;
};

absl::StatusOr<ResponseBody> DecodeResponseBody(OpCode op, ResponseCode code,
                                                uint32_t op_flags, std::string_view body);
std::string EncodeResponseBody(OpCode op, ResponseCode code, uint32_t op_flags,
                               const ResponseBody& body);

}  // namespace qilian::ident::wire

#endif  // QILIAN_IDENT_WIRE_CODEC_H_
