// Enterprises (tenants) registered at a secondary node, and the prefixes
// the node allocates them (issue 4, "Enterprise onboarding").
//
// Registering an enterprise validates its data (credit code, industry
// class, region, contact; field_error.h names the field at fault), then
// allocates the next derived prefix under the configured parent ("88.999"
// gives "88.999.1", "88.999.2", ...) and stores, in ONE atomic store batch:
//   - the enterprise record                     space "tenant"
//   - the credit-code uniqueness index          space "tenant"
//   - the allocation counter                    space "tenant"
//   - the prefix handle 0.NA/<new prefix>, with
//     HS_SITE (this node) and HS_ADMIN           space "ident"
// so a failed write leaves nothing behind, and a prefix is never handed out
// twice. The prefix handle is written in the identifier registry's own
// record format and key (ident::EncodeRecord, ident::StorageKey) because
// ident::Registry has no batch API; it is then served by the registry like
// any other handle. A prefix whose handle already exists (created by hand)
// is skipped.
//
// Registrations are serialized by a mutex: they are rare, and it keeps the
// counter, the uniqueness check and the write one step. The registry's own
// per-handle lock is not taken, so a client creating 0.NA/<parent>.K by
// hand at the very moment K is allocated could be overwritten; operators
// do not create derived prefix handles by hand on a node that allocates
// them.
//
// Key layout of space "tenant" (docs/enterprises.md):
//   "ent/" + 20-digit zero-padded id  -> enterprise record (EncodeEnterprise)
//   "ucc/" + credit code              -> 20-digit id
//   "meta/next_number"                -> next number to try, u64 big-endian
// The enterprise id is the number of its prefix (88.999.7 has id 7).
//
// Errors (ident/response_code.h): 202 invalid field (a FieldError),
// 101 credit code already registered (a FieldError on "creditCode"),
// 100 enterprise not found, 301 the parent prefix is not this node's,
// 2 storage failure.
#ifndef QILIAN_TENANT_ENTERPRISE_REGISTRY_H_
#define QILIAN_TENANT_ENTERPRISE_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "ident/handle_value.h"
#include "ident/registry.h"
#include "store/kv_store.h"

namespace qilian::tenant {

// Limits on enterprise fields, in characters (code points) unless noted.
inline constexpr size_t kMaxNameChars = 200;
inline constexpr size_t kMaxContactNameChars = 100;
inline constexpr size_t kMaxEmailBytes = 254;  // RFC 5321 path limit
inline constexpr size_t kMinPhoneDigits = 5;
inline constexpr size_t kMaxPhoneDigits = 20;
inline constexpr size_t kMaxPageSize = 1000;

struct Contact {
  std::string name;
  std::string phone;
  std::string email;  // optional: empty when not given
  bool operator==(const Contact&) const = default;
};

// What a client submits.
struct EnterpriseInput {
  std::string name;
  std::string credit_code;
  std::string industry;  // GB/T 4754-2017 code (industry.h)
  std::string region;    // GB/T 2260 code (region.h)
  Contact contact;
};

struct Enterprise {
  uint64_t id = 0;
  std::string name;
  std::string credit_code;
  std::string industry;  // canonical (IndustryClass::code)
  std::string region;
  Contact contact;
  std::string prefix;  // allocated, e.g. "88.999.7"
  absl::Time created_at;
  bool operator==(const Enterprise&) const = default;
};

struct EnterprisePage {
  std::vector<Enterprise> enterprises;  // ascending by id
  bool more = false;                    // another page follows
};

// Values written into each allocated prefix handle 0.NA/<prefix>.
inline constexpr uint32_t kPrefixSiteIndex = 1;
inline constexpr uint32_t kPrefixAdminIndex = 100;

struct EnterpriseRegistryOptions {
  // The prefix enterprises get derived prefixes of; the identifier
  // registry must be authoritative for it.
  std::string parent_prefix = "88.999";
  // This node's HS_SITE (ident::BuildSiteInfo), written at index 1 of each
  // new prefix handle: the enterprise's prefix is homed here.
  ident::SiteInfo site;
  // HS_ADMIN at index 100 of each new prefix handle; an empty handle means
  // "0.NA/<parent_prefix>" (the parent's administrator).
  std::string admin_handle;
  uint32_t admin_index = 200;
};

class EnterpriseRegistry {
 public:
  static constexpr std::string_view kSpace = "tenant";

  // `store` must be the store `registry` writes to: the prefix handle and
  // the enterprise go into one batch. Both must outlive this object.
  EnterpriseRegistry(store::KvStore* store, ident::Registry* registry, const Clock& clock,
                     EnterpriseRegistryOptions options);

  // Validates, allocates a prefix and stores everything atomically.
  absl::StatusOr<Enterprise> Register(const EnterpriseInput& input);

  absl::StatusOr<Enterprise> Get(uint64_t id) const;
  absl::StatusOr<Enterprise> GetByCreditCode(std::string_view credit_code) const;

  // The enterprise whose allocated prefix is `prefix` or a parent of it
  // (88.999.7 and 88.999.7.2 belong to the enterprise allocated 88.999.7),
  // if any.
  absl::StatusOr<std::optional<Enterprise>> OwnerOf(std::string_view prefix) const;

  // Page `page` (from 0) of `page_size` (1..kMaxPageSize) enterprises.
  absl::StatusOr<EnterprisePage> List(size_t page, size_t page_size) const;

  // The field checks of Register, in its order: name, creditCode,
  // industry, region, contact.name, contact.phone, contact.email. Returns
  // the first FieldError.
  static absl::Status Validate(const EnterpriseInput& input);

  const EnterpriseRegistryOptions& options() const { return options_; }

 private:
  absl::StatusOr<std::vector<ident::HandleValue>> PrefixHandleValues() const;

  store::KvStore* store_;
  ident::Registry* registry_;
  const Clock& clock_;
  EnterpriseRegistryOptions options_;
  std::mutex register_mu_;
};

// The stored form of an enterprise (docs/enterprises.md).
std::string EncodeEnterprise(const Enterprise& enterprise);
absl::StatusOr<Enterprise> DecodeEnterprise(std::string_view bytes);

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_ENTERPRISE_REGISTRY_H_
