#include "ident/authz/admin_check.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/value_codec.h"

namespace qilian::ident::authz {
namespace {

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// The form two handles are compared in: prefix folded, suffix folded unless
// suffixes are case-sensitive.
std::string CanonicalHandle(std::string_view handle, bool case_sensitive_suffix) {
  size_t slash = handle.find('/');
  if (slash == std::string_view::npos) return FoldPrefix(handle);
  std::string suffix(handle.substr(slash + 1));
  if (!case_sensitive_suffix) suffix = AsciiUpper(suffix);
  return FoldPrefix(handle.substr(0, slash)) + "/" + suffix;
}

std::string RefText(std::string_view handle, uint32_t index) {
  return absl::StrCat(index, ":", std::string(handle));
}

bool IsAbsent(const absl::Status& status) {
  ResponseCode code = ResponseCodeOf(status);
  return code == ResponseCode::kHandleNotFound || code == ResponseCode::kInvalidHandle ||
         code == ResponseCode::kServerNotResponsible;
}

// One check's state: the identity, the handles read so far, and the bounds.
class Checker {
 public:
  Checker(const AdminIdentity& who, std::string_view target,
          const std::vector<HandleValue>& target_values, const HandleLookup& lookup,
          const AdminCheckOptions& options)
      : who_(who),
        who_canonical_(CanonicalHandle(who.handle, options.case_sensitive_suffix)),
        lookup_(lookup),
        options_(options) {
    cache_[Canonical(target)] = target_values;
  }

  std::string Canonical(std::string_view handle) const {
    return CanonicalHandle(handle, options_.case_sensitive_suffix);
  }

  // The values of `handle`, or nullptr if it does not exist (or the lookup
  // budget is spent, which only ever denies).
  absl::StatusOr<const std::vector<HandleValue>*> Values(std::string_view handle) {
    std::string key = Canonical(handle);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second ? &*it->second : nullptr;
    if (lookups_ >= options_.max_lookups) {
      budget_exhausted_ = true;
      return nullptr;
    }
    ++lookups_;
    absl::StatusOr<std::vector<HandleValue>> values = lookup_(handle);
    if (!values.ok()) {
      if (!IsAbsent(values.status())) return values.status();
      cache_[key] = std::nullopt;
      return nullptr;
    }
    auto& slot = cache_[key];
    slot = *std::move(values);
    return &*slot;
  }

  // Whether the admin reference (handle, index) names the identity, directly
  // or through HS_VLIST groups. Sets *via to the outermost group followed.
  absl::StatusOr<bool> Names(std::string_view handle, uint32_t index, int depth,
                             std::string* via) {
    if (Canonical(handle) == who_canonical_ && (index == who_.index || index == 0)) {
      return true;
    }
    // Index 0 names every key of a handle, never a group value.
    if (index == 0) return false;
    if (depth >= options_.max_group_depth) {
      depth_exceeded_ = true;
      return false;
    }
    std::string key = absl::StrCat(index, ":", Canonical(handle));
    if (!visited_.insert(key).second) return false;  // a cycle or a repeat
    QL_ASSIGN_OR_RETURN(const std::vector<HandleValue>* values, Values(handle));
    if (values == nullptr) return false;
    for (const HandleValue& v : *values) {
      if (v.index != index || v.type != kTypeVList) continue;
      std::vector<ValueReference> members;
      ByteReader in(v.data);
      if (!DecodeVList(&in, &members) || !in.at_end()) return false;
      for (const ValueReference& m : members) {
        QL_ASSIGN_OR_RETURN(bool named, Names(m.handle, m.index, depth + 1, nullptr));
        if (named) {
          if (via != nullptr) *via = RefText(handle, index);
          return true;
        }
      }
    }
    return false;
  }

  bool depth_exceeded() const { return depth_exceeded_; }
  bool budget_exhausted() const { return budget_exhausted_; }

 private:
  const AdminIdentity& who_;
  std::string who_canonical_;
  const HandleLookup& lookup_;
  const AdminCheckOptions& options_;
  std::map<std::string, std::optional<std::vector<HandleValue>>> cache_;
  std::set<std::string> visited_;
  int lookups_ = 0;
  bool depth_exceeded_ = false;
  bool budget_exhausted_ = false;
};

bool HasAdminValue(const std::vector<HandleValue>& values) {
  for (const HandleValue& v : values) {
    if (v.type == kTypeAdmin) return true;
  }
  return false;
}

// The prefix of `target` governing it: the part before the first '/', or
// for a prefix handle 0.NA/<p>, <p>; a bare prefix is itself.
std::string GoverningPrefix(std::string_view target) {
  size_t slash = target.find('/');
  if (slash == std::string_view::npos) return FoldPrefix(target);
  std::string prefix = FoldPrefix(target.substr(0, slash));
  if (prefix == "0.NA") return FoldPrefix(target.substr(slash + 1));
  return prefix;
}

bool IsPrefixHandle(std::string_view target) {
  size_t slash = target.find('/');
  return slash != std::string_view::npos && FoldPrefix(target.substr(0, slash)) == "0.NA";
}

}  // namespace

std::string_view AdminOpName(AdminOp op) {
  switch (op) {
    case AdminOp::kAddHandle: return "add handle";
    case AdminOp::kDeleteHandle: return "delete handle";
    case AdminOp::kAddDerivedPrefix: return "add derived prefix";
    case AdminOp::kDeleteDerivedPrefix: return "delete derived prefix";
    case AdminOp::kAddValue: return "add value";
    case AdminOp::kModifyValue: return "modify value";
    case AdminOp::kRemoveValue: return "remove value";
    case AdminOp::kAddAdmin: return "add admin";
    case AdminOp::kModifyAdmin: return "modify admin";
    case AdminOp::kRemoveAdmin: return "remove admin";
    case AdminOp::kAuthorizedRead: return "authorized read";
    case AdminOp::kListHandles: return "list handles";
  }
  return "unknown";
}

uint16_t PermissionFor(AdminOp op) {
  switch (op) {
    case AdminOp::kAddHandle: return admin_perm::kAddHandle;
    case AdminOp::kDeleteHandle: return admin_perm::kDeleteHandle;
    case AdminOp::kAddDerivedPrefix: return admin_perm::kAddDerivedPrefix;
    case AdminOp::kDeleteDerivedPrefix: return admin_perm::kDeleteDerivedPrefix;
    case AdminOp::kAddValue: return admin_perm::kAddValue;
    case AdminOp::kModifyValue: return admin_perm::kModifyValue;
    case AdminOp::kRemoveValue: return admin_perm::kRemoveValue;
    case AdminOp::kAddAdmin: return admin_perm::kAddAdmin;
    case AdminOp::kModifyAdmin: return admin_perm::kModifyAdmin;
    case AdminOp::kRemoveAdmin: return admin_perm::kRemoveAdmin;
    case AdminOp::kAuthorizedRead: return admin_perm::kReadValue;
    case AdminOp::kListHandles: return admin_perm::kListHandles;
  }
  return 0;
}

HandleLookup RegistryLookup(const Registry* registry) {
  return [registry](std::string_view handle) -> absl::StatusOr<std::vector<HandleValue>> {
    QL_ASSIGN_OR_RETURN(HandleRecord record, registry->Get(handle, ValueFilter{}));
    return std::move(record.values);
  };
}

absl::Status AdminDecision::ToStatus() const {
  if (allowed) return absl::OkStatus();
  return HandleError(code, reason);
}

std::vector<std::string> PrefixHandleChain(std::string_view target, bool include_self) {
  std::vector<std::string> chain;
  std::string prefix = GoverningPrefix(target);
  bool first = true;
  while (!prefix.empty()) {
    if (!first || include_self) chain.push_back("0.NA/" + prefix);
    first = false;
    size_t dot = prefix.rfind('.');
    if (dot == std::string::npos) break;
    prefix.resize(dot);
  }
  return chain;
}

absl::StatusOr<AdminDecision> CheckAdmin(const AdminIdentity& who, AdminOp op,
                                         std::string_view target,
                                         const std::vector<HandleValue>& target_values,
                                         const HandleLookup& lookup,
                                         const AdminCheckOptions& options) {
  AdminDecision decision;
  const std::string who_text = RefText(who.handle, who.index);
  const std::string op_name(AdminOpName(op));
  const std::string target_text(target);
  if (absl::StatusOr<HandleName> name = ParseHandle(target); !name.ok()) {
    decision.code = ResponseCode::kInvalidHandle;
    decision.reason = std::string(name.status().message());
    return decision;
  }
  const bool prefix_op = op == AdminOp::kAddDerivedPrefix || op == AdminOp::kDeleteDerivedPrefix;
  if (prefix_op && !IsPrefixHandle(target)) {
    decision.code = ResponseCode::kInvalidHandle;
    decision.reason = absl::StrCat(op_name, " needs a prefix handle 0.NA/<prefix>, not ",
                                   target_text);
    return decision;
  }

  // The handles whose HS_ADMIN values govern this operation, in order.
  std::vector<std::string> sources;
  const bool own_admins = !prefix_op && op != AdminOp::kAddHandle && HasAdminValue(target_values);
  if (own_admins) sources.push_back(target_text);
  if (!own_admins || options.prefix_admins_always) {
    for (std::string& h : PrefixHandleChain(target, /*include_self=*/!prefix_op)) {
      // A new prefix handle does not govern its own creation.
      if (op == AdminOp::kAddHandle && IsPrefixHandle(target) &&
          CanonicalHandle(h, false) == CanonicalHandle(target, false)) {
        continue;
      }
      sources.push_back(std::move(h));
    }
  }

  Checker checker(who, target, target_values, lookup, options);
  const uint16_t needed = PermissionFor(op);
  bool any_admin_value = false;
  bool names_identity = false;
  for (const std::string& source : sources) {
    QL_ASSIGN_OR_RETURN(const std::vector<HandleValue>* values, checker.Values(source));
    if (values == nullptr) continue;
    // Granting values first, so a match needs no further group reads; the
    // rest only to tell "not an administrator" (400) from "lacks the
    // permission" (401).
    for (int pass = 0; pass < 2; ++pass) {
      for (const HandleValue& v : *values) {
        if (v.type != kTypeAdmin) continue;
        AdminRecord admin;
        ByteReader in(v.data);
        if (!DecodeAdmin(&in, &admin) || !in.at_end()) continue;
        any_admin_value = true;
        const bool grants = (admin.permissions & needed) != 0;
        if (grants != (pass == 0)) continue;
        if (pass == 1 && names_identity) break;
        std::string via;
        QL_ASSIGN_OR_RETURN(bool named,
                            checker.Names(admin.admin_handle, admin.admin_index, 1, &via));
        if (!named) continue;
        names_identity = true;
        if (grants) {
          decision.allowed = true;
          decision.code = ResponseCode::kSuccess;
          decision.matched_handle = source;
          decision.matched_index = v.index;
          decision.reason = absl::StrCat("HS_ADMIN ", v.index, ":", source, " grants ", op_name,
                                         " to ", who_text);
          if (!via.empty()) absl::StrAppend(&decision.reason, " via HS_VLIST ", via);
          return decision;
        }
      }
    }
  }

  if (!any_admin_value) {
    decision.code = ResponseCode::kInvalidAdmin;
    decision.reason = absl::StrCat("no HS_ADMIN value governs ", target_text);
  } else if (!names_identity) {
    decision.code = ResponseCode::kInvalidAdmin;
    decision.reason = absl::StrCat(who_text, " is not an administrator of ", target_text);
  } else {
    decision.code = ResponseCode::kInsufficientPermissions;
    decision.reason = absl::StrCat("no HS_ADMIN naming ", who_text, " grants ", op_name, " on ",
                                   target_text);
  }
  if (checker.depth_exceeded() || checker.budget_exhausted()) {
    absl::StrAppend(&decision.reason, " (HS_VLIST groups not fully followed: ",
                    checker.depth_exceeded() ? "depth limit" : "lookup limit", ")");
  }
  return decision;
}

std::vector<HandleValue> VisibleValues(const std::vector<HandleValue>& values,
                                       bool authorized_reader) {
  std::vector<HandleValue> out;
  for (const HandleValue& v : values) {
    const bool visible = (v.permissions & kPermPublicRead) != 0 ||
                         (authorized_reader && (v.permissions & kPermAdminRead) != 0);
    if (visible) out.push_back(v);
  }
  return out;
}

bool ValueWritable(const HandleValue& value, bool authenticated_admin) {
  return (value.permissions & (authenticated_admin ? kPermAdminWrite : kPermPublicWrite)) != 0;
}

}  // namespace qilian::ident::authz
