// Referrals (referral.h) through the processor, and the recursive role's
// dispatch: which questions a node answers, refers, or resolves for the
// client.
#include "ident/referral.h"

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "ident/value_codec.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

SiteInfo Site(std::string address, uint16_t port) {
  SiteOptions o;
  o.address = std::move(address);
  o.handle_port = port;
  return BuildSiteInfo(o);
}

HandleValue Value(uint32_t index, std::string type, std::string data,
                  uint8_t permissions = kPermDefault) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  v.permissions = permissions;
  return v;
}

HandleValue SiteValue(uint32_t index, const SiteInfo& site, std::string type = "HS_SITE") {
  return Value(index, std::move(type), EncodeSiteData(site));
}

TEST(ReferralTest, ParentPrefix) {
  EXPECT_EQ(ParentPrefix("88.999.7"), "88.999");
  EXPECT_EQ(ParentPrefix("88.999"), "88");
  EXPECT_EQ(ParentPrefix("88"), "");
}

TEST(ReferralTest, SiteNamesNodeComparesAddressAndPort) {
  SiteInfo own = Site("127.0.0.1", 2641);
  EXPECT_TRUE(SiteNamesNode(Site("127.0.0.1", 2641), own));
  EXPECT_FALSE(SiteNamesNode(Site("127.0.0.1", 2642), own));
  EXPECT_FALSE(SiteNamesNode(Site("127.0.0.2", 2641), own));
  EXPECT_FALSE(SiteNamesNode(SiteInfo{}, own));
  // The ::ffff:a.b.c.d form of the same IPv4 address is the same server.
  SiteInfo mapped = Site("::ffff:127.0.0.1", 2641);
  EXPECT_TRUE(SiteNamesNode(mapped, own));
  EXPECT_FALSE(SiteNamesNode(Site("::1", 2641), own));
}

class HierarchyTest : public ::testing::Test {
 protected:
  HierarchyTest()
      : store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        registry_(store_.get(), clock_, RegistryOptions{}) {
    options_.site = own_;
    Rebuild();
  }

  void Rebuild() { processor_ = std::make_unique<Processor>(&registry_, &metrics_, options_); }

  Response Run(OpCode op, const std::string& handle, uint32_t flags = 0,
               Transport transport = Transport::kUdp, std::vector<HandleValue> values = {}) {
    Request r;
    r.op = op;
    r.handle = handle;
    r.op_flags = flags;
    r.values = std::move(values);
    r.peer = Peer{"127.0.0.1", true, transport};
    return processor_->Process(r);
  }
  Response Resolve(const std::string& handle, uint32_t flags = 0,
                   Transport transport = Transport::kUdp) {
    return Run(OpCode::kResolution, handle, flags, transport);
  }
  void Put(const std::string& handle, std::vector<HandleValue> values) {
    ASSERT_TRUE(registry_.Create(handle, std::move(values)).ok()) << handle;
  }

  const SiteInfo own_ = Site("127.0.0.1", 2641);
  const SiteInfo enterprise_ = Site("127.0.0.1", 3641);
  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
  MetricsRegistry metrics_;
  ProcessorOptions options_;
  std::unique_ptr<Processor> processor_;
};

TEST_F(HierarchyTest, DerivedPrefixHomedElsewhereIsReferred) {
  Put("0.NA/88.999.7", {SiteValue(1, enterprise_), Value(2, "HS_SERV", "0.NA/88.999.7.svc"),
                        Value(100, "HS_ADMIN",
                              EncodeAdminData(AdminRecord{admin_perm::kAll, "0.NA/88.999", 200}),
                              kPermAdminRead | kPermAdminWrite)});
  Response r = Resolve("88.999.7/PUMP-1");
  EXPECT_EQ(r.code, ResponseCode::kPrefixReferral);
  EXPECT_EQ(r.message, "prefix '88.999.7' is served by another site (see 0.NA/88.999.7)");
  EXPECT_EQ(r.referral_handle, "0.NA/88.999.7");
  // Public site values only: HS_ADMIN is neither a site value nor public.
  ASSERT_EQ(r.referral_values.size(), 2u);
  EXPECT_EQ(r.referral_values[0].type, "HS_SITE");
  EXPECT_EQ(r.referral_values[0].data, EncodeSiteData(enterprise_));
  EXPECT_EQ(r.referral_values[1].type, "HS_SERV");
  EXPECT_TRUE(r.values.empty());
  // Every operation on the handle is referred, writes included: no data
  // is created here for a prefix served elsewhere.
  Response w = Run(OpCode::kCreateHandle, "88.999.7/PUMP-2", 0, Transport::kTcp,
                   {Value(1, "URL", "https://x")});
  EXPECT_EQ(w.code, ResponseCode::kPrefixReferral);
  EXPECT_EQ(w.referral_handle, "0.NA/88.999.7");
  // Deeper derived prefixes follow the closest prefix handle.
  EXPECT_EQ(Resolve("88.999.7.3/x").code, ResponseCode::kPrefixReferral);
  // Case does not matter in prefixes.
  EXPECT_EQ(Resolve("88.999.7/pump-1").code, ResponseCode::kPrefixReferral);
}

TEST_F(HierarchyTest, PrefixHandleNamingThisNodeOrNoneIsServedHere) {
  // An enterprise onboarded here: its prefix handle names this node.
  Put("0.NA/88.999.5", {SiteValue(1, own_)});
  Put("88.999.5/a", {Value(1, "URL", "https://a")});
  Response r = Resolve("88.999.5/a");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.values[0].data, "https://a");
  EXPECT_EQ(r.op_flags, op_flag::kAuthoritative);
  // No prefix handle at all: local, and a not-found is this node's word.
  Response missing = Resolve("88.999.6/a");
  EXPECT_EQ(missing.code, ResponseCode::kHandleNotFound);
  // A prefix handle with no public site value says nothing about where.
  Put("0.NA/88.999.8", {SiteValue(1, enterprise_, "HS_SITE")});
  ASSERT_TRUE(registry_.ModifyValues("0.NA/88.999.8", {Value(1, "HS_SITE", EncodeSiteData(enterprise_),
                                                             kPermAdminRead | kPermAdminWrite)})
                  .ok());
  EXPECT_EQ(Resolve("88.999.8/a").code, ResponseCode::kHandleNotFound);
}

TEST_F(HierarchyTest, ClosestPrefixHandleWins) {
  Put("0.NA/88.999.7", {SiteValue(1, enterprise_)});
  // The enterprise gave 88.999.7.1 back to us (say): the closer statement wins.
  Put("0.NA/88.999.7.1", {SiteValue(1, own_)});
  Put("88.999.7.1/a", {Value(1, "URL", "https://a")});
  EXPECT_TRUE(Resolve("88.999.7.1/a").ok());
  Response r = Resolve("88.999.7.2/a");
  EXPECT_EQ(r.code, ResponseCode::kPrefixReferral);
  EXPECT_EQ(r.referral_handle, "0.NA/88.999.7");
}

TEST_F(HierarchyTest, PrefixHandlesAreTheParentsData) {
  Put("0.NA/88.999.7", {SiteValue(1, enterprise_), SiteValue(2, enterprise_, "HS_SITE.PREFIX")});
  // 0.NA/88.999.7 was written here when 88.999.7 was allocated: answered.
  Response r = Resolve("0.NA/88.999.7");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.values.size(), 2u);
  EXPECT_EQ(r.op_flags, op_flag::kAuthoritative);
  // 0.NA/88.999.7.1 is the enterprise's data: referred, with the
  // HS_SITE.PREFIX a client follows for derived prefixes.
  Response d = Resolve("0.NA/88.999.7.1");
  EXPECT_EQ(d.code, ResponseCode::kPrefixReferral);
  EXPECT_EQ(d.message, "prefix '88.999.7' is served by another site (see 0.NA/88.999.7)");
  ASSERT_EQ(d.referral_values.size(), 2u);
  EXPECT_EQ(d.referral_values[1].type, "HS_SITE.PREFIX");
  // For a handle under the prefix, .PREFIX values are not part of it.
  Response h = Resolve("88.999.7/x");
  ASSERT_EQ(h.referral_values.size(), 1u);
  EXPECT_EQ(h.referral_values[0].type, "HS_SITE");
  // Our own prefix handle, and listing the prefix handles, stay local.
  EXPECT_EQ(Resolve("0.NA/88.999").code, ResponseCode::kHandleNotFound);
}

TEST_F(HierarchyTest, ListingAReferredPrefixIsReferred) {
  Put("0.NA/88.999.7", {SiteValue(1, enterprise_)});
  Request r;
  r.op = OpCode::kListHandles;
  r.handle = "0.NA/88.999.7";
  r.peer = Peer{"127.0.0.1", true, Transport::kTcp};
  Response out = processor_->Process(r);
  EXPECT_EQ(out.code, ResponseCode::kPrefixReferral);
  EXPECT_TRUE(out.handles.empty());
  r.handle = "0.NA/88.999";
  EXPECT_TRUE(processor_->Process(r).ok());
}

TEST_F(HierarchyTest, HsServOnlyNamesThisNodeThroughItsServiceHandle) {
  Put("0.NA/88.999.svc", {SiteValue(1, own_)});
  Put("0.NA/88.999.7", {Value(1, "HS_SERV", "0.NA/88.999.svc")});
  EXPECT_EQ(Resolve("88.999.7/a").code, ResponseCode::kHandleNotFound);
  Put("0.NA/88.999.other", {SiteValue(1, enterprise_)});
  Put("0.NA/88.999.9", {Value(1, "HS_SERV", "0.NA/88.999.other")});
  EXPECT_EQ(Resolve("88.999.9/a").code, ResponseCode::kPrefixReferral);
}

class RecursiveTest : public HierarchyTest {
 protected:
  RecursiveTest() {
    options_.recursive = true;
    options_.resolve_recursively =
        [this](std::string_view handle,
               const ValueFilter& filter) -> absl::StatusOr<std::vector<HandleValue>> {
      asked_.push_back(std::string(handle));
      filters_.push_back(filter);
      if (handle == "10.1/deep") {
        return HandleError(ResponseCode::kRecursionLimitExceeded, "more than 8 referrals");
      }
      return std::vector<HandleValue>{Value(1, "URL", "https://remote"),
                                      Value(2, "SECRET", "s", kPermAdminRead)};
    };
    Rebuild();
  }
  std::vector<std::string> asked_;
  std::vector<ValueFilter> filters_;
};

TEST_F(RecursiveTest, RecSetResolvesRecursively) {
  Request req;
  req.op = OpCode::kResolution;
  req.handle = "10.1/x";
  req.types = {"URL"};
  req.op_flags = op_flag::kRecursive;
  req.peer = Peer{"192.0.2.1", false, Transport::kUdp};
  Response r = processor_->Process(req);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(asked_, std::vector<std::string>{"10.1/x"});
  EXPECT_EQ(filters_[0].types, std::vector<std::string>{"URL"});
  // Public values only, and not authoritative.
  ASSERT_EQ(r.values.size(), 1u);
  EXPECT_EQ(r.values[0].data, "https://remote");
  EXPECT_EQ(r.op_flags, op_flag::kRecursive);
}

TEST_F(RecursiveTest, WithoutRecANativeClientGetsTheAuthoritativeAnswer) {
  Response r = Resolve("10.1/x");
  EXPECT_EQ(r.code, ResponseCode::kServerNotResponsible);
  EXPECT_EQ(r.message,
            "this node is not responsible for prefix '10.1' (set REC to resolve recursively)");
  EXPECT_TRUE(asked_.empty());
  Put("0.NA/88.999.7", {SiteValue(1, enterprise_)});
  EXPECT_EQ(Resolve("88.999.7/a").code, ResponseCode::kPrefixReferral);
  EXPECT_TRUE(asked_.empty());
}

TEST_F(RecursiveTest, RestAlwaysResolvesRecursively) {
  Response r = Resolve("10.1/x", 0, Transport::kHttp);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(asked_, std::vector<std::string>{"10.1/x"});
}

TEST_F(RecursiveTest, ReferredHandlesAreResolvedForTheClient) {
  Put("0.NA/88.999.7", {SiteValue(1, enterprise_)});
  Response r = Resolve("88.999.7/a", op_flag::kRecursive, Transport::kTcp);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(asked_, std::vector<std::string>{"88.999.7/a"});
  // Local handles never go out.
  Put("88.999/mine", {Value(1, "URL", "https://mine")});
  Response local = Resolve("88.999/mine", op_flag::kRecursive);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local.op_flags, op_flag::kAuthoritative | op_flag::kRecursive);
  EXPECT_EQ(asked_.size(), 1u);
}

TEST_F(RecursiveTest, ResolverErrorsKeepTheirCode) {
  Response r = Resolve("10.1/deep", op_flag::kRecursive);
  EXPECT_EQ(r.code, ResponseCode::kRecursionLimitExceeded);
  EXPECT_EQ(r.message, "more than 8 referrals");
  EXPECT_TRUE(r.values.empty());
  // Writes are never forwarded.
  Response w = Run(OpCode::kCreateHandle, "10.1/x", op_flag::kRecursive, Transport::kTcp,
                   {Value(1, "URL", "https://x")});
  EXPECT_EQ(w.code, ResponseCode::kServerNotResponsible);
  EXPECT_EQ(w.message, "this node is not responsible for prefix '10.1'");
  EXPECT_EQ(asked_.size(), 1u);
}

TEST(PureRecursiveTest, NoPrefixesEverythingIsRecursive) {
  FakeClock clock;
  auto store = store::NewMemoryStore({{std::string(Registry::kSpace)}});
  Registry registry(store.get(), clock, RegistryOptions{{}, false});
  MetricsRegistry metrics;
  ProcessorOptions options;
  options.recursive = true;
  int calls = 0;
  options.resolve_recursively = [&](std::string_view,
                                    const ValueFilter&) -> absl::StatusOr<std::vector<HandleValue>> {
    ++calls;
    return HandleError(ResponseCode::kHandleNotFound, "handle not found");
  };
  Processor processor(&registry, &metrics, options);
  Request r;
  r.handle = "88.999/x";
  r.op_flags = op_flag::kRecursive;
  r.peer = Peer{"127.0.0.1", true, Transport::kUdp};
  Response out = processor.Process(r);
  EXPECT_EQ(out.code, ResponseCode::kHandleNotFound);
  EXPECT_EQ(out.message, "handle not found");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace qilian::ident
