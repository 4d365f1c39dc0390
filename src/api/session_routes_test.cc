// REST sessions (Handle.Net v9's `Authorization: Handle` challenge flow),
// driven through RestApi::Handle with keys generated here (docs/api.md
// "Sessions").
#include "api/session_routes.h"

#include <openssl/sha.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/credentials.h"
#include "api/rest_api.h"
#include "api/test_callers.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/auth/public_key.h"
#include "ident/auth/secret_key.h"
#include "ident/authz/audit_log.h"
#include "ident/authz/auth_throttle.h"
#include "ident/authz/authorizer.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "nlohmann/json.hpp"
#include "store/memory_store.h"

namespace qilian::api {
namespace {

using ident::auth::KeyType;
using ident::auth::PrivateKey;
using ident::auth::SignatureDigest;
using nlohmann::json;

constexpr char kUrlBody[] =
    R"({"values":[{"index":1,"type":"URL","data":{"format":"string","value":"https://example.com/s"}}]})";
constexpr char kAllBits[] = "111111111111";

std::string PubKeyValue(const PrivateKey& key) {
  return R"({"index":300,"type":"HS_PUBKEY","data":{"format":"base64","value":")" +
         absl::Base64Escape(key.Public().Encode()) + R"("}})";
}

std::string SecKeyValue(const std::string& secret) {
  return R"({"index":300,"type":"HS_SECKEY","permissions":"1100","data":{"format":"string","value":")" +
         secret + R"("}})";
}

std::string AdminValue(int index, const std::string& handle) {
  return R"({"index":)" + std::to_string(index) +
         R"(,"type":"HS_ADMIN","data":{"format":"admin","value":{"handle":")" + handle +
         R"(","index":300,"permissions":")" + kAllBits + R"("}}})";
}

struct Started {
  std::string id;
  std::string nonce;  // raw
};

class SessionRoutesTest : public ::testing::Test {
 protected:
  SessionRoutesTest()
      : store_(store::NewMemoryStore({{std::string(ident::Registry::kSpace),
                                       std::string(ident::authz::AuditLog::kSpace)}})),
        registry_(store_.get(), clock_, ident::RegistryOptions{}),
        setup_(&registry_, nullptr, RestOptions{}),
        authorizer_(&registry_, ident::authz::AuthorizerOptions{}),
        processor_(&registry_, &metrics_, WithAccess(&authorizer_)),
        throttle_(ident::authz::AuthThrottleOptions{4}, &clock_),
        sessions_(clock_, RestSessionOptions{}),
        api_(&processor_, &metrics_) {
    audit_ = ident::authz::AuditLog::Open(store_.get()).value();
    RestAuthOptions auth;
    auth.credentials.registry = &registry_;
    auth.credentials.sessions = &sessions_;
    auth.audit = audit_.get();
    auth.throttle = &throttle_;
    api_.SetAuth(auth);
  }

  void SetUp() override {
    rsa_ = std::make_unique<PrivateKey>(PrivateKey::Generate(KeyType::kRsa, 2048).value());
    ed_ = std::make_unique<PrivateKey>(PrivateKey::Generate(KeyType::kEd25519).value());
    sm2_ = std::make_unique<PrivateKey>(PrivateKey::Generate(KeyType::kSm2).value());
    Bootstrap("88.999/RSA", "{\"values\":[" + PubKeyValue(*rsa_) + "]}");
    Bootstrap("88.999/ED", "{\"values\":[" + PubKeyValue(*ed_) + "]}");
    Bootstrap("88.999/SM2", "{\"values\":[" + PubKeyValue(*sm2_) + "]}");
    Bootstrap("88.999/SEC", "{\"values\":[" + SecKeyValue("secsecret") + "]}");
    Bootstrap("0.NA/88.999", "{\"values\":[" + AdminValue(100, "88.999/RSA") + "," +
                                 AdminValue(101, "88.999/ED") + "," +
                                 AdminValue(102, "88.999/SM2") + "," +
                                 AdminValue(103, "88.999/SEC") + "]}");
  }

  void Bootstrap(const std::string& handle, const std::string& body) {
    net::HttpResponse response = PutHandle(setup_, handle, body);
    ASSERT_EQ(response.status, 201) << handle << " " << response.body;
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& authorization, const std::string& body = "",
                         RestApi* api = nullptr) {
    net::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.remote_address = "192.0.2.7";
    if (!authorization.empty()) request.headers.emplace_back("authorization", authorization);
    return (api != nullptr ? api : &api_)->Handle(request);
  }

  static json Json(const net::HttpResponse& r) { return json::parse(r.body, nullptr, false); }

  static void ExpectError(const net::HttpResponse& response, int http_status, int code,
                          const std::string& message) {
    EXPECT_EQ(response.status, http_status) << response.body;
    json body = Json(response);
    ASSERT_FALSE(body.is_discarded()) << response.body;
    EXPECT_EQ(body["responseCode"], code) << response.body;
    EXPECT_EQ(body["message"], message) << response.body;
  }

  Started Start(const std::string& authorization = "") {
    net::HttpResponse r = Send("POST", "/api/sessions", authorization);
    EXPECT_EQ(r.status, 201) << r.body;
    json body = Json(r);
    Started s;
    s.id = body.value("sessionId", "");
    std::string nonce_b64 = body.value("nonce", "");
    EXPECT_TRUE(absl::Base64Unescape(nonce_b64, &s.nonce)) << r.body;
    EXPECT_EQ(s.nonce.size(), 20u);
    return s;
  }

  static std::string Header(const std::string& session_id, const std::string& id,
                            const std::string& type, const std::string& alg,
                            const std::string& cnonce, const std::string& signature) {
    return absl::StrCat("Handle version=\"0\", sessionId=\"", session_id, "\", id=\"", id,
                        "\", type=\"", type, "\", alg=\"", alg, "\", cnonce=\"",
                        absl::Base64Escape(cnonce), "\", signature=\"",
                        absl::Base64Escape(signature), "\"");
  }

  // The header a client sends to authenticate `s` with `key`.
  static std::string Signed(const Started& s, const std::string& id, const PrivateKey& key,
                            const std::string& cnonce = "client-nonce-0123456789") {
    SignatureDigest digest = key.type() == KeyType::kSm2 ? SignatureDigest::kSm3
                                                         : SignatureDigest::kSha256;
    std::string signature = key.Sign(digest, s.nonce + cnonce).value();
    std::string alg = key.type() == KeyType::kSm2       ? "SM3"
                      : key.type() == KeyType::kEd25519 ? "Ed25519"
                                                        : "SHA256";
    return Header(s.id, id, "HS_PUBKEY", alg, cnonce, signature);
  }

  static std::string SessionOnly(const Started& s) {
    return absl::StrCat("Handle sessionId=\"", s.id, "\"");
  }

  bool Exists(const std::string& handle) { return registry_.Get(handle, {}).ok(); }

  uint64_t Failures(const std::string& reason) {
    return metrics_.GetCounter("qilian_rest_auth_failures_total", "", {{"reason", reason}})
        .value();
  }

  std::vector<ident::authz::AuditEvent> AuditOf(const std::string& actor) {
    ident::authz::AuditQuery query;
    query.actor = actor;
    return audit_->Query(query).value().events;
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  ident::Registry registry_;
  RestApi setup_;
  MetricsRegistry metrics_;
  ident::authz::Authorizer authorizer_;
  ident::Processor processor_;
  ident::authz::AuthThrottle throttle_;
  RestSessions sessions_;
  std::unique_ptr<ident::authz::AuditLog> audit_;
  RestApi api_;
  std::unique_ptr<PrivateKey> rsa_, ed_, sm2_;
};

TEST_F(SessionRoutesTest, FullFlowThenWriteAsTheSessionIdentity) {
  Started s = Start();
  ASSERT_EQ(s.id.size(), 40u);
  // Unauthenticated: the session is known, the caller anonymous.
  auto r = Send("GET", "/api/sessions/this", SessionOnly(s));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r), json({{"sessionId", s.id},
                           {"nonce", absl::Base64Escape(s.nonce)},
                           {"authenticated", false}}));
  ExpectError(Send("PUT", "/api/handles/88.999/abc", SessionOnly(s), kUrlBody), 401, 402,
              "authentication required");

  r = Send("PUT", "/api/sessions/this", Signed(s, "300:88.999/RSA", *rsa_));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r), json({{"sessionId", s.id},
                           {"nonce", absl::Base64Escape(s.nonce)},
                           {"authenticated", true},
                           {"id", "300:88.999/RSA"}}));

  // Later requests send only the session id and act as the identity.
  r = Send("PUT", "/api/handles/88.999/abc", SessionOnly(s), kUrlBody);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(Exists("88.999/abc"));
  r = Send("GET", "/api/me", SessionOnly(s));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["actor"], "300:88.999/RSA");
  EXPECT_EQ(Json(r)["method"], "session");
  r = Send("GET", "/api/sessions/this", SessionOnly(s));
  EXPECT_EQ(Json(r)["id"], "300:88.999/RSA");

  // DELETE ends it; its id then means nothing.
  r = Send("DELETE", "/api/sessions/this", SessionOnly(s));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(r.body.empty());
  ExpectError(Send("DELETE", "/api/handles/88.999/abc", SessionOnly(s)), 401, 405,
              "session is unknown or has expired");
  EXPECT_TRUE(Exists("88.999/abc"));
}

TEST_F(SessionRoutesTest, Ed25519AndSm2KeysAuthenticate) {
  struct Case {
    std::string id;
    const PrivateKey* key;
    std::string handle;
  };
  for (const Case& c : {Case{"300:88.999/ED", ed_.get(), "88.999/ed-made"},
                        Case{"300:88.999/SM2", sm2_.get(), "88.999/sm2-made"}}) {
    Started s = Start();
    // Authentication may ride on any request, here the write itself.
    auto r = Send("PUT", "/api/handles/" + c.handle, Signed(s, c.id, *c.key), kUrlBody);
    EXPECT_EQ(r.status, 201) << c.id << " " << r.body;
    EXPECT_TRUE(Exists(c.handle)) << c.id;
    r = Send("GET", "/api/sessions/this", SessionOnly(s));
    EXPECT_EQ(Json(r)["id"], c.id);
  }
}

TEST_F(SessionRoutesTest, SecretKeySignsAsHandleNetDoes) {
  const std::string secret = "secsecret";
  const std::string cnonce = "0123456789abcdef";
  // alg="SHA256": SHA-256(secret ‖ nonce ‖ cnonce ‖ secret), Handle.Net's
  // keyed hash (code 0x03), not an HMAC.
  Started s = Start();
  std::string data = secret + s.nonce + cnonce + secret;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string mac(reinterpret_cast<const char*>(digest), sizeof(digest));
  auto r = Send("PUT", "/api/sessions/this",
                Header(s.id, "300:88.999/SEC", "HS_SECKEY", "SHA256", cnonce, mac));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["id"], "300:88.999/SEC");
  EXPECT_EQ(Send("PUT", "/api/handles/88.999/sec-made", SessionOnly(s), kUrlBody).status, 201);

  // The same MAC under alg="HMAC-SHA256" does not verify...
  Started t = Start();
  ExpectError(Send("PUT", "/api/sessions/this",
                   Header(t.id, "300:88.999/SEC", "HS_SECKEY", "HMAC-SHA256", cnonce, mac)),
              401, 403, "secret key answer does not match");
  // ...an HMAC does.
  std::string hmac = ident::auth::ComputeSecretKeyMac(ident::auth::MacAlgorithm::kHmacSha256,
                                                      secret, t.nonce, cnonce)
                         .value();
  r = Send("PUT", "/api/sessions/this",
           Header(t.id, "300:88.999/SEC", "HS_SECKEY", "HMAC-SHA256", cnonce, hmac));
  EXPECT_EQ(r.status, 200) << r.body;

  // PBKDF2-HMAC-SHA1 carries its salt, iterations and key length.
  Started u = Start();
  ident::auth::Pbkdf2Params pbkdf2{"saltsaltsaltsalt", 10000, 160};
  std::string pmac = ident::auth::ComputeSecretKeyMac(ident::auth::MacAlgorithm::kPbkdf2HmacSha1,
                                                      secret, u.nonce, cnonce, pbkdf2)
                         .value();
  std::string header = Header(u.id, "300:88.999/SEC", "HS_SECKEY", "PBKDF2-HMAC-SHA1", cnonce,
                              pmac);
  ExpectError(Send("GET", "/api/sessions/this", header), 401, 402,
              "Authorization: Handle alg PBKDF2-HMAC-SHA1 needs salt, iterations and length");
  header += absl::StrCat(", salt=\"", absl::Base64Escape(pbkdf2.salt),
                         "\", iterations=\"10000\", length=\"160\"");
  r = Send("GET", "/api/sessions/this", header);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["authenticated"], true);
}

TEST_F(SessionRoutesTest, ANonceAuthenticatesOnce) {
  Started s = Start();
  const std::string first = Signed(s, "300:88.999/RSA", *rsa_);
  ASSERT_EQ(Send("PUT", "/api/sessions/this", first).status, 200);
  // Handle.Net lets the authenticating header be sent again in its session
  // (it adds nothing to what the sessionId alone grants)...
  auto r = Send("PUT", "/api/handles/88.999/again", first, kUrlBody);
  EXPECT_EQ(r.status, 201) << r.body;
  // ...but the nonce cannot authenticate again, not even the same key with
  // a new client nonce, nor another identity.
  ExpectError(Send("PUT", "/api/sessions/this", Signed(s, "300:88.999/RSA", *rsa_, "other-cnonce")),
              401, 403, "the nonce of this session has already been used");
  ExpectError(Send("PUT", "/api/sessions/this", Signed(s, "300:88.999/ED", *ed_)), 401, 403,
              "the nonce of this session has already been used");
  EXPECT_EQ(Json(Send("GET", "/api/sessions/this", SessionOnly(s)))["id"], "300:88.999/RSA");

  // The recorded answer replayed in another session signs the wrong nonce.
  Started t = Start();
  std::string replay = first;
  replay.replace(replay.find(s.id), s.id.size(), t.id);
  ExpectError(Send("PUT", "/api/handles/88.999/replayed", replay, kUrlBody), 401, 403,
              "signature does not verify");
  EXPECT_FALSE(Exists("88.999/replayed"));
  // Once the session is gone, the header is nothing.
  ASSERT_EQ(Send("DELETE", "/api/sessions/this", SessionOnly(s)).status, 204);
  ExpectError(Send("PUT", "/api/handles/88.999/replayed", first, kUrlBody), 401, 405,
              "session is unknown or has expired");
  EXPECT_FALSE(Exists("88.999/replayed"));
  // Every refusal above is audited under the id it claimed.
  EXPECT_EQ(AuditOf("300:88.999/RSA").size(), 3u);
  EXPECT_EQ(AuditOf("300:88.999/ED").size(), 1u);
}

TEST_F(SessionRoutesTest, WrongKeyIsRefusedAuditedAndLeavesTheSessionOpen) {
  PrivateKey stranger = PrivateKey::Generate(KeyType::kRsa, 2048).value();
  Started s = Start();
  auto r = Send("PUT", "/api/handles/88.999/abc", Signed(s, "300:88.999/RSA", stranger), kUrlBody);
  ExpectError(r, 401, 403, "signature does not verify");
  EXPECT_FALSE(Exists("88.999/abc"));
  EXPECT_EQ(Failures("wrong"), 1u);
  std::vector<ident::authz::AuditEvent> events = AuditOf("300:88.999/RSA");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "authentication failed");
  EXPECT_EQ(events[0].result, 403u);
  EXPECT_EQ(events[0].detail, "signature does not verify");
  EXPECT_EQ(events[0].target, "/api/handles/88.999/abc");
  // A key of another identity, an alg the key cannot use, and an identity
  // without an HS_PUBKEY.
  ExpectError(Send("GET", "/api/sessions/this", Signed(s, "300:88.999/ED", *sm2_)), 401, 403,
              "signature does not verify");
  ExpectError(Send("GET", "/api/sessions/this", Signed(s, "300:88.999/RSA", *ed_)), 401, 404,
              "unknown signature digest Ed25519");
  ExpectError(Send("GET", "/api/sessions/this", Signed(s, "300:88.999/SEC", *rsa_)), 401, 403,
              "cannot authenticate 300:88.999/SEC: no HS_PUBKEY value at that index");
  // A failure does not use the nonce up: the right key still gets in.
  r = Send("GET", "/api/sessions/this", Signed(s, "300:88.999/RSA", *rsa_));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["authenticated"], true);
}

TEST_F(SessionRoutesTest, RepeatedFailuresAreThrottledByTheClaimedId) {
  PrivateKey stranger = PrivateKey::Generate(KeyType::kEd25519).value();
  Started s = Start();
  net::HttpRequest probe;
  probe.headers.emplace_back("authorization", Signed(s, "300:88.999/ED", stranger));
  EXPECT_EQ(ClaimedActor(probe), "300:88.999/ED");
  for (int i = 0; i < 4; ++i) {
    ExpectError(Send("GET", "/api/sessions/this", Signed(s, "300:88.999/ED", stranger)), 401, 403,
                "signature does not verify");
  }
  ExpectError(Send("GET", "/api/sessions/this", Signed(s, "300:88.999/ED", *ed_)), 401, 406,
              "too many failed authentications for 300:88.999/ED; retry in 1 s");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Send("GET", "/api/sessions/this", Signed(s, "300:88.999/ED", *ed_)).status, 200);
}

TEST_F(SessionRoutesTest, IdleSessionsExpireWith405) {
  Started s = Start();
  // Activity keeps a session alive...
  clock_.Advance(absl::Minutes(20));
  ASSERT_EQ(Send("PUT", "/api/sessions/this", Signed(s, "300:88.999/RSA", *rsa_)).status, 200);
  clock_.Advance(absl::Minutes(20));
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", SessionOnly(s), kUrlBody).status, 201);
  // ...30 minutes without one ends it.
  clock_.Advance(absl::Minutes(30));
  ExpectError(Send("DELETE", "/api/handles/88.999/abc", SessionOnly(s)), 401, 405,
              "session is unknown or has expired");
  EXPECT_TRUE(Exists("88.999/abc"));
  ExpectError(Send("GET", "/api/sessions/this", SessionOnly(s)), 401, 405,
              "session is unknown or has expired");
  // An unauthenticated one too, and its nonce can no longer be answered.
  Started t = Start();
  clock_.Advance(absl::Minutes(30));
  ExpectError(Send("PUT", "/api/sessions/this", Signed(t, "300:88.999/RSA", *rsa_)), 401, 405,
              "session is unknown or has expired");
  EXPECT_EQ(sessions_.size(), 0u);
}

TEST_F(SessionRoutesTest, MalformedHeadersAre401With402) {
  Started s = Start();
  const std::string sid = absl::StrCat("sessionId=\"", s.id, "\"");
  const std::string full_tail =
      ", type=\"HS_PUBKEY\", alg=\"SHA256\", cnonce=\"Y25vbmNl\", signature=\"c2ln\"";
  struct Case {
    std::string header;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"Handle  ", "Authorization: Handle has no parameters"},
      {"Handle sessionId", "Authorization: Handle parameter sessionId has no value"},
      {"Handle sessionId=", "Authorization: Handle parameter sessionId has no value"},
      {"Handle sessionId=\"abc", "Authorization: Handle parameter sessionId has an unterminated quoted value"},
      {"Handle " + sid + " id=\"300:88.999/RSA\"",
       "Authorization: Handle parameters must be separated by commas"},
      {"Handle =x", "Authorization: Handle expects a parameter name at offset 0"},
      {"Handle " + sid + ", sessionid=\"x\"", "Authorization: Handle repeats sessionid"},
      {"Handle version=\"1\", " + sid, "Authorization: Handle version must be \"0\""},
      {"Handle id=\"300:88.999/RSA\"",
       "Authorization: Handle needs a sessionId (POST /api/sessions starts a session)"},
      {"Handle " + sid + ", id=\"300:88.999/RSA\"", "Authorization: Handle is missing type"},
      {"Handle " + sid + ", id=\"300:88.999/RSA\", type=\"HS_PUBKEY\", alg=\"SHA256\", "
                         "signature=\"c2ln\"",
       "Authorization: Handle is missing cnonce"},
      {"Handle " + sid + ", id=\"88.999/RSA\"" + full_tail,
       "Authorization: Handle id must be <index>:<handle>"},
      {"Handle " + sid + ", id=\"300%3", "Authorization: Handle parameter id has an unterminated quoted value"},
      {"Handle " + sid + ", id=300%ZZ88.999" + full_tail,
       "Authorization: Handle id is not valid percent-encoding"},
      {"Handle " + sid +
           ", id=\"300:88.999/RSA\", type=\"HS_PUBKEY\", alg=\"SHA256\", cnonce=\"!!\", "
           "signature=\"c2ln\"",
       "Authorization: Handle cnonce is not valid base64"},
      {"Handle " + sid +
           ", id=\"300:88.999/RSA\", type=\"HS_PUBKEY\", alg=\"SHA256\", cnonce=\"Y25vbmNl\", "
           "signature=\"\"",
       "Authorization: Handle signature is empty"},
      {"Handle " + sid +
           ", id=\"300:88.999/RSA\", type=\"HS_FOO\", alg=\"SHA256\", cnonce=\"Y25vbmNl\", "
           "signature=\"c2ln\"",
       "Authorization: Handle type must be HS_PUBKEY or HS_SECKEY"},
      {"Handle " + sid +
           ", id=\"300:88.999/SEC\", type=\"HS_SECKEY\", alg=\"FOO\", cnonce=\"Y25vbmNl\", "
           "signature=\"c2ln\"",
       "Authorization: Handle alg 'FOO' is not supported for HS_SECKEY"},
      {"Digest x",
       "Authorization must use the Basic scheme (<index>%3A<handle>:<secret>) or the Bearer "
       "scheme"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    auto r = Send("PUT", "/api/handles/88.999/abc", c.header, kUrlBody);
    ExpectError(r, 401, 402, c.message);
  }
  EXPECT_FALSE(Exists("88.999/abc"));
  EXPECT_EQ(Failures("malformed"), cases.size());
  // A well-formed header naming no live session.
  ExpectError(Send("GET", "/api/sessions/this", "Handle sessionId=\"0123\""), 401, 405,
              "session is unknown or has expired");
  // The session is untouched by all of it.
  EXPECT_EQ(Send("GET", "/api/sessions/this", Signed(s, "300:88.999/RSA", *rsa_)).status, 200);
}

TEST_F(SessionRoutesTest, RouteEdges) {
  // No session: what Handle.Net answers.
  auto r = Send("GET", "/api/sessions/this", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Json(r), json({{"authenticated", false}}));
  ExpectError(Send("DELETE", "/api/sessions/this", ""), 401, 402,
              "DELETE /api/sessions/this needs Authorization: Handle sessionId=\"...\"");
  // POST starts a session; it takes no sessionId.
  Started s = Start();
  ExpectError(Send("POST", "/api/sessions", SessionOnly(s)), 400, 4,
              "POST /api/sessions starts a new session; send no sessionId");
  r = Send("POST", "/api/sessions", "");
  EXPECT_EQ(r.status, 201);
  bool located = false;
  for (const auto& [k, v] : r.headers) located |= (k == "Location" && v == "/api/sessions/this");
  EXPECT_TRUE(located);
  ExpectError(Send("GET", "/api/sessions", ""), 405, 5,
              "method GET is not allowed on /api/sessions; allowed: POST");
  ExpectError(Send("GET", "/api/sessions/this?x=1", SessionOnly(s)), 400, 4,
              "unknown query parameter 'x'");
  // Basic credentials on the POST authenticate the new session at once.
  r = Send("POST", "/api/sessions", BasicAuthorization({"88.999/SEC", 300}, "secsecret"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Json(r)["authenticated"], true);
  EXPECT_EQ(Json(r)["id"], "300:88.999/SEC");
  Started bound{Json(r)["sessionId"], ""};
  EXPECT_EQ(Send("PUT", "/api/handles/88.999/basic-made", SessionOnly(bound), kUrlBody).status,
            201);
}

TEST_F(SessionRoutesTest, WithoutSessionsTheSchemeIsRefused) {
  RestApi bare(&processor_, &metrics_);
  RestAuthOptions auth;
  auth.credentials.registry = &registry_;
  bare.SetAuth(auth);
  ExpectError(Send("POST", "/api/sessions", "", "", &bare), 501, 5,
              "REST sessions are not enabled on this node");
  ExpectError(Send("GET", "/api/sessions/this", "Handle sessionId=\"x\"", "", &bare), 401, 402,
              "Handle sessions are not accepted by this node");
}

TEST(RestSessionsTest, BoundedAndRacingBindsCannotBothWin) {
  FakeClock clock;
  RestSessionOptions options;
  options.max_sessions = 2;
  options.make_nonce = [] { return std::string(20, 'n'); };
  RestSessions sessions(clock, options);
  RestSession a = sessions.Create().value();
  EXPECT_EQ(a.nonce, std::string(20, 'n'));
  ASSERT_TRUE(sessions.Create().ok());
  absl::StatusOr<RestSession> full = sessions.Create();
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(ident::ResponseCodeOf(full.status()), ident::ResponseCode::kServerBusy);
  EXPECT_EQ(full.status().message(), "too many sessions");
  // Expired sessions make room.
  clock.Advance(absl::Minutes(30));
  EXPECT_TRUE(sessions.Create().ok());
  RestSession b = sessions.Create().value();
  ASSERT_TRUE(sessions.Bind(b.id, {"88.999/X", 300}, "h1").ok());
  absl::Status second = sessions.Bind(b.id, {"88.999/Y", 300}, "h2");
  EXPECT_EQ(ident::ResponseCodeOf(second), ident::ResponseCode::kAuthenticationFailed);
  EXPECT_EQ(sessions.Find(b.id)->identity->handle, "88.999/X");
  EXPECT_EQ(ident::ResponseCodeOf(sessions.Bind("nope", {"88.999/X", 300}, "h")),
            ident::ResponseCode::kAuthenticationTimeout);
  EXPECT_TRUE(sessions.Remove(b.id));
  EXPECT_FALSE(sessions.Remove(b.id));
}

}  // namespace
}  // namespace qilian::api
