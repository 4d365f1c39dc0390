#include "ident/reply_certifier.h"

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/operation.h"
#include "ident/wire/codec.h"
#include "ident/wire/envelope.h"

namespace qilian::ident {

inline constexpr std::string_view kSignedCredentialType = "HS_SIGNED";

bool ReplyCertifier::WantsCertified(std::span<const uint8_t> request) {
  // Envelope, then OpCode and ResponseCode, then OpFlag.
  constexpr size_t kOpFlagOffset = wire::kEnvelopeSize + 8;
  if (request.size() < kOpFlagOffset + 4) return false;
  ByteReader in(request.subspan(kOpFlagOffset, 4));
  return (in.ReadU32() & op_flag::kCertified) != 0;
}

absl::StatusOr<std::string> ReplyCertifier::Certify(std::string_view reply) const {
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(reply);
  if (!raw.ok() || !raw->credential.empty()) return std::string(reply);
  wire::MessageHeader header = raw->header;
  header.op_flags |= op_flag::kCertified;
  const std::string body(raw->body);
  // Header and body as they will go out, CT included: what is signed.
  const std::string unsigned_message = wire::EncodeMessage(raw->envelope, header, body);
  QL_ASSIGN_OR_RETURN(wire::RawMessage out, wire::DecodeMessage(unsigned_message));

  const wire::Envelope& env = raw->envelope;
  auth::SignedReplyFields fields;
  fields.major = env.major_version;
  fields.minor = env.minor_version;
  fields.suggested_major = env.suggested_major();
  fields.suggested_minor = env.suggested_minor();
  fields.session_id = env.session_id;
  fields.request_id = env.request_id;
  fields.session_counter = 0;  // public-key signatures carry no session counter
  // SHA-1 below 2.7, where deployed clients know no other (Handle.Net
  // Util.getDefaultSigId).
  const auth::SignatureDigest digest =
      wire::DigestAlgorithmForVersion(env.major_version, env.minor_version) ==
              wire::DigestAlgorithm::kSha256
          ? auth::SignatureDigest::kSha256
          : auth::SignatureDigest::kSha1;
  QL_ASSIGN_OR_RETURN(std::string signature,
                      key_->Sign(digest, auth::SignedReplyBytes(fields, out.header_and_body)));

  wire::Credential credential;
  credential.signer_index = fields.session_counter;
  credential.type = std::string(kSignedCredentialType);
  credential.digest_algorithm = std::string(auth::SignatureDigestName(digest));
  credential.signed_data = std::move(signature);
  ByteWriter w;
  wire::EncodeCredential(credential, &w);
  return wire::EncodeMessage(env, header, body, w.Release());
}

absl::Status VerifyCertifiedReply(const wire::RawMessage& raw, std::string_view key_record) {
  if (raw.credential.empty()) return absl::InvalidArgumentError("reply is not signed");
  absl::StatusOr<wire::Credential> credential = wire::DecodeCredential(raw.credential);
  if (!credential.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reply credential does not decode (", std::string(credential.status().message()), ")"));
  }
  if (credential->type != "HS_SIGNED") {
    return absl::InvalidArgumentError(
        absl::StrCat("reply credential is ", credential->type, ", not HS_SIGNED"));
  }
  absl::StatusOr<auth::PublicKey> key = auth::DecodePublicKey(key_record);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the server's HS_SITE key is not usable (",
                                                   std::string(key.status().message()), ")"));
  }
  absl::StatusOr<auth::SignatureDigest> digest = auth::ParseSignatureDigest(credential->digest_algorithm);
  if (!digest.ok()) {
    return absl::InvalidArgumentError(std::string(digest.status().message()));
  }
  auth::SignedReplyFields fields;
  fields.major = raw.envelope.major_version;
  fields.minor = raw.envelope.minor_version;
  fields.suggested_major = raw.envelope.suggested_major();
  fields.suggested_minor = raw.envelope.suggested_minor();
  fields.session_id = raw.envelope.session_id;
  fields.request_id = raw.envelope.request_id;
  fields.session_counter = credential->signer_index;
  const bool verified =
      auth::VerifySignature(*key, *digest, auth::SignedReplyBytes(fields, raw.header_and_body),
                      credential->signed_data)
          .ok() ||
      // A Handle.Net server at 2.6 signs its overwritten fields.
      (fields.major == 2 && fields.minor == 6 &&
       auth::VerifySignature(*key, *digest, auth::HandleNetV26SignedReplyBytes(fields, raw.header_and_body),
                       credential->signed_data)
           .ok());
  if (!verified) return absl::InvalidArgumentError("reply signature does not verify");
  return absl::OkStatus();
}

}  // namespace qilian::ident
