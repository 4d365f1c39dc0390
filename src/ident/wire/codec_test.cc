#include "ident/wire/codec.h"

#include <map>
#include <utility>

#include "gtest/gtest.h"
#include "ident/wire/testdata/vectors.h"

namespace qilian::ident::wire {
namespace {

using testdata::AsSpan;
using testdata::FromHex;
using testdata::kVectors;
using testdata::ToHex;
using testdata::VectorBytes;

std::string U32(uint32_t v) {
  ByteWriter w;
  w.WriteU32(v);
  return w.Release();
}

std::string Str(std::string_view s) { return U32(static_cast<uint32_t>(s.size())) + std::string(s); }

// Requests the recorder sent on purpose broken (error-*) or malformed in a
// way deployed servers accept (quirk-*); everything else must decode.
bool DeliberatelyBroken(std::string_view scenario) {
  return scenario == "error-random-bytes-udp" || scenario == "error-truncated-header-udp" ||
         scenario == "quirk-envelope-length-too-long-udp" ||
         scenario == "error-unknown-opcode-udp";
}

// Whole messages of the recording: UDP fragments are put together by
// RequestId and SequenceNumber (the envelope of the first is kept).
struct Whole {
  std::string scenario;
  int exchange;
  bool to_server;
  std::string bytes;
};

std::vector<Whole> WholeMessages() {
  std::vector<Whole> out;
  for (const auto& v : kVectors) {
    std::string bytes = FromHex(v.hex);
    Envelope env;
    if (!DecodeEnvelope(AsSpan(bytes), &env)) {
      out.push_back({v.scenario, v.exchange, v.to_server, bytes});
      continue;
    }
    if (env.truncated() && env.sequence_number > 0 && !out.empty()) {
      out.back().bytes += bytes.substr(kEnvelopeSize);
      continue;
    }
    out.push_back({v.scenario, v.exchange, v.to_server, bytes});
  }
  return out;
}

TEST(CodecTest, EveryRecordedMessageDecodesAndReencodesOctetForOctet) {
  int requests = 0;
  int responses = 0;
  for (const Whole& w : WholeMessages()) {
    SCOPED_TRACE(w.scenario + " #" + std::to_string(w.exchange));
    if (w.to_server && DeliberatelyBroken(w.scenario)) continue;
    auto raw = DecodeMessage(w.bytes);
    ASSERT_TRUE(raw.ok()) << raw.status();
    EXPECT_TRUE(raw->has_credential_section);
    const auto op = static_cast<OpCode>(raw->header.op_code);
    std::string body;
    if (w.to_server) {
      ASSERT_EQ(raw->header.response_code, 0u);
      auto decoded = DecodeRequestBody(op, raw->body);
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      body = EncodeRequestBody(op, *decoded);
      ++requests;
    } else {
      const auto code = static_cast<ResponseCode>(raw->header.response_code);
      auto decoded = DecodeResponseBody(op, code, raw->header.op_flags, raw->body);
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      body = EncodeResponseBody(op, code, raw->header.op_flags, *decoded);
      ++responses;
    }
    EXPECT_EQ(ToHex(body), ToHex(raw->body));
    if (!raw->credential.empty()) {
      auto credential = DecodeCredential(raw->credential);
      ASSERT_TRUE(credential.ok()) << credential.status();
      ByteWriter cw;
      EncodeCredential(*credential, &cw);
      EXPECT_EQ(ToHex(cw.data()), ToHex(raw->credential));
    }
    std::string again = EncodeMessage(raw->envelope, raw->header, body, raw->credential);
    // Reassembled fragments keep the first fragment's envelope (TC set and
    // the total length), so compare after the envelope for those.
    EXPECT_EQ(ToHex(again.substr(kEnvelopeSize)), ToHex(w.bytes.substr(kEnvelopeSize)));
    if (!raw->envelope.truncated()) EXPECT_EQ(ToHex(again), ToHex(w.bytes));
  }
  // 30 requests and 41 replies (fragments put together) in the recording.
  EXPECT_EQ(requests, 30);
  EXPECT_EQ(responses, 41);
}

TEST(CodecTest, ResolutionRequestFields) {
  std::string msg = VectorBytes("resolve-udp-type-filter", 0);
  auto raw = DecodeMessage(msg);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->envelope.request_id, 2139033944u);
  EXPECT_EQ(raw->header.op_code, 1u);
  EXPECT_EQ(raw->header.op_flags, op_flag::kPublicOnly);
  EXPECT_EQ(raw->header.body_length, 42u);
  auto body = DecodeRequestBody(OpCode::kResolution, raw->body);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->handle, "88.999/VEC-RES");
  EXPECT_TRUE(body->indexes.empty());
  EXPECT_EQ(body->types, (std::vector<std::string>{"URL", "EMAIL"}));

  msg = VectorBytes("resolve-udp-index-filter", 0);
  raw = DecodeMessage(msg);
  ASSERT_TRUE(raw.ok());
  body = DecodeRequestBody(OpCode::kResolution, raw->body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->indexes, (std::vector<uint32_t>{1, 3}));
}

TEST(CodecTest, WriteRequestBodies) {
  auto decode = [](std::string_view scenario) {
    std::string msg = VectorBytes(scenario, 0);
    auto raw = DecodeMessage(msg);
    EXPECT_TRUE(raw.ok()) << raw.status();
    auto body = DecodeRequestBody(static_cast<OpCode>(raw->header.op_code), raw->body);
    EXPECT_TRUE(body.ok()) << body.status();
    return *body;
  };
  RequestBody create = decode("create-tcp-v2.11-pbkdf2");
  EXPECT_EQ(create.handle, "88.999/VEC-C211");
  ASSERT_EQ(create.values.size(), 2u);
  EXPECT_EQ(create.values[0].data, "https://example.org/c211");
  EXPECT_EQ(create.values[1].type, "HS_ADMIN");
  EXPECT_EQ(create.values[1].index, 100u);

  RequestBody add = decode("add-value-tcp-v2.11");
  ASSERT_EQ(add.values.size(), 1u);
  EXPECT_EQ(add.values[0].data, "c211@example.org");

  RequestBody modify = decode("modify-value-tcp-v2.11");
  ASSERT_EQ(modify.values.size(), 1u);
  EXPECT_EQ(modify.values[0].data, "https://example.org/c211-modified");

  RequestBody remove = decode("remove-value-tcp-v2.11");
  EXPECT_EQ(remove.indexes, (std::vector<uint32_t>{2}));

  EXPECT_EQ(decode("delete-handle-tcp-v2.11").handle, "88.999/VEC-C211");
  EXPECT_EQ(decode("list-handles-tcp-v2.11").handle, "0.NA/88.999");
  EXPECT_EQ(decode("siteinfo-udp").handle, "/");
}

TEST(CodecTest, ChallengeAndAnswer) {
  std::string request = VectorBytes("create-tcp-v2.11-pbkdf2", 0);
  std::string challenge = VectorBytes("create-tcp-v2.11-pbkdf2", 1);
  std::string answer = VectorBytes("create-tcp-v2.11-pbkdf2", 2);
  auto req = DecodeMessage(request);
  auto ch = DecodeMessage(challenge);
  auto an = DecodeMessage(answer);
  ASSERT_TRUE(req.ok() && ch.ok() && an.ok());
  EXPECT_EQ(ch->envelope.session_id, 4u);
  EXPECT_EQ(ch->header.op_flags,
            op_flag::kAuthoritative | op_flag::kRecursive | op_flag::kReturnDigest);
  auto body = DecodeResponseBody(OpCode::kCreateHandle, ResponseCode::kAuthenticationNeeded,
                                 ch->header.op_flags, ch->body);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->digest.algorithm, DigestAlgorithm::kSha256);
  EXPECT_EQ(body->digest.digest, ComputeDigest(DigestAlgorithm::kSha256, req->header_and_body));
  EXPECT_EQ(body->nonce.size(), 16u);

  auto ans = DecodeRequestBody(OpCode::kChallengeResponse, an->body);
  ASSERT_TRUE(ans.ok()) << ans.status();
  EXPECT_EQ(ans->auth_type, "HS_SECKEY");
  EXPECT_EQ(ans->key_handle, "88.999/ADMIN");
  EXPECT_EQ(ans->key_index, 300u);
  ASSERT_EQ(ans->answer.size(), 0x35u);
  EXPECT_EQ(static_cast<uint8_t>(ans->answer[0]), 0x22);
  EXPECT_EQ(an->envelope.session_id, 4u);

  // At 2.1 the digest is SHA-1.
  // RawMessage views its input, so the octets must outlive it.
  std::string request21 = VectorBytes("create-tcp-v2.1-sha1", 0);
  std::string challenge21 = VectorBytes("create-tcp-v2.1-sha1", 1);
  req = DecodeMessage(request21);
  ch = DecodeMessage(challenge21);
  ASSERT_TRUE(req.ok() && ch.ok());
  body = DecodeResponseBody(OpCode::kCreateHandle, ResponseCode::kAuthenticationNeeded,
                            ch->header.op_flags, ch->body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->digest.algorithm, DigestAlgorithm::kSha1);
  EXPECT_EQ(body->digest.digest, ComputeDigest(DigestAlgorithm::kSha1, req->header_and_body));
}

TEST(CodecTest, RequestDigestInResolutionReplies) {
  for (auto [scenario, alg] : {std::pair{"resolve-udp-request-digest-v2.1", DigestAlgorithm::kSha1},
                               std::pair{"resolve-udp-request-digest-v2.11", DigestAlgorithm::kSha256}}) {
    SCOPED_TRACE(scenario);
    std::string request = VectorBytes(scenario, 0);
    std::string reply = VectorBytes(scenario, 1);
    auto req = DecodeMessage(request);
    auto rep = DecodeMessage(reply);
    ASSERT_TRUE(req.ok() && rep.ok());
    EXPECT_EQ(DigestAlgorithmForVersion(req->envelope.major_version, req->envelope.minor_version),
              alg);
    auto body = DecodeResponseBody(OpCode::kResolution, ResponseCode::kSuccess,
                                   rep->header.op_flags, rep->body);
    ASSERT_TRUE(body.ok()) << body.status();
    EXPECT_EQ(body->digest.algorithm, alg);
    EXPECT_EQ(body->digest.digest, ComputeDigest(alg, req->header_and_body));
    EXPECT_EQ(body->values.size(), 3u);
  }
}

TEST(CodecTest, SignedCredential) {
  std::string whole = VectorBytes("resolve-udp-certified-v2.11", 3) +
                      VectorBytes("resolve-udp-certified-v2.11", 4).substr(kEnvelopeSize);
  auto raw = DecodeMessage(whole);
  ASSERT_TRUE(raw.ok()) << raw.status();
  auto c = DecodeCredential(raw->credential);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->type, "HS_SIGNED");
  EXPECT_EQ(c->digest_algorithm, "SHA-256");
  EXPECT_EQ(c->signer_handle, "");
  EXPECT_EQ(c->signed_data.size(), 256u);
}

TEST(CodecTest, OtherBodiesRoundTrip) {
  RequestBody verify;
  verify.key_handle = "88.999/ADMIN";
  verify.key_index = 300;
  verify.nonce = std::string(16, 'n');
  verify.digest = std::string(33, 'd');
  verify.signature = std::string(20, 's');
  std::string enc = EncodeRequestBody(OpCode::kVerifyResponse, verify);
  EXPECT_EQ(enc, Str("88.999/ADMIN") + U32(300) + Str(verify.nonce) + Str(verify.digest) +
                     Str(verify.signature));
  EXPECT_EQ(*DecodeRequestBody(OpCode::kVerifyResponse, enc), verify);

  RequestBody setup;
  setup.key_exchange_mode = 2;
  setup.timeout = 3600;
  setup.raw = Str("key");
  enc = EncodeRequestBody(OpCode::kSessionSetup, setup);
  EXPECT_EQ(*DecodeRequestBody(OpCode::kSessionSetup, enc), setup);

  RequestBody login;
  login.key_handle = "88.999/USER";
  login.key_index = 301;
  enc = EncodeRequestBody(OpCode::kIdisLogin, login);
  EXPECT_EQ(enc, Str("88.999/USER") + U32(301));
  EXPECT_EQ(*DecodeRequestBody(OpCode::kIdisLogin, enc), login);

  EXPECT_EQ(EncodeRequestBody(OpCode::kSessionTerminate, RequestBody{}), "");
  EXPECT_TRUE(DecodeRequestBody(OpCode::kSessionTerminate, "").ok());

  ResponseBody verified;
  verified.verified = true;
  enc = EncodeResponseBody(OpCode::kVerifyResponse, ResponseCode::kSuccess, 0, verified);
  EXPECT_EQ(enc, std::string(1, '\x01'));
  EXPECT_EQ(*DecodeResponseBody(OpCode::kVerifyResponse, ResponseCode::kSuccess, 0, enc),
            verified);

  ResponseBody error;
  error.message = "no such thing";
  error.digest = {DigestAlgorithm::kMd5, std::string(16, 'x')};
  enc = EncodeResponseBody(OpCode::kResolution, ResponseCode::kHandleNotFound,
                           op_flag::kReturnDigest, error);
  EXPECT_EQ(enc, "\x01" + std::string(16, 'x') + Str("no such thing"));
  EXPECT_EQ(*DecodeResponseBody(OpCode::kResolution, ResponseCode::kHandleNotFound,
                                op_flag::kReturnDigest, enc),
            error);

  // RFC 3652's empty get-site-info body is accepted as well as CNRI's "/".
  auto empty = DecodeRequestBody(OpCode::kGetSiteInfo, "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->handle, "");
}

// Referrals (302, 303) carry Handle.Net's referral layout: the referral
// handle and the values saying where to go, not an error message.
TEST(CodecTest, ReferralBodiesCarryHandleAndValues) {
  ResponseBody referral;
  referral.handle = "0.NA/88.999.7";
  HandleValue site;
  site.index = 1;
  site.type = "HS_SITE";
  site.data = "site-octets";
  site.permissions = 0x0e;
  referral.values = {site};
  std::string enc =
      EncodeResponseBody(OpCode::kResolution, ResponseCode::kPrefixReferral, 0, referral);
  std::string values;
  {
    ByteWriter w(&values);
    w.WriteU32(1);
    EncodeValue(site, &w);
  }
  EXPECT_EQ(enc, Str("0.NA/88.999.7") + values);
  EXPECT_EQ(*DecodeResponseBody(OpCode::kResolution, ResponseCode::kPrefixReferral, 0, enc),
            referral);
  EXPECT_EQ(*DecodeResponseBody(OpCode::kResolution, ResponseCode::kServiceReferral, 0, enc),
            referral);
  // An RFC-era referral with just a message still decodes, as a message.
  ResponseBody rfc;
  rfc.message = "go elsewhere";
  EXPECT_EQ(*DecodeResponseBody(OpCode::kResolution, ResponseCode::kPrefixReferral, 0,
                                Str("go elsewhere")),
            rfc);
  EXPECT_EQ(EncodeResponseBody(OpCode::kResolution, ResponseCode::kPrefixReferral, 0, rfc),
            Str("go elsewhere"));
  // Neither layout: refused, naming the field.
  auto bad = DecodeResponseBody(OpCode::kResolution, ResponseCode::kPrefixReferral, 0,
                                Str("0.NA/88.999.7") + U32(3));
  ASSERT_FALSE(bad.ok());
}

TEST(CodecTest, MessageWithoutCredentialSectionIsAccepted) {
  Envelope env;
  MessageHeader header;
  header.op_code = 1;
  std::string body = EncodeRequestBody(OpCode::kResolution, RequestBody{.handle = "88.999/X"});
  std::string msg = EncodeMessage(env, header, body);
  msg.resize(msg.size() - 4);
  msg[kEnvelopeSize - 1] -= 4;  // MessageLength
  auto raw = DecodeMessage(msg);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_FALSE(raw->has_credential_section);
  EXPECT_EQ(raw->body, body);
}

// --- Corruption: one test per field --------------------------------------

// A well-formed resolution request with one filter each.
std::string ResolutionMessage() {
  RequestBody b;
  b.handle = "88.999/VEC-RES";
  b.indexes = {1};
  b.types = {"URL"};
  Envelope env;
  env.request_id = 7;
  MessageHeader h;
  h.op_code = 1;
  return EncodeMessage(env, h, EncodeRequestBody(OpCode::kResolution, b));
}

absl::Status DecodeWhole(std::string_view msg) {
  auto raw = DecodeMessage(msg);
  if (!raw.ok()) return raw.status();
  return DecodeRequestBody(static_cast<OpCode>(raw->header.op_code), raw->body).status();
}

TEST(CodecCorruptionTest, TruncationAtEveryOctetFails) {
  std::string msg = ResolutionMessage();
  ASSERT_TRUE(DecodeWhole(msg).ok());
  for (size_t n = 0; n < msg.size(); ++n) {
    SCOPED_TRACE(n);
    EXPECT_FALSE(DecodeWhole(msg.substr(0, n)).ok());
  }
}

// Cutting the body at each field and fixing the lengths so that only the
// body is short: each field reports itself.
TEST(CodecCorruptionTest, BodyTruncatedAtEachFieldNamesIt) {
  std::string body = Str("88.999/VEC-RES") + U32(1) + U32(1) + U32(1) + Str("URL");
  ASSERT_TRUE(DecodeRequestBody(OpCode::kResolution, body).ok());
  const std::map<size_t, std::string> cuts = {
      {0, "malformed handle"},       {10, "malformed handle"},
      {18, "malformed index list"},  {22, "malformed index list"},
      {24, "malformed index list"},  {26, "malformed type list count"},
      {30, "malformed type list count"}, {34, "malformed type list"},   {body.size() - 1, "malformed type list"},
  };
  for (const auto& [cut, message] : cuts) {
    SCOPED_TRACE(cut);
    EXPECT_EQ(DecodeRequestBody(OpCode::kResolution, body.substr(0, cut)).status().message(),
              message);
  }
  EXPECT_EQ(DecodeRequestBody(OpCode::kResolution, body + "x").status().message(),
            "trailing octets after request body");
}

TEST(CodecCorruptionTest, EnvelopeMessageLengthDisagrees) {
  std::string msg = ResolutionMessage();
  std::string longer = msg;
  longer[19] += 20;  // the quirk vector: 20 octets more than sent
  EXPECT_EQ(DecodeMessage(longer).status().message(),
            "message length disagrees with the octets received");
  std::string shorter = msg;
  shorter[19] -= 1;
  EXPECT_EQ(DecodeMessage(shorter).status().message(),
            "message length disagrees with the octets received");
  EXPECT_EQ(DecodeMessage(VectorBytes("quirk-envelope-length-too-long-udp", 0)).status().message(),
            "message length disagrees with the octets received");
}

TEST(CodecCorruptionTest, HeaderTruncated) {
  EXPECT_EQ(DecodeMessage(VectorBytes("error-truncated-header-udp", 0)).status().message(),
            "malformed message header");
  EXPECT_EQ(DecodeMessage(VectorBytes("error-random-bytes-udp", 0)).status().message(),
            "malformed envelope");
}

TEST(CodecCorruptionTest, BodyLengthDisagrees) {
  std::string msg = ResolutionMessage();
  // BodyLength is the last u32 of the header (octets 40-43).
  std::string too_long = msg;
  too_long.replace(40, 4, U32(0xfffffff0));
  EXPECT_EQ(DecodeMessage(too_long).status().message(), "body length exceeds the message");
  std::string just_over = msg;
  just_over.replace(40, 4, U32(static_cast<uint32_t>(msg.size() - 44 + 1)));
  EXPECT_EQ(DecodeMessage(just_over).status().message(), "body length exceeds the message");
  // A shorter body leaves octets the credential length does not account for.
  std::string too_short = msg;
  too_short.replace(40, 4, U32(static_cast<uint32_t>(msg.size() - 44 - 4 - 4)));
  EXPECT_EQ(DecodeMessage(too_short).status().message(),
            "credential length disagrees with the message length");
}

TEST(CodecCorruptionTest, CredentialLengthDisagrees) {
  std::string msg = ResolutionMessage();
  msg.replace(msg.size() - 4, 4, U32(1));
  EXPECT_EQ(DecodeMessage(msg).status().message(),
            "credential length disagrees with the message length");
  std::string cut = ResolutionMessage();
  cut.resize(cut.size() - 2);
  cut[19] -= 2;
  EXPECT_EQ(DecodeMessage(cut).status().message(), "malformed credential length");
}

TEST(CodecCorruptionTest, CountsThatOverflowTheBody) {
  EXPECT_EQ(DecodeRequestBody(OpCode::kResolution, Str("a/b") + U32(0xffffffff)).status().message(),
            "malformed index list");
  EXPECT_EQ(DecodeRequestBody(OpCode::kResolution, Str("a/b") + U32(0) + U32(0x40000000))
                .status()
                .message(),
            "malformed type list count");
  EXPECT_EQ(DecodeRequestBody(OpCode::kResolution, U32(0xffffffff) + "a/b").status().message(),
            "malformed handle");
  EXPECT_EQ(DecodeRequestBody(OpCode::kCreateHandle, Str("a/b") + U32(2) + std::string(26, '\0'))
                .status()
                .message(),
            "malformed value count");
  EXPECT_EQ(DecodeRequestBody(OpCode::kRemoveValue, Str("a/b") + U32(3) + U32(1) + U32(2))
                .status()
                .message(),
            "malformed index list");
}

TEST(CodecCorruptionTest, LimitsAreNamed) {
  std::string long_handle(kMaxHandleBytes + 1, 'a');
  EXPECT_EQ(DecodeRequestBody(OpCode::kDeleteHandle, Str(long_handle)).status().message(),
            "malformed handle");
  EXPECT_TRUE(
      DecodeRequestBody(OpCode::kDeleteHandle, Str(long_handle.substr(1))).ok());

  // One value more than a handle may hold, each an empty value of 26 octets.
  std::string value = U32(1) + U32(0) + std::string(1, '\0') + U32(0) + std::string(1, '\0') +
                      U32(0) + U32(0) + U32(0);
  ASSERT_EQ(value.size(), 26u);
  std::string values;
  for (size_t i = 0; i <= kMaxValuesPerMessage; ++i) values += value;
  EXPECT_EQ(DecodeRequestBody(OpCode::kCreateHandle,
                              Str("a/b") + U32(kMaxValuesPerMessage + 1) + values)
                .status()
                .message(),
            "malformed value count");
  values.resize(values.size() - value.size());
  EXPECT_TRUE(
      DecodeRequestBody(OpCode::kCreateHandle, Str("a/b") + U32(kMaxValuesPerMessage) + values)
          .ok());

  std::string types;
  for (size_t i = 0; i <= kMaxTypesPerRequest; ++i) types += Str("T");
  EXPECT_EQ(DecodeRequestBody(OpCode::kResolution,
                              Str("a/b") + U32(0) + U32(kMaxTypesPerRequest + 1) + types)
                .status()
                .message(),
            "malformed type list count");
  std::string nonce(kMaxNonceBytes + 1, 'n');
  EXPECT_EQ(DecodeResponseBody(OpCode::kCreateHandle, ResponseCode::kAuthenticationNeeded, 0,
                               Str(nonce))
                .status()
                .message(),
            "malformed nonce");
}

TEST(CodecCorruptionTest, BadValueInsideABody) {
  // TTL type 2 does not exist.
  std::string value = U32(1) + U32(0) + std::string(1, '\x02') + U32(0) + std::string(1, '\0') +
                      U32(0) + U32(0) + U32(0);
  EXPECT_EQ(DecodeRequestBody(OpCode::kAddValue, Str("a/b") + U32(1) + value).status().message(),
            "malformed value");
}

TEST(CodecCorruptionTest, ResponseDigestAndChallenge) {
  EXPECT_EQ(DecodeResponseBody(OpCode::kResolution, ResponseCode::kSuccess,
                               op_flag::kReturnDigest, "\x09" + std::string(32, 'x'))
                .status()
                .message(),
            "malformed request digest algorithm");
  EXPECT_EQ(DecodeResponseBody(OpCode::kResolution, ResponseCode::kSuccess,
                               op_flag::kReturnDigest, "\x03" + std::string(31, 'x'))
                .status()
                .message(),
            "malformed request digest");
  EXPECT_EQ(DecodeResponseBody(OpCode::kResolution, ResponseCode::kHandleNotFound, 0, U32(5) + "ab")
                .status()
                .message(),
            "malformed error message");
  EXPECT_EQ(DecodeResponseBody(OpCode::kGetSiteInfo, ResponseCode::kSuccess, 0, U32(1))
                .status()
                .message(),
            "malformed site info");
  EXPECT_EQ(DecodeResponseBody(OpCode::kListHandles, ResponseCode::kSuccess, 0, U32(3) + Str("a"))
                .status()
                .message(),
            "malformed handle list count");
}

TEST(CodecCorruptionTest, ChallengeAnswerFields) {
  std::string body = Str("HS_SECKEY") + Str("88.999/ADMIN") + U32(300) + Str("\x02mac");
  ASSERT_TRUE(DecodeRequestBody(OpCode::kChallengeResponse, body).ok());
  const std::map<size_t, std::string> cuts = {
      {3, "malformed authentication type"},
      {13, "malformed key handle"},
      {29, "malformed challenge answer"},
      {33, "malformed challenge answer"},
  };
  for (const auto& [cut, message] : cuts) {
    SCOPED_TRACE(cut);
    EXPECT_EQ(DecodeRequestBody(OpCode::kChallengeResponse, body.substr(0, cut)).status().message(),
              message);
  }
}

TEST(CodecCorruptionTest, CredentialFields) {
  Credential c;
  c.type = "HS_SIGNED";
  c.digest_algorithm = "SHA-256";
  c.signed_data = "sig";
  ByteWriter w;
  EncodeCredential(c, &w);
  std::string bytes = w.Release();
  ASSERT_EQ(*DecodeCredential(bytes), c);
  EXPECT_EQ(DecodeCredential(bytes.substr(0, 3)).status().message(), "malformed credential");
  EXPECT_EQ(DecodeCredential(bytes.substr(0, 6)).status().message(),
            "malformed credential signer");
  EXPECT_EQ(DecodeCredential(bytes.substr(0, 18)).status().message(),
            "malformed credential type");
  EXPECT_EQ(DecodeCredential(bytes.substr(0, 27)).status().message(),
            "malformed credential signed info");
  EXPECT_EQ(DecodeCredential(bytes + "x").status().message(), "trailing octets after credential");
}

TEST(CodecTest, Versions) {
  EXPECT_FALSE(IsSupportedVersion(2, 0));
  EXPECT_TRUE(IsSupportedVersion(2, 1));
  EXPECT_TRUE(IsSupportedVersion(2, 11));
  EXPECT_FALSE(IsSupportedVersion(2, 12));
  EXPECT_FALSE(IsSupportedVersion(1, 5));
  EXPECT_FALSE(IsSupportedVersion(5, 0));
  EXPECT_EQ(kOwnVersionFlag, 0x020b);
  EXPECT_EQ(DigestAlgorithmForVersion(2, 6), DigestAlgorithm::kSha1);
  EXPECT_EQ(DigestAlgorithmForVersion(2, 7), DigestAlgorithm::kSha256);
}

TEST(CodecTest, UnknownOpcodeBodyIsRefused) {
  EXPECT_EQ(DecodeRequestBody(static_cast<OpCode>(999), "").status().message(), "unknown opcode");
  EXPECT_FALSE(IsKnownOpCode(999));
  EXPECT_FALSE(IsKnownOpCode(0));
  EXPECT_TRUE(IsKnownOpCode(2001));
  EXPECT_TRUE(IsAdminOpCode(101));
  EXPECT_FALSE(IsAdminOpCode(1));
}

}  // namespace
}  // namespace qilian::ident::wire
