#include "platform/ingest/mqtt_ingest.h"

#include <mosquitto.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "core/log.h"
#include "platform/ingest/ingestor.h"
#include "platform/ingest/topic.h"
#include "platform/shadow/shadow_store.h"

namespace qilian::platform {

namespace {

std::once_flag lib_init;

}  // namespace

struct MqttIngest::Impl {
  struct Connection {
    Impl* owner = nullptr;
    size_t index = 0;
    mosquitto* mosq = nullptr;
    std::atomic<bool> connected{false};
    std::atomic<bool> subscribed{false};
    std::atomic<int> subscribe_mid{-1};
    std::atomic<uint64_t> received{0};
    std::thread thread;  // runs Loop
  };

  MqttIngestOptions options;
  Ingestor* ingestor = nullptr;
  ShadowStore* shadow = nullptr;
  std::vector<std::unique_ptr<Connection>> connections;
  std::atomic<size_t> next_publisher{0};
  // Shared by Publish, exclusive while Stop destroys the connections.
  std::shared_mutex publish_mu;
  std::vector<std::string> filters;  // "$share/<group>/<filter>"

  mutable std::mutex mu;
  mutable std::condition_variable changed;  // subscription state, stop
  bool stopping = false;
  std::thread sweeper;

  void Notify() {
    std::lock_guard lock(mu);
    changed.notify_all();
  }

  static void OnConnect(mosquitto* mosq, void* data, int rc) {
    auto* c = static_cast<Connection*>(data);
    if (rc != 0) {
      LogWarn("mqtt_ingest.connect_refused",
              {{"connection", c->index}, {"reason", mosquitto_connack_string(rc)}});
      return;
    }
    c->connected = true;
    std::vector<char*> subs;
    for (std::string& f : c->owner->filters) subs.push_back(f.data());
    int mid = 0;
    int s = mosquitto_subscribe_multiple(mosq, &mid, static_cast<int>(subs.size()), subs.data(), 1,
                                         0, nullptr);
    if (s != MOSQ_ERR_SUCCESS) {
      LogWarn("mqtt_ingest.subscribe_failed",
              {{"connection", c->index}, {"error", mosquitto_strerror(s)}});
      return;
    }
    c->subscribe_mid = mid;
  }

  static void OnSubscribe(mosquitto*, void* data, int mid, int count, const int* granted) {
    auto* c = static_cast<Connection*>(data);
    if (mid != c->subscribe_mid.load()) return;
    bool all = count == static_cast<int>(c->owner->filters.size());
    for (int i = 0; i < count; ++i) all = all && granted[i] >= 0 && granted[i] <= 2;
    if (!all) {
      LogError("mqtt_ingest.subscription_refused", {{"connection", c->index}});
      return;
    }
    c->subscribed = true;
    c->owner->Notify();
  }

  static void OnDisconnect(mosquitto*, void* data, int rc) {
    auto* c = static_cast<Connection*>(data);
    c->connected = false;
    c->subscribed = false;
    c->owner->Notify();
    if (rc != 0) LogWarn("mqtt_ingest.disconnected", {{"connection", c->index}, {"rc", rc}});
  }

  static void OnMessage(mosquitto*, void* data, const mosquitto_message* m) {
    auto* c = static_cast<Connection*>(data);
    c->received.fetch_add(1, std::memory_order_relaxed);
    c->owner->ingestor->Process(
        m->topic, std::string_view(static_cast<const char*>(m->payload),
                                   m->payloadlen > 0 ? static_cast<size_t>(m->payloadlen) : 0));
  }

  void Sweep() {
    std::unique_lock lock(mu);
    while (!stopping) {
      changed.wait_for(lock, absl::ToChronoNanoseconds(options.sweep_interval));
      if (stopping) break;
      lock.unlock();
      shadow->ExpireCalls();
      lock.lock();
    }
  }

  bool Stopping() {
    std::lock_guard lock(mu);
    return stopping;
  }

  // Waits `d` or until Stop.
  void Pause(absl::Duration d) {
    std::unique_lock lock(mu);
    changed.wait_for(lock, absl::ToChronoNanoseconds(d), [&] { return stopping; });
  }

  // One connection's network thread. Our own poll loop rather than
  // mosquitto_loop_start's: a PUBACK (and anything published on this
  // thread) is then written at once from the read, instead of after a
  // wake-up through libmosquitto's socket pair and a second select(); under
  // a busy CPU that round trip decided how fast the broker could hand us
  // QoS 1 messages (20 in flight per connection). Publishes from other
  // threads are written by those threads (libmosquitto locks its output).
  void Loop(Connection* c) {
    absl::Duration delay = options.reconnect_delay_min;
    bool connected_once = false;
    while (!Stopping()) {
      int rc = connected_once ? mosquitto_reconnect(c->mosq)
                              : mosquitto_connect(c->mosq, options.host.c_str(), options.port,
                                                  options.keepalive_s);
      if (rc != MOSQ_ERR_SUCCESS) {
        LogWarn("mqtt_ingest.connect_failed",
                {{"connection", c->index}, {"error", mosquitto_strerror(rc)}});
        Pause(delay);
        delay = std::min(delay * 2, options.reconnect_delay_max);
        continue;
      }
      connected_once = true;
      delay = options.reconnect_delay_min;
      while (rc == MOSQ_ERR_SUCCESS && !Stopping()) {
        const int fd = mosquitto_socket(c->mosq);
        if (fd < 0) break;
        pollfd p{fd, static_cast<short>(POLLIN | (mosquitto_want_write(c->mosq) ? POLLOUT : 0)), 0};
        if (poll(&p, 1, 100) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          // libmosquitto reads one packet per call: read while bytes wait.
          int pending = 0;
          for (int i = 0; i < 256 && rc == MOSQ_ERR_SUCCESS; ++i) {
            rc = mosquitto_loop_read(c->mosq, 1);
            if (ioctl(fd, FIONREAD, &pending) != 0 || pending == 0) break;
          }
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(c->mosq)) {
          rc = mosquitto_loop_write(c->mosq, 1);
        }
        if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(c->mosq);
      }
      c->connected = false;
      c->subscribed = false;
      Notify();
      if (!Stopping()) Pause(delay);
    }
  }

  void Stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
      changed.notify_all();
    }
    if (sweeper.joinable()) sweeper.join();
    // Disconnect and join first, without the lock: a message being
    // processed may still publish (a refusal) and needs the shared lock.
    for (auto& c : connections) {
      if (c->mosq == nullptr) continue;
      mosquitto_disconnect(c->mosq);
      if (c->thread.joinable()) c->thread.join();
    }
    std::unique_lock lock(publish_mu);
    for (auto& c : connections) {
      if (c->mosq != nullptr) mosquitto_destroy(c->mosq);
      c->mosq = nullptr;
      c->connected = false;
      c->subscribed = false;
    }
  }
};

MqttIngest::MqttIngest(MqttIngestOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

MqttIngest::~MqttIngest() { impl_->Stop(); }

void MqttIngest::Stop() { impl_->Stop(); }

absl::Status MqttIngest::Start(Ingestor* ingestor, ShadowStore* shadow) {
  const MqttIngestOptions& o = impl_->options;
  if (ingestor == nullptr) return absl::InvalidArgumentError("no ingestor");
  if (!impl_->connections.empty()) return absl::FailedPreconditionError("already started");
  if (o.connections == 0 || o.connections > 64) {
    return absl::InvalidArgumentError("connections must be 1 to 64");
  }
  if (o.port <= 0 || o.port > 65535) return absl::InvalidArgumentError("bad port");
  if (o.share_group.empty() || o.share_group.find_first_of("/+#") != std::string::npos) {
    return absl::InvalidArgumentError("share_group must be one topic level without wildcards");
  }
  std::call_once(lib_init, [] { mosquitto_lib_init(); });
  impl_->ingestor = ingestor;
  impl_->shadow = shadow;
  for (std::string_view f : kDeviceTopicFilters) {
    impl_->filters.push_back("$share/" + o.share_group + "/" + std::string(f));
  }
  const std::string prefix = o.client_id_prefix.empty()
                                 ? "qiliand-ingest-" + std::to_string(getpid()) + "-"
                                 : o.client_id_prefix;
  for (size_t i = 0; i < o.connections; ++i) {
    auto c = std::make_unique<Impl::Connection>();
    c->owner = impl_.get();
    c->index = i;
    c->mosq = mosquitto_new((prefix + std::to_string(i)).c_str(), true, c.get());
    if (c->mosq == nullptr) return absl::InternalError("mosquitto_new failed");
    impl_->connections.push_back(std::move(c));
    mosquitto* m = impl_->connections.back()->mosq;
    mosquitto_username_pw_set(m, o.username.c_str(), o.password.c_str());
    mosquitto_connect_callback_set(m, &Impl::OnConnect);
    mosquitto_disconnect_callback_set(m, &Impl::OnDisconnect);
    mosquitto_subscribe_callback_set(m, &Impl::OnSubscribe);
    mosquitto_message_callback_set(m, &Impl::OnMessage);
    mosquitto_max_inflight_messages_set(m, static_cast<unsigned int>(std::max(o.max_inflight, 0)));
    Impl::Connection* conn = impl_->connections.back().get();
    conn->thread = std::thread([this, conn] { impl_->Loop(conn); });
  }
  if (shadow != nullptr) impl_->sweeper = std::thread([this] { impl_->Sweep(); });
  return absl::OkStatus();
}

absl::Status MqttIngest::Publish(std::string_view topic, std::string_view payload) {
  const size_t n = impl_->connections.size();
  if (n == 0) return absl::UnavailableError("no broker connection");
  const std::string t(topic);
  std::shared_lock lock(impl_->publish_mu);
  size_t start = impl_->next_publisher.fetch_add(1, std::memory_order_relaxed);
  for (size_t k = 0; k < n; ++k) {
    Impl::Connection& c = *impl_->connections[(start + k) % n];
    if (c.mosq == nullptr || !c.connected.load()) continue;
    int rc = mosquitto_publish(c.mosq, nullptr, t.c_str(), static_cast<int>(payload.size()),
                               payload.data(), 1, false);
    if (rc == MOSQ_ERR_SUCCESS) return absl::OkStatus();
    if (rc == MOSQ_ERR_PAYLOAD_SIZE || rc == MOSQ_ERR_MALFORMED_UTF8 || rc == MOSQ_ERR_INVAL) {
      return absl::InvalidArgumentError(std::string("mosquitto_publish: ") +
                                        mosquitto_strerror(rc));
    }
  }
  return absl::UnavailableError("no broker connection");
}

size_t MqttIngest::subscribed_connections() const {
  size_t n = 0;
  for (const auto& c : impl_->connections) n += c->subscribed.load();
  return n;
}

bool MqttIngest::WaitSubscribed(absl::Duration timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->changed.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    return !impl_->connections.empty() && subscribed_connections() == impl_->connections.size();
  });
}

uint64_t MqttIngest::received() const {
  uint64_t n = 0;
  for (const auto& c : impl_->connections) n += c->received.load();
  return n;
}

std::vector<uint64_t> MqttIngest::received_per_connection() const {
  std::vector<uint64_t> out;
  for (const auto& c : impl_->connections) out.push_back(c->received.load());
  return out;
}

}  // namespace qilian::platform
