// Devices of the industrial platform (docs/devices.md): a device belongs to
// an enterprise and to a product of that enterprise, is bound to a version
// of the product's thing model, may speak through a gateway device, and
// holds one credential (a 256-bit random secret, shown once, stored only
// as salt + SHA-256(salt || secret)). Every device is also an identifier:
// creating device D of the enterprise with prefix P creates the handle P/D,
// whose values point at the device's platform record; it is kept in step
// on update and removed on delete.
//
// Stored in the KvStore space "platform" (docs/storage.md):
//   "dev/" + 20-digit enterprise id + "/" + device id -> device record
// and the identifier in the space "ident" (ident::Registry's own record and
// key). Every change is ONE store batch holding the device record(s) and
// their identifiers: a create writes the handle record itself
// (ident::EncodeRecord at ident::StorageKey, as enterprise onboarding
// writes prefix handles: a bulk create of 100,000 devices is then 100
// batches, not 100,000 synced writes; the registry's record cache holds
// only existing records, so a new one needs no invalidation); an update or
// delete goes through ident::Registry::Replace / Delete with the device
// record in the same write (`also`).
//
// Every device is held in memory (loaded by Load at start), so the
// DeviceDirectory lookups the MQTT path makes for every message are hash
// probes, and listings walk an ordered map. Writes are serialized by a
// mutex; readers take a shared lock only for the probe.
//
// Errors are Handle error Statuses (ident/response_code.h), mapped at the
// REST edge as products' are: 202 invalid field (a tenant::FieldError
// naming the field), 101 device id (or its identifier) already taken, 100
// device not found, 605 a cap reached (devices per enterprise), 401 a
// self-provisioning sign that does not verify, 402 self-provisioning off
// for the product, 2 storage failure.
#ifndef QILIAN_PLATFORM_DEVICE_DEVICE_REGISTRY_H_
#define QILIAN_PLATFORM_DEVICE_DEVICE_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "platform/broker/device_access.h"
#include "platform/device/device_directory.h"
#include "platform/product/product_registry.h"
#include "store/kv_store.h"

namespace qilian::ident {
class Registry;
}  // namespace qilian::ident
namespace qilian::tenant {
class EnterpriseRegistry;
}  // namespace qilian::tenant

namespace qilian::platform {

// A device id has the rules of a product id (ProductRegistry::ValidateId):
// 1..64 of [A-Za-z0-9_-], starting with a letter or digit.
inline constexpr size_t kMaxDeviceNameChars = 100;  // each of zh and en
inline constexpr size_t kMaxSerialChars = 64;
inline constexpr size_t kMaxTags = 32;
inline constexpr size_t kMaxTagKeyLength = 64;
inline constexpr size_t kMaxTagValueChars = 256;
inline constexpr size_t kMaxDevicePageSize = 1000;
inline constexpr size_t kDefaultMaxDevicesPerEnterprise = 100'000;
inline constexpr size_t kDeviceSecretBytes = 32;  // 256 bits; the secret is their hex
inline constexpr size_t kDeviceSaltBytes = 16;
inline constexpr size_t kMaxRegisterRandomLength = 64;

// Values of a device's identifier (docs/devices.md, "Identifiers").
namespace device_handle {
inline constexpr uint32_t kUrlIndex = 1;           // URL: the shadow's REST address
inline constexpr uint32_t kProductIndex = 2;       // QILIAN.DEVICE.PRODUCT
inline constexpr uint32_t kProductKeyIndex = 3;    // QILIAN.DEVICE.PRODUCT_KEY
inline constexpr uint32_t kModelVersionIndex = 4;  // QILIAN.DEVICE.MODEL_VERSION
inline constexpr uint32_t kSerialIndex = 5;        // QILIAN.DEVICE.SERIAL (when set)
inline constexpr uint32_t kGatewayIndex = 6;       // QILIAN.DEVICE.GATEWAY (when set)
inline constexpr uint32_t kAdminIndex = 100;       // HS_ADMIN
inline constexpr std::string_view kTypeProduct = "QILIAN.DEVICE.PRODUCT";
inline constexpr std::string_view kTypeProductKey = "QILIAN.DEVICE.PRODUCT_KEY";
inline constexpr std::string_view kTypeModelVersion = "QILIAN.DEVICE.MODEL_VERSION";
inline constexpr std::string_view kTypeSerial = "QILIAN.DEVICE.SERIAL";
inline constexpr std::string_view kTypeGateway = "QILIAN.DEVICE.GATEWAY";
}  // namespace device_handle

// The JSON names of the device fields, for field errors.
namespace device_field {
inline constexpr std::string_view kId = "id";
inline constexpr std::string_view kProduct = "product";
inline constexpr std::string_view kModelVersion = "modelVersion";
inline constexpr std::string_view kNameZh = "name.zh";
inline constexpr std::string_view kNameEn = "name.en";
inline constexpr std::string_view kSerial = "serial";
inline constexpr std::string_view kGateway = "gateway";
inline constexpr std::string_view kTags = "tags";
}  // namespace device_field

using DeviceTags = std::map<std::string, std::string>;

// What a client submits to create a device.
struct DeviceInput {
  std::string id;
  std::string product;         // a product id of the same enterprise
  uint32_t model_version = 0;  // 0: the product's latest
  LocalizedName name;          // both optional
  std::string serial;          // optional
  std::string gateway;         // optional: a device id of the same enterprise
  DeviceTags tags;
  bool enabled = true;
};

// A change: absent members stay as they are. An empty gateway detaches.
struct DeviceUpdate {
  std::optional<uint32_t> model_version;  // only raised, up to the product's latest
  std::optional<LocalizedName> name;
  std::optional<std::string> serial;
  std::optional<std::string> gateway;
  std::optional<DeviceTags> tags;
  std::optional<bool> enabled;
};

struct Device {
  uint64_t enterprise = 0;
  std::string id;
  std::string product;
  std::string product_key;
  uint32_t model_version = 1;
  LocalizedName name;
  std::string serial;
  std::string gateway;
  DeviceTags tags;
  bool enabled = true;
  absl::Time created_at;
  absl::Time updated_at;
  std::string salt_hex;  // the credential: 16 random octets
  std::string hash_hex;  // SHA-256(salt || secret)
  std::string handle;    // "<enterprise prefix>/<id>"; derived, not stored
  bool operator==(const Device&) const = default;
};

// A device as created (or with a rotated secret): the secret is here once
// and nowhere else.
struct DeviceWithSecret {
  Device device;
  std::string secret;  // 64 hex digits
};

struct DevicePage {
  std::vector<Device> devices;  // by enterprise, then id (byte order)
  bool more = false;
};

struct DeviceFilter {
  std::optional<std::string> product;
  std::optional<std::string> gateway;  // "" lists devices without a gateway
};

// One row of a bulk create: the device, or why it was refused.
struct BulkResult {
  absl::StatusOr<DeviceWithSecret> outcome;
};

// A self-provisioning request (Alibaba IoT's dynamic registration shape).
struct SelfRegistration {
  std::string product_key;
  std::string device_id;
  std::string random;
  std::string sign_method;  // "hmacsha256"
  std::string sign;         // hex HMAC-SHA256(productSecret, SignContent())
};

// The text a self-provisioning sign is over:
// "deviceId" + deviceId + "productKey" + productKey + "random" + random.
std::string SignContent(const SelfRegistration& request);
// Lower-case hex HMAC-SHA256(secret, content).
std::string HmacSha256Hex(std::string_view secret, std::string_view content);
// Whether `secret` is the one `salt_hex`/`hash_hex` were made from.
bool CredentialMatches(std::string_view salt_hex, std::string_view hash_hex,
                       std::string_view secret);

struct DeviceRegistryOptions {
  size_t max_devices_per_enterprise = kDefaultMaxDevicesPerEnterprise;
  // The node's public REST base ("https://iot.example.cn"), without a
  // trailing '/': the URL value of each device's identifier is
  // <base>/api/devices/<id>/shadow.
  std::string public_base_url = "http://127.0.0.1:8080";
  // Devices written per store batch in a bulk create.
  size_t bulk_batch_devices = 1000;
};

class DeviceRegistry final : public DeviceDirectory, public ProductDeleteGuard {
 public:
  static constexpr std::string_view kSpace = "platform";

  // Every pointer must outlive this object; `store` must be the store
  // `identifiers` writes to and declare kSpace. `access` may be null (no
  // broker: nothing is told); SetDeviceAccess sets it later. Registers
  // itself as `products`' delete guard and model observer. Call Load
  // before use.
  DeviceRegistry(store::KvStore* store, ProductRegistry* products,
                 tenant::EnterpriseRegistry* enterprises, ident::Registry* identifiers,
                 const Clock& clock, DeviceRegistryOptions options = {});
  ~DeviceRegistry() override;

  // Reads every stored device into memory. Errors: 2 on a storage failure
  // or a corrupt record (named).
  absl::Status Load();

  // The broker's view of credentials: told on every change once set.
  void SetDeviceAccess(DeviceAccess* access);

  // Called after a device is deleted, with its last snapshot, so that what
  // others keep of it (the shadow) goes too and a device created later
  // under the same id starts clean. Set once, before serving.
  using RemovalObserver = std::function<void(const DeviceRef&)>;
  void SetRemovalObserver(RemovalObserver observer);

  // Every device's credential, for DeviceAccess::ReplaceAll after the
  // broker or qiliand restarted.
  std::vector<DeviceCredential> AllCredentials() const;

  // DeviceAccess::ReplaceAll(AllCredentials()) on the access set by
  // SetDeviceAccess (OK and nothing when none), with changes held off
  // meanwhile, so that no Upsert or Remove of a change can be overtaken by
  // an older full set.
  absl::Status ReplaceAllInBroker();

  absl::StatusOr<DeviceWithSecret> Create(uint64_t enterprise, const DeviceInput& input);

  // Creates each input that passes its checks (in order, so a row may name
  // a gateway created by an earlier row), in batches; each row is created
  // whole or not at all. results[i] answers inputs[i].
  std::vector<BulkResult> CreateMany(uint64_t enterprise, const std::vector<DeviceInput>& inputs);

  absl::StatusOr<Device> Get(uint64_t enterprise, std::string_view id) const;
  absl::StatusOr<Device> Update(uint64_t enterprise, std::string_view id,
                                const DeviceUpdate& update);
  // Removes the device and its identifier. A gateway with sub-devices is
  // refused (202 naming how many).
  absl::Status Delete(uint64_t enterprise, std::string_view id);
  // A new secret; the old one stops working (the broker disconnects it).
  absl::StatusOr<DeviceWithSecret> RotateSecret(uint64_t enterprise, std::string_view id);

  // Up to `limit` (1..kMaxDevicePageSize) devices after `after` (a device
  // id when `enterprise` is given, else "<enterprise>/<id>"; empty: from
  // the start).
  absl::StatusOr<DevicePage> List(std::optional<uint64_t> enterprise, const DeviceFilter& filter,
                                  std::string_view after, size_t limit) const;

  // Self-provisioning: verifies the sign with the product's secret, then
  // creates the device (name, serial, tags empty; latest model version).
  absl::StatusOr<DeviceWithSecret> SelfRegister(const SelfRegistration& request);

  size_t CountInEnterprise(uint64_t enterprise) const;
  size_t CountOfProduct(uint64_t enterprise, std::string_view product) const;
  size_t size() const;

  // The checks of Create that need no state, in order: id, name.zh,
  // name.en, serial, tags.
  static absl::Status Validate(const DeviceInput& input);
  static absl::Status ValidateTags(const DeviceTags& tags);

  // DeviceDirectory.
  std::shared_ptr<const DeviceRef> Find(std::string_view product_key,
                                        std::string_view device_id) const override;
  std::shared_ptr<const DeviceRef> FindInEnterprise(uint64_t enterprise,
                                                    std::string_view device_id) const override;
  std::shared_ptr<const ModelIndex> Model(uint64_t enterprise, std::string_view product_id,
                                          uint32_t version) const override;

  // ProductDeleteGuard: a product with devices stays.
  absl::Status GuardedDelete(uint64_t enterprise, std::string_view product_id,
                             const std::function<absl::Status()>& remove) override;

  const DeviceRegistryOptions& options() const { return options_; }

 private:
  struct Entry {
    Device device;
    std::shared_ptr<const DeviceRef> ref;
  };
  using EntKey = std::pair<uint64_t, std::string>;
  struct Prepared;

  absl::StatusOr<Prepared> Prepare(uint64_t enterprise, const DeviceInput& input,
                                   const std::set<EntKey>& pending) const;
  absl::StatusOr<std::string> EnterprisePrefix(uint64_t enterprise) const;
  absl::Status Install(const Device& device);  // under the exclusive lock
  void Uninstall(uint64_t enterprise, const std::string& id);
  void Tell(const std::vector<DeviceCredential>& upsert, const std::vector<std::string>& remove);
  absl::StatusOr<Device> Lookup(uint64_t enterprise, std::string_view id) const;
  void ModelSaved(uint64_t enterprise, std::string_view product);

  store::KvStore* store_;
  ProductRegistry* products_;
  tenant::EnterpriseRegistry* enterprises_;
  ident::Registry* identifiers_;
  const Clock& clock_;
  DeviceRegistryOptions options_;
  DeviceAccess* access_ = nullptr;
  RemovalObserver on_removed_;

  std::mutex write_mu_;           // one change at a time
  mutable std::shared_mutex mu_;  // guards the maps below
  std::map<EntKey, Entry> devices_;
  absl::flat_hash_map<std::pair<std::string, std::string>, std::shared_ptr<const DeviceRef>>
      by_key_;
  absl::flat_hash_map<uint64_t, size_t> per_enterprise_;
  std::map<EntKey, size_t> per_product_;
  std::map<EntKey, size_t> children_;  // (enterprise, gateway id) -> sub-devices

  mutable std::mutex cache_mu_;
  mutable std::map<std::tuple<uint64_t, std::string, uint32_t>, std::shared_ptr<const ModelIndex>>
      models_;
  mutable absl::flat_hash_map<uint64_t, std::string> prefixes_;
};

// The stored form of a device record (docs/storage.md).
std::string EncodeDevice(const Device& device);
absl::StatusOr<Device> DecodeDevice(std::string_view bytes);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_DEVICE_DEVICE_REGISTRY_H_
