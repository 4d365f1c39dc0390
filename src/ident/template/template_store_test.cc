#include "ident/template/template_store.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "ident/template/template_json.h"
#include "store/memory_store.h"
#include "store/rocksdb_store.h"

namespace qilian::ident::templates {
namespace {

Template Make(std::string name, std::string_view fields_json = R"([
    {"name": "lot", "type": "string", "required": true, "limits": {"maxLength": 20}},
    {"name": "weight", "type": "decimal", "unit": "kg"}])") {
  auto json = ParseTemplateText(R"({"name":")" + name + R"(","industry":"C3311","fields":)" +
                                std::string(fields_json) + "}");
  EXPECT_TRUE(json.ok()) << json.status();
  auto t = TemplateFromJson(*json);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

void ExpectError(const absl::Status& s, ResponseCode code, std::string_view message) {
  EXPECT_EQ(ResponseCodeOf(s), code) << s;
  EXPECT_EQ(std::string(s.message()), std::string(message));
}

class TemplateStoreTest : public ::testing::Test {
 protected:
  TemplateStoreTest()
      : kv_(store::NewMemoryStore(store::StoreOptions{{std::string(TemplateStore::kSpace)}})),
        clock_(absl::FromUnixSeconds(1765000000)),
        store_(kv_.get(), clock_) {}
  std::unique_ptr<store::KvStore> kv_;
  FakeClock clock_;
  TemplateStore store_;
};

TEST_F(TemplateStoreTest, CreateGetAndVersions) {
  absl::StatusOr<Template> created = store_.Create("88.999.7", Make("alloy-ingot"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->prefix, "88.999.7");
  EXPECT_EQ(created->version, 1u);
  EXPECT_EQ(created->created_at, 1765000000);

  ExpectError(store_.Create("88.999.7", Make("alloy-ingot")).status(),
              ResponseCode::kHandleAlreadyExists,
              "template 'alloy-ingot' already exists under prefix '88.999.7' (latest version 1); "
              "publish a new version instead");
  Template v9 = Make("other");
  v9.version = 9;
  ExpectError(store_.Create("88.999.7", v9).status(), ResponseCode::kInvalidValue,
              "version: a new template starts at version 1, not 9");

  clock_.Advance(absl::Seconds(10));
  absl::StatusOr<Template> v2 = store_.AddVersion(
      "88.999.7", "alloy-ingot", Make("alloy-ingot", R"([{"name": "grade", "type": "string"}])"),
      false);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->version, 2u);
  Template wrong = Make("alloy-ingot");
  wrong.version = 5;
  ExpectError(store_.AddVersion("88.999.7", "alloy-ingot", wrong, true).status(),
              ResponseCode::kInvalidValue, "version: the next version of 'alloy-ingot' is 3, not 5");
  ExpectError(store_.AddVersion("88.999.7", "missing", Make("missing"), false).status(),
              ResponseCode::kHandleNotFound,
              "template 'missing' does not exist under prefix '88.999.7'");

  EXPECT_EQ(store_.Get("88.999.7", "alloy-ingot", std::nullopt)->version, 2u);
  EXPECT_EQ(store_.Get("88.999.7", "alloy-ingot", 1)->fields[0].name, "lot");
  ExpectError(store_.Get("88.999.7", "alloy-ingot", 3).status(), ResponseCode::kHandleNotFound,
              "template 'alloy-ingot' version 3 does not exist under prefix '88.999.7'");
  ExpectError(store_.Get("88.999.8", "alloy-ingot", std::nullopt).status(),
              ResponseCode::kHandleNotFound,
              "template 'alloy-ingot' does not exist under prefix '88.999.8'");

  ASSERT_TRUE(store_.Create("88.999.7", Make("a-first")).ok());
  ASSERT_TRUE(store_.Create("88.999.70", Make("elsewhere")).ok());
  absl::StatusOr<std::vector<Template>> list = store_.List("88.999.7");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);  // not 88.999.70's
  EXPECT_EQ((*list)[0].name, "a-first");
  EXPECT_EQ((*list)[1].name, "alloy-ingot");
  EXPECT_EQ((*list)[1].version, 2u);
  absl::StatusOr<std::vector<Template>> versions = store_.Versions("88.999.7", "alloy-ingot");
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, 1u);
  EXPECT_EQ((*versions)[1].version, 2u);
}

TEST_F(TemplateStoreTest, UpdateInPlaceOnlyWhenCompatible) {
  ASSERT_TRUE(store_.Create("88.999.7", Make("batch")).ok());
  // Loosen a limit and add an optional field: same version.
  Template looser = Make("batch", R"([
    {"name": "lot", "type": "string", "required": true, "limits": {"maxLength": 40}},
    {"name": "weight", "type": "decimal", "unit": "kg"},
    {"name": "line", "type": "string"}])");
  clock_.Advance(absl::Seconds(5));
  absl::StatusOr<Template> updated = store_.Update("88.999.7", "batch", 1, looser, false);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version, 1u);
  EXPECT_EQ(updated->created_at, 1765000000);
  EXPECT_EQ(updated->updated_at, 1765000005);
  // The compiled form follows the update.
  EXPECT_EQ((*store_.Compiled("88.999.7", "batch", 1))->get().fields.size(), 3u);

  Template breaking = Make("batch", R"([
    {"name": "lot", "type": "integer", "required": true},
    {"name": "line", "type": "string", "required": true}])");
  absl::Status refused = store_.Update("88.999.7", "batch", 1, breaking, false).status();
  ExpectError(refused, ResponseCode::kInvalidValue,
              "version 1 of template 'batch' cannot change this way, records written under it "
              "would become invalid: field 'lot': type changes from string to integer; field "
              "'weight': removed; field 'line': becomes required; publish a new version instead");
  EXPECT_TRUE(IsIncompatibleChange(refused));
  EXPECT_FALSE(IsIncompatibleChange(store_.Get("88.999.7", "nope", 1).status()));
  EXPECT_EQ(store_.Get("88.999.7", "batch", 1)->fields.size(), 3u);  // unchanged

  Template renumbered = looser;
  renumbered.version = 2;
  ExpectError(store_.Update("88.999.7", "batch", 1, renumbered, true).status(),
              ResponseCode::kInvalidValue,
              "version: a version number never changes (1 in the path, 2 in the body)");
}

TEST(TemplateStoreDurabilityTest, SurvivesRestart) {
  char dir[] = "/tmp/qilian-template-store-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  store::RocksDbOptions options;
  options.path = dir;
  options.spaces = {std::string(TemplateStore::kSpace)};
  FakeClock clock(absl::FromUnixSeconds(1765000000));
  Template written;
  {
    auto kv = store::OpenRocksDbStore(options);
    ASSERT_TRUE(kv.ok()) << kv.status();
    TemplateStore store(kv->get(), clock);
    ASSERT_TRUE(store.Create("88.999.7", Make("pharma-lot")).ok());
    absl::StatusOr<Template> v2 = store.AddVersion("88.999.7", "pharma-lot",
                                                   Make("pharma-lot"), false);
    ASSERT_TRUE(v2.ok());
    written = *v2;
  }
  {
    auto kv = store::OpenRocksDbStore(options);
    ASSERT_TRUE(kv.ok()) << kv.status();
    TemplateStore store(kv->get(), clock);
    absl::StatusOr<Template> read = store.Get("88.999.7", "pharma-lot", std::nullopt);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, written);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qilian::ident::templates
