#include "platform/broker/broker_admin.h"

#include <mosquitto.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "nlohmann/json.hpp"
#include "platform/broker/control_protocol.h"

namespace qilian::platform {
namespace {

using nlohmann::json;
namespace proto = ::qilian::broker;

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

absl::Status FromBrokerError(const std::string& command, const std::string& code,
                             const std::string& error) {
  std::string message = "broker: " + command + ": " + error;
  if (code == proto::kCodeInvalidArgument) return absl::InvalidArgumentError(message);
  if (code == proto::kCodePermissionDenied) return absl::PermissionDeniedError(message);
  if (code == proto::kCodeFailedPrecondition) return absl::FailedPreconditionError(message);
  if (code == proto::kCodeResourceExhausted) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

json CredentialJson(const DeviceCredential& d) {
  return {{"username", d.username}, {"salt", d.salt_hex}, {"hash", d.hash_hex},
          {"enabled", d.enabled}};
}

}  // namespace

absl::StatusOr<BrokerAdminOptions> BrokerAdminOptionsFromEnvFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::map<std::string, std::string> env;
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    env[line.substr(0, eq)] = value;
  }
  for (const char* key : {"QILIAN_BROKER_HOST", "QILIAN_BROKER_PORT", "QILIAN_BROKER_ADMIN_USER",
                          "QILIAN_BROKER_ADMIN_PASSWORD_FILE"}) {
    if (env[key].empty()) return absl::InvalidArgumentError(path + ": no " + key);
  }
  BrokerAdminOptions options;
  options.host = env["QILIAN_BROKER_HOST"];
  const std::string& port = env["QILIAN_BROKER_PORT"];
  options.port = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || options.port > 65535) {
      return absl::InvalidArgumentError(path + ": QILIAN_BROKER_PORT is not a port: " + port);
    }
    options.port = options.port * 10 + (c - '0');
  }
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError(path + ": QILIAN_BROKER_PORT is not a port: " + port);
  }
  options.username = env["QILIAN_BROKER_ADMIN_USER"];
  const std::string& password_file = env["QILIAN_BROKER_ADMIN_PASSWORD_FILE"];
  std::ifstream pw(password_file);
  if (!pw || !std::getline(pw, options.password) || options.password.empty()) {
    return absl::NotFoundError("cannot read the admin's password from " + password_file);
  }
  return options;
}

class BrokerAdmin::Impl {
 public:
  Impl(BrokerAdminOptions options, ConnectedCallback on_connected, PresenceCallback on_presence)
      : options_(std::move(options)),
        on_connected_(std::move(on_connected)),
        on_presence_(std::move(on_presence)) {}

  ~Impl() {
    if (mosq_ != nullptr) {
      mosquitto_disconnect(mosq_);
      mosquitto_loop_stop(mosq_, /*force=*/false);
      mosquitto_destroy(mosq_);
    }
    {
      std::lock_guard lock(mu_);
      connected_ = false;
      FailPendingLocked(absl::UnavailableError("the broker admin connection was closed"));
      stopping_ = true;
    }
    cv_.notify_all();
    if (callback_thread_.joinable()) callback_thread_.join();
  }

  absl::Status Open() {
    if (options_.username.empty()) return absl::InvalidArgumentError("no admin username");
    if (options_.devices_per_command == 0) {
      return absl::InvalidArgumentError("devices_per_command must be at least 1");
    }
    if (options_.client_id.empty()) {
      options_.client_id = "qiliand-admin-" + std::to_string(::getpid());
    }
    InitLibraryOnce();
    mosq_ = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/true, this);
    if (mosq_ == nullptr) return absl::InternalError("mosquitto_new failed");
    mosquitto_username_pw_set(mosq_, options_.username.c_str(), options_.password.c_str());
    mosquitto_reconnect_delay_set(
        mosq_, static_cast<unsigned>(std::max<int64_t>(1, absl::ToInt64Seconds(options_.reconnect_delay_min))),
        static_cast<unsigned>(std::max<int64_t>(1, absl::ToInt64Seconds(options_.reconnect_delay_max))),
        /*exponential=*/true);
    mosquitto_connect_callback_set(mosq_, &Impl::OnConnect);
    mosquitto_disconnect_callback_set(mosq_, &Impl::OnDisconnect);
    mosquitto_subscribe_callback_set(mosq_, &Impl::OnSubscribe);
    mosquitto_message_callback_set(mosq_, &Impl::OnMessage);
    callback_thread_ = std::thread([this] { RunCallbacks(); });
    // The thread first: libmosquitto 2.0.11's thread never retries a
    // connection that failed in a connect_async made before it started
    // (seen with the broker down), but retries one made after.
    int rc = mosquitto_loop_start(mosq_);
    if (rc != MOSQ_ERR_SUCCESS) {
      return absl::InternalError(std::string("mosquitto_loop_start: ") + mosquitto_strerror(rc));
    }
    // A broker that is not up yet is not an error: the thread retries.
    rc = mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port,
                                 options_.keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) SetLastError(std::string("connect: ") + mosquitto_strerror(rc));
    return absl::OkStatus();
  }

  bool connected() const {
    std::lock_guard lock(mu_);
    return connected_;
  }

  bool WaitConnected(absl::Duration timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return connected_; });
  }

  // Sends one command and waits for its answer: the "data" of a success.
  absl::StatusOr<json> Request(json command) {
    std::string name = command["command"].get<std::string>();
    Pending pending;
    std::string tag;
    {
      std::lock_guard lock(mu_);
      if (!connected_) {
        return absl::UnavailableError("broker: not connected to " + options_.host + ":" +
                                      std::to_string(options_.port) +
                                      (last_error_.empty() ? "" : " (" + last_error_ + ")"));
      }
      tag = "qa-" + std::to_string(++next_tag_);
      pending_[tag] = &pending;
    }
    command["correlationData"] = tag;
    std::string payload = json{{"commands", json::array({std::move(command)})}}.dump();
    int rc = mosquitto_publish(mosq_, nullptr, proto::kControlTopic, static_cast<int>(payload.size()),
                               payload.data(), 1, false);
    std::unique_lock lock(mu_);
    if (rc != MOSQ_ERR_SUCCESS) {
      pending_.erase(tag);
      return absl::UnavailableError("broker: " + name + ": " + mosquitto_strerror(rc));
    }
    if (!cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.request_timeout),
                      [&] { return pending.done; })) {
      pending_.erase(tag);
      return absl::DeadlineExceededError("broker: " + name + ": no answer within " +
                                         absl::FormatDuration(options_.request_timeout));
    }
    if (!pending.status.ok()) return pending.status;
    return std::move(pending.data);
  }

  std::mutex& op_mu() { return op_mu_; }
  size_t devices_per_command() const { return options_.devices_per_command; }
  // Under op_mu().
  std::string NextTransaction() {
    return options_.client_id + "-" + std::to_string(++transactions_);
  }

 private:
  struct Pending {
    bool done = false;
    absl::Status status;
    json data;
  };

  static Impl& Self(void* obj) { return *static_cast<Impl*>(obj); }

  static void OnConnect(struct mosquitto* mosq, void* obj, int rc) {
    Impl& self = Self(obj);
    if (rc != 0) {
      self.SetLastError(std::string("the broker refused the admin: ") + mosquitto_connack_string(rc));
      return;
    }
    std::lock_guard lock(self.mu_);
    self.subscriptions_.clear();
    for (const char* topic : {proto::kResponseTopic, proto::kPresenceFilter}) {
      int mid = 0;
      int s = mosquitto_subscribe(mosq, &mid, topic, 1);
      if (s != MOSQ_ERR_SUCCESS) {
        self.last_error_ = std::string("subscribe ") + topic + ": " + mosquitto_strerror(s);
        return;
      }
      self.subscriptions_.insert(mid);
    }
  }

  static void OnSubscribe(struct mosquitto*, void* obj, int mid, int qos_count,
                          const int* granted_qos) {
    Impl& self = Self(obj);
    std::lock_guard lock(self.mu_);
    if (self.subscriptions_.erase(mid) == 0) return;
    for (int i = 0; i < qos_count; ++i) {
      if (granted_qos[i] > 2) {
        self.last_error_ = "the broker refused the admin's subscription (its dynamic-security "
                           "role lacks the ACLs scripts/broker adds)";
        return;
      }
    }
    if (!self.subscriptions_.empty()) return;
    self.connected_ = true;
    self.last_error_.clear();
    self.cv_.notify_all();
    if (self.on_connected_) self.events_.push_back(self.on_connected_);
  }

  static void OnDisconnect(struct mosquitto*, void* obj, int rc) {
    Impl& self = Self(obj);
    std::lock_guard lock(self.mu_);
    self.connected_ = false;
    self.subscriptions_.clear();
    // A refusal (wrong password) is followed by a disconnect: keep its reason.
    if (rc != 0 && self.last_error_.empty()) self.last_error_ = "connection lost";
    self.FailPendingLocked(absl::UnavailableError("broker: the connection was lost before the "
                                                  "answer came"));
    self.cv_.notify_all();
  }

  static void OnMessage(struct mosquitto*, void* obj, const struct mosquitto_message* m) {
    Impl& self = Self(obj);
    std::string_view topic(m->topic);
    json body = json::parse(static_cast<const char*>(m->payload),
                            static_cast<const char*>(m->payload) + m->payloadlen, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return;
    if (topic == proto::kResponseTopic) {
      self.Answer(body);
    } else if (topic == proto::kPresenceConnectedTopic ||
               topic == proto::kPresenceDisconnectedTopic) {
      self.Presence(topic == proto::kPresenceConnectedTopic, body);
    }
  }

  void Answer(const json& body) {
    auto responses = body.find("responses");
    if (responses == body.end() || !responses->is_array()) return;
    std::lock_guard lock(mu_);
    for (const json& r : *responses) {
      if (!r.is_object() || !r.contains("correlationData") || !r["correlationData"].is_string()) {
        continue;
      }
      auto it = pending_.find(r["correlationData"].get<std::string>());
      if (it == pending_.end()) continue;  // timed out already
      Pending& p = *it->second;
      if (r.contains("error")) {
        p.status = FromBrokerError(r.value("command", ""), r.value("code", ""),
                                   r.value("error", ""));
      } else {
        p.data = r.value("data", json::object());
      }
      p.done = true;
      pending_.erase(it);
    }
    cv_.notify_all();
  }

  void Presence(bool connected, const json& body) {
    if (!on_presence_) return;
    auto username = body.find("username");
    auto time = body.find("time");
    auto connections = body.find("connections");
    if (username == body.end() || !username->is_string() || time == body.end() ||
        !time->is_number_integer() || connections == body.end() ||
        !connections->is_number_integer()) {
      return;
    }
    bool online = connected || connections->get<int64_t>() > 0;
    std::lock_guard lock(mu_);
    events_.push_back([cb = on_presence_, u = username->get<std::string>(), online,
                       t = time->get<int64_t>()] { cb(u, online, t); });
    cv_.notify_all();
  }

  void RunCallbacks() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !events_.empty(); });
      if (stopping_) return;
      std::function<void()> event = std::move(events_.front());
      events_.pop_front();
      lock.unlock();
      event();
      lock.lock();
    }
  }

  void SetLastError(std::string error) {
    std::lock_guard lock(mu_);
    last_error_ = std::move(error);
  }

  void FailPendingLocked(const absl::Status& status) {
    for (auto& [tag, p] : pending_) {
      p->status = status;
      p->done = true;
    }
    pending_.clear();
  }

  BrokerAdminOptions options_;
  const ConnectedCallback on_connected_;
  const PresenceCallback on_presence_;
  struct mosquitto* mosq_ = nullptr;
  std::mutex op_mu_;  // one request (or ReplaceAll's sequence) at a time
  uint64_t transactions_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool connected_ = false;
  bool stopping_ = false;
  std::string last_error_;
  std::set<int> subscriptions_;  // subscribe mids not yet acknowledged
  uint64_t next_tag_ = 0;
  std::map<std::string, Pending*> pending_;
  std::deque<std::function<void()>> events_;
  std::thread callback_thread_;
};

absl::StatusOr<std::unique_ptr<BrokerAdmin>> BrokerAdmin::Start(BrokerAdminOptions options,
                                                                ConnectedCallback on_connected,
                                                                PresenceCallback on_presence) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(on_connected),
                                     std::move(on_presence));
  absl::Status status = impl->Open();
  if (!status.ok()) return status;
  return std::unique_ptr<BrokerAdmin>(new BrokerAdmin(std::move(impl)));
}

BrokerAdmin::BrokerAdmin(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BrokerAdmin::~BrokerAdmin() = default;

bool BrokerAdmin::connected() const { return impl_->connected(); }
bool BrokerAdmin::WaitConnected(absl::Duration timeout) const {
  return impl_->WaitConnected(timeout);
}

namespace {

// Says which chunk a refusal came from, since the broker's names
// ("devices[3]") count within the command.
absl::Status InChunk(absl::Status status, size_t first, size_t total, size_t per_command) {
  if (status.ok() || total <= per_command) return status;
  return absl::Status(status.code(), std::string(status.message()) +
                                         " (in the command of devices " + std::to_string(first) +
                                         ".." + std::to_string(std::min(total, first + per_command) - 1) + ")");
}

}  // namespace

absl::Status BrokerAdmin::Upsert(const std::vector<DeviceCredential>& devices) {
  std::lock_guard op(impl_->op_mu());
  const size_t n = impl_->devices_per_command();
  for (size_t first = 0; first < devices.size(); first += n) {
    json list = json::array();
    for (size_t i = first; i < std::min(devices.size(), first + n); ++i) {
      list.push_back(CredentialJson(devices[i]));
    }
    auto r = impl_->Request({{"command", proto::kUpsertDevices}, {"devices", std::move(list)}});
    if (!r.ok()) return InChunk(r.status(), first, devices.size(), n);
  }
  return absl::OkStatus();
}

absl::Status BrokerAdmin::Remove(const std::vector<std::string>& usernames) {
  std::lock_guard op(impl_->op_mu());
  const size_t n = impl_->devices_per_command();
  for (size_t first = 0; first < usernames.size(); first += n) {
    json list = json::array();
    for (size_t i = first; i < std::min(usernames.size(), first + n); ++i) {
      list.push_back(usernames[i]);
    }
    auto r = impl_->Request({{"command", proto::kRemoveDevices}, {"usernames", std::move(list)}});
    if (!r.ok()) return InChunk(r.status(), first, usernames.size(), n);
  }
  return absl::OkStatus();
}

absl::Status BrokerAdmin::ReplaceAll(const std::vector<DeviceCredential>& devices) {
  std::lock_guard op(impl_->op_mu());
  const std::string tx = impl_->NextTransaction();
  auto phase = [&](const char* p) {
    return json{{"command", proto::kReplaceAll}, {"phase", p}, {"transaction", tx}};
  };
  auto r = impl_->Request(phase("begin"));
  if (!r.ok()) return r.status();
  const size_t n = impl_->devices_per_command();
  for (size_t first = 0; first < devices.size(); first += n) {
    json chunk = phase("chunk");
    json list = json::array();
    for (size_t i = first; i < std::min(devices.size(), first + n); ++i) {
      list.push_back(CredentialJson(devices[i]));
    }
    chunk["devices"] = std::move(list);
    r = impl_->Request(std::move(chunk));
    if (!r.ok()) {
      // The broker dropped the transaction on a refused chunk; after a lost
      // connection or a time-out it may still hold it: abort, best effort.
      (void)impl_->Request(phase("abort"));
      return InChunk(r.status(), first, devices.size(), n);
    }
  }
  r = impl_->Request(phase("commit"));
  return r.status();
}

absl::StatusOr<BrokerDeviceStats> BrokerAdmin::GetStats() {
  std::lock_guard op(impl_->op_mu());
  auto r = impl_->Request({{"command", proto::kGetStats}});
  if (!r.ok()) return r.status();
  BrokerDeviceStats stats;
  stats.devices = r->value("devices", int64_t{0});
  stats.enabled = r->value("enabled", int64_t{0});
  stats.connections = r->value("connections", int64_t{0});
  stats.connected_devices = r->value("connectedDevices", int64_t{0});
  stats.json = r->dump();
  return stats;
}

}  // namespace qilian::platform
