// qilian_broker_plugin.so: Qilian's mosquitto 2.0 plugin (plugin API 5) for
// device credentials, topic rights and presence (docs/broker.md). Loaded
// after the dynamic-security plugin, which keeps the admin client and its
// roles: usernames that are not "{productKey}/{deviceId}" are deferred to
// it. Only glue lives here: the rules are device_table.h, the commands
// control.h, the snapshot state_file.h. mosquitto calls every callback
// from its one thread; only the snapshot writer runs on a thread of its own.
//
// Options (plugin_opt_* lines after the plugin line):
//   admin_username  the only client that may use the control topic (required)
//   state_file      where the table is kept across restarts (optional)

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "nlohmann/json.hpp"
#include "platform/broker/control.h"
#include "platform/broker/control_protocol.h"
#include "platform/broker/device_table.h"
#include "platform/broker/state_file.h"

#define QILIAN_EXPORT extern "C" __attribute__((visibility("default")))

namespace qilian::broker {
namespace {

constexpr auto kSaveInterval = std::chrono::seconds(1);

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes snapshots on its own thread so that the SHA-256, the write and
// the fsync of a 100,000-device file never stall mosquitto's loop. One
// snapshot at a time; results are collected by mosquitto's thread.
class StateWriter {
 public:
  explicit StateWriter(std::string path) : path_(std::move(path)), thread_([this] { Run(); }) {}

  ~StateWriter() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  bool Busy() {
    std::lock_guard lock(mu_);
    return pending_ || writing_;
  }

  void Submit(std::string body) {
    {
      std::lock_guard lock(mu_);
      body_ = std::move(body);
      pending_ = true;
    }
    cv_.notify_all();
  }

  // Waits until no write is pending or running.
  void Drain() {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [this] { return !pending_ && !writing_; });
  }

  // Failures since the last call (texts), and the total counts.
  struct Report {
    std::string last_error;  // empty when the last write succeeded
    uint64_t writes = 0;
    uint64_t failures = 0;
    bool failed_since_last = false;
  };
  Report TakeReport() {
    std::lock_guard lock(mu_);
    Report r = report_;
    report_.failed_since_last = false;
    return r;
  }
  Report PeekReport() {
    std::lock_guard lock(mu_);
    return report_;
  }

  // Writes on the calling thread (at cleanup, after Drain).
  bool WriteNow(std::string body, std::string& error) {
    SealState(body);
    bool ok = WriteFileAtomically(path_, body, error);
    Record(ok, error);
    return ok;
  }

 private:
  void Record(bool ok, const std::string& error) {
    std::lock_guard lock(mu_);
    if (ok) {
      ++report_.writes;
      report_.last_error.clear();
    } else {
      ++report_.failures;
      report_.last_error = error;
      report_.failed_since_last = true;
    }
  }

  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || pending_; });
      if (!pending_) return;  // stop_ with nothing to write
      std::string body = std::move(body_);
      pending_ = false;
      writing_ = true;
      lock.unlock();
      SealState(body);
      std::string error;
      bool ok = WriteFileAtomically(path_, body, error);
      Record(ok, error);
      lock.lock();
      writing_ = false;
      idle_cv_.notify_all();
    }
  }

  const std::string path_;
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::string body_;
  bool pending_ = false, writing_ = false, stop_ = false;
  Report report_;
  std::thread thread_;  // last: starts after the members it uses
};

struct Connection {
  std::string username;
  std::string client_id;
};

class Plugin {
 public:
  Plugin(mosquitto_plugin_id_t* id, std::string admin, std::string state_file)
      : id_(id),
        admin_(std::move(admin)),
        state_file_(std::move(state_file)),
        control_(table_, [this] { return RuntimeStats(); }) {
    if (!state_file_.empty()) writer_ = std::make_unique<StateWriter>(state_file_);
  }

  void Load() {
    if (state_file_.empty()) {
      mosquitto_log_printf(MOSQ_LOG_WARNING,
                           "qilian-devices: no state_file option: devices will not survive a "
                           "restart");
      return;
    }
    DeviceTable::Map devices;
    StateLoad load = LoadStateFile(state_file_, devices);
    switch (load.kind) {
      case StateLoad::kLoaded:
        table_.Swap(devices);
        mosquitto_log_printf(MOSQ_LOG_INFO, "qilian-devices: loaded %zu devices from %s",
                             table_.size(), state_file_.c_str());
        break;
      case StateLoad::kMissing:
        mosquitto_log_printf(MOSQ_LOG_INFO, "qilian-devices: %s does not exist: no devices yet",
                             state_file_.c_str());
        break;
      case StateLoad::kCorrupt:
      case StateLoad::kUnreadable:
        // qiliand re-sends every device with replaceAll when it connects.
        mosquitto_log_printf(MOSQ_LOG_ERR,
                             "qilian-devices: ignoring %s (%s): %s; starting with no devices "
                             "until the admin sends them",
                             state_file_.c_str(),
                             load.kind == StateLoad::kCorrupt ? "corrupt" : "unreadable",
                             load.error.c_str());
        break;
    }
  }

  int Register() {
    struct {
      int event;
      MOSQ_FUNC_generic_callback cb;
      const void* data;
    } const callbacks[] = {
        {MOSQ_EVT_BASIC_AUTH, &Plugin::OnBasicAuth, nullptr},
        {MOSQ_EVT_ACL_CHECK, &Plugin::OnAclCheck, nullptr},
        {MOSQ_EVT_CONTROL, &Plugin::OnControl, kControlTopic},
        {MOSQ_EVT_DISCONNECT, &Plugin::OnDisconnect, nullptr},
        {MOSQ_EVT_TICK, &Plugin::OnTick, nullptr},
    };
    for (const auto& c : callbacks) {
      int rc = mosquitto_callback_register(id_, c.event, c.cb, c.data, this);
      if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_log_printf(MOSQ_LOG_ERR,
                             "qilian-devices: cannot register the callback for event %d (%d)",
                             c.event, rc);
        return rc;
      }
      registered_ = true;
    }
    return MOSQ_ERR_SUCCESS;
  }

  void Cleanup() {
    if (registered_) {
      mosquitto_callback_unregister(id_, MOSQ_EVT_BASIC_AUTH, &Plugin::OnBasicAuth, nullptr);
      mosquitto_callback_unregister(id_, MOSQ_EVT_ACL_CHECK, &Plugin::OnAclCheck, nullptr);
      mosquitto_callback_unregister(id_, MOSQ_EVT_CONTROL, &Plugin::OnControl, kControlTopic);
      mosquitto_callback_unregister(id_, MOSQ_EVT_DISCONNECT, &Plugin::OnDisconnect, nullptr);
      mosquitto_callback_unregister(id_, MOSQ_EVT_TICK, &Plugin::OnTick, nullptr);
    }
    if (writer_) {
      writer_->Drain();
      if (dirty_) {
        std::string error;
        if (writer_->WriteNow(EncodeStateBody(table_.devices()), error)) {
          dirty_ = false;
        } else {
          mosquitto_log_printf(MOSQ_LOG_ERR, "qilian-devices: saving %s failed: %s",
                               state_file_.c_str(), error.c_str());
        }
      }
    }
  }

 private:
  static Plugin& Self(void* userdata) { return *static_cast<Plugin*>(userdata); }

  static int OnBasicAuth(int, void* event_data, void* userdata) {
    auto* ed = static_cast<mosquitto_evt_basic_auth*>(event_data);
    Plugin& self = Self(userdata);
    if (ed->username == nullptr || !IsDeviceUsername(ed->username)) return MOSQ_ERR_PLUGIN_DEFER;
    if (ed->password == nullptr ||
        self.table_.Authenticate(ed->username, ed->password) != AuthResult::kAccepted) {
      ++self.auth_refused_;
      return MOSQ_ERR_AUTH;
    }
    ++self.auth_accepted_;
    const char* client_id = mosquitto_client_id(ed->client);
    Connection& c = self.connections_[ed->client];
    c.username = ed->username;
    c.client_id = client_id ? client_id : "";
    auto& mine = self.by_username_[c.username];
    mine.push_back(ed->client);
    self.PublishPresence(kPresenceConnectedTopic, c, static_cast<int>(mine.size()));
    return MOSQ_ERR_SUCCESS;
  }

  static int OnDisconnect(int, void* event_data, void* userdata) {
    auto* ed = static_cast<mosquitto_evt_disconnect*>(event_data);
    Plugin& self = Self(userdata);
    // Only connections this plugin accepted: a refused CONNECT also ends
    // in a disconnect, with the username it tried.
    auto it = self.connections_.find(ed->client);
    if (it == self.connections_.end()) return MOSQ_ERR_SUCCESS;
    int n = 0;
    auto mine = self.by_username_.find(it->second.username);
    if (mine != self.by_username_.end()) {
      std::erase(mine->second, ed->client);
      n = static_cast<int>(mine->second.size());
      if (n == 0) self.by_username_.erase(mine);
    }
    self.PublishPresence(kPresenceDisconnectedTopic, it->second, n);
    self.connections_.erase(it);
    return MOSQ_ERR_SUCCESS;
  }

  static int OnAclCheck(int, void* event_data, void* userdata) {
    auto* ed = static_cast<mosquitto_evt_acl_check*>(event_data);
    Plugin& self = Self(userdata);
    const char* username = mosquitto_client_username(ed->client);
    if (username == nullptr || !IsDeviceUsername(username)) return MOSQ_ERR_PLUGIN_DEFER;
    const DeviceRecord* d = self.table_.Find(username);
    bool allowed = false;
    if (d != nullptr && d->enabled && ed->topic != nullptr) {
      switch (ed->access) {
        case MOSQ_ACL_SUBSCRIBE:
        case MOSQ_ACL_UNSUBSCRIBE:
          allowed = DeviceMayUseFilter(username, ed->topic);
          break;
        case MOSQ_ACL_READ:
        case MOSQ_ACL_WRITE:
          allowed = DeviceMayUseTopic(username, ed->topic);
          break;
        default:
          break;
      }
    }
    if (!allowed) ++self.acl_denied_;
    return allowed ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
  }

  static int OnControl(int, void* event_data, void* userdata) {
    auto* ed = static_cast<mosquitto_evt_control*>(event_data);
    Plugin& self = Self(userdata);
    const char* username = mosquitto_client_username(ed->client);
    const char* client_id = mosquitto_client_id(ed->client);
    bool authorised = username != nullptr && self.admin_ == username;
    if (!authorised) {
      mosquitto_log_printf(MOSQ_LOG_WARNING,
                           "qilian-devices: refused a control message from client %s (user %s): "
                           "only %s may send commands",
                           client_id ? client_id : "?", username ? username : "(none)",
                           self.admin_.c_str());
    }
    std::string_view payload(static_cast<const char*>(ed->payload), ed->payloadlen);
    ControlOutcome out = self.control_.Handle(payload, authorised);
    for (const std::string& u : out.disconnect) self.Kick(u);
    if (out.changed) self.dirty_ = true;
    if (client_id != nullptr) {
      mosquitto_broker_publish_copy(client_id, kResponseTopic, static_cast<int>(out.response.size()),
                                    out.response.data(), 0, false, nullptr);
    }
    return MOSQ_ERR_SUCCESS;
  }

  static int OnTick(int, void*, void* userdata) {
    Plugin& self = Self(userdata);
    if (!self.writer_) return MOSQ_ERR_SUCCESS;
    StateWriter::Report report = self.writer_->TakeReport();
    if (report.failed_since_last) {
      self.dirty_ = true;  // try again at the next interval
      if (report.last_error != self.logged_error_) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "qilian-devices: saving %s failed: %s",
                             self.state_file_.c_str(), report.last_error.c_str());
        self.logged_error_ = report.last_error;
      }
    } else if (report.last_error.empty() && !self.logged_error_.empty()) {
      mosquitto_log_printf(MOSQ_LOG_NOTICE, "qilian-devices: saving %s works again",
                           self.state_file_.c_str());
      self.logged_error_.clear();
    }
    auto now = std::chrono::steady_clock::now();
    if (self.dirty_ && now - self.last_save_ >= kSaveInterval && !self.writer_->Busy()) {
      self.writer_->Submit(EncodeStateBody(self.table_.devices()));
      self.dirty_ = false;
      self.last_save_ = now;
    }
    return MOSQ_ERR_SUCCESS;
  }

  // Closes `username`'s connections, if it has any. By client id: a hash
  // lookup in mosquitto, where kicking by username walks every connection
  // (re-keying thousands of connected devices would stall the broker).
  void Kick(const std::string& username) {
    auto mine = by_username_.find(username);
    if (mine == by_username_.end()) return;
    std::vector<std::string> ids;  // copied: each kick runs OnDisconnect
    bool without_id = false;
    for (const mosquitto* client : mine->second) {
      const std::string& id = connections_[client].client_id;
      if (id.empty()) without_id = true;
      else ids.push_back(id);
    }
    for (const std::string& id : ids) mosquitto_kick_client_by_clientid(id.c_str(), false);
    if (without_id) mosquitto_kick_client_by_username(username.c_str(), false);
  }

  void PublishPresence(const char* topic, const Connection& c, int connections) {
    std::string payload = nlohmann::json{{"username", c.username},
                                         {"clientId", c.client_id},
                                         {"time", NowMs()},
                                         {"connections", connections}}
                              .dump();
    mosquitto_broker_publish_copy(nullptr, topic, static_cast<int>(payload.size()), payload.data(),
                                  1, false, nullptr);
  }

  nlohmann::json RuntimeStats() {
    nlohmann::json stats = {{"connections", connections_.size()},
                            {"connectedDevices", by_username_.size()},
                            {"authAccepted", auth_accepted_},
                            {"authRefused", auth_refused_},
                            {"aclDenied", acl_denied_},
                            {"stateFile", state_file_}};
    if (writer_) {
      StateWriter::Report r = writer_->PeekReport();  // the tick logs and retries failures
      stats["stateWrites"] = r.writes;
      stats["stateWriteFailures"] = r.failures;
      stats["stateLastError"] = r.last_error;
      stats["stateUnsaved"] = dirty_ || r.failed_since_last || writer_->Busy();
    }
    return stats;
  }

  mosquitto_plugin_id_t* id_;
  const std::string admin_;
  const std::string state_file_;
  DeviceTable table_;
  ControlProcessor control_;
  std::unique_ptr<StateWriter> writer_;
  bool registered_ = false;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_save_{};
  std::string logged_error_;
  // Connections this plugin accepted, by mosquitto's client, and each
  // device's (a device may connect twice, with two client ids).
  std::unordered_map<const mosquitto*, Connection> connections_;
  std::unordered_map<std::string, std::vector<const mosquitto*>> by_username_;
  uint64_t auth_accepted_ = 0, auth_refused_ = 0, acl_denied_ = 0;
};

}  // namespace
}  // namespace qilian::broker

QILIAN_EXPORT int mosquitto_plugin_version(int supported_version_count,
                                           const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5) return 5;
  }
  return -1;
}

QILIAN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                        struct mosquitto_opt* options, int option_count) {
  std::string admin, state_file;
  for (int i = 0; i < option_count; ++i) {
    if (std::strcmp(options[i].key, "admin_username") == 0) admin = options[i].value;
    if (std::strcmp(options[i].key, "state_file") == 0) state_file = options[i].value;
  }
  if (admin.empty()) {
    mosquitto_log_printf(MOSQ_LOG_ERR,
                         "qilian-devices: plugin_opt_admin_username is required (the client "
                         "allowed to manage devices)");
    return MOSQ_ERR_INVAL;
  }
  auto plugin = std::make_unique<qilian::broker::Plugin>(identifier, admin, state_file);
  plugin->Load();
  int rc = plugin->Register();
  if (rc != MOSQ_ERR_SUCCESS) {
    plugin->Cleanup();
    return rc;
  }
  mosquitto_log_printf(MOSQ_LOG_INFO, "qilian-devices: ready (admin %s, control topic %s)",
                       admin.c_str(), qilian::broker::kControlTopic);
  *userdata = plugin.release();
  return MOSQ_ERR_SUCCESS;
}

QILIAN_EXPORT int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  auto* plugin = static_cast<qilian::broker::Plugin*>(userdata);
  if (plugin != nullptr) {
    plugin->Cleanup();
    delete plugin;
  }
  return MOSQ_ERR_SUCCESS;
}
