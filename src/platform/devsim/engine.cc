#include "platform/devsim/engine.h"

#include <mosquitto.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>

#include "platform/thing_model/str_cat.h"
#include "platform/devsim/payload.h"
#include "platform/devsim/random.h"

namespace qilian::platform::devsim {

namespace {

std::atomic<bool> g_stop{false};

enum class Phase : int { kConnect, kPublish, kDrain };

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Counters a worker writes and the main thread reads for progress lines.
struct Counters {
  std::atomic<uint64_t> attempts{0}, connacks{0}, connect_failed{0}, lost{0}, reconnects{0},
      dropouts{0}, subscribe_refused{0}, wakeup_pairs_closed{0}, wakeup_pairs_kept{0};
  std::atomic<int64_t> up{0}, pending{0};
  std::atomic<uint64_t> sent{0}, values{0}, bytes{0}, pubacks{0}, publish_errors{0};
  std::atomic<uint64_t> slots_down{0}, slots_busy{0}, slots_late{0};
  std::atomic<uint64_t> replies_write{0}, replies_read{0}, replies_invoke{0}, replies_failed{0};
  std::atomic<uint64_t> received{0}, received_bytes{0}, received_values{0};
  std::atomic<int64_t> first_receive_ms{0}, last_receive_ms{0};
};

void Add(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
uint64_t Get(const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); }

// What all threads of a run share.
struct Shared {
  const Options* options = nullptr;
  std::atomic<Phase> phase{Phase::kConnect};
  Timeline timeline;                 // valid once phase >= kPublish
  Clock::time_point publish_start;   // likewise
  double per_device_rate = 0;        // messages/s of each device
  std::atomic<int64_t> budget{0};    // messages left with --messages
  std::string bind_prefix;           // "127.0.0." or "" (no binding)
  int source_addresses = 1;
  int source_offset = 0;             // 127.0.0.(2 + offset) is the first
};

class Worker;

struct Device {
  enum State : uint8_t { kIdle, kConnecting, kUp, kAway, kDown, kFailed };
  Worker* worker = nullptr;
  uint32_t index = 0;  // in the run
  const FleetDevice* identity = nullptr;
  const ProductSignals* product = nullptr;
  DeviceSignals signals;
  mosquitto* mosq = nullptr;
  int fd = -1;
  State state = kIdle;
  bool epoll_out = false;
  bool resolved = false;   // its first connection attempt has an outcome
  bool leaving = false;    // we disconnect it (dropout, end of run)
  uint16_t inflight = 0;
  uint64_t next_sample = 0;
  bool rows_skipped = false;  // on the simulated clock: rows lost to a dropout
  double dropout_at = -1, dropout_until = -1;  // s after the publish start
  double retry_at = -1;                          // s after the publish start
  std::vector<int> reply_mids;
};

constexpr int kMaxInflight = 20;  // libmosquitto's default

// On the simulated clock, where a device's stream ends: next_sample counts
// samples (batches) or rows (JSON reports).
uint64_t SimStreamEnd(const Device& d, const Timeline& timeline, const Options& o) {
  return o.format == Format::kJson ? timeline.end_row
                                   : timeline.end_row * d.product->channels().size();
}

// On the simulated clock the publisher has this much more message capacity
// than the rows need, so that it catches up after falling behind (slots
// skipped as busy or late carry no rows, they only delay them).
constexpr double kSimHeadroom = 1.25;
// qiliand's default [mqtt] device_messages_per_second: messages past it
// are refused (rate_limited), so a run that needs more says so.
constexpr double kPlatformMessagesPerSecond = 100;
// After --duration, how long the simulated clock's last rows may take.
constexpr double kSimFinishSeconds = 60;

class Worker {
 public:
  Worker(Shared* shared, int id) : shared_(shared), id_(id) {}
  ~Worker() {
    for (Device* d : devices_) {
      if (d->mosq != nullptr) mosquitto_destroy(d->mosq);
    }
    if (epoll_ >= 0) close(epoll_);
  }

  void Add(Device* d) {
    d->worker = this;
    devices_.push_back(d);
    counters.pending.fetch_add(1, std::memory_order_relaxed);
    if (d->signals.faults & kDropout) dropouts_.push_back(d);
  }
  // Sink connections.
  void AddSink(Device* d, std::string client_id) {
    sink_ids_.push_back(std::move(client_id));
    Add(d);
  }

  void Run();

  Counters counters;
  // On the simulated clock, after --duration: every connected device has
  // sent all its rows of the simulated span.
  std::atomic<bool> sim_rows_done{false};
  std::map<std::string, uint64_t> failures;  // read after join
  int64_t connected_max = 0;

  // libmosquitto callbacks.
  void OnConnect(Device* d, int rc);
  void OnPublish(Device* d, int mid);
  void OnMessage(Device* d, const mosquitto_message* m);
  void OnSubscribe(Device* d, int count, const int* granted);

 private:
  bool Sink() const { return shared_->options->sink; }
  // Messages per second of this worker: each of its devices in turn.
  double SlotRate() const { return shared_->per_device_rate * double(devices_.size()); }
  double PublishSeconds(Clock::time_point now) const {
    return Seconds(shared_->publish_start, now);
  }
  void StartConnect(Device* d);
  void AfterCall(Device* d);
  void Closed(Device* d);
  void Resolve(Device* d) {
    if (!d->resolved) {
      d->resolved = true;
      counters.pending.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  void Fail(const std::string& reason) { ++failures[reason]; counters.connect_failed++; }
  void PublishDue(Clock::time_point now);
  // Publishes the device's next message if one is due at `now_ms` and its
  // connection takes it; false when the --messages budget is spent.
  bool PublishOne(Device* d, int64_t now_ms);
  // Its connection still has data queued (TCP back-pressure) or too many
  // messages in flight: it is not given another now.
  bool Busy(Device* d) const {
    return (shared_->options->qos == 1 && d->inflight >= kMaxInflight) ||
           mosquitto_want_write(d->mosq);
  }
  bool SimRowsDone(int64_t now_ms);
  void Dropouts(double t);
  void Reply(Device* d, std::string_view topic, const nlohmann::json& reply);
  void HandleRequest(Device* d, std::string_view kind, std::string_view topic,
                     std::string_view payload);
  bool Drained() const;

  Shared* shared_;
  int id_;
  int epoll_ = -1;
  std::vector<Device*> devices_;
  std::vector<Device*> dropouts_;
  std::vector<std::string> sink_ids_;
  size_t connect_cursor_ = 0;
  uint64_t connects_started_ = 0;
  size_t publish_cursor_ = 0;
  uint64_t slots_done_ = 0;
  PayloadBuilder builder_;
  std::string payload_, topic_;
};

Device* Of(void* obj) { return static_cast<Device*>(obj); }

bool IsUnixStream(int fd) {
  int domain = 0, type = 0;
  socklen_t len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return false;
  len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return false;
  return domain == AF_UNIX && type == SOCK_STREAM;
}

// libmosquitto (1.4 to 2.0) opens a socket pair with every connection, to
// wake the select() of its own mosquitto_loop, and writes one byte to it
// for every packet it queues. In our epoll loop nothing reads it, so each
// pair fills to its send buffer: about 210 KB of kernel memory per
// connection (21 GB for 100,000), two descriptors and a system call per
// publish. The library has no call to turn it off; its client struct
// begins { int sock; int sockpairR, sockpairW; ... }
// (lib/mosquitto_internal.h), so after each connect we close the pair and
// mark it absent, which the library checks before every use. Only when
// the layout checks out: the first field is the connection's socket (-1
// after a failed connect) and the other two are distinct Unix stream
// sockets. Returns whether it did.
bool DropWakeupPair(mosquitto* mosq) {
  static const bool known_version = [] {
    int major = 0, minor = 0, revision = 0;
    mosquitto_lib_version(&major, &minor, &revision);
    return (major == 1 && minor >= 4) || (major == 2 && minor == 0);
  }();
  if (!known_version) return false;
  int* fields = reinterpret_cast<int*>(mosq);
  const int sock = mosquitto_socket(mosq);  // -1 after a failed connect
  if (fields[0] != sock) return false;
  const int r = fields[1], w = fields[2];
  if (r < 0 || w < 0 || r == w || r == sock || w == sock) return false;
  if (!IsUnixStream(r) || !IsUnixStream(w)) return false;
  close(r);
  close(w);
  fields[1] = fields[2] = -1;
  return true;
}

void CbConnect(mosquitto*, void* obj, int rc) { Of(obj)->worker->OnConnect(Of(obj), rc); }
void CbPublish(mosquitto*, void* obj, int mid) { Of(obj)->worker->OnPublish(Of(obj), mid); }
void CbMessage(mosquitto*, void* obj, const mosquitto_message* m) {
  Of(obj)->worker->OnMessage(Of(obj), m);
}
void CbSubscribe(mosquitto*, void* obj, int, int count, const int* granted) {
  Of(obj)->worker->OnSubscribe(Of(obj), count, granted);
}

void Worker::StartConnect(Device* d) {
  const Options& o = *shared_->options;
  if (d->mosq == nullptr) {
    std::string id = Sink() ? sink_ids_[d->index]
                            : Cat(d->identity->product_key, "/", d->identity->device_id);
    d->mosq = mosquitto_new(id.c_str(), true, d);
    if (d->mosq == nullptr) {
      Fail("mosquitto_new failed");
      d->state = Device::kFailed;
      Resolve(d);
      return;
    }
    if (Sink()) {
      mosquitto_username_pw_set(d->mosq, o.username.c_str(), o.password.c_str());
    } else {
      std::string user = Cat(d->identity->product_key, "/", d->identity->device_id);
      mosquitto_username_pw_set(d->mosq, user.c_str(), d->identity->secret.c_str());
    }
    mosquitto_connect_callback_set(d->mosq, CbConnect);
    mosquitto_publish_callback_set(d->mosq, CbPublish);
    mosquitto_message_callback_set(d->mosq, CbMessage);
    mosquitto_subscribe_callback_set(d->mosq, CbSubscribe);
  }
  std::string bind;
  if (!shared_->bind_prefix.empty()) {
    bind = Cat(shared_->bind_prefix,
               2 + (shared_->source_offset + d->index % shared_->source_addresses) % 254);
  }
  devsim::Add(counters.attempts);
  errno = 0;
  int rc = mosquitto_connect_bind_async(d->mosq, o.host.c_str(), o.port, o.keepalive,
                                        bind.empty() ? nullptr : bind.c_str());
  if (rc != MOSQ_ERR_SUCCESS) {
    const int error = errno;
    DropWakeupPair(d->mosq);  // made before the connect failed
    Fail(rc == MOSQ_ERR_ERRNO ? Cat("connect: ", std::strerror(error))
                              : Cat("connect: ", mosquitto_strerror(rc)));
    d->state = Device::kFailed;
    Resolve(d);
    return;
  }
  d->fd = mosquitto_socket(d->mosq);
  if (DropWakeupPair(d->mosq)) {
    devsim::Add(counters.wakeup_pairs_closed);
  } else {
    devsim::Add(counters.wakeup_pairs_kept);
  }
  d->state = Device::kConnecting;
  d->leaving = false;
  epoll_event ev{};
  d->epoll_out = mosquitto_want_write(d->mosq);
  ev.events = EPOLLIN | (d->epoll_out ? uint32_t{EPOLLOUT} : 0u);
  ev.data.ptr = d;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, d->fd, &ev) != 0) {
    Fail(Cat("epoll_ctl: ", std::strerror(errno)));
    mosquitto_disconnect(d->mosq);
    d->fd = -1;
    d->state = Device::kFailed;
    Resolve(d);
  }
}

// After every libmosquitto call on `d`: notice a closed socket (libmosquitto
// closes it itself; the close took it out of the epoll set) or a change in
// whether it has data to write.
void Worker::AfterCall(Device* d) {
  if (d->fd < 0) return;
  if (mosquitto_socket(d->mosq) != d->fd) {
    d->fd = -1;
    d->epoll_out = false;
    Closed(d);
    return;
  }
  bool want = mosquitto_want_write(d->mosq);
  if (want != d->epoll_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? uint32_t{EPOLLOUT} : 0u);
    ev.data.ptr = d;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, d->fd, &ev);
    d->epoll_out = want;
  }
}

void Worker::Closed(Device* d) {
  d->inflight = 0;
  d->reply_mids.clear();
  switch (d->state) {
    case Device::kConnecting:
      Fail("closed before CONNACK");
      d->state = Device::kFailed;
      Resolve(d);
      break;
    case Device::kUp:
      counters.up.fetch_sub(1, std::memory_order_relaxed);
      if (d->leaving) {
        d->state = Device::kAway;
      } else {
        devsim::Add(counters.lost);
        d->state = Device::kDown;
        if (shared_->phase.load() == Phase::kPublish) {
          d->retry_at = PublishSeconds(Clock::now()) + 1 + Unit(Hash(d->signals.seed, 77));
        }
      }
      break;
    default:
      break;
  }
}

void Worker::OnConnect(Device* d, int rc) {
  if (rc != 0) {
    Fail(Cat("connack_", rc));
    d->state = Device::kFailed;
    Resolve(d);
    return;
  }
  d->state = Device::kUp;
  int64_t up = counters.up.fetch_add(1, std::memory_order_relaxed) + 1;
  connected_max = std::max(connected_max, up);
  devsim::Add(counters.connacks);
  Resolve(d);
  const Options& o = *shared_->options;
  std::vector<std::string> topics;
  if (Sink()) {
    topics = o.topic_filters;
  } else {
    std::string root = Cat("/", d->identity->product_key, "/", d->identity->device_id);
    topics = {root + "/properties/write", root + "/properties/read", root + "/function/invoke"};
  }
  std::vector<char*> pointers;
  for (std::string& t : topics) pointers.push_back(t.data());
  mosquitto_subscribe_multiple(d->mosq, nullptr, static_cast<int>(pointers.size()),
                               pointers.data(), Sink() ? o.qos : 1, 0, nullptr);
}

void Worker::OnSubscribe(Device* d, int count, const int* granted) {
  for (int i = 0; i < count; ++i) {
    if (granted[i] == 0x80) devsim::Add(counters.subscribe_refused);
  }
}

void Worker::OnPublish(Device* d, int mid) {
  auto it = std::find(d->reply_mids.begin(), d->reply_mids.end(), mid);
  if (it != d->reply_mids.end()) {
    d->reply_mids.erase(it);
    return;
  }
  if (shared_->options->qos == 1) {
    devsim::Add(counters.pubacks);
    if (d->inflight > 0) --d->inflight;
  }
}

// The number of samples in a binary batch, from its header; 0 if it is not one.
uint64_t BatchSampleCount(const uint8_t* p, size_t n) {
  if (n < kBatchHeaderBytes + 2 || p[0] != kBatchMagic0 || p[1] != kBatchMagic1) return 0;
  size_t i = kBatchHeaderBytes;
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; i < n && shift < 64; shift += 7) {
      uint8_t b = p[i++];
      *v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  };
  uint64_t properties, samples;
  if (!varint(&properties)) return 0;
  for (uint64_t k = 0; k < properties && i < n; ++k) i += 1 + p[i];
  return varint(&samples) ? samples : 0;
}

void Worker::OnMessage(Device* d, const mosquitto_message* m) {
  if (Sink()) {
    devsim::Add(counters.received);
    devsim::Add(counters.received_bytes, static_cast<uint64_t>(m->payloadlen));
    std::string_view topic(m->topic);
    const auto* bytes = static_cast<const uint8_t*>(m->payload);
    if (topic.ends_with("/properties/report/batch")) {
      devsim::Add(counters.received_values, BatchSampleCount(bytes, m->payloadlen));
    } else if (shared_->options->count_json_values && topic.ends_with("/properties/report")) {
      auto json = nlohmann::json::parse(bytes, bytes + m->payloadlen, nullptr, false);
      if (json.is_object() && json.contains("properties") && json["properties"].is_object()) {
        devsim::Add(counters.received_values, json["properties"].size());
      }
    }
    int64_t now = EpochMs();
    int64_t zero = 0;
    counters.first_receive_ms.compare_exchange_strong(zero, now, std::memory_order_relaxed);
    counters.last_receive_ms.store(now, std::memory_order_relaxed);
    return;
  }
  std::string_view topic(m->topic);
  std::string_view payload(static_cast<const char*>(m->payload), m->payloadlen);
  for (std::string_view kind : {"/properties/write", "/properties/read", "/function/invoke"}) {
    if (topic.ends_with(kind)) HandleRequest(d, kind, topic, payload);
  }
}

void Worker::Reply(Device* d, std::string_view topic, const nlohmann::json& reply) {
  std::string text = reply.dump();
  std::string reply_topic = Cat(topic, "/reply");
  int mid = 0;
  if (mosquitto_publish(d->mosq, &mid, reply_topic.c_str(), static_cast<int>(text.size()),
                        text.data(), 1, false) == MOSQ_ERR_SUCCESS) {
    d->reply_mids.push_back(mid);
  }
  if (!reply.value("success", false)) devsim::Add(counters.replies_failed);
}

std::string CodeOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound: return "unknown_property";
    case absl::StatusCode::kFailedPrecondition: return "read_only";
    default: return "invalid_value";
  }
}

nlohmann::json Failure(const nlohmann::json& id, std::string_view code, std::string_view message) {
  return {{"messageId", id}, {"success", false}, {"code", code}, {"message", message}};
}

// A plausible value for a service's output parameter.
nlohmann::json OutputValue(const DataType& t) {
  switch (t.kind) {
    case TypeKind::kBool: return true;
    case TypeKind::kEnum: return t.items.empty() ? 0 : t.items.front().value;
    case TypeKind::kText: return "ok";
    case TypeKind::kDate: return EpochMs();
    default:
      if (IsIntegral(t.kind)) return static_cast<int64_t>(t.min.value_or(0));
      return t.min.value_or(0);
  }
}

void Worker::HandleRequest(Device* d, std::string_view kind, std::string_view topic,
                           std::string_view payload) {
  const ProductSignals& product = *d->product;
  auto request = nlohmann::json::parse(payload, nullptr, false);
  nlohmann::json id = nullptr;
  if (request.is_object() && request.contains("messageId")) id = request["messageId"];
  if (!request.is_object()) {
    Reply(d, topic, Failure(id, "bad_request", "the request is not a JSON object"));
    return;
  }
  const Options& o = *shared_->options;
  int64_t now_ms = EpochMs();
  // Before publishing starts the timeline is not set yet: values at t = 0.
  Timeline tl;
  double t = 0;
  uint64_t row = 0;
  if (shared_->phase.load(std::memory_order_acquire) != Phase::kConnect) {
    tl = shared_->timeline;
    t = tl.SimSeconds(now_ms);
    row = tl.RowAt(now_ms);
  }
  if (kind == "/properties/write") {
    devsim::Add(counters.replies_write);
    const auto& props = request.contains("properties") ? request["properties"] : nlohmann::json();
    if (!props.is_object() || props.empty()) {
      Reply(d, topic, Failure(id, "bad_request", "properties: must be a non-empty object"));
      return;
    }
    if (o.refuse_writes) {
      Reply(d, topic, Failure(id, "refused", "this simulated device refuses writes (--refuse-writes)"));
      return;
    }
    for (const auto& [key, value] : props.items()) {
      if (auto status = product.model().CheckPropertyWrite(key, value); !status.ok()) {
        Reply(d, topic, Failure(id, CodeOf(status), std::string(status.message())));
        return;
      }
    }
    for (const auto& [key, value] : props.items()) {
      int ch = product.FindChannel(key);
      if (ch < 0) continue;  // a text or struct setting: accepted, not reported
      SimValue v{product.channels()[ch].kind,
                 value.is_boolean() ? (value.get<bool>() ? 1.0 : 0.0) : value.get<double>()};
      auto& written = d->signals.written;
      auto it = std::find_if(written.begin(), written.end(),
                             [&](const auto& w) { return w.first == ch; });
      if (it != written.end()) {
        it->second = v;
      } else {
        written.emplace_back(static_cast<uint16_t>(ch), v);
      }
    }
    Reply(d, topic, {{"messageId", id}, {"success", true}, {"properties", props}});
  } else if (kind == "/properties/read") {
    devsim::Add(counters.replies_read);
    nlohmann::json out = nlohmann::json::object();
    const auto& channels = product.channels();
    if (request.contains("properties") && request["properties"].is_array() &&
        !request["properties"].empty()) {
      for (const auto& name : request["properties"]) {
        int ch = name.is_string() ? product.FindChannel(name.get<std::string>()) : -1;
        if (ch < 0) {
          Reply(d, topic, Failure(id, "unknown_property",
                                  Cat(name.is_string() ? name.get<std::string>()
                                                                : name.dump(),
                                               ": no such property reported by this device")));
          return;
        }
        out[channels[ch].identifier] = ToJson(product.Value(d->signals, ch, t, tl.day_phase, row));
      }
    } else {
      for (size_t ch = 0; ch < channels.size(); ++ch) {
        out[channels[ch].identifier] = ToJson(product.Value(d->signals, ch, t, tl.day_phase, row));
      }
    }
    Reply(d, topic, {{"messageId", id}, {"success", true}, {"properties", out}});
  } else {
    devsim::Add(counters.replies_invoke);
    std::string function = request.value("function", std::string());
    const Service* service = product.model().FindService(function);
    if (service == nullptr) {
      Reply(d, topic, Failure(id, "unknown_function", Cat(function, ": no such service")));
      return;
    }
    nlohmann::json inputs = request.contains("inputs") ? request["inputs"] : nlohmann::json::object();
    if (auto status = product.model().CheckServiceInput(function, inputs); !status.ok()) {
      Reply(d, topic, Failure(id, "invalid_input", std::string(status.message())));
      return;
    }
    nlohmann::json output = nlohmann::json::object();
    for (const Field& f : service->output) output[f.identifier] = OutputValue(f.type);
    Reply(d, topic, {{"messageId", id}, {"success", true}, {"output", output}});
  }
}

void Worker::PublishDue(Clock::time_point now) {
  const Options& o = *shared_->options;
  const double elapsed = PublishSeconds(now);
  const int64_t now_ms = shared_->timeline.start_ms + static_cast<int64_t>(elapsed * 1000);
  if (shared_->timeline.SimClock() && elapsed >= o.duration) {
    // The simulated span is over: what the pacing left (a slot or two of
    // rows, more if the publisher fell behind) goes out as fast as the
    // connections take it, so the span arrives whole.
    if (SimRowsDone(now_ms)) sim_rows_done.store(true, std::memory_order_release);
    return;
  }
  const double rate = SlotRate();
  uint64_t due = static_cast<uint64_t>(elapsed * rate);
  if (due > slots_done_ + static_cast<uint64_t>(rate) + 1) {
    // More than a second behind: those slots are lost, not sent in a burst.
    uint64_t skip = due - slots_done_ - static_cast<uint64_t>(rate);
    devsim::Add(counters.slots_late, skip);
    publish_cursor_ = (publish_cursor_ + skip) % devices_.size();
    slots_done_ += skip;
  }
  for (int budget = 2000; slots_done_ < due && budget > 0; --budget) {
    Device* d = devices_[publish_cursor_];
    publish_cursor_ = (publish_cursor_ + 1) % devices_.size();
    ++slots_done_;
    if (d->state != Device::kUp) {
      devsim::Add(counters.slots_down);
      continue;
    }
    if (Busy(d)) {
      devsim::Add(counters.slots_busy);
      continue;
    }
    if (!PublishOne(d, now_ms)) return;
  }
}

bool Worker::PublishOne(Device* d, int64_t now_ms) {
  const Options& o = *shared_->options;
  size_t values;
  if (o.format == Format::kJson) {
    values = builder_.Json(*d->product, d->signals, shared_->timeline, now_ms, &d->next_sample,
                           &payload_);
    topic_ = Cat("/", d->identity->product_key, "/", d->identity->device_id, "/properties/report");
  } else {
    values = builder_.Batch(*d->product, d->signals, shared_->timeline, now_ms, o.batch_samples,
                            &d->next_sample, &payload_);
    topic_ =
        Cat("/", d->identity->product_key, "/", d->identity->device_id, "/properties/report/batch");
  }
  if (values == 0) return true;
  if (o.messages > 0 && shared_->budget.fetch_sub(1, std::memory_order_relaxed) <= 0) {
    shared_->budget.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  int rc = mosquitto_publish(d->mosq, nullptr, topic_.c_str(), static_cast<int>(payload_.size()),
                             payload_.data(), o.qos, false);
  if (rc == MOSQ_ERR_SUCCESS) {
    devsim::Add(counters.sent);
    devsim::Add(counters.values, values);
    devsim::Add(counters.bytes, payload_.size());
    if (o.qos == 1) ++d->inflight;
  } else {
    devsim::Add(counters.publish_errors);
    if (o.messages > 0) shared_->budget.fetch_add(1, std::memory_order_relaxed);
  }
  AfterCall(d);
  return true;
}

// One message for each connected device with rows left (one each per call,
// so that no device waits on another); true once none has any left.
// Devices that are not connected are not waited for: their rows are lost,
// as a real device's would be (the summary's sim.devices_complete).
bool Worker::SimRowsDone(int64_t now_ms) {
  const Options& o = *shared_->options;
  bool done = true;
  for (Device* d : devices_) {
    if (d->state != Device::kUp || d->next_sample >= SimStreamEnd(*d, shared_->timeline, o)) {
      continue;
    }
    done = false;
    if (Busy(d)) continue;
    if (!PublishOne(d, now_ms)) return true;  // --messages spent
  }
  return done;
}

void Worker::Dropouts(double t) {
  for (Device* d : dropouts_) {
    if (d->dropout_at >= 0 && t >= d->dropout_at && d->state == Device::kUp) {
      d->dropout_at = -1;
      d->leaving = true;
      devsim::Add(counters.dropouts);
      mosquitto_disconnect(d->mosq);
      AfterCall(d);
    } else if (d->dropout_until >= 0 && t >= d->dropout_until && d->dropout_at < 0 &&
               d->fd < 0 && (d->state == Device::kAway || d->state == Device::kDown)) {
      d->dropout_until = -1;
      devsim::Add(counters.reconnects);
      if (shared_->timeline.SimClock()) {
        // What a device misses while away is lost, not caught up.
        const Timeline& tl = shared_->timeline;
        const uint64_t row = std::min(tl.RowAt(EpochMs()), tl.end_row);
        const uint64_t resume =
            shared_->options->format == Format::kJson ? row : row * d->product->channels().size();
        d->rows_skipped = d->rows_skipped || resume > d->next_sample;
        d->next_sample = std::max(d->next_sample, resume);
      }
      StartConnect(d);
    }
  }
}

bool Worker::Drained() const {
  for (const Device* d : devices_) {
    if (d->fd < 0 || d->state != Device::kUp) continue;
    if (d->inflight > 0 || !d->reply_mids.empty() || mosquitto_want_write(d->mosq)) return false;
  }
  return true;
}

void Worker::Run() {
  const Options& o = *shared_->options;
  sim_rows_done.store(devices_.empty(), std::memory_order_release);
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  const double connect_rate = o.connect_rate / o.threads;
  const auto start = Clock::now();
  auto last_misc = start;
  bool publishing = false;
  Clock::time_point drain_deadline{};
  bool draining = false, disconnected = false;
  Clock::time_point disconnect_deadline{};
  std::vector<epoll_event> events(1024);
  while (true) {
    auto now = Clock::now();
    const Phase phase = shared_->phase.load(std::memory_order_acquire);
    // Connections at the bounded rate.
    if (phase != Phase::kDrain) {
      uint64_t allowed = static_cast<uint64_t>(Seconds(start, now) * connect_rate) + 1;
      while (connects_started_ < allowed && connect_cursor_ < devices_.size()) {
        ++connects_started_;
        StartConnect(devices_[connect_cursor_++]);
      }
    }
    if (phase == Phase::kPublish && !publishing) {
      publishing = true;
      slots_done_ = 0;
      publish_cursor_ = 0;
    }
    if (phase == Phase::kPublish && !Sink() && !devices_.empty()) {
      double t = PublishSeconds(now);
      Dropouts(t);
      for (Device* d : devices_) {
        // Reconnect devices the broker dropped (rarely many: a linear scan
        // only when one is due is cheap enough, see retry_at).
        if (d->retry_at >= 0 && t >= d->retry_at && d->fd < 0 && d->state == Device::kDown) {
          d->retry_at = -1;
          devsim::Add(counters.reconnects);
          StartConnect(d);
        }
      }
      PublishDue(now);
    }
    if (phase == Phase::kDrain) {
      if (!draining) {
        draining = true;
        drain_deadline = now + std::chrono::milliseconds(static_cast<int64_t>(o.drain * 1000));
      }
      if (!disconnected && (Sink() || Drained() || now >= drain_deadline)) {
        disconnected = true;
        disconnect_deadline = now + std::chrono::seconds(2);
        for (Device* d : devices_) {
          if (d->fd >= 0) {
            d->leaving = true;
            mosquitto_disconnect(d->mosq);
            AfterCall(d);
          }
        }
      }
      if (disconnected) {
        bool open = false;
        for (Device* d : devices_) open = open || d->fd >= 0;
        if (!open || now >= disconnect_deadline) break;
      }
    }
    if (now - last_misc >= std::chrono::seconds(1)) {
      last_misc = now;
      for (Device* d : devices_) {
        if (d->fd >= 0) {
          mosquitto_loop_misc(d->mosq);
          AfterCall(d);
        }
      }
    }
    int timeout = 5;
    if (phase == Phase::kPublish && !Sink() && !devices_.empty()) {
      const double elapsed = PublishSeconds(Clock::now());
      double next = (slots_done_ + 1) / SlotRate() - elapsed;
      timeout = next <= 0 ? 0 : std::min(5, static_cast<int>(std::ceil(next * 1000)));
      // Past the simulated span no slot is paced: wait for the sockets.
      if (shared_->timeline.SimClock() && elapsed >= o.duration) timeout = 1;
    }
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout);
    for (int i = 0; i < n; ++i) {
      Device* d = static_cast<Device*>(events[i].data.ptr);
      if (d->fd < 0) continue;  // closed earlier in this batch
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        mosquitto_loop_read(d->mosq, 16);
        AfterCall(d);
      }
      if (d->fd >= 0 && (events[i].events & EPOLLOUT)) {
        mosquitto_loop_write(d->mosq, 16);
        AfterCall(d);
      }
    }
  }
}

uint64_t ReadStatusKb(std::string_view key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0) return std::strtoull(line.c_str() + key.size(), nullptr, 10);
  }
  return 0;
}

struct Totals {
  uint64_t attempts = 0, connacks = 0, failed = 0, lost = 0, reconnects = 0, dropouts = 0,
           subscribe_refused = 0, sent = 0, values = 0, bytes = 0, pubacks = 0, publish_errors = 0,
           slots_down = 0, slots_busy = 0, slots_late = 0, replies_write = 0, replies_read = 0,
           replies_invoke = 0, replies_failed = 0, received = 0, received_bytes = 0,
           received_values = 0, wakeup_pairs_closed = 0, wakeup_pairs_kept = 0;
  int64_t up = 0, pending = 0, first_ms = 0, last_ms = 0;
};

Totals Sum(const std::vector<std::unique_ptr<Worker>>& workers) {
  Totals t;
  for (const auto& w : workers) {
    const Counters& c = w->counters;
    t.attempts += Get(c.attempts);
    t.connacks += Get(c.connacks);
    t.failed += Get(c.connect_failed);
    t.lost += Get(c.lost);
    t.reconnects += Get(c.reconnects);
    t.dropouts += Get(c.dropouts);
    t.subscribe_refused += Get(c.subscribe_refused);
    t.sent += Get(c.sent);
    t.values += Get(c.values);
    t.bytes += Get(c.bytes);
    t.pubacks += Get(c.pubacks);
    t.publish_errors += Get(c.publish_errors);
    t.slots_down += Get(c.slots_down);
    t.slots_busy += Get(c.slots_busy);
    t.slots_late += Get(c.slots_late);
    t.replies_write += Get(c.replies_write);
    t.replies_read += Get(c.replies_read);
    t.replies_invoke += Get(c.replies_invoke);
    t.replies_failed += Get(c.replies_failed);
    t.received += Get(c.received);
    t.received_bytes += Get(c.received_bytes);
    t.received_values += Get(c.received_values);
    t.wakeup_pairs_closed += Get(c.wakeup_pairs_closed);
    t.wakeup_pairs_kept += Get(c.wakeup_pairs_kept);
    t.up += c.up.load();
    t.pending += c.pending.load();
    int64_t f = c.first_receive_ms.load(), l = c.last_receive_ms.load();
    if (f != 0 && (t.first_ms == 0 || f < t.first_ms)) t.first_ms = f;
    t.last_ms = std::max(t.last_ms, l);
  }
  return t;
}

// Drives a run from the main thread: phases, progress lines, the summary.
nlohmann::json Drive(Shared& shared, std::vector<std::unique_ptr<Worker>>& workers,
                     size_t connections, double per_device_message_rate) {
  const Options& o = *shared.options;
  // One descriptor per connection (the wake-up pairs are closed, see
  // DropWakeupPair), and a margin.
  const long fd_limit = RaiseFileLimit(static_cast<long>(connections + 1024));
  const bool fd_limit_low = static_cast<size_t>(fd_limit) < connections + 64;
  if (fd_limit_low) {
    std::printf("warning: open-file limit %ld is too low for %zu connections (one descriptor "
                "each, and a few more); raise it with ulimit -n (-Hn as root)\n",
                fd_limit, connections);
  }
  mosquitto_lib_init();
  const auto start = Clock::now();
  shared.budget.store(static_cast<int64_t>(o.messages));
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });

  const double connect_timeout =
      o.connect_timeout > 0 ? o.connect_timeout : 30 + double(connections) / o.connect_rate;
  auto last_progress = start;
  auto progress = [&](const char* phase, Clock::time_point now, double since) {
    if (o.quiet || now - last_progress < std::chrono::seconds(1)) return;
    last_progress = now;
    Totals t = Sum(workers);
    if (o.sink) {
      std::printf("devsim %s t=%.1fs connected=%lld/%zu received=%llu bytes=%llu values=%llu\n",
                  phase, since, static_cast<long long>(t.up), connections,
                  static_cast<unsigned long long>(t.received),
                  static_cast<unsigned long long>(t.received_bytes),
                  static_cast<unsigned long long>(t.received_values));
    } else {
      std::printf("devsim %s t=%.1fs connected=%lld/%zu failed=%llu sent=%llu values=%llu "
                  "acked=%llu replies=%llu\n",
                  phase, since, static_cast<long long>(t.up), connections,
                  static_cast<unsigned long long>(t.failed),
                  static_cast<unsigned long long>(t.sent),
                  static_cast<unsigned long long>(t.values),
                  static_cast<unsigned long long>(t.pubacks),
                  static_cast<unsigned long long>(t.replies_write + t.replies_read +
                                                  t.replies_invoke));
    }
    std::fflush(stdout);
  };
  // Connect phase.
  while (!g_stop.load()) {
    auto now = Clock::now();
    progress("connect", now, Seconds(start, now));
    if (Sum(workers).pending <= 0 || Seconds(start, now) >= connect_timeout) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto connect_end = Clock::now();
  Totals at_connect = Sum(workers);
  // Publish (or, for a sink, count) phase.
  shared.publish_start = Clock::now();
  shared.timeline.start_ms = EpochMs();
  shared.timeline.time_scale = o.time_scale;
  shared.timeline.day_phase = double(shared.timeline.OriginMs() / 1000 % 86400) / 86400.0;
  shared.phase.store(Phase::kPublish, std::memory_order_release);
  while (!g_stop.load()) {
    auto now = Clock::now();
    double since = Seconds(shared.publish_start, now);
    progress(o.sink ? "count" : "publish", now, since);
    if (since >= o.duration) {
      // On the simulated clock the run ends once its span is sent.
      if (!shared.timeline.SimClock() || since >= o.duration + kSimFinishSeconds) break;
      if (std::all_of(workers.begin(), workers.end(), [](const auto& w) {
            return w->sim_rows_done.load(std::memory_order_acquire);
          })) {
        break;
      }
    }
    if (o.messages > 0) {
      if (!o.sink && shared.budget.load() <= 0) break;
      if (o.sink && Sum(workers).received >= o.messages) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto publish_end = Clock::now();
  Totals at_end = Sum(workers);
  shared.phase.store(Phase::kDrain, std::memory_order_release);
  for (auto& t : threads) t.join();
  Totals t = Sum(workers);
  const double publish_seconds = Seconds(shared.publish_start, publish_end);

  nlohmann::json failures = nlohmann::json::object();
  int64_t connected_max = 0;
  for (const auto& w : workers) {
    for (const auto& [reason, count] : w->failures) {
      failures[reason] = failures.value(reason, uint64_t{0}) + count;
    }
    connected_max += w->connected_max;
  }
  nlohmann::json s;
  s["mode"] = o.sink ? "sink" : "publish";
  s["connections"] = connections;
  s["threads"] = o.threads;
  s["qos"] = o.qos;
  s["fd_limit"] = fd_limit;
  s["fd_limit_too_low"] = fd_limit_low;
  s["source_addresses"] = shared.bind_prefix.empty() ? 0 : shared.source_addresses;
  if (!shared.bind_prefix.empty()) {
    s["first_source_address"] = Cat(shared.bind_prefix, 2 + shared.source_offset);
  }
  s["connect_seconds"] = Seconds(start, connect_end);
  s["connected"] = at_connect.up;
  s["connected_at_end"] = at_end.up;
  s["connected_max"] = connected_max;
  s["connect_attempts"] = t.attempts;
  s["connect_failures"] = failures;
  s["subscriptions_refused"] = t.subscribe_refused;
  s["connections_lost"] = t.lost;
  s["reconnects"] = t.reconnects;
  s["duration_s"] = publish_seconds;
  s["wakeup_pairs_closed"] = t.wakeup_pairs_closed;
  s["wakeup_pairs_kept"] = t.wakeup_pairs_kept;
  if (o.sink) {
    s["messages_received"] = t.received;
    s["bytes_received"] = t.received_bytes;
    s["values_received"] = t.received_values;
    double window = t.last_ms > t.first_ms ? double(t.last_ms - t.first_ms) / 1000.0 : 0;
    s["receive_window_s"] = window;
    s["messages_per_s"] = window > 0 ? double(t.received) / window : 0;
    s["bytes_per_s"] = window > 0 ? double(t.received_bytes) / window : 0;
    s["values_per_s"] = window > 0 ? double(t.received_values) / window : 0;
  } else {
    s["format"] = o.format == Format::kJson ? "json" : "batch";
    if (o.format == Format::kBatch) s["batch_samples"] = o.batch_samples;
    s["per_device_messages_per_s"] = per_device_message_rate;
    s["dropouts"] = t.dropouts;
    s["messages_sent"] = t.sent;
    s["values_sent"] = t.values;
    s["bytes_sent"] = t.bytes;
    s["pubacks"] = t.pubacks;
    s["publish_errors"] = t.publish_errors;
    s["slots_not_connected"] = t.slots_down;
    s["slots_busy"] = t.slots_busy;
    s["slots_late"] = t.slots_late;
    s["replies"] = {{"write", t.replies_write}, {"read", t.replies_read},
                    {"invoke", t.replies_invoke}, {"failed", t.replies_failed}};
    if (shared.timeline.SimClock()) {
      const Timeline& tl = shared.timeline;
      s["sim"] = {{"start_ms", tl.sim_start_ms},
                  {"end_ms", tl.RowTimeMs(tl.end_row)},
                  {"row_seconds", tl.row_seconds},
                  {"rows_per_device", tl.end_row}};
    }
    s["messages_per_s"] = publish_seconds > 0 ? double(at_end.sent) / publish_seconds : 0;
    s["values_per_s"] = publish_seconds > 0 ? double(at_end.values) / publish_seconds : 0;
  }
  s["rss_bytes"] = ReadStatusKb("VmRSS:") * 1024;
  s["rss_peak_bytes"] = ReadStatusKb("VmHWM:") * 1024;
  workers.clear();  // destroys the clients
  mosquitto_lib_cleanup();
  return s;
}

}  // namespace

void RequestStop() { g_stop.store(true); }

long RaiseFileLimit(long wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  if (limit.rlim_max != RLIM_INFINITY && static_cast<long>(limit.rlim_max) < wanted) {
    rlimit more = limit;
    more.rlim_max = static_cast<rlim_t>(wanted);
    more.rlim_cur = more.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &more) == 0) return wanted;  // allowed (root)
  }
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<long>(limit.rlim_cur);
}

nlohmann::json RunPublisher(const Options& o, const std::vector<SimDeviceSpec>& specs) {
  Shared shared;
  shared.options = &o;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < o.threads; ++i) workers.push_back(std::make_unique<Worker>(&shared, i));
  std::vector<Device> devices(specs.size());
  size_t fault_counts[kFaultCount] = {};
  // The row interval: every device sends `per_device` messages per second.
  size_t channels_total = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    Device& d = devices[i];
    d.index = static_cast<uint32_t>(i);
    d.identity = specs[i].identity;
    d.product = specs[i].product.get();
    d.signals = d.product->MakeDevice(o.seed, i, o.faults);
    channels_total += d.product->channels().size();
    for (int f = 0; f < kFaultCount; ++f) fault_counts[f] += (d.signals.faults >> f) & 1;
    workers[i % o.threads]->Add(&d);
  }
  const double mean_channels = double(channels_total) / double(specs.size());
  const double values_per_message =
      o.format == Format::kJson ? mean_channels : double(o.batch_samples);
  // Values per second (simulated with --sim-start) per device: P per row.
  const double rate = o.row_seconds > 0 ? mean_channels / o.row_seconds : o.rate;
  double per_device;  // messages per real second of each device
  Timeline& tl = shared.timeline;
  if (o.sim_start_ms >= 0) {
    tl.sim_start_ms = o.sim_start_ms;
    tl.row_seconds = o.row_seconds > 0 ? o.row_seconds : mean_channels / rate;
    tl.end_row = tl.EndRow(o.sim_start_ms + std::llround(o.duration * o.time_scale * 1000));
    per_device = kSimHeadroom * rate * o.time_scale / values_per_message;
  } else {
    per_device = o.message_rate > 0 ? o.message_rate / double(specs.size())
                                    : rate / values_per_message;
    // Rows as often as the values go out: P values per row.
    tl.row_seconds =
        o.row_seconds > 0 ? o.row_seconds : mean_channels / (per_device * values_per_message);
  }
  shared.per_device_rate = per_device;
  if (per_device > kPlatformMessagesPerSecond) {
    std::printf("warning: %.1f messages/s per device, over the platform's default limit of %.0f "
                "([mqtt] device_messages_per_second): raise --batch-samples\n",
                per_device, kPlatformMessagesPerSecond);
  }
  // Dropouts: once per run, somewhere in its first half, for a quarter of it.
  for (Device& d : devices) {
    if (!(d.signals.faults & kDropout)) continue;
    d.dropout_at = o.duration * (0.1 + 0.4 * Unit(Hash(d.signals.seed, 0xD0)));
    d.dropout_until = d.dropout_at + std::clamp(o.duration * 0.25, 1.0, 300.0);
  }
  const bool ipv4 = o.host.find(':') == std::string::npos;
  if (ipv4) {
    shared.bind_prefix = "127.0.0.";
    // A run's closed connections stay in TIME_WAIT for a minute, holding
    // their ports on their source address: a run right after another
    // starts at another address (by process id), or --source-offset.
    shared.source_offset = o.source_offset >= 0 ? o.source_offset : getpid() % 254;
    shared.source_addresses =
        o.source_addresses > 0
            ? o.source_addresses
            : static_cast<int>(std::min<size_t>(
                  kMaxSourceAddresses,
                  (specs.size() + kConnectionsPerSourceAddress - 1) / kConnectionsPerSourceAddress));
  }
  nlohmann::json summary = Drive(shared, workers, specs.size(), per_device);
  if (tl.SimClock()) {
    size_t complete = 0;
    for (const Device& d : devices) {
      complete += !d.rows_skipped && d.next_sample >= SimStreamEnd(d, tl, o);
    }
    summary["sim"]["devices_complete"] = complete;
  }
  nlohmann::json faults = nlohmann::json::object();
  for (int f = 0; f < kFaultCount; ++f) faults[std::string(FaultName(f))] = fault_counts[f];
  summary["devices"] = specs.size();
  summary["faults"] = faults;
  return summary;
}

nlohmann::json RunSink(const Options& o, const std::string& password) {
  Options copy = o;
  copy.password = password;
  Shared shared;
  shared.options = &copy;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < o.threads; ++i) workers.push_back(std::make_unique<Worker>(&shared, i));
  std::vector<Device> devices(static_cast<size_t>(o.connections));
  const std::string pid = std::to_string(getpid());
  for (size_t i = 0; i < devices.size(); ++i) {
    // index: the position in its worker's list of sink client ids.
    Worker& w = *workers[i % o.threads];
    devices[i].index = static_cast<uint32_t>(i / o.threads);
    w.AddSink(&devices[i], Cat("qilian-devsim-sink-", pid, "-", i));
  }
  shared.timeline.row_seconds = 1;
  return Drive(shared, workers, devices.size(), 0);
}

}  // namespace qilian::platform::devsim
