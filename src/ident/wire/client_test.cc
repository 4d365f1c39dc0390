#include "ident/wire/client.h"

#include "gtest/gtest.h"
#include "ident/wire/testdata/vectors.h"

namespace qilian::ident::wire {
namespace {

using testdata::AsSpan;
using testdata::ToHex;
using testdata::VectorBytes;

// The request of resolve-udp-v2.11 with its random RequestId, rebuilt.
TEST(ClientTest, EncodesResolutionLikeRecordedClientExceptVersionFlag) {
  ClientRequest req;
  req.handle = "88.999/VEC-RES";
  req.op_flags = op_flag::kPublicOnly;
  req.request_id = 1559182477;
  std::string expected = VectorBytes("resolve-udp-v2.11", 0);
  // hdl.py sends MessageFlag 0x0000; we send 0x020b as CNRI clients do.
  expected[2] = 0x02;
  expected[3] = 0x0b;
  EXPECT_EQ(ToHex(EncodeClientRequest(req)), ToHex(expected));
}

TEST(ClientTest, EncodesFiltersAndVersion) {
  ClientRequest req;
  req.handle = "88.999/VEC-RES";
  req.op_flags = op_flag::kPublicOnly;
  req.request_id = 440303695;
  req.indexes = {1, 3};
  std::string expected = VectorBytes("resolve-udp-index-filter", 0);
  expected[2] = 0x02;
  expected[3] = 0x0b;
  EXPECT_EQ(ToHex(EncodeClientRequest(req)), ToHex(expected));

  req.indexes.clear();
  req.types = {"URL", "EMAIL"};
  req.request_id = 2139033944;
  expected = VectorBytes("resolve-udp-type-filter", 0);
  expected[2] = 0x02;
  expected[3] = 0x0b;
  EXPECT_EQ(ToHex(EncodeClientRequest(req)), ToHex(expected));

  ClientRequest old;
  old.handle = "88.999/VEC-RES";
  old.op_flags = op_flag::kPublicOnly;
  old.request_id = 49224498;
  old.minor_version = 1;
  expected = VectorBytes("resolve-udp-v2.1", 0);
  expected[2] = 0x02;
  expected[3] = 0x0b;
  EXPECT_EQ(ToHex(EncodeClientRequest(old)), ToHex(expected));
}

TEST(ClientTest, EncodesSiteInfoRequest) {
  ClientRequest req;
  req.op = OpCode::kGetSiteInfo;
  req.handle = "/";
  req.request_id = 1296265722;
  std::string expected = VectorBytes("siteinfo-udp", 0);
  expected[2] = 0x02;
  expected[3] = 0x0b;
  EXPECT_EQ(ToHex(EncodeClientRequest(req)), ToHex(expected));
}

TEST(ClientTest, DecodesResolutionReply) {
  std::string msg = VectorBytes("resolve-udp-v2.11", 1);
  auto reply = DecodeClientReply(AsSpan(msg));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->envelope.request_id, 1559182477u);
  EXPECT_EQ(reply->envelope.suggested_minor(), 11);
  EXPECT_EQ(reply->op, OpCode::kResolution);
  EXPECT_EQ(reply->code, ResponseCode::kSuccess);
  EXPECT_EQ(reply->op_flags, op_flag::kAuthoritative | op_flag::kRecursive | op_flag::kPublicOnly);
  EXPECT_EQ(reply->handle, "88.999/VEC-RES");
  ASSERT_EQ(reply->values.size(), 3u);
  EXPECT_EQ(reply->values[0].index, 1u);
  EXPECT_EQ(reply->values[0].type, "URL");
  EXPECT_EQ(reply->values[0].data, "https://example.org/vec");
  EXPECT_EQ(reply->values[0].ttl, 86400u);
  EXPECT_EQ(reply->values[0].permissions, 0x0e);
  EXPECT_EQ(reply->values[2].type, "X-VEC-NOTE");
  EXPECT_EQ(reply->values[2].data, "hello vectors");
}

TEST(ClientTest, DecodesDigestReplyNotFoundAndListing) {
  std::string msg = VectorBytes("resolve-udp-request-digest-v2.11", 1);
  auto reply = DecodeClientReply(AsSpan(msg));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->values.size(), 3u);

  msg = VectorBytes("resolve-udp-not-found", 1);
  reply = DecodeClientReply(AsSpan(msg));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->code, ResponseCode::kHandleNotFound);
  EXPECT_EQ(reply->error_message, "");

  msg = VectorBytes("list-handles-tcp-v2.11", 3);
  reply = DecodeClientReply(AsSpan(msg));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->handles,
            (std::vector<std::string>{"88.999/VEC-C21", "88.999/VEC-C211", "88.999/VEC-BIG",
                                      "88.999/VEC-RES", "88.999/ADMIN"}));
}

TEST(ClientTest, DecodesSiteInfoAndErrorReplies) {
  std::string msg = VectorBytes("siteinfo-tcp", 1);
  auto reply = DecodeClientReply(AsSpan(msg));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->op, OpCode::kGetSiteInfo);
  ASSERT_EQ(reply->site.servers.size(), 1u);
  EXPECT_EQ(reply->site.servers[0].interfaces.size(), 2u);
  EXPECT_EQ(reply->site.attributes[0].second, "loopback CNRI test peer");

  msg = VectorBytes("error-admin-over-udp", 1);
  reply = DecodeClientReply(AsSpan(msg));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->code, ResponseCode::kProtocolError);
  EXPECT_EQ(reply->error_message, "Received admin request on non-admin interface");
  EXPECT_EQ(reply->envelope.request_id, 0xffffffffu);
}

TEST(ClientTest, RejectsRequestsAndTruncatedReplies) {
  std::string msg = VectorBytes("resolve-udp-v2.11", 0);
  EXPECT_EQ(DecodeClientReply(AsSpan(msg)).status().message(), "not a reply: response code 0");
  msg = VectorBytes("resolve-udp-v2.11", 1);
  std::string cut = msg.substr(0, msg.size() - 1);
  EXPECT_EQ(DecodeClientReply(AsSpan(cut)).status().message(),
            "message length disagrees with the octets received");
}

}  // namespace
}  // namespace qilian::ident::wire
