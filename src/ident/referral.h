// Prefix referrals (RFC 3652 RC_PREFIX_REFERRAL, 303) for an authoritative
// node: whether a handle under one of this node's prefixes is homed here
// or on the site that a prefix handle 0.NA/<prefix> names.
//
// A secondary node serving 88.999 that gave 88.999.7 to an enterprise
// holds 0.NA/88.999.7 with the enterprise's HS_SITE. A question about
// 88.999.7/PUMP-1 then gets a referral to that site, never a silent
// not-found. The closest prefix handle wins: walking 88.999.7.1, 88.999.7,
// ... up to (not including) the configured prefix, the first prefix handle
// that has site values decides; if its site is this node (an enterprise
// onboarded locally) or there is none, the handle is served here.
//
// A prefix handle 0.NA/P is data of the node serving P's parent (it was
// written there when P was allocated), so questions about 0.NA/P walk from
// parent(P).
#ifndef QILIAN_IDENT_REFERRAL_H_
#define QILIAN_IDENT_REFERRAL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ident/handle_name.h"
#include "ident/handle_value.h"
#include "ident/registry.h"

namespace qilian::ident {

inline constexpr std::string_view kTypeSitePrefix = "HS_SITE.PREFIX";
inline constexpr std::string_view kTypeServ = "HS_SERV";
inline constexpr std::string_view kTypeServPrefix = "HS_SERV.PREFIX";

// Where to go instead: carried in a 303 reply as Handle.Net's
// ServiceReferralResponse does (the referral handle, then the values).
struct Referral {
  std::string prefix_handle;        // "0.NA/88.999.7", as stored
  std::vector<HandleValue> values;  // HS_SITE, HS_SERV (+ .PREFIX forms), public ones
};

// "88.999.7" -> "88.999"; "88" -> "".
std::string ParentPrefix(std::string_view prefix);

// Whether `site` names this node: some server of it has the address of one
// of `own`'s servers and an interface with the same protocol and port.
// IPv4 in the ::a.b.c.d and ::ffff:a.b.c.d forms compare equal.
bool SiteNamesNode(const SiteInfo& site, const SiteInfo& own);

class ReferralFinder {
 public:
  // `registry` holds the prefix handles; `own_site` is this node's HS_SITE.
  ReferralFinder(const Registry* registry, SiteInfo own_site);

  // For a handle this node is authoritative for (Registry::IsAuthoritativeFor
  // of its prefix, or of P for 0.NA/P): nullopt when it is served here, the
  // referral when it is homed elsewhere. `listing` asks about the handles
  // under the prefix `name.suffix` of a list request on 0.NA/<prefix>.
  // Errors: storage failures (code 2).
  absl::StatusOr<std::optional<Referral>> Find(const HandleName& name, bool listing) const;

 private:
  bool IsConfiguredPrefix(std::string_view prefix) const;
  // Whether `values` (site values of one prefix handle) name this node;
  // HS_SERV indirections are followed one step through local data.
  absl::StatusOr<bool> NamesThisNode(const std::vector<HandleValue>& values,
                                     bool prefix_question) const;

  const Registry* registry_;
  SiteInfo own_site_;
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_REFERRAL_H_
