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
  // Prefixes this node is authoritative for. Empty for a pure recursive
  // node (then [recursive] must be enabled).
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

// The recursive role (docs/hierarchy.md, docs/resolver.md): resolving
// handles of prefixes this node does not home, from the root sites, with a
// cache.
struct RecursiveConfig {
  bool enabled = false;
  // Root sites' servers as "address:port" or "[v6]:port" (UDP and TCP on
  // that port): the top-level node of the deployment.
  std::vector<std::string> roots = {"127.0.0.1:2641"};
  uint64_t cache_bytes = 64ull << 20;
  uint32_t cache_shards = 16;
  uint32_t negative_ttl_s = 60;   // not-found and referral answers
  uint32_t max_ttl_s = 86400;     // cap on any answer's lifetime
  uint32_t max_stale_s = 3600;    // serve-stale window; 0 disables
  uint32_t prefetch_min_hits = 8; // lookups before a refresh; 0 disables
  uint32_t query_timeout_ms = 2000;  // one question to one server
  uint32_t max_referrals = 8;        // past it: Handle code 6
  uint32_t max_in_flight = 256;      // upstream queries at once
};

struct StoreConfig {
  std::string backend = "rocksdb";  // "rocksdb" or "memory"
  uint64_t block_cache_mb = 64;
  uint64_t write_buffer_mb = 32;
  // Encoded handle records kept in memory for resolution; 0 disables.
  uint64_t record_cache_mb = 64;
  bool sync_writes = true;
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // "text" (logfmt) or "json"
};

// Statistics (docs/statistics.md): how often counters reach the store,
// and reporting to a parent node.
struct StatsConfig {
  uint32_t flush_interval_s = 10;
  // Distinct prefixes counted in memory between two flushes; the rest are
  // counted under "other".
  uint32_t max_prefixes = 10000;
  // "http://host:port" of the parent node; empty: no reporting.
  std::string parent_url;
  uint32_t report_interval_s = 86400;
  // How this node names itself to its parent; empty: its first prefix.
  std::string node_id;
};

// Authentication of native Handle protocol writes (docs/authentication.md,
// "Wiring"). Off: native writes are accepted from loopback peers only, as
// before; REST keeps its loopback rule either way.
struct AuthConfig {
  // Challenge every native write and list (402) and perform it only after a
  // valid HS_SECKEY answer from an HS_ADMIN administrator.
  bool native = false;
  // Require HTTP Basic credentials (index%3Ahandle:secret, checked against
  // the identity's HS_SECKEY) and HS_ADMIN permission for REST PUT/DELETE on
  // /api/handles; such writes are then accepted from any address.
  bool rest = false;
};

struct Config {
  NodeConfig node;
  HttpConfig http;
  HandleConfig handle;
  RecursiveConfig recursive;
  StoreConfig store;
  LogConfig log;
  StatsConfig stats;
  AuthConfig auth;
};

// Parses TOML text. Keys absent from the text keep their defaults.
// `source_name` prefixes syntax-error positions ("qilian.toml:3:7: ...").
absl::StatusOr<Config> ParseConfig(std::string_view toml_text,
                                   std::string_view source_name = "config");

// Reads and parses a file; NotFound if it cannot be read.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

}  // namespace qilian

#endif  // QILIAN_CORE_CONFIG_H_
