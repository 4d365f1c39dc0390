#include "ident/template/template_store.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"
#include "ident/template/compatibility.h"
#include "ident/template/template_json.h"

namespace qilian::ident::templates {
namespace {

constexpr std::string_view kIncompatiblePayload = "qilian/template-incompatible";

// "<folded prefix>/<name>/": every version of one template.
std::string NameKey(std::string_view prefix, std::string_view name) {
  return absl::StrCat(FoldPrefix(prefix), "/", std::string(name), "/");
}

// Versions zero-padded so that key order is version order.
std::string VersionKey(std::string_view prefix, std::string_view name, uint32_t version) {
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%010u", version);
  return absl::StrCat(NameKey(prefix, name), digits);
}

absl::Status NotFound(std::string_view prefix, std::string_view name,
                      std::optional<uint32_t> version) {
  if (version) {
    return HandleError(ResponseCode::kHandleNotFound,
                       absl::StrCat("template '", std::string(name), "' version ", *version,
                                    " does not exist under prefix '", std::string(prefix), "'"));
  }
  return HandleError(ResponseCode::kHandleNotFound,
                     absl::StrCat("template '", std::string(name), "' does not exist under prefix '", std::string(prefix),
                                  "'"));
}

absl::Status StorageError(const absl::Status& s) {
  return HandleError(ResponseCode::kError,
                     absl::StrCat("template storage failed: ", std::string(s.message())));
}

}  // namespace

bool IsIncompatibleChange(const absl::Status& status) {
  return status.GetPayload(absl::string_view(kIncompatiblePayload.data(), kIncompatiblePayload.size()))
      .has_value();
}

TemplateStore::TemplateStore(store::KvStore* store, const Clock& clock)
    : store_(store), clock_(clock) {}

TemplateStore::~TemplateStore() = default;

absl::StatusOr<std::optional<Template>> TemplateStore::Load(const std::string& key) const {
  std::string bytes;
  absl::Status s = store_->Get(kSpace, key, &bytes);
  if (absl::IsNotFound(s)) return std::optional<Template>();
  if (!s.ok()) return StorageError(s);
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(bytes, nullptr, false);
  absl::StatusOr<Template> t = TemplateFromJson(parsed, JsonSource::kStored);
  if (!t.ok()) {
    return HandleError(ResponseCode::kError, absl::StrCat("stored template '", key, "' is corrupt: ",
                                                          std::string(t.status().message())));
  }
  return std::optional<Template>(*std::move(t));
}

absl::StatusOr<std::optional<uint32_t>> TemplateStore::LatestVersion(std::string_view prefix,
                                                                     std::string_view name) const {
  std::optional<uint32_t> latest;
  absl::Status bad;
  absl::Status s = store_->Scan(kSpace, NameKey(prefix, name), "",
                                [&](std::string_view key, std::string_view) {
                                  uint32_t v = 0;
                                  std::string_view digits = key.substr(key.rfind('/') + 1);
                                  for (char c : digits) v = v * 10 + static_cast<uint32_t>(c - '0');
                                  latest = v;
                                  return true;
                                });
  if (!s.ok()) return StorageError(s);
  return latest;
}

absl::StatusOr<Template> TemplateStore::Save(Template tmpl) {
  const std::string key = VersionKey(tmpl.prefix, tmpl.name, tmpl.version);
  absl::Status s = store_->Put(kSpace, key, TemplateToJson(tmpl).dump());
  {
    std::unique_lock lock(cache_mu_);
    cache_.erase(key);
    ++generation_;
  }
  if (!s.ok()) return StorageError(s);
  return tmpl;
}

absl::StatusOr<Template> TemplateStore::Create(std::string_view prefix, Template tmpl) {
  QL_RETURN_IF_ERROR(ValidatePrefix(prefix));
  if (tmpl.version != 1) {
    return HandleError(ResponseCode::kInvalidValue,
                       absl::StrCat("version: a new template starts at version 1, not ",
                                    tmpl.version));
  }
  std::lock_guard lock(write_mu_);
  QL_ASSIGN_OR_RETURN(std::optional<uint32_t> latest, LatestVersion(prefix, tmpl.name));
  if (latest) {
    return HandleError(ResponseCode::kHandleAlreadyExists,
                       absl::StrCat("template '", tmpl.name, "' already exists under prefix '",
                                    std::string(prefix), "' (latest version ", *latest,
                                    "); publish a new version instead"));
  }
  tmpl.prefix = std::string(prefix);
  tmpl.created_at = tmpl.updated_at = absl::ToUnixSeconds(clock_.Now());
  return Save(std::move(tmpl));
}

absl::StatusOr<Template> TemplateStore::AddVersion(std::string_view prefix, std::string_view name,
                                                   Template tmpl, bool version_given) {
  QL_RETURN_IF_ERROR(ValidatePrefix(prefix));
  if (tmpl.name != name) {
    return HandleError(ResponseCode::kInvalidValue,
                       absl::StrCat("name: '", tmpl.name, "' is not the template '", std::string(name),
                                    "' of the path"));
  }
  std::lock_guard lock(write_mu_);
  QL_ASSIGN_OR_RETURN(std::optional<uint32_t> latest, LatestVersion(prefix, name));
  if (!latest) return NotFound(prefix, name, std::nullopt);
  if (*latest >= kMaxVersion) {
    return HandleError(ResponseCode::kInvalidValue,
                       absl::StrCat("version: template '", std::string(name), "' has reached version ",
                                    kMaxVersion));
  }
  if (version_given && tmpl.version != *latest + 1) {
    return HandleError(ResponseCode::kInvalidValue,
                       absl::StrCat("version: the next version of '", std::string(name), "' is ", *latest + 1,
                                    ", not ", tmpl.version));
  }
  tmpl.prefix = std::string(prefix);
  tmpl.version = *latest + 1;
  tmpl.created_at = tmpl.updated_at = absl::ToUnixSeconds(clock_.Now());
  return Save(std::move(tmpl));
}

absl::StatusOr<Template> TemplateStore::Update(std::string_view prefix, std::string_view name,
                                               uint32_t version, Template tmpl,
                                               bool version_given) {
  QL_RETURN_IF_ERROR(ValidatePrefix(prefix));
  if (tmpl.name != name) {
    return HandleError(ResponseCode::kInvalidValue,
                       absl::StrCat("name: '", tmpl.name, "' is not the template '", std::string(name),
                                    "' of the path"));
  }
  if (version_given && tmpl.version != version) {
    return HandleError(ResponseCode::kInvalidValue,
                       absl::StrCat("version: a version number never changes (", version,
                                    " in the path, ", tmpl.version, " in the body)"));
  }
  std::lock_guard lock(write_mu_);
  QL_ASSIGN_OR_RETURN(std::optional<Template> current, Load(VersionKey(prefix, name, version)));
  if (!current) return NotFound(prefix, name, version);
  std::vector<std::string> breaking = BreakingChanges(*current, tmpl);
  if (!breaking.empty()) {
    absl::Status refused = HandleError(
        ResponseCode::kInvalidValue,
        absl::StrCat("version ", version, " of template '", std::string(name),
                     "' cannot change this way, records written under it would become invalid: ",
                     absl::StrJoin(breaking, "; "), "; publish a new version instead"));
    refused.SetPayload(absl::string_view(kIncompatiblePayload.data(), kIncompatiblePayload.size()),
                       absl::Cord("1"));
    return refused;
  }
  tmpl.prefix = current->prefix;
  tmpl.version = version;
  tmpl.created_at = current->created_at;
  tmpl.updated_at = absl::ToUnixSeconds(clock_.Now());
  return Save(std::move(tmpl));
}

absl::StatusOr<Template> TemplateStore::Get(std::string_view prefix, std::string_view name,
                                            std::optional<uint32_t> version) const {
  QL_RETURN_IF_ERROR(ValidatePrefix(prefix));
  if (!IsTemplateName(name)) return NotFound(prefix, name, version);
  std::optional<uint32_t> wanted = version;
  if (!wanted) {
    QL_ASSIGN_OR_RETURN(wanted, LatestVersion(prefix, name));
    if (!wanted) return NotFound(prefix, name, std::nullopt);
  }
  QL_ASSIGN_OR_RETURN(std::optional<Template> t, Load(VersionKey(prefix, name, *wanted)));
  if (!t) return NotFound(prefix, name, version);
  return *std::move(t);
}

absl::StatusOr<std::vector<Template>> TemplateStore::List(std::string_view prefix) const {
  QL_RETURN_IF_ERROR(ValidatePrefix(prefix));
  // Keys are name then version, so the last key of each name is its
  // latest version.
  std::vector<std::string> latest_keys;
  std::string last_name;
  const std::string scan_prefix = absl::StrCat(FoldPrefix(prefix), "/");
  absl::Status s = store_->Scan(kSpace, scan_prefix, "", [&](std::string_view key, std::string_view) {
    std::string_view rest = key.substr(scan_prefix.size());
    std::string_view name = rest.substr(0, rest.find('/'));
    if (name == last_name && !latest_keys.empty()) {
      latest_keys.back() = std::string(key);
    } else {
      last_name = std::string(name);
      latest_keys.emplace_back(key);
    }
    return true;
  });
  if (!s.ok()) return StorageError(s);
  std::vector<Template> out;
  for (const std::string& key : latest_keys) {
    QL_ASSIGN_OR_RETURN(std::optional<Template> t, Load(key));
    if (t) out.push_back(*std::move(t));
  }
  return out;
}

absl::StatusOr<std::vector<Template>> TemplateStore::Versions(std::string_view prefix,
                                                              std::string_view name) const {
  QL_RETURN_IF_ERROR(ValidatePrefix(prefix));
  if (!IsTemplateName(name)) return NotFound(prefix, name, std::nullopt);
  std::vector<std::string> keys;
  absl::Status s = store_->Scan(kSpace, NameKey(prefix, name), "",
                                [&](std::string_view key, std::string_view) {
                                  keys.emplace_back(key);
                                  return true;
                                });
  if (!s.ok()) return StorageError(s);
  if (keys.empty()) return NotFound(prefix, name, std::nullopt);
  std::vector<Template> out;
  for (const std::string& key : keys) {
    QL_ASSIGN_OR_RETURN(std::optional<Template> t, Load(key));
    if (t) out.push_back(*std::move(t));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const CompiledTemplate>> TemplateStore::Compiled(
    std::string_view prefix, std::string_view name, uint32_t version) const {
  const std::string key = VersionKey(prefix, name, version);
  uint64_t generation = 0;
  {
    std::shared_lock lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    generation = generation_;
  }
  QL_ASSIGN_OR_RETURN(std::optional<Template> t, Load(key));
  if (!t) return NotFound(prefix, name, version);
  auto compiled = std::make_shared<const CompiledTemplate>(*std::move(t));
  std::unique_lock lock(cache_mu_);
  // A write since the load may have changed this version: then what was
  // loaded serves this check only, and the next one loads again.
  if (generation_ == generation) cache_[key] = compiled;
  return compiled;
}

}  // namespace qilian::ident::templates
