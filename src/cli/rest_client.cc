#include "cli/rest_client.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <zlib.h>

namespace qilian::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// A listing of many identifiers is the largest reply; well above any
// sane page, well below what would hurt the machine.
constexpr uint64_t kMaxReplyBody = 256ull << 20;
constexpr char kUserAgent[] = "qilian-cli/0.1";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

// The message of a socket error the way people know it from other tools
// ("Connection refused"), with Asio's own wording as the fallback.
std::string Describe(const beast::error_code& ec) {
  if (ec == asio::error::eof || ec == http::error::end_of_stream) {
    return "connection closed by server";
  }
  std::string text = ec.message();
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(text[0]));
  return text;
}

std::string FormatSeconds(std::chrono::milliseconds d) {
  std::string text = std::to_string(d.count() / 1000);
  if (int64_t ms = d.count() % 1000; ms != 0) {
    std::string frac = std::to_string(ms + 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    text += "." + frac;
  }
  return text + "s";
}

}  // namespace

absl::StatusOr<ServerUrl> ServerUrl::Parse(std::string_view url) {
  std::string_view rest = url;
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  ServerUrl out;
  if (rest.substr(0, kHttp.size()) == kHttp) {
    rest.remove_prefix(kHttp.size());
  } else if (rest.substr(0, kHttps.size()) == kHttps) {
    rest.remove_prefix(kHttps.size());
    out.tls = true;
  } else if (rest.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError("unsupported server URL \"" + std::string(url) +
                                      "\": only http:// and https:// are supported");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);

  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("bad server URL \"" + std::string(url) + "\"");
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return absl::InvalidArgumentError("bad server URL \"" + std::string(url) + "\"");
      }
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError("bad server URL \"" + std::string(url) +
                                      "\": no host");
  }
  if (port.empty()) port = out.tls ? "443" : "80";
  uint32_t port_number = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || port_number > 65535) {
      port_number = 70000;
      break;
    }
    port_number = port_number * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port_number == 0 || port_number > 65535) {
    return absl::InvalidArgumentError("bad server URL \"" + std::string(url) +
                                      "\": bad port");
  }
  out.port = std::to_string(port_number);
  out.base_path = std::string(path);
  bool ipv6 = out.host.find(':') != std::string::npos;
  out.text = (out.tls ? "https://" : "http://") + (ipv6 ? "[" + out.host + "]" : out.host) + ":" + out.port +
             out.base_path;
  return out;
}

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, beast::string_view(name.data(), name.size()))) return value;
  }
  return "";
}

std::string EncodePathSegment(std::string_view handle) { return PercentEncode(handle, true); }

std::string EncodeQueryComponent(std::string_view text) { return PercentEncode(text, false); }

std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    out += out.empty() ? '?' : '&';
    out += EncodeQueryComponent(name);
    out += '=';
    out += EncodeQueryComponent(value);
  }
  return out;
}

absl::StatusOr<std::string> Gzip(std::string_view data) {
  z_stream z{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("gzip: cannot start the compressor");
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (result != Z_STREAM_END) return absl::InternalError("gzip: compression failed");
  return out;
}

struct RestClient::Impl {
  asio::io_context ioc;
  // One of the two is set while a connection is open: plain for http://,
  // TLS for https://.
  std::optional<beast::tcp_stream> stream;
  std::unique_ptr<TlsStream> tls_stream;
  // Made on the first https:// connection, then reused by reconnections.
  std::optional<asio::ssl::context> ssl_ctx;
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;

  // Runs queued asynchronous work to completion; the stream's expiry turns
  // a hung step into beast::error::timeout.
  void Run() {
    ioc.restart();
    ioc.run();
  }

  bool connected() const { return stream.has_value() || tls_stream != nullptr; }

  beast::tcp_stream& lowest() {
    return stream.has_value() ? *stream : beast::get_lowest_layer(*tls_stream);
  }

  // Closes the connection without a TLS close_notify: the server treats a
  // bare close like any other, and the command must not wait on it.
  void Close() {
    if (!connected()) return;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.reset();
    tls_stream.reset();
  }
};

namespace {

// The client context for https://: TLS 1.2 at least (OpenSSL negotiates 1.3
// when the server has it) and peer verification always on.
absl::StatusOr<asio::ssl::context> MakeTlsContext(const TlsClientOptions& options) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  beast::error_code ec;
  ctx.set_verify_mode(asio::ssl::verify_peer, ec);
  if (options.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) {
      return absl::UnavailableError("cannot load the system certificate store: " + ec.message());
    }
    return ctx;
  }
  // Read it ourselves first so an absent or unreadable file is named with
  // the reason people know ("No such file or directory").
  if (FILE* f = std::fopen(options.ca_file.c_str(), "r"); f == nullptr) {
    return absl::InvalidArgumentError("cannot read CA file '" + options.ca_file +
                                      "': " + std::strerror(errno));
  } else {
    std::fclose(f);
  }
  ctx.load_verify_file(options.ca_file, ec);
  if (ec) {
    return absl::InvalidArgumentError("CA file '" + options.ca_file +
                                      "' holds no PEM certificate");
  }
  return ctx;
}

// Asks OpenSSL to check the URL's host against the certificate: an IP
// address against its IP SANs, a name against its DNS SANs (and sends the
// name as SNI; RFC 6066 forbids SNI for addresses).
void SetExpectedHost(SSL* ssl, const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    return;
  }
  SSL_set_tlsext_host_name(ssl, host.c_str());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  SSL_set1_host(ssl, host.c_str());
}

bool IsStale(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::ssl::error::stream_truncated;
}

}  // namespace

RestClient::RestClient(ServerUrl server, std::chrono::milliseconds timeout)
    : RestClient(std::move(server), timeout, TlsClientOptions{}) {}

RestClient::RestClient(ServerUrl server, std::chrono::milliseconds timeout,
                       TlsClientOptions tls)
    : server_(std::move(server)), tls_(std::move(tls)), impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
}

RestClient::~RestClient() { impl_->Close(); }

std::chrono::milliseconds RestClient::timeout() const { return impl_->timeout; }

void RestClient::set_timeout(std::chrono::milliseconds timeout) { impl_->timeout = timeout; }

absl::Status RestClient::Connect() {
  Impl& s = *impl_;
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  auto endpoints = resolver.resolve(server_.host, server_.port, ec);
  if (ec) {
    return absl::UnavailableError("cannot connect to " + server_.text + ": " + Describe(ec));
  }
  if (server_.tls) {
    if (!s.ssl_ctx.has_value()) {
      absl::StatusOr<asio::ssl::context> ctx = MakeTlsContext(tls_);
      if (!ctx.ok()) return ctx.status();
      s.ssl_ctx.emplace(*std::move(ctx));
    }
    s.tls_stream = std::make_unique<TlsStream>(s.ioc, *s.ssl_ctx);
    SetExpectedHost(s.tls_stream->native_handle(), server_.host);
  } else {
    s.stream.emplace(s.ioc);
  }
  beast::tcp_stream& tcp_stream = s.lowest();
  tcp_stream.expires_after(s.timeout);
  tcp_stream.async_connect(endpoints,
                           [&](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
  s.Run();
  if (ec) {
    s.Close();
    if (ec == beast::error::timeout) {
      return absl::DeadlineExceededError("cannot connect to " + server_.text +
                                         ": timed out after " + FormatSeconds(s.timeout));
    }
    return absl::UnavailableError("cannot connect to " + server_.text + ": " + Describe(ec));
  }
  if (!server_.tls) return absl::OkStatus();

  tcp_stream.expires_after(s.timeout);
  s.tls_stream->async_handshake(asio::ssl::stream_base::client,
                                [&](const beast::error_code& e) { ec = e; });
  s.Run();
  if (!ec) return absl::OkStatus();
  const long verify = SSL_get_verify_result(s.tls_stream->native_handle());
  s.Close();
  if (verify != X509_V_OK) {
    return absl::UnavailableError("cannot verify the certificate of " + server_.text + ": " +
                                  X509_verify_cert_error_string(verify));
  }
  if (ec == beast::error::timeout) {
    return absl::DeadlineExceededError("TLS handshake with " + server_.text +
                                       " timed out after " + FormatSeconds(s.timeout));
  }
  return absl::UnavailableError("TLS handshake with " + server_.text + " failed: " +
                                Describe(ec));
}

absl::StatusOr<HttpReply> RestClient::Send(std::string_view method, std::string_view target,
                                           std::string_view body) {
  Impl& s = *impl_;
  const std::string timeout_text = FormatSeconds(s.timeout);

  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(server_.base_path + std::string(target));
  request.version(11);
  bool ipv6 = server_.host.find(':') != std::string::npos;
  request.set(http::field::host,
              (ipv6 ? "[" + server_.host + "]" : server_.host) + ":" + server_.port);
  request.set(http::field::user_agent, kUserAgent);
  request.set(http::field::accept, "application/json");
  if (!authorization_.empty()) request.set(http::field::authorization, authorization_);
  if (!body.empty() || method == "PUT" || method == "POST") {
    request.set(http::field::content_type, content_type_);
    if (!content_encoding_.empty()) {
      request.set(http::field::content_encoding, content_encoding_);
    }
    request.body() = std::string(body);
  }
  request.keep_alive(true);
  request.prepare_payload();

  // One request and its reply on whichever stream is open.
  beast::error_code ec;
  bool got_bytes = false;
  std::optional<http::response_parser<http::string_body>> parser;
  auto exchange = [&](auto& stream) {
    beast::get_lowest_layer(stream).expires_after(s.timeout);
    http::async_write(stream, request, [&](const beast::error_code& e, size_t) { ec = e; });
    s.Run();
    parser.emplace();
    parser->body_limit(kMaxReplyBody);
    parser->header_limit(64 * 1024);
    got_bytes = false;
    if (!ec) {
      s.buffer.clear();
      beast::get_lowest_layer(stream).expires_after(s.timeout);
      http::async_read(stream, s.buffer, *parser, [&](const beast::error_code& e, size_t n) {
        ec = e;
        got_bytes = n > 0;
      });
      s.Run();
    }
  };

  // A kept-alive connection may have been closed by the server since the
  // last request; such a failure before any reply byte earns one retry on a
  // fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = s.connected();
    if (!reused) {
      if (absl::Status connected = Connect(); !connected.ok()) return connected;
    }
    ec = {};
    if (s.tls_stream != nullptr) {
      exchange(*s.tls_stream);
    } else {
      exchange(*s.stream);
    }
    if (ec) {
      s.Close();
      if (ec == beast::error::timeout) {
        return absl::DeadlineExceededError("no answer from " + server_.text + " within " +
                                           timeout_text);
      }
      if (reused && IsStale(ec) && !got_bytes) continue;
      return absl::UnavailableError("connection to " + server_.text + " failed: " +
                                    Describe(ec));
    }
    http::response<http::string_body> response = parser->release();
    if (!response.keep_alive()) s.Close();
    HttpReply reply{static_cast<int>(response.result_int()), std::move(response.body()), {}};
    for (const auto& field : response) {
      reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return reply;
  }
  return absl::UnavailableError("connection to " + server_.text + " failed");
}

}  // namespace qilian::cli
