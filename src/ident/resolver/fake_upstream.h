// A scriptable Upstream for tests of the resolver and of whatever wires it
// in: per (server, handle) it answers a canned reply, garbage, silence, or
// holds the query until the test opens a gate. Everything a real upstream
// would report as "no acceptable answer" (garbage, silence) comes back as
// DeadlineExceeded, as NetworkUpstream reports it, without any waiting.
#ifndef QILIAN_IDENT_RESOLVER_FAKE_UPSTREAM_H_
#define QILIAN_IDENT_RESOLVER_FAKE_UPSTREAM_H_

#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ident/resolver/upstream.h"

namespace qilian::ident::resolver {

class FakeUpstream final : public Upstream {
 public:
  enum class Kind { kReply, kGarbage, kSilence, kUnreachable };
  struct Behavior {
    Kind kind = Kind::kSilence;
    wire::ClientReply reply;  // kReply
    // When set, the query blocks until Release() is called (a slow server).
    bool hold = false;
  };
  struct Call {
    ServerEndpoint server;
    UpstreamTransport transport;
    wire::ClientRequest request;
  };

  // Scripts the answer of `server` to questions about `handle` (matched
  // case-insensitively). Unscripted questions get silence.
  void Set(const ServerEndpoint& server, std::string_view handle, Behavior behavior);
  void Reply(const ServerEndpoint& server, std::string_view handle, wire::ClientReply reply);
  void Silence(const ServerEndpoint& server, std::string_view handle);
  void Garbage(const ServerEndpoint& server, std::string_view handle);

  // Held queries wait here until released; WaitForHeld lets a test know
  // that `n` queries are parked.
  void Release();
  void WaitForHeld(size_t n);

  absl::StatusOr<wire::ClientReply> Query(const ServerEndpoint& server,
                                          UpstreamTransport transport,
                                          const wire::ClientRequest& request) override;

  std::vector<Call> calls() const;
  size_t call_count() const;
  // Calls whose request named `handle`.
  size_t CallsFor(std::string_view handle) const;
  size_t garbage_served() const;

 private:
  static std::string Key(const ServerEndpoint& server, std::string_view handle);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Behavior> script_;
  std::vector<Call> calls_;
  size_t held_ = 0;
  bool released_ = false;
  size_t garbage_served_ = 0;
};

// Test helpers: replies as a server sends them.
wire::ClientReply SuccessReply(std::string_view handle, std::vector<HandleValue> values);
wire::ClientReply ErrorReply(ResponseCode code, std::string_view message);
wire::ClientReply ReferralReply(std::string_view handle, std::vector<HandleValue> values);

// An HS_SITE value (index `index`, relative `ttl`) for a site of the given
// servers ("address", udp port = tcp port = `port`), hash option by handle.
HandleValue SiteValue(const std::vector<ServerEndpoint>& servers, uint32_t index = 1,
                      uint32_t ttl = 86400, std::string_view type = kTypeSite);

}  // namespace qilian::ident::resolver

#endif  // QILIAN_IDENT_RESOLVER_FAKE_UPSTREAM_H_
