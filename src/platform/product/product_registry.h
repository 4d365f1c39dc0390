// Products of the industrial platform (issue 10; docs/products.md): a
// product belongs to one enterprise (the tenant) and carries a versioned
// thing model (platform/thing_model/). Stored in the KvStore space
// "platform" (docs/storage.md):
//   "prod/"  + 20-digit enterprise id + "/" + product id  -> product record
//   "model/" + 20-digit enterprise id + "/" + product id + "/" + 10-digit
//            model version                               -> canonical model JSON
//   "pkey/"  + product key -> 20-digit enterprise id + "/" + product id
// Every product has a product key (11 of [A-Za-z0-9], random, unique on the
// node: the first level of its devices' MQTT topics, docs/mqtt.md) and a
// product secret (32 of [A-Za-z0-9]) that signs self-provisioning requests.
// Records written before keys existed (format 1) get a key and a secret
// from MigrateProductKeys at start (docs/products.md, "Product keys").
// Every change is ONE store batch, so a failed write leaves nothing behind.
// Writes are serialized by a mutex: they are rare, and it keeps the read of
// the current state and the write one step.
//
// The version rule (docs/products.md, "Model versions"): a saved model's
// version is either the latest version (an amendment, accepted only when it
// breaks nothing: CheckNewRevision, refused with the breaking changes listed)
// or the latest plus one (a new version; the older versions stay readable).
// A lower version, or one that skips a number, is refused.
//
// Errors are Handle error Statuses (ident/response_code.h) so the REST edge
// maps them as elsewhere: 202 invalid field (a tenant::FieldError naming the
// field), 101 product id already taken in its enterprise, 100 product or
// model version not found, 2 storage failure. A refused breaking change is
// 202 with the changes in *breaking (SaveModel).
#ifndef QILIAN_PLATFORM_PRODUCT_PRODUCT_REGISTRY_H_
#define QILIAN_PLATFORM_PRODUCT_PRODUCT_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "platform/thing_model/compatibility.h"
#include "platform/thing_model/thing_model.h"
#include "store/kv_store.h"

namespace qilian::platform {

// A product id: 1..64 of [A-Za-z0-9_-], starting with a letter or digit.
// It appears in MQTT topics (/{product}/{device}/...), so never '/', '+',
// '#' or spaces. Case-sensitive; unique within its enterprise.
inline constexpr size_t kMaxProductIdLength = 64;
inline constexpr size_t kMaxProductNameChars = 100;          // each of zh and en
inline constexpr size_t kMaxProductDescriptionChars = 1000;
inline constexpr uint32_t kMaxModelVersions = 1000;          // per product
inline constexpr size_t kMaxProductPageSize = 1000;
inline constexpr size_t kProductKeyLength = 11;
inline constexpr size_t kProductSecretLength = 32;
inline constexpr size_t kDefaultMaxProductsPerEnterprise = 1000;

// The JSON names of the product fields, for field errors.
namespace product_field {
inline constexpr std::string_view kId = "id";
inline constexpr std::string_view kNameZh = "name.zh";
inline constexpr std::string_view kNameEn = "name.en";
inline constexpr std::string_view kDescription = "description";
inline constexpr std::string_view kModelVersion = "thingModel.version";
}  // namespace product_field

// What a client submits.
struct ProductInput {
  std::string id;
  LocalizedName name;  // zh required, en optional
  std::string description;  // optional
  std::string starter;  // the starter product it was made from (fromStarter); optional
  bool self_provisioning = false;
};

struct Product {
  uint64_t enterprise = 0;
  std::string id;
  LocalizedName name;
  std::string description;
  uint32_t latest_version = 1;  // versions 1..latest_version are stored
  absl::Time created_at;
  absl::Time updated_at;  // last model save or change
  std::string product_key;     // unique on the node; fixed for the product's life
  std::string product_secret;  // signs self-provisioning (docs/devices.md)
  bool self_provisioning = false;  // devices may register themselves
  std::string starter;  // starter product id when made fromStarter, else empty
  bool operator==(const Product&) const = default;
};

struct ProductRegistryOptions {
  // Products one enterprise may hold; creates beyond it are refused (605).
  size_t max_products_per_enterprise = kDefaultMaxProductsPerEnterprise;
};

// Decides whether a product may be deleted, and deletes it while that
// still holds: the device registry implements it (a product with devices
// stays), holding its own lock across `remove` so no device is created for
// the product in between.
class ProductDeleteGuard {
 public:
  virtual ~ProductDeleteGuard() = default;
  virtual absl::Status GuardedDelete(uint64_t enterprise, std::string_view product_id,
                                     const std::function<absl::Status()>& remove) = 0;
};

// The Status of a refused delete of a product in use (409 at the REST edge).
absl::Status ProductInUseError(std::string_view message);
bool IsProductInUse(const absl::Status& status);

struct ProductPage {
  std::vector<Product> products;  // by enterprise, then id (byte order)
  bool more = false;              // another page follows
};

class ProductRegistry {
 public:
  static constexpr std::string_view kSpace = "platform";

  // `store` must declare kSpace and outlive this object.
  ProductRegistry(store::KvStore* store, const Clock& clock,
                  ProductRegistryOptions options = {});

  // Gives every stored product without a product key (records of format 1)
  // a key and a secret, one batch per product. Call at start, before
  // serving; returns how many were given one.
  absl::StatusOr<size_t> MigrateProductKeys();

  // Consulted by Delete; null (the default): products are deleted freely.
  // `guard` must outlive this object. Call before serving.
  void SetDeleteGuard(ProductDeleteGuard* guard) { delete_guard_ = guard; }

  // Called after a model version of a product was saved (an amendment
  // changes a stored version: caches of compiled models drop it). Call
  // before serving.
  void SetModelSavedHook(std::function<void(uint64_t enterprise, std::string_view id)> hook) {
    model_saved_ = std::move(hook);
  }

  // Stores the product with `model` as its version 1 (model.version must
  // be 1).
  absl::StatusOr<Product> Create(uint64_t enterprise, const ProductInput& input,
                                 const ThingModel& model);

  absl::StatusOr<Product> Get(uint64_t enterprise, std::string_view id) const;

  // The product whose key is `product_key` (any enterprise); 100 if none.
  absl::StatusOr<Product> FindByKey(std::string_view product_key) const;

  // Turns self-provisioning on or off.
  absl::StatusOr<Product> SetSelfProvisioning(uint64_t enterprise, std::string_view id,
                                              bool enabled);

  // Version `version` of the product's model; 0 means the latest.
  absl::StatusOr<ThingModel> GetModel(uint64_t enterprise, std::string_view id,
                                      uint32_t version) const;

  // Saves `model` under the version rule above. When it is refused for
  // breaking changes, `*breaking` (if not null) receives them.
  absl::StatusOr<Product> SaveModel(uint64_t enterprise, std::string_view id,
                                    const ThingModel& model,
                                    std::vector<BreakingChange>* breaking);

  // Removes the product, every model version and its key. With a delete
  // guard, a product with devices is refused (IsProductInUse).
  absl::Status Delete(uint64_t enterprise, std::string_view id);

  // Page `page` (from 0) of `page_size` (1..kMaxProductPageSize) products of
  // `enterprise`, or of every enterprise when it is nullopt.
  absl::StatusOr<ProductPage> List(std::optional<uint64_t> enterprise, size_t page,
                                   size_t page_size) const;

  // Up to `page_size` products after the cursor `after` (empty: from the
  // start): a product id when `enterprise` is given, else
  // "<enterprise>/<product id>" (docs/api.md, "Cursors").
  absl::StatusOr<ProductPage> ListAfter(std::optional<uint64_t> enterprise,
                                        std::string_view after, size_t page_size) const;

  // How many products `enterprise` has.
  absl::StatusOr<size_t> Count(uint64_t enterprise) const;

  const ProductRegistryOptions& options() const { return options_; }

  // The field checks of Create, in order: id, name.zh, name.en, description.
  static absl::Status Validate(const ProductInput& input);
  static absl::Status ValidateId(std::string_view id);

 private:
  absl::StatusOr<Product> Load(uint64_t enterprise, std::string_view id) const;
  // A product key not yet in the "pkey/" index.
  absl::StatusOr<std::string> NewProductKey() const;
  absl::StatusOr<ProductPage> Page(std::string_view prefix, std::string_view start,
                                   std::string_view skip_key, size_t skip, size_t page_size) const;

  store::KvStore* store_;
  const Clock& clock_;
  ProductRegistryOptions options_;
  ProductDeleteGuard* delete_guard_ = nullptr;
  std::function<void(uint64_t, std::string_view)> model_saved_;
  std::mutex write_mu_;
};

// The stored form of a product record (docs/storage.md).
std::string EncodeProduct(const Product& product);
absl::StatusOr<Product> DecodeProduct(std::string_view bytes);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_PRODUCT_PRODUCT_REGISTRY_H_
