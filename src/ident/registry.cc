#include "ident/registry.h"

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/record_cache.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"

namespace qilian::ident {
namespace {

// Record format (docs/storage.md). A new layout gets a new version byte and
// DecodeRecord learns both; old records are never rewritten in place.
constexpr uint8_t kRecordFormatVersion = 1;

// The smallest encoded value: index, timestamp, TTL type, TTL, permissions,
// empty type, empty data, zero references.
constexpr size_t kMinValueBytes = 4 + 4 + 1 + 4 + 1 + 4 + 4 + 4;

// Enough stripes that unrelated handles rarely share a lock under the
// 16-client benchmark, few enough to cost nothing (one mutex each).
constexpr size_t kLockStripes = 1024;

constexpr std::string_view kPrefixOfPrefixes = "0.NA";

bool StartsWithIgnoreCase(std::string_view text, std::string_view start) {
  return text.size() >= start.size() && EqualsIgnoreCaseAscii(text.substr(0, start.size()), start);
}

// The TYPE.subtype rule: "URL" matches "URL" and "URL.mirror"; "HS_." style
// requests (ending in '.') match every type beginning with them and the
// type without the dot.
bool TypeMatches(std::string_view wanted, std::string_view type) {
  if (wanted.empty()) return false;
  if (wanted.back() == '.') {
    return StartsWithIgnoreCase(type, wanted) ||
           EqualsIgnoreCaseAscii(type, wanted.substr(0, wanted.size() - 1));
  }
  if (EqualsIgnoreCaseAscii(type, wanted)) return true;
  return type.size() > wanted.size() && StartsWithIgnoreCase(type, wanted) &&
         type[wanted.size()] == '.';
}

bool Matches(const ValueFilter& filter, const HandleValue& value) {
  if (std::find(filter.indexes.begin(), filter.indexes.end(), value.index) !=
      filter.indexes.end()) {
    return true;
  }
  for (const auto& type : filter.types) {
    if (TypeMatches(type, value.type)) return true;
  }
  return false;
}

absl::Status InvalidValue(const std::string& message) {
  return HandleError(ResponseCode::kInvalidValue, message);
}

absl::Status CheckValueCount(size_t count) {
  if (count > kMaxValuesPerHandle) {
    return InvalidValue(absl::StrCat("a handle can have at most ", kMaxValuesPerHandle,
                                     " values, not ", count));
  }
  return absl::OkStatus();
}

// Structured types are checked so that nothing can store an HS_ADMIN that a
// later permission check would fail to read.
absl::Status CheckTypedData(const HandleValue& value) {
  ByteReader in(value.data);
  bool ok = true;
  std::string_view what;
  if (EqualsIgnoreCaseAscii(value.type, kTypeAdmin)) {
    AdminRecord admin;
    ok = DecodeAdmin(&in, &admin) && in.at_end();
    what = "a valid admin record";
  } else if (EqualsIgnoreCaseAscii(value.type, kTypeVList)) {
    std::vector<ValueReference> refs;
    ok = DecodeVList(&in, &refs) && in.at_end();
    what = "a valid value list";
  } else if (EqualsIgnoreCaseAscii(value.type, kTypeSite)) {
    SiteInfo site;
    ok = DecodeSite(&in, &site) && in.at_end();
    what = "a valid site record";
  }
  if (ok) return absl::OkStatus();
  return InvalidValue(absl::StrCat(value.type, " value at index ", value.index, " is not ",
                                   std::string(what)));
}

// Checks a request's values on their own, before any lock is taken, in a
// fixed order: count, then each value in request order.
absl::Status ValidateValues(const std::vector<HandleValue>& values) {
  QL_RETURN_IF_ERROR(CheckValueCount(values.size()));
  absl::flat_hash_set<uint32_t> seen;
  for (const auto& v : values) {
    if (v.index < kMinValueIndex || v.index > kMaxValueIndex) {
      return InvalidValue(absl::StrCat("value index ", v.index, " is out of range ",
                                       kMinValueIndex, "..", kMaxValueIndex));
    }
    if (!seen.insert(v.index).second) {
      return InvalidValue(absl::StrCat("value index ", v.index, " appears more than once"));
    }
    std::string at = absl::StrCat("value at index ", v.index);
    if (v.type.empty()) return InvalidValue(at + " has an empty type");
    if (v.type.size() > kMaxTypeBytes) {
      return InvalidValue(absl::StrCat(at, " has a type longer than ", kMaxTypeBytes, " bytes"));
    }
    if (!IsValidUtf8(v.type) || HasControlCharacter(v.type)) {
      return InvalidValue(at + " has a type that is not printable UTF-8");
    }
    if (v.ttl_type != TtlType::kRelative && v.ttl_type != TtlType::kAbsolute) {
      return InvalidValue(at + " has an invalid TTL type");
    }
    if (v.data.size() > kMaxValueDataBytes) {
      return InvalidValue(
          absl::StrCat(at, " has data longer than ", kMaxValueDataBytes, " bytes"));
    }
    if (v.references.size() > kMaxReferencesPerValue) {
      return InvalidValue(
          absl::StrCat(at, " has more than ", kMaxReferencesPerValue, " references"));
    }
    for (const auto& ref : v.references) {
      if (ref.handle.size() > kMaxHandleBytes) {
        return InvalidValue(
            absl::StrCat(at, " has a reference longer than ", kMaxHandleBytes, " bytes"));
      }
    }
    QL_RETURN_IF_ERROR(CheckTypedData(v));
  }
  return absl::OkStatus();
}

void SortByIndex(std::vector<HandleValue>* values) {
  std::sort(values->begin(), values->end(),
            [](const HandleValue& a, const HandleValue& b) { return a.index < b.index; });
}

HandleValue* FindIndex(std::vector<HandleValue>* values, uint32_t index) {
  for (auto& v : *values) {
    if (v.index == index) return &v;
  }
  return nullptr;
}

absl::Status NotFound(std::string_view handle) {
  return HandleError(ResponseCode::kHandleNotFound,
                     absl::StrCat("handle '", std::string(handle), "' not found"));
}

// Reads only the version and handle of a stored record (for List).
absl::StatusOr<std::string> DecodeRecordHandle(std::string_view bytes) {
  ByteReader in(bytes);
  uint8_t version = in.ReadU8();
  std::string_view handle = in.ReadLengthPrefixed(kMaxHandleBytes);
  if (!in.ok() || version != kRecordFormatVersion) {
    return absl::DataLossError("stored record has an unreadable header");
  }
  return std::string(handle);
}

}  // namespace

std::string EncodeRecord(const HandleRecord& record) {
  ByteWriter out;
  out.WriteU8(kRecordFormatVersion);
  out.WriteLengthPrefixed(record.handle);
  out.WriteU32(static_cast<uint32_t>(record.values.size()));
  for (const auto& v : record.values) EncodeValue(v, &out);
  return out.Release();
}

absl::StatusOr<HandleRecord> DecodeRecord(std::string_view bytes) {
  ByteReader in(bytes);
  uint8_t version = in.ReadU8();
  if (!in.ok()) return absl::DataLossError("stored record is empty");
  if (version != kRecordFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("stored record has unknown format version ", version));
  }
  HandleRecord record;
  record.handle = std::string(in.ReadLengthPrefixed(kMaxHandleBytes));
  uint32_t count = in.ReadU32();
  if (!in.ok()) return absl::DataLossError("stored record header is truncated");
  if (count > kMaxValuesPerHandle) {
    return absl::DataLossError(absl::StrCat("stored record has ", count, " values, more than ",
                                            kMaxValuesPerHandle));
  }
  if (count > in.remaining() / kMinValueBytes) {
    return absl::DataLossError(
        absl::StrCat("stored record declares ", count, " values but is too short to hold them"));
  }
  record.values.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (!DecodeValue(&in, &record.values[i])) {
      return absl::DataLossError(absl::StrCat("stored record value ", i + 1, " of ", count,
                                              " is truncated or malformed"));
    }
    if (i > 0 && record.values[i].index <= record.values[i - 1].index) {
      return absl::DataLossError("stored record values are not in ascending index order");
    }
  }
  if (!in.at_end()) {
    return absl::DataLossError(
        absl::StrCat("stored record has ", in.remaining(), " trailing bytes"));
  }
  return record;
}

bool IsSealedValue(std::string_view data) {
  return data.size() >= kMinSealedValueBytes &&
         data.substr(0, kSealedValueMagic.size()) == kSealedValueMagic;
}

struct Registry::Impl {
  explicit Impl(const RegistryOptions& options)
      : cache(options.record_cache_bytes, options.metrics),
        sealer(options.value_sealer),
        open_failures(options.metrics == nullptr
                          ? nullptr
                          : &options.metrics->GetCounter(
                                "qilian_sealed_secret_open_failures_total",
                                "HS_SECKEY values read that did not open with the node key.")) {}

  std::array<std::mutex, kLockStripes> stripes;
  RecordCache cache;
  const ValueSealer* sealer;
  Counter* open_failures;

  std::mutex& StripeFor(const std::string& key) {
    return stripes[std::hash<std::string>{}(key) % kLockStripes];
  }
};

namespace {

// A parsed, authorized handle and its storage key.
struct Target {
  HandleName name;
  std::string key;
};

absl::StatusOr<std::optional<HandleRecord>> Load(const store::KvReader& reader,
                                                 const std::string& key) {
  std::string bytes;
  absl::Status s = reader.Get(Registry::kSpace, key, &bytes);
  if (absl::IsNotFound(s)) return std::optional<HandleRecord>();
  if (!s.ok()) {
    return HandleError(ResponseCode::kError,
                       absl::StrCat("storage read failed: ", std::string(s.message())));
  }
  auto record = DecodeRecord(bytes);
  if (!record.ok()) {
    return HandleError(ResponseCode::kError,
                       absl::StrCat("stored record '", key,
                                    "' is corrupt: ", std::string(record.status().message())));
  }
  return std::optional<HandleRecord>(*std::move(record));
}

// Reads for resolution: through the record cache.
absl::StatusOr<std::optional<HandleRecord>> LoadCached(const store::KvReader& reader,
                                                       RecordCache* cache,
                                                       const std::string& key) {
  absl::StatusOr<HandleRecord> record;
  if (!cache->Lookup(key, [&record](std::string_view bytes) { record = DecodeRecord(bytes); })) {
    const uint64_t generation = cache->Generation(key);
    std::string bytes;
    absl::Status s = reader.Get(Registry::kSpace, key, &bytes);
    if (absl::IsNotFound(s)) return std::optional<HandleRecord>();
    if (!s.ok()) {
      return HandleError(ResponseCode::kError,
                         absl::StrCat("storage read failed: ", std::string(s.message())));
    }
    record = DecodeRecord(bytes);
    if (record.ok()) cache->Insert(key, bytes, generation);
  }
  if (!record.ok()) {
    return HandleError(ResponseCode::kError,
                       absl::StrCat("stored record '", key,
                                    "' is corrupt: ", std::string(record.status().message())));
  }
  return std::optional<HandleRecord>(*std::move(record));
}

// Writes the record and invalidates its cached copy (also when the write
// failed: what the store holds is then not known here).
absl::Status Save(store::KvStore* store, RecordCache* cache, const std::string& key,
                  const HandleRecord& record, const store::WriteBatch* also) {
  absl::Status s;
  if (also == nullptr || also->empty()) {
    s = store->Put(Registry::kSpace, key, EncodeRecord(record));
  } else {
    store::WriteBatch batch;
    batch.Put(Registry::kSpace, key, EncodeRecord(record));
    batch.Append(*also);
    s = store->Write(batch);
  }
  cache->Invalidate(key);
  if (!s.ok()) {
    return HandleError(ResponseCode::kError,
                       absl::StrCat("storage write failed: ", std::string(s.message())));
  }
  return absl::OkStatus();
}

bool IsSecretKey(const HandleValue& value) {
  return EqualsIgnoreCaseAscii(value.type, kTypeSecKey);
}

// The identity a sealed secret is bound to (the context of SecretSealer).
std::string SealContext(uint32_t index, std::string_view handle) {
  return absl::StrCat(index, ":", std::string(handle));
}

// Seals the HS_SECKEY values of `values`, which belong to the record
// spelled `handle`. Values from a request are plain whatever they look
// like and are always sealed; values already stored (`stored`) are sealed
// only if they are plain, written before sealing.
absl::Status SealSecrets(const ValueSealer* sealer, std::string_view handle,
                         std::vector<HandleValue>* values, bool stored) {
  if (sealer == nullptr) return absl::OkStatus();
  for (auto& v : *values) {
    if (!IsSecretKey(v) || (stored && IsSealedValue(v.data))) continue;
    absl::StatusOr<std::string> sealed = sealer->Seal(v.data, SealContext(v.index, handle));
    if (absl::IsInvalidArgument(sealed.status())) {
      return InvalidValue(absl::StrCat("HS_SECKEY value at index ", v.index, " cannot be stored: ",
                                       std::string(sealed.status().message())));
    }
    if (!sealed.ok()) {
      return HandleError(ResponseCode::kError,
                         absl::StrCat("cannot seal HS_SECKEY value at index ", v.index, ": ",
                                      std::string(sealed.status().message())));
    }
    v.data = *std::move(sealed);
  }
  return absl::OkStatus();
}

uint32_t NowSeconds(const Clock& clock) {
  int64_t now = absl::ToUnixSeconds(clock.Now());
  return static_cast<uint32_t>(std::clamp<int64_t>(now, 0, UINT32_MAX));
}

void Stamp(std::vector<HandleValue>* values, uint32_t now) {
  for (auto& v : *values) v.timestamp = now;
}

// The RecordValidator's verdict on the values a write would store.
absl::Status CheckRecord(const RecordValidator* validator, std::string_view handle,
                         std::vector<HandleValue>* values) {
  return validator == nullptr ? absl::OkStatus() : validator->Check(handle, values);
}

absl::Status NeedValues(const std::vector<HandleValue>& values) {
  if (values.empty()) return InvalidValue("the request has no values");
  return absl::OkStatus();
}

}  // namespace

Registry::Registry(store::KvStore* store, const Clock& clock, RegistryOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      impl_(std::make_unique<Impl>(options_)) {}

Registry::~Registry() = default;

bool Registry::IsAuthoritativeFor(std::string_view prefix) const {
  for (const auto& authority : options_.authoritative_prefixes) {
    if (PrefixIsUnder(prefix, authority)) return true;
  }
  return false;
}

// Not a member in the header; defined here to keep the header small.
static absl::StatusOr<Target> ResolveTarget(const Registry& registry, std::string_view handle) {
  QL_ASSIGN_OR_RETURN(HandleName name, ParseHandle(handle));
  // A prefix handle 0.NA/<p> is served by the node that serves <p>.
  bool is_prefix_handle = EqualsIgnoreCaseAscii(name.prefix, kPrefixOfPrefixes);
  std::string_view served = is_prefix_handle ? std::string_view(name.suffix) : name.prefix;
  if (!registry.IsAuthoritativeFor(name.prefix) &&
      !(is_prefix_handle && registry.IsAuthoritativeFor(name.suffix))) {
    return HandleError(ResponseCode::kServerNotResponsible,
                       absl::StrCat("this node is not responsible for prefix '",
                                    std::string(served), "'"));
  }
  std::string key = StorageKey(name, registry.options().case_sensitive_suffix);
  return Target{std::move(name), std::move(key)};
}

absl::StatusOr<HandleRecord> Registry::Get(std::string_view handle,
                                           const ValueFilter& filter) const {
  QL_ASSIGN_OR_RETURN(Target target, ResolveTarget(*this, handle));
  // No lock: a write replaces the whole record atomically in the store.
  QL_ASSIGN_OR_RETURN(std::optional<HandleRecord> record,
                      LoadCached(*store_, &impl_->cache, target.key));
  if (!record) return NotFound(handle);
  if (!filter.empty()) {
    std::vector<HandleValue> selected;
    for (auto& v : record->values) {
      if (Matches(filter, v)) selected.push_back(std::move(v));
    }
    if (selected.empty()) {
      return HandleError(ResponseCode::kValuesNotFound, "no values match the filter");
    }
    record->values = std::move(selected);
  }
  QL_RETURN_IF_ERROR(OpenSecrets(&*record));
  return *std::move(record);
}

absl::Status Registry::OpenSecrets(HandleRecord* record) const {
  for (auto& v : record->values) {
    if (!IsSecretKey(v) || !IsSealedValue(v.data)) continue;
    absl::StatusOr<std::string> plain =
        impl_->sealer == nullptr
            ? absl::FailedPreconditionError("this node has no node key")
            : impl_->sealer->Open(v.data, SealContext(v.index, record->handle));
    if (!plain.ok()) {
      if (impl_->open_failures != nullptr) impl_->open_failures->Inc();
      return HandleError(ResponseCode::kError,
                         absl::StrCat("HS_SECKEY value at index ", v.index, " of '",
                                      record->handle, "' does not open with this node's key: ",
                                      std::string(plain.status().message())));
    }
    v.data = *std::move(plain);
  }
  return absl::OkStatus();
}

absl::Status Registry::Create(std::string_view handle, std::vector<HandleValue> values,
                              const store::WriteBatch* also) {
  QL_ASSIGN_OR_RETURN(Target target, ResolveTarget(*this, handle));
  if (values.empty()) return InvalidValue("a handle needs at least one value");
  QL_RETURN_IF_ERROR(ValidateValues(values));
  std::lock_guard lock(impl_->StripeFor(target.key));
  QL_ASSIGN_OR_RETURN(std::optional<HandleRecord> existing, Load(*store_, target.key));
  if (existing) {
    return HandleError(ResponseCode::kHandleAlreadyExists,
                       absl::StrCat("handle '", std::string(handle), "' already exists"));
  }
  Stamp(&values, NowSeconds(clock_));
  SortByIndex(&values);
  QL_RETURN_IF_ERROR(CheckRecord(options_.record_validator, handle, &values));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, handle, &values, /*stored=*/false));
  return Save(store_, &impl_->cache, target.key, HandleRecord{std::string(handle), std::move(values)},
              also);
}

absl::StatusOr<WriteOutcome> Registry::Replace(std::string_view handle,
                                               std::vector<HandleValue> values, bool overwrite,
                                               const store::WriteBatch* also) {
  QL_ASSIGN_OR_RETURN(Target target, ResolveTarget(*this, handle));
  if (values.empty()) return InvalidValue("a handle needs at least one value");
  QL_RETURN_IF_ERROR(ValidateValues(values));
  std::lock_guard lock(impl_->StripeFor(target.key));
  QL_ASSIGN_OR_RETURN(std::optional<HandleRecord> existing, Load(*store_, target.key));
  if (existing && !overwrite) {
    return HandleError(ResponseCode::kHandleAlreadyExists,
                       absl::StrCat("handle '", std::string(handle), "' already exists"));
  }
  Stamp(&values, NowSeconds(clock_));
  SortByIndex(&values);
  // The record keeps the spelling it was created with.
  std::string spelling = existing ? existing->handle : std::string(handle);
  QL_RETURN_IF_ERROR(CheckRecord(options_.record_validator, spelling, &values));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, spelling, &values, /*stored=*/false));
  QL_RETURN_IF_ERROR(Save(store_, &impl_->cache, target.key, HandleRecord{std::move(spelling), std::move(values)}, also));
  return existing ? WriteOutcome::kUpdated : WriteOutcome::kCreated;
}

absl::StatusOr<WriteOutcome> Registry::PutValues(std::string_view handle,
                                                 std::vector<HandleValue> values, bool overwrite,
                                                 const store::WriteBatch* also) {
  QL_ASSIGN_OR_RETURN(Target target, ResolveTarget(*this, handle));
  QL_RETURN_IF_ERROR(NeedValues(values));
  QL_RETURN_IF_ERROR(ValidateValues(values));
  std::lock_guard lock(impl_->StripeFor(target.key));
  QL_ASSIGN_OR_RETURN(std::optional<HandleRecord> existing, Load(*store_, target.key));
  Stamp(&values, NowSeconds(clock_));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, existing ? existing->handle : std::string(handle),
                                 &values, /*stored=*/false));
  if (!existing) {
    SortByIndex(&values);
    QL_RETURN_IF_ERROR(CheckRecord(options_.record_validator, handle, &values));
    QL_RETURN_IF_ERROR(Save(store_, &impl_->cache, target.key, HandleRecord{std::string(handle), std::move(values)}, also));
    return WriteOutcome::kCreated;
  }
  for (auto& v : values) {
    HandleValue* old = FindIndex(&existing->values, v.index);
    if (old == nullptr) {
      existing->values.push_back(std::move(v));
    } else if (overwrite) {
      *old = std::move(v);
    } else {
      return HandleError(ResponseCode::kValueAlreadyExists,
                         absl::StrCat("value index ", v.index, " already exists"));
    }
  }
  QL_RETURN_IF_ERROR(CheckValueCount(existing->values.size()));
  SortByIndex(&existing->values);
  QL_RETURN_IF_ERROR(CheckRecord(options_.record_validator, existing->handle, &existing->values));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, existing->handle, &existing->values,
                                 /*stored=*/true));
  QL_RETURN_IF_ERROR(Save(store_, &impl_->cache, target.key, *existing, also));
  return WriteOutcome::kUpdated;
}

absl::Status Registry::AddValues(std::string_view handle, std::vector<HandleValue> values,
                                 const store::WriteBatch* also) {
  QL_ASSIGN_OR_RETURN(Target target, ResolveTarget(*this, handle));
  QL_RETURN_IF_ERROR(NeedValues(values));
  QL_RETURN_IF_ERROR(ValidateValues(values));
  std::lock_guard lock(impl_->StripeFor(target.key));
  QL_ASSIGN_OR_RETURN(std::optional<HandleRecord> existing, Load(*store_, target.key));
  if (!existing) return NotFound(handle);
  for (const auto& v : values) {
    if (FindIndex(&existing->values, v.index) != nullptr) {
      return HandleError(ResponseCode::kValueAlreadyExists,
                         absl::StrCat("value index ", v.index, " already exists"));
    }
  }
  QL_RETURN_IF_ERROR(CheckValueCount(existing->values.size() + values.size()));
  Stamp(&values, NowSeconds(clock_));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, existing->handle, &values, /*stored=*/false));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, existing->handle, &existing->values,
                                 /*stored=*/true));
  for (auto& v : values) existing->values.push_back(std::move(v));
  SortByIndex(&existing->values);
  QL_RETURN_IF_ERROR(CheckRecord(options_.record_validator, existing->handle, &existing->values));
  return Save(store_, &impl_->cache, target.key, *existing, also);
}

absl::Status Registry::ModifyValues(std::string_view handle, std::vector<HandleValue> values,
                                    const store::WriteBatch* also) {
  QL_ASSIGN_OR_RETURN(Target target, ResolveTarget(*this, handle));
  QL_RETURN_IF_ERROR(NeedValues(values));
  QL_RETURN_IF_ERROR(ValidateValues(values));
  std::lock_guard lock(impl_->StripeFor(target.key));
  QL_ASSIGN_OR_RETURN(std::optional<HandleRecord> existing, Load(*store_, target.key));
  if (!existing) return NotFound(handle);
  for (const auto& v : values) {
    if (FindIndex(&existing->values, v.index) == nullptr) {
      return HandleError(ResponseCode::kValuesNotFound,
                         absl::StrCat("value index ", v.index, " does not exist"));
    }
  }
  Stamp(&values, NowSeconds(clock_));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, existing->handle, &values, /*stored=*/false));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, existing->handle, &existing->values,
                                 /*stored=*/true));
  for (auto& v : values) *FindIndex(&existing->values, v.index) = std::move(v);
  QL_RETURN_IF_ERROR(CheckRecord(options_.record_validator, existing->handle, &existing->values));
  return Save(store_, &impl_->cache, target.key, *existing, also);
}

absl::Status Registry::RemoveValues(std::string_view handle,
                                    const std::vector<uint32_t>& indexes,
                                    const store::WriteBatch* also) {
  QL_ASSIGN_OR_RETURN(Target target, ResolveTarget(*this, handle));
  if (indexes.empty()) return InvalidValue("the request names no values");
  absl::flat_hash_set<uint32_t> seen;
  for (uint32_t index : indexes) {
    if (!seen.insert(index).second) {
      return InvalidValue(absl::StrCat("value index ", index, " appears more than once"));
    }
  }
  std::lock_guard lock(impl_->StripeFor(target.key));
  QL_ASSIGN_OR_RETURN(std::optional<HandleRecord> existing, Load(*store_, target.key));
  if (!existing) return NotFound(handle);
  for (uint32_t index : indexes) {
    if (FindIndex(&existing->values, index) == nullptr) {
      return HandleError(ResponseCode::kValuesNotFound,
                         absl::StrCat("value index ", index, " does not exist"));
    }
  }
  if (indexes.size() == existing->values.size()) {
    // Same rule as Create: a stored handle always has a value.
    return InvalidValue("removing every value would leave the handle empty; delete it instead");
  }
  std::erase_if(existing->values,
                [&](const HandleValue& v) { return seen.contains(v.index); });
  QL_RETURN_IF_ERROR(CheckRecord(options_.record_validator, existing->handle, &existing->values));
  QL_RETURN_IF_ERROR(SealSecrets(impl_->sealer, existing->handle, &existing->values,
                                 /*stored=*/true));
  return Save(store_, &impl_->cache, target.key, *existing, also);
}

absl::Status Registry::Delete(std::string_view handle, const store::WriteBatch* also) {
  QL_ASSIGN_OR_RETURN(Target target, ResolveTarget(*this, handle));
  std::lock_guard lock(impl_->StripeFor(target.key));
  QL_ASSIGN_OR_RETURN(std::optional<HandleRecord> existing, Load(*store_, target.key));
  if (!existing) return NotFound(handle);
  store::WriteBatch batch;
  batch.Delete(kSpace, target.key);
  if (also != nullptr) batch.Append(*also);
  absl::Status s = store_->Write(batch);
  impl_->cache.Invalidate(target.key);
  if (!s.ok()) {
    return HandleError(ResponseCode::kError,
                       absl::StrCat("storage write failed: ", std::string(s.message())));
  }
  return absl::OkStatus();
}

absl::StatusOr<ListPage> Registry::List(std::string_view prefix, std::string_view after,
                                        size_t page_size) const {
  QL_RETURN_IF_ERROR(ValidatePrefix(prefix));
  if (!IsAuthoritativeFor(prefix) && !EqualsIgnoreCaseAscii(prefix, kPrefixOfPrefixes)) {
    return HandleError(ResponseCode::kServerNotResponsible,
                       absl::StrCat("this node is not responsible for prefix '",
                                    std::string(prefix), "'"));
  }
  // The '/' ends the prefix in every key, so "88.999/" never matches keys of
  // the derived prefix "88.999.1/".
  std::string scan_prefix = FoldPrefix(prefix) + "/";
  std::string start;
  if (!after.empty()) {
    QL_ASSIGN_OR_RETURN(HandleName after_name, ParseHandle(after));
    if (!EqualsIgnoreCaseAscii(after_name.prefix, prefix)) {
      return HandleError(ResponseCode::kInvalidHandle,
                         absl::StrCat("'after' handle '", std::string(after),
                                      "' is not under prefix '", std::string(prefix), "'"));
    }
    start = StorageKey(after_name, options_.case_sensitive_suffix);
  }
  ListPage page;
  absl::Status decode_error;
  absl::Status s = store_->Scan(kSpace, scan_prefix, start,
                                [&](std::string_view key, std::string_view value) {
                                  if (!start.empty() && key == start) return true;  // exclusive
                                  auto handle = DecodeRecordHandle(value);
                                  if (!handle.ok()) {
                                    decode_error = handle.status();
                                    return false;
                                  }
                                  page.handles.push_back(*std::move(handle));
                                  return page.handles.size() <= page_size;
                                });
  if (!s.ok()) {
    return HandleError(ResponseCode::kError,
                       absl::StrCat("storage read failed: ", std::string(s.message())));
  }
  if (!decode_error.ok()) {
    return HandleError(ResponseCode::kError, std::string(decode_error.message()));
  }
  if (page.handles.size() > page_size) {
    page.handles.resize(page_size);
    page.more = true;
  }
  return page;
}

}  // namespace qilian::ident
