// Template checks on the native protocol: a create over TCP whose record
// does not satisfy its template is answered 202 INVALID VALUE with the same
// "<field>: <rule>: <detail>" message REST gives, and nothing is stored.
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/native_frontend.h"
#include "ident/template/test_templates.h"
#include "ident/test_util.h"
#include "ident/wire/client.h"
#include "ident/wire/codec.h"
#include "store/memory_store.h"

namespace qilian::ident::templates {
namespace {

using ident::test::Value;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class NativeTemplateTest : public ::testing::Test {
 protected:
  NativeTemplateTest()
      : processor_(&node_.registry, &metrics_, ProcessorOptions{}),
        frontend_(&processor_, &metrics_, node_.clock) {
    node_.Define("88.999", R"({"name":"drug-lot","industry":"C27",
      "fields":[{"name":"approvalNo","type":"string","required":true,
                 "limits":{"pattern":"国药准字[HZSJBF][0-9]{8}"}},
                {"name":"expiry","type":"date-time","required":true}]})");
  }

  wire::ClientReply Create(const std::string& handle, std::vector<HandleValue> values) {
    wire::Envelope envelope;
    envelope.request_id = 41;
    wire::MessageHeader header;
    header.op_code = static_cast<uint32_t>(OpCode::kCreateHandle);
    wire::RequestBody body;
    body.handle = handle;
    body.values = std::move(values);
    const std::string message = wire::EncodeMessage(
        envelope, header, wire::EncodeRequestBody(OpCode::kCreateHandle, body));
    std::optional<NativeReply> reply =
        frontend_.Handle(Bytes(message), Peer{"127.0.0.1", true, Transport::kTcp});
    EXPECT_TRUE(reply.has_value());
    auto decoded = wire::DecodeClientReply(Bytes(reply->message));
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    return decoded.ok() ? *decoded : wire::ClientReply{};
  }

  test::TemplatedRegistry node_;
  Registry& registry_ = node_.registry;
  MetricsRegistry metrics_;
  Processor processor_;
  NativeFrontend frontend_;
};

TEST_F(NativeTemplateTest, WritesAreRefusedNamingFieldAndRule) {
  wire::ClientReply r =
      Create("88.999/LOT-1", {Value(1000, "TEMPLATE", "drug-lot@1"),
                              Value(2000, "approvalNo", "国药准字X12345678"),
                              Value(2001, "expiry", "2028-06-30T00:00:00+08:00")});
  EXPECT_EQ(r.code, ResponseCode::kInvalidValue);
  EXPECT_EQ(r.envelope.request_id, 41u);
  EXPECT_EQ(r.error_message,
            "approvalNo: pattern: '国药准字X12345678' does not match "
            "'国药准字[HZSJBF][0-9]{8}'");
  r = Create("88.999/LOT-1", {Value(1000, "TEMPLATE", "drug-lot@1"),
                              Value(2000, "approvalNo", "国药准字H20240001")});
  EXPECT_EQ(r.code, ResponseCode::kInvalidValue);
  EXPECT_EQ(r.error_message, "expiry: required: template 'drug-lot@1' requires this field");
  EXPECT_EQ(ResponseCodeOf(registry_.Get("88.999/LOT-1", {}).status()),
            ResponseCode::kHandleNotFound);

  r = Create("88.999/LOT-1", {Value(1000, "TEMPLATE", "drug-lot@1"),
                              Value(2000, "approvalNo", "国药准字H20240001"),
                              Value(2001, "expiry", "2028-06-30T00:00:00+08:00")});
  EXPECT_EQ(r.code, ResponseCode::kSuccess);
  EXPECT_TRUE(registry_.Get("88.999/LOT-1", {}).ok());
}

}  // namespace
}  // namespace qilian::ident::templates
