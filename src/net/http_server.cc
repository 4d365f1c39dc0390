#include "net/http_server.h"
#include "net/source_counts.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/status.h"

namespace qilian::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

namespace {

// Bounds how long a rejected client may keep sending after its answer; the
// drain lets the answer reach it instead of being lost to a TCP reset.
constexpr std::chrono::milliseconds kLingerTimeout{1000};

bool IsLoopback(const asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().is_loopback();
  const asio::ip::address_v6 v6 = a.to_v6();
  if (v6.is_loopback()) return true;
  return v6.is_v4_mapped() &&
         asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ErrorBody(int response_code, std::string_view message) {
  return absl::StrCat("{\"responseCode\":", response_code, ",\"message\":\"",
                      JsonEscape(message), "\"}");
}

enum class Reject {
  kBodyTooLarge,
  kHeaderTooLarge,
  kMalformed,
  kLengthConflict,
  kHeaderTimeout,
  kBodyTimeout,
  kTooManyConnections,
  kTooManyFromSource,
  kCount,
};

constexpr std::array<const char*, static_cast<size_t>(Reject::kCount)> kRejectNames = {
    "body_too_large", "header_too_large", "malformed",          "length_conflict",
    "header_timeout", "body_timeout",     "too_many_connections", "too_many_from_source"};

// Why a TLS handshake failed, for qilian_http_tls_handshake_failures_total.
enum class TlsFailure {
  kTimeout,            // not completed within tls_handshake_timeout
  kPlainHttp,          // an HTTP request sent in the clear to the TLS port
  kProtocolVersion,    // TLS 1.2 or older, or not TLS at all
  kClientCertificate,  // client certificate missing (when required) or not verified
  kPeerClosed,         // the peer went away mid-handshake
  kOther,
  kCount,
};

constexpr std::array<const char*, static_cast<size_t>(TlsFailure::kCount)> kTlsFailureNames = {
    "timeout", "plain_http", "protocol_version", "client_certificate", "peer_closed", "other"};

TlsFailure ClassifyHandshakeError(error_code ec, bool timed_out) {
  if (ec == asio::error::operation_aborted && timed_out) return TlsFailure::kTimeout;
  if (ec.category() == asio::error::get_ssl_category()) {
    switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
      case SSL_R_HTTP_REQUEST:
      case SSL_R_HTTPS_PROXY_REQUEST:
        return TlsFailure::kPlainHttp;
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_WRONG_VERSION_NUMBER:
      case SSL_R_VERSION_TOO_LOW:
      case SSL_R_PACKET_LENGTH_TOO_LONG:
        return TlsFailure::kProtocolVersion;
      case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      case SSL_R_CERTIFICATE_VERIFY_FAILED:
      case SSL_R_NO_CERTIFICATES_RETURNED:
        return TlsFailure::kClientCertificate;
      default:
        return TlsFailure::kOther;
    }
  }
  if (ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::ssl::error::stream_truncated || ec == asio::error::broken_pipe) {
    return TlsFailure::kPeerClosed;
  }
  return TlsFailure::kOther;
}

// The verified peer certificate's subject in RFC 2253 form; empty if none.
std::string PeerSubject(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  std::string out;
  if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    if (n > 0) out.assign(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  return out;
}

// The last OpenSSL error as text, clearing the queue.
std::string OpenSslError() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Distinguishes an unreadable file (errno) from bad contents (OpenSSL's
// reason) in start errors.
absl::Status CheckReadable(const char* option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(option, " '", path,
                                                   "': cannot read file: ",
                                                   std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status KeyMismatch(const HttpServerOptions& o) {
  return absl::InvalidArgumentError(absl::StrCat(
      "tls_key '", o.tls_key, "' does not match the certificate in tls_cert '", o.tls_cert, "'"));
}

// The TLS 1.3-only server context from the options' files.
absl::StatusOr<std::unique_ptr<asio::ssl::context>> MakeTlsContext(
    const HttpServerOptions& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError(o.tls_cert.empty()
                                          ? "tls_key is set but tls_cert is not: both are needed"
                                          : "tls_cert is set but tls_key is not: both are needed");
  }
  QL_RETURN_IF_ERROR(CheckReadable("tls_cert", o.tls_cert));
  QL_RETURN_IF_ERROR(CheckReadable("tls_key", o.tls_key));
  if (!o.tls_client_ca.empty()) QL_RETURN_IF_ERROR(CheckReadable("tls_client_ca", o.tls_client_ca));

  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return absl::InternalError(absl::StrCat("cannot restrict TLS to 1.3: ", OpenSslError()));
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(native, o.tls_cert.c_str()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls_cert '", o.tls_cert, "': not a PEM certificate chain: ", OpenSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(native, o.tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    // Loading already compares the key with the certificate.
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_X509 && (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH ||
                                           ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)) {
      ERR_clear_error();
      return KeyMismatch(o);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "tls_key '", o.tls_key, "': not a usable PEM private key: ", OpenSslError()));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return KeyMismatch(o);
  }
  // Resumed sessions skip certificate verification; OpenSSL refuses to
  // resume without a context id once peers are verified.
  static constexpr unsigned char kSessionContext[] = "qiliand-http";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  if (!o.tls_client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(native, o.tls_client_ca.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tls_client_ca '", o.tls_client_ca, "': not a PEM CA bundle: ", OpenSslError()));
    }
    // Names the acceptable issuers in the CertificateRequest so clients
    // holding several certificates pick the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.tls_client_ca.c_str());
    if (names == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tls_client_ca '", o.tls_client_ca, "': no CA certificates in it: ", OpenSslError()));
    }
    SSL_CTX_set_client_CA_list(native, names);
    int mode = SSL_VERIFY_PEER;
    if (o.tls_require_client_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(native, mode, nullptr);
  } else if (o.tls_require_client_cert) {
    return absl::InvalidArgumentError(
        "tls_client_cert is \"required\" but tls_client_ca is not set");
  }
  return ctx;
}

// Bytes read at once while a TLS connection waits for its next request.
constexpr size_t kIdleReadBytes = 4096;

}  // namespace

bool IsLoopbackAddress(const std::string& address) {
  error_code ec;
  asio::ip::address a = asio::ip::make_address(address, ec);
  return !ec && IsLoopback(a);
}

// What the server needs of a connection, whatever its stream: Stop() reaches
// every live one through this.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Shutdown() = 0;
  virtual asio::any_io_executor executor() = 0;
};

// The server proper; HttpServer::Impl only names it for the header.

class ServerCore {
 public:
  ServerCore(HttpServerOptions options, HttpHandler handler, HttpMayBlock may_block,
       MetricsRegistry* metrics)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        may_block_(std::move(may_block)),
        metrics_(metrics != nullptr ? metrics : &MetricsRegistry::Default()),
        acceptor_(asio::make_strand(ioc_)),
        retry_timer_(acceptor_.get_executor()) {
    for (size_t i = 0; i < kRejectNames.size(); ++i) {
      rejected_[i] = &metrics_->GetCounter(
          "qilian_http_rejected_total",
          "HTTP requests answered with an error before reaching a handler, by reason.",
          {{"reason", kRejectNames[i]}});
    }
    connections_ = &metrics_->GetGauge("qilian_http_connections", "Open HTTP connections.");
    if (!options_.tls_cert.empty() || !options_.tls_key.empty()) {
      for (size_t i = 0; i < kTlsFailureNames.size(); ++i) {
        tls_failures_[i] = &metrics_->GetCounter(
            "qilian_http_tls_handshake_failures_total",
            "HTTPS connections closed because the TLS handshake failed, by reason.",
            {{"reason", kTlsFailureNames[i]}});
      }
    }
  }

  absl::Status Start();
  void Stop();
  void DoAccept();

  void Register(SessionBase* s, std::weak_ptr<SessionBase> w) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[s] = std::move(w);
    connections_->Set(static_cast<int64_t>(sessions_.size()));
  }
  // `source`: the SourceKey AcquireSource admitted the session under, or
  // null if it holds no per-source slot (limit off, or refused).
  void Unregister(SessionBase* s, const std::string* source) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(s);
    if (source != nullptr) {
      per_source_.Release(*source);
    }
    connections_->Set(static_cast<int64_t>(sessions_.size()));
    if (sessions_.empty()) drained_.notify_all();
  }
  size_t SessionCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return sessions_.size();
  }
  // Takes one of `source`'s max_connections_per_source slots; false if all
  // are taken. Check and take are one step, so concurrent accepts cannot
  // both get the last slot.
  bool AcquireSource(const std::string& source) {
    std::lock_guard<std::mutex> lock(mu_);
    return per_source_.Acquire(source, options_.max_connections_per_source);
  }
  void CountReject(Reject r) { rejected_[static_cast<size_t>(r)]->Inc(); }
  void CountTlsFailure(TlsFailure f) { tls_failures_[static_cast<size_t>(f)]->Inc(); }

  const HttpServerOptions options_;
  const HttpHandler handler_;
  const HttpMayBlock may_block_;
  MetricsRegistry* const metrics_;
  std::array<Counter*, static_cast<size_t>(Reject::kCount)> rejected_{};
  std::array<Counter*, static_cast<size_t>(TlsFailure::kCount)> tls_failures_{};
  Gauge* connections_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<uint16_t> port_{0};
  // Set by Start() when TLS is configured; read-only afterwards.
  std::unique_ptr<asio::ssl::context> tls_context_;

  // Declared before ioc_: sessions still queued in the io_context when it is
  // destroyed unregister themselves here.
  std::mutex mu_;
  std::condition_variable drained_;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
  // Admitted connections per SourceKey (max_connections_per_source only);
  // an address leaves when its last closes, so the map never holds more
  // entries than there are connections.
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

using TlsStream = asio::ssl::stream<tcp::socket>;

// One connection over Stream: tcp::socket (plain HTTP) or TlsStream. Every
// member is touched only on the connection's strand (the stream's executor);
// the worker pool hands results back through it.
template <typename Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(ServerCore* server, tcp::socket socket)
    requires(!std::is_same_v<Stream, TlsStream>)
      : server_(server), stream_(std::move(socket)), timer_(stream_.get_executor()) {
    InitPeer();
  }
  Session(ServerCore* server, tcp::socket socket, asio::ssl::context& context)
    requires(std::is_same_v<Stream, TlsStream>)
      : server_(server), stream_(std::move(socket), context), timer_(stream_.get_executor()) {
    InitPeer();
  }
  ~Session() override { server_->Unregister(this, source_held_ ? &source_ : nullptr); }

  // Before Start(), with max_connections_per_source set: whether this
  // connection's address has a slot left (taking it if so).
  bool AcquireSourceSlot() {
    if (source_.empty()) return true;  // the peer is already gone: nothing to count
    source_held_ = server_->AcquireSource(source_);
    return source_held_;
  }

  void Start() {
    server_->Register(this, this->weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadHeader();
      }
    });
  }

  // Refuses a connection over a connection limit (kTooManyConnections or
  // kTooManyFromSource). Registered all the same so Stop() reaches it while
  // the 503 drains; it holds no per-source slot.
  void RejectBusy(Reject reason) {
    server_->Register(this, this->weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this(), reason] {
      if constexpr (kTls) {
        // A handshake only to say 503 would spend the CPU the limit saves.
        self->server_->CountReject(reason);
        self->Close();
      } else {
        self->Fail(503, reason, 3,
                   reason == Reject::kTooManyFromSource ? "too many connections from this address"
                                                        : "too many connections");
      }
    });
  }

  // Called on Stop(): connections waiting for a request close now; those
  // with a request in flight close after answering it.
  void Shutdown() override {
    if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake ||
        (phase_ == Phase::kHeader && buffer_.size() == 0)) {
      Close();
    }
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  enum class Phase {
    kHandshake, kIdle, kHeader, kBody, kHandling, kWriting, kClosing, kClosed
  };

  tcp::socket& Socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  void InitPeer() {
    error_code ec;
    tcp::endpoint peer = Socket().remote_endpoint(ec);
    if (!ec) {
      remote_address_ = peer.address().to_string();
      remote_is_loopback_ = IsLoopback(peer.address());
      if (server_->options_.max_connections_per_source != 0) source_ = SourceKey(peer.address());
    }
  }

  void Arm(std::chrono::milliseconds d) {
    uint64_t gen = ++timer_gen_;
    timed_out_ = false;
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this(), gen](error_code ec) {
      if (ec || gen != self->timer_gen_) return;
      self->timed_out_ = true;
      error_code ignored;
      self->Socket().cancel(ignored);
    });
  }

  void Disarm() {
    ++timer_gen_;
    timer_.cancel();
  }

  void Handshake() {
    phase_ = Phase::kHandshake;
    Arm(server_->options_.tls_handshake_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](error_code ec) {
                              self->OnHandshake(ec);
                            });
  }

  void OnHandshake(error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      TlsFailure reason = ClassifyHandshakeError(ec, timed_out_);
      server_->CountTlsFailure(reason);
      LogDebug("http.tls_handshake_failed",
               {{"peer", remote_address_},
                {"reason", kTlsFailureNames[static_cast<size_t>(reason)]},
                {"error", ec.message()}});
      Close();
      return;
    }
    if constexpr (kTls) {
      tls_client_subject_ = PeerSubject(stream_.native_handle());
    }
    ReadHeader();
  }

  // Waits, without a request in progress, for the next one to begin.
  void WaitIdle() {
    phase_ = Phase::kIdle;
    Arm(server_->options_.idle_timeout);
    if constexpr (kTls) {
      // Waiting on the socket could miss a request whose records the TLS
      // engine has already taken off it; read through the stream instead.
      stream_.async_read_some(
          buffer_.prepare(kIdleReadBytes),
          [self = this->shared_from_this()](error_code ec, size_t n) {
            if (ec || self->server_->stopping_) {
              self->Close();
              return;
            }
            self->buffer_.commit(n);
            self->ReadHeader();
          });
    } else {
      stream_.async_wait(tcp::socket::wait_read, [self = this->shared_from_this()](error_code ec) {
        if (ec || self->server_->stopping_) {
          self->Close();  // idle timeout or peer gone: nothing to say
          return;
        }
        self->ReadHeader();
      });
    }
  }

  void ReadHeader() {
    if (server_->stopping_ && buffer_.size() == 0) {
      Close();
      return;
    }
    phase_ = Phase::kHeader;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options_.max_header_bytes));
    // The body's limit depends on the target: OnHeader sets it, and checks
    // Content-Length against it, once the header is read.
    body_limit_ = server_->options_.max_body_bytes;
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Arm(server_->options_.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      if (ec == asio::error::operation_aborted && timed_out_) {
        Fail(408, Reject::kHeaderTimeout, 4,
             absl::StrCat("request header not received within ",
                          server_->options_.header_timeout.count(), " ms"));
      } else if (IsDisconnect(ec)) {
        Close();
      } else if (ec == http::error::header_limit) {
        Fail(431, Reject::kHeaderTooLarge, 4,
             absl::StrCat("request header section exceeds ", server_->options_.max_header_bytes,
                          " bytes"));
      } else if (ec == http::error::body_limit) {
        FailBodyTooLarge();
      } else if (ec == http::error::bad_content_length ||
                 ec == http::error::bad_transfer_encoding) {
        // Beast stops at the offending field, so the fields already stored
        // tell which framing rule the request broke.
        const auto& msg = parser_->get();
        bool has_cl = msg.count(http::field::content_length) > 0;
        bool has_te = msg.count(http::field::transfer_encoding) > 0;
        if ((ec == http::error::bad_content_length && has_te) ||
            (ec == http::error::bad_transfer_encoding && has_cl)) {
          FailConflict();
        } else if (ec == http::error::bad_content_length && has_cl) {
          Fail(400, Reject::kLengthConflict, 4,
               "malformed HTTP request: conflicting Content-Length values");
        } else {
          FailMalformed(ec.message());
        }
      } else {
        FailMalformed(ec.message());
      }
      return;
    }
    const auto& msg = parser_->get();
    if (server_->options_.body_limit_for) {
      size_t limit = server_->options_.body_limit_for(
          std::string_view(msg.target().data(), msg.target().size()));
      if (limit > 0) body_limit_ = std::min(limit, std::max(body_limit_,
                                                            server_->options_.max_bulk_body_bytes));
    }
    if (auto length = parser_->content_length(); length && *length > body_limit_) {
      FailBodyTooLarge();
      return;
    }
    parser_->body_limit(body_limit_);
    if (msg.count(http::field::transfer_encoding) > 0) {
      // Beast accepts Content-Length after a Transfer-Encoding that does not
      // end in chunked, and reads no body for such a coding at all; either
      // way the body's end would be ambiguous (request smuggling).
      if (msg.count(http::field::content_length) > 0) {
        FailConflict();
        return;
      }
      if (!parser_->chunked()) {
        FailMalformed("unsupported Transfer-Encoding");
        return;
      }
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    auto expect = msg.find(http::field::expect);
    if (expect != msg.end() && msg.version() >= 11 &&
        beast::iequals(expect->value(), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      Arm(server_->options_.body_timeout);
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](error_code ec, size_t) {
                          if (ec) {
                            self->Close();
                            return;
                          }
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    phase_ = Phase::kBody;
    Arm(server_->options_.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (!ec) {
      Dispatch();
    } else if (ec == asio::error::operation_aborted && timed_out_) {
      Fail(408, Reject::kBodyTimeout, 4,
           absl::StrCat("request body not received within ",
                        server_->options_.body_timeout.count(), " ms"));
    } else if (ec == http::error::body_limit) {
      FailBodyTooLarge();
    } else if (IsDisconnect(ec)) {
      Close();
    } else {
      FailMalformed(ec.message());
    }
  }

  void Dispatch() {
    Disarm();
    phase_ = Phase::kHandling;
    auto& msg = parser_->get();
    auto request = std::make_shared<HttpRequest>();
    request->method = std::string(msg.method_string());
    request->target = std::string(msg.target());
    for (const auto& field : msg) {
      request->headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                    std::string(field.value()));
    }
    request->body = std::move(msg.body());
    request->remote_address = remote_address_;
    request->remote_is_loopback = remote_is_loopback_;
    if constexpr (kTls) {
      request->tls = true;
      request->tls_client_subject = tls_client_subject_;
    }
    bool keep_alive = msg.keep_alive();
    parser_.reset();

    if (server_->may_block_ && server_->may_block_(*request)) {
      asio::post(*server_->pool_, [self = this->shared_from_this(), request, keep_alive] {
        auto response = std::make_shared<HttpResponse>(self->CallHandler(*request));
        asio::post(self->stream_.get_executor(), [self, response, keep_alive] {
          self->Respond(std::move(*response), keep_alive);
        });
      });
      return;
    }
    Respond(CallHandler(*request), keep_alive);
  }

  HttpResponse CallHandler(const HttpRequest& request) {
    // The boundary where a handler's exception (allocation failure, a
    // library that throws) becomes an answer instead of killing a thread.
    try {
      return server_->handler_(request);
    } catch (const std::exception& e) {
      LogError("http.handler_exception", {{"what", e.what()}, {"target", request.target}});
    } catch (...) {
      LogError("http.handler_exception", {{"target", request.target}});
    }
    HttpResponse r;
    r.status = 500;
    r.body = ErrorBody(2, "internal error");
    return r;
  }

  void Respond(HttpResponse response, bool keep_alive) {
    if (phase_ == Phase::kClosed) return;
    keep_alive = keep_alive && !server_->stopping_;
    Write(std::move(response), keep_alive, /*linger=*/false);
  }

  void Write(HttpResponse response, bool keep_alive, bool linger) {
    phase_ = Phase::kWriting;
    response_.emplace(static_cast<http::status>(response.status), 11);
    response_->set(http::field::server, "qiliand");
    if (!response.content_type.empty()) {
      response_->set(http::field::content_type, response.content_type);
    }
    for (const auto& [k, v] : response.headers) response_->insert(k, v);
    response_->body() = std::move(response.body);
    response_->keep_alive(keep_alive);
    response_->prepare_payload();
    // A client that stops reading must not hold the connection forever.
    Arm(server_->options_.idle_timeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this(), keep_alive, linger](error_code ec, size_t) {
                        self->OnWrite(ec, keep_alive, linger);
                      });
  }

  void OnWrite(error_code ec, bool keep_alive, bool linger) {
    Disarm();
    response_.reset();
    if (ec) {
      Close();
    } else if (linger) {
      LingerClose();
    } else if (!keep_alive || server_->stopping_) {
      LingerClose();
    } else if (buffer_.size() > 0) {
      ReadHeader();  // a pipelined request is already buffered
    } else {
      WaitIdle();
    }
  }

  void FailBodyTooLarge() {
    Fail(413, Reject::kBodyTooLarge, 2,
         absl::StrCat("request body exceeds ", body_limit_, " bytes"));
  }
  void FailConflict() {
    Fail(400, Reject::kLengthConflict, 4,
         "malformed HTTP request: both Content-Length and Transfer-Encoding present");
  }
  void FailMalformed(std::string_view what) {
    Fail(400, Reject::kMalformed, 4, absl::StrCat("malformed HTTP request: ", std::string(what)));
  }

  // Answers once and closes: after a framing error the rest of the stream
  // cannot be trusted.
  void Fail(int status, Reject reason, int response_code, std::string_view message) {
    server_->CountReject(reason);
    parser_.reset();
    HttpResponse r;
    r.status = status;
    r.body = ErrorBody(response_code, message);
    Write(std::move(r), /*keep_alive=*/false, /*linger=*/true);
  }

  // Half-closes, then reads and discards until the peer closes or a short
  // deadline passes, so the response is not destroyed by a reset. Over TLS
  // a close_notify goes first (the engine discards what arrives meanwhile).
  void LingerClose() {
    phase_ = Phase::kClosing;
    Arm(kLingerTimeout);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](error_code ec) {
        if (self->phase_ == Phase::kClosed) return;
        if (ec == asio::error::operation_aborted && self->timed_out_) {
          self->Close();
          return;
        }
        self->HalfCloseAndDrain();
      });
    } else {
      HalfCloseAndDrain();
    }
  }

  void HalfCloseAndDrain() {
    error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_send, ignored);
    Drain();
  }

  void Drain() {
    Socket().async_read_some(asio::buffer(drain_),
                             [self = this->shared_from_this()](error_code ec, size_t) {
                               if (ec) {
                                 self->Close();
                               } else {
                                 self->Drain();
                               }
                             });
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    Disarm();
    error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_both, ignored);
    Socket().close(ignored);
  }

  static bool IsDisconnect(error_code ec) {
    return ec == http::error::end_of_stream || ec == http::error::partial_message ||
           ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::operation_aborted ||
           ec == asio::ssl::error::stream_truncated;
  }

  ServerCore* const server_;
  Stream stream_;
  asio::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  bool timed_out_ = false;
  Phase phase_ = Phase::kHeader;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  size_t body_limit_ = 0;  // this request's: max_body_bytes or body_limit_for's
  std::optional<http::response<http::string_body>> response_;
  std::array<char, 4096> drain_{};
  std::string remote_address_;
  bool remote_is_loopback_ = false;
  std::string tls_client_subject_;  // TLS only
  // SourceKey of the peer; empty when max_connections_per_source is off (or
  // the peer address is unknown, when the connection is not limited).
  std::string source_;
  bool source_held_ = false;  // holds a slot in ServerCore::per_source_
};

absl::Status ServerCore::Start() {
  if (!options_.tls_cert.empty() || !options_.tls_key.empty()) {
    QL_ASSIGN_OR_RETURN(tls_context_, MakeTlsContext(options_));
  }
  error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.listen, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid listen address '", options_.listen, "': ", ec.message()));
  }
  tcp::endpoint endpoint(address, options_.port);
  auto fail = [&](const char* what) {
    return absl::UnavailableError(absl::StrCat("cannot ", what, " ", address.to_string(), ":",
                                               options_.port, ": ", ec.message()));
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
  return absl::OkStatus();
}

void ServerCore::DoAccept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](error_code ec, tcp::socket socket) {
    if (stopping_ || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or similar: back off instead of spinning.
      LogWarn("http.accept_failed", {{"error", ec.message()}});
      retry_timer_.expires_after(std::chrono::milliseconds(50));
      retry_timer_.async_wait([this](error_code e) {
        if (!e && !stopping_) DoAccept();
      });
      return;
    }
    bool full = SessionCount() >= options_.max_connections;
    auto begin = [this, full](auto session) {
      if (full) {
        session->RejectBusy(Reject::kTooManyConnections);
      } else if (options_.max_connections_per_source != 0 && !session->AcquireSourceSlot()) {
        session->RejectBusy(Reject::kTooManyFromSource);
      } else {
        session->Start();
      }
    };
    if (tls_context_) {
      begin(std::make_shared<Session<TlsStream>>(this, std::move(socket), *tls_context_));
    } else {
      begin(std::make_shared<Session<tcp::socket>>(this, std::move(socket)));
    }
    DoAccept();
  });
}

void ServerCore::Stop() {
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

  std::vector<std::shared_ptr<SessionBase>> live;
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

class HttpServer::Impl : public ServerCore {
 public:
  using ServerCore::ServerCore;
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, HttpMayBlock may_block,
                       MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(may_block),
                                   metrics)) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() { return impl_->Start(); }

uint16_t HttpServer::port() const { return impl_->port_; }

void HttpServer::Stop() { impl_->Stop(); }

}  // namespace qilian::net
