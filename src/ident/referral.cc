#include "ident/referral.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"

namespace qilian::ident {
namespace {

constexpr std::string_view kPrefixOfPrefixes = "0.NA";

// The comparable form of an HS_SITE address: IPv4 written as ::a.b.c.d
// (deployed) or ::ffff:a.b.c.d both become ::a.b.c.d.
std::array<uint8_t, 16> Canonical(const std::array<uint8_t, 16>& address) {
  bool v4 = std::all_of(address.begin(), address.begin() + 10, [](uint8_t b) { return b == 0; }) &&
            ((address[10] == 0 && address[11] == 0) ||
             (address[10] == 0xff && address[11] == 0xff));
  if (!v4) return address;
  std::array<uint8_t, 16> out{};
  std::copy(address.begin() + 12, address.end(), out.begin() + 12);
  return out;
}

bool SameInterface(const SiteServer& a, const SiteServer& b) {
  for (const SiteInterface& x : a.interfaces) {
    for (const SiteInterface& y : b.interfaces) {
      if (x.protocol == y.protocol && x.port == y.port) return true;
    }
  }
  return false;
}

bool IsType(const HandleValue& v, std::string_view type) { return EqualsIgnoreCaseAscii(v.type, type); }

}  // namespace

std::string ParentPrefix(std::string_view prefix) {
  size_t dot = prefix.rfind('.');
  if (dot == std::string_view::npos) return "";
  return std::string(prefix.substr(0, dot));
}

bool SiteNamesNode(const SiteInfo& site, const SiteInfo& own) {
  for (const SiteServer& s : site.servers) {
    for (const SiteServer& o : own.servers) {
      if (Canonical(s.address) == Canonical(o.address) && SameInterface(s, o)) return true;
    }
  }
  return false;
}

ReferralFinder::ReferralFinder(const Registry* registry, SiteInfo own_site)
    : registry_(registry), own_site_(std::move(own_site)) {}

bool ReferralFinder::IsConfiguredPrefix(std::string_view prefix) const {
  for (const std::string& p : registry_->options().authoritative_prefixes) {
    if (EqualsIgnoreCaseAscii(p, prefix)) return true;
  }
  return false;
}

absl::StatusOr<bool> ReferralFinder::NamesThisNode(const std::vector<HandleValue>& values,
                                                   bool prefix_question) const {
  // For a question about a derived prefix's handle, HS_SITE.PREFIX (the
  // sites serving the derived prefix handles) is what a client follows.
  bool has_site_prefix = false;
  for (const HandleValue& v : values) has_site_prefix |= IsType(v, kTypeSitePrefix);
  std::string_view site_type = prefix_question && has_site_prefix ? kTypeSitePrefix : kTypeSite;
  bool any_site = false;
  for (const HandleValue& v : values) {
    if (!IsType(v, site_type)) continue;
    any_site = true;
    ByteReader in(v.data);
    SiteInfo site;
    if (DecodeSite(&in, &site) && SiteNamesNode(site, own_site_)) return true;
  }
  if (any_site) return false;
  // Only HS_SERV: the service handle's HS_SITE decides, when we hold it.
  for (const HandleValue& v : values) {
    if (!IsType(v, kTypeServ)) continue;
    absl::StatusOr<HandleRecord> service = registry_->Get(v.data, ValueFilter{{}, {std::string(kTypeSite)}});
    if (!service.ok()) {
      ResponseCode code = ResponseCodeOf(service.status());
      if (code == ResponseCode::kHandleNotFound || code == ResponseCode::kValuesNotFound ||
          code == ResponseCode::kInvalidHandle || code == ResponseCode::kServerNotResponsible) {
        continue;
      }
      return service.status();
    }
    for (const HandleValue& s : service->values) {
      if (!IsType(s, kTypeSite)) continue;
      ByteReader in(s.data);
      SiteInfo site;
      if (DecodeSite(&in, &site) && SiteNamesNode(site, own_site_)) return true;
    }
  }
  return false;
}

absl::StatusOr<std::optional<Referral>> ReferralFinder::Find(const HandleName& name,
                                                            bool listing) const {
  const bool prefix_question = !listing && EqualsIgnoreCaseAscii(name.prefix, kPrefixOfPrefixes);
  std::string q;
  if (listing) {
    q = name.suffix;
  } else if (prefix_question) {
    // 0.NA/P lives where P's parent is served.
    q = ParentPrefix(name.suffix);
  } else {
    q = name.prefix;
  }
  const ValueFilter site_filter{{}, {std::string(kTypeSite), std::string(kTypeServ)}};
  for (; !q.empty(); q = ParentPrefix(q)) {
    // Our own prefix, or above our authority: no referral is ours to give.
    if (IsConfiguredPrefix(q) || !registry_->IsAuthoritativeFor(q)) return std::nullopt;
    std::string prefix_handle = absl::StrCat(std::string(kPrefixOfPrefixes), "/", q);
    absl::StatusOr<HandleRecord> record = registry_->Get(prefix_handle, site_filter);
    if (!record.ok()) {
      ResponseCode code = ResponseCodeOf(record.status());
      if (code == ResponseCode::kHandleNotFound || code == ResponseCode::kValuesNotFound) continue;
      return record.status();
    }
    std::erase_if(record->values, [&](const HandleValue& v) {
      if ((v.permissions & kPermPublicRead) == 0) return true;
      // The .PREFIX forms matter only to questions about prefix handles.
      return !prefix_question && (IsType(v, kTypeSitePrefix) || IsType(v, kTypeServPrefix));
    });
    if (record->values.empty()) continue;
    QL_ASSIGN_OR_RETURN(bool here, NamesThisNode(record->values, prefix_question));
    if (here) return std::nullopt;
    Referral referral;
    referral.prefix_handle = std::move(record->handle);
    referral.values = std::move(record->values);
    return referral;
  }
  return std::nullopt;
}

}  // namespace qilian::ident
