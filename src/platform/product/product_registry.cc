#include "platform/product/product_registry.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

#include "platform/thing_model/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"
#include "platform/product/key_parts.h"
#include "platform/product/random_text.h"
#include "platform/thing_model/thing_model_json.h"
#include "tenant/field_error.h"

namespace qilian::platform {
namespace {

using ident::HandleError;
using ident::ResponseCode;

// Record format (docs/storage.md). A new layout gets a new version byte and
// the decoder learns both.
// 1: before product keys; 2: + product key, secret, self-provisioning,
// starter.
constexpr uint8_t kProductFormatVersion = 2;
constexpr uint8_t kProductFormatVersion1 = 1;
constexpr std::string_view kInUseType = "type.qilian/product-in-use";
constexpr size_t kMaxStoredStringBytes = 8192;

constexpr std::string_view kProductKeyPrefix = "prod/";
constexpr std::string_view kModelKeyPrefix = "model/";
constexpr std::string_view kIndexKeyPrefix = "pkey/";

std::string EnterprisePart(uint64_t enterprise) { return EnterpriseKeyPart(enterprise); }

std::string Padded(uint64_t n, size_t width) {
  std::string digits = std::to_string(n);
  return std::string(width > digits.size() ? width - digits.size() : 0, '0') + digits;
}

std::string ProductKey(uint64_t enterprise, std::string_view id) {
  return Cat(kProductKeyPrefix, EnterprisePart(enterprise), id);
}

std::string IndexKey(std::string_view product_key) { return Cat(kIndexKeyPrefix, product_key); }

std::string IndexValue(uint64_t enterprise, std::string_view id) {
  return Cat(EnterprisePart(enterprise), id);
}

std::string ModelKeyPrefix(uint64_t enterprise, std::string_view id) {
  return Cat(kModelKeyPrefix, EnterprisePart(enterprise), id, "/");
}

std::string ModelKey(uint64_t enterprise, std::string_view id, uint32_t version) {
  return Cat(ModelKeyPrefix(enterprise, id), Padded(version, 10));
}

absl::Status NotFound(uint64_t enterprise, std::string_view id) {
  return HandleError(ResponseCode::kHandleNotFound,
                     Cat("product '", tenant::Excerpt(id), "' not found in enterprise ",
                                  enterprise));
}

// An optional text may be empty; otherwise it is checked as a required one.
absl::Status CheckText(std::string_view field, std::string_view text, size_t max_chars,
                       bool required) {
  if (text.empty() && !required) return absl::OkStatus();
  return tenant::CheckDisplayText(field, text, max_chars);
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

static absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status ProductInUseError(std::string_view message) {
  absl::Status s = HandleError(ResponseCode::kInvalidValue, message);
  s.SetPayload(AV(kInUseType), absl::Cord("1"));
  return s;
}

bool IsProductInUse(const absl::Status& status) {
  return status.GetPayload(AV(kInUseType)).has_value();
}

std::string EncodeProduct(const Product& p) {
  ByteWriter out;
  out.WriteU8(kProductFormatVersion);
  out.WriteU64(p.enterprise);
  for (const std::string* s : {&p.id, &p.name.zh, &p.name.en, &p.description}) {
    out.WriteLengthPrefixed(*s);
  }
  out.WriteU32(p.latest_version);
  out.WriteU64(static_cast<uint64_t>(absl::ToUnixSeconds(p.created_at)));
  out.WriteU64(static_cast<uint64_t>(absl::ToUnixSeconds(p.updated_at)));
  out.WriteLengthPrefixed(p.product_key);
  out.WriteLengthPrefixed(p.product_secret);
  out.WriteU8(p.self_provisioning ? 1 : 0);
  out.WriteLengthPrefixed(p.starter);
  return out.Release();
}

absl::StatusOr<Product> DecodeProduct(std::string_view bytes) {
  ByteReader in(bytes);
  uint8_t version = in.ReadU8();
  if (!in.ok()) return absl::DataLossError("stored product is empty");
  if (version != kProductFormatVersion && version != kProductFormatVersion1) {
    return absl::DataLossError(Cat("stored product has unknown format version ", version));
  }
  Product p;
  p.enterprise = in.ReadU64();
  for (std::string* s : {&p.id, &p.name.zh, &p.name.en, &p.description}) {
    *s = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
  }
  p.latest_version = in.ReadU32();
  p.created_at = absl::FromUnixSeconds(static_cast<int64_t>(in.ReadU64()));
  p.updated_at = absl::FromUnixSeconds(static_cast<int64_t>(in.ReadU64()));
  if (version >= 2) {
    p.product_key = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
    p.product_secret = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
    const uint8_t self = in.ReadU8();
    if (in.ok() && self > 1) return absl::DataLossError("stored product has a bad flag");
    p.self_provisioning = self == 1;
    p.starter = std::string(in.ReadLengthPrefixed(kMaxStoredStringBytes));
  }
  if (!in.ok()) return absl::DataLossError("stored product is truncated");
  if (!in.at_end()) {
    return absl::DataLossError(Cat("stored product has ", in.remaining(), " trailing bytes"));
  }
  if (p.latest_version == 0) return absl::DataLossError("stored product has model version 0");
  return p;
}

ProductRegistry::ProductRegistry(store::KvStore* store, const Clock& clock,
                                 ProductRegistryOptions options)
    : store_(store), clock_(clock), options_(options) {}

absl::StatusOr<std::string> ProductRegistry::NewProductKey() const {
  // 62^11 keys: a collision is astronomically rare, but checked.
  for (int attempt = 0; attempt < 8; ++attempt) {
    QL_ASSIGN_OR_RETURN(std::string key, RandomAlnum(kProductKeyLength));
    std::string ignored;
    absl::Status s = store_->Get(kSpace, IndexKey(key), &ignored);
    if (absl::IsNotFound(s)) return key;
    if (!s.ok()) return StorageFailure("read", s);
  }
  return HandleError(ResponseCode::kError, "no free product key found");
}

absl::StatusOr<size_t> ProductRegistry::MigrateProductKeys() {
  std::lock_guard lock(write_mu_);
  std::vector<Product> pending;
  absl::Status decode_error;
  absl::Status s = store_->Scan(kSpace, kProductKeyPrefix, "",
                                [&](std::string_view key, std::string_view value) {
                                  absl::StatusOr<Product> p = DecodeProduct(value);
                                  if (!p.ok()) {
                                    decode_error = HandleError(
                                        ResponseCode::kError,
                                        Cat("stored product '", key, "' is corrupt: ",
                                            p.status().message()));
                                    return false;
                                  }
                                  if (p->product_key.empty()) pending.push_back(*std::move(p));
                                  return true;
                                });
  if (!s.ok()) return StorageFailure("read", s);
  QL_RETURN_IF_ERROR(decode_error);
  for (Product& p : pending) {
    QL_ASSIGN_OR_RETURN(p.product_key, NewProductKey());
    QL_ASSIGN_OR_RETURN(p.product_secret, RandomAlnum(kProductSecretLength));
    store::WriteBatch batch;
    batch.Put(kSpace, ProductKey(p.enterprise, p.id), EncodeProduct(p));
    batch.Put(kSpace, IndexKey(p.product_key), IndexValue(p.enterprise, p.id));
    s = store_->Write(batch);
    if (!s.ok()) return StorageFailure("write", s);
  }
  return pending.size();
}

absl::StatusOr<size_t> ProductRegistry::Count(uint64_t enterprise) const {
  size_t n = 0;
  absl::Status s = store_->Scan(kSpace, Cat(kProductKeyPrefix, EnterprisePart(enterprise)), "",
                                [&](std::string_view, std::string_view) {
                                  ++n;
                                  return true;
                                });
  if (!s.ok()) return StorageFailure("read", s);
  return n;
}

absl::StatusOr<Product> ProductRegistry::FindByKey(std::string_view product_key) const {
  auto not_found = [&] {
    return HandleError(ResponseCode::kHandleNotFound,
                       Cat("no product has the key '", tenant::Excerpt(product_key), "'"));
  };
  if (product_key.size() != kProductKeyLength || !IsAlnum(product_key)) return not_found();
  std::string where;
  absl::Status s = store_->Get(kSpace, IndexKey(product_key), &where);
  if (absl::IsNotFound(s)) return not_found();
  if (!s.ok()) return StorageFailure("read", s);
  const size_t slash = where.find('/');
  uint64_t enterprise = 0;
  if (slash != 20 || !absl::SimpleAtoi(AV(std::string_view(where).substr(0, slash)), &enterprise)) {
    return HandleError(ResponseCode::kError,
                       Cat("stored index of product key '", product_key, "' is corrupt"));
  }
  return Load(enterprise, std::string_view(where).substr(slash + 1));
}

absl::StatusOr<Product> ProductRegistry::SetSelfProvisioning(uint64_t enterprise,
                                                             std::string_view id, bool enabled) {
  QL_RETURN_IF_ERROR(ValidateId(id));
  std::lock_guard lock(write_mu_);
  QL_ASSIGN_OR_RETURN(Product p, Load(enterprise, id));
  if (p.self_provisioning == enabled) return p;
  p.self_provisioning = enabled;
  p.updated_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  absl::Status s = store_->Put(kSpace, ProductKey(enterprise, p.id), EncodeProduct(p));
  if (!s.ok()) return StorageFailure("write", s);
  return p;
}

absl::Status ProductRegistry::ValidateId(std::string_view id) {
  if (id.empty()) return tenant::FieldError(product_field::kId, "is required");
  if (id.size() > kMaxProductIdLength) {
    return tenant::FieldError(product_field::kId,
                              Cat("is longer than ", kMaxProductIdLength, " characters"));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    if (!IsIdChar(id[i]) || (i == 0 && (id[0] == '_' || id[0] == '-'))) {
      return tenant::FieldError(
          product_field::kId,
          Cat("'", tenant::Excerpt(id),
                       "' is not a product id (1 to 64 of A-Z a-z 0-9 _ -, starting with a "
                       "letter or digit)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ProductRegistry::Validate(const ProductInput& input) {
  QL_RETURN_IF_ERROR(ValidateId(input.id));
  QL_RETURN_IF_ERROR(CheckText(product_field::kNameZh, input.name.zh, kMaxProductNameChars, true));
  QL_RETURN_IF_ERROR(
      CheckText(product_field::kNameEn, input.name.en, kMaxProductNameChars, false));
  return CheckText(product_field::kDescription, input.description, kMaxProductDescriptionChars,
                   false);
}

absl::StatusOr<Product> ProductRegistry::Load(uint64_t enterprise, std::string_view id) const {
  std::string bytes;
  absl::Status s = store_->Get(kSpace, ProductKey(enterprise, id), &bytes);
  if (absl::IsNotFound(s)) return NotFound(enterprise, id);
  if (!s.ok()) return StorageFailure("read", s);
  absl::StatusOr<Product> p = DecodeProduct(bytes);
  if (!p.ok()) {
    return HandleError(ResponseCode::kError,
                       Cat("stored product '", id, "' of enterprise ", enterprise,
                                    " is corrupt: ", p.status().message()));
  }
  return p;
}

absl::StatusOr<Product> ProductRegistry::Create(uint64_t enterprise, const ProductInput& input,
                                                const ThingModel& model) {
  QL_RETURN_IF_ERROR(Validate(input));
  if (model.version != 1) {
    return tenant::FieldError(
        product_field::kModelVersion,
        Cat("a new product's model is version 1, got ", model.version));
  }
  Product p;
  p.enterprise = enterprise;
  p.id = input.id;
  p.name = input.name;
  p.description = input.description;
  p.starter = input.starter;
  p.self_provisioning = input.self_provisioning;
  p.latest_version = 1;
  p.created_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  p.updated_at = p.created_at;

  std::lock_guard lock(write_mu_);
  std::string ignored;
  absl::Status s = store_->Get(kSpace, ProductKey(enterprise, input.id), &ignored);
  if (s.ok()) {
    return tenant::FieldError(product_field::kId,
                              Cat("product '", input.id,
                                           "' already exists in enterprise ", enterprise),
                              ResponseCode::kHandleAlreadyExists);
  }
  if (!absl::IsNotFound(s)) return StorageFailure("read", s);
  QL_ASSIGN_OR_RETURN(size_t count, Count(enterprise));
  if (count >= options_.max_products_per_enterprise) {
    return HandleError(ResponseCode::kIdisIdentifierLimit,
                       Cat("enterprise ", enterprise, " already has the maximum of ",
                           options_.max_products_per_enterprise,
                           " products ([platform] max_products_per_enterprise)"));
  }
  QL_ASSIGN_OR_RETURN(p.product_key, NewProductKey());
  QL_ASSIGN_OR_RETURN(p.product_secret, RandomAlnum(kProductSecretLength));
  store::WriteBatch batch;
  batch.Put(kSpace, ProductKey(enterprise, p.id), EncodeProduct(p));
  batch.Put(kSpace, IndexKey(p.product_key), IndexValue(enterprise, p.id));
  batch.Put(kSpace, ModelKey(enterprise, p.id, 1), EncodeThingModel(model));
  s = store_->Write(batch);
  if (!s.ok()) return StorageFailure("write", s);
  return p;
}

absl::StatusOr<Product> ProductRegistry::Get(uint64_t enterprise, std::string_view id) const {
  QL_RETURN_IF_ERROR(ValidateId(id));
  return Load(enterprise, id);
}

absl::StatusOr<ThingModel> ProductRegistry::GetModel(uint64_t enterprise, std::string_view id,
                                                     uint32_t version) const {
  QL_ASSIGN_OR_RETURN(Product p, Get(enterprise, id));
  if (version == 0) version = p.latest_version;
  if (version > p.latest_version) {
    return HandleError(ResponseCode::kHandleNotFound,
                       Cat("product '", id, "' has no model version ", version,
                                    "; its latest is ", p.latest_version));
  }
  std::string text;
  absl::Status s = store_->Get(kSpace, ModelKey(enterprise, id, version), &text);
  if (absl::IsNotFound(s)) {
    return HandleError(ResponseCode::kError,
                       Cat("stored model version ", version, " of product '", id,
                                    "' is missing"));
  }
  if (!s.ok()) return StorageFailure("read", s);
  absl::StatusOr<ThingModel> model = ParseThingModel(text);
  if (!model.ok()) {
    return HandleError(ResponseCode::kError,
                       Cat("stored model version ", version, " of product '", id,
                                    "' is corrupt: ", model.status().message()));
  }
  return model;
}

absl::StatusOr<Product> ProductRegistry::SaveModel(uint64_t enterprise, std::string_view id,
                                                   const ThingModel& model,
                                                   std::vector<BreakingChange>* breaking) {
  QL_RETURN_IF_ERROR(ValidateId(id));
  std::lock_guard lock(write_mu_);
  QL_ASSIGN_OR_RETURN(Product p, Load(enterprise, id));
  const uint32_t latest = p.latest_version;
  if (model.version < latest) {
    return tenant::FieldError(product_field::kModelVersion,
                              Cat(model.version, " is older than the latest version ",
                                           latest, " of product '", id, "'"));
  }
  if (model.version > latest + 1) {
    return tenant::FieldError(
        product_field::kModelVersion,
        Cat(model.version, " skips a version: product '", id, "' is at version ",
                     latest, ", so a model is saved as ", latest, " (a compatible amendment) or ",
                     latest + 1, " (a new version)"));
  }
  if (model.version == latest + 1 && latest >= kMaxModelVersions) {
    return tenant::FieldError(product_field::kModelVersion,
                              Cat("product '", id, "' already has the maximum of ",
                                           kMaxModelVersions, " model versions"));
  }
  if (model.version == latest) {
    QL_ASSIGN_OR_RETURN(ThingModel current, GetModel(enterprise, id, latest));
    std::vector<BreakingChange> changes = FindBreakingChanges(current, model);
    if (!changes.empty()) {
      absl::Status refused = CheckNewRevision(current, model);
      if (breaking != nullptr) *breaking = std::move(changes);
      // "version: N has breaking changes, it needs a version above N: ..."
      return HandleError(ResponseCode::kInvalidValue,
                         Cat("thingModel.", refused.message()));
    }
  }
  p.latest_version = model.version;
  p.updated_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  store::WriteBatch batch;
  batch.Put(kSpace, ProductKey(enterprise, p.id), EncodeProduct(p));
  batch.Put(kSpace, ModelKey(enterprise, p.id, model.version), EncodeThingModel(model));
  absl::Status s = store_->Write(batch);
  if (!s.ok()) return StorageFailure("write", s);
  if (model_saved_) model_saved_(enterprise, p.id);
  return p;
}

absl::Status ProductRegistry::Delete(uint64_t enterprise, std::string_view id) {
  QL_RETURN_IF_ERROR(ValidateId(id));
  std::lock_guard lock(write_mu_);
  QL_ASSIGN_OR_RETURN(Product p, Load(enterprise, id));
  auto remove = [&]() -> absl::Status {
    store::WriteBatch batch;
    batch.Delete(kSpace, ProductKey(enterprise, p.id));
    if (!p.product_key.empty()) batch.Delete(kSpace, IndexKey(p.product_key));
    std::vector<std::string> model_keys;
    absl::Status s = store_->Scan(kSpace, ModelKeyPrefix(enterprise, p.id), "",
                                  [&](std::string_view key, std::string_view) {
                                    model_keys.emplace_back(key);
                                    return model_keys.size() <= kMaxModelVersions;
                                  });
    if (!s.ok()) return StorageFailure("read", s);
    for (const std::string& key : model_keys) batch.Delete(kSpace, key);
    s = store_->Write(batch);
    if (!s.ok()) return StorageFailure("write", s);
    return absl::OkStatus();
  };
  if (delete_guard_ != nullptr) return delete_guard_->GuardedDelete(enterprise, p.id, remove);
  return remove();
}

absl::StatusOr<ProductPage> ProductRegistry::List(std::optional<uint64_t> enterprise, size_t page,
                                                  size_t page_size) const {
  if (page_size == 0 || page_size > kMaxProductPageSize) {
    return HandleError(ResponseCode::kProtocolError,
                       Cat("page size must be in 1..", kMaxProductPageSize));
  }
  const std::string prefix = enterprise.has_value()
                                 ? Cat(kProductKeyPrefix, EnterprisePart(*enterprise))
                                 : std::string(kProductKeyPrefix);
  return Page(prefix, "", "", page * page_size, page_size);
}

absl::StatusOr<ProductPage> ProductRegistry::ListAfter(std::optional<uint64_t> enterprise,
                                                       std::string_view after,
                                                       size_t page_size) const {
  if (page_size == 0 || page_size > kMaxProductPageSize) {
    return HandleError(ResponseCode::kProtocolError,
                       Cat("page size must be in 1..", kMaxProductPageSize));
  }
  std::string prefix(kProductKeyPrefix);
  std::string start;
  if (enterprise.has_value()) {
    prefix = Cat(kProductKeyPrefix, EnterprisePart(*enterprise));
    if (!after.empty()) start = Cat(prefix, after);
  } else if (!after.empty()) {
    const size_t slash = after.find('/');
    uint64_t from = 0;
    if (slash == std::string_view::npos || !absl::SimpleAtoi(AV(after.substr(0, slash)), &from)) {
      return HandleError(ResponseCode::kProtocolError,
                         Cat("after must be <enterprise>/<product id> when no enterprise is "
                             "named, got '", tenant::Excerpt(after), "'"));
    }
    start = Cat(kProductKeyPrefix, EnterprisePart(from), after.substr(slash + 1));
  }
  return Page(prefix, start, start, 0, page_size);
}

absl::StatusOr<ProductPage> ProductRegistry::Page(std::string_view prefix, std::string_view start,
                                                  std::string_view skip_key, size_t skip,
                                                  size_t page_size) const {
  size_t seen = 0;
  ProductPage result;
  absl::Status decode_error;
  auto visit = [&](std::string_view key, std::string_view value) {
    if (!skip_key.empty() && key == skip_key) return true;
    if (seen++ < skip) return true;
    if (result.products.size() == page_size) {
      result.more = true;
      return false;
    }
    absl::StatusOr<Product> p = DecodeProduct(value);
    if (!p.ok()) {
      decode_error = HandleError(ResponseCode::kError,
                                 Cat("stored product '", key, "' is corrupt: ",
                                              p.status().message()));
      return false;
    }
    result.products.push_back(*std::move(p));
    return true;
  };
  absl::Status s = store_->Scan(kSpace, prefix, start, visit);
  if (!s.ok()) return StorageFailure("read", s);
  QL_RETURN_IF_ERROR(decode_error);
  return result;
}

}  // namespace qilian::platform
