#include "tenant/enterprise_registry.h"

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "ident/site_info.h"
#include "ident/value_codec.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "tenant/field_error.h"

namespace qilian::tenant {
namespace {

using ident::ResponseCode;
using ident::ResponseCodeOf;

EnterpriseInput Input(std::string credit_code = "916201007100000135") {
  EnterpriseInput in;
  in.name = "兰州泵业有限公司";
  in.credit_code = std::move(credit_code);
  in.industry = "C3441";
  in.region = "620100";
  in.contact = Contact{"张工", "+86 931-1234567", "ops@pump.example.cn"};
  return in;
}

// Every key of both spaces, for "nothing changed" comparisons.
std::map<std::string, std::string> Dump(const store::KvStore& s) {
  std::map<std::string, std::string> out;
  for (const char* space : {"ident", "tenant"}) {
    EXPECT_TRUE(s.Scan(space, "", "",
                       [&](std::string_view k, std::string_view v) {
                         out[std::string(space) + "|" + std::string(k)] = std::string(v);
                         return true;
                       })
                    .ok());
  }
  return out;
}

class EnterpriseRegistryTest : public ::testing::Test {
 protected:
  EnterpriseRegistryTest()
      : base_(store::NewMemoryStore({{"ident", "tenant"}})),
        faulty_(base_.get()),
        registry_(&faulty_, clock_, ident::RegistryOptions{}),
        enterprises_(&faulty_, &registry_, clock_, Options()) {}

  static EnterpriseRegistryOptions Options() {
    EnterpriseRegistryOptions o;
    o.parent_prefix = "88.999";
    ident::SiteOptions site;
    site.address = "127.0.0.1";
    site.handle_port = 2641;
    o.site = ident::BuildSiteInfo(site);
    return o;
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> base_;
  store::FaultInjectingStore faulty_;
  ident::Registry registry_;
  EnterpriseRegistry enterprises_;
};

TEST_F(EnterpriseRegistryTest, RegisterAllocatesPrefixesAndWritesPrefixHandles) {
  auto first = enterprises_.Register(Input());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->id, 1u);
  EXPECT_EQ(first->prefix, "88.999.1");
  EXPECT_EQ(first->industry, "3441");  // canonical form
  EXPECT_EQ(first->created_at, clock_.Now());
  auto second = enterprises_.Register(Input("91620102712345672E"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->prefix, "88.999.2");

  // The prefix handle is served by the identifier registry.
  auto handle = registry_.Get("0.NA/88.999.2", {});
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_EQ(handle->handle, "0.NA/88.999.2");
  ASSERT_EQ(handle->values.size(), 2u);
  EXPECT_EQ(handle->values[0].index, kPrefixSiteIndex);
  EXPECT_EQ(handle->values[0].type, "HS_SITE");
  EXPECT_EQ(handle->values[0].data, ident::EncodeSiteData(Options().site));
  EXPECT_EQ(handle->values[0].timestamp, absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(handle->values[1].index, kPrefixAdminIndex);
  EXPECT_EQ(handle->values[1].type, "HS_ADMIN");
  EXPECT_EQ(handle->values[1].data,
            ident::EncodeAdminData({ident::admin_perm::kAll, "0.NA/88.999", 200}));

  auto got = enterprises_.Get(2);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, *second);
  auto by_code = enterprises_.GetByCreditCode("916201007100000135");
  ASSERT_TRUE(by_code.ok()) << by_code.status();
  EXPECT_EQ(*by_code, *first);
}

TEST_F(EnterpriseRegistryTest, DuplicateCreditCodeIsAConflictOnTheField) {
  ASSERT_TRUE(enterprises_.Register(Input()).ok());
  auto before = Dump(*base_);
  auto again = enterprises_.Register(Input());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(ResponseCodeOf(again.status()), ResponseCode::kHandleAlreadyExists);
  EXPECT_EQ(again.status().message(),
            "creditCode: an enterprise with credit code 916201007100000135 is already registered");
  EXPECT_EQ(FieldOf(again.status()), "creditCode");
  EXPECT_EQ(Dump(*base_), before);
}

TEST_F(EnterpriseRegistryTest, InvalidFieldsAreRefusedInOrderWithTheFieldNamed) {
  struct Case {
    std::function<void(EnterpriseInput*)> breakit;
    std::string field;
    std::string message;
  };
  const Case cases[] = {
      {[](auto* in) { in->name = ""; }, "name", "name: is required"},
      {[](auto* in) { in->name = "  "; }, "name", "name: is required"},
      {[](auto* in) { in->name = std::string(201, 'a'); }, "name",
       "name: is longer than 200 characters"},
      {[](auto* in) { in->name = "a\x01"; }, "name", "name: contains a control character"},
      {[](auto* in) { in->name = "a\xff"; }, "name", "name: is not valid UTF-8"},
      {[](auto* in) { in->credit_code = "916201007100000136"; }, "creditCode",
       "creditCode: check character is '6', expected '5'"},
      {[](auto* in) { in->industry = "99"; }, "industry",
       "industry: division '99' of '99' is not a GB/T 4754-2017 division"},
      {[](auto* in) { in->region = "990000"; }, "region",
       "region: province code '99' of '990000' is not a GB/T 2260 province"},
      {[](auto* in) { in->contact.name = ""; }, "contact.name", "contact.name: is required"},
      {[](auto* in) { in->contact.phone = ""; }, "contact.phone", "contact.phone: is required"},
      {[](auto* in) { in->contact.phone = "1234"; }, "contact.phone",
       "contact.phone: must have 5 to 20 digits, got 4"},
      {[](auto* in) { in->contact.phone = "12345x"; }, "contact.phone",
       "contact.phone: character 'x' at position 6 is not allowed (digits, a leading '+', "
       "spaces, '-', '(', ')')"},
      {[](auto* in) { in->contact.phone = "1+2345"; }, "contact.phone",
       "contact.phone: character '+' at position 2 is not allowed (digits, a leading '+', "
       "spaces, '-', '(', ')')"},
      {[](auto* in) { in->contact.email = "ops"; }, "contact.email",
       "contact.email: 'ops' is not an email address (local@domain)"},
      {[](auto* in) { in->contact.email = "ops@localhost"; }, "contact.email",
       "contact.email: 'ops@localhost' is not an email address (local@domain)"},
      {[](auto* in) { in->contact.email = "a@b@c.cn"; }, "contact.email",
       "contact.email: 'a@b@c.cn' is not an email address (local@domain)"},
      // Two bad fields: the first in the documented order is reported.
      {[](auto* in) {
         in->region = "x";
         in->industry = "x";
       },
       "industry",
       "industry: must be a GB/T 4754-2017 section letter A-T or a 2-, 3- or 4-digit code, got "
       "'x'"},
  };
  for (const Case& c : cases) {
    EnterpriseInput in = Input();
    c.breakit(&in);
    auto result = enterprises_.Register(in);
    ASSERT_FALSE(result.ok()) << c.message;
    EXPECT_EQ(ResponseCodeOf(result.status()), ResponseCode::kInvalidValue) << c.message;
    EXPECT_EQ(result.status().message(), c.message);
    EXPECT_EQ(FieldOf(result.status()), c.field);
  }
  EXPECT_TRUE(Dump(*base_).empty());
  EnterpriseInput no_email = Input();
  no_email.contact.email = "";
  EXPECT_TRUE(enterprises_.Register(no_email).ok());
}

TEST_F(EnterpriseRegistryTest, FailedWriteLeavesNothingAndTheNumberIsReused) {
  ASSERT_TRUE(enterprises_.Register(Input()).ok());
  auto before = Dump(*base_);
  faulty_.FailNthWrite(1, absl::UnavailableError("disk on fire"));
  auto failed = enterprises_.Register(Input("91620102712345672E"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(ResponseCodeOf(failed.status()), ResponseCode::kError);
  EXPECT_EQ(failed.status().message(), "storage write failed: disk on fire");
  EXPECT_EQ(faulty_.writes_attempted(), 2);  // one batch per registration
  EXPECT_EQ(Dump(*base_), before);
  EXPECT_EQ(ResponseCodeOf(registry_.Get("0.NA/88.999.2", {}).status()),
            ResponseCode::kHandleNotFound);
  EXPECT_EQ(ResponseCodeOf(enterprises_.GetByCreditCode("91620102712345672E").status()),
            ResponseCode::kHandleNotFound);

  auto retried = enterprises_.Register(Input("91620102712345672E"));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->prefix, "88.999.2");
}

TEST_F(EnterpriseRegistryTest, FailedReadsAreStorageErrors) {
  ASSERT_TRUE(enterprises_.Register(Input()).ok());
  auto before = Dump(*base_);
  faulty_.FailReads(absl::UnavailableError("io error"));
  auto failed = enterprises_.Register(Input("91620102712345672E"));
  EXPECT_EQ(ResponseCodeOf(failed.status()), ResponseCode::kError);
  EXPECT_EQ(failed.status().message(), "storage read failed: io error");
  EXPECT_EQ(enterprises_.Get(1).status().message(), "storage read failed: io error");
  EXPECT_EQ(enterprises_.List(0, 10).status().message(), "storage read failed: io error");
  faulty_.Clear();
  EXPECT_EQ(Dump(*base_), before);
}

TEST_F(EnterpriseRegistryTest, SkipsPrefixHandlesThatAlreadyExist) {
  ident::HandleValue url;
  url.index = 1;
  url.type = "URL";
  url.data = "https://example.org/";
  ASSERT_TRUE(registry_.Create("0.NA/88.999.1", {url}).ok());
  auto e = enterprises_.Register(Input());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->prefix, "88.999.2");
  EXPECT_EQ(e->id, 2u);
  // The hand-made handle is untouched.
  EXPECT_EQ(registry_.Get("0.NA/88.999.1", {})->values[0].type, "URL");
}

TEST_F(EnterpriseRegistryTest, RefusesAParentThisNodeDoesNotServe) {
  EnterpriseRegistryOptions o = Options();
  o.parent_prefix = "86.100";
  EnterpriseRegistry other(&faulty_, &registry_, clock_, o);
  auto e = other.Register(Input());
  EXPECT_EQ(ResponseCodeOf(e.status()), ResponseCode::kServerNotResponsible);
  EXPECT_EQ(e.status().message(),
            "this node is not responsible for prefix '86.100', so it cannot allocate prefixes "
            "under it");
  EXPECT_TRUE(Dump(*base_).empty());
}

TEST_F(EnterpriseRegistryTest, GetMissing) {
  auto e = enterprises_.Get(42);
  EXPECT_EQ(ResponseCodeOf(e.status()), ResponseCode::kHandleNotFound);
  EXPECT_EQ(e.status().message(), "enterprise 42 not found");
  auto c = enterprises_.GetByCreditCode("91350100M000100Y43");
  EXPECT_EQ(c.status().message(), "no enterprise with credit code 91350100M000100Y43");
}

TEST_F(EnterpriseRegistryTest, ListPages) {
  const char* codes[] = {"916201007100000135", "91620102712345672E", "1262000043800011XY",
                         "5162000050000012XJ", "Y1620000ABCDEFGH57"};
  for (const char* code : codes) ASSERT_TRUE(enterprises_.Register(Input(code)).ok());
  auto p0 = enterprises_.List(0, 2);
  ASSERT_TRUE(p0.ok());
  ASSERT_EQ(p0->enterprises.size(), 2u);
  EXPECT_EQ(p0->enterprises[0].id, 1u);
  EXPECT_EQ(p0->enterprises[1].id, 2u);
  EXPECT_TRUE(p0->more);
  auto p2 = enterprises_.List(2, 2);
  ASSERT_EQ(p2->enterprises.size(), 1u);
  EXPECT_EQ(p2->enterprises[0].credit_code, "Y1620000ABCDEFGH57");
  EXPECT_FALSE(p2->more);
  auto p1 = enterprises_.List(1, 2);
  EXPECT_TRUE(p1->more);
  auto exact = enterprises_.List(0, 5);
  EXPECT_EQ(exact->enterprises.size(), 5u);
  EXPECT_FALSE(exact->more);
  EXPECT_TRUE(enterprises_.List(3, 2)->enterprises.empty());
  EXPECT_EQ(enterprises_.List(0, 0).status().message(), "page size must be in 1..1000");
  EXPECT_EQ(enterprises_.List(0, 1001).status().message(), "page size must be in 1..1000");
}

TEST(EnterpriseCodecTest, RoundTripAndCorruption) {
  Enterprise e;
  e.id = 7;
  e.name = "兰州泵业";
  e.credit_code = "916201007100000135";
  e.industry = "3441";
  e.region = "620100";
  e.contact = Contact{"张工", "13800000000", ""};
  e.prefix = "88.999.7";
  e.created_at = absl::FromUnixSeconds(1'700'000'000);
  std::string bytes = EncodeEnterprise(e);
  auto back = DecodeEnterprise(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, e);
  EXPECT_EQ(DecodeEnterprise("").status().message(), "stored enterprise is empty");
  std::string v2 = bytes;
  v2[0] = 2;
  EXPECT_EQ(DecodeEnterprise(v2).status().message(),
            "stored enterprise has unknown format version 2");
  EXPECT_EQ(DecodeEnterprise(bytes.substr(0, bytes.size() - 1)).status().message(),
            "stored enterprise is truncated");
  EXPECT_EQ(DecodeEnterprise(bytes + "x").status().message(),
            "stored enterprise has 1 trailing bytes");
}

}  // namespace
}  // namespace qilian::tenant
