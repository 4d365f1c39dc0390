#include "platform/devsim/fleet.h"

#include <cstdio>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "platform/thing_model/str_cat.h"
#include "platform/devsim/random.h"

namespace qilian::platform::devsim {

namespace {

constexpr std::string_view kHeader = "product_key,device_id,secret,model";

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string Quoted(std::string_view s) {
  return Cat("'", s.substr(0, 80), s.size() > 80 ? "…'" : "'");
}

std::string CheckSecret(std::string_view secret) {
  if (secret.empty()) return "secret: empty";
  if (secret.size() > kMaxSecretLength) {
    return Cat("secret: longer than ", kMaxSecretLength, " characters");
  }
  for (char c : secret) {
    if (c < 0x21 || c > 0x7e) return "secret: must be printable ASCII without spaces";
  }
  return "";
}

std::string CheckModelRef(std::string_view model) {
  if (model.empty()) return "model: empty (a starter id or @path)";
  if (model.size() > kMaxModelRefLength) {
    return Cat("model: longer than ", kMaxModelRefLength, " characters");
  }
  if (model == "@") return "model: '@' without a path";
  return "";
}

}  // namespace

std::string CheckProductKey(std::string_view key) {
  bool ok = key.size() == kProductKeyLength;
  for (char c : key) ok = ok && IsAlnum(c);
  if (ok) return "";
  return Cat("product key ", Quoted(key), ": must be ", kProductKeyLength,
                      " characters of [A-Za-z0-9]");
}

std::string CheckDeviceId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= kMaxDeviceIdLength && IsAlnum(id[0]);
  for (char c : id) ok = ok && (IsAlnum(c) || c == '_' || c == '-');
  if (ok) return "";
  return Cat("device id ", Quoted(id), ": must be 1 to ", kMaxDeviceIdLength,
             " characters of [A-Za-z0-9_-], starting with a letter or digit");
}

std::string_view TakeLine(std::string_view* text) {
  size_t end = text->find('\n');
  std::string_view line = text->substr(0, end);
  text->remove_prefix(end == std::string_view::npos ? text->size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

absl::StatusOr<std::vector<FleetDevice>> ParseFleet(std::string_view text) {
  std::vector<FleetDevice> fleet;
  // "pk/dev" -> line of its first appearance.
  absl::flat_hash_map<std::string, size_t> seen;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::string_view line = TakeLine(&text);
    if (line.empty() || line.front() == '#') continue;
    if (fleet.empty() && seen.empty() && line == kHeader) continue;
    auto fail = [&](std::string_view reason) {
      return absl::InvalidArgumentError(Cat("line ", line_number, ": ", reason));
    };
    std::string_view fields[4];
    size_t count = 0;
    for (size_t start = 0;;) {
      size_t comma = line.find(',', start);
      if (count == 4) return fail("more than 4 fields (product_key,device_id,secret,model)");
      fields[count++] = line.substr(start, comma == std::string_view::npos ? comma : comma - start);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (count < 4) {
      return fail(Cat(count, " field", count == 1 ? "" : "s",
                               ", expected 4 (product_key,device_id,secret,model)"));
    }
    for (const std::string& reason : {CheckProductKey(fields[0]), CheckDeviceId(fields[1]),
                                      CheckSecret(fields[2]), CheckModelRef(fields[3])}) {
      if (!reason.empty()) return fail(reason);
    }
    if (fleet.size() == kMaxFleetDevices) {
      return fail(Cat("more than ", kMaxFleetDevices, " devices"));
    }
    std::string name = Cat(fields[0], "/", fields[1]);
    auto [it, fresh] = seen.emplace(name, line_number);
    if (!fresh) return fail(Cat("duplicate device ", name, " (first on line ", it->second, ")"));
    fleet.push_back({std::string(fields[0]), std::string(fields[1]), std::string(fields[2]),
                     std::string(fields[3])});
  }
  if (fleet.empty()) return absl::InvalidArgumentError("the fleet has no devices");
  return fleet;
}

std::vector<FleetDevice> GenerateFleet(size_t count, std::string_view product_key,
                                       std::string_view model, std::string_view id_prefix,
                                       uint64_t secret_seed) {
  std::random_device os_random;
  uint64_t seed = secret_seed != 0
                      ? secret_seed
                      : (uint64_t{os_random()} << 32) ^ os_random() ^ (uint64_t{os_random()} << 16);
  std::vector<FleetDevice> fleet;
  fleet.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    char id[32], secret[33];
    std::snprintf(id, sizeof(id), "%06zu", i + 1);
    uint64_t a = Hash(seed, 2 * i), b = Hash(seed, 2 * i + 1);
    if (secret_seed == 0) a ^= uint64_t{os_random()} << 32 | os_random();
    std::snprintf(secret, sizeof(secret), "%016llx%016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b));
    fleet.push_back({std::string(product_key), Cat(id_prefix, id), secret,
                     std::string(model)});
  }
  return fleet;
}

std::string FleetText(const std::vector<FleetDevice>& fleet) {
  std::string out = Cat(kHeader, "\n");
  for (const FleetDevice& d : fleet) {
    Append(&out, d.product_key, ",", d.device_id, ",", d.secret, ",", d.model, "\n");
  }
  return out;
}

}  // namespace qilian::platform::devsim
