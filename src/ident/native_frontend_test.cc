#include "ident/native_frontend.h"

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/test_util.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "ident/wire/client.h"
#include "ident/wire/codec.h"
#include "ident/wire/testdata/vectors.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

using test::Value;

using wire::testdata::AsSpan;
using wire::testdata::ToHex;
using wire::testdata::VectorBytes;

// The recording's value timestamps, and its replies' ExpirationTime minus
// the 12 hours servers add: with the clock at these, our replies' octets can
// be compared with the recorded ones.
constexpr int64_t kValueTime = 0x6b0b1760;
constexpr int64_t kReplyTime = 0x6b0bc021 - 43200;

Peer Udp() { return Peer{"127.0.0.1", true, Transport::kUdp}; }
Peer Tcp() { return Peer{"127.0.0.1", true, Transport::kTcp}; }


class NativeFrontendTest : public ::testing::Test {
 protected:
  NativeFrontendTest()
      : clock_(absl::FromUnixSeconds(kValueTime)),
        store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        registry_(store_.get(), clock_, RegistryOptions{}) {
    SiteOptions site;
    site.description = "test node";
    ProcessorOptions options;
    options.site = BuildSiteInfo(site);
    processor_ = std::make_unique<Processor>(&registry_, &metrics_, options);
    frontend_ = std::make_unique<NativeFrontend>(processor_.get(), &metrics_, clock_);
    // 88.999/VEC-RES as in the recording.
    EXPECT_TRUE(registry_
                    .Create("88.999/VEC-RES", {Value(1, "URL", "https://example.org/vec"),
                                               Value(2, "EMAIL", "vec@example.org"),
                                               Value(3, "X-VEC-NOTE", "hello vectors")})
                    .ok());
    clock_.Set(absl::FromUnixSeconds(kReplyTime));
  }

  std::optional<NativeReply> Send(const std::string& message, Peer peer = Udp()) {
    return frontend_->Handle(AsSpan(message), peer);
  }

  wire::ClientReply Decode(const NativeReply& reply) {
    auto decoded = wire::DecodeClientReply(AsSpan(reply.message));
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    return decoded.ok() ? *decoded : wire::ClientReply{};
  }

  uint64_t Errors(const std::string& reason) {
    return metrics_.GetCounter("qilian_native_errors_total", "", {{"reason", reason}}).value();
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
  MetricsRegistry metrics_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<NativeFrontend> frontend_;
};

// The recorded reply with REC cleared: Handle.Net sets it on every reply,
// our processor only when the node resolves recursively (issue 4).
std::string WithoutRec(std::string reply) {
  reply[wire::kEnvelopeSize + 8] &= ~0x10;
  return reply;
}

TEST_F(NativeFrontendTest, ResolutionRepliesMatchTheRecordingOctetForOctet) {
  for (const char* scenario :
       {"resolve-udp-v2.1", "resolve-udp-v2.7", "resolve-udp-v2.11", "resolve-udp-type-filter",
        "resolve-udp-index-filter", "resolve-udp-request-digest-v2.1",
        "resolve-udp-request-digest-v2.11", "resolve-tcp-v2.11"}) {
    SCOPED_TRACE(scenario);
    auto reply = Send(VectorBytes(scenario, 0));
    ASSERT_TRUE(reply.has_value());
    EXPECT_FALSE(reply->is_error);
    EXPECT_EQ(ToHex(reply->message), ToHex(WithoutRec(VectorBytes(scenario, 1))));
  }
}

TEST_F(NativeFrontendTest, NotFoundAndNoMatchCodes) {
  auto reply = Send(VectorBytes("resolve-udp-not-found", 0));
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->is_error);
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kHandleNotFound);
  EXPECT_EQ(r.envelope.request_id, 73569816u);
  EXPECT_EQ(r.op, OpCode::kResolution);
  EXPECT_EQ(r.op_flags, op_flag::kAuthoritative | op_flag::kPublicOnly);  // recorded: AT|REC|PO

  reply = Send(VectorBytes("resolve-udp-filter-no-match", 0));
  ASSERT_TRUE(reply.has_value());
  r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kValuesNotFound);
  EXPECT_EQ(r.envelope.request_id, 951068482u);
  EXPECT_EQ(r.error_message, "no values match the filter");
}

TEST_F(NativeFrontendTest, PrefixReferralCarriesTheSiteValues) {
  SiteOptions elsewhere;
  elsewhere.handle_port = 3641;
  HandleValue site = Value(1, "HS_SITE", EncodeSiteData(BuildSiteInfo(elsewhere)));
  ASSERT_TRUE(registry_.Create("0.NA/88.999.7", {site}).ok());
  wire::ClientRequest request;
  request.handle = "88.999.7/PUMP-1";
  request.request_id = 77;
  auto reply = Send(wire::EncodeClientRequest(request));
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->is_error);
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kPrefixReferral);
  EXPECT_EQ(r.envelope.request_id, 77u);
  EXPECT_EQ(r.handle, "0.NA/88.999.7");
  ASSERT_EQ(r.values.size(), 1u);
  EXPECT_EQ(r.values[0].type, "HS_SITE");
  EXPECT_EQ(r.values[0].data, site.data);
  EXPECT_EQ(r.error_message, "");
}

TEST_F(NativeFrontendTest, SiteInfoCarriesThisNodesSite) {
  auto reply = Send(VectorBytes("siteinfo-udp", 0));
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kSuccess);
  EXPECT_EQ(r.op, OpCode::kGetSiteInfo);
  EXPECT_EQ(r.op_flags, op_flag::kAuthoritative);
  EXPECT_EQ(r.envelope.request_id, 1296265722u);
  EXPECT_EQ(r.envelope.flags, 0x020b);
  EXPECT_EQ(r.site, processor_->options().site);
}

TEST_F(NativeFrontendTest, UnknownOpcodeGetsCode5WithTheRequestsId) {
  auto reply = Send(VectorBytes("error-unknown-opcode-udp", 0));
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->is_error);
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kOperationNotSupported);
  EXPECT_EQ(r.envelope.request_id, 1893337562u);  // Handle.Net: 0xffffffff
  EXPECT_EQ(r.envelope.minor_version, 11);
  EXPECT_EQ(static_cast<uint32_t>(r.op), 999u);
  EXPECT_EQ(r.error_message, "operation 999 is not supported");
  EXPECT_EQ(Errors("unknown_opcode"), 1u);
  EXPECT_EQ(metrics_.GetCounter("qilian_native_requests_total", "", {{"op", "unknown"}}).value(),
            1u);
}

TEST_F(NativeFrontendTest, MalformedMessagesGetCode4WithTheRequestsId) {
  auto reply = Send(VectorBytes("error-truncated-header-udp", 0));
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.envelope.request_id, 918013116u);
  EXPECT_EQ(r.error_message, "malformed message header");
  EXPECT_EQ(static_cast<uint32_t>(r.op), 1u);

  // Handle.Net answers this one with the values; we check the length.
  reply = Send(VectorBytes("quirk-envelope-length-too-long-udp", 0));
  ASSERT_TRUE(reply.has_value());
  r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.envelope.request_id, 0x01020304u);
  EXPECT_EQ(r.error_message, "message length disagrees with the octets received");

  // A body whose type count overflows it.
  std::string msg = VectorBytes("resolve-udp-v2.11", 0);
  msg.replace(msg.size() - 8, 4, "\xff\xff\xff\xff");
  reply = Send(msg);
  ASSERT_TRUE(reply.has_value());
  r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.envelope.request_id, 1559182477u);
  EXPECT_EQ(r.error_message, "malformed type list count");
  EXPECT_EQ(Errors("malformed"), 3u);
}

TEST_F(NativeFrontendTest, MalformedCredentialIsRefused) {
  std::string msg = VectorBytes("resolve-udp-v2.11", 0);
  msg.replace(msg.size() - 4, 4, std::string("\0\0\0\x02", 4) + "xy");
  msg[wire::kEnvelopeSize - 1] += 2;
  auto reply = Send(msg);
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.error_message, "malformed credential");
}

TEST_F(NativeFrontendTest, NoiseGetsSilence) {
  for (int i = 0; i < 16; i += 2) {
    SCOPED_TRACE(i);
    EXPECT_FALSE(Send(VectorBytes("error-random-bytes-udp", i)).has_value());
  }
  // A full-size envelope that is not protocol 2.
  std::string msg = VectorBytes("resolve-udp-v2.11", 0);
  msg[0] = 7;
  EXPECT_FALSE(Send(msg).has_value());
  // A reply sent to us is not answered (no error ping-pong between servers).
  EXPECT_FALSE(Send(VectorBytes("resolve-udp-v2.11", 1)).has_value());
  EXPECT_EQ(Errors("not_handle"), 9u);
  EXPECT_EQ(Errors("unexpected_response"), 1u);
}

TEST_F(NativeFrontendTest, UnsupportedVersionIsAnsweredInOurs) {
  std::string msg = VectorBytes("resolve-udp-v2.11", 0);
  msg[1] = 12;
  auto reply = Send(msg);
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.envelope.major_version, 2);
  EXPECT_EQ(r.envelope.minor_version, 11);
  EXPECT_EQ(r.envelope.request_id, 1559182477u);
  EXPECT_EQ(r.error_message, "unsupported protocol version 2.12; this server speaks 2.1 to 2.11");
  msg[1] = 0;
  reply = Send(msg);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Decode(*reply).code, ResponseCode::kProtocolError);
  EXPECT_EQ(Errors("unsupported_version"), 2u);
}

TEST_F(NativeFrontendTest, EnvelopeFlagsWeCannotHonour) {
  std::string msg = VectorBytes("resolve-udp-v2.11", 0);
  msg[2] = 0x40;  // encrypted
  auto reply = Send(msg);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Decode(*reply).code, ResponseCode::kSessionTimeout);
  msg[2] = static_cast<char>(0x80);  // compressed
  reply = Send(msg);
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.error_message, "compressed messages are not supported");
}

TEST_F(NativeFrontendTest, ExpiredRequestsAreRefused) {
  std::string msg = VectorBytes("resolve-udp-v2.11", 0);
  // ExpirationTime is header octets 16-19.
  auto set_expiration = [&](uint32_t t) {
    for (int i = 0; i < 4; ++i) {
      msg[wire::kEnvelopeSize + 16 + i] = static_cast<char>(t >> (24 - 8 * i));
    }
  };
  set_expiration(kReplyTime - 1);
  auto reply = Send(msg);
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.error_message, "the request's expiration time has passed");
  EXPECT_EQ(Errors("expired"), 1u);
  set_expiration(kReplyTime + 43200);  // CNRI clients: now + 12 h
  reply = Send(msg);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Decode(*reply).code, ResponseCode::kSuccess);
}

TEST_F(NativeFrontendTest, AdminOverUdpIsRefusedWithTheRequestsId) {
  auto reply = Send(VectorBytes("error-admin-over-udp", 0), Udp());
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.code, ResponseCode::kProtocolError);
  EXPECT_EQ(r.op, OpCode::kDeleteHandle);
  EXPECT_EQ(r.envelope.request_id, 35710848u);  // Handle.Net: 0xffffffff
  // Still there.
  reply = Send(VectorBytes("resolve-udp-v2.11", 0));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Decode(*reply).values.size(), 3u);
}

TEST_F(NativeFrontendTest, WritesOverTcpFromLoopback) {
  // The first message of each recorded admin exchange (no challenge yet:
  // loopback writes are accepted until authentication lands).
  auto reply = Send(VectorBytes("create-tcp-v2.11-pbkdf2", 0), Tcp());
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  ASSERT_EQ(r.code, ResponseCode::kSuccess) << r.error_message;
  EXPECT_EQ(r.op, OpCode::kCreateHandle);
  EXPECT_EQ(r.envelope.request_id, 646638187u);
  // The body names the created handle, as Handle.Net's does.
  auto raw = wire::DecodeMessage(reply->message);
  std::string recorded = VectorBytes("create-tcp-v2.11-pbkdf2", 3);
  auto recorded_raw = wire::DecodeMessage(recorded);
  ASSERT_TRUE(raw.ok() && recorded_raw.ok());
  EXPECT_EQ(ToHex(raw->body), ToHex(recorded_raw->body));

  for (const char* scenario : {"add-value-tcp-v2.11", "modify-value-tcp-v2.11",
                               "remove-value-tcp-v2.11", "list-handles-tcp-v2.11"}) {
    SCOPED_TRACE(scenario);
    reply = Send(VectorBytes(scenario, 0), Tcp());
    ASSERT_TRUE(reply.has_value());
    r = Decode(*reply);
    EXPECT_EQ(r.code, ResponseCode::kSuccess) << r.error_message;
  }
  EXPECT_EQ(r.handles, (std::vector<std::string>{"88.999/VEC-C211", "88.999/VEC-RES"}));

  wire::ClientRequest get;
  get.handle = "88.999/VEC-C211";
  get.request_id = 5;
  reply = Send(wire::EncodeClientRequest(get));
  ASSERT_TRUE(reply.has_value());
  r = Decode(*reply);
  ASSERT_EQ(r.values.size(), 2u);
  EXPECT_EQ(r.values[0].data, "https://example.org/c211-modified");
  EXPECT_EQ(r.values[1].type, "HS_ADMIN");

  reply = Send(VectorBytes("delete-handle-tcp-v2.11", 0), Tcp());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(Decode(*reply).code, ResponseCode::kSuccess);
  EXPECT_EQ(metrics_.GetCounter("qilian_native_requests_total", "", {{"op", "create_handle"}})
                .value(),
            1u);
}

TEST_F(NativeFrontendTest, AuthOpcodesDecodeAndGoToTheProcessor) {
  auto reply = Send(VectorBytes("create-tcp-v2.11-pbkdf2", 2), Tcp());
  ASSERT_TRUE(reply.has_value());
  wire::ClientReply r = Decode(*reply);
  EXPECT_EQ(r.op, OpCode::kChallengeResponse);
  EXPECT_EQ(r.code, ResponseCode::kOperationNotSupported);
  EXPECT_EQ(r.envelope.request_id, 1159720824u);
}

TEST_F(NativeFrontendTest, MayBlockOnWritesOnly) {
  std::string create = VectorBytes("create-tcp-v2.11-pbkdf2", 0);
  std::string resolve = VectorBytes("resolve-udp-v2.11", 0);
  EXPECT_TRUE(frontend_->MayBlock(AsSpan(create)));
  EXPECT_FALSE(frontend_->MayBlock(AsSpan(resolve)));
  EXPECT_FALSE(frontend_->MayBlock(AsSpan(create.substr(0, 22))));
}

}  // namespace
}  // namespace qilian::ident
