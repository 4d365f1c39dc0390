// Certified answers through the whole native front end: every reply to a
// CT request verifies with the node's key, at every protocol version a
// client may speak; replies to plain requests stay unsigned.
#include "ident/reply_certifier.h"

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ident/native_frontend.h"
#include "ident/operation.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "ident/test_util.h"
#include "ident/wire/codec.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

using test::Value;

const auth::PrivateKey& NodeKey() {
  static const auth::PrivateKey* key = [] {
    auto generated = auth::PrivateKey::Generate(auth::KeyType::kRsa, 2048);
    EXPECT_TRUE(generated.ok());
    return new auth::PrivateKey(*std::move(generated));
  }();
  return *key;
}

class ReplyCertifierTest : public ::testing::Test {
 protected:
  ReplyCertifierTest()
      : store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        registry_(store_.get(), Clock::Real(), RegistryOptions{}) {
    SiteOptions site;
    site.public_key = NodeKey().Public().Encode();
    ProcessorOptions options;
    options.site = BuildSiteInfo(site);
    processor_ = std::make_unique<Processor>(&registry_, &metrics_, options);
    NativeAuthOptions auth;
    auth.signing_key = &NodeKey();
    frontend_ = std::make_unique<NativeFrontend>(processor_.get(), &metrics_, Clock::Real(), auth);
    EXPECT_TRUE(registry_.Create("88.999/SIGNED", {Value(1, "URL", "https://example.org/s")}).ok());
  }

  // The reply to `op` on `handle` at 2.`minor` with `op_flags`.
  std::string Ask(OpCode op, const std::string& handle, uint8_t minor, uint32_t op_flags) {
    wire::Envelope env;
    env.minor_version = minor;
    env.flags = wire::kOwnVersionFlag;
    env.request_id = 0x01020304;
    wire::MessageHeader h;
    h.op_code = static_cast<uint32_t>(op);
    h.op_flags = op_flags;
    wire::RequestBody body;
    body.handle = handle;
    std::string message = wire::EncodeMessage(env, h, wire::EncodeRequestBody(op, body));
    std::optional<NativeReply> reply = frontend_->Handle(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()), message.size()),
        Peer{"127.0.0.1", true, Transport::kUdp});
    EXPECT_TRUE(reply.has_value());
    return reply.has_value() ? reply->message : std::string();
  }

  // OK if `reply` carries CT and an HS_SIGNED credential that verifies with
  // the site's key over the octets deployed clients check.
  static absl::Status Verify(const std::string& reply) {
    QL_ASSIGN_OR_RETURN(wire::RawMessage raw, wire::DecodeMessage(reply));
    if (!(raw.header.op_flags & op_flag::kCertified)) return absl::InternalError("no CT");
    QL_ASSIGN_OR_RETURN(wire::Credential c, wire::DecodeCredential(raw.credential));
    if (c.type != "HS_SIGNED" || !c.signer_handle.empty() || c.signer_index != 0) {
      return absl::InternalError("not a deployed HS_SIGNED credential");
    }
    const std::string want_digest = raw.envelope.minor_version >= 7 ? "SHA-256" : "SHA1";
    if (c.digest_algorithm != want_digest) return absl::InternalError(c.digest_algorithm);
    QL_ASSIGN_OR_RETURN(auth::PublicKey key, auth::DecodePublicKey(NodeKey().Public().Encode()));
    QL_ASSIGN_OR_RETURN(auth::SignatureDigest digest,
                        auth::ParseSignatureDigest(c.digest_algorithm));
    auth::SignedReplyFields fields;
    fields.major = raw.envelope.major_version;
    fields.minor = raw.envelope.minor_version;
    fields.suggested_major = raw.envelope.suggested_major();
    fields.suggested_minor = raw.envelope.suggested_minor();
    fields.session_id = raw.envelope.session_id;
    fields.request_id = raw.envelope.request_id;
    return auth::VerifySignature(key, digest, auth::SignedReplyBytes(fields, raw.header_and_body),
                                 c.signed_data);
  }

  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
  MetricsRegistry metrics_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<NativeFrontend> frontend_;
};

TEST_F(ReplyCertifierTest, EveryKindOfReplyIsSignedAtEveryVersion) {
  for (uint8_t minor : {1, 5, 6, 7, 8, 11}) {
    SCOPED_TRACE(absl::StrCat("2.", minor));
    const uint32_t ct = op_flag::kCertified;
    EXPECT_TRUE(Verify(Ask(OpCode::kResolution, "88.999/SIGNED", minor, ct)).ok());
    EXPECT_TRUE(Verify(Ask(OpCode::kResolution, "88.999/NOPE", minor, ct)).ok());  // 100
    EXPECT_TRUE(Verify(Ask(OpCode::kResolution, "77.1/ELSEWHERE", minor, ct)).ok());  // 301
    EXPECT_TRUE(Verify(Ask(OpCode::kGetSiteInfo, "", minor, ct)).ok());
    EXPECT_TRUE(
        Verify(Ask(OpCode::kResolution, "88.999/SIGNED", minor, ct | op_flag::kReturnDigest))
            .ok());
    // A write over UDP is refused (4): the error is signed too.
    EXPECT_TRUE(Verify(Ask(OpCode::kDeleteHandle, "88.999/SIGNED", minor, ct)).ok());
  }
}

TEST_F(ReplyCertifierTest, At26TheIntendedFieldsAreSignedNotHandleNetsOverwrittenOnes) {
  std::string reply = Ask(OpCode::kResolution, "88.999/SIGNED", 6, op_flag::kCertified);
  ASSERT_TRUE(Verify(reply).ok());
  auto raw = wire::DecodeMessage(reply);
  ASSERT_TRUE(raw.ok());
  auto c = wire::DecodeCredential(raw->credential);
  ASSERT_TRUE(c.ok());
  auth::SignedReplyFields fields;
  fields.minor = 6;
  fields.request_id = raw->envelope.request_id;
  auto key = auth::DecodePublicKey(NodeKey().Public().Encode());
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(auth::VerifySignature(
                   *key, auth::SignatureDigest::kSha1,
                   auth::HandleNetV26SignedReplyBytes(fields, raw->header_and_body),
                   c->signed_data)
                   .ok());
}

TEST_F(ReplyCertifierTest, PlainRequestsGetUnsignedReplies) {
  std::string reply = Ask(OpCode::kResolution, "88.999/SIGNED", 11, 0);
  auto raw = wire::DecodeMessage(reply);
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(raw->credential.empty());
  EXPECT_FALSE(raw->header.op_flags & op_flag::kCertified);
}

TEST_F(ReplyCertifierTest, AnyChangedOctetBreaksTheSignature) {
  std::string reply = Ask(OpCode::kResolution, "88.999/SIGNED", 11, op_flag::kCertified);
  ASSERT_TRUE(Verify(reply).ok());
  // RequestId, a header octet, a body octet.
  for (size_t at : {size_t{11}, size_t{wire::kEnvelopeSize + 13}, size_t{wire::kEnvelopeSize + 30}}) {
    std::string changed = reply;
    changed[at] ^= 0x01;
    EXPECT_FALSE(Verify(changed).ok()) << at;
  }
}

TEST(ReplyCertifierRequestTest, WantsCertifiedReadsTheHeadersCtFlag) {
  wire::MessageHeader h;
  h.op_code = 1;
  h.op_flags = op_flag::kCertified;
  std::string message = wire::EncodeMessage(wire::Envelope{}, h, "");
  auto span = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  EXPECT_TRUE(ReplyCertifier::WantsCertified(span(message)));
  EXPECT_FALSE(ReplyCertifier::WantsCertified(span(message.substr(0, 30))));
  h.op_flags = op_flag::kRecursive;
  EXPECT_FALSE(ReplyCertifier::WantsCertified(span(wire::EncodeMessage(wire::Envelope{}, h, ""))));
}

}  // namespace
}  // namespace qilian::ident
