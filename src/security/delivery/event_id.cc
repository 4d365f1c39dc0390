#include "security/delivery/event_id.h"

#include <random>

namespace qilian::security {

std::string NewSpoolIdentity() {
  std::random_device random;  // /dev/urandom on Linux
  const uint64_t value = (static_cast<uint64_t>(random()) << 32) | random();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) out[i] = kHex[(value >> (60 - 4 * i)) & 0xf];
  return out;
}

bool IsValidEventId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string EventId(std::string_view spool_identity, uint64_t sequence) {
  std::string out(spool_identity);
  out.push_back('-');
  out += std::to_string(sequence);
  return out;
}

void AppendWithId(std::string_view event, std::string_view id, std::string* out) {
  if (event.empty() || event.front() != '{') {
    out->append(event);  // not an object: the node refuses it and says why
    return;
  }
  out->append("{\"id\":\"");
  out->append(id);
  out->push_back('"');
  std::string_view rest = event.substr(1);  // after '{'
  // An event with no members of its own ("{}") gets no separating comma.
  if (rest.find_first_not_of(" \t") != std::string_view::npos &&
      rest[rest.find_first_not_of(" \t")] != '}') {
    out->push_back(',');
  }
  out->append(rest);
}

}  // namespace qilian::security
