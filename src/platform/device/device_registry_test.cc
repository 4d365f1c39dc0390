#include "platform/device/device_registry.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "ident/site_info.h"
#include "ident/value_codec.h"
#include "platform/product/random_text.h"
#include "platform/thing_model/thing_model_json.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"
#include "tenant/test_enterprises.h"
#include "tenant/field_error.h"

namespace qilian::platform {
namespace {

using ident::ResponseCode;
using ident::ResponseCodeOf;

ThingModel Pump(uint32_t version) {
  absl::StatusOr<ThingModel> m = ParseThingModel(absl::StrCat(
      R"({"version":)", version,
      R"(,"properties":[{"identifier":"flow","name":{"zh":"流量"},"access":"r","dataType":{"type":"double"}}]})"));
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

// Records what the broker is told.
class FakeAccess : public DeviceAccess {
 public:
  absl::Status Upsert(const std::vector<DeviceCredential>& devices) override {
    for (const auto& d : devices) upserted.push_back(d);
    return absl::OkStatus();
  }
  absl::Status Remove(const std::vector<std::string>& usernames) override {
    for (const auto& u : usernames) removed.push_back(u);
    return absl::OkStatus();
  }
  absl::Status ReplaceAll(const std::vector<DeviceCredential>& devices) override {
    replaced = devices;
    return absl::OkStatus();
  }
  std::vector<DeviceCredential> replaced;
  std::vector<DeviceCredential> upserted;
  std::vector<std::string> removed;
};

DeviceInput Input(std::string id, std::string product = "pump") {
  DeviceInput in;
  in.id = std::move(id);
  in.product = std::move(product);
  return in;
}

class DeviceRegistryTest : public ::testing::Test {
 protected:
  DeviceRegistryTest()
      : base_(store::NewMemoryStore(
            {{std::string(ident::Registry::kSpace), std::string(tenant::EnterpriseRegistry::kSpace),
              std::string(ProductRegistry::kSpace)}})),
        faulty_(base_.get()),
        identifiers_(&faulty_, clock_, ident::RegistryOptions{}),
        enterprises_(&faulty_, &identifiers_, clock_, tenant::TestEnterpriseOptions()),
        products_(&faulty_, clock_) {
    tenant::RegisterTwoTestEnterprises(enterprises_);
    ProductInput p;
    p.id = "pump";
    p.name.zh = "泵";
    EXPECT_TRUE(products_.Create(1, p, Pump(1)).ok());
    EXPECT_TRUE(products_.SaveModel(1, "pump", Pump(2), nullptr).ok());
    p.id = "gw";
    EXPECT_TRUE(products_.Create(1, p, Pump(1)).ok());
    p.id = "pump";
    EXPECT_TRUE(products_.Create(2, p, Pump(1)).ok());
    Reset();
  }


  void Reset(DeviceRegistryOptions options = Options()) {
    devices_.reset();
    devices_ = std::make_unique<DeviceRegistry>(&faulty_, &products_, &enterprises_, &identifiers_,
                                                clock_, options);
    ASSERT_TRUE(devices_->Load().ok());
    devices_->SetDeviceAccess(&access_);
  }

  static DeviceRegistryOptions Options() {
    DeviceRegistryOptions o;
    o.public_base_url = "https://iot.example.cn/";
    return o;
  }

  std::string Text(const std::string& handle, uint32_t index) {
    auto record = identifiers_.Get(handle, ident::ValueFilter{{index}, {}});
    if (!record.ok()) return std::string(record.status().message());
    return record->values.front().type + "=" + record->values.front().data;
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> base_;
  store::FaultInjectingStore faulty_;
  ident::Registry identifiers_;
  tenant::EnterpriseRegistry enterprises_;
  ProductRegistry products_;
  FakeAccess access_;
  std::unique_ptr<DeviceRegistry> devices_;
};

TEST_F(DeviceRegistryTest, CreateStoresDeviceCredentialAndIdentifier) {
  DeviceInput in = Input("pump-7");
  in.name = {"七号泵", "Pump 7"};
  in.serial = "SN-0007";
  in.tags = {{"line", "2"}, {"site", "兰州"}};
  auto created = devices_->Create(1, in);
  ASSERT_TRUE(created.ok()) << created.status();
  const Device& d = created->device;
  const std::string key = products_.Get(1, "pump")->product_key;
  EXPECT_EQ(d.enterprise, 1u);
  EXPECT_EQ(d.product_key, key);
  EXPECT_EQ(d.model_version, 2u);  // the product's latest
  EXPECT_EQ(d.handle, "88.999.1/pump-7");
  EXPECT_EQ(d.created_at, clock_.Now());
  EXPECT_EQ(created->secret.size(), 64u);
  EXPECT_TRUE(CredentialMatches(d.salt_hex, d.hash_hex, created->secret));
  EXPECT_FALSE(CredentialMatches(d.salt_hex, d.hash_hex, created->secret + "0"));
  EXPECT_EQ(d.salt_hex.size(), 32u);

  // The stored record holds no secret.
  std::string stored;
  ASSERT_TRUE(base_->Get("platform", "dev/00000000000000000001/pump-7", &stored).ok());
  EXPECT_EQ(stored.find(created->secret), std::string::npos);
  EXPECT_EQ(*DecodeDevice(stored), [&] {
    Device copy = d;
    copy.handle.clear();
    return copy;
  }());

  // The identifier.
  EXPECT_EQ(Text("88.999.1/pump-7", 1), "URL=https://iot.example.cn/api/devices/pump-7/shadow");
  EXPECT_EQ(Text("88.999.1/pump-7", 2), "QILIAN.DEVICE.PRODUCT=pump");
  EXPECT_EQ(Text("88.999.1/pump-7", 3), "QILIAN.DEVICE.PRODUCT_KEY=" + key);
  EXPECT_EQ(Text("88.999.1/pump-7", 4), "QILIAN.DEVICE.MODEL_VERSION=2");
  EXPECT_EQ(Text("88.999.1/pump-7", 5), "QILIAN.DEVICE.SERIAL=SN-0007");
  auto admin = identifiers_.Get("88.999.1/pump-7", ident::ValueFilter{{100}, {}});
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->values[0].type, "HS_ADMIN");
  EXPECT_EQ(admin->values[0].data, ident::EncodeAdminData(ident::AdminRecord{
                                       ident::admin_perm::kAll, "0.NA/88.999", 200}));

  // Directory lookups and the broker.
  auto ref = devices_->Find(key, "pump-7");
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref->enterprise, 1u);
  EXPECT_EQ(ref->model_version, 2u);
  EXPECT_EQ(devices_->FindInEnterprise(1, "pump-7"), ref);
  EXPECT_EQ(devices_->FindInEnterprise(2, "pump-7"), nullptr);
  EXPECT_EQ(devices_->Find(key, "nope"), nullptr);
  ASSERT_EQ(access_.upserted.size(), 1u);
  EXPECT_EQ(access_.upserted[0].username, key + "/pump-7");
  EXPECT_EQ(access_.upserted[0].hash_hex, d.hash_hex);
  EXPECT_TRUE(access_.upserted[0].enabled);
  ASSERT_EQ(devices_->AllCredentials().size(), 1u);
  EXPECT_EQ(devices_->AllCredentials()[0].salt_hex, d.salt_hex);
  ASSERT_TRUE(devices_->ReplaceAllInBroker().ok());
  ASSERT_EQ(access_.replaced.size(), 1u);
  EXPECT_EQ(access_.replaced[0].username, key + "/pump-7");

  auto model = devices_->Model(1, "pump", 2);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(devices_->Model(1, "pump", 2), model);  // cached
  EXPECT_EQ(devices_->Model(1, "pump", 3), nullptr);
  EXPECT_EQ(devices_->Model(1, "nope", 1), nullptr);

  // Loaded again from the store: the same device.
  Reset();
  EXPECT_EQ(*devices_->Get(1, "pump-7"), d);
}

TEST_F(DeviceRegistryTest, FieldsAndReferencesAreCheckedWithExactMessages) {
  auto err = [&](DeviceInput in, uint64_t enterprise = 1) {
    auto r = devices_->Create(enterprise, in);
    EXPECT_FALSE(r.ok());
    return std::string(r.status().message());
  };
  EXPECT_EQ(err(Input("")), "id: is required");
  EXPECT_EQ(err(Input("-x")),
            "id: '-x' is not a device id (1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or "
            "digit)");
  EXPECT_EQ(err(Input(std::string(65, 'a'))), "id: is longer than 64 characters");
  EXPECT_EQ(err(Input("import")), "id: 'import' is reserved (POST /api/devices/import)");
  EXPECT_EQ(err(Input("a", "")), "product: is required");
  EXPECT_EQ(err(Input("a", "nope")), "product: no product 'nope' in enterprise 1");
  EXPECT_EQ(err(Input("a", "x/y")), "product: 'x/y' is not a product id");
  DeviceInput v = Input("a");
  v.model_version = 3;
  EXPECT_EQ(err(v), "modelVersion: product 'pump' has no model version 3; its latest is 2");
  DeviceInput g = Input("a");
  g.gateway = "gw-1";
  EXPECT_EQ(err(g), "gateway: no device 'gw-1' in enterprise 1");
  g.gateway = "a";
  EXPECT_EQ(err(g), "gateway: a device cannot be its own gateway");
  DeviceInput t = Input("a");
  t.tags = {{"bad key", "1"}};
  EXPECT_EQ(err(t), "tags: 'bad key' is not a tag name (1 to 64 of A-Z a-z 0-9 _ - .)");
  for (int i = 0; i < 33; ++i) t.tags[absl::StrCat("k", i)] = "v";
  EXPECT_EQ(err(t), "tags: has 34 tags; at most 32");
  DeviceInput s = Input("a");
  s.serial = std::string(65, 'x');
  EXPECT_EQ(err(s), "serial: is longer than 64 characters");

  ASSERT_TRUE(devices_->Create(1, Input("a")).ok());
  auto dup = devices_->Create(1, Input("a"));
  EXPECT_EQ(ResponseCodeOf(dup.status()), ResponseCode::kHandleAlreadyExists);
  EXPECT_EQ(dup.status().message(), "id: device 'a' already exists in enterprise 1");
  EXPECT_EQ(tenant::FieldOf(dup.status()), "id");
  // Ids are per enterprise; products too.
  EXPECT_TRUE(devices_->Create(2, Input("a")).ok());
  EXPECT_EQ(err(Input("b", "gw"), 2), "product: no product 'gw' in enterprise 2");
  // A gateway of another enterprise does not exist here.
  ASSERT_TRUE(devices_->Create(2, Input("gw-2")).ok());
  g = Input("b");
  g.gateway = "gw-2";
  EXPECT_EQ(err(g), "gateway: no device 'gw-2' in enterprise 1");
  EXPECT_EQ(access_.upserted.size(), 3u);  // refusals tell nobody
}

TEST_F(DeviceRegistryTest, AnIdentifierTheEnterpriseRegisteredIsNotTakenOver) {
  ident::HandleValue v;
  v.index = 1;
  v.type = "URL";
  v.data = "https://example.cn/";
  ASSERT_TRUE(identifiers_.Create("88.999.1/taken", {v}).ok());
  auto r = devices_->Create(1, Input("taken"));
  EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kHandleAlreadyExists);
  EXPECT_EQ(r.status().message(),
            "id: the identifier 88.999.1/taken already exists; a device does not take over an "
            "identifier the enterprise registered, so choose another id");
  EXPECT_EQ(Text("88.999.1/taken", 1), "URL=https://example.cn/");
  EXPECT_EQ(devices_->size(), 0u);
}

TEST_F(DeviceRegistryTest, GatewaysAndCycles) {
  ASSERT_TRUE(devices_->Create(1, Input("gw-1", "gw")).ok());
  DeviceInput sub = Input("s1");
  sub.gateway = "gw-1";
  auto s1 = devices_->Create(1, sub);
  ASSERT_TRUE(s1.ok()) << s1.status();
  EXPECT_EQ(devices_->FindInEnterprise(1, "s1")->gateway_id, "gw-1");
  EXPECT_EQ(Text("88.999.1/s1", 6), "QILIAN.DEVICE.GATEWAY=88.999.1/gw-1");

  // gw-1 -> s1 -> gw-1 would be a cycle.
  DeviceUpdate up;
  up.gateway = "s1";
  auto cycle = devices_->Update(1, "gw-1", up);
  EXPECT_EQ(cycle.status().message(),
            "gateway: 's1' speaks through 'gw-1' already; gateways may not form a cycle");
  up.gateway = "gw-1";
  EXPECT_EQ(devices_->Update(1, "gw-1", up).status().message(),
            "gateway: a device cannot be its own gateway");
  up.gateway = "nope";
  EXPECT_EQ(devices_->Update(1, "s1", up).status().message(),
            "gateway: no device 'nope' in enterprise 1");

  // A gateway with sub-devices stays; detached, it goes.
  absl::Status refused = devices_->Delete(1, "gw-1");
  EXPECT_EQ(ResponseCodeOf(refused), ResponseCode::kInvalidValue);
  EXPECT_EQ(refused.message(),
            "device 'gw-1' is the gateway of 1 device; delete them or change their gateway first");
  up.gateway = "";
  auto detached = devices_->Update(1, "s1", up);
  ASSERT_TRUE(detached.ok()) << detached.status();
  EXPECT_EQ(Text("88.999.1/s1", 6), "no values match the filter");
  EXPECT_TRUE(devices_->Delete(1, "gw-1").ok());
}

TEST_F(DeviceRegistryTest, UpdateKeepsTheIdentifierInStep) {
  ASSERT_TRUE(devices_
                  ->Create(1,
                           [] {
                             DeviceInput in = Input("d");
                             in.model_version = 1;
                             return in;
                           }())
                  .ok());
  clock_.Advance(absl::Seconds(10));
  DeviceUpdate up;
  up.model_version = 2;
  up.serial = "SN-9";
  up.enabled = false;
  up.name = LocalizedName{"泵", ""};
  up.tags = DeviceTags{{"a", "b"}};
  auto d = devices_->Update(1, "d", up);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model_version, 2u);
  EXPECT_EQ(d->updated_at, clock_.Now());
  EXPECT_FALSE(d->enabled);
  EXPECT_FALSE(devices_->FindInEnterprise(1, "d")->enabled);
  EXPECT_EQ(devices_->FindInEnterprise(1, "d")->model_version, 2u);
  EXPECT_EQ(Text("88.999.1/d", 4), "QILIAN.DEVICE.MODEL_VERSION=2");
  EXPECT_EQ(Text("88.999.1/d", 5), "QILIAN.DEVICE.SERIAL=SN-9");
  ASSERT_EQ(access_.upserted.size(), 2u);  // created, then disabled
  EXPECT_FALSE(access_.upserted[1].enabled);

  DeviceUpdate down;
  down.model_version = 1;
  EXPECT_EQ(
      devices_->Update(1, "d", down).status().message(),
      "modelVersion: 1 is below the bound version 2; a device's model version is only raised");
  down.model_version = 5;
  EXPECT_EQ(devices_->Update(1, "d", down).status().message(),
            "modelVersion: product 'pump' has no model version 5; its latest is 2");
  EXPECT_EQ(devices_->Update(1, "nope", down).status().message(),
            "device 'nope' not found in enterprise 1");
}

TEST_F(DeviceRegistryTest, DeleteAndRotate) {
  auto created = devices_->Create(1, Input("d"));
  ASSERT_TRUE(created.ok());
  auto rotated = devices_->RotateSecret(1, "d");
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_NE(rotated->secret, created->secret);
  EXPECT_TRUE(
      CredentialMatches(rotated->device.salt_hex, rotated->device.hash_hex, rotated->secret));
  EXPECT_FALSE(
      CredentialMatches(rotated->device.salt_hex, rotated->device.hash_hex, created->secret));
  ASSERT_EQ(access_.upserted.size(), 2u);
  EXPECT_EQ(access_.upserted[1].hash_hex, rotated->device.hash_hex);

  std::vector<std::string> observed;
  devices_->SetRemovalObserver([&](const DeviceRef& gone) {
    observed.push_back(absl::StrCat(gone.enterprise, "/", gone.product_key, "/", gone.device_id));
  });
  ASSERT_TRUE(devices_->Delete(1, "d").ok());
  EXPECT_EQ(observed, std::vector<std::string>{"1/" + created->device.product_key + "/d"});
  EXPECT_EQ(Text("88.999.1/d", 1), "handle '88.999.1/d' not found");
  EXPECT_EQ(devices_->Find(created->device.product_key, "d"), nullptr);
  EXPECT_EQ(access_.removed, std::vector<std::string>{created->device.product_key + "/d"});
  EXPECT_EQ(devices_->Delete(1, "d").message(), "device 'd' not found in enterprise 1");
  EXPECT_EQ(observed.size(), 1u);  // a refused delete tells no one
  std::string ignored;
  EXPECT_TRUE(absl::IsNotFound(base_->Get("platform", "dev/00000000000000000001/d", &ignored)));
}

TEST_F(DeviceRegistryTest, ProductsWithDevicesStay) {
  ASSERT_TRUE(devices_->Create(1, Input("d1")).ok());
  ASSERT_TRUE(devices_->Create(1, Input("d2")).ok());
  absl::Status s = products_.Delete(1, "pump");
  EXPECT_TRUE(IsProductInUse(s));
  EXPECT_EQ(s.message(), "product 'pump' has 2 devices; delete them first");
  ASSERT_TRUE(devices_->Delete(1, "d1").ok());
  ASSERT_TRUE(devices_->Delete(1, "d2").ok());
  EXPECT_TRUE(products_.Delete(1, "pump").ok());
  EXPECT_EQ(devices_->Model(1, "pump", 1), nullptr);
}

TEST_F(DeviceRegistryTest, AnAmendedModelIsRecompiled) {
  ASSERT_TRUE(devices_->Create(1, Input("d")).ok());
  auto before = devices_->Model(1, "pump", 2);
  ASSERT_NE(before, nullptr);
  ASSERT_TRUE(products_.SaveModel(1, "pump", Pump(2), nullptr).ok());
  auto after = devices_->Model(1, "pump", 2);
  ASSERT_NE(after, nullptr);
  EXPECT_NE(after, before);
}

TEST_F(DeviceRegistryTest, CapsNameTheLimit) {
  DeviceRegistryOptions o = Options();
  o.max_devices_per_enterprise = 2;
  Reset(o);
  ASSERT_TRUE(devices_->Create(1, Input("a")).ok());
  ASSERT_TRUE(devices_->Create(1, Input("b")).ok());
  auto c = devices_->Create(1, Input("c"));
  EXPECT_EQ(ResponseCodeOf(c.status()), ResponseCode::kIdisIdentifierLimit);
  EXPECT_EQ(c.status().message(),
            "enterprise 1 already has the maximum of 2 devices ([platform] "
            "max_devices_per_enterprise)");
  EXPECT_TRUE(devices_->Create(2, Input("c")).ok());
  auto bulk = devices_->CreateMany(2, {Input("d"), Input("e")});
  EXPECT_TRUE(bulk[0].outcome.ok());
  EXPECT_EQ(bulk[1].outcome.status().message(),
            "enterprise 2 already has the maximum of 2 devices ([platform] "
            "max_devices_per_enterprise)");
}

TEST_F(DeviceRegistryTest, ListWithCursorAndFilters) {
  ASSERT_TRUE(devices_->Create(1, Input("gw-1", "gw")).ok());
  for (const char* id : {"a", "b", "c"}) {
    DeviceInput in = Input(id);
    if (std::string(id) != "b") in.gateway = "gw-1";
    ASSERT_TRUE(devices_->Create(1, in).ok());
  }
  ASSERT_TRUE(devices_->Create(2, Input("a")).ok());
  auto ids = [](const DevicePage& p) {
    std::vector<std::string> out;
    for (const Device& d : p.devices) out.push_back(d.id);
    return out;
  };
  auto first = devices_->List(1, {}, "", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ids(*first), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(first->more);
  auto second = devices_->List(1, {}, "b", 2);
  EXPECT_EQ(ids(*second), (std::vector<std::string>{"c", "gw-1"}));
  EXPECT_FALSE(second->more);
  EXPECT_EQ(ids(*devices_->List(1, DeviceFilter{"pump", std::nullopt}, "", 10)),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ids(*devices_->List(1, DeviceFilter{std::nullopt, "gw-1"}, "", 10)),
            (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(ids(*devices_->List(1, DeviceFilter{std::nullopt, ""}, "", 10)),
            (std::vector<std::string>{"b", "gw-1"}));
  auto all = devices_->List(std::nullopt, {}, "1/gw-1", 10);
  ASSERT_EQ(all->devices.size(), 1u);
  EXPECT_EQ(all->devices[0].enterprise, 2u);
  EXPECT_EQ(devices_->List(std::nullopt, {}, "gw-1", 10).status().message(),
            "after must be <enterprise>/<device id> when no enterprise is named, got 'gw-1'");
  EXPECT_EQ(devices_->List(1, {}, "", 0).status().message(), "limit must be in 1..1000");
}

TEST_F(DeviceRegistryTest, SelfProvisioning) {
  const Product p = *products_.Get(1, "pump");
  SelfRegistration r{p.product_key, "auto-1", "r4nd0m", "hmacsha256", ""};
  r.sign = HmacSha256Hex(p.product_secret, SignContent(r));
  EXPECT_EQ(SignContent(r), "deviceIdauto-1productKey" + p.product_key + "randomr4nd0m");

  auto off = devices_->SelfRegister(r);
  EXPECT_EQ(ResponseCodeOf(off.status()), ResponseCode::kInsufficientPermissions);
  EXPECT_EQ(off.status().message(), "product 'pump' does not allow self-provisioning");
  ASSERT_TRUE(products_.SetSelfProvisioning(1, "pump", true).ok());

  SelfRegistration wrong = r;
  wrong.sign = HmacSha256Hex("not the secret", SignContent(r));
  auto bad = devices_->SelfRegister(wrong);
  EXPECT_EQ(ResponseCodeOf(bad.status()), ResponseCode::kAuthenticationFailed);
  EXPECT_EQ(bad.status().message(),
            "sign does not verify for this productKey, deviceId and random");
  wrong = r;
  wrong.product_key = "AAAAAAAAAAA";
  EXPECT_EQ(devices_->SelfRegister(wrong).status().message(),
            "sign does not verify for this productKey, deviceId and random");
  wrong = r;
  wrong.sign_method = "hmacsha1";
  EXPECT_EQ(devices_->SelfRegister(wrong).status().message(), "signMethod: must be \"hmacsha256\"");
  wrong = r;
  wrong.random = "";
  EXPECT_EQ(devices_->SelfRegister(wrong).status().message(),
            "random: must be 1 to 64 of A-Z a-z 0-9");

  // Upper-case hex is the same sign.
  SelfRegistration upper = r;
  for (char& c : upper.sign) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto created = devices_->SelfRegister(upper);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->device.enterprise, 1u);
  EXPECT_EQ(created->device.product, "pump");
  EXPECT_EQ(created->secret.size(), 64u);
  auto again = devices_->SelfRegister(r);
  EXPECT_EQ(ResponseCodeOf(again.status()), ResponseCode::kHandleAlreadyExists);
  EXPECT_EQ(again.status().message(), "deviceId: device 'auto-1' already exists in enterprise 1");
  EXPECT_EQ(tenant::FieldOf(again.status()), "deviceId");
  SelfRegistration bad_id = r;
  bad_id.device_id = "a/b";
  bad_id.sign = HmacSha256Hex(p.product_secret, SignContent(bad_id));
  EXPECT_EQ(devices_->SelfRegister(bad_id).status().message(),
            "deviceId: 'a/b' is not a device id (1 to 64 of A-Z a-z 0-9 _ -, starting with a "
            "letter or digit)");
}

TEST_F(DeviceRegistryTest, BulkCreateKeepsGoodRowsAndBatchesWrites) {
  DeviceRegistryOptions o = Options();
  o.bulk_batch_devices = 2;
  Reset(o);
  std::vector<DeviceInput> rows = {Input("g"), Input("s"), Input("s"), Input("x", "nope"),
                                   Input("t")};
  rows[1].gateway = "g";  // a gateway created by an earlier row
  const int writes = faulty_.writes_attempted();
  auto results = devices_->CreateMany(1, rows);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].outcome.ok());
  EXPECT_TRUE(results[1].outcome.ok()) << results[1].outcome.status();
  EXPECT_EQ(results[2].outcome.status().message(), "id: device 's' already exists in enterprise 1");
  EXPECT_EQ(results[3].outcome.status().message(), "product: no product 'nope' in enterprise 1");
  EXPECT_TRUE(results[4].outcome.ok());
  EXPECT_EQ(faulty_.writes_attempted() - writes, 2);  // (g, s) and (t)
  EXPECT_EQ(devices_->size(), 3u);
}

TEST_F(DeviceRegistryTest, ManyDevicesInBatches) {
  std::vector<DeviceInput> rows;
  for (int i = 0; i < 20000; ++i) rows.push_back(Input(absl::StrCat("d", i)));
  const int writes = faulty_.writes_attempted();
  auto results = devices_->CreateMany(1, rows);
  size_t ok = 0;
  for (const auto& r : results) ok += r.outcome.ok();
  EXPECT_EQ(ok, 20000u);
  EXPECT_EQ(faulty_.writes_attempted() - writes, 20);
  EXPECT_EQ(devices_->CountInEnterprise(1), 20000u);
  EXPECT_EQ(devices_->CountOfProduct(1, "pump"), 20000u);
  EXPECT_EQ(Text("88.999.1/d19999", 2), "QILIAN.DEVICE.PRODUCT=pump");
  Reset();
  EXPECT_EQ(devices_->size(), 20000u);
  EXPECT_EQ(devices_->AllCredentials().size(), 20000u);
}

TEST_F(DeviceRegistryTest, StoreFailuresLeaveNothingAndSayWhat) {
  faulty_.FailNthWrite(1, absl::InternalError("disk gone"));
  auto c = devices_->Create(1, Input("d"));
  EXPECT_EQ(ResponseCodeOf(c.status()), ResponseCode::kError);
  EXPECT_EQ(c.status().message(), "storage write failed: disk gone");
  EXPECT_EQ(devices_->size(), 0u);
  EXPECT_EQ(Text("88.999.1/d", 1), "handle '88.999.1/d' not found");
  EXPECT_TRUE(access_.upserted.empty());

  ASSERT_TRUE(devices_->Create(1, Input("d")).ok());
  faulty_.FailNthWrite(1, absl::InternalError("disk gone"));
  DeviceUpdate up;
  up.serial = "S";
  auto u = devices_->Update(1, "d", up);
  EXPECT_EQ(ResponseCodeOf(u.status()), ResponseCode::kError);
  EXPECT_EQ(devices_->Get(1, "d")->serial, "");
  EXPECT_EQ(Text("88.999.1/d", 5), "no values match the filter");

  faulty_.FailNthWrite(1, absl::InternalError("disk gone"));
  EXPECT_EQ(ResponseCodeOf(devices_->Delete(1, "d")), ResponseCode::kError);
  EXPECT_TRUE(devices_->Get(1, "d").ok());
  EXPECT_EQ(Text("88.999.1/d", 2), "QILIAN.DEVICE.PRODUCT=pump");

  faulty_.FailNthWrite(1, absl::InternalError("disk gone"));
  auto r = devices_->RotateSecret(1, "d");
  EXPECT_EQ(r.status().message(), "storage write failed: disk gone");

  faulty_.FailReads(absl::InternalError("io error"));
  DeviceRegistry fresh(&faulty_, &products_, &enterprises_, &identifiers_, clock_);
  EXPECT_EQ(fresh.Load().message(), "storage read failed: io error");
  faulty_.Clear();
}

TEST_F(DeviceRegistryTest, CorruptRecordsAreReported) {
  Device d;
  d.enterprise = 1;
  d.id = "x";
  d.product = "pump";
  d.product_key = "AAAAAAAAAAA";
  d.tags = {{"a", "b"}};
  const std::string bytes = EncodeDevice(d);
  EXPECT_EQ(*DecodeDevice(bytes), d);
  EXPECT_EQ(DecodeDevice("").status().message(), "stored device is empty");
  EXPECT_EQ(DecodeDevice("\x02").status().message(), "stored device has unknown format version 2");
  EXPECT_EQ(DecodeDevice(bytes.substr(0, bytes.size() - 1)).status().message(),
            "stored device is truncated");
  EXPECT_EQ(DecodeDevice(bytes + "z").status().message(), "stored device has 1 trailing bytes");
  ASSERT_TRUE(base_->Put("platform", "dev/00000000000000000001/x", "\x01").ok());
  DeviceRegistry fresh(&faulty_, &products_, &enterprises_, &identifiers_, clock_);
  EXPECT_EQ(fresh.Load().message(),
            "stored device 'dev/00000000000000000001/x' is corrupt: stored device is truncated");
}

}  // namespace
}  // namespace qilian::platform
