#include "core/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include <arpa/inet.h>

#include <toml++/toml.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"

namespace qilian {
namespace {

// One key of a section: how to read it into the Config.
using KeyReader = std::function<absl::Status(const toml::node& value, const std::string& key)>;
using SectionSchema = std::map<std::string, KeyReader, std::less<>>;

class ConfigParser {
 public:
  explicit ConfigParser(std::string source) : source_(std::move(source)) {}

  absl::StatusOr<Config> Parse(const toml::table& root) {
    Config config;
    std::map<std::string, SectionSchema, std::less<>> sections;
    sections["node"] = NodeSchema(&config.node);
    sections["http"] = HttpSchema(&config.http);
    sections["handle"] = HandleSchema(&config.handle);
    sections["recursive"] = RecursiveSchema(&config.recursive);
    sections["store"] = StoreSchema(&config.store);
    sections["log"] = LogSchema(&config.log);
    sections["stats"] = StatsSchema(&config.stats);
    sections["auth"] = AuthSchema(&config.auth);
    sections["platform"] = PlatformSchema(&config.platform);
    sections["mqtt"] = MqttSchema(&config.mqtt);
    sections["tsdb"] = TsdbSchema(&config.tsdb);
    sections["security"] = SecuritySchema(&config.security);

    for (const auto& [section_key, section_node] : root) {
      std::string section_name(section_key.str());
      auto it = sections.find(section_name);
      if (!section_node.is_table()) {
        // A top-level key outside any section: none are defined.
        return Error(section_node, absl::StrCat("unknown configuration key '", section_name, "'"));
      }
      if (it == sections.end()) {
        return Error(section_node,
                     absl::StrCat("unknown configuration section '", section_name, "'"));
      }
      for (const auto& [key, value] : *section_node.as_table()) {
        std::string full_key = absl::StrCat(section_name, ".", std::string(key.str()));
        auto reader = it->second.find(key.str());
        if (reader == it->second.end()) {
          return Error(value, absl::StrCat("unknown configuration key '", full_key, "'"));
        }
        QL_RETURN_IF_ERROR(reader->second(value, full_key));
      }
    }
    // Cross-key checks, after every key is read. Errors name the key and
    // the position of the section that has to change.
    QL_RETURN_IF_ERROR(CheckHttpTls(config.http));
    if (config.node.prefixes.empty() && !config.recursive.enabled) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": configuration key 'node.prefixes' is empty and recursive.enabled is "
                   "false: the node would serve nothing"));
    }
    if (config.recursive.enabled && config.recursive.roots.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": configuration key 'recursive.roots' must not be empty when "
                                "recursive.enabled is true"));
    }
    return config;
  }

 private:
  absl::Status Error(const toml::node& node, const std::string& message) const {
    const toml::source_region& src = node.source();
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ":", src.begin.line, ":", src.begin.column, ": ", message));
  }

  absl::Status TypeError(const toml::node& node, const std::string& key,
                         std::string_view expected) const {
    return Error(node, absl::StrCat("configuration key '", key, "' must be ",
                                    std::string(expected)));
  }

  template <typename T>
  KeyReader Integer(T* out, int64_t lo, int64_t hi) {
    return [this, out, lo, hi](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_integer()) return TypeError(v, key, "an integer");
      int64_t n = v.as_integer()->get();
      if (n < lo || n > hi) {
        return Error(v, absl::StrCat("configuration key '", key, "' is out of range: ", n,
                                     " (allowed ", lo, "..", hi, ")"));
      }
      *out = static_cast<T>(n);
      return absl::OkStatus();
    };
  }

  KeyReader Bool(bool* out) {
    return [this, out](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_boolean()) return TypeError(v, key, "a boolean");
      *out = v.as_boolean()->get();
      return absl::OkStatus();
    };
  }

  // A non-empty string; if `allowed` is not empty the value must be one of it.
  // Empty or an http:// or https:// URL; `trim_slashes` drops trailing '/'.
  KeyReader HttpUrl(std::string* out, bool trim_slashes = false) {
    return [this, out, trim_slashes](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_string()) return TypeError(v, key, "a string");
      std::string url = v.as_string()->get();
      if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return Error(v, absl::StrCat("configuration key '", key,
                                     "' must be empty or an http:// or https:// URL"));
      }
      while (trim_slashes && !url.empty() && url.back() == '/') url.pop_back();
      *out = std::move(url);
      return absl::OkStatus();
    };
  }

  KeyReader String(std::string* out, std::vector<std::string> allowed = {}) {
    return [this, out, allowed](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_string()) return TypeError(v, key, "a string");
      std::string s = v.as_string()->get();
      if (!allowed.empty()) {
        bool ok = false;
        for (const auto& a : allowed) ok = ok || a == s;
        if (!ok) {
          return Error(v, absl::StrCat("configuration key '", key, "' has invalid value '", s,
                                       "' (allowed: ", absl::StrJoin(allowed, ", "), ")"));
        }
      } else if (s.empty()) {
        return Error(v, absl::StrCat("configuration key '", key, "' must not be empty"));
      }
      *out = std::move(s);
      return absl::OkStatus();
    };
  }

  SectionSchema NodeSchema(NodeConfig* c) {
    SectionSchema s;
    s["prefixes"] = [this, c](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_array()) return TypeError(v, key, "an array of strings");
      std::vector<std::string> prefixes;
      for (const toml::node& e : *v.as_array()) {
        if (!e.is_string()) return TypeError(e, key, "an array of strings");
        std::string p = e.as_string()->get();
        if (p.empty() || p.find('/') != std::string::npos) {
          return Error(e, absl::StrCat("configuration key '", key, "' has invalid prefix '", p,
                                       "'"));
        }
        prefixes.push_back(std::move(p));
      }
      c->prefixes = std::move(prefixes);
      return absl::OkStatus();
    };
    s["data_dir"] = String(&c->data_dir);
    s["case_sensitive_suffix"] = Bool(&c->case_sensitive_suffix);
    return s;
  }

  SectionSchema HttpSchema(HttpConfig* c) {
    constexpr int64_t kHour = 3'600'000;
    SectionSchema s;
    s["listen"] = String(&c->listen);
    s["port"] = Integer(&c->port, 0, 65535);
    s["max_body_bytes"] = Integer(&c->max_body_bytes, 1, int64_t{1} << 30);
    s["header_timeout_ms"] = Integer(&c->header_timeout_ms, 1, kHour);
    s["body_timeout_ms"] = Integer(&c->body_timeout_ms, 1, kHour);
    s["idle_timeout_ms"] = Integer(&c->idle_timeout_ms, 1, kHour);
    s["io_threads"] = Integer(&c->io_threads, 0, 1024);
    s["worker_threads"] = Integer(&c->worker_threads, 1, 4096);
    s["max_connections"] = Integer(&c->max_connections, 1, 1'000'000);
    s["max_connections_per_source"] = Integer(&c->max_connections_per_source, 0, 1'000'000);
    s["tls_cert"] = String(&c->tls_cert);
    s["tls_key"] = String(&c->tls_key);
    s["tls_client_ca"] = String(&c->tls_client_ca);
    s["tls_client_cert"] = String(&c->tls_client_cert, {"optional", "required"});
    s["tls_handshake_timeout_ms"] = Integer(&c->tls_handshake_timeout_ms, 1, kHour);
    return s;
  }

  // [http] keys that only make sense together. The files themselves are
  // read when the server starts (net/http_server.h), where errors name them.
  absl::Status CheckHttpTls(const HttpConfig& c) const {
    auto error = [this](const std::string& message) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": ", message));
    };
    if (!c.tls_cert.empty() && c.tls_key.empty()) {
      return error("configuration key 'http.tls_key' must be set when http.tls_cert is");
    }
    if (c.tls_cert.empty() && !c.tls_key.empty()) {
      return error("configuration key 'http.tls_cert' must be set when http.tls_key is");
    }
    if (!c.tls_client_ca.empty() && c.tls_cert.empty()) {
      return error(
          "configuration key 'http.tls_client_ca' needs http.tls_cert and http.tls_key");
    }
    if (c.tls_client_cert == "required" && c.tls_client_ca.empty()) {
      return error(
          "configuration key 'http.tls_client_cert' is \"required\" but http.tls_client_ca "
          "is not set");
    }
    return absl::OkStatus();
  }

  SectionSchema HandleSchema(HandleConfig* c) {
    constexpr int64_t kHour = 3'600'000;
    SectionSchema s;
    s["enabled"] = Bool(&c->enabled);
    s["listen"] = String(&c->listen);
    s["port"] = Integer(&c->port, 0, 65535);
    s["public_address"] = [this, c](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_string()) return TypeError(v, key, "a string");
      std::string a = v.as_string()->get();
      unsigned char buf[16];
      if (inet_pton(AF_INET, a.c_str(), buf) != 1 && inet_pton(AF_INET6, a.c_str(), buf) != 1) {
        return Error(v, absl::StrCat("configuration key '", key, "' must be an IPv4 or IPv6 address"));
      }
      c->public_address = std::move(a);
      return absl::OkStatus();
    };
    s["udp_workers"] = Integer(&c->udp_workers, 0, 1024);
    s["tcp_io_threads"] = Integer(&c->tcp_io_threads, 0, 1024);
    s["tcp_worker_threads"] = Integer(&c->tcp_worker_threads, 1, 4096);
    s["tcp_max_connections"] = Integer(&c->tcp_max_connections, 1, 1'000'000);
    s["tcp_idle_timeout_ms"] = Integer(&c->tcp_idle_timeout_ms, 1, kHour);
    s["tcp_read_timeout_ms"] = Integer(&c->tcp_read_timeout_ms, 1, kHour);
    s["udp_max_reply_factor"] = Integer(&c->udp_max_reply_factor, 1, 1000);
    s["udp_error_rate_per_second"] = Integer(&c->udp_error_rate_per_second, 0, 1'000'000);
    s["udp_error_burst"] = Integer(&c->udp_error_burst, 1, 1'000'000);
    s["udp_rrl_enabled"] = Bool(&c->udp_rrl_enabled);
    s["udp_rrl_responses_per_second"] = Integer(&c->udp_rrl_responses_per_second, 0, 1'000'000);
    s["udp_rrl_burst"] = Integer(&c->udp_rrl_burst, 0, 1'000'000);
    s["udp_rrl_slip"] = Integer(&c->udp_rrl_slip, 0, 100);
    s["udp_rrl_table_size"] = Integer(&c->udp_rrl_table_size, 4, 16'777'216);
    s["udp_large_answers"] = String(&c->udp_large_answers, {"budget", "truncate"});
    s["udp_max_answer_bytes"] = Integer(&c->udp_max_answer_bytes, 512, 262'144);
    s["udp_budget_bytes_per_second"] =
        Integer(&c->udp_budget_bytes_per_second, 0, 1'000'000'000);
    s["udp_budget_burst"] = Integer(&c->udp_budget_burst, 0, 1'000'000'000);
    s["udp_budget_table_size"] = Integer(&c->udp_budget_table_size, 4, 16'777'216);
    s["tcp_max_connections_per_source"] =
        Integer(&c->tcp_max_connections_per_source, 0, 1'000'000);
    s["max_reassembly_bytes_per_peer"] =
        Integer(&c->max_reassembly_bytes_per_peer, 492, int64_t{4} << 20);
    s["max_reassembly_peers"] = Integer(&c->max_reassembly_peers, 1, 1'000'000);
    s["reassembly_timeout_ms"] = Integer(&c->reassembly_timeout_ms, 1, kHour);
    return s;
  }

  SectionSchema RecursiveSchema(RecursiveConfig* c) {
    constexpr int64_t kDay = 86'400;
    SectionSchema s;
    s["enabled"] = Bool(&c->enabled);
    s["roots"] = [this, c](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_array()) return TypeError(v, key, "an array of strings");
      std::vector<std::string> roots;
      for (const toml::node& e : *v.as_array()) {
        if (!e.is_string()) return TypeError(e, key, "an array of strings");
        std::string r = e.as_string()->get();
        if (!IsAddressAndPort(r)) {
          return Error(e, absl::StrCat("configuration key '", key, "' has invalid root '", r,
                                       "' (want \"address:port\" or \"[v6]:port\")"));
        }
        roots.push_back(std::move(r));
      }
      c->roots = std::move(roots);
      return absl::OkStatus();
    };
    s["cache_bytes"] = Integer(&c->cache_bytes, 4096, int64_t{1} << 40);
    s["cache_shards"] = Integer(&c->cache_shards, 1, 1024);
    s["negative_ttl_s"] = Integer(&c->negative_ttl_s, 0, kDay);
    s["max_ttl_s"] = Integer(&c->max_ttl_s, 1, 365 * kDay);
    s["max_stale_s"] = Integer(&c->max_stale_s, 0, 30 * kDay);
    s["prefetch_min_hits"] = Integer(&c->prefetch_min_hits, 0, 1'000'000);
    s["query_timeout_ms"] = Integer(&c->query_timeout_ms, 1, 60'000);
    s["max_referrals"] = Integer(&c->max_referrals, 1, 64);
    s["max_in_flight"] = Integer(&c->max_in_flight, 1, 1'000'000);
    return s;
  }

  // "127.0.0.1:2641" or "[::1]:2641": an IP literal and a port 1..65535.
  static bool IsAddressAndPort(const std::string& text) {
    std::string host;
    std::string port;
    if (!text.empty() && text[0] == '[') {
      size_t close = text.find(']');
      if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
        return false;
      }
      host = text.substr(1, close - 1);
      port = text.substr(close + 2);
    } else {
      size_t colon = text.find(':');
      if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) {
        return false;
      }
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET, host.c_str(), buf) != 1 && inet_pton(AF_INET6, host.c_str(), buf) != 1) {
      return false;
    }
    if (port.empty() || port.size() > 5) return false;
    int n = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9') return false;
      n = n * 10 + (ch - '0');
    }
    return n >= 1 && n <= 65535;
  }

  SectionSchema StoreSchema(StoreConfig* c) {
    SectionSchema s;
    s["backend"] = String(&c->backend, {"rocksdb", "memory"});
    s["block_cache_mb"] = Integer(&c->block_cache_mb, 1, 1 << 20);
    s["write_buffer_mb"] = Integer(&c->write_buffer_mb, 1, 1 << 16);
    s["record_cache_mb"] = Integer(&c->record_cache_mb, 0, 1 << 16);
    s["sync_writes"] = Bool(&c->sync_writes);
    return s;
  }

  SectionSchema LogSchema(LogConfig* c) {
    SectionSchema s;
    s["level"] = String(&c->level, {"trace", "debug", "info", "warn", "error", "critical", "off"});
    s["format"] = String(&c->format, {"text", "json"});
    return s;
  }

  SectionSchema StatsSchema(StatsConfig* c) {
    SectionSchema s;
    s["flush_interval_s"] = Integer(&c->flush_interval_s, 1, 3600);
    s["max_prefixes"] = Integer(&c->max_prefixes, 1, 10'000'000);
    s["parent_url"] = HttpUrl(&c->parent_url);
    s["report_interval_s"] = Integer(&c->report_interval_s, 1, 7 * 86400);
    s["node_id"] = String(&c->node_id);
    s["report_identity"] = String(&c->report_identity);
    s["report_secret_file"] = String(&c->report_secret_file);
    s["parent_cacert"] = String(&c->parent_cacert);
    return s;
  }

  SectionSchema PlatformSchema(PlatformConfig* c) {
    SectionSchema s;
    s["max_devices_per_enterprise"] = Integer(&c->max_devices_per_enterprise, 1, 100'000'000);
    s["max_products_per_enterprise"] = Integer(&c->max_products_per_enterprise, 1, 1'000'000);
    s["public_base_url"] = HttpUrl(&c->public_base_url, /*trim_slashes=*/true);
    return s;
  }

  SectionSchema MqttSchema(MqttConfig* c) {
    SectionSchema s;
    s["broker_env"] = String(&c->broker_env);
    s["ingest_connections"] = Integer(&c->ingest_connections, 1, 64);
    s["max_payload_bytes"] = Integer(&c->max_payload_bytes, 1024, 16 * 1024 * 1024);
    s["max_clock_skew_seconds"] = Integer(&c->max_clock_skew_seconds, 0, 86'400);
    s["device_messages_per_second"] = Integer(&c->device_messages_per_second, 0, 1'000'000);
    s["device_burst"] = Integer(&c->device_burst, 1, 10'000'000);
    return s;
  }

  SectionSchema TsdbSchema(TsdbConfig* c) {
    SectionSchema s;
    s["max_series_per_enterprise"] = Integer(&c->max_series_per_enterprise, 1, 100'000'000);
    s["max_points_read_per_query"] = Integer(&c->max_points_read_per_query, 1000, 1'000'000'000);
    s["max_series_per_query"] = Integer(&c->max_series_per_query, 1, 10'000'000);
    s["max_rows_per_query"] = Integer(&c->max_rows_per_query, 1, 100'000'000);
    s["max_windows_per_query"] = Integer(&c->max_windows_per_query, 1, 100'000'000);
    s["max_write_body_bytes"] =
        Integer(&c->max_write_body_bytes, 1024, uint64_t{1024} * 1024 * 1024);
    s["mqtt_flush_ms"] = Integer(&c->mqtt_flush_ms, 1, 60'000);
    s["retention_days"] = Integer(&c->retention_days, 0, 100 * 366);
    s["retention_interval_s"] = Integer(&c->retention_interval_s, 1, 7 * 86'400);
    return s;
  }

  SectionSchema SecuritySchema(SecurityConfig* c) {
    SectionSchema s;
    s["events_retention_days"] = Integer(&c->events_retention_days, 0, 100 * 366);
    s["events_retention_interval_s"] = Integer(&c->events_retention_interval_s, 1, 7 * 86'400);
    s["max_events_scanned_per_query"] =
        Integer(&c->max_events_scanned_per_query, 1000, 1'000'000'000);
    s["max_sensors_per_enterprise"] = Integer(&c->max_sensors_per_enterprise, 1, 1'000'000);
    return s;
  }

  SectionSchema AuthSchema(AuthConfig* c) {
    SectionSchema s;
    s["operators"] = [this, c](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_array()) return TypeError(v, key, "an array of strings");
      std::vector<std::string> operators;
      for (const toml::node& e : *v.as_array()) {
        if (!e.is_string()) return TypeError(e, key, "an array of strings");
        std::string id = e.as_string()->get();
        const size_t colon = id.find(':');
        uint32_t index = 0;
        if (colon == 0 || colon == std::string::npos || colon + 1 == id.size() ||
            !absl::SimpleAtoi(id.substr(0, colon), &index) ||
            id.substr(0, colon).find_first_not_of("0123456789") != std::string::npos) {
          return Error(e, absl::StrCat("configuration key '", key, "' has '", id,
                                       "', which is not index:handle"));
        }
        operators.push_back(std::move(id));
      }
      c->operators = std::move(operators);
      return absl::OkStatus();
    };
    s["admin_secret_file"] = String(&c->admin_secret_file);
    s["node_key_file"] = String(&c->node_key_file);
    s["signing_key_dir"] = String(&c->signing_key_dir);
    s["signing_keys"] = [this, c](const toml::node& v, const std::string& key) -> absl::Status {
      if (!v.is_array()) return TypeError(v, key, "an array of strings");
      bool rsa = false, ed25519 = false, sm2 = false;
      for (const toml::node& e : *v.as_array()) {
        if (!e.is_string()) return TypeError(e, key, "an array of strings");
        const std::string name = e.as_string()->get();
        bool* seen = name == "rsa" ? &rsa : name == "ed25519" ? &ed25519 : name == "sm2" ? &sm2
                                                                                         : nullptr;
        if (seen == nullptr) {
          return Error(e, absl::StrCat("configuration key '", key, "' has '", name,
                                       "' (allowed: rsa, ed25519, sm2)"));
        }
        *seen = true;
      }
      if (!rsa) {
        return Error(v, absl::StrCat("configuration key '", key,
                                     "' must list rsa: deployed clients verify only RSA"));
      }
      c->signing_key_ed25519 = ed25519;
      c->signing_key_sm2 = sm2;
      return absl::OkStatus();
    };
    s["token_lifetime_s"] = Integer(&c->token_lifetime_s, 60, 86400);
    s["challenge_lifetime_s"] = Integer(&c->challenge_lifetime_s, 1, 600);
    s["max_failed_authentications"] = Integer(&c->max_failed_authentications, 0, 1'000'000);
    s["write_rate_per_s"] = Integer(&c->write_rate_per_s, 1, 10'000'000);
    s["writes_per_day"] = Integer(&c->writes_per_day, 1, 1'000'000'000'000);
    s["identifiers_per_prefix"] = Integer(&c->identifiers_per_prefix, 0, 1'000'000'000'000);
    return s;
  }

  std::string source_;
};

}  // namespace

absl::StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  // toml++ reports syntax errors by exception; this is the boundary where it
  // becomes a Status.
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const toml::source_region& src = e.source();
    return absl::InvalidArgumentError(absl::StrCat(std::string(source_name), ":", src.begin.line,
                                                   ":", src.begin.column, ": ",
                                                   std::string(e.description())));
  }
  return ConfigParser(std::string(source_name)).Parse(root);
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read configuration file '", path, "': ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::NotFoundError(absl::StrCat("cannot read configuration file '", path, "'"));
  }
  return ParseConfig(text.str(), path);
}

}  // namespace qilian
