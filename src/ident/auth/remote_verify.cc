#include "ident/auth/remote_verify.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/sockaddr.h"
#include "core/status.h"
#include "core/unique_fd.h"
#include "ident/auth/challenge_answer.h"
#include "ident/auth/public_key.h"
#include "ident/auth/secret_key.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/handle_name.h"
#include "ident/operation.h"
#include "ident/reply_certifier.h"
#include "ident/resolver/site_selection.h"
#include "ident/resolver/upstream.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"
#include "ident/wire/envelope.h"

namespace qilian::ident::auth {
namespace {

constexpr std::string_view kPrefixOfPrefixes = "0.NA";

bool IsPrefixOfPrefixes(std::string_view prefix) {
  if (prefix.size() != kPrefixOfPrefixes.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = prefix[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != kPrefixOfPrefixes[i]) return false;
  }
  return true;
}

absl::Status BadRequest(std::string_view why) {
  return HandleError(ResponseCode::kInvalidCredential,
                     absl::StrCat("verification request: ", std::string(why)));
}

// The HS_SECKEY secrets of `handle` that may have made the answer: the one
// at `index`, or every one when `index` is 0. Empty when the node has none.
absl::StatusOr<std::vector<std::string>> SecretsOf(const Registry& registry,
                                                   std::string_view handle, uint32_t index) {
  std::vector<std::string> secrets;
  if (index != 0) {
    QL_ASSIGN_OR_RETURN(std::optional<std::string> secret,
                        LookUpSecretKey(registry, handle, index));
    if (secret.has_value()) secrets.push_back(std::move(*secret));
    return secrets;
  }
  ValueFilter filter;
  filter.types = {std::string(kTypeSecKey)};
  absl::StatusOr<HandleRecord> record = registry.Get(handle, filter);
  if (!record.ok()) {
    // The same "not here" rule as LookUpSecretKey: only storage failures
    // are errors.
    ResponseCode code = ResponseCodeOf(record.status());
    if (code == ResponseCode::kHandleNotFound || code == ResponseCode::kValuesNotFound ||
        code == ResponseCode::kServerNotResponsible || code == ResponseCode::kInvalidHandle ||
        code == ResponseCode::kPrefixReferral) {
      return secrets;
    }
    return record.status();
  }
  for (const HandleValue& v : record->values) {
    if (v.type == kTypeSecKey) secrets.push_back(v.data);
  }
  return secrets;
}

// Milliseconds left until `deadline`, at least 0, rounded up.
int MillisLeft(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
}


// Why an exchange failed at transport level (a message for the caller).
struct Failure {
  std::string why;
  bool bad_reply = false;  // the peer answered, but not with our reply
};

absl::StatusOr<size_t> ReadSome(int fd, char* out, size_t n, absl::Time deadline) {
  for (;;) {
    ssize_t r = ::recv(fd, out, n, 0);
    if (r > 0) return static_cast<size_t>(r);
    if (r == 0) return absl::UnavailableError("connection closed before the whole reply");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("receive failed: ", std::strerror(errno)));
    }
    int ms = MillisLeft(deadline);
    if (ms == 0) return absl::DeadlineExceededError("no reply in time");
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, ms);
  }
}

bool ReadFull(int fd, char* out, size_t n, absl::Time deadline, std::string* why) {
  size_t got = 0;
  while (got < n) {
    absl::StatusOr<size_t> r = ReadSome(fd, out + got, n - got, deadline);
    if (!r.ok()) {
      *why = std::string(r.status().message());
      return false;
    }
    got += *r;
  }
  return true;
}

// Sends `request` to address:port over TCP and reads one whole reply
// message (envelope + rest), all before `deadline`.
absl::StatusOr<std::string> ExchangeTcp(const std::string& address, uint16_t port,
                                        std::string_view request, absl::Time deadline,
                                        size_t max_reply_bytes, Failure* failure) {
  auto fail = [&](std::string why, bool bad_reply = false) {
    failure->why = std::move(why);
    failure->bad_reply = bad_reply;
    return absl::UnavailableError(failure->why);
  };
  sockaddr_storage to{};
  socklen_t to_len = 0;
  if (!ParseSockaddr(address, port, &to, &to_len)) return fail("not an IP address");
  UniqueFd fd(::socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return fail(absl::StrCat("socket: ", std::strerror(errno)));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), to_len) != 0) {
    if (errno != EINPROGRESS) return fail(absl::StrCat("connect: ", std::strerror(errno)));
    pollfd p{fd.get(), POLLOUT, 0};
    int ready = ::poll(&p, 1, MillisLeft(deadline));
    if (ready <= 0) return fail("connect timed out");
    int err = 0;
    socklen_t err_len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) return fail(absl::StrCat("connect: ", std::strerror(err)));
  }
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t r = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (r > 0) {
      sent += static_cast<size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return fail(absl::StrCat("send: ", std::strerror(errno)));
    }
    int ms = MillisLeft(deadline);
    if (ms == 0) return fail("send timed out");
    pollfd p{fd.get(), POLLOUT, 0};
    ::poll(&p, 1, ms);
  }
  std::string reply(wire::kEnvelopeSize, '\0');
  std::string why;
  if (!ReadFull(fd.get(), reply.data(), wire::kEnvelopeSize, deadline, &why)) return fail(why);
  wire::Envelope envelope;
  if (!wire::DecodeEnvelope(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply.data()), reply.size()),
          &envelope)) {
    return fail("reply envelope does not decode", true);
  }
  if (envelope.message_length > max_reply_bytes) {
    return fail(absl::StrCat("reply of ", envelope.message_length, " octets exceeds ",
                             max_reply_bytes),
                true);
  }
  reply.resize(wire::kEnvelopeSize + envelope.message_length);
  if (!ReadFull(fd.get(), reply.data() + wire::kEnvelopeSize, envelope.message_length, deadline,
                &why)) {
    return fail(why);
  }
  return reply;
}

// The TCP port of a server's interface that takes a 201: any TCP interface
// (Handle.Net accepts 201 on admin and query interfaces alike); 0 if none.
uint16_t TcpPortOf(const SiteServer& server) {
  uint16_t any = 0;
  for (const SiteInterface& i : server.interfaces) {
    if (i.protocol != 1 || i.port == 0 || i.port > 0xffff) continue;
    if (i.service_type & 0x02) return static_cast<uint16_t>(i.port);
    if (any == 0) any = static_cast<uint16_t>(i.port);
  }
  return any;
}


}  // namespace

absl::StatusOr<std::string> HomePrefixOf(std::string_view handle) {
  QL_ASSIGN_OR_RETURN(HandleName name, ParseHandle(handle));
  if (IsPrefixOfPrefixes(name.prefix)) return name.suffix;
  return name.prefix;
}

bool IsHomedHere(const Registry& registry, std::string_view handle) {
  absl::StatusOr<HandleName> name = ParseHandle(handle);
  if (!name.ok()) return false;
  if (registry.IsAuthoritativeFor(name->prefix)) return true;
  return IsPrefixOfPrefixes(name->prefix) && registry.IsAuthoritativeFor(name->suffix);
}

absl::StatusOr<bool> AnswerVerification(const Registry& registry, const wire::RequestBody& body) {
  if (body.key_handle.empty()) return BadRequest("empty key handle");
  if (body.nonce.empty()) return BadRequest("empty nonce");
  if (body.digest.empty()) return BadRequest("empty request digest");
  if (body.signature.empty()) return BadRequest("empty answer");
  absl::StatusOr<HandleName> name = ParseHandle(body.key_handle);
  if (!name.ok()) {
    return BadRequest(absl::StrCat("key handle: ", std::string(name.status().message())));
  }
  if (!IsHomedHere(registry, body.key_handle)) {
    const std::string& served = IsPrefixOfPrefixes(name->prefix) ? name->suffix : name->prefix;
    // The registry's own words for "not here", so every door says the same.
    return HandleError(ResponseCode::kServerNotResponsible,
                       absl::StrCat("this node is not responsible for prefix '", served, "'"));
  }
  // Malformed answers are the asker's fault whatever the secret is.
  QL_RETURN_IF_ERROR(ParseSecretKeyAnswer(body.signature).status());
  QL_ASSIGN_OR_RETURN(std::vector<std::string> secrets,
                      SecretsOf(registry, body.key_handle, body.key_index));
  for (const std::string& secret : secrets) {
    absl::Status s = VerifySecretKeyAnswer(secret, body.nonce, body.digest, body.signature);
    if (s.ok()) return true;
    if (ResponseCodeOf(s) != ResponseCode::kAuthenticationFailed) return s;
  }
  return false;
}

SiteLookup FixedSites(std::vector<SiteInfo> sites) {
  return [sites = std::move(sites)](std::string_view) -> absl::StatusOr<std::vector<SiteInfo>> {
    if (sites.empty()) return absl::NotFoundError("no sites configured");
    return sites;
  };
}

absl::StatusOr<std::vector<SiteInfo>> SitesOfValues(const std::vector<HandleValue>& values) {
  std::vector<SiteInfo> sites;
  for (const HandleValue& v : values) {
    if (v.type != kTypeSite && v.type != "HS_SITE.PREFIX") continue;
    ByteReader in(v.data);
    SiteInfo site;
    if (!DecodeSite(&in, &site) || site.servers.empty()) continue;
    sites.push_back(std::move(site));
  }
  if (sites.empty()) return absl::NotFoundError("no usable HS_SITE value");
  return sites;
}

RemoteVerifier::RemoteVerifier(SiteLookup lookup, MetricsRegistry* metrics,
                               RemoteVerifierOptions options)
    : lookup_(std::move(lookup)), options_(options) {
  auto counter = [metrics](std::string result) {
    return &metrics->GetCounter("qilian_auth_remote_verifications_total",
                                "Secret-key answers verified at the identity's home node "
                                "(opcode 201), by outcome",
                                {{"result", std::move(result)}});
  };
  verified_ = counter("verified");
  not_verified_ = counter("not_verified");
  refused_ = counter("refused");
  no_site_ = counter("no_site");
  unreachable_ = counter("unreachable");
  bad_reply_ = counter("bad_reply");
  malformed_ = counter("malformed");
  busy_ = counter("busy");
}

absl::Status RemoteVerifier::Verify(const AdminIdentity& who, std::string_view nonce,
                                    std::string_view digest, std::string_view answer) {
  const std::string identity = IdentityText(who);
  // A malformed answer is refused here, as the local check would refuse it,
  // without a round trip.
  if (absl::Status s = ParseSecretKeyAnswer(answer).status(); !s.ok()) {
    malformed_->Inc();
    return s;
  }
  absl::StatusOr<std::string> prefix = HomePrefixOf(who.handle);
  if (!prefix.ok()) {
    malformed_->Inc();
    return HandleError(ResponseCode::kInvalidCredential,
                       absl::StrCat("cannot verify ", identity, ": ",
                                    std::string(prefix.status().message())));
  }

  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1);
    busy_->Inc();
    return HandleError(ResponseCode::kServerBusy, "too many remote verifications in flight");
  }
  struct Release {
    std::atomic<size_t>* n;
    ~Release() { n->fetch_sub(1); }
  } release{&in_flight_};

  absl::StatusOr<std::vector<SiteInfo>> sites = lookup_(*prefix);
  if (!sites.ok() || sites->empty()) {
    no_site_->Inc();
    std::string why = sites.ok() ? std::string("none found") : std::string(sites.status().message());
    return HandleError(ResponseCode::kError, absl::StrCat("cannot verify ", identity,
                                                          ": no home site for prefix '", *prefix,
                                                          "' (", why, ")"));
  }

  // The responsible server of every site first (the hash rule every client
  // and server agrees on), then the others, so that one dead server moves
  // on to a replica.
  std::vector<const SiteServer*> order;
  std::vector<std::vector<size_t>> per_site;
  size_t longest = 0;
  for (const SiteInfo& site : *sites) {
    per_site.push_back(resolver::ServerOrder(site, who.handle));
    longest = std::max(longest, per_site.back().size());
  }
  for (size_t rank = 0; rank < longest && order.size() < options_.max_servers; ++rank) {
    for (size_t s = 0; s < sites->size() && order.size() < options_.max_servers; ++s) {
      if (rank < per_site[s].size()) order.push_back(&(*sites)[s].servers[per_site[s][rank]]);
    }
  }

  wire::RequestBody body;
  body.key_handle = who.handle;
  body.key_index = who.index;
  body.nonce = std::string(nonce);
  body.digest = std::string(digest);
  body.signature = std::string(answer);
  wire::MessageHeader header;
  header.op_code = static_cast<uint32_t>(OpCode::kVerifyResponse);
  // RD binds the reply to this very request: the home echoes the digest of
  // what it was asked.
  header.op_flags = op_flag::kReturnDigest;
  const std::string request_body = wire::EncodeRequestBody(OpCode::kVerifyResponse, body);

  const absl::Time deadline = absl::Now() + options_.timeout;
  std::string last_server;
  std::string last_why = "no server with a TCP interface";
  // How the last server failed, for the metric.
  enum class Outcome { kUnreachable, kBadReply, kRefused } last = Outcome::kUnreachable;
  for (const SiteServer* server : order) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      last_why = "out of time";
      last = Outcome::kUnreachable;
      break;
    }
    resolver::ServerEndpoint endpoint = resolver::EndpointOf(*server);
    const uint16_t port = TcpPortOf(*server);
    last_server = absl::StrCat(endpoint.address.find(':') == std::string::npos
                                   ? endpoint.address
                                   : absl::StrCat("[", endpoint.address, "]"),
                               ":", port);
    if (port == 0) {
      last_why = "no TCP interface";
      last = Outcome::kUnreachable;
      continue;
    }
    // A server whose HS_SITE record carries its key is asked to sign (CT)
    // and must; one without a key can only be believed unsigned.
    const bool certified = !server->public_key.empty();
    if (!certified && options_.require_signed_replies) {
      last_why = "no public key in its HS_SITE record to check a signed reply with";
      last = Outcome::kUnreachable;
      continue;
    }
    wire::MessageHeader asked = header;
    if (certified) asked.op_flags |= op_flag::kCertified;
    wire::Envelope envelope;
    envelope.flags = wire::kOwnVersionFlag;
    envelope.request_id = resolver::RandomRequestId();
    const std::string message = wire::EncodeMessage(envelope, asked, request_body);
    // What the home's RD covers: our header and body (after the envelope).
    std::string_view header_and_body =
        std::string_view(message).substr(wire::kEnvelopeSize, wire::kHeaderSize + request_body.size());

    Failure failure;
    absl::StatusOr<std::string> reply =
        ExchangeTcp(endpoint.address, port, message,
                    std::min(deadline, now + options_.per_server_timeout),
                    options_.max_reply_bytes, &failure);
    if (!reply.ok()) {
      last_why = failure.why;
      last = failure.bad_reply ? Outcome::kBadReply : Outcome::kUnreachable;
      continue;
    }
    absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(*reply);
    auto bad = [&](std::string why) {
      last_why = std::move(why);
      last = Outcome::kBadReply;
    };
    if (!raw.ok()) {
      bad(absl::StrCat("malformed reply (", std::string(raw.status().message()), ")"));
      continue;
    }
    if (raw->envelope.request_id != envelope.request_id) {
      bad("reply for another request id");
      continue;
    }
    if (certified) {
      if (absl::Status s = VerifyCertifiedReply(*raw, server->public_key); !s.ok()) {
        bad(std::string(s.message()));
        continue;
      }
    }
    if (raw->header.op_code != header.op_code || raw->header.response_code == 0) {
      bad(absl::StrCat("reply with opcode ", raw->header.op_code, " and response code ",
                       raw->header.response_code));
      continue;
    }
    const auto code = static_cast<ResponseCode>(raw->header.response_code);
    absl::StatusOr<wire::ResponseBody> decoded = wire::DecodeResponseBody(
        OpCode::kVerifyResponse, code, raw->header.op_flags, raw->body);
    if (!decoded.ok()) {
      bad(absl::StrCat("malformed reply (", std::string(decoded.status().message()), ")"));
      continue;
    }
    if ((raw->header.op_flags & op_flag::kReturnDigest) == 0) {
      bad("reply without the request digest asked for");
      continue;
    }
    if (wire::DigestSize(decoded->digest.algorithm) == 0 ||
        decoded->digest.digest != wire::ComputeDigest(decoded->digest.algorithm, header_and_body)) {
      bad("reply digest does not match the request");
      continue;
    }
    if (code == ResponseCode::kSuccess) {
      if (decoded->verified) {
        verified_->Inc();
        return absl::OkStatus();
      }
      not_verified_->Inc();
      return HandleError(ResponseCode::kAuthenticationFailed,
                         absl::StrCat("secret key answer does not match (verified by ",
                                      last_server, ")"));
    }
    if (code == ResponseCode::kServerBusy || code == ResponseCode::kServerNotResponsible) {
      // Another server of the site (or another site) may take it.
      last_why = absl::StrCat("answered ", static_cast<uint32_t>(code), " (", decoded->message,
                              ")");
      last = Outcome::kRefused;
      continue;
    }
    refused_->Inc();
    if (code == ResponseCode::kInvalidCredential) {
      return HandleError(ResponseCode::kInvalidCredential,
                         absl::StrCat(decoded->message, " (from ", last_server, ")"));
    }
    return HandleError(ResponseCode::kAuthenticationFailed,
                       absl::StrCat("cannot authenticate ", identity, ": ", last_server,
                                    " answered ", static_cast<uint32_t>(code), " (",
                                    decoded->message, ")"));
  }
  (last == Outcome::kBadReply ? bad_reply_
   : last == Outcome::kRefused ? refused_
                               : unreachable_)
      ->Inc();
  if (last_server.empty()) last_server = absl::StrCat("prefix '", *prefix, "'");
  return HandleError(ResponseCode::kError, absl::StrCat("cannot verify ", identity,
                                                        " at its home ", last_server, ": ",
                                                        last_why));
}

AnswerCheck HomeAwareAnswerCheck(const Registry* registry, RemoteVerifier* remote) {
  return [registry, remote](const wire::RequestBody& body, std::string_view nonce,
                            std::string_view digest) -> absl::Status {
    if (remote != nullptr && body.auth_type == kTypeSecKey && ParseHandle(body.key_handle).ok() &&
        !IsHomedHere(*registry, body.key_handle)) {
      return remote->Verify(AdminIdentity{body.key_handle, body.key_index}, nonce, digest,
                            body.answer);
    }
    return VerifyChallengeAnswer(*registry, body.auth_type, body.key_handle, body.key_index, nonce,
                                 digest, body.answer);
  };
}

}  // namespace qilian::ident::auth
