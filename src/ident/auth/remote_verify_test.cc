#include "ident/auth/remote_verify.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/test_util.h"
#include "ident/auth/public_key.h"
#include "ident/auth/secret_key.h"
#include "ident/operation.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "ident/site_info.h"
#include "ident/wire/codec.h"
#include "store/memory_store.h"

namespace qilian::ident::auth {
namespace {

using test::Value;
using test::ExpectCode;

constexpr char kNonce[] = "0123456789abcdef";                       // 16 octets, as deployed
constexpr char kDigest[] = "stands-in-for-a-SHA-256-digest!!";  // 32 octets
constexpr char kSecret[] = "home-secret";



std::string Answer(std::string_view secret, MacAlgorithm algorithm = MacAlgorithm::kHmacSha256) {
  return *ComputeSecretKeyAnswer(algorithm, secret, kNonce, kDigest);
}

// The home node's registry: it serves 88.111, where 88.111/ADMIN holds a
// secret at 300 (and another at 301), and 0.NA/88.111 one at 300.
class HomeRegistry {
 public:
  HomeRegistry()
      : store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        registry_(store_.get(), clock_, Options()) {
    EXPECT_TRUE(registry_
                    .Create("88.111/ADMIN", {Value(100, "URL", "https://example.com/"),
                                             Value(300, "HS_SECKEY", kSecret),
                                             Value(301, "HS_SECKEY", "second-secret")})
                    .ok());
    EXPECT_TRUE(registry_.Create("0.NA/88.111", {Value(300, "HS_SECKEY", "prefix-secret")}).ok());
  }
  const Registry& registry() const { return registry_; }

 private:
  static RegistryOptions Options() {
    RegistryOptions options;
    options.authoritative_prefixes = {"88.111"};
    return options;
  }
  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
};

wire::RequestBody Request(std::string handle, uint32_t index, std::string answer) {
  wire::RequestBody body;
  body.key_handle = std::move(handle);
  body.key_index = index;
  body.nonce = kNonce;
  body.digest = kDigest;
  body.signature = std::move(answer);
  return body;
}

TEST(HomePrefixTest, PrefixOrPrefixOfPrefixHandle) {
  EXPECT_EQ(*HomePrefixOf("88.111/ADMIN"), "88.111");
  EXPECT_EQ(*HomePrefixOf("0.NA/88.111"), "88.111");
  EXPECT_EQ(*HomePrefixOf("0.na/88.111.7"), "88.111.7");
  EXPECT_FALSE(HomePrefixOf("no-slash").ok());
}

TEST(HomePrefixTest, IsHomedHereFollowsTheRegistry) {
  HomeRegistry home;
  EXPECT_TRUE(IsHomedHere(home.registry(), "88.111/ADMIN"));
  EXPECT_TRUE(IsHomedHere(home.registry(), "88.111.2/X"));
  EXPECT_TRUE(IsHomedHere(home.registry(), "0.NA/88.111"));
  EXPECT_FALSE(IsHomedHere(home.registry(), "88.999/ADMIN"));
  EXPECT_FALSE(IsHomedHere(home.registry(), "0.NA/88.999"));
  EXPECT_FALSE(IsHomedHere(home.registry(), "garbage"));
}

TEST(AnswerVerificationTest, RightAnswerIsVerified) {
  HomeRegistry home;
  EXPECT_TRUE(*AnswerVerification(home.registry(), Request("88.111/ADMIN", 300, Answer(kSecret))));
  // Every MAC form deployed clients send, the PBKDF2 one included.
  EXPECT_TRUE(*AnswerVerification(
      home.registry(), Request("88.111/ADMIN", 300, Answer(kSecret, MacAlgorithm::kSha1))));
  EXPECT_TRUE(*AnswerVerification(
      home.registry(),
      Request("88.111/ADMIN", 300, Answer(kSecret, MacAlgorithm::kPbkdf2HmacSha1))));
  EXPECT_TRUE(*AnswerVerification(home.registry(),
                                  Request("0.NA/88.111", 300, Answer("prefix-secret"))));
}

TEST(AnswerVerificationTest, WrongAnswerOrUnknownIdentityIsNotVerified) {
  HomeRegistry home;
  EXPECT_FALSE(*AnswerVerification(home.registry(), Request("88.111/ADMIN", 300, Answer("nope"))));
  // The other secret of the same handle is not the one at 300.
  EXPECT_FALSE(
      *AnswerVerification(home.registry(), Request("88.111/ADMIN", 300, Answer("second-secret"))));
  // As Handle.Net answers: no such handle / value here is "not verified".
  EXPECT_FALSE(*AnswerVerification(home.registry(), Request("88.111/NOBODY", 300, Answer(kSecret))));
  EXPECT_FALSE(*AnswerVerification(home.registry(), Request("88.111/ADMIN", 302, Answer(kSecret))));
  // Index 100 holds a URL, not a secret.
  EXPECT_FALSE(*AnswerVerification(home.registry(), Request("88.111/ADMIN", 100, Answer("https://example.com/"))));
}

TEST(AnswerVerificationTest, IndexZeroMeansAnySecretOfTheHandle) {
  HomeRegistry home;
  EXPECT_TRUE(*AnswerVerification(home.registry(), Request("88.111/ADMIN", 0, Answer(kSecret))));
  EXPECT_TRUE(
      *AnswerVerification(home.registry(), Request("88.111/ADMIN", 0, Answer("second-secret"))));
  EXPECT_FALSE(*AnswerVerification(home.registry(), Request("88.111/ADMIN", 0, Answer("nope"))));
}

TEST(AnswerVerificationTest, OnlyTheHomeAnswers) {
  HomeRegistry home;
  ExpectCode(AnswerVerification(home.registry(), Request("88.999/ADMIN", 300, Answer(kSecret)))
                 .status(),
             ResponseCode::kServerNotResponsible,
             "this node is not responsible for prefix '88.999'");
  ExpectCode(AnswerVerification(home.registry(), Request("0.NA/88.999", 300, Answer(kSecret)))
                 .status(),
             ResponseCode::kServerNotResponsible,
             "this node is not responsible for prefix '88.999'");
}

TEST(AnswerVerificationTest, MalformedRequestsAre404) {
  HomeRegistry home;
  wire::RequestBody body = Request("", 300, Answer(kSecret));
  ExpectCode(AnswerVerification(home.registry(), body).status(), ResponseCode::kInvalidCredential,
             "verification request: empty key handle");
  body = Request("88.111/ADMIN", 300, Answer(kSecret));
  body.nonce.clear();
  ExpectCode(AnswerVerification(home.registry(), body).status(), ResponseCode::kInvalidCredential,
             "verification request: empty nonce");
  body = Request("88.111/ADMIN", 300, Answer(kSecret));
  body.digest.clear();
  ExpectCode(AnswerVerification(home.registry(), body).status(), ResponseCode::kInvalidCredential,
             "verification request: empty request digest");
  body = Request("88.111/ADMIN", 300, "");
  ExpectCode(AnswerVerification(home.registry(), body).status(), ResponseCode::kInvalidCredential,
             "verification request: empty answer");
  // An unknown MAC algorithm octet: ParseSecretKeyAnswer's 404.
  body = Request("88.111/ADMIN", 300, std::string("\x7f", 1) + std::string(20, 'm'));
  absl::Status s = AnswerVerification(home.registry(), body).status();
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kInvalidCredential) << s;
  EXPECT_EQ(std::string(s.message()),
            std::string(ParseSecretKeyAnswer(body.signature).status().message()));
  body = Request("no-slash", 300, Answer(kSecret));
  s = AnswerVerification(home.registry(), body).status();
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kInvalidCredential) << s;
  EXPECT_TRUE(std::string(s.message()).starts_with("verification request: key handle: ")) << s;
}

// A loopback home server: it reads one 201 per connection, answers it with
// AnswerVerification against its own registry (or misbehaves as told), and
// replies as the native front end does (RD digest of the request).
class LoopbackHome {
 public:
  enum class Mode { kAnswer, kGarbage, kWrongRequestId, kClose, kBusy, kUnsigned };

  explicit LoopbackHome(const Registry& registry) : registry_(registry) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackHome() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }

  uint16_t port() const { return port_; }
  // Signs replies to certified requests with `key` (null: never signs).
  void set_key(const PrivateKey* key) { key_ = key; }
  // The site as its HS_SITE record says, with `public_key` as the server's.
  SiteInfo SiteWithKey(std::string public_key) const {
    SiteInfo site = Site();
    site.servers[0].public_key = std::move(public_key);
    return site;
  }
  void set_mode(Mode mode) { mode_ = mode; }
  int requests() const { return requests_; }
  SiteInfo Site() const {
    SiteOptions options;
    options.address = "127.0.0.1";
    options.handle_port = port_;
    return BuildSiteInfo(options);
  }

 private:
  static bool ReadFull(int fd, char* out, size_t n) {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd, out + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }

  void Serve() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      Answer(fd);
      ::close(fd);
    }
  }

  void Answer(int fd) {
    std::string message(wire::kEnvelopeSize, '\0');
    if (!ReadFull(fd, message.data(), message.size())) return;
    wire::Envelope env;
    wire::DecodeEnvelope(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()), message.size()),
        &env);
    message.resize(wire::kEnvelopeSize + env.message_length);
    if (!ReadFull(fd, message.data() + wire::kEnvelopeSize, env.message_length)) return;
    ++requests_;
    absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(message);
    ASSERT_TRUE(raw.ok()) << raw.status();
    ASSERT_EQ(raw->header.op_code, static_cast<uint32_t>(OpCode::kVerifyResponse));
    absl::StatusOr<wire::RequestBody> body =
        wire::DecodeRequestBody(OpCode::kVerifyResponse, raw->body);
    ASSERT_TRUE(body.ok()) << body.status();
    last_body_ = *body;

    if (mode_ == Mode::kClose) return;
    if (mode_ == Mode::kGarbage) {
      std::string garbage = "this is not a handle message at all";
      ::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL);
      return;
    }
    absl::StatusOr<bool> verified = AnswerVerification(registry_, *body);
    ResponseCode code = verified.ok() ? ResponseCode::kSuccess : ResponseCodeOf(verified.status());
    wire::ResponseBody out;
    if (mode_ == Mode::kBusy) code = ResponseCode::kServerBusy;
    if (code == ResponseCode::kSuccess) {
      out.verified = *verified;
    } else {
      out.message = code == ResponseCode::kServerBusy ? std::string("busy")
                                                      : std::string(verified.status().message());
    }
    uint32_t flags = 0;
    if (raw->header.op_flags & op_flag::kReturnDigest) {
      flags |= op_flag::kReturnDigest;
      out.digest.algorithm = wire::DigestAlgorithm::kSha256;
      out.digest.digest = wire::ComputeDigest(out.digest.algorithm, raw->header_and_body);
    }
    wire::Envelope reply_env;
    reply_env.flags = wire::kOwnVersionFlag;
    reply_env.request_id = mode_ == Mode::kWrongRequestId ? env.request_id + 1 : env.request_id;
    wire::MessageHeader header;
    header.op_code = raw->header.op_code;
    header.response_code = static_cast<uint32_t>(code);
    header.op_flags = flags;
    const std::string reply_body = wire::EncodeResponseBody(OpCode::kVerifyResponse, code, flags, out);
    std::string credential;
    if ((raw->header.op_flags & op_flag::kCertified) && key_ != nullptr &&
        mode_ != Mode::kUnsigned) {
      // Sign as deployed servers do: SignedReplyBytes over our header+body.
      std::string unsigned_reply = wire::EncodeMessage(reply_env, header, reply_body);
      std::string_view header_and_body = std::string_view(unsigned_reply)
                                             .substr(wire::kEnvelopeSize,
                                                     wire::kHeaderSize + reply_body.size());
      SignedReplyFields fields;
      fields.request_id = reply_env.request_id;
      wire::Credential c;
      c.type = "HS_SIGNED";
      c.digest_algorithm = "SHA-256";
      c.signed_data = *key_.load()->Sign(SignatureDigest::kSha256,
                                  SignedReplyBytes(fields, header_and_body));
      ByteWriter w(&credential);
      wire::EncodeCredential(c, &w);
    }
    std::string reply = wire::EncodeMessage(reply_env, header, reply_body, credential);
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  }

 public:
  wire::RequestBody last_body_;

 private:
  const Registry& registry_;
  std::atomic<const PrivateKey*> key_{nullptr};
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<Mode> mode_{Mode::kAnswer};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A port nothing listens on: bound, then closed.
uint16_t ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

uint64_t Count(MetricsRegistry& metrics, std::string result) {
  return metrics
      .GetCounter("qilian_auth_remote_verifications_total", "", {{"result", std::move(result)}})
      .value();
}

class RemoteVerifierTest : public ::testing::Test {
 protected:
  RemoteVerifierTest() : server_(home_.registry()) {}

  RemoteVerifier Verifier(SiteLookup lookup) {
    RemoteVerifierOptions options;
    options.timeout = absl::Seconds(5);
    options.per_server_timeout = absl::Seconds(5);
    return RemoteVerifier(std::move(lookup), &metrics_, options);
  }
  SiteLookup Home() {
    return [this](std::string_view prefix) -> absl::StatusOr<std::vector<SiteInfo>> {
      asked_prefix_ = std::string(prefix);
      return std::vector<SiteInfo>{server_.Site()};
    };
  }
  std::string HomeName() const { return absl::StrCat("127.0.0.1:", server_.port()); }

  HomeRegistry home_;
  LoopbackHome server_;
  MetricsRegistry metrics_;
  std::string asked_prefix_;
};

TEST_F(RemoteVerifierTest, RightAnswerIsOk) {
  RemoteVerifier verifier = Verifier(Home());
  const std::string answer = Answer(kSecret);
  EXPECT_TRUE(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, answer).ok());
  EXPECT_EQ(asked_prefix_, "88.111");
  // What went on the wire is the 201 body of the identity and challenge.
  EXPECT_EQ(server_.last_body_.key_handle, "88.111/ADMIN");
  EXPECT_EQ(server_.last_body_.key_index, 300u);
  EXPECT_EQ(server_.last_body_.nonce, kNonce);
  EXPECT_EQ(server_.last_body_.digest, kDigest);
  EXPECT_EQ(server_.last_body_.signature, answer);
  EXPECT_EQ(Count(metrics_, "verified"), 1u);
  // A prefix identity is homed where the prefix is.
  EXPECT_TRUE(verifier.Verify({"0.NA/88.111", 300}, kNonce, kDigest, Answer("prefix-secret")).ok());
  EXPECT_EQ(asked_prefix_, "88.111");
}

TEST_F(RemoteVerifierTest, WrongAnswerIs403NamingTheHome) {
  RemoteVerifier verifier = Verifier(Home());
  ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer("wrong")),
             ResponseCode::kAuthenticationFailed,
             absl::StrCat("secret key answer does not match (verified by ", HomeName(), ")"));
  // Unknown at the home: the home says "not verified", and so do we.
  ExpectCode(verifier.Verify({"88.111/NOBODY", 300}, kNonce, kDigest, Answer(kSecret)),
             ResponseCode::kAuthenticationFailed,
             absl::StrCat("secret key answer does not match (verified by ", HomeName(), ")"));
  EXPECT_EQ(Count(metrics_, "not_verified"), 2u);
  EXPECT_EQ(Count(metrics_, "verified"), 0u);
}

TEST_F(RemoteVerifierTest, NodeThatIsNotTheHomeIsError2) {
  // The lookup sends us to a node that is not the identity's home.
  RemoteVerifier verifier = Verifier(Home());
  // With only that one server, 301 is final: error 2 naming the server.
  ExpectCode(verifier.Verify({"88.999/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
             ResponseCode::kError,
             absl::StrCat("cannot verify 300:88.999/ADMIN at its home ", HomeName(),
                          ": answered 301 (this node is not responsible for prefix '88.999')"));
  EXPECT_EQ(Count(metrics_, "refused"), 1u);
}

TEST_F(RemoteVerifierTest, HomeInvalidCredentialIsPassedOnAs404) {
  RemoteVerifier verifier = Verifier(Home());
  // Well-formed for us (a known algorithm octet), but the home refuses the
  // question itself: here an empty nonce.
  ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, "", kDigest, Answer(kSecret)),
             ResponseCode::kInvalidCredential,
             absl::StrCat("verification request: empty nonce (from ", HomeName(), ")"));
  EXPECT_EQ(Count(metrics_, "refused"), 1u);
}

TEST_F(RemoteVerifierTest, MalformedAnswerIsRefusedWithoutAsking) {
  RemoteVerifier verifier = Verifier(Home());
  const std::string answer = std::string("\x7f", 1) + std::string(20, 'm');
  absl::Status s = verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, answer);
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kInvalidCredential) << s;
  EXPECT_EQ(std::string(s.message()), std::string(ParseSecretKeyAnswer(answer).status().message()));
  EXPECT_EQ(server_.requests(), 0);
  EXPECT_EQ(Count(metrics_, "malformed"), 1u);
}

TEST_F(RemoteVerifierTest, UnreachableHomeIsError2NamingTheServer) {
  const uint16_t port = ClosedPort();
  SiteOptions options;
  options.handle_port = port;
  RemoteVerifier verifier = Verifier(FixedSites({BuildSiteInfo(options)}));
  ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
             ResponseCode::kError,
             absl::StrCat("cannot verify 300:88.111/ADMIN at its home 127.0.0.1:", port,
                          ": connect: Connection refused"));
  EXPECT_EQ(Count(metrics_, "unreachable"), 1u);
}

TEST_F(RemoteVerifierTest, DeadServerMovesOnToTheNextSite) {
  SiteOptions dead;
  dead.handle_port = ClosedPort();
  RemoteVerifier verifier = Verifier(FixedSites({BuildSiteInfo(dead), server_.Site()}));
  EXPECT_TRUE(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)).ok());
  EXPECT_EQ(server_.requests(), 1);
}

TEST_F(RemoteVerifierTest, NoHomeSiteIsError2) {
  RemoteVerifier verifier = Verifier([](std::string_view) -> absl::StatusOr<std::vector<SiteInfo>> {
    return HandleError(ResponseCode::kHandleNotFound, "handle not found");
  });
  ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
             ResponseCode::kError,
             "cannot verify 300:88.111/ADMIN: no home site for prefix '88.111' (handle not found)");
  EXPECT_EQ(Count(metrics_, "no_site"), 1u);
}

TEST_F(RemoteVerifierTest, GarbageReplyIsError2) {
  server_.set_mode(LoopbackHome::Mode::kGarbage);
  RemoteVerifier verifier = Verifier(Home());
  absl::Status s = verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret));
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kError) << s;
  EXPECT_TRUE(std::string(s.message())
                  .starts_with(absl::StrCat("cannot verify 300:88.111/ADMIN at its home ",
                                            HomeName(), ": ")))
      << s;
  EXPECT_EQ(Count(metrics_, "bad_reply") + Count(metrics_, "unreachable"), 1u);
}

TEST_F(RemoteVerifierTest, ReplyForAnotherRequestIsNotBelieved) {
  server_.set_mode(LoopbackHome::Mode::kWrongRequestId);
  RemoteVerifier verifier = Verifier(Home());
  ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
             ResponseCode::kError,
             absl::StrCat("cannot verify 300:88.111/ADMIN at its home ", HomeName(),
                          ": reply for another request id"));
  EXPECT_EQ(Count(metrics_, "bad_reply"), 1u);
  EXPECT_EQ(Count(metrics_, "verified"), 0u);
}

TEST_F(RemoteVerifierTest, ClosedConnectionIsError2) {
  server_.set_mode(LoopbackHome::Mode::kClose);
  RemoteVerifier verifier = Verifier(Home());
  ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
             ResponseCode::kError,
             absl::StrCat("cannot verify 300:88.111/ADMIN at its home ", HomeName(),
                          ": connection closed before the whole reply"));
}

TEST_F(RemoteVerifierTest, BusyHomeIsError2AfterTheLastServer) {
  server_.set_mode(LoopbackHome::Mode::kBusy);
  RemoteVerifier verifier = Verifier(Home());
  ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
             ResponseCode::kError,
             absl::StrCat("cannot verify 300:88.111/ADMIN at its home ", HomeName(),
                          ": answered 3 (busy)"));
}

TEST_F(RemoteVerifierTest, CertifiedRepliesAreCheckedWithTheSiteKey) {
  PrivateKey home_key = *PrivateKey::Generate(KeyType::kEd25519);
  PrivateKey other_key = *PrivateKey::Generate(KeyType::kEd25519);
  server_.set_key(&home_key);
  {
    RemoteVerifier verifier = Verifier(FixedSites({server_.SiteWithKey(home_key.Public().Encode())}));
    EXPECT_TRUE(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)).ok());
    ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer("wrong")),
               ResponseCode::kAuthenticationFailed,
               absl::StrCat("secret key answer does not match (verified by ", HomeName(), ")"));
  }
  {
    // Someone else's signature (the site record names another key).
    RemoteVerifier verifier =
        Verifier(FixedSites({server_.SiteWithKey(other_key.Public().Encode())}));
    ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
               ResponseCode::kError,
               absl::StrCat("cannot verify 300:88.111/ADMIN at its home ", HomeName(),
                            ": reply signature does not verify"));
  }
  {
    // The site has a key, so an unsigned verdict is not believed.
    server_.set_mode(LoopbackHome::Mode::kUnsigned);
    RemoteVerifier verifier = Verifier(FixedSites({server_.SiteWithKey(home_key.Public().Encode())}));
    ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
               ResponseCode::kError,
               absl::StrCat("cannot verify 300:88.111/ADMIN at its home ", HomeName(),
                            ": reply is not signed"));
  }
  EXPECT_EQ(Count(metrics_, "bad_reply"), 2u);
  EXPECT_EQ(Count(metrics_, "verified"), 1u);
  server_.set_key(nullptr);
}

TEST_F(RemoteVerifierTest, RequireSignedRepliesSkipsServersWithoutAKey) {
  RemoteVerifierOptions options;
  options.require_signed_replies = true;
  RemoteVerifier verifier(Home(), &metrics_, options);
  ExpectCode(verifier.Verify({"88.111/ADMIN", 300}, kNonce, kDigest, Answer(kSecret)),
             ResponseCode::kError,
             absl::StrCat("cannot verify 300:88.111/ADMIN at its home ", HomeName(),
                          ": no public key in its HS_SITE record to check a signed reply with"));
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(RemoteVerifierTest, HomeAwareAnswerCheckSendsOnlyForeignSecretKeysAway) {
  // This node serves 88.999, with a local identity; 88.111 is homed at
  // server_.
  FakeClock clock;
  std::unique_ptr<store::KvStore> store = store::NewMemoryStore({{std::string(Registry::kSpace)}});
  Registry local(store.get(), clock, RegistryOptions{});
  ASSERT_TRUE(local.Create("88.999/ADMIN", {Value(300, "HS_SECKEY", "local-secret")}).ok());
  RemoteVerifier remote = Verifier(Home());
  AnswerCheck check = HomeAwareAnswerCheck(&local, &remote);
  auto answer = [](std::string type, std::string handle, std::string mac) {
    wire::RequestBody body;
    body.auth_type = std::move(type);
    body.key_handle = std::move(handle);
    body.key_index = 300;
    body.answer = std::move(mac);
    return body;
  };
  // Local identity: checked here, nothing sent.
  EXPECT_TRUE(check(answer("HS_SECKEY", "88.999/ADMIN", Answer("local-secret")), kNonce, kDigest)
                  .ok());
  EXPECT_EQ(server_.requests(), 0);
  // Identity homed at 88.111: verified there.
  EXPECT_TRUE(check(answer("HS_SECKEY", "88.111/ADMIN", Answer(kSecret)), kNonce, kDigest).ok());
  EXPECT_EQ(server_.requests(), 1);
  ExpectCode(check(answer("HS_SECKEY", "88.111/ADMIN", Answer("wrong")), kNonce, kDigest),
             ResponseCode::kAuthenticationFailed,
             absl::StrCat("secret key answer does not match (verified by ", HomeName(), ")"));
  EXPECT_EQ(server_.requests(), 2);
  // HS_PUBKEY answers are never sent away.
  ExpectCode(check(answer("HS_PUBKEY", "88.111/ADMIN", "sig"), kNonce, kDigest),
             ResponseCode::kAuthenticationFailed,
             "cannot authenticate 300:88.111/ADMIN: no HS_PUBKEY value at that index");
  EXPECT_EQ(server_.requests(), 2);
  // Without a remote verifier: the local answer, as before.
  ExpectCode(HomeAwareAnswerCheck(&local, nullptr)(
                 answer("HS_SECKEY", "88.111/ADMIN", Answer(kSecret)), kNonce, kDigest),
             ResponseCode::kAuthenticationFailed,
             "cannot authenticate 300:88.111/ADMIN: no HS_SECKEY value at that index");
  EXPECT_EQ(server_.requests(), 2);
}

TEST(SitesOfValuesTest, DecodesSitesAndSkipsTheRest) {
  SiteOptions options;
  options.handle_port = 2641;
  SiteInfo site = BuildSiteInfo(options);
  std::vector<HandleValue> values = {Value(1, "HS_SITE", EncodeSiteData(site)),
                                     Value(2, "HS_SITE", "garbage"),
                                     Value(100, "HS_ADMIN", "x")};
  absl::StatusOr<std::vector<SiteInfo>> sites = SitesOfValues(values);
  ASSERT_TRUE(sites.ok()) << sites.status();
  ASSERT_EQ(sites->size(), 1u);
  EXPECT_EQ((*sites)[0], site);
  EXPECT_EQ(SitesOfValues({Value(100, "HS_ADMIN", "x")}).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace qilian::ident::auth
