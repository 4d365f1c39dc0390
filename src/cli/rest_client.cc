#include "cli/rest_client.h"

#include <cctype>
#include <cstdint>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace qilian::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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
  if (rest.substr(0, kHttp.size()) == kHttp) {
    rest.remove_prefix(kHttp.size());
  } else if (rest.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError("unsupported server URL \"" + std::string(url) +
                                      "\": only http:// is supported");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);

  ServerUrl out;
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
  if (port.empty()) port = "80";
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
  out.text = "http://" + (ipv6 ? "[" + out.host + "]" : out.host) + ":" + out.port +
             out.base_path;
  return out;
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

struct RestClient::Impl {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout;

  // Runs queued asynchronous work to completion; the stream's expiry turns
  // a hung step into beast::error::timeout.
  void Run() {
    ioc.restart();
    ioc.run();
  }
};

RestClient::RestClient(ServerUrl server, std::chrono::milliseconds timeout)
    : server_(std::move(server)), impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
}

RestClient::~RestClient() {
  if (impl_->stream.has_value()) {
    beast::error_code ignored;
    impl_->stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
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
  if (!body.empty() || method == "PUT" || method == "POST") {
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
  }
  request.keep_alive(true);
  request.prepare_payload();

  // A kept-alive connection may have been closed by the server since the
  // last request; such a failure before any reply byte earns one retry on a
  // fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = s.stream.has_value();
    beast::error_code ec;
    if (!reused) {
      tcp::resolver resolver(s.ioc);
      auto endpoints = resolver.resolve(server_.host, server_.port, ec);
      if (ec) {
        return absl::UnavailableError("cannot connect to " + server_.text + ": " +
                                      Describe(ec));
      }
      s.stream.emplace(s.ioc);
      s.stream->expires_after(s.timeout);
      s.stream->async_connect(endpoints,
                              [&](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
      s.Run();
      if (ec) {
        s.stream.reset();
        if (ec == beast::error::timeout) {
          return absl::DeadlineExceededError("cannot connect to " + server_.text +
                                             ": timed out after " + timeout_text);
        }
        return absl::UnavailableError("cannot connect to " + server_.text + ": " +
                                      Describe(ec));
      }
    }

    s.stream->expires_after(s.timeout);
    http::async_write(*s.stream, request, [&](const beast::error_code& e, size_t) { ec = e; });
    s.Run();

    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxReplyBody);
    parser.header_limit(64 * 1024);
    bool got_bytes = false;
    if (!ec) {
      s.buffer.clear();
      s.stream->expires_after(s.timeout);
      http::async_read(*s.stream, s.buffer, parser, [&](const beast::error_code& e, size_t n) {
        ec = e;
        got_bytes = n > 0;
      });
      s.Run();
    }
    if (ec) {
      s.stream.reset();
      if (ec == beast::error::timeout) {
        return absl::DeadlineExceededError("no answer from " + server_.text + " within " +
                                           timeout_text);
      }
      bool stale = ec == http::error::end_of_stream || ec == asio::error::eof ||
                   ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
      if (reused && stale && !got_bytes) continue;
      return absl::UnavailableError("connection to " + server_.text + " failed: " +
                                    Describe(ec));
    }
    http::response<http::string_body> response = parser.release();
    if (!response.keep_alive()) {
      beast::error_code ignored;
      s.stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      s.stream.reset();
    }
    return HttpReply{static_cast<int>(response.result_int()), std::move(response.body())};
  }
  return absl::UnavailableError("connection to " + server_.text + " failed");
}

}  // namespace qilian::cli
