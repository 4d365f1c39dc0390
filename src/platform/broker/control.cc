#include "platform/broker/control.h"

#include <initializer_list>
#include <unordered_set>
#include <utility>

#include "platform/broker/control_protocol.h"

namespace qilian::broker {
namespace {

using nlohmann::json;

std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

// The first key of `object` not in `allowed`, if any.
std::optional<std::string> UnknownKey(const json& object,
                                      std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) return key;
  }
  return std::nullopt;
}

// A string member of `object`, or nullptr when absent or not a string.
const std::string* StringMember(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

json ErrorResponse(const std::string& command, const json* correlation, const char* code,
                   const std::string& message) {
  json r = {{"command", command}, {"error", message}, {"code", code}};
  if (correlation != nullptr) r["correlationData"] = *correlation;
  return r;
}

}  // namespace

std::optional<std::string> ParseDevices(const json& devices, std::string_view field,
                                        DeviceTable::Map& out) {
  if (!devices.is_array()) return std::string(field) + ": must be an array";
  if (out.size() + devices.size() > kMaxDevices) {
    return std::string(field) + ": more than " + std::to_string(kMaxDevices) + " devices";
  }
  std::vector<std::pair<std::string, DeviceRecord>> parsed;
  parsed.reserve(devices.size());
  std::unordered_set<std::string_view> seen;
  seen.reserve(devices.size());
  for (size_t i = 0; i < devices.size(); ++i) {
    const json& d = devices[i];
    std::string at = std::string(field) + "[" + std::to_string(i) + "]";
    if (!d.is_object()) return at + ": must be an object";
    if (auto key = UnknownKey(d, {"username", "salt", "hash", "enabled"})) {
      return at + ": unknown field " + Quoted(*key);
    }
    const std::string* username = StringMember(d, "username");
    if (username == nullptr) return at + ".username: must be a string";
    if (!IsDeviceUsername(*username)) {
      return at + ".username: " + Quoted(*username) +
             " is not {productKey}/{deviceId} (11 of [A-Za-z0-9], '/', 1 to 64 of "
             "[A-Za-z0-9_-] starting with a letter or digit)";
    }
    DeviceRecord r;
    const std::string* salt = StringMember(d, "salt");
    if (salt == nullptr || !DecodeHex(*salt, r.salt)) {
      return at + ".salt: must be " + std::to_string(2 * kSaltBytes) + " hex digits";
    }
    const std::string* hash = StringMember(d, "hash");
    if (hash == nullptr || !DecodeHex(*hash, r.hash)) {
      return at + ".hash: must be " + std::to_string(2 * kHashBytes) + " hex digits (SHA-256)";
    }
    auto enabled = d.find("enabled");
    if (enabled == d.end() || !enabled->is_boolean()) return at + ".enabled: must be true or false";
    r.enabled = enabled->get<bool>();
    if (out.count(*username) > 0 || !seen.insert(*username).second) {
      return at + ".username: " + Quoted(*username) + " appears twice";
    }
    parsed.emplace_back(*username, r);
  }
  for (auto& [username, record] : parsed) out.emplace(std::move(username), record);
  return std::nullopt;
}

ControlProcessor::ControlProcessor(DeviceTable& table,
                                   std::function<nlohmann::json()> runtime_stats)
    : table_(table), runtime_stats_(std::move(runtime_stats)) {}

std::optional<std::string> ControlProcessor::staged_transaction() const {
  if (!staged_) return std::nullopt;
  return staged_->transaction;
}

ControlOutcome ControlProcessor::Handle(std::string_view payload, bool authorised) {
  ControlOutcome out;
  json responses = json::array();
  json message = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  const json* commands = nullptr;
  if (!message.is_discarded() && message.is_object()) {
    auto it = message.find("commands");
    if (it != message.end() && it->is_array()) commands = &*it;
  }
  if (commands == nullptr) {
    const char* code = authorised ? kCodeInvalidArgument : kCodePermissionDenied;
    std::string text = authorised ? "the payload is not a JSON object with a \"commands\" array"
                                  : "not authorised: only the admin client may send commands";
    responses.push_back(ErrorResponse("", nullptr, code, text));
  } else {
    for (const json& command : *commands) {
      const std::string* name = command.is_object() ? StringMember(command, "command") : nullptr;
      std::string shown = name ? *name : "";
      const json* correlation = nullptr;
      if (command.is_object()) {
        auto c = command.find("correlationData");
        if (c != command.end()) correlation = &*c;
      }
      if (!authorised) {
        responses.push_back(ErrorResponse(shown, correlation, kCodePermissionDenied,
                                          "not authorised: only the admin client may send "
                                          "commands"));
        continue;
      }
      if (name == nullptr) {
        responses.push_back(ErrorResponse(shown, correlation, kCodeInvalidArgument,
                                          "a command must be an object with a \"command\" "
                                          "string"));
        continue;
      }
      if (correlation != nullptr && !correlation->is_string()) {
        responses.push_back(ErrorResponse(shown, nullptr, kCodeInvalidArgument,
                                          "correlationData: must be a string"));
        continue;
      }
      Result result = Run(command, out);
      if (auto* error = std::get_if<Error>(&result)) {
        responses.push_back(ErrorResponse(shown, correlation, error->code, error->message));
      } else {
        json r = {{"command", shown}, {"data", std::move(std::get<json>(result))}};
        if (correlation != nullptr) r["correlationData"] = *correlation;
        responses.push_back(std::move(r));
      }
    }
  }
  out.response = json{{"responses", std::move(responses)}}.dump();
  return out;
}

ControlProcessor::Result ControlProcessor::Run(const json& command, ControlOutcome& out) {
  const std::string& name = *StringMember(command, "command");
  if (name == kUpsertDevices) return Upsert(command, out);
  if (name == kRemoveDevices) return Remove(command, out);
  if (name == kReplaceAll) return ReplaceAll(command, out);
  if (name == kGetStats) {
    if (auto key = UnknownKey(command, {"command", "correlationData"})) {
      return Error{kCodeInvalidArgument, "unknown field " + Quoted(*key)};
    }
    return Stats();
  }
  return Error{kCodeInvalidArgument, "unknown command " + Quoted(name)};
}

// The command's "devices", alone beside "command" and "correlationData",
// parsed into `out`.
std::optional<ControlProcessor::Error> ControlProcessor::DevicesOf(const json& command,
                                                                   DeviceTable::Map& out) {
  if (auto key = UnknownKey(command, {"command", "correlationData", "devices"})) {
    return Error{kCodeInvalidArgument, "unknown field " + Quoted(*key)};
  }
  auto devices = command.find("devices");
  if (devices == command.end()) return Error{kCodeInvalidArgument, "devices: missing"};
  if (auto error = ParseDevices(*devices, "devices", out)) {
    return Error{kCodeInvalidArgument, *error};
  }
  return std::nullopt;
}

ControlProcessor::Result ControlProcessor::Upsert(const json& command, ControlOutcome& out) {
  DeviceTable::Map incoming;
  if (auto error = DevicesOf(command, incoming)) return std::move(*error);
  size_t fresh = 0;
  for (const auto& [username, record] : incoming) fresh += table_.Find(username) == nullptr;
  if (table_.size() + fresh > kMaxDevices) {
    return Error{kCodeResourceExhausted, "the broker would hold more than " +
                                             std::to_string(kMaxDevices) + " devices"};
  }
  size_t added = 0, updated = 0, unchanged = 0, revoked = 0;
  for (const auto& [username, record] : incoming) {
    std::optional<DeviceRecord> before = table_.Put(username, record);
    if (!before) {
      ++added;
    } else if (*before == record) {
      ++unchanged;
    } else {
      ++updated;
      if (MustDisconnect(*before, record)) {
        out.disconnect.push_back(username);
        ++revoked;
      }
    }
  }
  out.changed = out.changed || added + updated > 0;
  return json{{"added", added}, {"updated", updated}, {"unchanged", unchanged},
              {"revoked", revoked}};
}

ControlProcessor::Result ControlProcessor::Remove(const json& command, ControlOutcome& out) {
  if (auto key = UnknownKey(command, {"command", "correlationData", "usernames"})) {
    return Error{kCodeInvalidArgument, "unknown field " + Quoted(*key)};
  }
  auto usernames = command.find("usernames");
  if (usernames == command.end() || !usernames->is_array()) {
    return Error{kCodeInvalidArgument, "usernames: must be an array"};
  }
  for (size_t i = 0; i < usernames->size(); ++i) {
    const json& u = (*usernames)[i];
    std::string at = "usernames[" + std::to_string(i) + "]";
    if (!u.is_string()) return Error{kCodeInvalidArgument, at + ": must be a string"};
    if (!IsDeviceUsername(u.get_ref<const std::string&>())) {
      return Error{kCodeInvalidArgument,
                   at + ": " + Quoted(u.get_ref<const std::string&>()) + " is not a device username"};
    }
  }
  size_t removed = 0, absent = 0;
  for (const json& u : *usernames) {
    const std::string& username = u.get_ref<const std::string&>();
    if (table_.Erase(username)) {
      ++removed;
      out.disconnect.push_back(username);
    } else {
      ++absent;
    }
  }
  out.changed = out.changed || removed > 0;
  return json{{"removed", removed}, {"absent", absent}, {"revoked", removed}};
}

ControlProcessor::Result ControlProcessor::ReplaceAll(const json& command, ControlOutcome& out) {
  const std::string* phase = StringMember(command, "phase");
  if (command.contains("phase") && phase == nullptr) {
    return Error{kCodeInvalidArgument, "phase: must be \"begin\", \"chunk\", \"commit\" or \"abort\""};
  }
  if (phase == nullptr) {  // the whole set in this one command
    DeviceTable::Map set;
    if (auto error = DevicesOf(command, set)) return std::move(*error);
    return Commit(std::move(set), out);
  }
  bool chunk = *phase == "chunk";
  if (*phase != "begin" && !chunk && *phase != "commit" && *phase != "abort") {
    return Error{kCodeInvalidArgument, "phase: " + Quoted(*phase) +
                                           " is not \"begin\", \"chunk\", \"commit\" or \"abort\""};
  }
  std::initializer_list<std::string_view> chunk_keys = {"command", "correlationData", "phase",
                                                        "transaction", "devices"};
  std::initializer_list<std::string_view> other_keys = {"command", "correlationData", "phase",
                                                        "transaction"};
  if (auto key = UnknownKey(command, chunk ? chunk_keys : other_keys)) {
    return Error{kCodeInvalidArgument, "unknown field " + Quoted(*key)};
  }
  const std::string* transaction = StringMember(command, "transaction");
  if (transaction == nullptr || transaction->empty() ||
      transaction->size() > kMaxTransactionIdLength) {
    return Error{kCodeInvalidArgument, "transaction: must be a string of 1 to " +
                                           std::to_string(kMaxTransactionIdLength) +
                                           " characters"};
  }
  if (*phase == "begin") {
    json discarded = staged_ ? json(staged_->transaction) : json(nullptr);
    staged_.emplace();
    staged_->transaction = *transaction;
    return json{{"transaction", *transaction}, {"discarded", discarded}};
  }
  if (!staged_ || staged_->transaction != *transaction) {
    std::string message = "no replaceAll transaction " + Quoted(*transaction) + " in progress";
    if (staged_) message += " (the one in progress is " + Quoted(staged_->transaction) + ")";
    return Error{kCodeFailedPrecondition, message};
  }
  if (chunk) {
    auto devices = command.find("devices");
    std::optional<std::string> error =
        devices == command.end() ? std::optional<std::string>("devices: missing")
                                 : ParseDevices(*devices, "devices", staged_->devices);
    if (error) {
      // A set with a chunk missing must never be committed.
      staged_.reset();
      return Error{kCodeInvalidArgument,
                   *error + " (replaceAll transaction " + Quoted(*transaction) + " abandoned)"};
    }
    return json{{"transaction", *transaction}, {"staged", staged_->devices.size()}};
  }
  if (*phase == "abort") {
    size_t n = staged_->devices.size();
    staged_.reset();
    return json{{"transaction", *transaction}, {"discarded", n}};
  }
  DeviceTable::Map set = std::move(staged_->devices);
  staged_.reset();
  Result result = Commit(std::move(set), out);
  if (auto* data = std::get_if<json>(&result)) (*data)["transaction"] = *transaction;
  return result;
}

ControlProcessor::Result ControlProcessor::Commit(DeviceTable::Map set, ControlOutcome& out) {
  size_t added = 0, updated = 0, unchanged = 0, removed = 0, revoked = 0;
  for (const auto& [username, before] : table_.devices()) {
    auto it = set.find(username);
    if (it == set.end()) {
      ++removed;
      ++revoked;
      out.disconnect.push_back(username);
    } else if (it->second == before) {
      ++unchanged;
    } else {
      ++updated;
      if (MustDisconnect(before, it->second)) {
        ++revoked;
        out.disconnect.push_back(username);
      }
    }
  }
  added = set.size() - unchanged - updated;
  table_.Swap(set);
  out.changed = out.changed || added + updated + removed > 0;
  return json{{"devices", table_.size()}, {"added", added},         {"updated", updated},
              {"unchanged", unchanged},   {"removed", removed},     {"revoked", revoked}};
}

json ControlProcessor::Stats() const {
  size_t enabled = 0;
  for (const auto& [username, record] : table_.devices()) enabled += record.enabled;
  json stats = {{"devices", table_.size()},
                {"enabled", enabled},
                {"replaceAll", staged_ ? json{{"transaction", staged_->transaction},
                                              {"staged", staged_->devices.size()}}
                                       : json(nullptr)}};
  if (runtime_stats_) stats.update(runtime_stats_());
  return stats;
}

}  // namespace qilian::broker
