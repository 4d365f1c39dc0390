#include "cli/native_write.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "core/clock.h"
#include "gtest/gtest.h"
#include "ident/auth/challenge_answer.h"
#include "ident/auth/public_key.h"
#include "ident/registry.h"
#include "ident/wire/codec.h"
#include "store/memory_store.h"

namespace qilian::cli {
namespace {

using ident::OpCode;
using ident::ResponseCode;
namespace wire = ident::wire;

constexpr char kSecret[] = "adminsecret";
constexpr uint32_t kSession = 77;

std::string Msg(absl::Status s) { return std::string(s.message()); }

// A temporary file holding `text`, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/qilian-native-write-XXXXXX";
    int fd = ::mkstemp(name);
    path_ = name;
    ::close(fd);
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadCredentialsTest, SecretFileDropsOneTrailingNewline) {
  TempFile file("adminsecret\n");
  absl::StatusOr<Credentials> c = LoadCredentials("300:88.999/ADMIN", file.path(), "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->index, 300u);
  EXPECT_EQ(c->handle, "88.999/ADMIN");
  EXPECT_EQ(c->secret, "adminsecret");
  EXPECT_FALSE(c->private_key_pem.has_value());
  EXPECT_EQ(c->identity(), "300:88.999/ADMIN");
  TempFile crlf("two words\r\n");
  EXPECT_EQ(LoadCredentials("1:88.999/A", crlf.path(), "")->secret, "two words");
}

TEST(LoadCredentialsTest, KeyFileMustHoldAKey) {
  absl::StatusOr<ident::auth::PrivateKey> key =
      ident::auth::PrivateKey::Generate(ident::auth::KeyType::kEd25519);
  TempFile pem(*key->ToPem());
  absl::StatusOr<Credentials> c = LoadCredentials("300:88.999/ADMIN", "", pem.path());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->private_key_pem, *key->ToPem());
  TempFile junk("not a key");
  absl::StatusOr<Credentials> bad = LoadCredentials("300:88.999/ADMIN", "", junk.path());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_EQ(Msg(bad.status()),
            "--key-file " + junk.path() + ": no unencrypted PEM private key found");
}

TEST(LoadCredentialsTest, UsageErrors) {
  TempFile file("s");
  struct Case {
    std::string auth, secret, key, message;
  };
  const Case cases[] = {
      {"88.999/ADMIN", file.path(), "",
       "malformed --auth \"88.999/ADMIN\": expected INDEX:HANDLE, e.g. 300:88.999/ADMIN"},
      {"0:88.999/ADMIN", file.path(), "",
       "malformed --auth \"0:88.999/ADMIN\": expected INDEX:HANDLE, e.g. 300:88.999/ADMIN"},
      {"300:", file.path(), "",
       "malformed --auth \"300:\": expected INDEX:HANDLE, e.g. 300:88.999/ADMIN"},
      {"300:88.999/ADMIN", "", "", "--auth needs exactly one of --secret-file and --key-file"},
      {"300:88.999/ADMIN", file.path(), file.path(),
       "--auth needs exactly one of --secret-file and --key-file"},
      {"", file.path(), "", "--secret-file and --key-file need --auth INDEX:HANDLE"},
      {"300:88.999/ADMIN", "/nonexistent/secret", "",
       "cannot read --secret-file /nonexistent/secret"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Credentials> got = LoadCredentials(c.auth, c.secret, c.key);
    EXPECT_TRUE(absl::IsInvalidArgument(got.status())) << c.message;
    EXPECT_EQ(Msg(got.status()), c.message);
  }
  TempFile empty("\n");
  EXPECT_EQ(Msg(LoadCredentials("300:88.999/ADMIN", empty.path(), "").status()),
            "--secret-file " + empty.path() + " is empty");
}

TEST(BasicAuthorizationTest, IndexColonIsPercentEncoded) {
  Credentials c;
  c.index = 300;
  c.handle = "88.999/ADMIN";
  c.secret = "adminsecret";
  EXPECT_EQ(BasicAuthorization(c), "Basic " + absl::Base64Escape("300%3A88.999/ADMIN:adminsecret"));
  EXPECT_EQ(BasicAuthorization(c), "Basic MzAwJTNBODguOTk5L0FETUlOOmFkbWluc2VjcmV0");
}

// Plays a node with [auth] native on: challenges every write, verifies the
// answer with the server's own VerifyChallengeAnswer, and records what it
// saw.
class FakeNode : public MessageExchanger {
 public:
  FakeNode()
      : store_(store::NewMemoryStore({{std::string(ident::Registry::kSpace)}})),
        registry_(store_.get(), clock_, ident::RegistryOptions{}) {}

  ident::Registry& registry() { return registry_; }

  absl::StatusOr<std::string> Exchange(std::string_view message) override {
    ++exchanges;
    absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(message);
    if (!raw.ok()) return raw.status();
    const auto op = static_cast<OpCode>(raw->header.op_code);
    if (op != OpCode::kChallengeResponse) {
      pending_op_ = op;
      pending_request_ = *wire::DecodeRequestBody(op, raw->body);
      wire::ResponseBody body;
      body.digest.algorithm = wire::DigestAlgorithm::kSha256;
      body.digest.digest = wire::ComputeDigest(wire::DigestAlgorithm::kSha256, raw->header_and_body);
      if (corrupt_digest) body.digest.digest[0] ^= 1;
      body.nonce = nonce_;
      wire::Envelope env = raw->envelope;
      env.session_id = kSession;
      if (wrong_request_id) env.request_id += 1;
      return Reply(env, op, ResponseCode::kAuthenticationNeeded,
                   ident::op_flag::kAuthoritative | ident::op_flag::kReturnDigest, body);
    }
    answer_session = raw->envelope.session_id;
    absl::StatusOr<wire::RequestBody> answer = wire::DecodeRequestBody(op, raw->body);
    if (!answer.ok()) return answer.status();
    auth_type = answer->auth_type;
    absl::Status verified = ident::auth::VerifyChallengeAnswer(
        registry_, answer->auth_type, answer->key_handle, answer->key_index, nonce_,
        wire::ComputeDigest(wire::DigestAlgorithm::kSha256, pending_header_and_body_or_empty()),
        answer->answer);
    wire::ResponseBody body;
    ResponseCode code = ResponseCode::kSuccess;
    if (!verified.ok()) {
      code = ident::ResponseCodeOf(verified);
      body.message = std::string(verified.message());
    }
    return Reply(raw->envelope, pending_op_, code, ident::op_flag::kAuthoritative, body);
  }

  int exchanges = 0;
  bool corrupt_digest = false;
  bool wrong_request_id = false;
  uint32_t answer_session = 0;
  std::string auth_type;
  wire::RequestBody pending_request_;

  // The request digest is recomputed from what the client sent first.
  void RememberRequest(std::string request) { first_request_ = std::move(request); }

 private:
  std::string pending_header_and_body_or_empty() {
    absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(first_request_);
    return raw.ok() ? std::string(raw->header_and_body) : std::string();
  }

  static std::string Reply(wire::Envelope env, OpCode op, ResponseCode code, uint32_t flags,
                           const wire::ResponseBody& body) {
    wire::MessageHeader header;
    header.op_code = static_cast<uint32_t>(op);
    header.response_code = static_cast<uint32_t>(code);
    header.op_flags = flags;
    return wire::EncodeMessage(env, header, wire::EncodeResponseBody(op, code, flags, body));
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  ident::Registry registry_;
  OpCode pending_op_ = OpCode::kReserved;
  std::string nonce_ = "twenty-octet-nonce!!";
  std::string first_request_;
};

// Records the first message it forwards, so the fake node can recompute
// the request digest independently of the client.
class Recording : public MessageExchanger {
 public:
  explicit Recording(FakeNode* node) : node_(node) {}
  absl::StatusOr<std::string> Exchange(std::string_view message) override {
    if (node_->exchanges == 0) node_->RememberRequest(std::string(message));
    return node_->Exchange(message);
  }

 private:
  FakeNode* node_;
};

ident::HandleValue Value(uint32_t index, std::string type, std::string data) {
  ident::HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  v.permissions = 0x0c;
  return v;
}

class NativeWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = std::make_unique<ident::auth::PrivateKey>(
        *ident::auth::PrivateKey::Generate(ident::auth::KeyType::kEd25519));
    ASSERT_TRUE(node_.registry()
                    .Create("88.999/ADMIN", {Value(300, "HS_SECKEY", kSecret),
                                             Value(301, "HS_PUBKEY", key_->Public().Encode())})
                    .ok());
    write_.op = OpCode::kCreateHandle;
    write_.op_flags = ident::op_flag::kOverwrite;
    write_.handle = "88.999/pump-1";
    write_.values = {Value(1, "URL", "https://example.com/pump-1")};
  }

  absl::StatusOr<WriteResult> Perform(const std::optional<Credentials>& credentials) {
    Recording recording(&node_);
    return PerformNativeWrite(recording, write_, credentials, [this] { return next_id_++; });
  }

  Credentials Secret(std::string secret) {
    Credentials c;
    c.index = 300;
    c.handle = "88.999/ADMIN";
    c.secret = std::move(secret);
    return c;
  }

  FakeNode node_;
  std::unique_ptr<ident::auth::PrivateKey> key_;
  NativeWrite write_;
  uint32_t next_id_ = 1000;
};

TEST_F(NativeWriteTest, SecretAnswerInTheChallengesSession) {
  absl::StatusOr<WriteResult> result = Perform(Secret(kSecret));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->code, ResponseCode::kSuccess) << result->message;
  EXPECT_EQ(node_.exchanges, 2);
  EXPECT_EQ(node_.answer_session, kSession);
  EXPECT_EQ(node_.auth_type, "HS_SECKEY");
  // The request the node saw is the write as given.
  EXPECT_EQ(node_.pending_request_.handle, "88.999/pump-1");
  ASSERT_EQ(node_.pending_request_.values.size(), 1u);
  EXPECT_EQ(node_.pending_request_.values[0].data, "https://example.com/pump-1");
}

TEST_F(NativeWriteTest, KeyAnswerIsASignature) {
  Credentials c;
  c.index = 301;
  c.handle = "88.999/ADMIN";
  c.private_key_pem = *key_->ToPem();
  absl::StatusOr<WriteResult> result = Perform(c);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->code, ResponseCode::kSuccess) << result->message;
  EXPECT_EQ(node_.auth_type, "HS_PUBKEY");
}

TEST_F(NativeWriteTest, WrongSecretIsTheServersRefusal) {
  absl::StatusOr<WriteResult> result = Perform(Secret("wrong"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->code, ResponseCode::kAuthenticationFailed);
  EXPECT_EQ(result->message, "secret key answer does not match");
}

TEST_F(NativeWriteTest, NoCredentialsReturnsTheChallengeWithAHint) {
  absl::StatusOr<WriteResult> result = Perform(std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->code, ResponseCode::kAuthenticationNeeded);
  EXPECT_EQ(result->message,
            "the server asks for authentication: give --auth INDEX:HANDLE with --secret-file or "
            "--key-file");
  EXPECT_EQ(node_.exchanges, 1);
}

TEST_F(NativeWriteTest, RefusesToSignADigestOfAnotherRequest) {
  node_.corrupt_digest = true;
  absl::StatusOr<WriteResult> result = Perform(Secret(kSecret));
  EXPECT_TRUE(absl::IsUnavailable(result.status()));
  EXPECT_EQ(Msg(result.status()),
            "the challenge's request digest is not the digest of this request; not answering it");
  EXPECT_EQ(node_.exchanges, 1);
}

TEST_F(NativeWriteTest, ChallengeForAnotherRequestIdIsRefused) {
  node_.wrong_request_id = true;
  absl::StatusOr<WriteResult> result = Perform(Secret(kSecret));
  EXPECT_TRUE(absl::IsUnavailable(result.status()));
  EXPECT_EQ(Msg(result.status()), "challenge answers another request (id 1001)");
}

TEST(EncodeWriteRequestTest, RemoveValueCarriesIndexes) {
  NativeWrite write;
  write.op = OpCode::kRemoveValue;
  write.handle = "88.999/pump-1";
  write.indexes = {2, 7};
  std::string message = EncodeWriteRequest(write, 42);
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(message);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->envelope.request_id, 42u);
  EXPECT_EQ(raw->envelope.session_id, 0u);
  EXPECT_EQ(raw->header.op_code, 103u);
  absl::StatusOr<wire::RequestBody> body = wire::DecodeRequestBody(OpCode::kRemoveValue, raw->body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->handle, "88.999/pump-1");
  EXPECT_EQ(body->indexes, (std::vector<uint32_t>{2, 7}));
}

}  // namespace
}  // namespace qilian::cli
