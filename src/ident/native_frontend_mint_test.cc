// The native answer to a CreateHandleRequest with the MINT flag: as
// deployed Handle.Net servers give it, the body is the handle the node
// created and the header echoes MINT (docs/handle_wire.md "Minted
// suffixes").
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/mint.h"
#include "ident/native_frontend.h"
#include "ident/registry.h"
#include "ident/test_util.h"
#include "ident/wire/codec.h"
#include "ident/wire/testdata/vectors.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

using wire::testdata::AsSpan;
using wire::testdata::ToHex;

// A CreateHandleRequest for `stem` with one URL value.
std::string CreateMessage(const std::string& stem, uint32_t op_flags, uint8_t minor = 11) {
  wire::Envelope envelope;
  envelope.minor_version = minor;
  envelope.request_id = 77;
  wire::MessageHeader header;
  header.op_code = static_cast<uint32_t>(OpCode::kCreateHandle);
  header.op_flags = op_flags;
  wire::RequestBody body;
  body.handle = stem;
  body.values = {test::Value(1, "URL", "https://example.org/minted")};
  return wire::EncodeMessage(envelope, header,
                             wire::EncodeRequestBody(OpCode::kCreateHandle, body));
}

// The UTF8-String encoding of `s` (RFC 3652 2.1.4).
std::string Utf8String(const std::string& s) {
  const uint32_t n = static_cast<uint32_t>(s.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + s;
}

class NativeMintTest : public ::testing::Test {
 protected:
  NativeMintTest() {
    ProcessorOptions options;
    options.mint_suffix = [this]() -> absl::StatusOr<std::string> {
      return absl::StrCat("m", ++minted_);
    };
    processor_ = std::make_unique<Processor>(&registry_, &metrics_, options);
    frontend_ = std::make_unique<NativeFrontend>(processor_.get(), &metrics_, clock_);
  }

  // The reply's header and body, decoded.
  wire::RawMessage Send(const std::string& message) {
    reply_ = frontend_->Handle(AsSpan(message), Peer{"127.0.0.1", true, Transport::kTcp});
    EXPECT_TRUE(reply_.has_value());
    if (!reply_.has_value()) return wire::RawMessage{};
    absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(reply_->message);
    EXPECT_TRUE(raw.ok()) << raw.status();
    return raw.ok() ? *raw : wire::RawMessage{};
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_ =
      store::NewMemoryStore({{std::string(Registry::kSpace)}});
  Registry registry_{store_.get(), clock_, RegistryOptions{}};
  MetricsRegistry metrics_;
  int minted_ = 0;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<NativeFrontend> frontend_;
  std::optional<NativeReply> reply_;
};

TEST_F(NativeMintTest, TheReplyBodyIsTheMintedHandleAndTheHeaderEchoesMint) {
  for (uint8_t minor : {1, 7, 11}) {
    SCOPED_TRACE(static_cast<int>(minor));
    wire::RawMessage raw = Send(CreateMessage("88.999/P-", op_flag::kMint, minor));
    const std::string handle = absl::StrCat("88.999/P-m", minted_);
    EXPECT_EQ(raw.header.response_code, static_cast<uint32_t>(ResponseCode::kSuccess));
    EXPECT_EQ(raw.header.op_code, static_cast<uint32_t>(OpCode::kCreateHandle));
    EXPECT_EQ(raw.header.op_flags, op_flag::kAuthoritative | op_flag::kMint);
    EXPECT_EQ(raw.envelope.minor_version, minor);
    EXPECT_EQ(raw.envelope.request_id, 77u);
    EXPECT_EQ(ToHex(raw.body), ToHex(Utf8String(handle)));
    EXPECT_TRUE(registry_.Get(handle, ValueFilter{}).ok()) << handle;
  }
  EXPECT_EQ(minted_, 3);
  EXPECT_FALSE(registry_.Get("88.999/P-", ValueFilter{}).ok());
}

TEST_F(NativeMintTest, WithRdTheDigestComesFirst) {
  const std::string request = CreateMessage("88.999/", op_flag::kMint | op_flag::kReturnDigest);
  wire::RawMessage raw = Send(request);
  EXPECT_EQ(raw.header.op_flags,
            op_flag::kAuthoritative | op_flag::kMint | op_flag::kReturnDigest);
  absl::StatusOr<wire::RawMessage> sent = wire::DecodeMessage(request);
  ASSERT_TRUE(sent.ok());
  const std::string digest =
      wire::ComputeDigest(wire::DigestAlgorithm::kSha256, sent->header_and_body);
  EXPECT_EQ(ToHex(raw.body), ToHex(std::string(1, '\x03') + digest + Utf8String("88.999/m1")));
}

TEST_F(NativeMintTest, RefusalsCarryNoMintFlagAndNameNoHandle) {
  wire::RawMessage raw = Send(CreateMessage("77.1/", op_flag::kMint));
  EXPECT_EQ(raw.header.response_code, static_cast<uint32_t>(ResponseCode::kServerNotResponsible));
  EXPECT_EQ(raw.header.op_flags, 0u);
  EXPECT_EQ(ToHex(raw.body), ToHex(Utf8String("this node is not responsible for prefix '77.1'")));
  raw = Send(CreateMessage("88.999", op_flag::kMint));
  EXPECT_EQ(raw.header.response_code, static_cast<uint32_t>(ResponseCode::kInvalidHandle));
  EXPECT_EQ(ToHex(raw.body), ToHex(Utf8String("handle has no '/' between prefix and suffix")));
  // Without MINT the handle is taken literally, as before.
  raw = Send(CreateMessage("88.999/MINT-", 0));
  EXPECT_EQ(raw.header.op_flags, op_flag::kAuthoritative);
  EXPECT_EQ(ToHex(raw.body), ToHex(Utf8String("88.999/MINT-")));
}

}  // namespace
}  // namespace qilian::ident
