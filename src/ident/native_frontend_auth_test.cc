// NativeFrontend with [auth] native: the 402 challenge, the opcode-200
// answer on another "connection" (same node state), and each refusal.
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "absl/strings/str_cat.h"
#include "ident/auth/challenge_answer.h"
#include "ident/auth/public_key.h"
#include "ident/auth/secret_key.h"
#include "ident/auth/testdata/auth_vectors.h"
#include "ident/authz/authorizer.h"
#include "ident/native_frontend.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "ident/value_codec.h"
#include "ident/wire/client.h"
#include "ident/wire/codec.h"
#include "ident/wire/session.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

constexpr int64_t kNow = 0x6b0b1760;
constexpr std::string_view kSecret = "adminsecret";

Peer Tcp() { return Peer{"127.0.0.1", true, Transport::kTcp}; }

std::span<const uint8_t> Span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

HandleValue Value(uint32_t index, std::string type, std::string data, uint8_t perms = 0x0e) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  v.permissions = perms;
  return v;
}

HandleValue Admin(uint32_t index, uint16_t perms, std::string handle, uint32_t admin_index) {
  return Value(index, "HS_ADMIN",
               EncodeAdminData(AdminRecord{perms, std::move(handle), admin_index}));
}

// A request message of `op` with `body`, at 2.11.
std::string Message(OpCode op, const wire::RequestBody& body, uint32_t request_id,
                    uint32_t session_id = 0, uint32_t op_flags = 0) {
  wire::Envelope env;
  env.session_id = session_id;
  env.request_id = request_id;
  wire::MessageHeader h;
  h.op_code = static_cast<uint32_t>(op);
  h.op_flags = op_flags;
  return wire::EncodeMessage(env, h, wire::EncodeRequestBody(op, body));
}

struct Decoded {
  wire::Envelope env;
  wire::MessageHeader header;
  wire::ResponseBody body;
};

Decoded DecodeReply(const std::string& message) {
  Decoded d;
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(message);
  EXPECT_TRUE(raw.ok()) << raw.status();
  if (!raw.ok()) return d;
  d.env = raw->envelope;
  d.header = raw->header;
  absl::StatusOr<wire::ResponseBody> body =
      wire::DecodeResponseBody(OpCode(d.header.op_code), ResponseCode(d.header.response_code),
                               d.header.op_flags, raw->body);
  EXPECT_TRUE(body.ok()) << body.status();
  if (body.ok()) d.body = *body;
  return d;
}

class NativeAuthTest : public ::testing::Test {
 protected:
  NativeAuthTest()
      : clock_(absl::FromUnixSeconds(kNow)),
        store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        registry_(store_.get(), clock_, RegistryOptions{}) {
    ProcessorOptions options;
    options.site = BuildSiteInfo(SiteOptions{});
    options.access = &authorizer_;
    processor_ = std::make_unique<Processor>(&registry_, &metrics_, options);
    NativeAuthOptions auth;
    auth.registry = &registry_;
    auth.max_pending = 8;
    frontend_ = std::make_unique<NativeFrontend>(processor_.get(), &metrics_, clock_, auth);
    EXPECT_TRUE(registry_
                    .Create("88.999/ADMIN", {Value(300, "HS_SECKEY", std::string(kSecret), 0x0c),
                                             Admin(100, 0x0fff, "88.999/ADMIN", 300)})
                    .ok());
    EXPECT_TRUE(registry_
                    .Create("88.999/OTHER", {Value(300, "HS_SECKEY", "othersecret", 0x0c),
                                             Admin(100, 0x0fff, "88.999/ADMIN", 300)})
                    .ok());
    EXPECT_TRUE(registry_
                    .Create("0.NA/88.999", {Admin(100, 0x0fff, "88.999/ADMIN", 300),
                                            Admin(101, 0x0010, "88.999/OTHER", 300)})
                    .ok());
  }

  Decoded Send(const std::string& message, Peer peer = Tcp()) {
    std::optional<NativeReply> reply = frontend_->Handle(Span(message), peer);
    EXPECT_TRUE(reply.has_value());
    return reply.has_value() ? DecodeReply(reply->message) : Decoded{};
  }

  std::string CreateRequest(const std::string& handle, uint32_t request_id = 7) {
    wire::RequestBody body;
    body.handle = handle;
    body.values = {Value(1, "URL", "https://example.org/x")};
    return Message(OpCode::kCreateHandle, body, request_id);
  }

  // The opcode-200 answer to `challenge` for identity index:handle.
  std::string AnswerMessage(const Decoded& challenge, std::string_view secret,
                            const std::string& key_handle = "88.999/ADMIN",
                            uint32_t key_index = 300, uint32_t request_id = 8) {
    absl::StatusOr<std::string> answer = auth::ComputeSecretKeyAnswer(
        auth::MacAlgorithm::kPbkdf2HmacSha1, secret, challenge.body.nonce,
        challenge.body.digest.digest);
    EXPECT_TRUE(answer.ok()) << answer.status();
    wire::RequestBody body;
    body.auth_type = "HS_SECKEY";
    body.key_handle = key_handle;
    body.key_index = key_index;
    body.answer = answer.ok() ? *answer : "";
    return Message(OpCode::kChallengeResponse, body, request_id, challenge.env.session_id);
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
  authz::Authorizer authorizer_{&registry_, authz::AuthorizerOptions{}};
  MetricsRegistry metrics_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<NativeFrontend> frontend_;
};

TEST_F(NativeAuthTest, CreateIsChallengedThenPerformedAfterTheRightAnswer) {
  std::string request = CreateRequest("88.999/NEW");
  Decoded challenge = Send(request);
  EXPECT_EQ(challenge.header.response_code, 402u);
  EXPECT_EQ(challenge.header.op_code, 100u);
  EXPECT_EQ(challenge.env.request_id, 7u);
  EXPECT_NE(challenge.env.session_id, 0u);
  EXPECT_EQ(challenge.header.op_flags, op_flag::kAuthoritative | op_flag::kReturnDigest);
  EXPECT_EQ(challenge.body.nonce.size(), 20u);
  EXPECT_EQ(challenge.body.digest.algorithm, wire::DigestAlgorithm::kSha256);
  EXPECT_EQ(challenge.body.digest.digest,
            wire::ComputeDigest(wire::DigestAlgorithm::kSha256,
                                request.substr(wire::kEnvelopeSize, request.size() -
                                                                        wire::kEnvelopeSize - 4)));
  EXPECT_FALSE(registry_.Get("88.999/NEW", {}).ok());

  Decoded done = Send(AnswerMessage(challenge, kSecret));
  EXPECT_EQ(done.header.response_code, 1u) << done.body.message;
  EXPECT_EQ(done.header.op_code, 100u);
  EXPECT_EQ(done.env.request_id, 8u);
  EXPECT_EQ(done.env.session_id, 0u);
  EXPECT_EQ(done.body.handle, "88.999/NEW");
  EXPECT_TRUE(registry_.Get("88.999/NEW", {}).ok());

  // The same answer again: its nonce is used.
  Decoded replay = Send(AnswerMessage(challenge, kSecret));
  EXPECT_EQ(replay.header.response_code, 403u);
  EXPECT_EQ(replay.body.message, "challenge nonce already used");
}

// Answered challenges leave the pending table at once: far more than
// max_pending (8 here) writes can be authenticated within one challenge
// lifetime, and each answer still works once only.
TEST_F(NativeAuthTest, AnsweredChallengesDoNotFillThePendingTable) {
  for (int i = 0; i < 40; ++i) {
    const std::string handle = absl::StrCat("88.999/MANY-", i);
    Decoded challenge = Send(CreateRequest(handle));
    ASSERT_EQ(challenge.header.response_code, 402u) << i << " " << challenge.body.message;
    Decoded done = Send(AnswerMessage(challenge, kSecret));
    ASSERT_EQ(done.header.response_code, 1u) << i << " " << done.body.message;
    Decoded replay = Send(AnswerMessage(challenge, kSecret));
    EXPECT_EQ(replay.body.message, "challenge nonce already used");
  }
  // Unanswered ones are still bounded.
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(Send(CreateRequest(absl::StrCat("88.999/OPEN-", i))).header.response_code, 402u);
  }
  Decoded busy = Send(CreateRequest("88.999/OPEN-9"));
  EXPECT_EQ(busy.header.response_code, 3u);
  EXPECT_EQ(busy.body.message, "too many pending challenges");
}

TEST_F(NativeAuthTest, AuthenticatedWriteFromAnotherHostPassesTheLoopbackRule) {
  Peer remote{"192.0.2.7", false, Transport::kTcp};
  Decoded challenge = Send(CreateRequest("88.999/REMOTE"), remote);
  ASSERT_EQ(challenge.header.response_code, 402u);
  Decoded done = Send(AnswerMessage(challenge, kSecret), remote);
  EXPECT_EQ(done.header.response_code, 1u) << done.body.message;
}

TEST_F(NativeAuthTest, WrongSecretIs403AndClosesTheChallenge) {
  Decoded challenge = Send(CreateRequest("88.999/NEW"));
  ASSERT_EQ(challenge.header.response_code, 402u);
  Decoded wrong = Send(AnswerMessage(challenge, "guess"));
  EXPECT_EQ(wrong.header.response_code, 403u);
  EXPECT_EQ(wrong.header.op_code, 200u);
  EXPECT_EQ(wrong.body.message, "secret key answer does not match");
  Decoded right = Send(AnswerMessage(challenge, kSecret));
  EXPECT_EQ(right.header.response_code, 403u);
  EXPECT_EQ(right.body.message, absl::StrCat("challenge for session ", challenge.env.session_id,
                                             " was already answered wrongly"));
  EXPECT_FALSE(registry_.Get("88.999/NEW", {}).ok());
}

TEST_F(NativeAuthTest, UnknownIdentityIs403) {
  Decoded challenge = Send(CreateRequest("88.999/NEW"));
  Decoded r = Send(AnswerMessage(challenge, kSecret, "88.999/NOBODY", 300));
  EXPECT_EQ(r.header.response_code, 403u);
  EXPECT_EQ(r.body.message,
            "cannot authenticate 300:88.999/NOBODY: no HS_SECKEY value at that index");
  challenge = Send(CreateRequest("88.999/NEW"));
  r = Send(AnswerMessage(challenge, kSecret, "88.999/ADMIN", 301));
  EXPECT_EQ(r.header.response_code, 403u);
  EXPECT_EQ(r.body.message,
            "cannot authenticate 301:88.999/ADMIN: no HS_SECKEY value at that index");
}

TEST_F(NativeAuthTest, UnknownTypesAndMalformedAnswersAre404) {
  Decoded challenge = Send(CreateRequest("88.999/NEW"));
  wire::RequestBody body;
  body.auth_type = "HS_CERT";
  body.key_handle = "88.999/ADMIN";
  body.key_index = 300;
  body.answer = "sig";
  Decoded r = Send(Message(OpCode::kChallengeResponse, body, 9, challenge.env.session_id));
  EXPECT_EQ(r.header.response_code, 404u);
  EXPECT_EQ(r.body.message, "only HS_SECKEY and HS_PUBKEY answers are supported, not 'HS_CERT'");
  body.auth_type = "HS_SECKEY";
  body.answer = std::string("\x23", 1);
  r = Send(Message(OpCode::kChallengeResponse, body, 9, challenge.env.session_id));
  EXPECT_EQ(r.header.response_code, 404u);
  EXPECT_EQ(r.body.message, "unknown secret key algorithm 0x23");
  EXPECT_FALSE(registry_.Get("88.999/NEW", {}).ok());
}

// HS_PUBKEY answers for each key type: a signature over nonce | digest by
// the key whose public half is stored at 301:88.999/ADMIN.
TEST_F(NativeAuthTest, PublicKeyAnswersForEveryKeyType) {
  ASSERT_TRUE(registry_.AddValues("0.NA/88.999", {Admin(102, 0x0fff, "88.999/ADMIN", 301)}).ok());
  int n = 0;
  for (auth::KeyType type : {auth::KeyType::kRsa, auth::KeyType::kEd25519, auth::KeyType::kSm2}) {
    SCOPED_TRACE(static_cast<int>(type));
    absl::StatusOr<auth::PrivateKey> key = auth::PrivateKey::Generate(type);
    ASSERT_TRUE(key.ok()) << key.status();
    HandleValue pub = Value(301, "HS_PUBKEY", key->Public().Encode(), 0x0e);
    if (n == 0) {
      ASSERT_TRUE(registry_.AddValues("88.999/ADMIN", {pub}).ok());
    } else {
      ASSERT_TRUE(registry_.ModifyValues("88.999/ADMIN", {pub}).ok());
    }
    const std::string handle = absl::StrCat("88.999/KEYED", n++);
    Decoded challenge = Send(CreateRequest(handle));
    ASSERT_EQ(challenge.header.response_code, 402u);
    absl::StatusOr<std::string> answer =
        auth::ComputePublicKeyAnswer(*key, challenge.body.nonce, challenge.body.digest.digest);
    ASSERT_TRUE(answer.ok()) << answer.status();
    wire::RequestBody body;
    body.auth_type = "HS_PUBKEY";
    body.key_handle = "88.999/ADMIN";
    body.key_index = 301;
    body.answer = *answer;
    Decoded r = Send(Message(OpCode::kChallengeResponse, body, 9, challenge.env.session_id));
    EXPECT_EQ(r.header.response_code, 1u) << r.body.message;
    EXPECT_TRUE(registry_.Get(handle, {}).ok());
    // The same signature for another challenge does not verify.
    Decoded other = Send(CreateRequest(handle + "X"));
    r = Send(Message(OpCode::kChallengeResponse, body, 10, other.env.session_id));
    EXPECT_EQ(r.header.response_code, 403u);
    EXPECT_EQ(r.body.message, "signature does not verify");
    EXPECT_FALSE(registry_.Get(handle + "X", {}).ok());
  }
}

TEST_F(NativeAuthTest, IdentityWithoutThePermissionIs401) {
  Decoded challenge = Send(CreateRequest("88.999/NEW"));
  Decoded r = Send(AnswerMessage(challenge, "othersecret", "88.999/OTHER", 300));
  EXPECT_EQ(r.header.response_code, 401u);
  EXPECT_EQ(r.body.message,
            "no HS_ADMIN naming 300:88.999/OTHER grants add handle on 88.999/NEW");
  EXPECT_FALSE(registry_.Get("88.999/NEW", {}).ok());
}

TEST_F(NativeAuthTest, UnknownAndExpiredSessionsAre405) {
  Decoded challenge = Send(CreateRequest("88.999/NEW"));
  Decoded bogus = challenge;
  bogus.env.session_id ^= 1;
  Decoded r = Send(AnswerMessage(bogus, kSecret));
  EXPECT_EQ(r.header.response_code, 405u);
  EXPECT_EQ(r.body.message,
            absl::StrCat("no pending challenge for session ", bogus.env.session_id));
  clock_.Advance(absl::Seconds(30));
  r = Send(AnswerMessage(challenge, kSecret));
  EXPECT_EQ(r.header.response_code, 405u);
  EXPECT_FALSE(registry_.Get("88.999/NEW", {}).ok());
}

TEST_F(NativeAuthTest, PendingChallengesAreBounded) {
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(Send(CreateRequest("88.999/NEW")).header.response_code, 402u);
  }
  Decoded busy = Send(CreateRequest("88.999/NEW"));
  EXPECT_EQ(busy.header.response_code, 3u);
  EXPECT_EQ(busy.body.message, "too many pending challenges");
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(Send(CreateRequest("88.999/NEW")).header.response_code, 402u);
}

TEST_F(NativeAuthTest, EveryAdminOpcodeIsChallengedButReadsAreNot) {
  wire::RequestBody body;
  body.handle = "88.999/ADMIN";
  body.indexes = {100};
  for (OpCode op : {OpCode::kDeleteHandle, OpCode::kAddValue, OpCode::kRemoveValue,
                    OpCode::kModifyValue}) {
    EXPECT_EQ(Send(Message(op, body, 1)).header.response_code, 402u);
  }
  wire::RequestBody list;
  list.handle = "0.NA/88.999";
  EXPECT_EQ(Send(Message(OpCode::kListHandles, list, 1)).header.response_code, 402u);
  // A resolution is challenged only when it would hide values: public
  // values only (PO) are answered at once, without the secret.
  wire::RequestBody resolve;
  resolve.handle = "88.999/ADMIN";
  Decoded r = Send(Message(OpCode::kResolution, resolve, 1, 0, op_flag::kPublicOnly));
  EXPECT_EQ(r.header.response_code, 1u);
  EXPECT_EQ(r.body.values.size(), 1u);
  wire::RequestBody public_filter = resolve;
  public_filter.types = {"HS_ADMIN"};
  EXPECT_EQ(Send(Message(OpCode::kResolution, public_filter, 1)).header.response_code, 1u);
  // Without PO the restricted value makes it an authorized read: challenged,
  // and answered in full to an administrator with read permission.
  Decoded challenge = Send(Message(OpCode::kResolution, resolve, 1));
  EXPECT_EQ(challenge.header.response_code, 402u);
  r = Send(AnswerMessage(challenge, kSecret));
  EXPECT_EQ(r.header.response_code, 1u) << r.body.message;
  EXPECT_EQ(r.body.values.size(), 2u);
  // Writes over UDP keep their refusal (4), with no challenge.
  Decoded udp = Send(CreateRequest("88.999/NEW"), Peer{"127.0.0.1", true, Transport::kUdp});
  EXPECT_EQ(udp.header.response_code, 4u);
}

TEST_F(NativeAuthTest, ListAndAdminValueChangesAreAuthorized) {
  wire::RequestBody list;
  list.handle = "0.NA/88.999";
  Decoded challenge = Send(Message(OpCode::kListHandles, list, 1));
  Decoded r = Send(AnswerMessage(challenge, kSecret));
  EXPECT_EQ(r.header.response_code, 1u) << r.body.message;
  EXPECT_EQ(r.header.op_code, 105u);
  EXPECT_EQ(r.body.handles.size(), 2u);

  // OTHER holds only modify value on 0.NA/88.999's children: adding an
  // HS_ADMIN value needs add admin.
  wire::RequestBody add;
  add.handle = "88.999/ADMIN";
  add.values = {Admin(102, 0x0fff, "88.999/OTHER", 300)};
  challenge = Send(Message(OpCode::kAddValue, add, 1));
  r = Send(AnswerMessage(challenge, "othersecret", "88.999/OTHER", 300));
  EXPECT_EQ(r.header.response_code, 400u);
  EXPECT_EQ(r.body.message, "300:88.999/OTHER is not an administrator of 88.999/ADMIN");
  challenge = Send(Message(OpCode::kAddValue, add, 1));
  r = Send(AnswerMessage(challenge, kSecret));
  EXPECT_EQ(r.header.response_code, 1u) << r.body.message;
}

// The recorded Handle.Net 9.3.1 exchange (create-tcp-v2.11-pbkdf2): with the
// recorded nonce and session id, the recorded answer is accepted and the
// handle created.
TEST(NativeAuthRecordedTest, RecordedPbkdf2AnswerCreatesTheHandle) {
  using auth::testdata::VectorBytes;
  const std::string request = VectorBytes("create-tcp-v2.11-pbkdf2", 0);
  const std::string recorded_challenge = VectorBytes("create-tcp-v2.11-pbkdf2", 1);
  const std::string answer = VectorBytes("create-tcp-v2.11-pbkdf2", 2);
  ASSERT_FALSE(answer.empty());
  Decoded recorded = DecodeReply(recorded_challenge);

  FakeClock clock(absl::FromUnixSeconds(kNow));
  auto store = store::NewMemoryStore({{std::string(Registry::kSpace)}});
  Registry registry(store.get(), clock, RegistryOptions{});
  ASSERT_TRUE(registry
                  .Create("88.999/ADMIN", {Value(300, "HS_SECKEY", std::string(kSecret), 0x0c)})
                  .ok());
  ASSERT_TRUE(registry.Create("0.NA/88.999", {Admin(100, 0x0fff, "88.999/ADMIN", 300)}).ok());
  MetricsRegistry metrics;
  authz::Authorizer authorizer(&registry, authz::AuthorizerOptions{});
  ProcessorOptions options;
  options.site = BuildSiteInfo(SiteOptions{});
  options.access = &authorizer;
  Processor processor(&registry, &metrics, options);
  NativeAuthOptions auth;
  auth.registry = &registry;
  auth.make_nonce = [&] { return recorded.body.nonce; };
  auth.make_session_id = [&] { return recorded.env.session_id; };
  NativeFrontend frontend(&processor, &metrics, clock, auth);

  std::optional<NativeReply> reply = frontend.Handle(Span(request), Tcp());
  ASSERT_TRUE(reply.has_value());
  Decoded challenge = DecodeReply(reply->message);
  EXPECT_EQ(challenge.header.response_code, 402u);
  EXPECT_EQ(challenge.env.session_id, 4u);
  EXPECT_EQ(challenge.body.digest, recorded.body.digest);
  EXPECT_EQ(challenge.body.nonce, recorded.body.nonce);

  reply = frontend.Handle(Span(answer), Tcp());
  ASSERT_TRUE(reply.has_value());
  Decoded done = DecodeReply(reply->message);
  EXPECT_EQ(done.header.response_code, 1u) << done.body.message;
  EXPECT_EQ(done.header.op_code, 100u);
  EXPECT_EQ(done.env.request_id, 1159720824u);
  EXPECT_EQ(done.body.handle, "88.999/VEC-C211");
  EXPECT_TRUE(registry.Get("88.999/VEC-C211", {}).ok());
}


// --- Sessions (opcode 400/401) and IDIS login (2001) ---

// RFC 2409's 1024-bit MODP group (Oakley group 2), generator 2: a group of
// the size hdllib's default DH key pair has.
std::string Oakley2Prime() {
  static const char kHex[] =
      "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
      "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
      "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";
  std::string out;
  for (size_t i = 0; i + 1 < sizeof(kHex); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(kHex + i, 2), nullptr, 16)));
  }
  return out;
}

// A client side of one session: its id and key.
struct ClientSession {
  uint32_t id = 0;
  std::string key;
};

std::string SetupMessage(const std::string& client_key_record, uint32_t request_id,
                         uint32_t timeout = 0, uint8_t minor = 11,
                         uint16_t mode = wire::kKeyExchangeDh,
                         std::string identity = "88.999/ADMIN", bool padded = true) {
  wire::SessionSetup setup;
  setup.mode = mode;
  setup.timeout = timeout;
  setup.identity_handle = std::move(identity);
  setup.identity_index = 300;
  setup.public_key = client_key_record;
  setup.padded = padded;
  wire::Envelope env;
  env.minor_version = minor;
  env.request_id = request_id;
  wire::MessageHeader h;
  h.op_code = static_cast<uint32_t>(OpCode::kSessionSetup);
  h.op_flags = op_flag::kReturnDigest;
  return wire::EncodeMessage(env, h, wire::EncodeRequestBody(OpCode::kSessionSetup,
                                                             wire::EncodeSessionSetup(setup)));
}

// A session message of `op`, MACed with the session key and `counter`.
std::string SessionMessage(OpCode op, const wire::RequestBody& body, uint32_t request_id,
                           const ClientSession& s, uint32_t counter, uint32_t op_flags = 0) {
  wire::Envelope env;
  env.flags = wire::kOwnVersionFlag;
  env.session_id = s.id;
  env.request_id = request_id;
  wire::MessageHeader h;
  h.op_code = static_cast<uint32_t>(op);
  h.op_flags = op_flags;
  std::string unsigned_message = wire::EncodeMessage(env, h, wire::EncodeRequestBody(op, body));
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(unsigned_message);
  EXPECT_TRUE(raw.ok());
  std::string mac = wire::ComputeSessionMac(s.key, env, counter, raw->header_and_body);
  return wire::EncodeMessage(env, h, wire::EncodeRequestBody(op, body),
                             wire::EncodeSessionCredential(counter, mac));
}

wire::RequestBody CreateBody(const std::string& handle) {
  wire::RequestBody body;
  body.handle = handle;
  body.values = {Value(1, "URL", "https://example.org/x")};
  return body;
}

class NativeSessionTest : public NativeAuthTest {
 protected:
  // Sets up a session as hdllib does (a DH key in its group, or X25519):
  // the 400 is answered at once with the node's half.
  ClientSession Setup(uint32_t timeout = 0, bool x25519 = false, bool padded = true) {
    absl::StatusOr<wire::ExchangeKey> ours =
        x25519 ? wire::ExchangeKey::NewX25519() : wire::ExchangeKey::NewDh(Oakley2Prime(), "\x02");
    EXPECT_TRUE(ours.ok()) << ours.status();
    if (!ours.ok()) return {};
    Decoded setup = Send(SetupMessage(ours->Record(), 11, timeout, 11, wire::kKeyExchangeDh,
                                      "88.999/ADMIN", padded));
    EXPECT_EQ(setup.header.response_code, 1u) << setup.body.message;
    EXPECT_EQ(setup.header.op_code, 400u);
    EXPECT_EQ(setup.body.key_exchange_mode, wire::kKeyExchangeDh);
    absl::StatusOr<wire::SessionSetupReply> reply = wire::DecodeSessionSetupReply(setup.body.raw);
    EXPECT_TRUE(reply.ok()) << reply.status();
    ClientSession s;
    s.id = setup.env.session_id;
    if (!reply.ok()) return s;
    EXPECT_EQ(reply->cipher, wire::kCipherAes);
    EXPECT_EQ(reply->padded, padded);  // the client's form, mirrored
    EXPECT_EQ(wire::KeyRecordType(reply->key_record),
              x25519 ? wire::kX25519KeyType : wire::kDhKeyType);
    absl::StatusOr<std::string> key = ours->SessionKey(reply->key_record, /*we_are_client=*/true);
    EXPECT_TRUE(key.ok()) << key.status();
    s.key = key.ok() ? *key : "";
    return s;
  }

  // Setup, then the first write in the session is challenged and answered
  // by the identity the setup claimed: the session is 300:88.999/ADMIN's.
  ClientSession Open(uint32_t timeout = 0) {
    ClientSession s = Setup(timeout);
    Decoded challenge =
        Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/FIRST"), 20, s, 1));
    EXPECT_EQ(challenge.header.response_code, 402u) << challenge.body.message;
    EXPECT_EQ(challenge.env.session_id, s.id);  // inside the session
    Decoded done = Send(AnswerMessage(challenge, kSecret));
    EXPECT_EQ(done.header.response_code, 1u) << done.body.message;
    EXPECT_EQ(done.header.op_code, 100u);
    EXPECT_EQ(done.env.session_id, s.id);
    EXPECT_TRUE(registry_.Get("88.999/FIRST", {}).ok());
    return s;
  }

  Decoded SendRaw(const std::string& message, std::string* raw_reply, Peer peer = Tcp()) {
    std::optional<NativeReply> reply = frontend_->Handle(Span(message), peer);
    EXPECT_TRUE(reply.has_value());
    if (!reply.has_value()) return Decoded{};
    *raw_reply = reply->message;
    return DecodeReply(reply->message);
  }
};

TEST_F(NativeSessionTest, DhAndX25519SetupsAgreeOnTheKeyWithOrWithoutTheTwoOctets) {
  for (bool x25519 : {false, true}) {
    for (bool padded : {true, false}) {
      ClientSession s = Setup(0, x25519, padded);
      ASSERT_NE(s.id, 0u);
      ASSERT_EQ(s.key.size(), 32u);
      // The key is right iff the MAC checks out: an unproven session's
      // write is challenged (not refused as a bad MAC).
      Decoded challenge = Send(SessionMessage(
          OpCode::kCreateHandle, CreateBody(absl::StrCat("88.999/K", x25519, padded)), 21, s, 1));
      EXPECT_EQ(challenge.header.response_code, 402u) << challenge.body.message;
    }
  }
}

// Modes 1 and 3: the node makes the key and sends it RSA-encrypted to the
// client's key (in the setup, or an HS_PUBKEY value it names).
TEST_F(NativeSessionTest, RsaModesSendTheNodesKeyEncryptedToTheClientsKey) {
  static const auth::PrivateKey* client = [] {
    auto k = auth::PrivateKey::Generate(auth::KeyType::kRsa, 2048);
    EXPECT_TRUE(k.ok());
    return new auth::PrivateKey(*std::move(k));
  }();
  ASSERT_TRUE(registry_
                  .AddValues("88.999/ADMIN",
                             {Value(301, "HS_PUBKEY", client->Public().Encode(), 0x0e)})
                  .ok());
  for (uint16_t mode : {wire::kKeyExchangeCipherClient, wire::kKeyExchangeCipherHdl}) {
    SCOPED_TRACE(mode);
    wire::SessionSetup setup;
    setup.mode = mode;
    setup.identity_handle = "88.999/ADMIN";
    setup.identity_index = 300;
    if (mode == wire::kKeyExchangeCipherClient) {
      setup.public_key = client->Public().Encode();
    } else {
      setup.exchange_key_handle = "88.999/ADMIN";
      setup.exchange_key_index = 301;
    }
    Decoded reply = Send(Message(OpCode::kSessionSetup, wire::EncodeSessionSetup(setup), 60));
    ASSERT_EQ(reply.header.response_code, 1u) << reply.body.message;
    EXPECT_EQ(reply.body.key_exchange_mode, mode);
    bool padded = false;
    absl::StatusOr<std::string> data = wire::DecodeSetupReplyData(reply.body.raw, &padded);
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_TRUE(padded);
    absl::StatusOr<std::string> payload = client->Decrypt(*data);
    ASSERT_TRUE(payload.ok()) << payload.status();
    uint32_t cipher = 0;
    absl::StatusOr<std::string> key = wire::DecodeSessionKeyPayload(*payload, &cipher);
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(cipher, wire::kCipherAes);
    ClientSession s{reply.env.session_id, *key};
    ASSERT_EQ(s.key.size(), 32u);
    Decoded challenge = Send(SessionMessage(
        OpCode::kCreateHandle, CreateBody(absl::StrCat("88.999/RSA", mode)), 61, s, 1));
    EXPECT_EQ(challenge.header.response_code, 402u) << challenge.body.message;
    EXPECT_EQ(challenge.env.session_id, s.id);
  }
}

TEST_F(NativeSessionTest, MessagesInAnAuthenticatedSessionArePerformedWithoutAChallenge) {
  ClientSession s = Open();
  std::string raw_reply;
  Decoded done =
      SendRaw(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/S1"), 21, s, 2), &raw_reply);
  EXPECT_EQ(done.header.response_code, 1u) << done.body.message;
  EXPECT_EQ(done.header.op_code, 100u);
  EXPECT_EQ(done.env.session_id, s.id);
  EXPECT_EQ(done.env.request_id, 21u);
  EXPECT_TRUE(registry_.Get("88.999/S1", {}).ok());
  // Without CT the reply carries no MAC (as deployed servers answer).
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(raw_reply);
  ASSERT_TRUE(raw.ok());
  EXPECT_TRUE(raw->credential.empty());

  // With CT it is MACed with the node's own counter, from 1.
  for (uint32_t n : {1u, 2u}) {
    Decoded certified = SendRaw(
        SessionMessage(OpCode::kCreateHandle, CreateBody(absl::StrCat("88.999/C", n)), 30 + n, s,
                       10 + n, op_flag::kCertified),
        &raw_reply);
    EXPECT_EQ(certified.header.response_code, 1u) << certified.body.message;
    raw = wire::DecodeMessage(raw_reply);
    ASSERT_TRUE(raw.ok());
    absl::StatusOr<wire::Credential> credential = wire::DecodeCredential(raw->credential);
    ASSERT_TRUE(credential.ok()) << credential.status();
    EXPECT_EQ(credential->type, "HS_MAC");
    EXPECT_EQ(credential->digest_algorithm, "HMAC-SHA256");
    EXPECT_EQ(credential->signer_index, n);
    EXPECT_TRUE(wire::VerifySessionMac(s.key, raw->envelope, n, raw->header_and_body,
                                       credential->signed_data));
  }

  // Counters may come out of order (pipelining), each once.
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/S3"), 23, s, 4))
                .header.response_code,
            1u);
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/S2"), 22, s, 3))
                .header.response_code,
            1u);
  EXPECT_TRUE(registry_.Get("88.999/S2", {}).ok());
}

TEST_F(NativeSessionTest, AnotherIdentitysAnswerPerformsOneRequestButDoesNotTakeTheSession) {
  ClientSession s = Setup();
  Decoded challenge =
      Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/O1"), 21, s, 1));
  ASSERT_EQ(challenge.header.response_code, 402u);
  Decoded other = Send(AnswerMessage(challenge, "othersecret", "88.999/OTHER"));
  // 88.999/OTHER may not create under 88.999 (its HS_ADMIN grants less).
  EXPECT_EQ(other.header.response_code, 401u) << other.body.message;
  // The session is still unproven: the next write is challenged again.
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/O2"), 22, s, 2))
                .header.response_code,
            402u);
}

TEST_F(NativeSessionTest, TamperedMacOrBodyIs502) {
  ClientSession s = Open();
  std::string message = SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/T1"), 21, s, 2);
  std::string bad_mac = message;
  bad_mac.back() ^= 0x01;  // the last octet of the MAC
  Decoded refused = Send(bad_mac);
  EXPECT_EQ(refused.header.response_code, 502u);
  EXPECT_EQ(refused.body.message,
            absl::StrCat("session ", s.id, ": the message MAC does not verify"));
  // A changed body under the original MAC.
  std::string bad_body = message;
  size_t at = bad_body.find("88.999/T1");
  ASSERT_NE(at, std::string::npos);
  bad_body[at + 8] = '2';
  EXPECT_EQ(Send(bad_body).header.response_code, 502u);
  // A key that is not the session's.
  ClientSession wrong = s;
  wrong.key[0] ^= 0x01;
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/T1"), 21, wrong, 2))
                .header.response_code,
            502u);
  EXPECT_FALSE(registry_.Get("88.999/T1", {}).ok());
  EXPECT_FALSE(registry_.Get("88.999/T2", {}).ok());
  // The forgeries burned no counter: the real message still goes through.
  EXPECT_EQ(Send(message).header.response_code, 1u);
}

TEST_F(NativeSessionTest, ReplayedMessageIs505) {
  ClientSession s = Open();
  std::string message = SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/R1"), 21, s, 5);
  EXPECT_EQ(Send(message).header.response_code, 1u);
  Decoded replay = Send(message);
  EXPECT_EQ(replay.header.response_code, 505u);
  EXPECT_EQ(replay.body.message,
            absl::StrCat("session ", s.id, ": message counter 5 already used or too old"));
  // Counter 0 is never accepted; one far behind the highest is too old.
  EXPECT_EQ(Send(SessionMessage(OpCode::kDeleteHandle, CreateBody("88.999/R1"), 22, s, 0))
                .header.response_code,
            505u);
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/R2"), 23, s, 5000))
                .header.response_code,
            1u);
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/R3"), 24, s, 6))
                .header.response_code,
            505u);
  // Without a credential, a message in a keyed session is refused.
  Decoded bare = Send(Message(OpCode::kCreateHandle, CreateBody("88.999/R4"), 25, s.id));
  EXPECT_EQ(bare.header.response_code, 505u);
  EXPECT_EQ(bare.body.message,
            absl::StrCat("session ", s.id, ": messages must carry an HS_MAC credential"));
  EXPECT_FALSE(registry_.Get("88.999/R4", {}).ok());
}

TEST_F(NativeSessionTest, TerminateEndsTheSession) {
  ClientSession s = Open();
  Decoded bye = Send(SessionMessage(OpCode::kSessionTerminate, {}, 30, s, 2));
  EXPECT_EQ(bye.header.response_code, 1u) << bye.body.message;
  EXPECT_EQ(bye.header.op_code, 401u);
  Decoded after = Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/X1"), 31, s, 3));
  EXPECT_EQ(after.header.response_code, 500u);
  EXPECT_EQ(after.body.message,
            absl::StrCat("no session ", s.id, " (timed out, ended or never set up)"));
  EXPECT_FALSE(registry_.Get("88.999/X1", {}).ok());
}

TEST_F(NativeSessionTest, IdleSessionTimesOutAndAnUnprovenOneSooner) {
  ClientSession s = Open(/*timeout=*/60);
  clock_.Advance(absl::Seconds(50));
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/I1"), 21, s, 2))
                .header.response_code,
            1u);
  clock_.Advance(absl::Seconds(50));  // 100 s after setup, 50 s idle
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/I2"), 22, s, 3))
                .header.response_code,
            1u);
  clock_.Advance(absl::Seconds(60));
  Decoded late = Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/I3"), 23, s, 4));
  EXPECT_EQ(late.header.response_code, 500u);
  EXPECT_FALSE(registry_.Get("88.999/I3", {}).ok());

  // Unproven, a session lasts only as long as a challenge (30 s).
  ClientSession unproven = Setup(/*timeout=*/3600);
  clock_.Advance(absl::Seconds(31));
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/I4"), 24, unproven, 1))
                .header.response_code,
            500u);
}

TEST_F(NativeSessionTest, EncryptedMessagesAreOpenedAndAnsweredEncrypted) {
  ClientSession s = Open();
  // Seal a MACed create the way hdllib does: everything after the envelope.
  std::string plain = SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/E1"), 50, s, 2,
                                     op_flag::kEncrypted);
  absl::StatusOr<std::string> sealed =
      wire::EncryptSessionPayload(s.key, std::string_view(plain).substr(wire::kEnvelopeSize));
  ASSERT_TRUE(sealed.ok());
  wire::Envelope env;
  ASSERT_TRUE(wire::DecodeEnvelope(Span(plain), &env));
  env.flags |= wire::kFlagEncrypted;
  env.message_length = static_cast<uint32_t>(sealed->size());
  std::string message;
  ByteWriter w(&message);
  wire::EncodeEnvelope(env, &w);
  message += *sealed;
  std::optional<NativeReply> reply = frontend_->Handle(Span(message), Tcp());
  ASSERT_TRUE(reply.has_value());
  wire::Envelope reply_env;
  ASSERT_TRUE(wire::DecodeEnvelope(Span(reply->message), &reply_env));
  EXPECT_TRUE(reply_env.flags & wire::kFlagEncrypted);
  EXPECT_EQ(reply_env.message_length, reply->message.size() - wire::kEnvelopeSize);
  absl::StatusOr<std::string> opened = wire::DecryptSessionPayload(
      s.key, std::string_view(reply->message).substr(wire::kEnvelopeSize));
  ASSERT_TRUE(opened.ok()) << opened.status();
  reply_env.flags &= static_cast<uint16_t>(~wire::kFlagEncrypted);
  reply_env.message_length = static_cast<uint32_t>(opened->size());
  std::string clear;
  ByteWriter cw(&clear);
  wire::EncodeEnvelope(reply_env, &cw);
  clear += *opened;
  Decoded done = DecodeReply(clear);
  EXPECT_EQ(done.header.response_code, 1u) << done.body.message;
  EXPECT_EQ(done.body.handle, "88.999/E1");
  EXPECT_TRUE(registry_.Get("88.999/E1", {}).ok());

  // A message sealed with another key does not open: 501, nothing stored.
  ClientSession wrong = s;
  wrong.key[0] ^= 0x01;
  absl::StatusOr<std::string> bad = wire::EncryptSessionPayload(
      wrong.key, std::string_view(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/E2"),
                                                 51, s, 3))
                     .substr(wire::kEnvelopeSize));
  ASSERT_TRUE(bad.ok());
  env.message_length = static_cast<uint32_t>(bad->size());
  message.clear();
  ByteWriter bw(&message);
  wire::EncodeEnvelope(env, &bw);
  message += *bad;
  Decoded refused = Send(message);
  EXPECT_EQ(refused.header.response_code, 501u);
  EXPECT_EQ(refused.body.message, "encrypted message does not decrypt with the session key");
  EXPECT_FALSE(registry_.Get("88.999/E2", {}).ok());
}

TEST_F(NativeSessionTest, SetupRefusals) {
  absl::StatusOr<wire::ExchangeKey> ours = wire::ExchangeKey::NewDh(Oakley2Prime(), "\x02");
  ASSERT_TRUE(ours.ok());
  const std::string key = ours->Record();
  Decoded old = Send(SetupMessage(key, 1, 0, /*minor=*/6));
  EXPECT_EQ(old.header.response_code, 503u);
  EXPECT_EQ(old.body.message, "sessions need protocol 2.7 or later");
  Decoded mode = Send(SetupMessage(key, 1, 0, 11, wire::kKeyExchangeCipherServer));
  EXPECT_EQ(mode.header.response_code, 501u);
  EXPECT_EQ(mode.body.message,
            "key exchange mode 2 is not supported; use 4 (Diffie-Hellman), 1 or 3 (RSA)");
  // Mode 1 with a key that is not RSA; mode 3 naming no HS_PUBKEY.
  Decoded not_rsa = Send(SetupMessage(key, 1, 0, 11, wire::kKeyExchangeCipherClient));
  EXPECT_EQ(not_rsa.header.response_code, 501u);
  EXPECT_EQ(not_rsa.body.message, "session setup: unknown public key type DH_PUB_KEY");
  wire::SessionSetup by_handle;
  by_handle.mode = wire::kKeyExchangeCipherHdl;
  by_handle.identity_handle = "88.999/ADMIN";
  by_handle.exchange_key_handle = "88.999/ADMIN";
  by_handle.exchange_key_index = 399;
  Decoded no_key = Send(Message(OpCode::kSessionSetup, wire::EncodeSessionSetup(by_handle), 1));
  EXPECT_EQ(no_key.header.response_code, 501u);
  EXPECT_EQ(no_key.body.message, "session setup: no HS_PUBKEY at 399:88.999/ADMIN");
  // A group too small, and a public value that gives the secret away.
  ByteWriter small;
  small.WriteLengthPrefixed("DH_PUB_KEY");
  small.WriteU16(0);
  small.WriteLengthPrefixed("\x05");
  small.WriteLengthPrefixed(std::string(64, '\xff'));
  small.WriteLengthPrefixed("\x02");
  Decoded tiny = Send(SetupMessage(small.Release(), 1));
  EXPECT_EQ(tiny.header.response_code, 501u);
  EXPECT_EQ(tiny.body.message, "session setup: DH group of 512 bits outside 1024..4096");
  ByteWriter one;
  one.WriteLengthPrefixed("DH_PUB_KEY");
  one.WriteU16(0);
  one.WriteLengthPrefixed("\x01");
  one.WriteLengthPrefixed(Oakley2Prime());
  one.WriteLengthPrefixed("\x02");
  Decoded weak = Send(SetupMessage(one.Release(), 1));
  EXPECT_EQ(weak.header.response_code, 501u);
  EXPECT_EQ(weak.body.message, "session setup: DH y outside 2..p-2");
  ByteWriter rsa;
  rsa.WriteLengthPrefixed("RSA_PUB_KEY");
  Decoded other_type = Send(SetupMessage(rsa.Release(), 1));
  EXPECT_EQ(other_type.header.response_code, 501u);
  EXPECT_EQ(other_type.body.message,
            "session setup: key exchange key type 'RSA_PUB_KEY' is not supported (DH_PUB_KEY, "
            "X25519_PUB_KEY)");
  // A low-order X25519 point.
  ByteWriter zero;
  zero.WriteLengthPrefixed("X25519_PUB_KEY");
  zero.WriteU16(0);
  zero.WriteLengthPrefixed(std::string(32, '\0'));
  Decoded low = Send(SetupMessage(zero.Release(), 1));
  EXPECT_EQ(low.header.response_code, 501u);
  EXPECT_EQ(low.body.message,
            "session setup: key agreement failed: the peer's key is not usable");
  // Trailing octets other than the 2 zero octets of padding.
  wire::SessionSetup setup;
  setup.identity_handle = "88.999/ADMIN";
  setup.public_key = key;
  setup.padded = false;
  wire::RequestBody body = wire::EncodeSessionSetup(setup);
  body.raw += std::string("\x00\x07", 2);
  Decoded extra = Send(Message(OpCode::kSessionSetup, body, 1));
  EXPECT_EQ(extra.header.response_code, 4u);
  EXPECT_EQ(extra.body.message, "malformed session setup: 2 octets after the body");
  // A session message for a session that never existed.
  ClientSession ghost{12345, std::string(32, 'k')};
  EXPECT_EQ(Send(SessionMessage(OpCode::kCreateHandle, CreateBody("88.999/G"), 1, ghost, 1))
                .header.response_code,
            500u);
}

TEST_F(NativeSessionTest, IdisLoginAuthenticatesTheSessionForItsClient) {
  wire::RequestBody login;
  login.key_handle = "88.999/ADMIN";
  login.key_index = 300;
  Decoded challenge = Send(Message(OpCode::kIdisLogin, login, 40));
  ASSERT_EQ(challenge.header.response_code, 402u) << challenge.body.message;
  EXPECT_EQ(challenge.header.op_code, 2001u);
  Decoded wrong = Send(AnswerMessage(challenge, "notthesecret"));
  EXPECT_EQ(wrong.header.response_code, 403u);

  challenge = Send(Message(OpCode::kIdisLogin, login, 41));
  ASSERT_EQ(challenge.header.response_code, 402u);
  Decoded done = Send(AnswerMessage(challenge, kSecret));
  EXPECT_EQ(done.header.response_code, 1u) << done.body.message;
  EXPECT_EQ(done.header.op_code, 2001u);
  const uint32_t id = done.env.session_id;
  ASSERT_NE(id, 0u);
  Decoded create = Send(Message(OpCode::kCreateHandle, CreateBody("88.999/L1"), 42, id));
  EXPECT_EQ(create.header.response_code, 1u) << create.body.message;
  EXPECT_EQ(create.env.session_id, id);
  EXPECT_TRUE(registry_.Get("88.999/L1", {}).ok());
  // The session id alone is not enough from elsewhere.
  Decoded stolen = Send(Message(OpCode::kCreateHandle, CreateBody("88.999/L2"), 43, id),
                        Peer{"192.0.2.9", false, Transport::kTcp});
  EXPECT_EQ(stolen.header.response_code, 501u);
  EXPECT_EQ(stolen.body.message, absl::StrCat("session ", id, " belongs to another client"));
  // Nor from another connection of the same host.
  Peer other_connection = Tcp();
  other_connection.connection = 7;
  stolen = Send(Message(OpCode::kCreateHandle, CreateBody("88.999/L2"), 43, id),
                other_connection);
  EXPECT_EQ(stolen.header.response_code, 501u);
  EXPECT_EQ(stolen.body.message, absl::StrCat("session ", id, " belongs to another client"));
  EXPECT_FALSE(registry_.Get("88.999/L2", {}).ok());
  // Logout (401) ends it.
  EXPECT_EQ(Send(Message(OpCode::kSessionTerminate, {}, 44, id)).header.response_code, 1u);
  EXPECT_EQ(Send(Message(OpCode::kCreateHandle, CreateBody("88.999/L3"), 45, id))
                .header.response_code,
            402u);  // no session any more: an ordinary anonymous write
  // Over UDP there is no login.
  EXPECT_EQ(Send(Message(OpCode::kIdisLogin, login, 46), Peer{"127.0.0.1", true, Transport::kUdp})
                .header.response_code,
            501u);
}

}  // namespace
}  // namespace qilian::ident
