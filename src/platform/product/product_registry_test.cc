#include "platform/product/product_registry.h"

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "platform/product/random_text.h"
#include "platform/thing_model/thing_model_json.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "tenant/field_error.h"

namespace qilian::platform {
namespace {

using ident::ResponseCode;
using ident::ResponseCodeOf;

// A pump model of `version` whose flow property has maximum `max_flow`,
// plus a head property when `with_head`.
ThingModel Pump(uint32_t version, int max_flow, bool with_head = false) {
  std::string text = absl::StrCat(
      R"({"version":)", version, R"(,"properties":[)",
      R"({"identifier":"flow","name":{"zh":"流量"},"access":"r",)",
      R"("dataType":{"type":"double","specs":{"min":0,"max":)", max_flow,
      R"(,"unit":"m3/h"}}})",
      with_head ? R"(,{"identifier":"head","name":{"zh":"扬程"},"access":"r","dataType":{"type":"double"}})"
                : "",
      "]}");
  absl::StatusOr<ThingModel> m = ParseThingModel(text);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

ProductInput Input(std::string id = "pump-1") {
  ProductInput in;
  in.id = std::move(id);
  in.name = {"离心泵", "Centrifugal pump"};
  in.description = "Line 2 feed pumps";
  return in;
}

std::map<std::string, std::string> Dump(const store::KvStore& s) {
  std::map<std::string, std::string> out;
  EXPECT_TRUE(s.Scan(ProductRegistry::kSpace, "", "",
                     [&](std::string_view k, std::string_view v) {
                       out[std::string(k)] = std::string(v);
                       return true;
                     })
                  .ok());
  return out;
}

class ProductRegistryTest : public ::testing::Test {
 protected:
  ProductRegistryTest()
      : base_(store::NewMemoryStore({{std::string(ProductRegistry::kSpace)}})),
        faulty_(base_.get()),
        products_(&faulty_, clock_) {}

  FakeClock clock_;
  std::unique_ptr<store::KvStore> base_;
  store::FaultInjectingStore faulty_;
  ProductRegistry products_;
};

TEST_F(ProductRegistryTest, CreateStoresTheProductAndModelVersionOne) {
  auto p = products_.Create(7, Input(), Pump(1, 500));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->enterprise, 7u);
  EXPECT_EQ(p->id, "pump-1");
  EXPECT_EQ(p->latest_version, 1u);
  EXPECT_EQ(p->created_at, clock_.Now());
  auto got = products_.Get(7, "pump-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, *p);
  auto model = products_.GetModel(7, "pump-1", 0);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(*model, Pump(1, 500));
  // The key layout of docs/storage.md.
  auto keys = Dump(*base_);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_TRUE(keys.contains("prod/00000000000000000007/pump-1"));
  EXPECT_EQ(keys["pkey/" + p->product_key], "00000000000000000007/pump-1");
  EXPECT_EQ(keys["model/00000000000000000007/pump-1/0000000001"], EncodeThingModel(Pump(1, 500)));
}

TEST_F(ProductRegistryTest, IdsAreUniquePerEnterpriseOnly) {
  ASSERT_TRUE(products_.Create(7, Input(), Pump(1, 500)).ok());
  auto again = products_.Create(7, Input(), Pump(1, 400));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(ResponseCodeOf(again.status()), ResponseCode::kHandleAlreadyExists);
  EXPECT_EQ(again.status().message(), "id: product 'pump-1' already exists in enterprise 7");
  EXPECT_EQ(tenant::FieldOf(again.status()), "id");
  EXPECT_TRUE(products_.Create(8, Input(), Pump(1, 400)).ok());
  // Another enterprise's product is not found, as if it did not exist.
  EXPECT_EQ(products_.Get(9, "pump-1").status().message(),
            "product 'pump-1' not found in enterprise 9");
  EXPECT_EQ(ResponseCodeOf(products_.Get(9, "pump-1").status()), ResponseCode::kHandleNotFound);
}

TEST_F(ProductRegistryTest, FieldsAreCheckedWithExactMessages) {
  struct Case {
    ProductInput input;
    std::string message;
  };
  std::vector<Case> cases;
  cases.push_back({Input(""), "id: is required"});
  cases.push_back({Input("a/b"),
                   "id: 'a/b' is not a product id (1 to 64 of A-Z a-z 0-9 _ -, starting with a "
                   "letter or digit)"});
  cases.push_back({Input("-pump"),
                   "id: '-pump' is not a product id (1 to 64 of A-Z a-z 0-9 _ -, starting with "
                   "a letter or digit)"});
  cases.push_back({Input(std::string(65, 'a')), "id: is longer than 64 characters"});
  ProductInput no_name = Input();
  no_name.name.zh = " ";
  cases.push_back({no_name, "name.zh: is required"});
  ProductInput long_en = Input();
  long_en.name.en = std::string(101, 'x');
  cases.push_back({long_en, "name.en: is longer than 100 characters"});
  ProductInput control = Input();
  control.description = "a\x01";
  cases.push_back({control, "description: contains a control character"});
  for (const Case& c : cases) {
    auto p = products_.Create(7, c.input, Pump(1, 500));
    ASSERT_FALSE(p.ok()) << c.message;
    EXPECT_EQ(p.status().message(), c.message);
    EXPECT_EQ(ResponseCodeOf(p.status()), ResponseCode::kInvalidValue);
  }
  auto v2 = products_.Create(7, Input(), Pump(2, 500));
  EXPECT_EQ(v2.status().message(), "thingModel.version: a new product's model is version 1, got 2");
  EXPECT_TRUE(Dump(*base_).empty());
}

TEST_F(ProductRegistryTest, VersionRule) {
  ASSERT_TRUE(products_.Create(7, Input(), Pump(1, 500)).ok());
  // A compatible amendment of version 1 (range widened, property added).
  clock_.Advance(absl::Seconds(10));
  auto amended = products_.SaveModel(7, "pump-1", Pump(1, 600, true), nullptr);
  ASSERT_TRUE(amended.ok()) << amended.status();
  EXPECT_EQ(amended->latest_version, 1u);
  EXPECT_EQ(amended->updated_at, clock_.Now());
  EXPECT_EQ(*products_.GetModel(7, "pump-1", 1), Pump(1, 600, true));

  // Breaking version 1 in place is refused with the changes.
  std::vector<BreakingChange> breaking;
  auto before = Dump(*base_);
  auto refused = products_.SaveModel(7, "pump-1", Pump(1, 400), &breaking);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(ResponseCodeOf(refused.status()), ResponseCode::kInvalidValue);
  EXPECT_EQ(refused.status().message(),
            "thingModel.version: 1 has breaking changes, it needs a version above 1: "
            "properties.flow: maximum lowered from 600 to 400; properties.head: removed");
  EXPECT_EQ(breaking, (std::vector<BreakingChange>{
                          {"properties.flow", "maximum lowered from 600 to 400"},
                          {"properties.head", "removed"}}));
  EXPECT_EQ(Dump(*base_), before);

  // As version 2 it is accepted; version 1 stays readable.
  auto v2 = products_.SaveModel(7, "pump-1", Pump(2, 400), &breaking);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->latest_version, 2u);
  EXPECT_EQ(*products_.GetModel(7, "pump-1", 0), Pump(2, 400));
  EXPECT_EQ(*products_.GetModel(7, "pump-1", 1), Pump(1, 600, true));
  EXPECT_EQ(products_.GetModel(7, "pump-1", 3).status().message(),
            "product 'pump-1' has no model version 3; its latest is 2");

  EXPECT_EQ(products_.SaveModel(7, "pump-1", Pump(1, 900), nullptr).status().message(),
            "thingModel.version: 1 is older than the latest version 2 of product 'pump-1'");
  EXPECT_EQ(products_.SaveModel(7, "pump-1", Pump(4, 900), nullptr).status().message(),
            "thingModel.version: 4 skips a version: product 'pump-1' is at version 2, so a "
            "model is saved as 2 (a compatible amendment) or 3 (a new version)");
  EXPECT_EQ(products_.SaveModel(8, "pump-1", Pump(2, 900), nullptr).status().message(),
            "product 'pump-1' not found in enterprise 8");
}

TEST_F(ProductRegistryTest, DeleteRemovesEveryVersion) {
  ASSERT_TRUE(products_.Create(7, Input(), Pump(1, 500)).ok());
  ASSERT_TRUE(products_.Create(7, Input("pump-10"), Pump(1, 500)).ok());
  ASSERT_TRUE(products_.SaveModel(7, "pump-1", Pump(2, 400), nullptr).ok());
  ASSERT_TRUE(products_.Delete(7, "pump-1").ok());
  auto keys = Dump(*base_);
  EXPECT_EQ(keys.size(), 3u);  // pump-10's record, key and model are untouched
  EXPECT_TRUE(keys.contains("prod/00000000000000000007/pump-10"));
  EXPECT_EQ(products_.Delete(7, "pump-1").message(), "product 'pump-1' not found in enterprise 7");
}

TEST_F(ProductRegistryTest, ListPagesByEnterpriseAndId) {
  for (uint64_t e : {7, 8}) {
    for (const char* id : {"b", "a", "c"}) ASSERT_TRUE(products_.Create(e, Input(id), Pump(1, 5)).ok());
  }
  auto page = products_.List(7, 0, 2);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->products.size(), 2u);
  EXPECT_EQ(page->products[0].id, "a");
  EXPECT_EQ(page->products[1].id, "b");
  EXPECT_TRUE(page->more);
  page = products_.List(7, 1, 2);
  ASSERT_EQ(page->products.size(), 1u);
  EXPECT_EQ(page->products[0].id, "c");
  EXPECT_FALSE(page->more);
  page = products_.List(std::nullopt, 1, 4);
  ASSERT_EQ(page->products.size(), 2u);
  EXPECT_EQ(page->products[0].enterprise, 8u);
  EXPECT_EQ(page->products[0].id, "b");
  EXPECT_EQ(products_.List(7, 0, 0).status().message(), "page size must be in 1..1000");
}

TEST_F(ProductRegistryTest, StoreFailuresLeaveNothingAndSayWhat) {
  faulty_.FailNthWrite(1, absl::UnavailableError("disk gone"));
  auto p = products_.Create(7, Input(), Pump(1, 500));
  EXPECT_EQ(ResponseCodeOf(p.status()), ResponseCode::kError);
  EXPECT_EQ(p.status().message(), "storage write failed: disk gone");
  EXPECT_TRUE(Dump(*base_).empty());

  ASSERT_TRUE(products_.Create(7, Input(), Pump(1, 500)).ok());
  auto before = Dump(*base_);
  faulty_.FailNthWrite(1, absl::UnavailableError("disk gone"));
  EXPECT_EQ(products_.SaveModel(7, "pump-1", Pump(2, 1), nullptr).status().message(),
            "storage write failed: disk gone");
  faulty_.FailNthWrite(1, absl::UnavailableError("disk gone"));
  EXPECT_EQ(products_.Delete(7, "pump-1").message(), "storage write failed: disk gone");
  EXPECT_EQ(Dump(*base_), before);

  faulty_.FailReads(absl::UnavailableError("io error"));
  EXPECT_EQ(products_.Get(7, "pump-1").status().message(), "storage read failed: io error");
  EXPECT_EQ(products_.List(7, 0, 10).status().message(), "storage read failed: io error");
  faulty_.Clear();
}

TEST_F(ProductRegistryTest, CorruptRecordsAreReported) {
  Product p;
  p.enterprise = 7;
  p.id = "x";
  p.name.zh = "泵";
  std::string bytes = EncodeProduct(p);
  EXPECT_EQ(*DecodeProduct(bytes), p);
  EXPECT_EQ(DecodeProduct("").status().message(), "stored product is empty");
  EXPECT_EQ(DecodeProduct("\x03").status().message(), "stored product has unknown format version 3");
  EXPECT_EQ(DecodeProduct(bytes.substr(0, bytes.size() - 1)).status().message(),
            "stored product is truncated");
  EXPECT_EQ(DecodeProduct(bytes + "z").status().message(), "stored product has 1 trailing bytes");
  store::WriteBatch batch;
  batch.Put(ProductRegistry::kSpace, "prod/00000000000000000007/x", "\x01");
  ASSERT_TRUE(base_->Write(batch).ok());
  EXPECT_EQ(products_.Get(7, "x").status().message(),
            "stored product 'x' of enterprise 7 is corrupt: stored product is truncated");
}

TEST_F(ProductRegistryTest, KeysSecretsAndSelfProvisioning) {
  ProductInput in = Input();
  in.starter = "centrifugal_pump";
  auto p = products_.Create(7, in, Pump(1, 500));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->product_key.size(), kProductKeyLength);
  EXPECT_TRUE(IsAlnum(p->product_key));
  EXPECT_EQ(p->product_secret.size(), kProductSecretLength);
  EXPECT_TRUE(IsAlnum(p->product_secret));
  EXPECT_FALSE(p->self_provisioning);
  EXPECT_EQ(p->starter, "centrifugal_pump");
  auto q = products_.Create(8, Input(), Pump(1, 500));
  ASSERT_TRUE(q.ok());
  EXPECT_NE(q->product_key, p->product_key);
  EXPECT_NE(q->product_secret, p->product_secret);

  EXPECT_EQ(*products_.FindByKey(p->product_key), *p);
  EXPECT_EQ(products_.FindByKey("AAAAAAAAAAA").status().message(),
            "no product has the key 'AAAAAAAAAAA'");
  EXPECT_EQ(products_.FindByKey("a/b").status().message(), "no product has the key 'a/b'");

  clock_.Advance(absl::Seconds(5));
  auto on = products_.SetSelfProvisioning(7, "pump-1", true);
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->self_provisioning);
  EXPECT_EQ(on->updated_at, clock_.Now());
  EXPECT_TRUE(products_.Get(7, "pump-1")->self_provisioning);
  EXPECT_EQ(products_.SetSelfProvisioning(7, "nope", true).status().message(),
            "product 'nope' not found in enterprise 7");

  ASSERT_TRUE(products_.Delete(7, "pump-1").ok());
  EXPECT_FALSE(Dump(*base_).contains("pkey/" + p->product_key));
  EXPECT_EQ(ResponseCodeOf(products_.FindByKey(p->product_key).status()),
            ResponseCode::kHandleNotFound);
}

TEST_F(ProductRegistryTest, FormatOneRecordsGetKeysAtStart) {
  Product old;
  old.enterprise = 7;
  old.id = "old";
  old.name.zh = "泵";
  // Format 1: the record of before product keys.
  ByteWriter out;
  out.WriteU8(1);
  out.WriteU64(7);
  for (std::string_view s : {"old", "泵", "", ""}) out.WriteLengthPrefixed(s);
  out.WriteU32(1);
  out.WriteU64(0);
  out.WriteU64(0);
  ASSERT_TRUE(base_->Put(ProductRegistry::kSpace, "prod/00000000000000000007/old", out.Release()).ok());
  auto before = products_.Get(7, "old");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->product_key, "");
  auto migrated = products_.MigrateProductKeys();
  ASSERT_TRUE(migrated.ok()) << migrated.status();
  EXPECT_EQ(*migrated, 1u);
  auto after = products_.Get(7, "old");
  EXPECT_EQ(after->product_key.size(), kProductKeyLength);
  EXPECT_EQ(after->product_secret.size(), kProductSecretLength);
  EXPECT_EQ(*products_.FindByKey(after->product_key), *after);
  EXPECT_EQ(*products_.MigrateProductKeys(), 0u);  // idempotent
  EXPECT_EQ(products_.Get(7, "old")->product_key, after->product_key);
}

TEST_F(ProductRegistryTest, ProductsPerEnterpriseAreCapped) {
  ProductRegistry capped(&faulty_, clock_, ProductRegistryOptions{2});
  ASSERT_TRUE(capped.Create(7, Input("a"), Pump(1, 500)).ok());
  ASSERT_TRUE(capped.Create(7, Input("b"), Pump(1, 500)).ok());
  auto third = capped.Create(7, Input("c"), Pump(1, 500));
  EXPECT_EQ(ResponseCodeOf(third.status()), ResponseCode::kIdisIdentifierLimit);
  EXPECT_EQ(third.status().message(),
            "enterprise 7 already has the maximum of 2 products ([platform] "
            "max_products_per_enterprise)");
  EXPECT_TRUE(capped.Create(8, Input("c"), Pump(1, 500)).ok());  // per enterprise
  EXPECT_EQ(*capped.Count(7), 2u);
}

TEST_F(ProductRegistryTest, DeleteGuardDecides) {
  struct Refuse : ProductDeleteGuard {
    absl::Status GuardedDelete(uint64_t, std::string_view id,
                               const std::function<absl::Status()>& remove) override {
      if (id == "busy") return ProductInUseError("product 'busy' has 3 devices");
      return remove();
    }
  } guard;
  products_.SetDeleteGuard(&guard);
  ASSERT_TRUE(products_.Create(7, Input("busy"), Pump(1, 500)).ok());
  ASSERT_TRUE(products_.Create(7, Input("idle"), Pump(1, 500)).ok());
  absl::Status s = products_.Delete(7, "busy");
  EXPECT_TRUE(IsProductInUse(s));
  EXPECT_EQ(s.message(), "product 'busy' has 3 devices");
  EXPECT_TRUE(products_.Get(7, "busy").ok());
  EXPECT_TRUE(products_.Delete(7, "idle").ok());
  EXPECT_FALSE(IsProductInUse(products_.Delete(7, "idle")));
}

TEST_F(ProductRegistryTest, ListAfterACursor) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(products_.Create(7, Input(id), Pump(1, 500)).ok());
  ASSERT_TRUE(products_.Create(9, Input("a"), Pump(1, 500)).ok());
  auto first = products_.ListAfter(7, "", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->products.size(), 2u);
  EXPECT_EQ(first->products[1].id, "b");
  EXPECT_TRUE(first->more);
  auto second = products_.ListAfter(7, "b", 2);
  ASSERT_EQ(second->products.size(), 1u);
  EXPECT_EQ(second->products[0].id, "c");
  EXPECT_FALSE(second->more);
  auto all = products_.ListAfter(std::nullopt, "7/c", 10);
  ASSERT_EQ(all->products.size(), 1u);
  EXPECT_EQ(all->products[0].enterprise, 9u);
  EXPECT_EQ(products_.ListAfter(std::nullopt, "c", 10).status().message(),
            "after must be <enterprise>/<product id> when no enterprise is named, got 'c'");
}

}  // namespace
}  // namespace qilian::platform
