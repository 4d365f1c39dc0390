#include "net/handle_tcp_server.h"
#include "net/source_counts.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/metrics.h"

namespace qilian::net {

namespace asio = boost::asio;
namespace wire = ident::wire;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kReadChunk = 16384;

bool IsLoopback(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().is_loopback();
  const asio::ip::address_v6 v6 = a.to_v6();
  if (v6.is_loopback()) return true;
  return v6.is_v4_mapped() && asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
}

enum class Close {
  kOversize,
  kReadTimeout,
  kIdleTimeout,
  kNoReply,
  kTooMany,
  kTooManyFromSource,
  kCount
};
constexpr std::array<const char*, static_cast<size_t>(Close::kCount)> kCloseNames = {
    "oversize", "read_timeout", "idle_timeout", "no_reply", "too_many_connections",
    "too_many_from_source"};

}  // namespace

class TcpConnection;

class TcpCore {
 public:
  TcpCore(HandleTcpServerOptions options, NativeHandler handler, MetricsRegistry* metrics)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        acceptor_(asio::make_strand(ioc_)),
        retry_timer_(acceptor_.get_executor()) {
    MetricsRegistry* m = metrics != nullptr ? metrics : &MetricsRegistry::Default();
    for (size_t i = 0; i < kCloseNames.size(); ++i) {
      closed_[i] = &m->GetCounter("qilian_handle_tcp_closed_total",
                                  "Handle TCP connections closed by the server for a limit, by "
                                  "reason.",
                                  {{"reason", kCloseNames[i]}});
    }
    connections_ = &m->GetGauge("qilian_handle_tcp_connections", "Open Handle TCP connections.");
    messages_ = &m->GetCounter("qilian_handle_tcp_messages_total",
                               "Whole Handle messages received over TCP.");
    bytes_in_ = &m->GetCounter("qilian_handle_tcp_bytes_total", "Handle protocol TCP octets.",
                               {{"direction", "in"}});
    bytes_out_ = &m->GetCounter("qilian_handle_tcp_bytes_total", "Handle protocol TCP octets.",
                                {{"direction", "out"}});
  }

  absl::Status Start();
  void Stop();
  void DoAccept();

  void Register(TcpConnection* c, std::weak_ptr<TcpConnection> w, const std::string& source) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[c] = std::move(w);
    per_source_.Add(source);
    connections_->Set(static_cast<int64_t>(sessions_.size()));
  }
  void Unregister(TcpConnection* c, const std::string& source) {
    std::lock_guard<std::mutex> lock(mu_);
    // Refused connections were never registered: nothing to take back.
    if (sessions_.erase(c) != 0) {
      per_source_.Release(source);
    }
    connections_->Set(static_cast<int64_t>(sessions_.size()));
    if (sessions_.empty()) drained_.notify_all();
  }
  size_t SessionCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_.size();
  }
  size_t SourceCount(const std::string& source) {
    std::lock_guard<std::mutex> lock(mu_);
    return per_source_.Count(source);
  }
  void CountClose(Close c) { closed_[static_cast<size_t>(c)]->Inc(); }

  const HandleTcpServerOptions options_;
  const NativeHandler handler_;
  std::array<Counter*, static_cast<size_t>(Close::kCount)> closed_{};
  Gauge* connections_ = nullptr;
  Counter* messages_ = nullptr;
  Counter* bytes_in_ = nullptr;
  Counter* bytes_out_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<uint16_t> port_{0};

  // Declared before ioc_: connections still queued in the io_context when
  // it is destroyed unregister themselves here.
  std::mutex mu_;
  std::condition_variable drained_;
  std::unordered_map<TcpConnection*, std::weak_ptr<TcpConnection>> sessions_;
  // Open connections per SourceKey; an address leaves when its last closes,
  // so the map never holds more entries than there are connections.
  SourceCounts per_source_;

  asio::io_context ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::unique_ptr<asio::thread_pool> pool_;
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool stopped_ = false;
};

// One connection. Every member is touched only on the connection's strand
// (the socket's executor); the worker pool hands results back through it.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(TcpCore* server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    peer_.transport = ident::Transport::kTcp;
    static std::atomic<uint64_t> next_connection{1};
    peer_.connection = next_connection.fetch_add(1, std::memory_order_relaxed);
    error_code ec;
    tcp::endpoint remote = socket_.remote_endpoint(ec);
    if (!ec) {
      peer_.address = remote.address().to_string();
      peer_.is_loopback = IsLoopback(remote.address());
      source_ = SourceKey(remote.address());
    }
  }
  ~TcpConnection() { server_->Unregister(this, source_); }

  const std::string& source() const { return source_; }

  void Start() {
    server_->Register(this, weak_from_this(), source_);
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->Next(); });
  }

  void Refuse(Close reason) {
    server_->CountClose(reason);
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->Shut(); });
  }

  // On Stop(): a connection between messages closes now; one with a
  // message in flight closes after answering it.
  void Shutdown() {
    if (!busy_) Shut();
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  void Arm(std::chrono::milliseconds d, Close reason) {
    uint64_t gen = ++timer_gen_;
    timer_.expires_after(d);
    timer_.async_wait([self = shared_from_this(), gen, reason](error_code ec) {
      if (ec || gen != self->timer_gen_ || self->closed_) return;
      self->server_->CountClose(reason);
      self->Shut();
    });
  }

  void Disarm() {
    ++timer_gen_;
    message_deadline_ = false;
    timer_.cancel();
  }

  // Answers the next buffered message, or reads until one is complete.
  void Next() {
    if (closed_) return;
    if (buffer_.size() >= wire::kEnvelopeSize) {
      wire::Envelope env;
      wire::DecodeEnvelope(std::span<const uint8_t>(buffer_.data(), buffer_.size()), &env);
      if (env.message_length > server_->options_.max_message_bytes) {
        server_->CountClose(Close::kOversize);
        Shut();
        return;
      }
      size_t total = wire::kEnvelopeSize + env.message_length;
      if (buffer_.size() >= total) {
        Dispatch(total);
        return;
      }
    }
    if (server_->stopping_ && buffer_.empty()) {
      Shut();
      return;
    }
    if (buffer_.empty()) {
      Disarm();
      Arm(server_->options_.idle_timeout, Close::kIdleTimeout);
    } else if (!message_deadline_) {
      // The deadline for the whole message starts with its first octet and
      // does not move as more arrive.
      Arm(server_->options_.read_timeout, Close::kReadTimeout);
      message_deadline_ = true;
    }
    Read();
  }

  void Read() {
    socket_.async_read_some(asio::buffer(chunk_),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              if (self->closed_) return;
                              if (ec) {
                                // Peer gone (or half-closed with nothing complete
                                // left to answer), or a timeout closed us.
                                self->Shut();
                                return;
                              }
                              self->server_->bytes_in_->Inc(n);
                              self->buffer_.insert(self->buffer_.end(), self->chunk_.begin(),
                                                   self->chunk_.begin() + n);
                              self->Next();
                            });
  }

  void Dispatch(size_t total) {
    Disarm();
    busy_ = true;
    server_->messages_->Inc();
    auto message = std::make_shared<std::vector<uint8_t>>(buffer_.begin(),
                                                          buffer_.begin() + total);
    buffer_.erase(buffer_.begin(), buffer_.begin() + total);
    std::span<const uint8_t> view(*message);
    if (server_->handler_.may_block && server_->handler_.may_block(view)) {
      asio::post(*server_->pool_, [self = shared_from_this(), message] {
        auto reply = std::make_shared<std::optional<ident::NativeReply>>(
            self->CallHandler(*message));
        asio::post(self->socket_.get_executor(),
                   [self, reply] { self->Respond(std::move(*reply)); });
      });
      return;
    }
    Respond(CallHandler(view));
  }

  std::optional<ident::NativeReply> CallHandler(std::span<const uint8_t> message) {
    // The boundary where a handler's exception becomes a closed connection
    // instead of a dead thread.
    try {
      return server_->handler_.handle(message, peer_);
    } catch (const std::exception& e) {
      LogError("handle.tcp.handler_exception", {{"what", e.what()}, {"peer", peer_.address}});
    } catch (...) {
      LogError("handle.tcp.handler_exception", {{"peer", peer_.address}});
    }
    return std::nullopt;
  }

  void Respond(std::optional<ident::NativeReply> reply) {
    if (closed_) return;
    if (!reply) {
      busy_ = false;
      server_->CountClose(Close::kNoReply);
      Shut();
      return;
    }
    reply_ = std::move(reply->message);
    // A client that stops reading must not hold the connection forever.
    Arm(server_->options_.idle_timeout, Close::kIdleTimeout);
    asio::async_write(socket_, asio::buffer(reply_),
                      [self = shared_from_this()](error_code ec, size_t n) {
                        self->busy_ = false;
                        self->Disarm();
                        if (ec || self->closed_) {
                          self->Shut();
                          return;
                        }
                        self->server_->bytes_out_->Inc(n);
                        self->reply_.clear();
                        self->Next();
                      });
  }

  void Shut() {
    if (closed_) return;
    closed_ = true;
    ++timer_gen_;
    timer_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  TcpCore* const server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  bool message_deadline_ = false;
  bool busy_ = false;
  bool closed_ = false;
  ident::Peer peer_;
  std::string source_;
  std::vector<uint8_t> buffer_;
  std::array<uint8_t, kReadChunk> chunk_{};
  std::string reply_;
};

absl::Status TcpCore::Start() {
  error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.listen, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid listen address '", options_.listen, "': ", ec.message()));
  }
  tcp::endpoint endpoint(address, options_.port);
  auto fail = [&](const char* what) {
    return absl::UnavailableError(absl::StrCat("cannot ", what, " TCP ", address.to_string(),
                                               ":", options_.port, ": ", ec.message()));
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open socket for");
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  port_ = acceptor_.local_endpoint(ec).port();

  unsigned io_threads = options_.io_threads;
  if (io_threads == 0) io_threads = std::max(1u, std::thread::hardware_concurrency());
  pool_ = std::make_unique<asio::thread_pool>(std::max(1u, options_.worker_threads));
  work_.emplace(ioc_.get_executor());
  asio::dispatch(acceptor_.get_executor(), [this] { DoAccept(); });
  for (unsigned i = 0; i < io_threads; ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
  started_ = true;
  LogInfo("handle.tcp.listen", {{"address", options_.listen},
                                {"port", static_cast<int>(port_)},
                                {"io_threads", static_cast<int>(io_threads)}});
  return absl::OkStatus();
}

void TcpCore::DoAccept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](error_code ec, tcp::socket socket) {
    if (stopping_ || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or similar: back off instead of spinning.
      LogWarn("handle.tcp.accept_failed", {{"error", ec.message()}});
      retry_timer_.expires_after(std::chrono::milliseconds(50));
      retry_timer_.async_wait([this](error_code e) {
        if (!e && !stopping_) DoAccept();
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    bool full = SessionCount() >= options_.max_connections;
    auto connection = std::make_shared<TcpConnection>(this, std::move(socket));
    if (full) {
      connection->Refuse(Close::kTooMany);
    } else if (options_.max_connections_per_source != 0 &&
               SourceCount(connection->source()) >= options_.max_connections_per_source) {
      // Checked and registered on the acceptor's strand, one accept at a
      // time, so two connections cannot both take the last slot.
      connection->Refuse(Close::kTooManyFromSource);
    } else {
      connection->Start();
    }
    DoAccept();
  });
}

void TcpCore::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_ = true;
  std::promise<void> closed;
  asio::post(acceptor_.get_executor(), [this, &closed] {
    error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  std::vector<std::shared_ptr<TcpConnection>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) {
    asio::post(s->executor(), [s] { s->Shutdown(); });
  }
  live.clear();
  {
    std::unique_lock<std::mutex> lock(mu_);
    drained_.wait_for(lock, options_.drain_timeout, [this] { return sessions_.empty(); });
  }
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  pool_->join();
}

class HandleTcpServer::Impl : public TcpCore {
 public:
  using TcpCore::TcpCore;
};

HandleTcpServer::HandleTcpServer(HandleTcpServerOptions options, NativeHandler handler,
                                 MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), metrics)) {}

HandleTcpServer::~HandleTcpServer() { Stop(); }

absl::Status HandleTcpServer::Start() { return impl_->Start(); }

uint16_t HandleTcpServer::port() const { return impl_->port_; }

void HandleTcpServer::Stop() { impl_->Stop(); }

}  // namespace qilian::net
