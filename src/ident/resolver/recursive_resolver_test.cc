#include "ident/resolver/recursive_resolver.h"

#include <atomic>
#include <deque>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ident/resolver/fake_upstream.h"
#include "ident/resolver/site_selection.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"

namespace qilian::ident::resolver {
namespace {

ServerEndpoint Server(std::string address) { return ServerEndpoint{std::move(address), 2641, 2641}; }

const ServerEndpoint kRoot = Server("10.0.0.1");
const ServerEndpoint kSite88 = Server("10.0.0.2");
const ServerEndpoint kSite88999 = Server("10.0.0.3");
const ServerEndpoint kC1 = Server("10.0.0.4");
const ServerEndpoint kC2 = Server("10.0.0.5");
constexpr char kHandle[] = "88.999.7/PUMP-1";

HandleValue Url(std::string url, uint32_t ttl = 3600) {
  HandleValue v;
  v.index = 1;
  v.type = "URL";
  v.data = std::move(url);
  v.ttl = ttl;
  return v;
}

SiteInfo SiteOf(const std::vector<ServerEndpoint>& servers) {
  HandleValue v = SiteValue(servers);
  ByteReader in(v.data);
  SiteInfo site;
  DecodeSite(&in, &site);
  return site;
}

// The responsible and the other server of the two-server site C.
std::pair<ServerEndpoint, ServerEndpoint> SiteCOrder(std::string_view handle) {
  size_t first = *ResponsibleServer(SiteOf({kC1, kC2}), handle);
  return first == 0 ? std::make_pair(kC1, kC2) : std::make_pair(kC2, kC1);
}

class RecursiveResolverTest : public ::testing::Test {
 protected:
  RecursiveResolverTest() {
    options_.roots = {SiteOf({kRoot})};
    options_.max_referrals = 8;
    options_.cache.negative_ttl = absl::Seconds(30);
    options_.cache.max_stale = absl::Seconds(600);
    options_.cache.prefetch_min_hits = 2;
    options_.background = [this](std::function<void()> task) { tasks_.push_back(std::move(task)); };
  }

  // Root -> 88 site -> 88.999 site, which holds 0.NA/88.999.7 naming the
  // two-server site C. GHR-style, the root's referral is HS_SITE.PREFIX.
  void ScriptThreeLevels() {
    upstream_.Reply(kRoot, "0.NA/88.999.7",
                    ReferralReply("0.NA/88", {SiteValue({kSite88}, 1, 86400, "HS_SITE.PREFIX")}));
    upstream_.Reply(kSite88, "0.NA/88.999.7", ReferralReply("0.NA/88.999", {SiteValue({kSite88999})}));
    upstream_.Reply(kSite88999, "0.NA/88.999.7", SuccessReply("0.NA/88.999.7", {SiteValue({kC1, kC2})}));
  }

  RecursiveResolver& resolver() {
    if (!resolver_) resolver_ = std::make_unique<RecursiveResolver>(options_, upstream_, clock_, metrics_);
    return *resolver_;
  }
  uint64_t CounterValue(const std::string& name, const MetricLabels& labels = {}) {
    return metrics_.GetCounter(name, "", labels).value();
  }

  ResolverOptions options_;
  FakeUpstream upstream_;
  FakeClock clock_;
  MetricsRegistry metrics_;
  std::deque<std::function<void()>> tasks_;
  std::unique_ptr<RecursiveResolver> resolver_;
};

TEST_F(RecursiveResolverTest, FollowsReferralsAcrossThreeLevels) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/pump")}));

  auto r = resolver().Resolve(kHandle);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->handle, kHandle);
  ASSERT_EQ(r->values.size(), 1u);
  EXPECT_EQ(r->values[0].data, "https://example.com/pump");
  EXPECT_FALSE(r->from_cache);

  auto calls = upstream_.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].server, kRoot);
  EXPECT_EQ(calls[0].request.handle, "0.NA/88.999.7");
  EXPECT_EQ(calls[1].server, kSite88);
  EXPECT_EQ(calls[2].server, kSite88999);
  EXPECT_EQ(calls[3].server, first);  // the hash rule's choice
  EXPECT_EQ(calls[3].request.handle, kHandle);
  EXPECT_EQ(calls[3].transport, UpstreamTransport::kUdp);
  EXPECT_EQ(CounterValue("qilian_resolver_referrals_total"), 2u);

  // Cached: no more questions.
  auto again = resolver().Resolve(kHandle);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->values, r->values);
  EXPECT_EQ(upstream_.call_count(), 4u);

  // Another handle under the same prefix: the prefix's sites are cached.
  std::string other = "88.999.7/PUMP-2";
  upstream_.Reply(SiteCOrder(other).first, other, SuccessReply(other, {Url("https://example.com/2")}));
  ASSERT_TRUE(resolver().Resolve(other).ok());
  EXPECT_EQ(upstream_.call_count(), 5u);
}

TEST_F(RecursiveResolverTest, FiltersTravelUpstreamAndKeySeparately) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/pump")}));
  ResolveFilter filter{{1}, {"URL"}};
  ASSERT_TRUE(resolver().Resolve(kHandle, filter).ok());
  auto calls = upstream_.calls();
  EXPECT_EQ(calls.back().request.indexes, std::vector<uint32_t>{1});
  EXPECT_EQ(calls.back().request.types, std::vector<std::string>{"URL"});
  ASSERT_TRUE(resolver().Resolve(kHandle).ok());  // another filter: another question
  EXPECT_EQ(upstream_.CallsFor(kHandle), 2u);
}

TEST_F(RecursiveResolverTest, TimeoutMovesToTheSiteNextServer) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Silence(first, kHandle);
  upstream_.Reply(second, kHandle, SuccessReply(kHandle, {Url("https://example.com/pump")}));
  auto r = resolver().Resolve(kHandle);
  ASSERT_TRUE(r.ok()) << r.status();
  auto calls = upstream_.calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[3].server, first);
  EXPECT_EQ(calls[4].server, second);
}

TEST_F(RecursiveResolverTest, GarbageOrSilenceEverywhereIsATimeout) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Garbage(first, kHandle);
  upstream_.Silence(second, kHandle);
  auto r = resolver().Resolve(kHandle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kError);
  EXPECT_EQ(r.status().message(),
            absl::StrCat("no answer for 88.999.7/PUMP-1 from 2 servers; last: no answer from ",
                         second.ToString(), " over udp"));
  EXPECT_EQ(upstream_.garbage_served(), 1u);
  EXPECT_EQ(CounterValue("qilian_resolver_failures_total", {{"reason", "no_answer"}}), 1u);
}

TEST_F(RecursiveResolverTest, NegativeAnswersAreCachedForNegativeTtl) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Reply(first, kHandle, ErrorReply(ResponseCode::kHandleNotFound, "handle not found"));
  for (int i = 0; i < 3; ++i) {
    auto r = resolver().Resolve(kHandle);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kHandleNotFound);
    EXPECT_EQ(r.status().message(), "handle not found");
  }
  EXPECT_EQ(upstream_.CallsFor(kHandle), 1u);
  clock_.Advance(absl::Seconds(30));
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/new")}));
  auto r = resolver().Resolve(kHandle);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(upstream_.CallsFor(kHandle), 2u);
}

TEST_F(RecursiveResolverTest, UnknownPrefixIsNotFoundAndCached) {
  upstream_.Reply(kRoot, "0.NA/55", ErrorReply(ResponseCode::kHandleNotFound, "no such prefix"));
  for (int i = 0; i < 2; ++i) {
    auto r = resolver().Resolve("55/x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kHandleNotFound);
    EXPECT_EQ(r.status().message(), "no such prefix");
  }
  EXPECT_EQ(upstream_.call_count(), 1u);
}

TEST_F(RecursiveResolverTest, InvalidHandleIsRejectedWithoutAsking) {
  auto r = resolver().Resolve("no-slash");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kInvalidHandle);
  EXPECT_EQ(upstream_.call_count(), 0u);
}

TEST_F(RecursiveResolverTest, ServesStaleWhenUpstreamIsUnreachable) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/pump", 60)}));
  ASSERT_TRUE(resolver().Resolve(kHandle).ok());
  clock_.Advance(absl::Seconds(61));
  upstream_.Silence(first, kHandle);
  upstream_.Silence(second, kHandle);
  auto r = resolver().Resolve(kHandle);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->stale);
  EXPECT_TRUE(r->from_cache);
  EXPECT_EQ(r->values[0].data, "https://example.com/pump");
  EXPECT_EQ(CounterValue("qilian_resolver_stale_served_total"), 1u);

  // Past max_stale (600 s after expiry) the entry is gone: the error shows.
  clock_.Advance(absl::Seconds(600));
  auto gone = resolver().Resolve(kHandle);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(RecursiveResolverTest, ExpiredEntryIsRefreshedWhenUpstreamAnswers) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/old", 60)}));
  ASSERT_TRUE(resolver().Resolve(kHandle).ok());
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(resolver().Resolve(kHandle)->values[0].data, "https://example.com/old");
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/new", 60)}));
  clock_.Advance(absl::Seconds(1));  // TTL over
  auto r = resolver().Resolve(kHandle);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->stale);
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(r->values[0].data, "https://example.com/new");
  EXPECT_EQ(upstream_.CallsFor(kHandle), 2u);
}

TEST_F(RecursiveResolverTest, PrefetchesPopularEntriesOnceNearExpiry) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/old", 100)}));
  ASSERT_TRUE(resolver().Resolve(kHandle).ok());
  clock_.Advance(absl::Seconds(91));
  ASSERT_TRUE(resolver().Resolve(kHandle).ok());  // 1 hit
  EXPECT_TRUE(tasks_.empty());
  ASSERT_TRUE(resolver().Resolve(kHandle).ok());  // 2 hits, 9% left
  ASSERT_EQ(tasks_.size(), 1u);
  ASSERT_TRUE(resolver().Resolve(kHandle).ok());
  EXPECT_EQ(tasks_.size(), 1u);  // once
  EXPECT_EQ(CounterValue("qilian_resolver_prefetches_total"), 1u);

  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/new", 100)}));
  tasks_.front()();
  EXPECT_EQ(upstream_.CallsFor(kHandle), 2u);
  clock_.Advance(absl::Seconds(50));  // the old entry would have expired
  auto r = resolver().Resolve(kHandle);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->from_cache);
  EXPECT_FALSE(r->stale);
  EXPECT_EQ(r->values[0].data, "https://example.com/new");
  EXPECT_EQ(upstream_.CallsFor(kHandle), 2u);
}

TEST_F(RecursiveResolverTest, DefaultBackgroundThreadRunsPrefetch) {
  options_.background = nullptr;
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/old", 100)}));
  ASSERT_TRUE(resolver().Resolve(kHandle).ok());
  clock_.Advance(absl::Seconds(95));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(resolver().Resolve(kHandle).ok());
  while (upstream_.CallsFor(kHandle) < 2) std::this_thread::yield();
  resolver_.reset();  // joins the background thread
  EXPECT_EQ(upstream_.CallsFor(kHandle), 2u);
}

TEST_F(RecursiveResolverTest, ConcurrentIdenticalResolutionsShareOneQuery) {
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  FakeUpstream::Behavior slow;
  slow.kind = FakeUpstream::Kind::kReply;
  slow.reply = SuccessReply(kHandle, {Url("https://example.com/pump")});
  slow.hold = true;
  upstream_.Set(first, kHandle, slow);
  RecursiveResolver& r = resolver();
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto res = r.Resolve(kHandle);
      if (res.ok() && res->values.size() == 1 && res->values[0].data == "https://example.com/pump") {
        ++ok;
      }
    });
  }
  upstream_.WaitForHeld(1);
  while (CounterValue("qilian_resolver_coalesced_total") < kThreads - 1) std::this_thread::yield();
  upstream_.Release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(upstream_.CallsFor(kHandle), 1u);
  EXPECT_EQ(upstream_.CallsFor("0.NA/88.999.7"), 3u);  // one walk, three hops
}

TEST_F(RecursiveResolverTest, ReferralLoopIsAnErrorNotAHang) {
  upstream_.Reply(kRoot, "0.NA/77", ReferralReply("0.NA/77", {SiteValue({kSite88})}));
  upstream_.Reply(kSite88, "0.NA/77", ReferralReply("0.NA/77", {SiteValue({kSite88999})}));
  upstream_.Reply(kSite88999, "0.NA/77", ReferralReply("0.NA/77", {SiteValue({kSite88})}));
  auto r = resolver().Resolve("77/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kError);
  EXPECT_EQ(r.status().message(),
            absl::StrCat("referral loop resolving 0.NA/77: ", kSite88.ToString(),
                         " was already asked"));
  EXPECT_EQ(upstream_.call_count(), 3u);
  EXPECT_EQ(CounterValue("qilian_resolver_failures_total", {{"reason", "referral_loop"}}), 1u);
}

TEST_F(RecursiveResolverTest, TooManyReferralsIsRecursionLimitExceeded) {
  options_.max_referrals = 3;
  std::vector<ServerEndpoint> chain = {kRoot};
  for (int i = 0; i < 6; ++i) chain.push_back(Server(absl::StrCat("10.1.0.", i + 1)));
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    upstream_.Reply(chain[i], "0.NA/66", ReferralReply("0.NA/66", {SiteValue({chain[i + 1]})}));
  }
  auto r = resolver().Resolve("66/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kRecursionLimitExceeded);
  EXPECT_EQ(r.status().message(), "more than 3 referrals resolving 0.NA/66");
  EXPECT_EQ(upstream_.call_count(), 4u);  // the fourth referral is not followed
  EXPECT_EQ(CounterValue("qilian_resolver_failures_total", {{"reason", "referral_limit"}}), 1u);
}

TEST_F(RecursiveResolverTest, FollowsHsServIndirection) {
  upstream_.Reply(kRoot, "0.NA/88.999.7",
                  SuccessReply("0.NA/88.999.7", [] {
                    HandleValue serv;
                    serv.index = 1;
                    serv.type = "HS_SERV";
                    serv.data = "0.NA/88.SERV";
                    return std::vector<HandleValue>{serv};
                  }()));
  upstream_.Reply(kRoot, "0.NA/88.SERV", SuccessReply("0.NA/88.SERV", {SiteValue({kC1, kC2})}));
  auto [first, second] = SiteCOrder(kHandle);
  upstream_.Reply(first, kHandle, SuccessReply(kHandle, {Url("https://example.com/pump")}));
  auto r = resolver().Resolve(kHandle);
  ASSERT_TRUE(r.ok()) << r.status();
  auto calls = upstream_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].request.handle, "0.NA/88.SERV");
  EXPECT_EQ(calls[1].request.types, std::vector<std::string>{"HS_SITE"});
}

TEST_F(RecursiveResolverTest, ReferralWithoutSiteIsAnError) {
  upstream_.Reply(kRoot, "0.NA/44", ReferralReply("0.NA/44", {Url("https://nowhere")}));
  auto r = resolver().Resolve("44/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kError);
  EXPECT_EQ(r.status().message(), "referral carries no usable HS_SITE or HS_SERV");
}

TEST_F(RecursiveResolverTest, BoundsUpstreamQueriesInFlight) {
  options_.max_in_flight = 1;
  ScriptThreeLevels();
  auto [first, second] = SiteCOrder(kHandle);
  FakeUpstream::Behavior slow;
  slow.kind = FakeUpstream::Kind::kReply;
  slow.reply = SuccessReply(kHandle, {Url("https://example.com/pump")});
  slow.hold = true;
  upstream_.Set(first, kHandle, slow);
  RecursiveResolver& r = resolver();
  std::thread t([&] { EXPECT_TRUE(r.Resolve(kHandle).ok()); });
  upstream_.WaitForHeld(1);
  auto busy = r.Resolve("88.999.7/OTHER");
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(ResponseCodeOf(busy.status()), ResponseCode::kServerBusy);
  EXPECT_EQ(busy.status().message(), "too many upstream queries in flight");
  upstream_.Release();
  t.join();
}

TEST(ParseRootSitesTest, ParsesAddressesAndRejectsJunk) {
  auto sites = ParseRootSites({"127.0.0.1:2641", "[::1]:8000"});
  ASSERT_TRUE(sites.ok()) << sites.status();
  ASSERT_EQ(sites->size(), 2u);
  EXPECT_EQ(EndpointOf((*sites)[0].servers[0]), (ServerEndpoint{"127.0.0.1", 2641, 2641}));
  EXPECT_EQ(EndpointOf((*sites)[1].servers[0]), (ServerEndpoint{"::1", 8000, 8000}));
  EXPECT_EQ(ParseRootSites({"127.0.0.1"}).status().message(),
            "root \"127.0.0.1\" is not address:port");
  EXPECT_EQ(ParseRootSites({"127.0.0.1:0"}).status().message(),
            "root \"127.0.0.1:0\" has no valid port");
  EXPECT_EQ(ParseRootSites({"example.org:2641"}).status().message(),
            "root \"example.org:2641\" is not an IP address and port");
  EXPECT_EQ(ParseRootSites({"[::1:2641"}).status().message(),
            "root \"[::1:2641\" is not [address]:port");
}

}  // namespace
}  // namespace qilian::ident::resolver
