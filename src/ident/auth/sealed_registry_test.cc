// HS_SECKEY secrets at rest through the registry: every write path stores
// them sealed (the raw store never holds the plain secret), reads give the
// plain secret back, and what cannot be opened is an error, not garbage.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/auth/secret_key.h"
#include "ident/auth/secret_store.h"
#include "ident/authz/first_admin.h"
#include "ident/handle_name.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "store/memory_store.h"

namespace qilian::ident::auth {
namespace {

constexpr std::string_view kSecret = "correct horse battery staple";
constexpr std::string_view kAdmin = "0.NA/88.999";

SecretSealer MakeSealer(char fill) {
  auto sealer = SecretSealer::Create(std::string(kNodeKeyBytes, fill));
  EXPECT_TRUE(sealer.ok());
  return *sealer;
}

HandleValue Value(uint32_t index, std::string type, std::string data) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  v.permissions = kPermAdminRead | kPermAdminWrite;
  return v;
}

HandleValue SecKey(uint32_t index, std::string_view secret = kSecret) {
  return Value(index, std::string(kTypeSecKey), std::string(secret));
}

HandleValue Url(uint32_t index) { return Value(index, "URL", "https://example.org/"); }

#define EXPECT_HANDLE_ERROR(expr, rc, msg)                       \
  do {                                                           \
    absl::Status ql_s_ = (expr);                                 \
    EXPECT_EQ(ResponseCodeOf(ql_s_), ResponseCode::rc) << ql_s_; \
    EXPECT_EQ(std::string(ql_s_.message()), msg);                \
  } while (0)

class SealedRegistryTest : public ::testing::Test {
 protected:
  SealedRegistryTest()
      : store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        sealer_(MakeSealer('k')),
        registry_(store_.get(), clock_, Options(&sealer_)) {}

  RegistryOptions Options(const ValueSealer* sealer) {
    RegistryOptions options;
    options.value_sealer = sealer;
    options.metrics = &metrics_;
    return options;
  }

  // Everything the store holds in the registry's space, keys and values.
  std::string RawStore() {
    std::string all;
    EXPECT_TRUE(store_
                    ->Scan(Registry::kSpace, "", "",
                           [&](std::string_view key, std::string_view value) {
                             all += std::string(key);
                             all += std::string(value);
                             return true;
                           })
                    .ok());
    return all;
  }

  // The stored (not opened) data of the value at `index` of `handle`.
  std::string StoredData(std::string_view handle, uint32_t index) {
    auto name = ParseHandle(handle);
    EXPECT_TRUE(name.ok());
    std::string bytes;
    EXPECT_TRUE(store_->Get(Registry::kSpace, StorageKey(*name, false), &bytes).ok());
    auto record = DecodeRecord(bytes);
    EXPECT_TRUE(record.ok());
    for (const auto& v : record->values) {
      if (v.index == index) return v.data;
    }
    ADD_FAILURE() << "no value at index " << index;
    return "";
  }

  void PutRawRecord(std::string_view handle, std::vector<HandleValue> values) {
    auto name = ParseHandle(handle);
    ASSERT_TRUE(name.ok());
    ASSERT_TRUE(store_
                    ->Put(Registry::kSpace, StorageKey(*name, false),
                          EncodeRecord(HandleRecord{std::string(handle), std::move(values)}))
                    .ok());
  }

  // The plain secret, as front doors read it.
  std::optional<std::string> Secret(std::string_view handle, uint32_t index,
                                    const Registry* registry = nullptr) {
    auto secret = LookUpSecretKey(registry ? *registry : registry_, handle, index);
    EXPECT_TRUE(secret.ok()) << secret.status();
    return secret.ok() ? *secret : std::nullopt;
  }

  void ExpectSealedAt(std::string_view handle, uint32_t index, std::string_view secret = kSecret) {
    EXPECT_EQ(RawStore().find(secret), std::string::npos) << "plain secret in the store";
    std::string stored = StoredData(handle, index);
    EXPECT_TRUE(IsSealedValue(stored));
    EXPECT_EQ(stored.substr(0, 4), "QLS1");
    EXPECT_EQ(Secret(handle, index), std::string(secret));
  }

  FakeClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<store::KvStore> store_;
  SecretSealer sealer_;
  Registry registry_;
};

TEST_F(SealedRegistryTest, CreateSealsAndGetOpens) {
  ASSERT_TRUE(registry_.Create(kAdmin, {Url(1), SecKey(300)}).ok());
  ExpectSealedAt(kAdmin, 300);
  // An unfiltered read opens it too; other values are untouched.
  auto record = registry_.Get(kAdmin, {});
  ASSERT_TRUE(record.ok()) << record.status();
  ASSERT_EQ(record->values.size(), 2u);
  EXPECT_EQ(record->values[0].data, "https://example.org/");
  EXPECT_EQ(record->values[1].data, kSecret);
  EXPECT_EQ(StoredData(kAdmin, 1), "https://example.org/");
}

TEST_F(SealedRegistryTest, ReplaceSealsNewAndOverwritten) {
  ASSERT_TRUE(registry_.Replace("88.999/A", {SecKey(300)}, false).ok());
  ExpectSealedAt("88.999/A", 300);
  ASSERT_TRUE(registry_.Replace("88.999/A", {SecKey(301, "second secret value")}, true).ok());
  ExpectSealedAt("88.999/A", 301, "second secret value");
}

TEST_F(SealedRegistryTest, PutValuesSealsOnCreateAndUpdate) {
  ASSERT_TRUE(registry_.PutValues("88.999/B", {SecKey(300)}, false).ok());
  ExpectSealedAt("88.999/B", 300);
  ASSERT_TRUE(registry_.PutValues("88.999/B", {SecKey(300, "rotated secret value")}, true).ok());
  ExpectSealedAt("88.999/B", 300, "rotated secret value");
  // Another value written next to it leaves the sealed one as it was.
  std::string before = StoredData("88.999/B", 300);
  ASSERT_TRUE(registry_.PutValues("88.999/B", {Url(1)}, false).ok());
  EXPECT_EQ(StoredData("88.999/B", 300), before);
  EXPECT_EQ(Secret("88.999/B", 300), "rotated secret value");
}

TEST_F(SealedRegistryTest, AddAndModifyValuesSeal) {
  ASSERT_TRUE(registry_.Create("88.999/C", {Url(1)}).ok());
  ASSERT_TRUE(registry_.AddValues("88.999/C", {SecKey(300)}).ok());
  ExpectSealedAt("88.999/C", 300);
  ASSERT_TRUE(registry_.ModifyValues("88.999/C", {SecKey(300, "modified secret value")}).ok());
  ExpectSealedAt("88.999/C", 300, "modified secret value");
  EXPECT_EQ(RawStore().find(kSecret), std::string::npos);
}

TEST_F(SealedRegistryTest, TypeIsMatchedWithoutCase) {
  ASSERT_TRUE(registry_.Create("88.999/D", {Value(300, "hs_seckey", std::string(kSecret))}).ok());
  EXPECT_EQ(RawStore().find(kSecret), std::string::npos);
  auto record = registry_.Get("88.999/D", {});
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->values[0].data, kSecret);
}

TEST_F(SealedRegistryTest, RequestDataThatLooksSealedIsStillSealed) {
  // A client's secret is plain whatever it looks like.
  std::string looks_sealed = "QLS1" + std::string(40, 'x');
  ASSERT_TRUE(registry_.Create("88.999/E", {SecKey(300, looks_sealed)}).ok());
  EXPECT_NE(StoredData("88.999/E", 300), looks_sealed);
  EXPECT_EQ(Secret("88.999/E", 300), looks_sealed);
}

TEST_F(SealedRegistryTest, TooLongSecretIsAnInvalidValue) {
  EXPECT_HANDLE_ERROR(registry_.Create("88.999/F", {SecKey(300, std::string(4097, 's'))}),
                      kInvalidValue,
                      "HS_SECKEY value at index 300 cannot be stored: secret longer than 4096 "
                      "octets");
  EXPECT_HANDLE_ERROR(registry_.Get("88.999/F", {}).status(), kHandleNotFound,
                      "handle '88.999/F' not found");
}

TEST_F(SealedRegistryTest, WrongNodeKeyFailsWithError2AndIsCounted) {
  ASSERT_TRUE(registry_.Create(kAdmin, {Url(1), SecKey(300)}).ok());
  SecretSealer other = MakeSealer('w');
  MetricsRegistry other_metrics;
  RegistryOptions options;
  options.value_sealer = &other;
  options.metrics = &other_metrics;
  Registry wrong(store_.get(), clock_, options);
  const std::string message =
      "HS_SECKEY value at index 300 of '0.NA/88.999' does not open with this node's key: "
      "sealed secret does not open";
  EXPECT_HANDLE_ERROR(wrong.Get(kAdmin, {}).status(), kError, message);
  EXPECT_HANDLE_ERROR(LookUpSecretKey(wrong, kAdmin, 300).status(), kError, message);
  // Values other than the secret are still served.
  ValueFilter url_only;
  url_only.indexes = {1};
  EXPECT_TRUE(wrong.Get(kAdmin, url_only).ok());
  EXPECT_NE(other_metrics.RenderPrometheus().find("qilian_sealed_secret_open_failures_total 2"),
            std::string::npos)
      << other_metrics.RenderPrometheus();
}

TEST_F(SealedRegistryTest, RegistryWithoutKeyDoesNotServeSealedValues) {
  ASSERT_TRUE(registry_.Create(kAdmin, {SecKey(300)}).ok());
  Registry keyless(store_.get(), clock_, RegistryOptions{});
  EXPECT_HANDLE_ERROR(keyless.Get(kAdmin, {}).status(), kError,
                      "HS_SECKEY value at index 300 of '0.NA/88.999' does not open with this "
                      "node's key: this node has no node key");
}

TEST_F(SealedRegistryTest, SealedValueIsBoundToItsIdentity) {
  ASSERT_TRUE(registry_.Create(kAdmin, {SecKey(300)}).ok());
  // Someone with write access to the database copies the sealed value to
  // another identity: it does not open there.
  PutRawRecord("88.999/thief", {Value(300, "HS_SECKEY", StoredData(kAdmin, 300))});
  PutRawRecord("88.999/index", {Value(301, "HS_SECKEY", StoredData(kAdmin, 300))});
  EXPECT_HANDLE_ERROR(registry_.Get("88.999/thief", {}).status(), kError,
                      "HS_SECKEY value at index 300 of '88.999/thief' does not open with this "
                      "node's key: sealed secret does not open");
  EXPECT_EQ(ResponseCodeOf(registry_.Get("88.999/index", {}).status()), ResponseCode::kError);
}

TEST_F(SealedRegistryTest, LegacyPlainSecretStillVerifiesAndIsResealedOnWrite) {
  PutRawRecord(kAdmin, {Url(1), SecKey(300)});
  EXPECT_NE(RawStore().find(kSecret), std::string::npos);
  auto secret = Secret(kAdmin, 300);
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(*secret, kSecret);
  const std::string nonce(16, 'n'), digest(20, 'd');
  auto answer = ComputeSecretKeyAnswer(MacAlgorithm::kHmacSha256, kSecret, nonce, digest);
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(VerifySecretKeyAnswer(*secret, nonce, digest, *answer).ok());

  // The next write of the record, whatever it touches, seals it.
  ASSERT_TRUE(registry_.AddValues(kAdmin, {Url(2)}).ok());
  ExpectSealedAt(kAdmin, 300);
  EXPECT_TRUE(VerifySecretKeyAnswer(*Secret(kAdmin, 300), nonce, digest, *answer).ok());
}

TEST_F(SealedRegistryTest, LegacyPlainSecretIsResealedByEveryMergingWrite) {
  PutRawRecord("88.999/L1", {Url(1), SecKey(300)});
  ASSERT_TRUE(registry_.PutValues("88.999/L1", {Url(2)}, false).ok());
  ExpectSealedAt("88.999/L1", 300);
  PutRawRecord("88.999/L2", {Url(1), Url(2), SecKey(300)});
  ASSERT_TRUE(registry_.ModifyValues("88.999/L2", {Url(1)}).ok());
  ExpectSealedAt("88.999/L2", 300);
  PutRawRecord("88.999/L3", {Url(1), Url(2), SecKey(300)});
  ASSERT_TRUE(registry_.RemoveValues("88.999/L3", {2}).ok());
  ExpectSealedAt("88.999/L3", 300);
}

TEST_F(SealedRegistryTest, ShortDataWithTheMagicIsLegacyPlain) {
  PutRawRecord("88.999/M", {SecKey(300, "QLS1short")});
  EXPECT_EQ(Secret("88.999/M", 300), "QLS1short");
}

TEST_F(SealedRegistryTest, FirstAdministratorSecretIsSealed) {
  const std::string file = std::string(::testing::TempDir()) + "/sealed-first-admin-" +
                           std::to_string(::getpid()) + ".secret";
  std::remove(file.c_str());
  authz::FirstAdminOptions options;
  options.prefixes = {"88.999"};
  options.secret_file = file;
  auto admin = authz::EnsureFirstAdmin(&registry_, options);
  ASSERT_TRUE(admin.ok()) << admin.status();
  ASSERT_TRUE(admin->created);
  auto secret = authz::ReadSecretFile(file);
  std::remove(file.c_str());
  ASSERT_TRUE(secret.ok());
  ExpectSealedAt(kAdmin, authz::kFirstAdminKeyIndex, *secret);
}

// ---- The node key file.

class NodeKeyTest : public ::testing::Test {
 protected:
  NodeKeyTest()
      : store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        dir_(std::filesystem::path(::testing::TempDir()) /
             ("node-key-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        path_((dir_ / "sub" / "node.key").string()) {
    std::filesystem::remove_all(dir_);
  }
  ~NodeKeyTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<store::KvStore> store_;
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(NodeKeyTest, FirstStartCreatesAPrivateKeyFileAndLaterStartsReadIt) {
  auto first = OpenNodeKey(store_.get(), path_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kNodeKeyBytes));
  auto sealed = first->sealer.Seal(kSecret, "300:0.NA/88.999");
  ASSERT_TRUE(sealed.ok());

  auto second = OpenNodeKey(store_.get(), path_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->created);
  auto opened = second->sealer.Open(*sealed, "300:0.NA/88.999");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, kSecret);
}

TEST_F(NodeKeyTest, MissingKeyWithSealedSecretsRefusesAndWritesNoNewKey) {
  ASSERT_TRUE(OpenNodeKey(store_.get(), path_).ok());
  std::filesystem::remove(path_);
  auto again = OpenNodeKey(store_.get(), path_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(again.status().message()),
            "node key file " + path_ +
                " is missing but the store holds secrets sealed with a node key; restore it "
                "from a backup");
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(NodeKeyTest, ADifferentKeyFileIsRefused) {
  ASSERT_TRUE(OpenNodeKey(store_.get(), path_).ok());
  std::filesystem::remove(path_);
  {
    std::ofstream out(path_, std::ios::binary);
    out << std::string(kNodeKeyBytes, 'x');
  }
  auto again = OpenNodeKey(store_.get(), path_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(again.status().message()),
            "node key file " + path_ + " does not open the secrets sealed in this store");
}

TEST_F(NodeKeyTest, AKeyFileOfTheWrongSizeIsRefused) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  {
    std::ofstream out(path_, std::ios::binary);
    out << "too short\n";
  }
  auto key = OpenNodeKey(store_.get(), path_);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(key.status().message()),
            "node key file " + path_ + " holds 10 octets, want 32");
}

TEST_F(NodeKeyTest, AnOperatorProvidedKeyOnAFreshStoreIsUsed) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  {
    std::ofstream out(path_, std::ios::binary);
    out << std::string(kNodeKeyBytes, 'k');
  }
  auto key = OpenNodeKey(store_.get(), path_);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_FALSE(key->created);
  // Same key as MakeSealer('k'): what it seals, the loaded key opens.
  auto sealed = MakeSealer('k').Seal("s", "300:x/y");
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(key->sealer.Open(*sealed, "300:x/y").ok());
}

}  // namespace
}  // namespace qilian::ident::auth
