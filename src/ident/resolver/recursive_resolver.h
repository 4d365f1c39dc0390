// Recursive resolution of handles this node does not hold (issue 4): the
// node asks the Handle System on a client's behalf, as a DNS recursive
// resolver does, and caches what it learns.
//
// To resolve prefix/suffix the resolver finds the site serving the prefix
// by asking the configured root sites for the prefix handle 0.NA/<prefix>,
// following 303 prefix referrals (the values of a referral say which site
// to ask next: HS_SITE.PREFIX, HS_SITE, or HS_SERV naming a service handle
// that holds them) until some site answers with the prefix handle's
// record. Its HS_SITE values name the sites serving the prefix; within a
// site the server is chosen by the HS_SITE hash rule (site_selection.h),
// and the handle is resolved there, following referrals again if needed.
//
// Guarantees:
// - bounded: at most `max_referrals` referrals (HS_SERV indirections
//   included) per resolution, past which the answer is
//   ResponseCode::kRecursionLimitExceeded (6); a referral back to a site
//   already asked for the same name is a loop, answered kError at once;
// - single-flight: concurrent Resolve calls for the same (handle, filter)
//   share one upstream walk;
// - at most `max_in_flight` upstream queries at once (more: kServerBusy);
// - a server that is silent, slow or answers garbage costs one query
//   timeout, then the next server of the site (and then the next site) is
//   asked; when all fail, DeadlineExceeded (ResponseCode kError), unless
//   a stale answer may be served (cache.h);
// - answers come from the cache (cache.h) while fresh; popular entries
//   are refreshed in the background before they expire.
#ifndef QILIAN_IDENT_RESOLVER_RECURSIVE_RESOLVER_H_
#define QILIAN_IDENT_RESOLVER_RECURSIVE_RESOLVER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "ident/handle_value.h"
#include "ident/resolver/cache.h"
#include "ident/resolver/upstream.h"

namespace qilian::ident::resolver {

// Runs a task later, on some other thread.
using Executor = std::function<void(std::function<void()>)>;

struct ResolverOptions {
  // Where every walk starts: the global root or this deployment's top
  // level node. ParseRootSites turns "address:port" strings into sites.
  std::vector<SiteInfo> roots;
  uint32_t max_referrals = 8;
  size_t max_in_flight = 256;
  CacheOptions cache;
  // Runs prefetches. Empty: the resolver's own background thread. A given
  // executor must not run tasks after the resolver is destroyed.
  Executor background;
};

// Parses root entries "127.0.0.1:2641" or "[::1]:2641" (UDP and TCP on
// that port) into one-server sites. InvalidArgument naming the entry.
absl::StatusOr<std::vector<SiteInfo>> ParseRootSites(const std::vector<std::string>& entries);

struct ResolveFilter {
  std::vector<uint32_t> indexes;
  std::vector<std::string> types;
};

// What a resolution returns; errors come back as Status with the Handle
// response code (response_code.h).
struct Resolution {
  std::string handle;
  std::vector<HandleValue> values;
  bool from_cache = false;
  bool stale = false;  // served past its TTL because no upstream answered
};

class RecursiveResolver {
 public:
  RecursiveResolver(ResolverOptions options, Upstream& upstream, const Clock& clock,
                    MetricsRegistry& metrics);
  ~RecursiveResolver();

  RecursiveResolver(const RecursiveResolver&) = delete;
  RecursiveResolver& operator=(const RecursiveResolver&) = delete;

  // Errors: kInvalidHandle for a malformed handle; the upstream's 100/200
  // (and other codes) with its message; kRecursionLimitExceeded; kError
  // for a referral loop or a referral without a usable site;
  // kServerBusy over the in-flight bound; DeadlineExceeded when no server
  // answered.
  absl::StatusOr<Resolution> Resolve(std::string_view handle, const ResolveFilter& filter = {});

  ResolverCache& cache() { return cache_; }

 private:
  struct Flight;
  struct Walk;

  absl::StatusOr<Resolution> Fetch(const std::string& handle, const ResolveFilter& filter,
                                   const std::string& key,
                                   const std::optional<ResolverCache::Hit>& stale);
  // Resolves without looking at the answer cache and stores the result.
  absl::StatusOr<CachedAnswer> WalkHandle(const std::string& handle, const ResolveFilter& filter,
                                          const std::string& key);
  absl::StatusOr<std::vector<SiteInfo>> SitesForPrefix(const std::string& prefix, Walk& walk);
  absl::StatusOr<std::vector<SiteInfo>> SitesOfService(const std::string& service_handle,
                                                       bool derived, Walk& walk);
  // Asks `sites` about `request`, following referrals; returns the first
  // non-referral reply.
  absl::StatusOr<wire::ClientReply> AskFollowing(std::vector<SiteInfo> sites,
                                                 const wire::ClientRequest& request, Walk& walk);
  // Asks the servers of `sites` in turn until one answers.
  absl::StatusOr<wire::ClientReply> AskSites(const std::vector<SiteInfo>& sites,
                                             const wire::ClientRequest& request);
  // The sites a referral or prefix record points to.
  absl::StatusOr<std::vector<SiteInfo>> SitesFromValues(const std::vector<HandleValue>& values,
                                                        bool referral, Walk& walk);
  void ScheduleRefresh(const std::string& handle, const ResolveFilter& filter,
                       const std::string& key);
  void BackgroundLoop();

  ResolverOptions options_;
  Upstream& upstream_;
  const Clock& clock_;
  ResolverCache cache_;
  std::atomic<size_t> in_flight_{0};

  std::mutex flights_mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Flight>> flights_;

  // The default background executor.
  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  std::deque<std::function<void()>> bg_tasks_;
  bool bg_stop_ = false;
  std::thread bg_thread_;

  Counter& resolutions_;
  Counter& coalesced_;
  Counter& referrals_;
  Counter& stale_served_;
  Counter& prefetches_;
  Counter& recursion_limited_;
  Counter& loops_;
  Counter& upstream_failures_;
  Counter& refused_in_flight_;
};

}  // namespace qilian::ident::resolver

#endif  // QILIAN_IDENT_RESOLVER_RECURSIVE_RESOLVER_H_
