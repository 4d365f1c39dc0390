// Templates stored durably per prefix and version (docs/templates.md,
// docs/storage.md "templates"), with the compiled form of each version
// kept in memory for record checks.
//
// Operations and their errors (Handle codes, so REST maps them once):
//   Create      the first version of a new name: 101 if the name exists;
//               202 if the body names a version other than 1.
//   AddVersion  the next version of an existing name (latest + 1): 100 if
//               the name does not exist; 202 if the body names another
//               version.
//   Update      changes a version in place, compatibly only: 100 if absent;
//               a refusal IsIncompatibleChange() names every breaking
//               change (compatibility.h).
//   Get, List, Versions: 100 when nothing is there.
// Writes are serialized by one mutex (templates change rarely) and each is
// one atomic store write. Prefixes are stored case-folded.
#ifndef QILIAN_IDENT_TEMPLATE_TEMPLATE_STORE_H_
#define QILIAN_IDENT_TEMPLATE_TEMPLATE_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "ident/template/field_check.h"
#include "ident/template/template.h"
#include "store/kv_store.h"

namespace qilian::ident::templates {

// Whether `status` is Update's refusal of a breaking change (REST: 409).
bool IsIncompatibleChange(const absl::Status& status);

class TemplateStore {
 public:
  static constexpr std::string_view kSpace = "templates";

  // `store` must declare kSpace; both must outlive this object.
  TemplateStore(store::KvStore* store, const Clock& clock);
  ~TemplateStore();
  TemplateStore(const TemplateStore&) = delete;
  TemplateStore& operator=(const TemplateStore&) = delete;

  // `tmpl` as parsed from a request (template_json.h); prefix, version and
  // timestamps are set here. Returns what was stored.
  absl::StatusOr<Template> Create(std::string_view prefix, Template tmpl);
  absl::StatusOr<Template> AddVersion(std::string_view prefix, std::string_view name,
                                      Template tmpl, bool version_given);
  absl::StatusOr<Template> Update(std::string_view prefix, std::string_view name,
                                  uint32_t version, Template tmpl, bool version_given);

  // The latest version when `version` is nullopt.
  absl::StatusOr<Template> Get(std::string_view prefix, std::string_view name,
                               std::optional<uint32_t> version) const;
  // The latest version of each template under `prefix`, by name.
  absl::StatusOr<std::vector<Template>> List(std::string_view prefix) const;
  // Every version of one template, ascending.
  absl::StatusOr<std::vector<Template>> Versions(std::string_view prefix,
                                                 std::string_view name) const;

  // The compiled version for record checks, cached; 100 if absent.
  absl::StatusOr<std::shared_ptr<const CompiledTemplate>> Compiled(std::string_view prefix,
                                                                   std::string_view name,
                                                                   uint32_t version) const;

 private:
  absl::StatusOr<std::optional<Template>> Load(const std::string& key) const;
  absl::StatusOr<std::optional<uint32_t>> LatestVersion(std::string_view prefix,
                                                        std::string_view name) const;
  absl::StatusOr<Template> Save(Template tmpl);

  store::KvStore* store_;
  const Clock& clock_;
  std::mutex write_mu_;
  mutable std::shared_mutex cache_mu_;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const CompiledTemplate>> cache_;
  uint64_t generation_ = 0;  // writes so far, under cache_mu_
};

}  // namespace qilian::ident::templates

#endif  // QILIAN_IDENT_TEMPLATE_TEMPLATE_STORE_H_
