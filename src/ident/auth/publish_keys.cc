#include "ident/auth/publish_keys.h"

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "ident/handle_value.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {

uint32_t PublishedKeyIndex(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return 301;
    case KeyType::kEd25519:
      return 302;
    case KeyType::kSm2:
      return 303;
    case KeyType::kDsa:
      break;
  }
  return 0;
}

absl::StatusOr<int> PublishSigningKeys(Registry* registry, const std::vector<std::string>& prefixes,
                                       const SigningKeys& keys) {
  int changed = 0;
  for (const std::string& prefix : prefixes) {
    const std::string handle = absl::StrCat("0.NA/", prefix);
    absl::StatusOr<HandleRecord> record = registry->Get(handle, ValueFilter{});
    if (!record.ok()) {
      if (ResponseCodeOf(record.status()) == ResponseCode::kHandleNotFound) continue;
      return record.status();
    }
    std::vector<HandleValue> wanted;
    for (const PrivateKey& key : keys.all()) {
      HandleValue v;
      v.index = PublishedKeyIndex(key.type());
      v.type = std::string(kTypePubKey);
      v.data = key.Public().Encode();
      v.permissions = kPermDefault;
      wanted.push_back(std::move(v));
    }
    std::vector<HandleValue> put;
    std::vector<uint32_t> stale;
    for (const HandleValue& w : wanted) {
      bool same = false;
      for (const HandleValue& have : record->values) {
        same = same || (have.index == w.index && have.type == w.type && have.data == w.data);
      }
      if (!same) put.push_back(w);
    }
    for (KeyType type : {KeyType::kRsa, KeyType::kEd25519, KeyType::kSm2}) {
      if (keys.Find(type) != nullptr) continue;
      for (const HandleValue& have : record->values) {
        if (have.index == PublishedKeyIndex(type) && have.type == kTypePubKey) {
          stale.push_back(have.index);
        }
      }
    }
    if (put.empty() && stale.empty()) continue;
    if (!put.empty()) QL_RETURN_IF_ERROR(registry->PutValues(handle, put, true).status());
    if (!stale.empty()) QL_RETURN_IF_ERROR(registry->RemoveValues(handle, stale));
    ++changed;
  }
  return changed;
}

}  // namespace qilian::ident::auth
