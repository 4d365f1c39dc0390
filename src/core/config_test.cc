#include "core/config.h"

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"

namespace qilian {
namespace {

void ExpectError(std::string_view text, std::string_view message) {
  absl::StatusOr<Config> c = ParseConfig(text, "q.toml");
  ASSERT_FALSE(c.ok()) << text;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(c.status().message()), std::string(message));
}

TEST(ConfigTest, EmptyTextGivesEveryDefault) {
  absl::StatusOr<Config> c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node.prefixes, std::vector<std::string>{"88.999"});
  EXPECT_EQ(c->node.data_dir, "./var/qilian");
  EXPECT_FALSE(c->node.case_sensitive_suffix);
  EXPECT_EQ(c->http.listen, "127.0.0.1");
  EXPECT_EQ(c->http.port, 8000);
  EXPECT_EQ(c->http.max_body_bytes, 1048576u);
  EXPECT_EQ(c->http.header_timeout_ms, 10000u);
  EXPECT_EQ(c->http.body_timeout_ms, 30000u);
  EXPECT_EQ(c->http.idle_timeout_ms, 60000u);
  EXPECT_EQ(c->http.io_threads, 0u);
  EXPECT_EQ(c->http.worker_threads, 32u);
  EXPECT_EQ(c->http.max_connections, 10000u);
  EXPECT_TRUE(c->handle.enabled);
  EXPECT_EQ(c->handle.listen, "127.0.0.1");
  EXPECT_EQ(c->handle.port, 2641);
  EXPECT_EQ(c->handle.public_address, "");
  EXPECT_EQ(c->handle.udp_workers, 0u);
  EXPECT_EQ(c->handle.tcp_io_threads, 0u);
  EXPECT_EQ(c->handle.tcp_worker_threads, 32u);
  EXPECT_EQ(c->handle.tcp_max_connections, 1000u);
  EXPECT_EQ(c->handle.tcp_idle_timeout_ms, 60000u);
  EXPECT_EQ(c->handle.tcp_read_timeout_ms, 10000u);
  EXPECT_EQ(c->handle.udp_max_reply_factor, 10u);
  EXPECT_EQ(c->handle.udp_error_rate_per_second, 100u);
  EXPECT_EQ(c->handle.udp_error_burst, 200u);
  EXPECT_EQ(c->handle.max_reassembly_bytes_per_peer, 65536u);
  EXPECT_EQ(c->handle.max_reassembly_peers, 1024u);
  EXPECT_EQ(c->handle.reassembly_timeout_ms, 2000u);
  EXPECT_EQ(c->store.backend, "rocksdb");
  EXPECT_EQ(c->store.block_cache_mb, 64u);
  EXPECT_EQ(c->store.write_buffer_mb, 32u);
  EXPECT_EQ(c->store.record_cache_mb, 64u);
  EXPECT_TRUE(c->store.sync_writes);
  EXPECT_EQ(c->log.level, "info");
  EXPECT_EQ(c->log.format, "text");
}

TEST(ConfigTest, EveryKeyOverrides) {
  absl::StatusOr<Config> c = ParseConfig(R"(
[node]
prefixes = ["86.100", "86.101.7"]
data_dir = "/srv/q"
case_sensitive_suffix = true
[http]
listen = "::1"
port = 0
max_body_bytes = 4096
header_timeout_ms = 200
body_timeout_ms = 300
idle_timeout_ms = 400
io_threads = 3
worker_threads = 5
max_connections = 7
[handle]
enabled = false
listen = "::1"
port = 0
public_address = "192.0.2.7"
udp_workers = 2
tcp_io_threads = 3
tcp_worker_threads = 4
tcp_max_connections = 5
tcp_idle_timeout_ms = 600
tcp_read_timeout_ms = 700
udp_max_reply_factor = 3
udp_error_rate_per_second = 0
udp_error_burst = 9
max_reassembly_bytes_per_peer = 4096
max_reassembly_peers = 11
reassembly_timeout_ms = 12
[store]
backend = "memory"
block_cache_mb = 8
write_buffer_mb = 4
record_cache_mb = 0
sync_writes = false
[log]
level = "debug"
format = "json"
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->node.prefixes, (std::vector<std::string>{"86.100", "86.101.7"}));
  EXPECT_EQ(c->node.data_dir, "/srv/q");
  EXPECT_TRUE(c->node.case_sensitive_suffix);
  EXPECT_EQ(c->http.listen, "::1");
  EXPECT_EQ(c->http.port, 0);
  EXPECT_EQ(c->http.max_body_bytes, 4096u);
  EXPECT_EQ(c->http.header_timeout_ms, 200u);
  EXPECT_EQ(c->http.body_timeout_ms, 300u);
  EXPECT_EQ(c->http.idle_timeout_ms, 400u);
  EXPECT_EQ(c->http.io_threads, 3u);
  EXPECT_EQ(c->http.worker_threads, 5u);
  EXPECT_EQ(c->http.max_connections, 7u);
  EXPECT_FALSE(c->handle.enabled);
  EXPECT_EQ(c->handle.listen, "::1");
  EXPECT_EQ(c->handle.port, 0);
  EXPECT_EQ(c->handle.public_address, "192.0.2.7");
  EXPECT_EQ(c->handle.udp_workers, 2u);
  EXPECT_EQ(c->handle.tcp_io_threads, 3u);
  EXPECT_EQ(c->handle.tcp_worker_threads, 4u);
  EXPECT_EQ(c->handle.tcp_max_connections, 5u);
  EXPECT_EQ(c->handle.tcp_idle_timeout_ms, 600u);
  EXPECT_EQ(c->handle.tcp_read_timeout_ms, 700u);
  EXPECT_EQ(c->handle.udp_max_reply_factor, 3u);
  EXPECT_EQ(c->handle.udp_error_rate_per_second, 0u);
  EXPECT_EQ(c->handle.udp_error_burst, 9u);
  EXPECT_EQ(c->handle.max_reassembly_bytes_per_peer, 4096u);
  EXPECT_EQ(c->handle.max_reassembly_peers, 11u);
  EXPECT_EQ(c->handle.reassembly_timeout_ms, 12u);
  EXPECT_EQ(c->store.backend, "memory");
  EXPECT_EQ(c->store.block_cache_mb, 8u);
  EXPECT_EQ(c->store.write_buffer_mb, 4u);
  EXPECT_EQ(c->store.record_cache_mb, 0u);
  EXPECT_FALSE(c->store.sync_writes);
  EXPECT_EQ(c->log.level, "debug");
  EXPECT_EQ(c->log.format, "json");
}

TEST(ConfigTest, PartialSectionKeepsOtherDefaults) {
  absl::StatusOr<Config> c = ParseConfig("[http]\nport = 9000\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http.port, 9000);
  EXPECT_EQ(c->http.listen, "127.0.0.1");
  EXPECT_EQ(c->store.backend, "rocksdb");
}

TEST(ConfigTest, AuthSection) {
  absl::StatusOr<Config> c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->auth.operators.empty());
  EXPECT_EQ(c->auth.token_lifetime_s, 900u);
  c = ParseConfig(
      "[auth]\noperators = [\"300:0.NA/88.999\", \"301:88.999/OPS\"]\n"
      "admin_secret_file = \"/tmp/s\"\ntoken_lifetime_s = 60\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth.operators, (std::vector<std::string>{"300:0.NA/88.999", "301:88.999/OPS"}));
  EXPECT_EQ(c->auth.admin_secret_file, "/tmp/s");
  EXPECT_EQ(c->auth.token_lifetime_s, 60u);
  ExpectError("[auth]\noperators = [\"0.NA/88.999\"]\n",
              "q.toml:2:14: configuration key 'auth.operators' has '0.NA/88.999', which is not "
              "index:handle");
  ExpectError("[auth]\noperators = [\"x1:0.NA/88.999\"]\n",
              "q.toml:2:14: configuration key 'auth.operators' has 'x1:0.NA/88.999', which is not "
              "index:handle");
  ExpectError("[auth]\ntoken_lifetime_s = 5\n",
              "q.toml:2:20: configuration key 'auth.token_lifetime_s' is out of range: 5 (allowed 60..86400)");
  // The switches of the foundation are gone: writes always need authentication.
  ExpectError("[auth]\nnative = true\n", "q.toml:2:10: unknown configuration key 'auth.native'");
}

TEST(ConfigTest, SigningKeys) {
  absl::StatusOr<Config> d = ParseConfig("");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->auth.signing_key_dir, "");
  EXPECT_FALSE(d->auth.signing_key_ed25519);
  EXPECT_FALSE(d->auth.signing_key_sm2);
  absl::StatusOr<Config> c = ParseConfig(
      "[auth]\nsigning_key_dir = \"/var/lib/q/sign\"\nsigning_keys = [\"rsa\", \"sm2\"]\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->auth.signing_key_dir, "/var/lib/q/sign");
  EXPECT_FALSE(c->auth.signing_key_ed25519);
  EXPECT_TRUE(c->auth.signing_key_sm2);
  ExpectError("[auth]\nsigning_keys = [\"ed25519\"]\n",
              "q.toml:2:16: configuration key 'auth.signing_keys' must list rsa: deployed clients "
              "verify only RSA");
  ExpectError("[auth]\nsigning_keys = [\"rsa\", \"dsa\"]\n",
              "q.toml:2:24: configuration key 'auth.signing_keys' has 'dsa' (allowed: rsa, "
              "ed25519, sm2)");
}

TEST(ConfigTest, UnknownKeyIsNamed) {
  ExpectError("[http]\nprot = 80\n", "q.toml:2:8: unknown configuration key 'http.prot'");
}

TEST(ConfigTest, HandleSectionIsStrict) {
  ExpectError("[handle]\nudp_worker = 2\n",
              "q.toml:2:14: unknown configuration key 'handle.udp_worker'");
  ExpectError("[handle]\nudp_max_reply_factor = 0\n",
              "q.toml:2:24: configuration key 'handle.udp_max_reply_factor' is out of range: 0 "
              "(allowed 1..1000)");
  ExpectError("[handle]\nmax_reassembly_bytes_per_peer = 100\n",
              "q.toml:2:33: configuration key 'handle.max_reassembly_bytes_per_peer' is out of "
              "range: 100 (allowed 492..4194304)");
  ExpectError("[handle]\nenabled = \"yes\"\n",
              "q.toml:2:11: configuration key 'handle.enabled' must be a boolean");
  ExpectError("[handle]\npublic_address = \"example.org\"\n",
              "q.toml:2:18: configuration key 'handle.public_address' must be an IPv4 or IPv6 "
              "address");
}

TEST(ConfigTest, HandleAbuseLimitKeys) {
  absl::StatusOr<Config> d = ParseConfig("");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->handle.udp_rrl_enabled);
  EXPECT_EQ(d->handle.udp_rrl_responses_per_second, 1000u);
  EXPECT_EQ(d->handle.udp_rrl_burst, 0u);
  EXPECT_EQ(d->handle.udp_rrl_slip, 2u);
  EXPECT_EQ(d->handle.udp_rrl_table_size, 65536u);
  EXPECT_EQ(d->handle.tcp_max_connections_per_source, 0u);
  absl::StatusOr<Config> c = ParseConfig(R"([handle]
udp_rrl_enabled = true
udp_rrl_responses_per_second = 20
udp_rrl_burst = 40
udp_rrl_slip = 0
udp_rrl_table_size = 1024
tcp_max_connections_per_source = 8
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->handle.udp_rrl_enabled);
  EXPECT_EQ(c->handle.udp_rrl_responses_per_second, 20u);
  EXPECT_EQ(c->handle.udp_rrl_burst, 40u);
  EXPECT_EQ(c->handle.udp_rrl_slip, 0u);
  EXPECT_EQ(c->handle.udp_rrl_table_size, 1024u);
  EXPECT_EQ(c->handle.tcp_max_connections_per_source, 8u);
  ExpectError("[handle]\nudp_rrl_slip = 101\n",
              "q.toml:2:16: configuration key 'handle.udp_rrl_slip' is out of range: 101 "
              "(allowed 0..100)");
  ExpectError("[handle]\nudp_rrl_table_size = 3\n",
              "q.toml:2:22: configuration key 'handle.udp_rrl_table_size' is out of range: 3 "
              "(allowed 4..16777216)");
}

TEST(ConfigTest, HandleLargeUdpAnswerKeys) {
  absl::StatusOr<Config> d = ParseConfig("");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->handle.udp_large_answers, "budget");
  EXPECT_EQ(d->handle.udp_max_answer_bytes, 16384u);
  EXPECT_EQ(d->handle.udp_budget_bytes_per_second, 131072u);
  EXPECT_EQ(d->handle.udp_budget_burst, 524288u);
  EXPECT_EQ(d->handle.udp_budget_table_size, 65536u);
  absl::StatusOr<Config> c = ParseConfig(R"([handle]
udp_large_answers = "truncate"
udp_max_answer_bytes = 512
udp_budget_bytes_per_second = 0
udp_budget_burst = 5000
udp_budget_table_size = 4
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->handle.udp_large_answers, "truncate");
  EXPECT_EQ(c->handle.udp_max_answer_bytes, 512u);
  EXPECT_EQ(c->handle.udp_budget_bytes_per_second, 0u);
  EXPECT_EQ(c->handle.udp_budget_burst, 5000u);
  EXPECT_EQ(c->handle.udp_budget_table_size, 4u);
  ExpectError("[handle]\nudp_large_answers = \"full\"\n",
              "q.toml:2:21: configuration key 'handle.udp_large_answers' has invalid value "
              "'full' (allowed: budget, truncate)");
  ExpectError("[handle]\nudp_max_answer_bytes = 511\n",
              "q.toml:2:24: configuration key 'handle.udp_max_answer_bytes' is out of range: "
              "511 (allowed 512..262144)");
  ExpectError("[handle]\nudp_budget_burst = -1\n",
              "q.toml:2:20: configuration key 'handle.udp_budget_burst' is out of range: -1 "
              "(allowed 0..1000000000)");
}

TEST(ConfigTest, HttpMaxConnectionsPerSource) {
  absl::StatusOr<Config> d = ParseConfig("");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->http.max_connections_per_source, 0u);
  absl::StatusOr<Config> c = ParseConfig("[http]\nmax_connections_per_source = 16\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http.max_connections_per_source, 16u);
  ExpectError("[http]\nmax_connections_per_source = -1\n",
              "q.toml:2:30: configuration key 'http.max_connections_per_source' is out of range: "
              "-1 (allowed 0..1000000)");
}

TEST(ConfigTest, UnknownSectionIsNamed) {
  ExpectError("[htp]\nport = 80\n", "q.toml:1:1: unknown configuration section 'htp'");
}

TEST(ConfigTest, UnknownTopLevelKeyIsNamed) {
  ExpectError("port = 80\n", "q.toml:1:8: unknown configuration key 'port'");
}

TEST(ConfigTest, StatsParentUrlIsHttpOrHttps) {
  absl::StatusOr<Config> c = ParseConfig("[stats]\nparent_url = \"https://parent:8000\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stats.parent_url, "https://parent:8000");
  c = ParseConfig("[stats]\nparent_url = \"http://parent:8000\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stats.parent_url, "http://parent:8000");
  ExpectError("[stats]\nparent_url = \"ftp://parent\"\n",
              "q.toml:2:14: configuration key 'stats.parent_url' must be empty or an http:// "
              "or https:// URL");
}

TEST(ConfigTest, PlatformCapsAndPublicBaseUrl) {
  absl::StatusOr<Config> d = ParseConfig("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->platform.max_devices_per_enterprise, 100'000u);
  EXPECT_EQ(d->platform.max_products_per_enterprise, 1'000u);
  EXPECT_EQ(d->platform.public_base_url, "");
  absl::StatusOr<Config> c = ParseConfig(
      "[platform]\nmax_devices_per_enterprise = 5\nmax_products_per_enterprise = 2\n"
      "public_base_url = \"https://iot.example.cn//\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->platform.max_devices_per_enterprise, 5u);
  EXPECT_EQ(c->platform.max_products_per_enterprise, 2u);
  EXPECT_EQ(c->platform.public_base_url, "https://iot.example.cn");
  ExpectError("[platform]\npublic_base_url = \"iot.example.cn\"\n",
              "q.toml:2:19: configuration key 'platform.public_base_url' must be empty or an "
              "http:// or https:// URL");
  ExpectError("[platform]\nmax_devices_per_enterprise = 0\n",
              "q.toml:2:30: configuration key 'platform.max_devices_per_enterprise' is out of "
              "range: 0 (allowed 1..100000000)");
}

TEST(ConfigTest, TsdbSection) {
  absl::StatusOr<Config> d = ParseConfig("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->tsdb.max_series_per_enterprise, 100'000u);
  EXPECT_EQ(d->tsdb.max_points_read_per_query, 10'000'000u);
  EXPECT_EQ(d->tsdb.max_series_per_query, 10'000u);
  EXPECT_EQ(d->tsdb.max_rows_per_query, 1'000'000u);
  EXPECT_EQ(d->tsdb.max_windows_per_query, 100'000u);
  EXPECT_EQ(d->tsdb.max_write_body_bytes, 33'554'432u);
  EXPECT_EQ(d->tsdb.mqtt_flush_ms, 100u);
  EXPECT_EQ(d->tsdb.retention_days, 0u);
  EXPECT_EQ(d->tsdb.retention_interval_s, 3600u);
  absl::StatusOr<Config> c = ParseConfig(
      "[tsdb]\nmax_series_per_enterprise = 50\nmax_points_read_per_query = 5000\n"
      "max_series_per_query = 7\nmax_rows_per_query = 9\nmax_windows_per_query = 11\nmax_write_body_bytes = 4096\n"
      "mqtt_flush_ms = 20\nretention_days = 30\nretention_interval_s = 60\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tsdb.max_series_per_enterprise, 50u);
  EXPECT_EQ(c->tsdb.max_points_read_per_query, 5000u);
  EXPECT_EQ(c->tsdb.max_series_per_query, 7u);
  EXPECT_EQ(c->tsdb.max_rows_per_query, 9u);
  EXPECT_EQ(c->tsdb.max_windows_per_query, 11u);
  EXPECT_EQ(c->tsdb.max_write_body_bytes, 4096u);
  EXPECT_EQ(c->tsdb.mqtt_flush_ms, 20u);
  EXPECT_EQ(c->tsdb.retention_days, 30u);
  EXPECT_EQ(c->tsdb.retention_interval_s, 60u);
  ExpectError("[tsdb]\nmax_series_per_enterprise = 0\n",
              "q.toml:2:29: configuration key 'tsdb.max_series_per_enterprise' is out of range: 0 "
              "(allowed 1..100000000)");
  ExpectError("[tsdb]\nretention_days = -1\n",
              "q.toml:2:18: configuration key 'tsdb.retention_days' is out of range: -1 "
              "(allowed 0..36600)");
}

TEST(ConfigTest, MqttSection) {
  absl::StatusOr<Config> d = ParseConfig("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->mqtt.broker_env, "");
  EXPECT_EQ(d->mqtt.ingest_connections, 2u);
  EXPECT_EQ(d->mqtt.max_payload_bytes, 262'144u);
  EXPECT_EQ(d->mqtt.max_clock_skew_seconds, 300u);
  EXPECT_EQ(d->mqtt.device_messages_per_second, 100u);
  EXPECT_EQ(d->mqtt.device_burst, 200u);
  absl::StatusOr<Config> c = ParseConfig(
      "[mqtt]\nbroker_env = \"var/b/broker.env\"\ningest_connections = 4\n"
      "max_payload_bytes = 65536\nmax_clock_skew_seconds = 60\n"
      "device_messages_per_second = 0\ndevice_burst = 10\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->mqtt.broker_env, "var/b/broker.env");
  EXPECT_EQ(c->mqtt.ingest_connections, 4u);
  EXPECT_EQ(c->mqtt.max_payload_bytes, 65'536u);
  EXPECT_EQ(c->mqtt.max_clock_skew_seconds, 60u);
  EXPECT_EQ(c->mqtt.device_messages_per_second, 0u);
  EXPECT_EQ(c->mqtt.device_burst, 10u);
  ExpectError("[mqtt]\ningest_connections = 0\n",
              "q.toml:2:22: configuration key 'mqtt.ingest_connections' is out of range: 0 "
              "(allowed 1..64)");
  ExpectError("[mqtt]\nbrokerenv = \"x\"\n",
              "q.toml:2:13: unknown configuration key 'mqtt.brokerenv'");
}

TEST(ConfigTest, WrongTypeNamesKeyAndType) {
  ExpectError("[http]\nport = \"80\"\n", "q.toml:2:8: configuration key 'http.port' must be an integer");
  ExpectError("[store]\nsync_writes = 1\n",
              "q.toml:2:15: configuration key 'store.sync_writes' must be a boolean");
  ExpectError("[node]\ndata_dir = 5\n", "q.toml:2:12: configuration key 'node.data_dir' must be a string");
  ExpectError("[node]\nprefixes = \"88.999\"\n",
              "q.toml:2:12: configuration key 'node.prefixes' must be an array of strings");
  ExpectError("[node]\nprefixes = [1]\n",
              "q.toml:2:13: configuration key 'node.prefixes' must be an array of strings");
}

TEST(ConfigTest, OutOfRangeNamesKey) {
  ExpectError("[http]\nport = 70000\n",
              "q.toml:2:8: configuration key 'http.port' is out of range: 70000 (allowed 0..65535)");
  ExpectError("[http]\nworker_threads = 0\n",
              "q.toml:2:18: configuration key 'http.worker_threads' is out of range: 0 (allowed "
              "1..4096)");
  ExpectError("[http]\nmax_body_bytes = -1\n",
              "q.toml:2:18: configuration key 'http.max_body_bytes' is out of range: -1 (allowed "
              "1..1073741824)");
}

TEST(ConfigTest, EnumeratedValuesAreChecked) {
  ExpectError("[store]\nbackend = \"leveldb\"\n",
              "q.toml:2:11: configuration key 'store.backend' has invalid value 'leveldb' "
              "(allowed: rocksdb, memory)");
  ExpectError("[log]\nformat = \"xml\"\n",
              "q.toml:2:10: configuration key 'log.format' has invalid value 'xml' (allowed: "
              "text, json)");
  ExpectError("[log]\nlevel = \"loud\"\n",
              "q.toml:2:9: configuration key 'log.level' has invalid value 'loud' (allowed: "
              "trace, debug, info, warn, error, critical, off)");
}

TEST(ConfigTest, EmptyValuesAreRefused) {
  ExpectError("[node]\nprefixes = []\n",
              "q.toml: configuration key 'node.prefixes' is empty and recursive.enabled is "
              "false: the node would serve nothing");
  ExpectError("[node]\nprefixes = [\"88.999/x\"]\n",
              "q.toml:2:13: configuration key 'node.prefixes' has invalid prefix '88.999/x'");
  ExpectError("[http]\nlisten = \"\"\n", "q.toml:2:10: configuration key 'http.listen' must not be empty");
}

TEST(ConfigTest, SyntaxErrorHasPosition) {
  absl::StatusOr<Config> c = ParseConfig("[http]\nport = = 1\n", "q.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  // The description is toml++'s; the position is ours to guarantee.
  EXPECT_EQ(c.status().message().substr(0, 11), "q.toml:2:8:");
}

TEST(ConfigTest, LoadsFile) {
  std::string path = ::testing::TempDir() + "/qilian_config_test.toml";
  {
    std::ofstream out(path);
    out << "[http]\nport = 8123\n";
  }
  absl::StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http.port, 8123);
  std::remove(path.c_str());
}

TEST(ConfigTest, MissingFileIsNotFound) {
  absl::StatusOr<Config> c = LoadConfigFile("/nonexistent/qilian.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.status().message(),
            "cannot read configuration file '/nonexistent/qilian.toml': No such file or directory");
}

}  // namespace
}  // namespace qilian

namespace qilian {
namespace {

TEST(ConfigTest, RecursiveDefaults) {
  absl::StatusOr<Config> c = ParseConfig("", "q.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->recursive.enabled);
  EXPECT_EQ(c->recursive.roots, std::vector<std::string>{"127.0.0.1:2641"});
  EXPECT_EQ(c->recursive.cache_bytes, 64u << 20);
  EXPECT_EQ(c->recursive.cache_shards, 16u);
  EXPECT_EQ(c->recursive.negative_ttl_s, 60u);
  EXPECT_EQ(c->recursive.max_ttl_s, 86400u);
  EXPECT_EQ(c->recursive.max_stale_s, 3600u);
  EXPECT_EQ(c->recursive.prefetch_min_hits, 8u);
  EXPECT_EQ(c->recursive.query_timeout_ms, 2000u);
  EXPECT_EQ(c->recursive.max_referrals, 8u);
  EXPECT_EQ(c->recursive.max_in_flight, 256u);
}

TEST(ConfigTest, PureRecursiveNode) {
  absl::StatusOr<Config> c = ParseConfig(R"([node]
prefixes = []
[recursive]
enabled = true
roots = ["127.0.0.1:2641", "[::1]:12641"]
cache_bytes = 1048576
cache_shards = 4
negative_ttl_s = 5
max_ttl_s = 600
max_stale_s = 0
prefetch_min_hits = 0
query_timeout_ms = 300
max_referrals = 3
max_in_flight = 16
)",
                                         "q.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->node.prefixes.empty());
  EXPECT_TRUE(c->recursive.enabled);
  EXPECT_EQ(c->recursive.roots, (std::vector<std::string>{"127.0.0.1:2641", "[::1]:12641"}));
  EXPECT_EQ(c->recursive.cache_bytes, 1048576u);
  EXPECT_EQ(c->recursive.cache_shards, 4u);
  EXPECT_EQ(c->recursive.negative_ttl_s, 5u);
  EXPECT_EQ(c->recursive.max_ttl_s, 600u);
  EXPECT_EQ(c->recursive.max_stale_s, 0u);
  EXPECT_EQ(c->recursive.prefetch_min_hits, 0u);
  EXPECT_EQ(c->recursive.query_timeout_ms, 300u);
  EXPECT_EQ(c->recursive.max_referrals, 3u);
  EXPECT_EQ(c->recursive.max_in_flight, 16u);
}

TEST(ConfigTest, RecursiveErrorsNameTheKey) {
  ExpectError("[recursive]\nenabled = true\nroots = []\n",
              "q.toml: configuration key 'recursive.roots' must not be empty when "
              "recursive.enabled is true");
  ExpectError("[recursive]\nroots = [\"localhost:2641\"]\n",
              "q.toml:2:10: configuration key 'recursive.roots' has invalid root "
              "'localhost:2641' (want \"address:port\" or \"[v6]:port\")");
  ExpectError("[recursive]\nroots = [\"127.0.0.1\"]\n",
              "q.toml:2:10: configuration key 'recursive.roots' has invalid root "
              "'127.0.0.1' (want \"address:port\" or \"[v6]:port\")");
  ExpectError("[recursive]\nroots = [\"127.0.0.1:0\"]\n",
              "q.toml:2:10: configuration key 'recursive.roots' has invalid root "
              "'127.0.0.1:0' (want \"address:port\" or \"[v6]:port\")");
  ExpectError("[recursive]\nroots = [\"::1:2641\"]\n",
              "q.toml:2:10: configuration key 'recursive.roots' has invalid root "
              "'::1:2641' (want \"address:port\" or \"[v6]:port\")");
  ExpectError("[recursive]\nroots = \"127.0.0.1:2641\"\n",
              "q.toml:2:9: configuration key 'recursive.roots' must be an array of strings");
  ExpectError("[recursive]\nmax_referrals = 0\n",
              "q.toml:2:17: configuration key 'recursive.max_referrals' is out of range: 0 "
              "(allowed 1..64)");
  ExpectError("[recursive]\nenable = true\n",
              "q.toml:2:10: unknown configuration key 'recursive.enable'");
}

TEST(ConfigTest, HttpTlsKeys) {
  absl::StatusOr<Config> c = ParseConfig("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http.tls_cert, "");
  EXPECT_EQ(c->http.tls_key, "");
  EXPECT_EQ(c->http.tls_client_ca, "");
  EXPECT_EQ(c->http.tls_client_cert, "optional");
  EXPECT_EQ(c->http.tls_handshake_timeout_ms, 10000u);
  c = ParseConfig(
      "[http]\ntls_cert = \"/etc/q/cert.pem\"\ntls_key = \"/etc/q/key.pem\"\n"
      "tls_client_ca = \"/etc/q/ca.pem\"\ntls_client_cert = \"required\"\n"
      "tls_handshake_timeout_ms = 500\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->http.tls_cert, "/etc/q/cert.pem");
  EXPECT_EQ(c->http.tls_key, "/etc/q/key.pem");
  EXPECT_EQ(c->http.tls_client_ca, "/etc/q/ca.pem");
  EXPECT_EQ(c->http.tls_client_cert, "required");
  EXPECT_EQ(c->http.tls_handshake_timeout_ms, 500u);

  ExpectError("[http]\ntls_cert = \"c.pem\"\n",
              "q.toml: configuration key 'http.tls_key' must be set when http.tls_cert is");
  ExpectError("[http]\ntls_key = \"k.pem\"\n",
              "q.toml: configuration key 'http.tls_cert' must be set when http.tls_key is");
  ExpectError("[http]\ntls_client_ca = \"ca.pem\"\n",
              "q.toml: configuration key 'http.tls_client_ca' needs http.tls_cert and "
              "http.tls_key");
  ExpectError("[http]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\ntls_client_cert = \"required\"\n",
              "q.toml: configuration key 'http.tls_client_cert' is \"required\" but "
              "http.tls_client_ca is not set");
  ExpectError("[http]\ntls_client_cert = \"yes\"\n",
              "q.toml:2:19: configuration key 'http.tls_client_cert' has invalid value 'yes' "
              "(allowed: optional, required)");
  ExpectError("[http]\ntls_cert = \"\"\n",
              "q.toml:2:12: configuration key 'http.tls_cert' must not be empty");
}

}  // namespace
}  // namespace qilian
