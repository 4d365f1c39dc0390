#include "ident/resolver/recursive_resolver.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/resolver/site_selection.h"
#include "ident/response_code.h"
#include "ident/site_info.h"
#include "ident/value_codec.h"

namespace qilian::ident::resolver {
namespace {

constexpr std::string_view kTypeSitePrefix = "HS_SITE.PREFIX";
constexpr std::string_view kTypeServ = "HS_SERV";
constexpr std::string_view kTypeServPrefix = "HS_SERV.PREFIX";
constexpr char kSep = '\x1f';

bool IsReferral(ResponseCode code) {
  return code == ResponseCode::kPrefixReferral || code == ResponseCode::kServiceReferral;
}

bool IsNegative(ResponseCode code) {
  return code == ResponseCode::kHandleNotFound || code == ResponseCode::kValuesNotFound;
}

// Failures that mean "nobody answered": the ones serve-stale covers.
bool IsUnreachable(const absl::Status& s) {
  return s.code() == absl::StatusCode::kDeadlineExceeded ||
         s.code() == absl::StatusCode::kUnavailable;
}

std::string FilterKey(const ResolveFilter& filter) {
  std::vector<uint32_t> indexes = filter.indexes;
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  std::vector<std::string> types = filter.types;
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return absl::StrCat(absl::StrJoin(indexes, ","), std::string(1, kSep),
                      absl::StrJoin(types, std::string(1, '\x1e')));
}

// Prefixes are case-insensitive everywhere; suffixes are kept as asked,
// since the remote server decides whether its suffixes are.
std::string NameKey(const HandleName& name) {
  return absl::StrCat(FoldPrefix(name.prefix), "/", name.suffix);
}

std::string Fingerprint(const std::vector<SiteInfo>& sites) {
  std::vector<std::string> parts;
  for (const SiteInfo& site : sites) {
    for (const SiteServer& server : site.servers) parts.push_back(EndpointOf(server).ToString());
  }
  std::sort(parts.begin(), parts.end());
  return absl::StrJoin(parts, ",");
}

CachedAnswer FromReply(const wire::ClientReply& reply) {
  CachedAnswer a;
  a.code = reply.code;
  a.handle = reply.handle;
  a.values = reply.values;
  a.message = reply.error_message;
  return a;
}

wire::ClientReply ToReply(const CachedAnswer& a) {
  wire::ClientReply r;
  r.op = OpCode::kResolution;
  r.code = a.code;
  r.handle = a.handle;
  r.values = a.values;
  r.error_message = a.message;
  return r;
}

absl::Status ErrorOf(ResponseCode code, const std::string& message) {
  return HandleError(code, message.empty() ? std::string(ResponseCodeName(code)) : message);
}

}  // namespace

struct RecursiveResolver::Flight {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  absl::StatusOr<Resolution> result = absl::UnknownError("unfinished");
};

struct RecursiveResolver::Walk {
  uint32_t referrals = 0;
};

absl::StatusOr<std::vector<SiteInfo>> ParseRootSites(const std::vector<std::string>& entries) {
  std::vector<SiteInfo> sites;
  for (const std::string& entry : entries) {
    std::string host;
    std::string port_text;
    if (!entry.empty() && entry[0] == '[') {
      size_t close = entry.find(']');
      if (close == std::string::npos || close + 1 >= entry.size() || entry[close + 1] != ':') {
        return absl::InvalidArgumentError(absl::StrCat("root \"", entry, "\" is not [address]:port"));
      }
      host = entry.substr(1, close - 1);
      port_text = entry.substr(close + 2);
    } else {
      size_t colon = entry.rfind(':');
      if (colon == std::string::npos || entry.find(':') != colon) {
        return absl::InvalidArgumentError(absl::StrCat("root \"", entry, "\" is not address:port"));
      }
      host = entry.substr(0, colon);
      port_text = entry.substr(colon + 1);
    }
    uint32_t port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("root \"", entry, "\" has no valid port"));
    }
    SiteOptions options;
    options.address = host;
    options.handle_port = static_cast<uint16_t>(port);
    std::array<uint8_t, 16> unused{};
    if (!ParseSiteAddress(host, &unused)) {
      return absl::InvalidArgumentError(
          absl::StrCat("root \"", entry, "\" is not an IP address and port"));
    }
    sites.push_back(BuildSiteInfo(options));
  }
  return sites;
}

RecursiveResolver::RecursiveResolver(ResolverOptions options, Upstream& upstream,
                                     const Clock& clock, MetricsRegistry& metrics)
    : options_(std::move(options)),
      upstream_(upstream),
      clock_(clock),
      cache_(options_.cache, clock, metrics),
      resolutions_(metrics.GetCounter("qilian_resolver_resolutions_total",
                                      "Recursive resolutions asked for.")),
      coalesced_(metrics.GetCounter("qilian_resolver_coalesced_total",
                                    "Resolutions that joined an identical one in flight.")),
      referrals_(metrics.GetCounter("qilian_resolver_referrals_total",
                                    "Referrals (303, 302, HS_SERV) followed.")),
      stale_served_(metrics.GetCounter("qilian_resolver_stale_served_total",
                                       "Expired answers served because no upstream answered.")),
      prefetches_(metrics.GetCounter("qilian_resolver_prefetches_total",
                                     "Popular entries refreshed before they expired.")),
      recursion_limited_(metrics.GetCounter("qilian_resolver_failures_total",
                                            "Resolutions that failed, by reason.",
                                            {{"reason", "referral_limit"}})),
      loops_(metrics.GetCounter("qilian_resolver_failures_total",
                                "Resolutions that failed, by reason.",
                                {{"reason", "referral_loop"}})),
      upstream_failures_(metrics.GetCounter("qilian_resolver_failures_total",
                                            "Resolutions that failed, by reason.",
                                            {{"reason", "no_answer"}})),
      refused_in_flight_(metrics.GetCounter("qilian_resolver_failures_total",
                                            "Resolutions that failed, by reason.",
                                            {{"reason", "in_flight_limit"}})) {
  // Hash once now: OpenSSL loads its configuration and algorithm tables on
  // first use (about 2 ms), which would otherwise land on the first client.
  (void)HandleHash("0.NA/0", 0);
  if (!options_.background) {
    bg_thread_ = std::thread([this] { BackgroundLoop(); });
    options_.background = [this](std::function<void()> task) {
      std::lock_guard lock(bg_mu_);
      bg_tasks_.push_back(std::move(task));
      bg_cv_.notify_one();
    };
  }
}

RecursiveResolver::~RecursiveResolver() {
  if (bg_thread_.joinable()) {
    {
      std::lock_guard lock(bg_mu_);
      bg_stop_ = true;
      bg_cv_.notify_one();
    }
    bg_thread_.join();
  }
}

void RecursiveResolver::BackgroundLoop() {
  std::unique_lock lock(bg_mu_);
  for (;;) {
    bg_cv_.wait(lock, [&] { return bg_stop_ || !bg_tasks_.empty(); });
    if (bg_stop_) return;  // pending refreshes are only an optimisation
    std::function<void()> task = std::move(bg_tasks_.front());
    bg_tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

absl::StatusOr<Resolution> RecursiveResolver::Resolve(std::string_view handle,
                                                      const ResolveFilter& filter) {
  resolutions_.Inc();
  QL_ASSIGN_OR_RETURN(HandleName name, ParseHandle(handle));
  std::string full(handle);
  std::string key = absl::StrCat("A", std::string(1, kSep), NameKey(name), std::string(1, kSep),
                                 FilterKey(filter));
  std::optional<ResolverCache::Hit> hit = cache_.Lookup(key);
  auto from_cache = [&](const ResolverCache::Hit& h) -> absl::StatusOr<Resolution> {
    if (h.answer.code != ResponseCode::kSuccess) return ErrorOf(h.answer.code, h.answer.message);
    return Resolution{h.answer.handle, h.answer.values, true, h.stale};
  };
  if (hit && !hit->stale) {
    if (hit->prefetch) ScheduleRefresh(full, filter, key);
    return from_cache(*hit);
  }

  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(flights_mu_);
    auto it = flights_.find(key);
    if (it != flights_.end()) {
      flight = it->second;
    } else {
      // A flight that just landed stored its answer before leaving.
      std::optional<ResolverCache::Hit> again = cache_.Lookup(key);
      if (again && !again->stale) return from_cache(*again);
      flight = std::make_shared<Flight>();
      flights_.emplace(key, flight);
      leader = true;
    }
  }
  if (!leader) {
    coalesced_.Inc();
    std::unique_lock lock(flight->mu);
    flight->cv.wait(lock, [&] { return flight->done; });
    return flight->result;
  }
  absl::StatusOr<Resolution> result = Fetch(full, filter, key, hit);
  {
    std::lock_guard lock(flight->mu);
    flight->result = result;
    flight->done = true;
  }
  flight->cv.notify_all();
  {
    std::lock_guard lock(flights_mu_);
    flights_.erase(key);
  }
  return result;
}

absl::StatusOr<Resolution> RecursiveResolver::Fetch(const std::string& handle,
                                                    const ResolveFilter& filter,
                                                    const std::string& key,
                                                    const std::optional<ResolverCache::Hit>& stale) {
  absl::StatusOr<CachedAnswer> answer = WalkHandle(handle, filter, key);
  if (!answer.ok()) {
    if (IsUnreachable(answer.status())) {
      upstream_failures_.Inc();
      if (stale && stale->stale) {
        stale_served_.Inc();
        if (stale->answer.code != ResponseCode::kSuccess) {
          return ErrorOf(stale->answer.code, stale->answer.message);
        }
        return Resolution{stale->answer.handle, stale->answer.values, true, true};
      }
    }
    return answer.status();
  }
  if (answer->code != ResponseCode::kSuccess) return ErrorOf(answer->code, answer->message);
  return Resolution{answer->handle, answer->values, false, false};
}

void RecursiveResolver::ScheduleRefresh(const std::string& handle, const ResolveFilter& filter,
                                        const std::string& key) {
  prefetches_.Inc();
  options_.background([this, handle, filter, key] {
    // Failures keep the old entry; it is served until it expires anyway.
    (void)WalkHandle(handle, filter, key);
  });
}

absl::StatusOr<CachedAnswer> RecursiveResolver::WalkHandle(const std::string& handle,
                                                           const ResolveFilter& filter,
                                                           const std::string& key) {
  QL_ASSIGN_OR_RETURN(HandleName name, ParseHandle(handle));
  Walk walk;
  QL_ASSIGN_OR_RETURN(std::vector<SiteInfo> sites, SitesForPrefix(name.prefix, walk));
  wire::ClientRequest request;
  request.op = OpCode::kResolution;
  request.handle = handle;
  request.indexes = filter.indexes;
  request.types = filter.types;
  // Public values only: the resolver is anonymous and could not answer an
  // authentication challenge (docs/resolver.md).
  request.op_flags = op_flag::kPublicOnly;
  QL_ASSIGN_OR_RETURN(wire::ClientReply reply, AskFollowing(std::move(sites), request, walk));
  if (reply.code == ResponseCode::kSuccess || IsNegative(reply.code)) {
    CachedAnswer answer = FromReply(reply);
    if (answer.code == ResponseCode::kSuccess) answer.handle = handle;
    cache_.Insert(key, answer);
    return answer;
  }
  return ErrorOf(reply.code, reply.error_message);
}

absl::StatusOr<std::vector<SiteInfo>> RecursiveResolver::SitesForPrefix(const std::string& prefix,
                                                                        Walk& walk) {
  // 0.NA/... handles live at the root.
  if (FoldPrefix(prefix) == "0.NA") return options_.roots;
  std::string prefix_handle = absl::StrCat("0.NA/", prefix);
  std::string key = absl::StrCat("S", std::string(1, kSep), FoldPrefix(prefix));
  std::optional<ResolverCache::Hit> hit = cache_.Lookup(key);
  if (hit && !hit->stale) {
    if (hit->answer.code != ResponseCode::kSuccess) {
      return ErrorOf(hit->answer.code, hit->answer.message);
    }
    return SitesFromValues(hit->answer.values, false, walk);
  }
  wire::ClientRequest request;
  request.op = OpCode::kResolution;
  request.handle = prefix_handle;
  request.op_flags = op_flag::kPublicOnly;
  absl::StatusOr<wire::ClientReply> reply = AskFollowing(options_.roots, request, walk);
  if (!reply.ok()) {
    if (hit && IsUnreachable(reply.status()) && hit->answer.code == ResponseCode::kSuccess) {
      stale_served_.Inc();
      return SitesFromValues(hit->answer.values, false, walk);
    }
    return reply.status();
  }
  if (IsNegative(reply->code)) {
    cache_.Insert(key, FromReply(*reply));
    return ErrorOf(reply->code, reply->error_message);
  }
  if (reply->code != ResponseCode::kSuccess) return ErrorOf(reply->code, reply->error_message);
  QL_ASSIGN_OR_RETURN(std::vector<SiteInfo> sites, SitesFromValues(reply->values, false, walk));
  cache_.Insert(key, FromReply(*reply));
  return sites;
}

absl::StatusOr<std::vector<SiteInfo>> RecursiveResolver::SitesOfService(
    const std::string& service_handle, bool derived, Walk& walk) {
  QL_ASSIGN_OR_RETURN(HandleName name, ParseHandle(service_handle));
  QL_ASSIGN_OR_RETURN(std::vector<SiteInfo> sites, SitesForPrefix(name.prefix, walk));
  wire::ClientRequest request;
  request.op = OpCode::kResolution;
  request.handle = service_handle;
  request.types = {std::string(derived ? kTypeSitePrefix : kTypeSite)};
  request.op_flags = op_flag::kPublicOnly;
  QL_ASSIGN_OR_RETURN(wire::ClientReply reply, AskFollowing(std::move(sites), request, walk));
  if (reply.code != ResponseCode::kSuccess) return ErrorOf(reply.code, reply.error_message);
  std::vector<SiteInfo> out;
  for (const HandleValue& v : reply.values) {
    if (v.type != (derived ? kTypeSitePrefix : kTypeSite)) continue;
    ByteReader in(v.data);
    SiteInfo site;
    if (DecodeSite(&in, &site) && !site.servers.empty()) out.push_back(std::move(site));
  }
  if (out.empty()) {
    return HandleError(ResponseCode::kError,
                       absl::StrCat("service handle ", service_handle, " has no usable HS_SITE"));
  }
  return out;
}

absl::StatusOr<std::vector<SiteInfo>> RecursiveResolver::SitesFromValues(
    const std::vector<HandleValue>& values, bool referral, Walk& walk) {
  // A referral for a derived prefix carries the parent's HS_SITE.PREFIX
  // (the sites serving its derived prefixes); prefer it when present.
  std::vector<SiteInfo> sites;
  std::vector<SiteInfo> prefix_sites;
  std::string service;
  std::string prefix_service;
  for (const HandleValue& v : values) {
    if (v.type == kTypeSite || v.type == kTypeSitePrefix) {
      ByteReader in(v.data);
      SiteInfo site;
      if (!DecodeSite(&in, &site) || site.servers.empty()) continue;
      (v.type == kTypeSite ? sites : prefix_sites).push_back(std::move(site));
    } else if (v.type == kTypeServ && service.empty()) {
      service = v.data;
    } else if (v.type == kTypeServPrefix && prefix_service.empty()) {
      prefix_service = v.data;
    }
  }
  if (referral && !prefix_sites.empty()) return prefix_sites;
  if (!sites.empty()) return sites;
  if (referral && !prefix_service.empty()) service = prefix_service;
  if (!service.empty()) {
    // An indirection costs a referral: it is another hop a hostile record
    // could chain without end.
    if (++walk.referrals > options_.max_referrals) {
      recursion_limited_.Inc();
      return HandleError(ResponseCode::kRecursionLimitExceeded,
                         absl::StrCat("more than ", options_.max_referrals, " referrals"));
    }
    referrals_.Inc();
    return SitesOfService(service, referral && !prefix_service.empty(), walk);
  }
  return HandleError(ResponseCode::kError, "referral carries no usable HS_SITE or HS_SERV");
}

absl::StatusOr<wire::ClientReply> RecursiveResolver::AskFollowing(
    std::vector<SiteInfo> sites, const wire::ClientRequest& request, Walk& walk) {
  std::set<std::string> asked;
  std::string filter_key = FilterKey(ResolveFilter{request.indexes, request.types});
  for (;;) {
    std::string fingerprint = Fingerprint(sites);
    if (!asked.insert(fingerprint).second) {
      loops_.Inc();
      return HandleError(ResponseCode::kError,
                         absl::StrCat("referral loop resolving ", request.handle, ": ",
                                      fingerprint, " was already asked"));
    }
    // Referrals are cached per (site, question), so that a repeated walk
    // skips the hops it already took.
    std::string step_key = absl::StrCat("R", std::string(1, kSep), fingerprint,
                                        std::string(1, kSep), request.handle,
                                        std::string(1, kSep), filter_key);
    wire::ClientReply reply;
    std::optional<ResolverCache::Hit> hit = cache_.Lookup(step_key);
    if (hit && !hit->stale) {
      reply = ToReply(hit->answer);
    } else {
      QL_ASSIGN_OR_RETURN(reply, AskSites(sites, request));
      if (IsReferral(reply.code)) cache_.Insert(step_key, FromReply(reply));
    }
    if (!IsReferral(reply.code)) return reply;
    if (++walk.referrals > options_.max_referrals) {
      recursion_limited_.Inc();
      return HandleError(ResponseCode::kRecursionLimitExceeded,
                         absl::StrCat("more than ", options_.max_referrals,
                                      " referrals resolving ", request.handle));
    }
    referrals_.Inc();
    QL_ASSIGN_OR_RETURN(sites, SitesFromValues(reply.values, true, walk));
  }
}

absl::StatusOr<wire::ClientReply> RecursiveResolver::AskSites(const std::vector<SiteInfo>& sites,
                                                              const wire::ClientRequest& request) {
  size_t tried = 0;
  absl::Status last = absl::UnavailableError(
      absl::StrCat("no site has a query interface for ", request.handle));
  for (const SiteInfo& site : sites) {
    for (size_t i : ServerOrder(site, request.handle)) {
      ServerEndpoint endpoint = EndpointOf(site.servers[i]);
      if (endpoint.udp_port == 0 && endpoint.tcp_port == 0) continue;
      UpstreamTransport transport =
          endpoint.udp_port != 0 ? UpstreamTransport::kUdp : UpstreamTransport::kTcp;
      if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
        in_flight_.fetch_sub(1);
        refused_in_flight_.Inc();
        return absl::ResourceExhaustedError("too many upstream queries in flight");
      }
      absl::StatusOr<wire::ClientReply> reply = upstream_.Query(endpoint, transport, request);
      in_flight_.fetch_sub(1);
      ++tried;
      if (reply.ok()) return reply;
      if (reply.status().code() == absl::StatusCode::kResourceExhausted) return reply.status();
      last = reply.status();
    }
  }
  if (tried == 0) return last;
  return absl::DeadlineExceededError(absl::StrCat("no answer for ", request.handle, " from ",
                                                  tried, tried == 1 ? " server" : " servers",
                                                  "; last: ", last.message()));
}

}  // namespace qilian::ident::resolver
