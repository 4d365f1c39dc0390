#include "ident/auth/challenge_answer.h"

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/auth/secret_key.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/handle_value.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {
namespace {

absl::Status Malformed(std::string_view why) {
  return HandleError(ResponseCode::kInvalidCredential, absl::StrCat("HS_PUBKEY answer: ", std::string(why)));
}

absl::Status Unknown(std::string_view identity, std::string_view type) {
  return HandleError(ResponseCode::kAuthenticationFailed,
                     absl::StrCat("cannot authenticate ", std::string(identity), ": no ",
                                  std::string(type), " value at that index"));
}

}  // namespace

absl::StatusOr<PublicKeyAnswer> ParsePublicKeyAnswer(std::string_view answer) {
  ByteReader in(answer);
  if (in.remaining() < 4) return Malformed("hash name length missing");
  const uint32_t name_length = in.ReadU32();
  if (name_length == 0) return Malformed("empty hash name");
  if (name_length > kMaxSignatureHashNameBytes) {
    return Malformed(absl::StrCat("hash name of ", name_length, " octets exceeds ",
                                  kMaxSignatureHashNameBytes));
  }
  if (in.remaining() < name_length) return Malformed("hash name truncated");
  PublicKeyAnswer out;
  out.hash_name = std::string(in.ReadBytes(name_length));
  if (in.remaining() < 4) return Malformed("signature length missing");
  const uint32_t signature_length = in.ReadU32();
  if (signature_length == 0) return Malformed("empty signature");
  if (signature_length > kMaxSignatureBytes) {
    return Malformed(absl::StrCat("signature of ", signature_length, " octets exceeds ",
                                  kMaxSignatureBytes));
  }
  if (in.remaining() < signature_length) return Malformed("signature truncated");
  out.signature = std::string(in.ReadBytes(signature_length));
  if (!in.at_end()) {
    return Malformed(absl::StrCat(in.remaining(), " octets after the signature"));
  }
  return out;
}

std::string EncodePublicKeyAnswer(const PublicKeyAnswer& answer) {
  ByteWriter out;
  out.WriteLengthPrefixed(answer.hash_name);
  out.WriteLengthPrefixed(answer.signature);
  return out.Release();
}

absl::StatusOr<SignatureDigest> SignatureDigestOfHashName(std::string_view name) {
  // Handle.Net's getSigIdFromHashAlgId also reads the request-digest codes.
  if (name.size() == 1) {
    switch (static_cast<uint8_t>(name[0])) {
      case 0x02: return SignatureDigest::kSha1;
      case 0x03: return SignatureDigest::kSha256;
      default:
        return HandleError(ResponseCode::kInvalidCredential,
                           absl::StrCat("HS_PUBKEY answer: unknown hash code 0x",
                                        absl::Hex(static_cast<uint8_t>(name[0]),
                                                  absl::kZeroPad2)));
    }
  }
  if (name == "MD5") {
    return HandleError(ResponseCode::kInvalidCredential,
                       "HS_PUBKEY answer: MD5 signatures are not accepted");
  }
  return ParseSignatureDigest(name);
}

absl::StatusOr<std::string> ComputePublicKeyAnswer(const PrivateKey& key, std::string_view nonce,
                                                   std::string_view digest,
                                                   std::optional<SignatureDigest> signature_digest) {
  SignatureDigest use = SignatureDigest::kSha256;
  if (key.type() == KeyType::kSm2) use = SignatureDigest::kSm3;
  if (signature_digest.has_value()) use = *signature_digest;
  std::string data = absl::StrCat(std::string(nonce), std::string(digest));
  QL_ASSIGN_OR_RETURN(std::string signature, key.Sign(use, data));
  PublicKeyAnswer answer;
  answer.hash_name = key.type() == KeyType::kEd25519 ? std::string("SHA-512")
                                                     : std::string(SignatureDigestName(use));
  answer.signature = std::move(signature);
  return EncodePublicKeyAnswer(answer);
}

absl::StatusOr<std::string> ComputeChallengeAnswer(std::string_view private_key_pem,
                                                   std::string_view nonce,
                                                   std::string_view digest) {
  QL_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::FromPem(private_key_pem));
  return ComputePublicKeyAnswer(key, nonce, digest);
}

absl::Status VerifyChallengeAnswer(const Registry& registry, std::string_view auth_type,
                                   std::string_view key_handle, uint32_t key_index,
                                   std::string_view nonce, std::string_view digest,
                                   std::string_view answer) {
  const std::string identity = absl::StrCat(key_index, ":", std::string(key_handle));
  if (auth_type == kTypeSecKey) {
    QL_ASSIGN_OR_RETURN(std::optional<std::string> secret,
                        LookUpSecretKey(registry, key_handle, key_index));
    if (!secret.has_value()) return Unknown(identity, kTypeSecKey);
    return VerifySecretKeyAnswer(*secret, nonce, digest, answer);
  }
  if (auth_type == kTypePubKey) {
    QL_ASSIGN_OR_RETURN(std::optional<std::string> record,
                        LookUpKeyValue(registry, key_handle, key_index, kTypePubKey));
    if (!record.has_value()) return Unknown(identity, kTypePubKey);
    absl::StatusOr<PublicKey> key = DecodePublicKey(*record);
    if (!key.ok()) {
      // The node's own data is at fault, not the answer: the identity
      // cannot authenticate until an administrator fixes the value.
      return HandleError(ResponseCode::kAuthenticationFailed,
                         absl::StrCat("cannot authenticate ", identity,
                                      ": the HS_PUBKEY value at that index is not a usable key (",
                                      std::string(key.status().message()), ")"));
    }
    QL_ASSIGN_OR_RETURN(PublicKeyAnswer parsed, ParsePublicKeyAnswer(answer));
    SignatureDigest signature_digest = SignatureDigest::kSha256;
    // Pure Ed25519 hashes internally; the name is not used, so any is taken.
    if (key->type() != KeyType::kEd25519) {
      QL_ASSIGN_OR_RETURN(signature_digest, SignatureDigestOfHashName(parsed.hash_name));
    }
    std::string data = absl::StrCat(std::string(nonce), std::string(digest));
    return VerifySignature(*key, signature_digest, data, parsed.signature);
  }
  return HandleError(ResponseCode::kInvalidCredential,
                     absl::StrCat("only HS_SECKEY and HS_PUBKEY answers are supported, not '",
                                  std::string(auth_type), "'"));
}

}  // namespace qilian::ident::auth
