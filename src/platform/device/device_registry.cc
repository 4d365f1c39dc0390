#include "platform/device/device_registry.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "core/bytes.h"
#include "core/log.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/handle_value.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"
#include "platform/product/key_parts.h"
#include "platform/product/random_text.h"
#include "platform/thing_model/str_cat.h"
#include "platform/thing_model/value_check.h"
#include "tenant/enterprise_registry.h"
#include "tenant/field_error.h"

namespace qilian::platform {
namespace {

using ident::HandleError;
using ident::ResponseCode;

constexpr uint8_t kDeviceFormatVersion = 1;
constexpr size_t kMaxStoredStringBytes = 8192;
constexpr std::string_view kDeviceKeyPrefix = "dev/";

std::string EnterprisePart(uint64_t enterprise) { return EnterpriseKeyPart(enterprise); }

std::string DeviceKey(uint64_t enterprise, std::string_view id) {
  return Cat(kDeviceKeyPrefix, EnterprisePart(enterprise), id);
}

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status NotFound(uint64_t enterprise, std::string_view id) {
  return HandleError(ResponseCode::kHandleNotFound, Cat("device '", tenant::Excerpt(id),
                                                        "' not found in enterprise ", enterprise));
}

absl::Status CheckText(std::string_view field, std::string_view text, size_t max_chars) {
  if (text.empty()) return absl::OkStatus();
  return tenant::CheckDisplayText(field, text, max_chars);
}

bool IsTagKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

std::string Sha256(std::string_view data) {
  unsigned char out[32];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), n);
}

// A new secret and its credential: salt and SHA-256(salt || secret).
absl::Status NewCredential(std::string* secret, std::string* salt_hex, std::string* hash_hex) {
  QL_ASSIGN_OR_RETURN(std::string raw, RandomBytes(kDeviceSecretBytes));
  QL_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kDeviceSaltBytes));
  *secret = HexOf(raw);
  *salt_hex = HexOf(salt);
  *hash_hex = HexOf(Sha256(Cat(salt, *secret)));
  return absl::OkStatus();
}

DeviceCredential CredentialOf(const Device& d) {
  return DeviceCredential{Cat(d.product_key, "/", d.id), d.salt_hex, d.hash_hex, d.enabled};
}

std::shared_ptr<const DeviceRef> RefOf(const Device& d) {
  auto ref = std::make_shared<DeviceRef>();
  ref->enterprise = d.enterprise;
  ref->product_id = d.product;
  ref->product_key = d.product_key;
  ref->device_id = d.id;
  ref->model_version = d.model_version;
  ref->gateway_id = d.gateway;
  ref->enabled = d.enabled;
  return ref;
}

ident::HandleValue TextValue(uint32_t index, std::string_view type, std::string_view text,
                             uint32_t now) {
  ident::HandleValue v;
  v.index = index;
  v.type = std::string(type);
  v.data = std::string(text);
  v.timestamp = now;
  return v;
}

}  // namespace

// ---- Credentials and signs.

std::string SignContent(const SelfRegistration& r) {
  return Cat("deviceId", r.device_id, "productKey", r.product_key, "random", r.random);
}

std::string HmacSha256Hex(std::string_view secret, std::string_view content) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), out, &n);
  return HexOf(std::string_view(reinterpret_cast<char*>(out), n));
}

bool CredentialMatches(std::string_view salt_hex, std::string_view hash_hex,
                       std::string_view secret) {
  std::string salt;
  if (salt_hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < salt_hex.size(); i += 2) {
    const int hi = nibble(salt_hex[i]), lo = nibble(salt_hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    salt.push_back(static_cast<char>(hi * 16 + lo));
  }
  const std::string expected = HexOf(Sha256(Cat(salt, secret)));
  return expected.size() == hash_hex.size() &&
         CRYPTO_memcmp(expected.data(), hash_hex.data(), expected.size()) == 0;
}

// ---- Record format (docs/storage.md).

std::string EncodeDevice(const Device& d) {
  ByteWriter out;
  out.WriteU8(kDeviceFormatVersion);
  out.WriteU64(d.enterprise);
  for (const std::string* s : {&d.id, &d.product, &d.product_key}) out.WriteLengthPrefixed(*s);
  out.WriteU32(d.model_version);
  for (const std::string* s : {&d.name.zh, &d.name.en, &d.serial, &d.gateway}) {
    out.WriteLengthPrefixed(*s);
  }
  out.WriteU32(static_cast<uint32_t>(d.tags.size()));
  for (const auto& [k, v] : d.tags) {
    out.WriteLengthPrefixed(k);
    out.WriteLengthPrefixed(v);
  }
  out.WriteU8(d.enabled ? 1 : 0);
  out.WriteU64(static_cast<uint64_t>(absl::ToUnixSeconds(d.created_at)));
  out.WriteU64(static_cast<uint64_t>(absl::ToUnixSeconds(d.updated_at)));
  out.WriteLengthPrefixed(d.salt_hex);
  out.WriteLengthPrefixed(d.hash_hex);
  return out.Release();
}

absl::StatusOr<Device> DecodeDevice(std::string_view bytes) {
  ByteReader in(bytes);
  const uint8_t version = in.ReadU8();
  if (!in.ok()) return absl::DataLossError("stored device is empty");
  if (version != kDeviceFormatVersion) {
    return absl::DataLossError(Cat("stored device has unknown format version ", version));
  }
  Device d;
  d.enterprise = in.ReadU64();
  for (std::string* s : {&d.id, &d.product, &d.product_key}) {
    *s = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
  }
  d.model_version = in.ReadU32();
  for (std::string* s : {&d.name.zh, &d.name.en, &d.serial, &d.gateway}) {
    *s = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
  }
  const uint32_t tags = in.ReadU32();
  if (in.ok() && tags > kMaxTags) {
    return absl::DataLossError(Cat("stored device has ", tags, " tags"));
  }
  for (uint32_t i = 0; i < tags && in.ok(); ++i) {
    std::string k(in.ReadLengthPrefixed(kMaxStoredStringBytes));
    std::string v(in.ReadLengthPrefixed(kMaxStoredStringBytes));
    d.tags[std::move(k)] = std::move(v);
  }
  const uint8_t enabled = in.ReadU8();
  if (in.ok() && enabled > 1) return absl::DataLossError("stored device has a bad flag");
  d.enabled = enabled == 1;
  d.created_at = absl::FromUnixSeconds(static_cast<int64_t>(in.ReadU64()));
  d.updated_at = absl::FromUnixSeconds(static_cast<int64_t>(in.ReadU64()));
  d.salt_hex = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
  d.hash_hex = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
  if (!in.ok()) return absl::DataLossError("stored device is truncated");
  if (!in.at_end()) {
    return absl::DataLossError(Cat("stored device has ", in.remaining(), " trailing bytes"));
  }
  if (d.model_version == 0) return absl::DataLossError("stored device has model version 0");
  return d;
}

// ---- The registry.

struct DeviceRegistry::Prepared {
  Device device;
  std::string secret;
  std::string handle_key;                  // the identifier's storage key
  std::vector<ident::HandleValue> values;  // the identifier's values
};

DeviceRegistry::DeviceRegistry(store::KvStore* store, ProductRegistry* products,
                               tenant::EnterpriseRegistry* enterprises,
                               ident::Registry* identifiers, const Clock& clock,
                               DeviceRegistryOptions options)
    : store_(store),
      products_(products),
      enterprises_(enterprises),
      identifiers_(identifiers),
      clock_(clock),
      options_(std::move(options)) {
  while (!options_.public_base_url.empty() && options_.public_base_url.back() == '/') {
    options_.public_base_url.pop_back();
  }
  if (options_.bulk_batch_devices == 0) options_.bulk_batch_devices = 1;
  products_->SetDeleteGuard(this);
  products_->SetModelSavedHook(
      [this](uint64_t enterprise, std::string_view id) { ModelSaved(enterprise, id); });
}

DeviceRegistry::~DeviceRegistry() {
  products_->SetDeleteGuard(nullptr);
  products_->SetModelSavedHook(nullptr);
}

absl::Status DeviceRegistry::Load() {
  std::lock_guard write(write_mu_);
  std::vector<Device> loaded;
  absl::Status decode_error;
  absl::Status s =
      store_->Scan(kSpace, kDeviceKeyPrefix, "", [&](std::string_view key, std::string_view value) {
        absl::StatusOr<Device> d = DecodeDevice(value);
        if (!d.ok()) {
          decode_error =
              HandleError(ResponseCode::kError,
                          Cat("stored device '", key, "' is corrupt: ", d.status().message()));
          return false;
        }
        loaded.push_back(*std::move(d));
        return true;
      });
  if (!s.ok()) return StorageFailure("read", s);
  QL_RETURN_IF_ERROR(decode_error);
  std::unique_lock lock(mu_);
  devices_.clear();
  by_key_.clear();
  per_enterprise_.clear();
  per_product_.clear();
  children_.clear();
  for (Device& d : loaded) {
    QL_ASSIGN_OR_RETURN(std::string prefix, EnterprisePrefix(d.enterprise));
    d.handle = Cat(prefix, "/", d.id);
    QL_RETURN_IF_ERROR(Install(d));
  }
  return absl::OkStatus();
}

void DeviceRegistry::SetRemovalObserver(RemovalObserver observer) {
  std::lock_guard write(write_mu_);
  on_removed_ = std::move(observer);
}

void DeviceRegistry::SetDeviceAccess(DeviceAccess* access) {
  std::lock_guard write(write_mu_);
  access_ = access;
}

std::vector<DeviceCredential> DeviceRegistry::AllCredentials() const {
  std::shared_lock lock(mu_);
  std::vector<DeviceCredential> out;
  out.reserve(devices_.size());
  for (const auto& [key, entry] : devices_) out.push_back(CredentialOf(entry.device));
  return out;
}

absl::Status DeviceRegistry::ReplaceAllInBroker() {
  std::lock_guard write(write_mu_);
  if (access_ == nullptr) return absl::OkStatus();
  return access_->ReplaceAll(AllCredentials());
}

absl::Status DeviceRegistry::Install(const Device& d) {
  Entry entry{d, RefOf(d)};
  by_key_[{d.product_key, d.id}] = entry.ref;
  devices_[{d.enterprise, d.id}] = std::move(entry);
  ++per_enterprise_[d.enterprise];
  ++per_product_[{d.enterprise, d.product}];
  if (!d.gateway.empty()) ++children_[{d.enterprise, d.gateway}];
  return absl::OkStatus();
}

void DeviceRegistry::Uninstall(uint64_t enterprise, const std::string& id) {
  auto it = devices_.find({enterprise, id});
  if (it == devices_.end()) return;
  const Device& d = it->second.device;
  by_key_.erase(std::pair<std::string, std::string>(d.product_key, d.id));
  auto dec = [](auto& map, const auto& key) {
    auto c = map.find(key);
    if (c != map.end() && --c->second == 0) map.erase(c);
  };
  dec(per_enterprise_, enterprise);
  dec(per_product_, EntKey{enterprise, d.product});
  if (!d.gateway.empty()) dec(children_, EntKey{enterprise, d.gateway});
  devices_.erase(it);
}

void DeviceRegistry::Tell(const std::vector<DeviceCredential>& upsert,
                          const std::vector<std::string>& remove) {
  if (access_ == nullptr) return;
  // The store is the truth: a broker that missed a change gets the whole
  // set again with ReplaceAll when it (or qiliand) restarts.
  if (!upsert.empty()) {
    if (absl::Status s = access_->Upsert(upsert); !s.ok()) {
      LogWarn("device_access_failed", {{"op", "upsert"}, {"error", std::string(s.message())}});
    }
  }
  if (!remove.empty()) {
    if (absl::Status s = access_->Remove(remove); !s.ok()) {
      LogWarn("device_access_failed", {{"op", "remove"}, {"error", std::string(s.message())}});
    }
  }
}

absl::StatusOr<std::string> DeviceRegistry::EnterprisePrefix(uint64_t enterprise) const {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = prefixes_.find(enterprise); it != prefixes_.end()) return it->second;
  }
  if (enterprises_ == nullptr) {
    return HandleError(ResponseCode::kError, "devices need enterprises on this node");
  }
  QL_ASSIGN_OR_RETURN(tenant::Enterprise e, enterprises_->Get(enterprise));
  std::lock_guard lock(cache_mu_);
  prefixes_[enterprise] = e.prefix;
  return e.prefix;
}

absl::Status DeviceRegistry::ValidateTags(const DeviceTags& tags) {
  if (tags.size() > kMaxTags) {
    return tenant::FieldError(device_field::kTags,
                              Cat("has ", tags.size(), " tags; at most ", kMaxTags));
  }
  for (const auto& [k, v] : tags) {
    bool ok = !k.empty() && k.size() <= kMaxTagKeyLength;
    for (char c : k) ok = ok && IsTagKeyChar(c);
    if (!ok) {
      return tenant::FieldError(
          device_field::kTags,
          Cat("'", tenant::Excerpt(k), "' is not a tag name (1 to 64 of A-Z a-z 0-9 _ - .)"));
    }
    if (!v.empty()) {
      QL_RETURN_IF_ERROR(
          tenant::CheckDisplayText(Cat(device_field::kTags, ".", k), v, kMaxTagValueChars));
    }
  }
  return absl::OkStatus();
}

absl::Status DeviceRegistry::Validate(const DeviceInput& input) {
  if (absl::Status s = ProductRegistry::ValidateId(input.id); !s.ok()) {
    if (input.id.empty()) return tenant::FieldError(device_field::kId, "is required");
    if (input.id.size() > kMaxProductIdLength) {
      return tenant::FieldError(device_field::kId,
                                Cat("is longer than ", kMaxProductIdLength, " characters"));
    }
    return tenant::FieldError(device_field::kId,
                              Cat("'", tenant::Excerpt(input.id),
                                  "' is not a device id (1 to 64 of A-Z a-z 0-9 _ -, starting "
                                  "with a letter or digit)"));
  }
  if (input.id == "import" || input.id == "register") {
    return tenant::FieldError(
        device_field::kId, Cat("'", input.id, "' is reserved (POST /api/devices/", input.id, ")"));
  }
  QL_RETURN_IF_ERROR(CheckText(device_field::kNameZh, input.name.zh, kMaxDeviceNameChars));
  QL_RETURN_IF_ERROR(CheckText(device_field::kNameEn, input.name.en, kMaxDeviceNameChars));
  QL_RETURN_IF_ERROR(CheckText(device_field::kSerial, input.serial, kMaxSerialChars));
  return ValidateTags(input.tags);
}

// Everything of a create that can be checked before writing: fields, the
// product and model version, the gateway (an existing device or one
// created earlier in the same bulk, `pending`), the cap, the identifier.
absl::StatusOr<DeviceRegistry::Prepared> DeviceRegistry::Prepare(
    uint64_t enterprise, const DeviceInput& input, const std::set<EntKey>& pending) const {
  QL_RETURN_IF_ERROR(Validate(input));
  const EntKey key{enterprise, input.id};
  {
    std::shared_lock lock(mu_);
    if (devices_.contains(key) || pending.contains(key)) {
      return tenant::FieldError(
          device_field::kId,
          Cat("device '", input.id, "' already exists in enterprise ", enterprise),
          ResponseCode::kHandleAlreadyExists);
    }
    size_t count = pending.size();
    if (auto it = per_enterprise_.find(enterprise); it != per_enterprise_.end())
      count += it->second;
    if (count >= options_.max_devices_per_enterprise) {
      return HandleError(ResponseCode::kIdisIdentifierLimit,
                         Cat("enterprise ", enterprise, " already has the maximum of ",
                             options_.max_devices_per_enterprise,
                             " devices ([platform] max_devices_per_enterprise)"));
    }
    if (!input.gateway.empty()) {
      if (input.gateway == input.id) {
        return tenant::FieldError(device_field::kGateway, "a device cannot be its own gateway");
      }
      const EntKey gw{enterprise, input.gateway};
      if (!devices_.contains(gw) && !pending.contains(gw)) {
        return tenant::FieldError(
            device_field::kGateway,
            Cat("no device '", tenant::Excerpt(input.gateway), "' in enterprise ", enterprise));
      }
    }
  }
  if (input.product.empty()) return tenant::FieldError(device_field::kProduct, "is required");
  if (!ProductRegistry::ValidateId(input.product).ok()) {
    return tenant::FieldError(device_field::kProduct,
                              Cat("'", tenant::Excerpt(input.product), "' is not a product id"));
  }
  absl::StatusOr<Product> product = products_->Get(enterprise, input.product);
  if (!product.ok()) {
    if (ident::ResponseCodeOf(product.status()) == ResponseCode::kHandleNotFound) {
      return tenant::FieldError(device_field::kProduct,
                                Cat("no product '", input.product, "' in enterprise ", enterprise));
    }
    return product.status();
  }
  if (input.model_version > product->latest_version) {
    return tenant::FieldError(
        device_field::kModelVersion,
        Cat("product '", input.product, "' has no model version ", input.model_version,
            "; its latest is ", product->latest_version));
  }
  QL_ASSIGN_OR_RETURN(std::string prefix, EnterprisePrefix(enterprise));

  Prepared p;
  Device& d = p.device;
  d.enterprise = enterprise;
  d.id = input.id;
  d.product = input.product;
  d.product_key = product->product_key;
  d.model_version = input.model_version == 0 ? product->latest_version : input.model_version;
  d.name = input.name;
  d.serial = input.serial;
  d.gateway = input.gateway;
  d.tags = input.tags;
  d.enabled = input.enabled;
  d.created_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  d.updated_at = d.created_at;
  d.handle = Cat(prefix, "/", d.id);
  if (d.product_key.empty()) {
    return HandleError(ResponseCode::kError,
                       Cat("product '", d.product, "' has no product key yet"));
  }
  QL_RETURN_IF_ERROR(NewCredential(&p.secret, &d.salt_hex, &d.hash_hex));

  if (identifiers_ != nullptr) {
    QL_ASSIGN_OR_RETURN(ident::HandleName name, ident::ParseHandle(d.handle));
    p.handle_key = ident::StorageKey(name, identifiers_->options().case_sensitive_suffix);
    std::string ignored;
    absl::Status s = store_->Get(ident::Registry::kSpace, p.handle_key, &ignored);
    if (s.ok()) {
      return tenant::FieldError(device_field::kId,
                                Cat("the identifier ", d.handle,
                                    " already exists; a device does not take over an "
                                    "identifier the enterprise registered, so choose another id"),
                                ResponseCode::kHandleAlreadyExists);
    }
    if (!absl::IsNotFound(s)) return StorageFailure("read", s);
  }
  return p;
}

namespace {

// The identifier values of device `d` (docs/devices.md, "Identifiers").
std::vector<ident::HandleValue> HandleValues(const Device& d, std::string_view base_url,
                                             std::string_view prefix,
                                             const tenant::EnterpriseRegistry* enterprises,
                                             uint32_t now) {
  namespace h = device_handle;
  std::vector<ident::HandleValue> values;
  values.push_back(
      TextValue(h::kUrlIndex, "URL", Cat(base_url, "/api/devices/", d.id, "/shadow"), now));
  values.push_back(TextValue(h::kProductIndex, h::kTypeProduct, d.product, now));
  values.push_back(TextValue(h::kProductKeyIndex, h::kTypeProductKey, d.product_key, now));
  values.push_back(
      TextValue(h::kModelVersionIndex, h::kTypeModelVersion, std::to_string(d.model_version), now));
  if (!d.serial.empty())
    values.push_back(TextValue(h::kSerialIndex, h::kTypeSerial, d.serial, now));
  if (!d.gateway.empty()) {
    values.push_back(
        TextValue(h::kGatewayIndex, h::kTypeGateway, Cat(prefix, "/", d.gateway), now));
  }
  ident::HandleValue admin;
  admin.index = h::kAdminIndex;
  admin.type = std::string(ident::kTypeAdmin);
  const tenant::EnterpriseRegistryOptions& o = enterprises->options();
  admin.data = ident::EncodeAdminData(
      ident::AdminRecord{ident::admin_perm::kAll, o.admin_handle, o.admin_index});
  admin.timestamp = now;
  values.push_back(std::move(admin));
  return values;
}

std::string_view PrefixOf(std::string_view handle) { return handle.substr(0, handle.find('/')); }

}  // namespace

absl::StatusOr<DeviceWithSecret> DeviceRegistry::Create(uint64_t enterprise,
                                                        const DeviceInput& input) {
  std::vector<BulkResult> results = CreateMany(enterprise, {input});
  return std::move(results.front().outcome);
}

std::vector<BulkResult> DeviceRegistry::CreateMany(uint64_t enterprise,
                                                   const std::vector<DeviceInput>& inputs) {
  std::lock_guard write(write_mu_);
  std::vector<BulkResult> results(inputs.size(), BulkResult{absl::UnknownError("")});
  const uint32_t now = static_cast<uint32_t>(absl::ToUnixSeconds(clock_.Now()));

  size_t start = 0;
  while (start < inputs.size()) {
    // One chunk: prepare up to bulk_batch_devices good rows, write them in
    // one batch, then install them.
    std::set<EntKey> pending;
    std::vector<std::pair<size_t, Prepared>> chunk;
    size_t i = start;
    for (; i < inputs.size() && chunk.size() < options_.bulk_batch_devices; ++i) {
      absl::StatusOr<Prepared> p = Prepare(enterprise, inputs[i], pending);
      if (!p.ok()) {
        results[i].outcome = p.status();
        continue;
      }
      chunk.emplace_back(i, *std::move(p));
      pending.insert({enterprise, chunk.back().second.device.id});
    }
    start = i;
    if (chunk.empty()) continue;
    store::WriteBatch batch;
    for (auto& [row, p] : chunk) {
      batch.Put(kSpace, DeviceKey(enterprise, p.device.id), EncodeDevice(p.device));
      if (identifiers_ != nullptr) {
        p.values = HandleValues(p.device, options_.public_base_url, PrefixOf(p.device.handle),
                                enterprises_, now);
        batch.Put(ident::Registry::kSpace, p.handle_key,
                  ident::EncodeRecord(ident::HandleRecord{p.device.handle, p.values}));
      }
    }
    absl::Status s = store_->Write(batch);
    if (!s.ok()) {
      for (auto& [row, p] : chunk) results[row].outcome = StorageFailure("write", s);
      continue;
    }
    std::vector<DeviceCredential> told;
    {
      std::unique_lock lock(mu_);
      for (auto& [row, p] : chunk) (void)Install(p.device);
    }
    for (auto& [row, p] : chunk) {
      told.push_back(CredentialOf(p.device));
      results[row].outcome = DeviceWithSecret{std::move(p.device), std::move(p.secret)};
    }
    Tell(told, {});
  }
  return results;
}

absl::StatusOr<Device> DeviceRegistry::Lookup(uint64_t enterprise, std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = devices_.find(EntKey{enterprise, std::string(id)});
  if (it == devices_.end()) return NotFound(enterprise, id);
  return it->second.device;
}

absl::StatusOr<Device> DeviceRegistry::Get(uint64_t enterprise, std::string_view id) const {
  if (!ProductRegistry::ValidateId(id).ok()) return NotFound(enterprise, id);
  return Lookup(enterprise, id);
}

absl::StatusOr<Device> DeviceRegistry::Update(uint64_t enterprise, std::string_view id,
                                              const DeviceUpdate& update) {
  std::lock_guard write(write_mu_);
  QL_ASSIGN_OR_RETURN(Device d, Get(enterprise, id));
  const Device before = d;
  if (update.name) {
    QL_RETURN_IF_ERROR(CheckText(device_field::kNameZh, update.name->zh, kMaxDeviceNameChars));
    QL_RETURN_IF_ERROR(CheckText(device_field::kNameEn, update.name->en, kMaxDeviceNameChars));
    d.name = *update.name;
  }
  if (update.serial) {
    QL_RETURN_IF_ERROR(CheckText(device_field::kSerial, *update.serial, kMaxSerialChars));
    d.serial = *update.serial;
  }
  if (update.tags) {
    QL_RETURN_IF_ERROR(ValidateTags(*update.tags));
    d.tags = *update.tags;
  }
  if (update.enabled) d.enabled = *update.enabled;
  if (update.model_version) {
    const uint32_t v = *update.model_version;
    if (v < d.model_version) {
      return tenant::FieldError(device_field::kModelVersion,
                                Cat(v, " is below the bound version ", d.model_version,
                                    "; a device's model version is only raised"));
    }
    QL_ASSIGN_OR_RETURN(Product product, products_->Get(enterprise, d.product));
    if (v > product.latest_version) {
      return tenant::FieldError(device_field::kModelVersion,
                                Cat("product '", d.product, "' has no model version ", v,
                                    "; its latest is ", product.latest_version));
    }
    d.model_version = v;
  }
  if (update.gateway && *update.gateway != d.gateway) {
    const std::string& gw = *update.gateway;
    if (!gw.empty()) {
      if (gw == d.id) {
        return tenant::FieldError(device_field::kGateway, "a device cannot be its own gateway");
      }
      std::shared_lock lock(mu_);
      // Walk up from the new gateway: reaching this device is a cycle.
      std::string at = gw;
      for (size_t hops = 0; !at.empty(); ++hops) {
        auto it = devices_.find({enterprise, at});
        if (it == devices_.end()) {
          return tenant::FieldError(device_field::kGateway, Cat("no device '", tenant::Excerpt(at),
                                                                "' in enterprise ", enterprise));
        }
        if (at == d.id || hops > devices_.size()) {
          return tenant::FieldError(
              device_field::kGateway,
              Cat("'", gw, "' speaks through '", d.id, "' already; gateways may not form a cycle"));
        }
        at = it->second.device.gateway;
      }
    }
    d.gateway = gw;
  }
  if (d == before) return d;
  d.updated_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));

  store::WriteBatch batch;
  batch.Put(kSpace, DeviceKey(enterprise, d.id), EncodeDevice(d));
  if (identifiers_ != nullptr) {
    const uint32_t now = static_cast<uint32_t>(absl::ToUnixSeconds(clock_.Now()));
    auto written = identifiers_->Replace(
        d.handle, HandleValues(d, options_.public_base_url, PrefixOf(d.handle), enterprises_, now),
        /*overwrite=*/true, &batch);
    QL_RETURN_IF_ERROR(written.status());
  } else if (absl::Status s = store_->Write(batch); !s.ok()) {
    return StorageFailure("write", s);
  }
  {
    std::unique_lock lock(mu_);
    Uninstall(enterprise, d.id);
    (void)Install(d);
  }
  if (d.enabled != before.enabled) Tell({CredentialOf(d)}, {});
  return d;
}

absl::Status DeviceRegistry::Delete(uint64_t enterprise, std::string_view id) {
  std::lock_guard write(write_mu_);
  QL_ASSIGN_OR_RETURN(Device d, Get(enterprise, id));
  {
    std::shared_lock lock(mu_);
    if (auto it = children_.find({enterprise, d.id}); it != children_.end()) {
      return HandleError(ResponseCode::kInvalidValue,
                         Cat("device '", d.id, "' is the gateway of ", it->second,
                             it->second == 1 ? " device" : " devices",
                             "; delete them or change their gateway first"));
    }
  }
  store::WriteBatch batch;
  batch.Delete(kSpace, DeviceKey(enterprise, d.id));
  absl::Status s;
  if (identifiers_ != nullptr) {
    s = identifiers_->Delete(d.handle, &batch);
    // An identifier removed by hand: the device record still goes.
    if (ident::ResponseCodeOf(s) == ResponseCode::kHandleNotFound) {
      s = store_->Write(batch);
      if (!s.ok()) return StorageFailure("write", s);
    }
    QL_RETURN_IF_ERROR(s);
  } else {
    s = store_->Write(batch);
    if (!s.ok()) return StorageFailure("write", s);
  }
  std::shared_ptr<const DeviceRef> removed;
  {
    std::unique_lock lock(mu_);
    if (auto it = devices_.find({enterprise, d.id}); it != devices_.end()) removed = it->second.ref;
    Uninstall(enterprise, d.id);
  }
  Tell({}, {CredentialOf(d).username});
  if (on_removed_ && removed != nullptr) on_removed_(*removed);
  return absl::OkStatus();
}

absl::StatusOr<DeviceWithSecret> DeviceRegistry::RotateSecret(uint64_t enterprise,
                                                              std::string_view id) {
  std::lock_guard write(write_mu_);
  QL_ASSIGN_OR_RETURN(Device d, Get(enterprise, id));
  DeviceWithSecret out;
  QL_RETURN_IF_ERROR(NewCredential(&out.secret, &d.salt_hex, &d.hash_hex));
  d.updated_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  absl::Status s = store_->Put(kSpace, DeviceKey(enterprise, d.id), EncodeDevice(d));
  if (!s.ok()) return StorageFailure("write", s);
  {
    std::unique_lock lock(mu_);
    Uninstall(enterprise, d.id);
    (void)Install(d);
  }
  Tell({CredentialOf(d)}, {});
  out.device = std::move(d);
  return out;
}

absl::StatusOr<DevicePage> DeviceRegistry::List(std::optional<uint64_t> enterprise,
                                                const DeviceFilter& filter, std::string_view after,
                                                size_t limit) const {
  if (limit == 0 || limit > kMaxDevicePageSize) {
    return HandleError(ResponseCode::kProtocolError,
                       Cat("limit must be in 1..", kMaxDevicePageSize));
  }
  EntKey from{enterprise.value_or(0), ""};
  if (!after.empty()) {
    if (enterprise.has_value()) {
      from.second = std::string(after);
    } else {
      const size_t slash = after.find('/');
      uint64_t e = 0;
      if (slash == std::string_view::npos || !absl::SimpleAtoi(AV(after.substr(0, slash)), &e)) {
        return HandleError(ResponseCode::kProtocolError,
                           Cat("after must be <enterprise>/<device id> when no enterprise is "
                               "named, got '",
                               tenant::Excerpt(after), "'"));
      }
      from = {e, std::string(after.substr(slash + 1))};
    }
  }
  DevicePage page;
  std::shared_lock lock(mu_);
  auto it = after.empty() ? devices_.lower_bound(from) : devices_.upper_bound(from);
  for (; it != devices_.end(); ++it) {
    const Device& d = it->second.device;
    if (enterprise.has_value() && d.enterprise != *enterprise) break;
    if (filter.product && d.product != *filter.product) continue;
    if (filter.gateway && d.gateway != *filter.gateway) continue;
    if (page.devices.size() == limit) {
      page.more = true;
      break;
    }
    page.devices.push_back(d);
  }
  return page;
}

absl::StatusOr<DeviceWithSecret> DeviceRegistry::SelfRegister(const SelfRegistration& r) {
  const absl::Status bad_sign =
      HandleError(ResponseCode::kAuthenticationFailed,
                  "sign does not verify for this productKey, deviceId and random");
  if (r.sign_method != "hmacsha256") {
    return tenant::FieldError("signMethod", "must be \"hmacsha256\"");
  }
  if (r.random.empty() || r.random.size() > kMaxRegisterRandomLength || !IsAlnum(r.random)) {
    return tenant::FieldError("random", "must be 1 to 64 of A-Z a-z 0-9");
  }
  absl::StatusOr<Product> product = products_->FindByKey(r.product_key);
  if (!product.ok()) {
    if (ident::ResponseCodeOf(product.status()) == ResponseCode::kHandleNotFound) return bad_sign;
    return product.status();
  }
  const std::string expected = HmacSha256Hex(product->product_secret, SignContent(r));
  std::string given = r.sign;
  for (char& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (given.size() != expected.size() ||
      CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return bad_sign;
  }
  if (!product->self_provisioning) {
    return HandleError(ResponseCode::kInsufficientPermissions,
                       Cat("product '", product->id, "' does not allow self-provisioning"));
  }
  DeviceInput input;
  input.id = r.device_id;
  input.product = product->id;
  absl::StatusOr<DeviceWithSecret> created = Create(product->enterprise, input);
  if (!created.ok() && tenant::FieldOf(created.status()) == device_field::kId) {
    // The request names the device "deviceId".
    absl::string_view problem = created.status().message();
    problem.remove_prefix(std::min(problem.size(), device_field::kId.size() + 2));
    return tenant::FieldError("deviceId", std::string_view(problem.data(), problem.size()),
                              ident::ResponseCodeOf(created.status()));
  }
  return created;
}

size_t DeviceRegistry::CountInEnterprise(uint64_t enterprise) const {
  std::shared_lock lock(mu_);
  auto it = per_enterprise_.find(enterprise);
  return it == per_enterprise_.end() ? 0 : it->second;
}

size_t DeviceRegistry::CountOfProduct(uint64_t enterprise, std::string_view product) const {
  std::shared_lock lock(mu_);
  auto it = per_product_.find(EntKey{enterprise, std::string(product)});
  return it == per_product_.end() ? 0 : it->second;
}

size_t DeviceRegistry::size() const {
  std::shared_lock lock(mu_);
  return devices_.size();
}

std::shared_ptr<const DeviceRef> DeviceRegistry::Find(std::string_view product_key,
                                                      std::string_view device_id) const {
  std::shared_lock lock(mu_);
  auto it = by_key_.find(std::pair<std::string, std::string>(product_key, device_id));
  return it == by_key_.end() ? nullptr : it->second;
}

std::shared_ptr<const DeviceRef> DeviceRegistry::FindInEnterprise(
    uint64_t enterprise, std::string_view device_id) const {
  std::shared_lock lock(mu_);
  auto it = devices_.find(EntKey{enterprise, std::string(device_id)});
  return it == devices_.end() ? nullptr : it->second.ref;
}

std::shared_ptr<const ModelIndex> DeviceRegistry::Model(uint64_t enterprise,
                                                        std::string_view product_id,
                                                        uint32_t version) const {
  auto key = std::make_tuple(enterprise, std::string(product_id), version);
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = models_.find(key); it != models_.end()) return it->second;
  }
  if (version == 0) return nullptr;
  absl::StatusOr<ThingModel> model = products_->GetModel(enterprise, product_id, version);
  if (!model.ok()) return nullptr;
  auto index = std::make_shared<const ModelIndex>(*std::move(model));
  std::lock_guard lock(cache_mu_);
  models_[key] = index;
  return index;
}

void DeviceRegistry::ModelSaved(uint64_t enterprise, std::string_view product) {
  std::lock_guard lock(cache_mu_);
  auto it = models_.lower_bound(std::make_tuple(enterprise, std::string(product), 0u));
  while (it != models_.end() && std::get<0>(it->first) == enterprise &&
         std::get<1>(it->first) == product) {
    it = models_.erase(it);
  }
}

absl::Status DeviceRegistry::GuardedDelete(uint64_t enterprise, std::string_view product_id,
                                           const std::function<absl::Status()>& remove) {
  std::lock_guard write(write_mu_);
  const size_t n = CountOfProduct(enterprise, product_id);
  if (n > 0) {
    return ProductInUseError(Cat("product '", product_id, "' has ", n,
                                 n == 1 ? " device" : " devices", "; delete them first"));
  }
  QL_RETURN_IF_ERROR(remove());
  ModelSaved(enterprise, product_id);
  return absl::OkStatus();
}

}  // namespace qilian::platform
