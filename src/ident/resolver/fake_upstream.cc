#include "ident/resolver/fake_upstream.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ident/site_info.h"
#include "ident/value_codec.h"

namespace qilian::ident::resolver {

std::string FakeUpstream::Key(const ServerEndpoint& server, std::string_view handle) {
  return absl::StrCat(server.ToString(), " ", absl::AsciiStrToUpper(std::string(handle)));
}

void FakeUpstream::Set(const ServerEndpoint& server, std::string_view handle, Behavior behavior) {
  std::lock_guard lock(mu_);
  script_[Key(server, handle)] = std::move(behavior);
}

void FakeUpstream::Reply(const ServerEndpoint& server, std::string_view handle,
                         wire::ClientReply reply) {
  Behavior b;
  b.kind = Kind::kReply;
  b.reply = std::move(reply);
  Set(server, handle, std::move(b));
}

void FakeUpstream::Silence(const ServerEndpoint& server, std::string_view handle) {
  Set(server, handle, Behavior{Kind::kSilence, {}, false});
}

void FakeUpstream::Garbage(const ServerEndpoint& server, std::string_view handle) {
  Set(server, handle, Behavior{Kind::kGarbage, {}, false});
}

void FakeUpstream::Release() {
  std::lock_guard lock(mu_);
  released_ = true;
  cv_.notify_all();
}

void FakeUpstream::WaitForHeld(size_t n) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return held_ >= n; });
}

absl::StatusOr<wire::ClientReply> FakeUpstream::Query(const ServerEndpoint& server,
                                                      UpstreamTransport transport,
                                                      const wire::ClientRequest& request) {
  Behavior behavior;
  {
    std::unique_lock lock(mu_);
    calls_.push_back(Call{server, transport, request});
    auto it = script_.find(Key(server, request.handle));
    if (it != script_.end()) behavior = it->second;
    if (behavior.hold) {
      ++held_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    }
    if (behavior.kind == Kind::kGarbage) ++garbage_served_;
  }
  switch (behavior.kind) {
    case Kind::kReply: {
      wire::ClientReply reply = behavior.reply;
      reply.op = request.op;
      return reply;
    }
    case Kind::kUnreachable:
      return absl::UnavailableError(absl::StrCat("cannot connect to ", server.ToString()));
    case Kind::kGarbage:
    case Kind::kSilence:
      break;
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no answer from ", server.ToString(), " over ",
                   std::string(UpstreamTransportName(transport))));
}

std::vector<FakeUpstream::Call> FakeUpstream::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

size_t FakeUpstream::call_count() const {
  std::lock_guard lock(mu_);
  return calls_.size();
}

size_t FakeUpstream::CallsFor(std::string_view handle) const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const Call& c : calls_) n += absl::EqualsIgnoreCase(c.request.handle, std::string(handle));
  return n;
}

size_t FakeUpstream::garbage_served() const {
  std::lock_guard lock(mu_);
  return garbage_served_;
}

wire::ClientReply SuccessReply(std::string_view handle, std::vector<HandleValue> values) {
  wire::ClientReply reply;
  reply.op = OpCode::kResolution;
  reply.code = ResponseCode::kSuccess;
  reply.handle = std::string(handle);
  reply.values = std::move(values);
  return reply;
}

wire::ClientReply ErrorReply(ResponseCode code, std::string_view message) {
  wire::ClientReply reply;
  reply.op = OpCode::kResolution;
  reply.code = code;
  reply.error_message = std::string(message);
  return reply;
}

wire::ClientReply ReferralReply(std::string_view handle, std::vector<HandleValue> values) {
  wire::ClientReply reply = SuccessReply(handle, std::move(values));
  reply.code = ResponseCode::kPrefixReferral;
  return reply;
}

HandleValue SiteValue(const std::vector<ServerEndpoint>& servers, uint32_t index, uint32_t ttl,
                      std::string_view type) {
  SiteInfo site;
  site.hash_option = kSiteHashByHandle;
  uint32_t id = 1;
  for (const ServerEndpoint& e : servers) {
    SiteServer s;
    s.server_id = id++;
    ParseSiteAddress(e.address, &s.address);
    if (e.tcp_port) s.interfaces.push_back({site_service::kAdminAndQuery, site_protocol::kTcp, e.tcp_port});
    if (e.udp_port) s.interfaces.push_back({site_service::kQuery, site_protocol::kUdp, e.udp_port});
    site.servers.push_back(std::move(s));
  }
  HandleValue v;
  v.index = index;
  v.type = std::string(type);
  v.data = EncodeSiteData(site);
  v.ttl = ttl;
  return v;
}

}  // namespace qilian::ident::resolver
