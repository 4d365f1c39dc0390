#include "api/session_routes.h"

#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/credentials.h"
#include "api/route_handlers.h"
#include "core/status.h"
#include "ident/auth/nonce.h"
#include "ident/response_code.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;

absl::Status UnknownSession() {
  return HandleError(ResponseCode::kAuthenticationTimeout, "session is unknown or has expired");
}

RestSessions::RestSessions(const Clock& clock, RestSessionOptions options)
    : clock_(clock), options_(std::move(options)) {}

bool RestSessions::LiveLocked(const Entry& entry, absl::Time now) const {
  return now - entry.last_used < options_.max_idle;
}

void RestSessions::SweepLocked(absl::Time now) {
  std::vector<std::string> dead;
  for (const auto& [id, entry] : sessions_) {
    if (!LiveLocked(entry, now)) dead.push_back(id);
  }
  for (const std::string& id : dead) sessions_.erase(id);
}

absl::StatusOr<RestSession> RestSessions::Create(std::optional<ident::AdminIdentity> identity) {
  RestSession session;
  if (options_.make_nonce) {
    session.nonce = options_.make_nonce();
  } else {
    QL_ASSIGN_OR_RETURN(session.nonce, ident::auth::GenerateNonce());
  }
  // The id is a bearer secret once the session is authenticated: as many
  // random octets as a nonce.
  QL_ASSIGN_OR_RETURN(std::string raw_id, ident::auth::GenerateNonce(ident::auth::kMinNonceBytes));
  session.id = absl::BytesToHexString(raw_id);
  session.identity = std::move(identity);
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (sessions_.size() >= options_.max_sessions) SweepLocked(now);
  if (sessions_.size() >= options_.max_sessions) {
    return HandleError(ResponseCode::kServerBusy, "too many sessions");
  }
  sessions_[session.id] = Entry{session, now};
  return session;
}

std::optional<RestSession> RestSessions::Find(std::string_view id) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return std::nullopt;
  if (!LiveLocked(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second.session;
}

absl::Status RestSessions::Bind(std::string_view id, const ident::AdminIdentity& identity,
                                std::string_view authorization) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || !LiveLocked(it->second, now)) return UnknownSession();
  RestSession& session = it->second.session;
  if (session.nonce_used) {
    return HandleError(ResponseCode::kAuthenticationFailed,
                       "the nonce of this session has already been used");
  }
  session.nonce_used = true;
  session.identity = identity;
  session.authorization = std::string(authorization);
  it->second.last_used = now;
  return absl::OkStatus();
}

bool RestSessions::Remove(std::string_view id) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end()) return false;
  const bool live = LiveLocked(it->second, now);
  sessions_.erase(it);
  return live;
}

size_t RestSessions::size() {
  absl::MutexLock lock(&mu_);
  SweepLocked(clock_.Now());
  return sessions_.size();
}

std::optional<std::string> HandleSessionIdOf(const net::HttpRequest& request) {
  std::optional<HandleAuthorization> auth = HandleAuthorizationOf(request);
  if (!auth.has_value()) return std::nullopt;
  return auth->session_id;
}

namespace {

// Handle.Net's SessionsServlet representation; "authenticated" is always
// present here (Handle.Net leaves it out when false and a session exists).
nlohmann::json Representation(const RestSession& session) {
  nlohmann::json body = {{"sessionId", session.id},
                         {"nonce", absl::Base64Escape(session.nonce)},
                         {"authenticated", session.identity.has_value()}};
  if (session.identity.has_value()) body["id"] = ident::IdentityText(*session.identity);
  return body;
}

}  // namespace

net::HttpResponse HandleSessionRoute(RestSessions* sessions, Call* call, RouteId route) {
  if (sessions == nullptr) {
    call->SetReason("not_enabled");
    return ErrorResponse(call,
                         HandleError(ResponseCode::kOperationNotSupported,
                                     "REST sessions are not enabled on this node"),
                         "", 501);
  }
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ErrorResponse(call, s, "");
  const net::HttpRequest& request = *call->request;
  const std::optional<std::string> session_id = HandleSessionIdOf(request);

  if (route == RouteId::kSessions) {  // POST /api/sessions
    if (session_id.has_value()) {
      return ErrorResponse(call,
                           call->Reject("bad_request",
                                        HandleError(ResponseCode::kProtocolError,
                                                    "POST /api/sessions starts a new session; "
                                                    "send no sessionId")),
                           "");
    }
    // Basic credentials on the POST authenticate the new session at once.
    std::optional<ident::AdminIdentity> identity;
    if (call->caller.method == "basic") identity = call->caller.identity;
    absl::StatusOr<RestSession> session = sessions->Create(std::move(identity));
    if (!session.ok()) return ErrorResponse(call, session.status(), "");
    net::HttpResponse response = JsonResponse(201, Representation(*session));
    response.headers.emplace_back("Location", "/api/sessions/this");
    return response;
  }

  // /api/sessions/this
  if (!session_id.has_value()) {
    if (request.method == "DELETE") {
      return ErrorResponse(call,
                           HandleError(ResponseCode::kAuthenticationNeeded,
                                       "DELETE /api/sessions/this needs Authorization: Handle "
                                       "sessionId=\"...\""),
                           "");
    }
    // What Handle.Net answers a request in no session.
    return JsonResponse(200, {{"authenticated", false}});
  }
  if (request.method == "DELETE") {
    if (!sessions->Remove(*session_id)) return ErrorResponse(call, UnknownSession(), "");
    net::HttpResponse response;
    response.status = 204;
    response.content_type.clear();
    return response;
  }
  // GET, and PUT/POST (which Handle.Net's clients use to authenticate; the
  // router has done that already).
  std::optional<RestSession> session = sessions->Find(*session_id);
  if (!session.has_value()) return ErrorResponse(call, UnknownSession(), "");
  return JsonResponse(200, Representation(*session));
}

}  // namespace qilian::api
