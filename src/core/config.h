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
  uint32_t max_connections_per_source = 0;  // 0: no limit per address
  // HTTPS (docs/operations.md, "TLS"): with tls_cert and tls_key set the
  // port speaks only TLS 1.3. Paths are PEM files, relative to the working
  // directory.
  std::string tls_cert;       // certificate chain, leaf first
  std::string tls_key;        // the leaf's private key
  std::string tls_client_ca;  // CAs for client certificates; empty: none asked
  std::string tls_client_cert = "optional";  // "optional" or "required"
  uint32_t tls_handshake_timeout_ms = 10000;
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
  // Response-rate limiting of every UDP answer (docs/abuse-limits.md):
  // per source network and kind of answer, over the rate dropped except
  // every udp_rrl_slip-th, which becomes a TC-only reply.
  bool udp_rrl_enabled = false;
  uint32_t udp_rrl_responses_per_second = 1000;
  uint32_t udp_rrl_burst = 0;  // 0: udp_rrl_responses_per_second
  uint32_t udp_rrl_slip = 2;   // 0: drop all; 1: TC for each
  uint32_t udp_rrl_table_size = 65536;
  // UDP answers larger than udp_max_reply_factor x the request
  // (docs/abuse-limits.md): "budget" sends them in full while the source
  // network's budget of octets lasts (udp_budget_*), "truncate" always
  // sends the TC envelope. Answers over udp_max_answer_bytes (on the wire)
  // always get the TC envelope.
  std::string udp_large_answers = "budget";
  uint32_t udp_max_answer_bytes = 16384;  // net::kDefaultUdpMaxAnswerBytes
  uint32_t udp_budget_bytes_per_second = 131072;
  uint32_t udp_budget_burst = 524288;
  uint32_t udp_budget_table_size = 65536;
  uint32_t tcp_max_connections_per_source = 0;  // 0: no limit per address
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
  // "http[s]://host:port" of the parent node; empty: no reporting. An
  // https:// parent is verified against the system store (OpenSSL's
  // default paths, so $SSL_CERT_FILE when set).
  std::string parent_url;
  uint32_t report_interval_s = 86400;
  // How this node names itself to its parent; empty: its first prefix.
  std::string node_id;
  // The identity ("index:handle", created on the parent by its operator)
  // and the file holding its secret that reports are sent with (HTTP
  // Basic); both or neither.
  std::string report_identity;
  std::string report_secret_file;
  // A CA bundle for an https:// parent_url; empty: the system store.
  std::string parent_cacert;
};

// Authentication and authorization (docs/authentication.md,
// docs/authorization.md). Every write on every front door needs an
// authenticated caller; there is no switch to turn that off.
struct AuthConfig {
  // Identities ("index:handle") that act as operators of this node; empty:
  // the node's first administrator (300:0.NA/<first prefix>).
  std::vector<std::string> operators;
  // Where the first administrator's secret is read from, or written to on
  // a fresh node; empty: <node.data_dir>/admin.secret.
  std::string admin_secret_file;
  // The node key that seals HS_SECKEY secrets at rest (32 octets, created
  // mode 0600 on a fresh node); empty: <node.data_dir>/node.key.
  std::string node_key_file;
  // The node's signing keys (certified answers, session setup replies, the
  // ledger's checkpoints): their directory (empty: <node.data_dir>/signing)
  // and which keys the node holds; RSA always, Ed25519 and SM2 when listed.
  std::string signing_key_dir;
  bool signing_key_ed25519 = false;
  bool signing_key_sm2 = false;
  // Console login tokens live this long.
  uint32_t token_lifetime_s = 900;
  // A native challenge may be answered for this long.
  uint32_t challenge_lifetime_s = 30;
  // Failed authentications of one identity, or from one address, before
  // further attempts are refused for a doubling back-off
  // (docs/abuse-limits.md); 0: never.
  uint32_t max_failed_authentications = 5;
  // Write quotas per authenticated caller: IDIS 604 past the rate, 603 past
  // the daily count.
  uint32_t write_rate_per_s = 1000;
  uint64_t writes_per_day = 10'000'000;
  // Identifiers one prefix may hold; creates beyond it get IDIS 605. 0: no
  // cap. Operators are not capped.
  uint64_t identifiers_per_prefix = 0;
};

// The industrial platform (docs/products.md, docs/devices.md).
struct PlatformConfig {
  // Devices and products one enterprise may hold; beyond: 403, code 605.
  uint64_t max_devices_per_enterprise = 100'000;
  uint64_t max_products_per_enterprise = 1'000;
  // The node's public REST address ("https://iot.example.cn"): the URL
  // value of each device's identifier is <it>/api/devices/<id>/shadow.
  // Empty: http://<http.listen>:<http.port>.
  std::string public_base_url;
};

// [mqtt]: devices over the MQTT broker (docs/mqtt.md, docs/config.md).
struct MqttConfig {
  // scripts/broker's broker.env: the broker's address and its admin
  // client. Empty: no broker; the shadow, property and function routes
  // answer 501 and devices cannot connect.
  std::string broker_env;
  // Ingestion connections, each with its own thread (shared subscription).
  uint64_t ingest_connections = 2;
  uint64_t max_payload_bytes = 256 * 1024;
  // A timestamp further than this in the future is refused (bad_timestamp).
  uint64_t max_clock_skew_seconds = 300;
  // Per-device token bucket; 0: no limit.
  uint64_t device_messages_per_second = 100;
  uint64_t device_burst = 200;
};

// [tsdb]: device telemetry in the built-in time-series engine (docs/tsdb.md,
// docs/telemetry-query.md, docs/config.md).
struct TsdbConfig {
  // Series (device × property) one enterprise may hold; the write that
  // would create one more is refused, naming this key.
  uint64_t max_series_per_enterprise = 100'000;
  // A query reading more raw points, selecting more series or answering
  // more rows is refused, naming the key.
  uint64_t max_points_read_per_query = 10'000'000;
  uint64_t max_series_per_query = 10'000;
  uint64_t max_rows_per_query = 1'000'000;
  uint64_t max_windows_per_query = 100'000;
  // Largest body of POST /write and /api/v2/write (decompressed too).
  uint64_t max_write_body_bytes = 32 * 1024 * 1024;
  // MQTT telemetry is written in groups at least this often (ms): a device
  // message is durable within this time of its reply.
  uint64_t mqtt_flush_ms = 100;
  // Raw points older than this are deleted (0: kept forever); enterprises
  // and products may set their own (PUT /api/telemetry/retention).
  uint64_t retention_days = 0;
  // How often retention runs.
  uint64_t retention_interval_s = 3600;
};

// [security]: events delivered by qilian-sensor (docs/security/events-api.md).
struct SecurityConfig {
  // Events whose ts is older than this are deleted (0: kept forever).
  uint64_t events_retention_days = 90;
  // How often the retention sweep runs.
  uint64_t events_retention_interval_s = 3600;
  // A query reading more events than this is refused (422), naming the key.
  uint64_t max_events_scanned_per_query = 100'000;
  // Sensors one enterprise may register.
  uint64_t max_sensors_per_enterprise = 1000;
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
  PlatformConfig platform;
  MqttConfig mqtt;
  TsdbConfig tsdb;
  SecurityConfig security;
};

// Parses TOML text. Keys absent from the text keep their defaults.
// `source_name` prefixes syntax-error positions ("qilian.toml:3:7: ...").
absl::StatusOr<Config> ParseConfig(std::string_view toml_text,
                                   std::string_view source_name = "config");

// Reads and parses a file; NotFound if it cannot be read.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

}  // namespace qilian

#endif  // QILIAN_CORE_CONFIG_H_
