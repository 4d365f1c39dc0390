#include "platform/broker/device_table.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace qilian::broker {
namespace {

bool IsAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool HasWildcard(std::string_view s) { return s.find_first_of("+#") != std::string_view::npos; }

// Whether `topic` lies strictly under "/{username}/" (something after it).
bool UnderRoot(std::string_view username, std::string_view topic) {
  if (!IsDeviceUsername(username)) return false;
  if (topic.size() < username.size() + 3) return false;  // "/" user "/" and one more
  return topic[0] == '/' && topic.substr(1, username.size()) == username &&
         topic[username.size() + 1] == '/';
}

}  // namespace

bool IsDeviceUsername(std::string_view username) {
  if (username.size() < kProductKeyLength + 2 || username.size() > kMaxUsernameLength) {
    return false;
  }
  for (size_t i = 0; i < kProductKeyLength; ++i) {
    if (!IsAlnum(username[i])) return false;
  }
  if (username[kProductKeyLength] != '/') return false;
  std::string_view id = username.substr(kProductKeyLength + 1);
  if (!IsAlnum(id[0])) return false;
  for (char c : id) {
    if (!IsAlnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool DeviceMayUseTopic(std::string_view username, std::string_view topic) {
  // A topic name has no wildcards; mosquitto refuses one that has before
  // asking, but the rule does not lean on that.
  return UnderRoot(username, topic) && !HasWildcard(topic);
}

bool DeviceMayUseFilter(std::string_view username, std::string_view filter) {
  // The root "/pk/dev/" itself contains no wildcard, so any wildcard in a
  // filter under it comes after the root.
  return UnderRoot(username, filter);
}

std::string EncodeHex(const uint8_t* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

std::array<uint8_t, kHashBytes> HashSecret(const std::array<uint8_t, kSaltBytes>& salt,
                                           std::string_view password) {
  std::array<uint8_t, kHashBytes> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, salt.data(), salt.size()) == 1 &&
            EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == kHashBytes;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    // No hash: an all-zero digest that no stored hash is compared equal
    // to, below (Authenticate refuses when hashing failed).
    out.fill(0);
  }
  return out;
}

AuthResult DeviceTable::Authenticate(std::string_view username, std::string_view password) const {
  const DeviceRecord* d = Find(username);
  if (d == nullptr || !d->enabled) return AuthResult::kRefused;
  std::array<uint8_t, kHashBytes> got = HashSecret(d->salt, password);
  static constexpr std::array<uint8_t, kHashBytes> kZero{};
  if (got == kZero) return AuthResult::kRefused;
  return CRYPTO_memcmp(got.data(), d->hash.data(), kHashBytes) == 0 ? AuthResult::kAccepted
                                                                     : AuthResult::kRefused;
}

const DeviceRecord* DeviceTable::Find(std::string_view username) const {
  auto it = devices_.find(std::string(username));
  return it == devices_.end() ? nullptr : &it->second;
}

std::optional<DeviceRecord> DeviceTable::Put(const std::string& username,
                                             const DeviceRecord& record) {
  auto [it, added] = devices_.try_emplace(username, record);
  if (added) return std::nullopt;
  DeviceRecord before = it->second;
  it->second = record;
  return before;
}

bool DeviceTable::Erase(const std::string& username) { return devices_.erase(username) > 0; }

}  // namespace qilian::broker
