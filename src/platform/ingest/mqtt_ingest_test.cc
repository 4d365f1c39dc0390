// MqttIngest against a real mosquitto: scripts/broker on a temporary
// directory with Qilian's plugin, devices registered through BrokerAdmin,
// devices speaking libmosquitto. Checks that the shared subscription works
// under the admin's dynamic-security ACLs as scripts/broker sets them
// (mosquitto 2.0.11; publishing to devices needs its "/+/+/#"), that QoS 1
// messages are all counted (received = accepted + refused), that refusals
// and requests reach the device, and that qiliand never receives its own
// publishes. Every wait ends on an event and is bounded.
#include "platform/ingest/mqtt_ingest.h"

#include <fcntl.h>
#include <mosquitto.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "platform/broker/broker_admin.h"
#include "platform/ingest/batch_payload.h"
#include "platform/ingest/ingestor.h"
#include "platform/shadow/shadow_store.h"
#include "platform/shadow/shadow_testing.h"

extern char** environ;

namespace qilian::platform {
namespace {

using nlohmann::json;
constexpr absl::Duration kWait = absl::Seconds(20);

// Polls `done` until it holds or kWait passes.
bool WaitFor(const std::function<bool()>& done) {
  absl::Time deadline = absl::Now() + kWait;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// scripts/broker on a fresh directory and a free port, stopped with SIGTERM.
class ScriptBroker {
 public:
  ScriptBroker() {
    char dir[] = "/tmp/qilian-mqtt-ingest-test-XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    dir_ = dir;
  }
  ~ScriptBroker() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  bool Start() {
    const std::string script = std::string(QILIAN_SOURCE_DIR) + "/scripts/broker";
    const std::string out = dir_ + "/script.out";
    setenv("QILIAN_BROKER_PLUGIN", QILIAN_BROKER_PLUGIN_PATH, 1);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    char* argv[] = {const_cast<char*>(script.c_str()), const_cast<char*>(dir_.c_str()), nullptr};
    int rc = posix_spawn(&pid_, script.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    // Ready once broker.env exists and the admin can connect.
    return WaitFor([&] {
      auto o = BrokerAdminOptionsFromEnvFile(dir_ + "/broker.env");
      if (!o.ok()) return false;
      options_ = *o;
      mosquitto* m = mosquitto_new(nullptr, true, nullptr);
      mosquitto_username_pw_set(m, o->username.c_str(), o->password.c_str());
      bool up = mosquitto_connect(m, o->host.c_str(), o->port, 10) == MOSQ_ERR_SUCCESS;
      mosquitto_destroy(m);
      return up;
    });
  }

  const BrokerAdminOptions& options() const { return options_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  BrokerAdminOptions options_;
};

std::string Hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kDigits[p[i] >> 4]);
    s.push_back(kDigits[p[i] & 15]);
  }
  return s;
}

// The broker plugin's record of a device with this secret.
DeviceCredential CredentialFor(const std::string& username, const std::string& secret) {
  unsigned char salt[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  std::string salted(reinterpret_cast<const char*>(salt), sizeof salt);
  salted += secret;
  unsigned char digest[32];
  unsigned int length = 0;
  EVP_Digest(salted.data(), salted.size(), digest, &length, EVP_sha256(), nullptr);
  return {username, Hex(salt, sizeof salt), Hex(digest, length), true};
}

// A device on libmosquitto: publishes at QoS 1 and collects what it receives
// under its own root.
class DeviceClient {
 public:
  struct Message {
    std::string topic;
    std::string payload;
  };

  // Subscribes to what the platform sends: `filters` under the device's root.
  DeviceClient(int port, const std::string& username, const std::string& secret,
               const std::vector<std::string>& filters) {
    mosq_ = mosquitto_new(username.c_str(), true, this);
    mosquitto_username_pw_set(mosq_, username.c_str(), secret.c_str());
    mosquitto_max_inflight_messages_set(mosq_, 0);
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
      static_cast<DeviceClient*>(self)->Signal([](DeviceClient* d) { d->subscribed_ = true; });
    });
    mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int) {
      static_cast<DeviceClient*>(self)->Signal([](DeviceClient* d) { ++d->acknowledged_; });
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      std::string payload(static_cast<const char*>(m->payload), m->payloadlen);
      static_cast<DeviceClient*>(self)->Signal([&](DeviceClient* d) {
        d->inbox_.push_back({m->topic, payload});
      });
    });
    connected_ = mosquitto_connect(mosq_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS &&
                 mosquitto_loop_start(mosq_) == MOSQ_ERR_SUCCESS;
    std::vector<std::string> full;
    std::vector<char*> subs;
    for (const std::string& f : filters) full.push_back("/" + username + "/" + f);
    for (std::string& f : full) subs.push_back(f.data());
    connected_ = connected_ &&
                 mosquitto_subscribe_multiple(mosq_, nullptr, static_cast<int>(subs.size()),
                                              subs.data(), 1, 0, nullptr) == 0 &&
                 Wait([](DeviceClient* d) { return d->subscribed_; });
  }
  ~DeviceClient() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  bool connected() const { return connected_; }

  void Publish(const std::string& topic, std::string_view payload) {
    ++published_;
    ASSERT_EQ(mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                payload.data(), 1, false),
              MOSQ_ERR_SUCCESS);
  }
  // Waits until the broker acknowledged every publish (PUBACK).
  bool AllAcknowledged() {
    return Wait([](DeviceClient* d) { return d->acknowledged_ == d->published_; });
  }
  std::optional<Message> Next() {
    std::optional<Message> m;
    Wait([&](DeviceClient* d) {
      if (d->inbox_.empty()) return false;
      m = d->inbox_.front();
      d->inbox_.pop_front();
      return true;
    });
    return m;
  }
  size_t inbox_size() {
    std::lock_guard lock(mu_);
    return inbox_.size();
  }

 private:
  template <typename F>
  void Signal(F f) {
    std::lock_guard lock(mu_);
    f(this);
    cv_.notify_all();
  }
  template <typename F>
  bool Wait(F done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(kWait), [&] { return done(this); });
  }

  mosquitto* mosq_;
  bool connected_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool subscribed_ = false;
  int published_ = 0;
  int acknowledged_ = 0;
  std::deque<Message> inbox_;
};

class MqttIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mosquitto_lib_init();
    ASSERT_TRUE(broker_.Start()) << "scripts/broker did not start";
    pump_ = directory_.Add(7, "pump-1");
    admin_ = *BrokerAdmin::Start(broker_.options(), nullptr,
                                 [this](std::string_view user, bool online, int64_t ms) {
                                   shadow_->SetPresence(user, online, absl::FromUnixMillis(ms));
                                 });
    ASSERT_TRUE(admin_->WaitConnected(kWait));
    ASSERT_TRUE(admin_->Upsert({CredentialFor("PK000000001/pump-1", "s3cret")}).ok());

    MqttIngestOptions o;
    o.host = broker_.options().host;
    o.port = broker_.options().port;
    o.username = broker_.options().username;
    o.password = broker_.options().password;
    o.connections = 2;
    mqtt_ = std::make_unique<MqttIngest>(o);
    shadow_ = std::make_unique<ShadowStore>(directory_, *mqtt_, nullptr, Clock::Real());
    IngestOptions io;
    io.device_messages_per_second = 0;  // unlimited: the test sends in bursts
    ingestor_ = std::make_unique<Ingestor>(directory_, *shadow_, *mqtt_, sink_, Clock::Real(),
                                           metrics_, io);
    ASSERT_TRUE(mqtt_->Start(ingestor_.get(), shadow_.get()).ok());
    ASSERT_TRUE(mqtt_->WaitSubscribed(kWait)) << "shared subscriptions not granted";
  }
  void TearDown() override {
    admin_.reset();
    if (mqtt_) mqtt_->Stop();
  }

  uint64_t Count(std::string_view name, std::string_view label = {}, std::string_view value = {}) {
    MetricLabels labels;
    if (!label.empty()) labels.push_back({std::string(label), std::string(value)});
    return metrics_.GetCounter(name, "", labels).value();
  }

  testing::FakeDirectory directory_;
  ScriptBroker broker_;
  NullPointSink sink_;
  MetricsRegistry metrics_;
  std::shared_ptr<const DeviceRef> pump_;
  std::unique_ptr<MqttIngest> mqtt_;
  std::unique_ptr<ShadowStore> shadow_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<BrokerAdmin> admin_;
};

TEST_F(MqttIngestTest, SharedSubscriptionsTakeEveryMessageOnce) {
  DeviceClient device(broker_.options().port, "PK000000001/pump-1", "s3cret",
                      {"properties/report/reply", "properties/report/batch/reply"});
  ASSERT_TRUE(device.connected());
  const std::string root = "/PK000000001/pump-1/";
  // Times in order, the batch's before the reports', so that the shadow's
  // newest value does not depend on which connection took what.
  const int64_t base = absl::ToUnixMillis(absl::Now()) - 1000;
  for (int i = 0; i < 40; ++i) {
    device.Publish(root + "properties/report",
                   json{{"timestamp", base + i}, {"properties", {{"flow", 10.0 + i}}}}.dump());
  }
  device.Publish(root + "properties/report",
                 R"({"messageId": "bad-1", "properties": {"flow": 900}})");
  Batch batch;
  batch.base_time_ms = base - 1000;
  batch.properties = {"flow"};
  for (int i = 0; i < 100; ++i) batch.samples.push_back({0, batch.base_time_ms - 100 + i, 1.0 * i});
  device.Publish(root + "properties/report/batch", *EncodeBatch(batch));
  ASSERT_TRUE(device.AllAcknowledged());

  ASSERT_TRUE(WaitFor([&] { return Count("qilian_mqtt_received_total") == 42; }))
      << Count("qilian_mqtt_received_total");
  EXPECT_EQ(Count("qilian_mqtt_messages_total", "kind", "report"), 40u);
  EXPECT_EQ(Count("qilian_mqtt_messages_total", "kind", "batch"), 1u);
  EXPECT_EQ(Count("qilian_mqtt_refused_total", "reason", "out_of_range"), 1u);
  EXPECT_EQ(Count("qilian_mqtt_values_total"), 140u);
  // Both connections of the shared subscription took a share, and no
  // message came twice.
  std::vector<uint64_t> per = mqtt_->received_per_connection();
  ASSERT_EQ(per.size(), 2u);
  EXPECT_GT(per[0], 0u);
  EXPECT_GT(per[1], 0u);
  EXPECT_EQ(per[0] + per[1], 42u);

  // The refusal reached the device, on its own topic.
  std::optional<DeviceClient::Message> reply = device.Next();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->topic, root + "properties/report/reply");
  EXPECT_EQ(json::parse(reply->payload),
            json::parse(R"({"messageId": "bad-1", "success": false, "code": "out_of_range",
                            "message": "flow: 900 is above the maximum 600.0"})"));
  EXPECT_EQ(shadow_->Get(*pump_).reported["flow"]["value"], 49.0);  // the newest report
  // The reply was published by qiliand and not received back.
  EXPECT_EQ(Count("qilian_mqtt_received_total"), 42u);
  EXPECT_TRUE(shadow_->Get(*pump_).online);  // presence from the broker plugin
}

TEST_F(MqttIngestTest, RequestsReachTheDeviceAndItsRepliesComplete) {
  DeviceClient device(broker_.options().port, "PK000000001/pump-1", "s3cret", {"properties/write"});
  ASSERT_TRUE(device.connected());
  std::mutex mu;
  std::optional<absl::StatusOr<CallReply>> result;
  ASSERT_TRUE(shadow_
                  ->WriteProperties(*pump_, json{{"speed", 20}}, absl::Seconds(20),
                                    [&](absl::StatusOr<CallReply> r) {
                                      std::lock_guard lock(mu);
                                      result = std::move(r);
                                    })
                  .ok());
  std::optional<DeviceClient::Message> request = device.Next();
  ASSERT_TRUE(request.has_value()) << "the write did not reach the device (admin ACL?)";
  EXPECT_EQ(request->topic, "/PK000000001/pump-1/properties/write");
  json body = json::parse(request->payload);
  EXPECT_EQ(body["properties"], json::parse(R"({"speed": 20})"));
  device.Publish("/PK000000001/pump-1/properties/write/reply",
                 json{{"messageId", body["messageId"]}, {"success", true}}.dump());
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return result.has_value();
  }));
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_TRUE((*result)->success);
  EXPECT_EQ(Count("qilian_mqtt_messages_total", "kind", "write_reply"), 1u);
  // qiliand received the device's reply and nothing of its own request.
  EXPECT_EQ(Count("qilian_mqtt_received_total"), 1u);
  EXPECT_EQ(device.inbox_size(), 0u);
}

}  // namespace
}  // namespace qilian::platform
