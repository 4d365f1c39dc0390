#include "ident/wire/codec.h"

#include <openssl/evp.h>

#include "core/bytes.h"
#include "core/status.h"

namespace qilian::ident::wire {
namespace {

// Smallest encodings of repeated items, to reject a declared count the
// remaining bytes cannot hold before anything is reserved.
constexpr size_t kMinValueBytes = 4 + 4 + 1 + 4 + 1 + 4 + 4 + 4;
constexpr size_t kMinStringBytes = 4;
constexpr size_t kMinIndexBytes = 4;

absl::Status Malformed(std::string_view field) {
  return absl::InvalidArgumentError("malformed " + std::string(field));
}

// Reads a u32 count, checked against `max` and what remains.
bool ReadCount(ByteReader* in, size_t max, size_t min_item_bytes, uint32_t* count) {
  *count = in->ReadU32();
  if (!in->ok()) return false;
  if (*count > max || *count > in->remaining() / min_item_bytes) {
    in->Fail();
    return false;
  }
  return true;
}

bool ReadString(ByteReader* in, size_t max, std::string* out) {
  std::string_view v = in->ReadLengthPrefixed(max);
  if (!in->ok()) return false;
  out->assign(v.data(), v.size());
  return true;
}

absl::Status ReadHandle(ByteReader* in, std::string* handle) {
  if (!ReadString(in, kMaxHandleBytes, handle)) return Malformed("handle");
  return absl::OkStatus();
}

absl::Status ReadValues(ByteReader* in, std::vector<HandleValue>* values) {
  uint32_t count = 0;
  if (!ReadCount(in, kMaxValuesPerMessage, kMinValueBytes, &count)) {
    return Malformed("value count");
  }
  values->clear();
  values->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    HandleValue value;
    if (!DecodeValue(in, &value)) return Malformed("value");
    values->push_back(std::move(value));
  }
  return absl::OkStatus();
}

void WriteValues(const std::vector<HandleValue>& values, ByteWriter* out) {
  out->WriteU32(static_cast<uint32_t>(values.size()));
  for (const auto& v : values) EncodeValue(v, out);
}

absl::Status ReadIndexes(ByteReader* in, std::vector<uint32_t>* indexes) {
  uint32_t count = 0;
  if (!ReadCount(in, kMaxIndexesPerRequest, kMinIndexBytes, &count)) {
    return Malformed("index list");
  }
  indexes->clear();
  indexes->reserve(count);
  for (uint32_t i = 0; i < count; ++i) indexes->push_back(in->ReadU32());
  return absl::OkStatus();
}

void WriteIndexes(const std::vector<uint32_t>& indexes, ByteWriter* out) {
  out->WriteU32(static_cast<uint32_t>(indexes.size()));
  for (uint32_t i : indexes) out->WriteU32(i);
}

absl::Status ReadStrings(ByteReader* in, size_t max_count, size_t max_bytes,
                         std::string_view field, std::vector<std::string>* out) {
  uint32_t count = 0;
  if (!ReadCount(in, max_count, kMinStringBytes, &count)) {
    return Malformed(std::string(field) + " count");
  }
  out->clear();
  out->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string s;
    if (!ReadString(in, max_bytes, &s)) return Malformed(field);
    out->push_back(std::move(s));
  }
  return absl::OkStatus();
}

void WriteStrings(const std::vector<std::string>& strings, ByteWriter* out) {
  out->WriteU32(static_cast<uint32_t>(strings.size()));
  for (const auto& s : strings) out->WriteLengthPrefixed(s);
}

bool IsReferralCode(ResponseCode code) {
  return code == ResponseCode::kServiceReferral || code == ResponseCode::kPrefixReferral;
}

absl::Status ExpectEnd(const ByteReader& in, std::string_view what) {
  if (!in.ok()) return Malformed(what);
  if (!in.at_end()) {
    return absl::InvalidArgumentError("trailing octets after " + std::string(what));
  }
  return absl::OkStatus();
}

}  // namespace

size_t DigestSize(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5:
      return 16;
    case DigestAlgorithm::kSha1:
      return 20;
    case DigestAlgorithm::kSha256:
      return 32;
    case DigestAlgorithm::kNone:
      break;
  }
  return 0;
}

DigestAlgorithm DigestAlgorithmForVersion(uint8_t major, uint8_t minor) {
  if (major > 2 || (major == 2 && minor >= 7)) return DigestAlgorithm::kSha256;
  return DigestAlgorithm::kSha1;
}

std::string ComputeDigest(DigestAlgorithm algorithm, std::string_view bytes) {
  const EVP_MD* md = nullptr;
  switch (algorithm) {
    case DigestAlgorithm::kMd5:
      md = EVP_md5();
      break;
    case DigestAlgorithm::kSha1:
      md = EVP_sha1();
      break;
    case DigestAlgorithm::kSha256:
      md = EVP_sha256();
      break;
    case DigestAlgorithm::kNone:
      return {};
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), out, &len, md, nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool IsSupportedVersion(uint8_t major, uint8_t minor) {
  return major == kMajorVersion && minor >= kMinMinorVersion && minor <= kMaxMinorVersion;
}

void EncodeHeader(const MessageHeader& header, ByteWriter* out) {
  out->WriteU32(header.op_code);
  out->WriteU32(header.response_code);
  out->WriteU32(header.op_flags);
  out->WriteU16(header.site_info_serial);
  out->WriteU8(header.recursion_count);
  out->WriteU8(header.reserved);
  out->WriteU32(header.expiration_time);
  out->WriteU32(header.body_length);
}

bool DecodeHeader(ByteReader* in, MessageHeader* header) {
  header->op_code = in->ReadU32();
  header->response_code = in->ReadU32();
  header->op_flags = in->ReadU32();
  header->site_info_serial = in->ReadU16();
  header->recursion_count = in->ReadU8();
  header->reserved = in->ReadU8();
  header->expiration_time = in->ReadU32();
  header->body_length = in->ReadU32();
  return in->ok();
}

void EncodeCredential(const Credential& c, ByteWriter* out) {
  out->WriteU8(c.version);
  out->WriteU8(c.reserved);
  out->WriteU16(c.options);
  out->WriteLengthPrefixed(c.signer_handle);
  out->WriteU32(c.signer_index);
  out->WriteLengthPrefixed(c.type);
  size_t at = out->ReserveU32();
  size_t start = out->size();
  out->WriteLengthPrefixed(c.digest_algorithm);
  out->WriteLengthPrefixed(c.signed_data);
  out->PatchU32(at, static_cast<uint32_t>(out->size() - start));
}

absl::StatusOr<Credential> DecodeCredential(std::string_view bytes) {
  ByteReader in(bytes);
  Credential c;
  c.version = in.ReadU8();
  c.reserved = in.ReadU8();
  c.options = in.ReadU16();
  if (!in.ok()) return Malformed("credential");
  if (!ReadString(&in, kMaxHandleBytes, &c.signer_handle)) return Malformed("credential signer");
  c.signer_index = in.ReadU32();
  if (!ReadString(&in, kMaxTypeBytes, &c.type)) return Malformed("credential type");
  std::string_view signed_info = in.ReadLengthPrefixed();
  if (!in.ok()) return Malformed("credential signed info");
  QL_RETURN_IF_ERROR(ExpectEnd(in, "credential"));
  ByteReader info(signed_info);
  if (!ReadString(&info, kMaxTypeBytes, &c.digest_algorithm)) {
    return Malformed("credential digest algorithm");
  }
  if (!ReadString(&info, kMaxAuthFieldBytes, &c.signed_data)) {
    return Malformed("credential signed data");
  }
  QL_RETURN_IF_ERROR(ExpectEnd(info, "credential signed info"));
  return c;
}

absl::StatusOr<RawMessage> DecodeMessage(std::string_view message) {
  return DecodeMessage(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(message.data()), message.size()));
}

absl::StatusOr<RawMessage> DecodeMessage(std::span<const uint8_t> message) {
  RawMessage m;
  if (!DecodeEnvelope(message, &m.envelope)) return Malformed("envelope");
  size_t rest = message.size() - kEnvelopeSize;
  if (m.envelope.message_length != rest) {
    return absl::InvalidArgumentError("message length disagrees with the octets received");
  }
  if (rest > kMaxMessageBytes) return absl::InvalidArgumentError("message too long");
  ByteReader in(message.subspan(kEnvelopeSize));
  if (!DecodeHeader(&in, &m.header)) return Malformed("message header");
  if (m.header.body_length > in.remaining()) {
    return absl::InvalidArgumentError("body length exceeds the message");
  }
  std::string_view all(reinterpret_cast<const char*>(message.data()) + kEnvelopeSize, rest);
  m.body = in.ReadBytes(m.header.body_length);
  m.header_and_body = all.substr(0, kHeaderSize + m.header.body_length);
  if (in.at_end()) {
    m.has_credential_section = false;
    return m;
  }
  uint32_t credential_length = in.ReadU32();
  if (!in.ok()) return Malformed("credential length");
  if (credential_length != in.remaining()) {
    return absl::InvalidArgumentError("credential length disagrees with the message length");
  }
  if (credential_length > kMaxCredentialBytes) {
    return absl::InvalidArgumentError("credential too long");
  }
  m.credential = in.ReadBytes(credential_length);
  return m;
}

std::string EncodeMessage(const Envelope& envelope, const MessageHeader& header,
                          std::string_view body, std::string_view credential) {
  std::string out;
  out.reserve(kEnvelopeSize + kHeaderSize + body.size() + 4 + credential.size());
  ByteWriter w(&out);
  Envelope env = envelope;
  env.message_length =
      static_cast<uint32_t>(kHeaderSize + body.size() + kCredentialLengthSize + credential.size());
  EncodeEnvelope(env, &w);
  MessageHeader h = header;
  h.body_length = static_cast<uint32_t>(body.size());
  EncodeHeader(h, &w);
  w.WriteBytes(body);
  w.WriteLengthPrefixed(credential);
  return out;
}

bool IsKnownOpCode(uint32_t op) {
  switch (static_cast<OpCode>(op)) {
    case OpCode::kResolution:
    case OpCode::kGetSiteInfo:
    case OpCode::kCreateHandle:
    case OpCode::kDeleteHandle:
    case OpCode::kAddValue:
    case OpCode::kRemoveValue:
    case OpCode::kModifyValue:
    case OpCode::kListHandles:
    case OpCode::kListDerivedPrefixes:
    case OpCode::kChallengeResponse:
    case OpCode::kVerifyResponse:
    case OpCode::kSessionSetup:
    case OpCode::kSessionTerminate:
    case OpCode::kIdisLogin:
      return true;
    case OpCode::kReserved:
      break;
  }
  return false;
}

bool IsAdminOpCode(uint32_t op) { return op >= 100 && op <= 106; }

absl::StatusOr<RequestBody> DecodeRequestBody(OpCode op, std::string_view bytes) {
  ByteReader in(bytes);
  RequestBody b;
  switch (op) {
    case OpCode::kResolution:
      QL_RETURN_IF_ERROR(ReadHandle(&in, &b.handle));
      QL_RETURN_IF_ERROR(ReadIndexes(&in, &b.indexes));
      QL_RETURN_IF_ERROR(
          ReadStrings(&in, kMaxTypesPerRequest, kMaxTypeBytes, "type list", &b.types));
      break;
    case OpCode::kGetSiteInfo:
      // RFC 3652 has no body; CNRI clients send the UTF8-String "/".
      if (!in.at_end()) QL_RETURN_IF_ERROR(ReadHandle(&in, &b.handle));
      break;
    case OpCode::kCreateHandle:
    case OpCode::kAddValue:
    case OpCode::kModifyValue:
      QL_RETURN_IF_ERROR(ReadHandle(&in, &b.handle));
      QL_RETURN_IF_ERROR(ReadValues(&in, &b.values));
      break;
    case OpCode::kDeleteHandle:
    case OpCode::kListHandles:
    case OpCode::kListDerivedPrefixes:
      QL_RETURN_IF_ERROR(ReadHandle(&in, &b.handle));
      break;
    case OpCode::kRemoveValue:
      QL_RETURN_IF_ERROR(ReadHandle(&in, &b.handle));
      QL_RETURN_IF_ERROR(ReadIndexes(&in, &b.indexes));
      break;
    case OpCode::kChallengeResponse:
      if (!ReadString(&in, kMaxTypeBytes, &b.auth_type)) return Malformed("authentication type");
      if (!ReadString(&in, kMaxHandleBytes, &b.key_handle)) return Malformed("key handle");
      b.key_index = in.ReadU32();
      if (!ReadString(&in, kMaxAuthFieldBytes, &b.answer)) return Malformed("challenge answer");
      break;
    case OpCode::kVerifyResponse:
      if (!ReadString(&in, kMaxHandleBytes, &b.key_handle)) return Malformed("key handle");
      b.key_index = in.ReadU32();
      if (!ReadString(&in, kMaxNonceBytes, &b.nonce)) return Malformed("nonce");
      if (!ReadString(&in, kMaxDigestBytes + 1, &b.digest)) return Malformed("request digest");
      if (!ReadString(&in, kMaxAuthFieldBytes, &b.signature)) return Malformed("signature");
      break;
    case OpCode::kSessionSetup: {
      b.key_exchange_mode = in.ReadU16();
      b.timeout = in.ReadU32();
      if (!in.ok()) return Malformed("session setup");
      std::string_view rest = in.ReadBytes(in.remaining());
      b.raw.assign(rest.data(), rest.size());
      break;
    }
    case OpCode::kSessionTerminate:
      break;
    case OpCode::kIdisLogin:
      // IDIS SDK (cn.teleinfo MsgConverter): the identity handle and index.
      QL_RETURN_IF_ERROR(ReadHandle(&in, &b.key_handle));
      b.key_index = in.ReadU32();
      break;
    case OpCode::kReserved:
    default:
      return absl::InvalidArgumentError("unknown opcode");
  }
  QL_RETURN_IF_ERROR(ExpectEnd(in, "request body"));
  return b;
}

std::string EncodeRequestBody(OpCode op, const RequestBody& b) {
  ByteWriter w;
  switch (op) {
    case OpCode::kResolution:
      w.WriteLengthPrefixed(b.handle);
      WriteIndexes(b.indexes, &w);
      WriteStrings(b.types, &w);
      break;
    case OpCode::kGetSiteInfo:
      if (!b.handle.empty()) w.WriteLengthPrefixed(b.handle);
      break;
    case OpCode::kCreateHandle:
    case OpCode::kAddValue:
    case OpCode::kModifyValue:
      w.WriteLengthPrefixed(b.handle);
      WriteValues(b.values, &w);
      break;
    case OpCode::kDeleteHandle:
    case OpCode::kListHandles:
    case OpCode::kListDerivedPrefixes:
      w.WriteLengthPrefixed(b.handle);
      break;
    case OpCode::kRemoveValue:
      w.WriteLengthPrefixed(b.handle);
      WriteIndexes(b.indexes, &w);
      break;
    case OpCode::kChallengeResponse:
      w.WriteLengthPrefixed(b.auth_type);
      w.WriteLengthPrefixed(b.key_handle);
      w.WriteU32(b.key_index);
      w.WriteLengthPrefixed(b.answer);
      break;
    case OpCode::kVerifyResponse:
      w.WriteLengthPrefixed(b.key_handle);
      w.WriteU32(b.key_index);
      w.WriteLengthPrefixed(b.nonce);
      w.WriteLengthPrefixed(b.digest);
      w.WriteLengthPrefixed(b.signature);
      break;
    case OpCode::kSessionSetup:
      w.WriteU16(b.key_exchange_mode);
      w.WriteU32(b.timeout);
      w.WriteBytes(b.raw);
      break;
    case OpCode::kIdisLogin:
      w.WriteLengthPrefixed(b.key_handle);
      w.WriteU32(b.key_index);
      break;
    case OpCode::kSessionTerminate:
    case OpCode::kReserved:
    default:
      break;
  }
  return w.Release();
}

absl::StatusOr<ResponseBody> DecodeResponseBody(OpCode op, ResponseCode code, uint32_t op_flags,
                                                std::string_view bytes) {
  ByteReader in(bytes);
  ResponseBody b;
  if (op_flags & op_flag::kReturnDigest) {
    auto algorithm = static_cast<DigestAlgorithm>(in.ReadU8());
    size_t size = DigestSize(algorithm);
    if (!in.ok() || size == 0) return Malformed("request digest algorithm");
    std::string_view digest = in.ReadBytes(size);
    if (!in.ok()) return Malformed("request digest");
    b.digest.algorithm = algorithm;
    b.digest.digest.assign(digest.data(), digest.size());
  }
  if (code == ResponseCode::kAuthenticationNeeded) {
    if (!ReadString(&in, kMaxNonceBytes, &b.nonce)) return Malformed("nonce");
  } else if (IsReferralCode(code)) {
    // Handle.Net's referral layout (handle, values); an RFC-era server
    // sends an error message instead, which is read when that fails.
    std::string_view rest = in.ReadBytes(in.remaining());
    ByteReader referral(rest);
    ResponseBody r;
    if (ReadHandle(&referral, &r.handle).ok() && ReadValues(&referral, &r.values).ok() &&
        referral.at_end()) {
      b.handle = std::move(r.handle);
      b.values = std::move(r.values);
    } else {
      ByteReader message(rest);
      if (!ReadString(&message, kMaxErrorMessageBytes, &b.message)) return Malformed("error message");
      QL_RETURN_IF_ERROR(ExpectEnd(message, "response body"));
    }
  } else if (code != ResponseCode::kSuccess) {
    if (!ReadString(&in, kMaxErrorMessageBytes, &b.message)) return Malformed("error message");
  } else {
    switch (op) {
      case OpCode::kResolution:
        QL_RETURN_IF_ERROR(ReadHandle(&in, &b.handle));
        QL_RETURN_IF_ERROR(ReadValues(&in, &b.values));
        break;
      case OpCode::kGetSiteInfo:
        if (!DecodeSite(&in, &b.site)) return Malformed("site info");
        break;
      case OpCode::kCreateHandle:
        // Deployed servers return the created handle; RFC-era ones nothing.
        if (!in.at_end()) QL_RETURN_IF_ERROR(ReadHandle(&in, &b.handle));
        break;
      case OpCode::kListHandles:
      case OpCode::kListDerivedPrefixes:
        QL_RETURN_IF_ERROR(
            ReadStrings(&in, kMaxHandlesPerListReply, kMaxHandleBytes, "handle list", &b.handles));
        break;
      case OpCode::kVerifyResponse:
        b.verified = in.ReadU8() != 0;
        if (!in.ok()) return Malformed("verification result");
        break;
      case OpCode::kSessionSetup: {
        b.key_exchange_mode = in.ReadU16();
        if (!in.ok()) return Malformed("session setup response");
        std::string_view rest = in.ReadBytes(in.remaining());
        b.raw.assign(rest.data(), rest.size());
        break;
      }
      default: {
        // Generic responses (delete, add, remove, modify, terminate) have
        // no body; keep whatever a peer sent rather than fail on it.
        std::string_view rest = in.ReadBytes(in.remaining());
        b.raw.assign(rest.data(), rest.size());
        break;
      }
    }
  }
  QL_RETURN_IF_ERROR(ExpectEnd(in, "response body"));
  return b;
}

std::string EncodeResponseBody(OpCode op, ResponseCode code, uint32_t op_flags,
                               const ResponseBody& b) {
  ByteWriter w;
  if (op_flags & op_flag::kReturnDigest) {
    w.WriteU8(static_cast<uint8_t>(b.digest.algorithm));
    w.WriteBytes(b.digest.digest);
  }
  if (code == ResponseCode::kAuthenticationNeeded) {
    w.WriteLengthPrefixed(b.nonce);
  } else if (IsReferralCode(code) && (!b.handle.empty() || !b.values.empty() ||
                                      b.message.empty())) {
    // As Handle.Net's ServiceReferralResponse: the referral handle, then
    // the values saying where to go (no error message). A referral with
    // only a message is written the RFC-era way, below.
    w.WriteLengthPrefixed(b.handle);
    WriteValues(b.values, &w);
  } else if (code != ResponseCode::kSuccess) {
    w.WriteLengthPrefixed(b.message);
  } else {
    switch (op) {
      case OpCode::kResolution:
        w.WriteLengthPrefixed(b.handle);
        WriteValues(b.values, &w);
        break;
      case OpCode::kGetSiteInfo:
        EncodeSite(b.site, &w);
        break;
      case OpCode::kCreateHandle:
        if (!b.handle.empty()) w.WriteLengthPrefixed(b.handle);
        break;
      case OpCode::kListHandles:
      case OpCode::kListDerivedPrefixes:
        WriteStrings(b.handles, &w);
        break;
      case OpCode::kVerifyResponse:
        w.WriteU8(b.verified ? 1 : 0);
        break;
      case OpCode::kSessionSetup:
        w.WriteU16(b.key_exchange_mode);
        w.WriteBytes(b.raw);
        break;
      default:
        w.WriteBytes(b.raw);
        break;
    }
  }
  return w.Release();
}

}  // namespace qilian::ident::wire
