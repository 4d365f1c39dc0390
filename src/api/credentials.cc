#include "api/credentials.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/query.h"
#include "api/session_routes.h"
#include "core/status.h"
#include "ident/auth/challenge_answer.h"
#include "ident/auth/nonce.h"
#include "ident/auth/public_key.h"
#include "ident/auth/secret_key.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/handle_value.h"
#include "ident/response_code.h"
#include "security/events/sensor_registry.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;

namespace {

// Compares without an early exit, so the time taken does not tell how much
// of a guessed secret was right.
bool SecretsEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

constexpr std::string_view kCredentialForm = "<index>%3A<handle>:<secret>";

absl::Status NeedCredentials(std::string_view why) {
  return HandleError(ResponseCode::kAuthenticationNeeded, std::string(why));
}

// Verifies `Authorization: Basic base64("<index>%3A<handle>:<secret>")`
// (also "<index>:<handle>:<secret>" with a literal first ':', where the
// handle then must not contain ':') against the identity's HS_SECKEY.
absl::StatusOr<ident::AdminIdentity> AuthenticateBasic(const CredentialOptions& options,
                                                       std::string_view credentials) {
  if (options.registry == nullptr) {
    return NeedCredentials("Basic credentials are not accepted by this node");
  }
  std::string encoded(credentials);
  absl::StripAsciiWhitespace(&encoded);
  std::string decoded;
  if (encoded.empty() || !absl::Base64Unescape(encoded, &decoded)) {
    return NeedCredentials("Basic credentials are not valid base64");
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    return NeedCredentials(absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
  }
  std::string user = decoded.substr(0, colon);
  std::string secret = decoded.substr(colon + 1);
  std::string index_text, handle;
  bool digits_only = !user.empty() && std::all_of(user.begin(), user.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (digits_only) {
    // The literal form: the first ':' ended the index, the next one the
    // handle; the rest (which may hold ':') is the secret.
    size_t next = secret.find(':');
    if (next == std::string::npos) {
      return NeedCredentials(
          absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
    }
    index_text = user;
    handle = secret.substr(0, next);
    secret = secret.substr(next + 1);
  } else {
    std::optional<std::string> name = PercentDecode(user, /*plus_is_space=*/false);
    size_t split = name ? name->find(':') : std::string::npos;
    if (split == std::string::npos) {
      return NeedCredentials(
          absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
    }
    index_text = name->substr(0, split);
    handle = name->substr(split + 1);
  }
  uint32_t index = 0;
  if (index_text.empty() || handle.empty() ||
      !std::all_of(index_text.begin(), index_text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      !absl::SimpleAtoi(index_text, &index)) {
    return NeedCredentials(absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
  }
  const std::string identity = absl::StrCat(index, ":", handle);
  QL_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                      ident::auth::LookUpSecretKey(*options.registry, handle, index));
  if (!stored.has_value()) {
    return HandleError(ResponseCode::kAuthenticationFailed,
                       absl::StrCat("cannot authenticate ", identity,
                                    ": no HS_SECKEY value at that index"));
  }
  if (!SecretsEqual(*stored, secret)) {
    return HandleError(ResponseCode::kAuthenticationFailed,
                       absl::StrCat("secret does not match for ", identity));
  }
  return ident::AdminIdentity{handle, index};
}


// Splits "Scheme credentials" with a case-insensitive scheme.
bool HasScheme(std::string_view value, std::string_view scheme, std::string_view* rest) {
  if (value.size() <= scheme.size() || value[scheme.size()] != ' ') return false;
  if (absl::AsciiStrToLower(std::string(value.substr(0, scheme.size()))) != std::string(scheme)) {
    return false;
  }
  *rest = value.substr(scheme.size() + 1);
  while (!rest->empty() && rest->front() == ' ') rest->remove_prefix(1);
  return true;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-!#$%&'*+.`^_|~").find(c) != std::string_view::npos;
}

absl::Status BadHandleHeader(std::string_view why) {
  return NeedCredentials(absl::StrCat("Authorization: Handle ", std::string(why)));
}

// Handle.Net's client and server accept standard base64 (commons-codec is
// lenient about padding); the URL-safe alphabet is taken too.
std::optional<std::string> DecodeBase64Field(const std::string& text) {
  std::string out;
  if (absl::Base64Unescape(text, &out)) return out;
  if (absl::WebSafeBase64Unescape(text, &out)) return out;
  return std::nullopt;
}

// Handle.Net compares algorithm names ignoring case and punctuation.
std::string AlgKey(std::string_view alg) {
  std::string key;
  for (char c : alg) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      key.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
  }
  return key;
}

ident::Caller SessionCaller(const CredentialOptions& options, const ident::AdminIdentity& who) {
  ident::Caller caller;
  caller.actor = ident::IdentityText(who);
  if (options.principal_of) caller.principal = options.principal_of(who);
  caller.identity = who;
  caller.method = "session";
  return caller;
}

// The octets a native opcode-200 answer of `type` would carry for this
// header, as Handle.Net's StandardHandleAuthenticator.constructSignedResponse
// builds them: HS_SECKEY an algorithm octet and the MAC (PBKDF2 with its
// parameters), HS_PUBKEY the length-prefixed hash name and signature.
absl::StatusOr<std::string> AnswerOf(const HandleAuthorization& auth,
                                     const std::string& signature) {
  const std::string alg = AlgKey(*auth.alg);
  if (*auth.type == ident::kTypeSecKey) {
    using ident::auth::MacAlgorithm;
    ident::auth::SecretKeyAnswer answer;
    if (alg == "md5") {
      answer.algorithm = MacAlgorithm::kMd5;
    } else if (alg == "sha" || alg == "sha1") {
      answer.algorithm = MacAlgorithm::kSha1;
    } else if (alg == "sha256" || alg == "sha2") {
      answer.algorithm = MacAlgorithm::kSha256;
    } else if (alg == "hmacsha1") {
      answer.algorithm = MacAlgorithm::kHmacSha1;
    } else if (alg == "hmacsha256") {
      answer.algorithm = MacAlgorithm::kHmacSha256;
    } else if (alg == "pbkdf2hmacsha1" || alg == "pbkdf2withhmacsha1") {
      answer.algorithm = MacAlgorithm::kPbkdf2HmacSha1;
      if (!auth.salt || !auth.iterations || !auth.length) {
        return BadHandleHeader("alg PBKDF2-HMAC-SHA1 needs salt, iterations and length");
      }
      std::optional<std::string> salt = DecodeBase64Field(*auth.salt);
      if (!salt.has_value()) return BadHandleHeader("salt is not valid base64");
      answer.pbkdf2.salt = *std::move(salt);
      if (!absl::SimpleAtoi(*auth.iterations, &answer.pbkdf2.iterations)) {
        return BadHandleHeader("iterations is not a number");
      }
      if (!absl::SimpleAtoi(*auth.length, &answer.pbkdf2.key_bits)) {
        return BadHandleHeader("length is not a number");
      }
    } else {
      return BadHandleHeader(absl::StrCat("alg '", auth.alg->substr(0, 32),
                                          "' is not supported for HS_SECKEY"));
    }
    answer.mac = signature;
    return ident::auth::EncodeSecretKeyAnswer(answer);
  }
  if (*auth.type == ident::kTypePubKey) {
    ident::auth::PublicKeyAnswer answer;
    if (alg == "sha" || alg == "sha1") {
      answer.hash_name = "SHA1";
    } else if (alg == "sha256" || alg == "sha2") {
      answer.hash_name = "SHA-256";
    } else if (alg == "sm3") {
      answer.hash_name = "SM3";
    } else if (alg == "md5") {
      answer.hash_name = "MD5";
    } else {
      // Ed25519 signs purely and names no digest the verifier reads; any
      // other name is judged (and refused, 404) by the verifier.
      answer.hash_name = auth.alg->substr(0, ident::auth::kMaxSignatureHashNameBytes);
    }
    answer.signature = signature;
    return ident::auth::EncodePublicKeyAnswer(answer);
  }
  return BadHandleHeader("type must be HS_PUBKEY or HS_SECKEY");
}

// `Authorization: Handle ...`: a REST session (api/session_routes.h).
absl::StatusOr<ident::Caller> AuthenticateSession(const CredentialOptions& options,
                                                  const std::string& header,
                                                  std::string_view credentials) {
  if (options.sessions == nullptr) {
    return NeedCredentials("Handle sessions are not accepted by this node");
  }
  QL_ASSIGN_OR_RETURN(HandleAuthorization auth, ParseHandleAuthorization(credentials));
  if (auth.version.has_value() && *auth.version != "0") {
    return BadHandleHeader("version must be \"0\"");
  }
  if (!auth.session_id.has_value()) {
    return BadHandleHeader("needs a sessionId (POST /api/sessions starts a session)");
  }
  std::optional<RestSession> session = options.sessions->Find(*auth.session_id);
  if (!session.has_value()) return UnknownSession();
  // Handle.Net lets a client send the header that authenticated the
  // session again ("seen before"); it proves nothing the sessionId alone
  // does not, so it is no replay.
  if (!auth.authenticating() || (session->identity.has_value() && session->authorization == header)) {
    if (!session->identity.has_value()) return ident::Caller::Anonymous();
    return SessionCaller(options, *session->identity);
  }
  const std::pair<const std::optional<std::string>*, std::string_view> required[] = {
      {&auth.id, "id"}, {&auth.type, "type"}, {&auth.alg, "alg"},
      {&auth.cnonce, "cnonce"}, {&auth.signature, "signature"}};
  for (const auto& [field, name] : required) {
    if (!field->has_value()) return BadHandleHeader(absl::StrCat("is missing ", std::string(name)));
  }
  std::optional<ident::AdminIdentity> who = ident::ParseIdentityText(*auth.id);
  if (!who.has_value()) return BadHandleHeader("id must be <index>:<handle>");
  std::optional<std::string> cnonce = DecodeBase64Field(*auth.cnonce);
  if (!cnonce.has_value()) return BadHandleHeader("cnonce is not valid base64");
  if (cnonce->empty()) return BadHandleHeader("cnonce is empty");
  if (cnonce->size() > ident::auth::kMaxNonceBytes) {
    return BadHandleHeader(absl::StrCat("cnonce of ", cnonce->size(), " octets exceeds ",
                                        ident::auth::kMaxNonceBytes));
  }
  std::optional<std::string> signature = DecodeBase64Field(*auth.signature);
  if (!signature.has_value()) return BadHandleHeader("signature is not valid base64");
  if (signature->empty()) return BadHandleHeader("signature is empty");
  if (signature->size() > ident::auth::kMaxSignatureBytes) {
    return BadHandleHeader(absl::StrCat("signature of ", signature->size(), " octets exceeds ",
                                        ident::auth::kMaxSignatureBytes));
  }
  QL_ASSIGN_OR_RETURN(std::string answer, AnswerOf(auth, *signature));
  // Checked before the (costly) verification and again, atomically, by Bind.
  if (session->nonce_used) {
    return HandleError(ResponseCode::kAuthenticationFailed,
                       "the nonce of this session has already been used");
  }
  if (options.verify_answer) {
    QL_RETURN_IF_ERROR(options.verify_answer(*auth.type, *who, session->nonce, *cnonce, answer));
  } else if (options.registry != nullptr) {
    QL_RETURN_IF_ERROR(ident::auth::VerifyChallengeAnswer(*options.registry, *auth.type,
                                                          who->handle, who->index,
                                                          session->nonce, *cnonce, answer));
  } else {
    return NeedCredentials("Handle sessions are not accepted by this node");
  }
  QL_RETURN_IF_ERROR(options.sessions->Bind(session->id, *who, header));
  return SessionCaller(options, *who);
}

}  // namespace

std::string InfluxQueryCredentials(const net::HttpRequest& request) {
  std::string_view target = request.target;
  const size_t q = target.find('?');
  if (q == std::string_view::npos || target.substr(0, q) != "/write") return {};
  std::optional<std::string> user, password;
  for (absl::string_view piece :
       absl::StrSplit(absl::string_view(target.data() + q + 1, target.size() - q - 1), '&')) {
    std::string_view pair(piece.data(), piece.size());
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::optional<std::string> value = PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true);
    if (pair.substr(0, eq) == "u") user = value;
    if (pair.substr(0, eq) == "p") password = value;
  }
  if (!user || !password || user->empty()) return {};
  return absl::StrCat(*user, ":", *password);
}

absl::StatusOr<ident::Caller> AuthenticateRequest(const CredentialOptions& options,
                                                  const net::HttpRequest& request) {
  const std::string* header = request.Header("authorization");
  std::string_view rest;
  std::string influx;  // "user:password" of the Token scheme or ?u=&p=
  if (header == nullptr) {
    influx = InfluxQueryCredentials(request);
    if (influx.empty()) return ident::Caller::Anonymous();
  } else if (HasScheme(*header, "token", &rest)) {
    // InfluxDB 2's header, "Token user:password" in its 1.x-compatible
    // form: the same identity and secret as Basic, not base64-encoded.
    influx = std::string(absl::StripAsciiWhitespace(absl::string_view(rest.data(), rest.size())));
  }
  const bool basic = header != nullptr && HasScheme(*header, "basic", &rest);
  if (basic || !influx.empty()) {
    std::string encoded = influx.empty() ? std::string(rest) : absl::Base64Escape(influx);
    QL_ASSIGN_OR_RETURN(ident::AdminIdentity who, AuthenticateBasic(options, encoded));
    ident::Caller caller;
    caller.actor = ident::IdentityText(who);
    if (options.principal_of) caller.principal = options.principal_of(who);
    caller.identity = std::move(who);
    caller.method = "basic";
    return caller;
  }
  if (HasScheme(*header, "bearer", &rest)) {
    if (rest.starts_with(security::events::kSensorTokenPrefix)) {
      if (!options.sensor) return NeedCredentials("sensor tokens are not accepted by this node");
      return options.sensor(rest);  // method "sensor"
    }
    if (!options.bearer) return NeedCredentials("Bearer tokens are not accepted by this node");
    QL_ASSIGN_OR_RETURN(ident::Caller caller, options.bearer(rest));
    caller.method = "bearer";
    return caller;
  }
  if (HasScheme(*header, "handle", &rest)) return AuthenticateSession(options, *header, rest);
  // The message predates the Handle scheme; clients and tests match it.
  return NeedCredentials(absl::StrCat("Authorization must use the Basic scheme (",
                                      std::string(kCredentialForm),
                                      ") or the Bearer scheme"));
}

absl::StatusOr<HandleAuthorization> ParseHandleAuthorization(std::string_view in) {
  HandleAuthorization out;
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < in.size() && (in[i] == ' ' || in[i] == '\t')) ++i;
  };
  skip_spaces();
  if (i == in.size()) return BadHandleHeader("has no parameters");
  bool need_comma = false;
  while (true) {
    skip_spaces();
    if (i == in.size()) break;
    if (need_comma) return BadHandleHeader("parameters must be separated by commas");
    const size_t name_start = i;
    while (i < in.size() && IsTokenChar(in[i])) ++i;
    if (i == name_start) {
      return BadHandleHeader(absl::StrCat("expects a parameter name at offset ", name_start));
    }
    const std::string shown(in.substr(name_start, std::min<size_t>(i - name_start, 32)));
    const std::string name = absl::AsciiStrToLower(std::string(in.substr(name_start, i - name_start)));
    skip_spaces();
    if (i == in.size() || in[i] != '=') {
      return BadHandleHeader(absl::StrCat("parameter ", shown, " has no value"));
    }
    ++i;
    skip_spaces();
    std::string value;
    if (i < in.size() && in[i] == '"') {
      ++i;
      bool closed = false;
      while (i < in.size()) {
        char c = in[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == in.size()) break;
          c = in[i++];
        }
        value.push_back(c);
      }
      if (!closed) {
        return BadHandleHeader(absl::StrCat("parameter ", shown, " has an unterminated quoted value"));
      }
    } else {
      const size_t value_start = i;
      while (i < in.size() && IsTokenChar(in[i])) ++i;
      if (i == value_start) return BadHandleHeader(absl::StrCat("parameter ", shown, " has no value"));
      value = std::string(in.substr(value_start, i - value_start));
    }
    skip_spaces();
    need_comma = true;
    while (i < in.size() && in[i] == ',') {
      need_comma = false;
      ++i;
      skip_spaces();
    }
    std::optional<std::string>* field = nullptr;
    if (name == "version") field = &out.version;
    else if (name == "sessionid") field = &out.session_id;
    else if (name == "id") field = &out.id;
    else if (name == "cnonce") field = &out.cnonce;
    else if (name == "type") field = &out.type;
    else if (name == "alg") field = &out.alg;
    else if (name == "signature") field = &out.signature;
    else if (name == "salt") field = &out.salt;
    else if (name == "iterations") field = &out.iterations;
    else if (name == "length") field = &out.length;
    if (field == nullptr) continue;  // Handle.Net ignores names it does not know
    if (field->has_value()) return BadHandleHeader(absl::StrCat("repeats ", shown));
    if (field == &out.id) {
      // The id is percent-encoded when it holds characters a token cannot.
      std::optional<std::string> decoded = PercentDecode(value, /*plus_is_space=*/false);
      if (!decoded.has_value()) return BadHandleHeader("id is not valid percent-encoding");
      value = *std::move(decoded);
    }
    *field = std::move(value);
  }
  return out;
}

std::optional<HandleAuthorization> HandleAuthorizationOf(const net::HttpRequest& request) {
  const std::string* header = request.Header("authorization");
  std::string_view rest;
  if (header == nullptr || !HasScheme(*header, "handle", &rest)) return std::nullopt;
  absl::StatusOr<HandleAuthorization> parsed = ParseHandleAuthorization(rest);
  if (!parsed.ok()) return std::nullopt;
  return *std::move(parsed);
}

std::string BasicAuthorization(const ident::AdminIdentity& identity, std::string_view secret) {
  return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(identity.index, "%3A",
                                                                identity.handle, ":",
                                                                std::string(secret))));
}

std::string ClaimedActor(const net::HttpRequest& request) {
  return ClaimedActor(CredentialOptions{}, request);
}

std::string ClaimedActor(const CredentialOptions& options, const net::HttpRequest& request) {
  const std::string* header = request.Header("authorization");
  std::string_view rest;
  std::string decoded;  // "user:secret", as Basic carries it
  if (header == nullptr) {
    decoded = InfluxQueryCredentials(request);
    if (decoded.empty()) return "";
  } else if (HasScheme(*header, "token", &rest)) {
    decoded = std::string(absl::StripAsciiWhitespace(absl::string_view(rest.data(), rest.size())));
  } else if (HasScheme(*header, "bearer", &rest)) {
    if (rest.starts_with(security::events::kSensorTokenPrefix)) {
      return security::events::SensorActorOf(rest);
    }
    return options.bearer_actor ? options.bearer_actor(rest) : "bearer";
  } else if (HasScheme(*header, "handle", &rest)) {
    absl::StatusOr<HandleAuthorization> parsed = ParseHandleAuthorization(rest);
    if (!parsed.ok() || !parsed->id.has_value()) return "";
    std::optional<ident::AdminIdentity> who = ident::ParseIdentityText(*parsed->id);
    return who.has_value() ? ident::IdentityText(*who) : "";
  }
  if (decoded.empty()) {
    if (!HasScheme(*header, "basic", &rest)) return "";
    if (!absl::Base64Unescape(std::string(rest), &decoded)) return "";
  }
  size_t colon = decoded.find(':');
  std::optional<std::string> user = PercentDecode(decoded.substr(0, colon), false);
  if (!user.has_value()) return "";
  if (user->find(':') != std::string::npos) return *user;
  // The literal form "<index>:<handle>:<secret>".
  size_t next = colon == std::string::npos ? colon : decoded.find(':', colon + 1);
  return next == std::string::npos ? *user : decoded.substr(0, next);
}

}  // namespace qilian::api
