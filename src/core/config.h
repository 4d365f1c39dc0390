// Node configuration: the typed form of qilian.toml (docs/config.md).
//
// Every key has a default, so an empty file (or no file) is a working
// configuration. Parsing is strict: an unknown section or key, a value of
// the wrong type or one out of range is an InvalidArgument error naming the
// key, because a typo that silently falls back to a default is worse than a
// node that refuses to start.
#ifndef QILIAN_CORE_CONFIG_H_
#define QILIAN_CORE_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace qilian {

struct NodeConfig {
  // Prefixes this node is authoritative for.
  std::vector<std::string> prefixes = {"88.999"};
  // Where the embedded store keeps its files.
  std::string data_dir = "./var/qilian";
  // Whether suffixes compare case-sensitively (prefixes never do).
  bool case_sensitive_suffix = false;
};

struct HttpConfig {
  std::string listen = "127.0.0.1";
  uint16_t port = 8000;  // 0 picks an ephemeral port
  uint64_t max_body_bytes = 1048576;
  uint32_t header_timeout_ms = 10000;
  uint32_t body_timeout_ms = 30000;
  uint32_t idle_timeout_ms = 60000;
  uint32_t io_threads = 0;  // 0: one per core
  uint32_t worker_threads = 32;  // blocking pool for durable writes
  uint32_t max_connections = 10000;
};

// The native Handle protocol front door (RFC 3652 over UDP and TCP, on one
// port number).
struct HandleConfig {
  bool enabled = true;
  std::string listen = "127.0.0.1";
  uint16_t port = 2641;  // 0 picks an ephemeral port (the same for UDP and TCP)
  // The address HS_SITE advertises (get-site-info). Empty: the listen
  // address, or 127.0.0.1 / ::1 when that is a wildcard.
  std::string public_address;
  uint32_t udp_workers = 0;  // 0: one per core; each its own SO_REUSEPORT socket
  uint32_t tcp_io_threads = 0;  // 0: one per core
  uint32_t tcp_worker_threads = 32;  // blocking pool for durable writes
  uint32_t tcp_max_connections = 1000;
  uint32_t tcp_idle_timeout_ms = 60000;
  uint32_t tcp_read_timeout_ms = 10000;
  // An unauthenticated UDP reply is never more than this many times the
  // request's size; a larger one is replaced by a truncated (TC) envelope.
  uint32_t udp_max_reply_factor = 10;
  // Token bucket for UDP error replies per source network (/24, /56).
  uint32_t udp_error_rate_per_second = 100;  // 0: never answer errors on UDP
  uint32_t udp_error_burst = 200;
  uint64_t max_reassembly_bytes_per_peer = 65536;
  uint32_t max_reassembly_peers = 1024;
  uint32_t reassembly_timeout_ms = 2000;
};

struct StoreConfig {
  std::string backend = "rocksdb";  // "rocksdb" or "memory"
  uint64_t block_cache_mb = 64;
  uint64_t write_buffer_mb = 32;
  bool sync_writes = true;
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // "text" (logfmt) or "json"
};

struct Config {
  NodeConfig node;
  HttpConfig http;
  HandleConfig handle;
  StoreConfig store;
  LogConfig log;
};

// Parses TOML text. Keys absent from the text keep their defaults.
// `source_name` prefixes syntax-error positions ("qilian.toml:3:7: ...").
absl::StatusOr<Config> ParseConfig(std::string_view toml_text,
                                   std::string_view source_name = "config");

// Reads and parses a file; NotFound if it cannot be read.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

}  // namespace qilian

#endif  // QILIAN_CORE_CONFIG_H_
