// qiliand: the Qilian node daemon. Wires configuration, logging, the store,
// the identifier registry, the one request processor, its front doors (the
// REST API on the HTTP server, the native Handle protocol on UDP and TCP)
// together, then waits for SIGINT/SIGTERM and shuts down in reverse order. This is the only
// code not linked into tests; keep the logic it holds to wiring.
//
// Exit status: 0 after a clean stop (or --help/--version), 1 if start-up
// fails (store cannot be opened, port cannot be bound), 2 for a bad command
// line or configuration.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/rest_api.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/status.h"
#include "exe/node_access.h"
#include "ident/auth/publish_keys.h"
#include "ident/auth/secret_store.h"
#include "ident/auth/signing_keys.h"
#include "ident/authz/first_admin.h"
#include "ident/native_frontend.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "ident/resolver/recursive_resolver.h"
#include "ident/resolver/upstream.h"
#include "ident/site_info.h"
#include "ident/stats/node_report.h"
#include "ident/stats/stats_recorder.h"
#include "ident/stats/stats_service.h"
#include "ident/template/record_check.h"
#include "ident/template/template_store.h"
#include "net/handle_tcp_server.h"
#include "net/handle_udp_server.h"
#include "net/http_server.h"
#include "security/events/event_store.h"
#include "security/events/sensor_registry.h"
#include "store/memory_store.h"
#include "store/rocksdb_store.h"
#include "platform/device/device_registry.h"
#include "platform/runtime/platform_runtime.h"
#include "platform/telemetry/telemetry_service.h"
#include "platform/product/product_registry.h"
#include "tenant/enterprise_registry.h"

#ifndef QILIAN_VERSION
#define QILIAN_VERSION "0.0.0"
#endif

namespace qilian {
namespace {

constexpr int kExitStartupFailed = 1;
constexpr int kExitUsage = 2;

struct Flags {
  std::string config_path;
  std::optional<std::string> data_dir;
  std::optional<int> http_port;
  std::optional<int> handle_port;
  std::optional<std::string> listen;
  std::optional<std::string> broker_env;
  bool memory_store = false;
  bool test_clock = false;
  std::optional<std::string> rotate_signing_key;
};

// The node's signing keys: where they are kept and which it holds.
ident::auth::SigningKeyOptions SigningKeyOptionsOf(const Config& config) {
  ident::auth::SigningKeyOptions options;
  options.directory = !config.auth.signing_key_dir.empty() ? config.auth.signing_key_dir
                                                           : config.node.data_dir + "/signing";
  options.ed25519 = config.auth.signing_key_ed25519;
  options.sm2 = config.auth.signing_key_sm2;
  return options;
}

// --rotate-signing-key: retires the current key of that type and writes a
// fresh one (docs/operations.md, "Rotating the signing key"); the running
// daemon keeps the old key until it is restarted.
int RotateSigningKey(const Config& config, const std::string& type_name) {
  absl::StatusOr<ident::auth::KeyType> type = ident::auth::ParseSigningKeyType(type_name);
  if (!type.ok()) {
    std::cerr << "qiliand: --rotate-signing-key: " << type.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::optional<std::string>> retired =
      ident::auth::RotateSigningKey(SigningKeyOptionsOf(config), *type, absl::Now());
  if (!retired.ok()) {
    std::cerr << "qiliand: cannot rotate the signing key: " << retired.status().message() << "\n";
    return kExitStartupFailed;
  }
  std::cout << "qiliand: new " << ident::auth::KeyTypeName(*type) << " signing key written";
  if (retired->has_value()) std::cout << "; the old one is kept as " << **retired;
  std::cout << ". Restart qiliand to sign with it and publish it.\n";
  return 0;
}

// "127.0.0.1:8000" or "[::1]:8000"; a wildcard listen address is shown as
// the loopback one, which is where an operator on the host reaches it.
std::string HostPort(const std::string& listen, uint16_t port) {
  std::string host = listen;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  return absl::StrCat(host, ":", port);
}

// The address HS_SITE advertises: handle.public_address, else the listen
// address, with a wildcard replaced by the loopback address of its family.
std::string SiteAddress(const HandleConfig& handle) {
  if (!handle.public_address.empty()) return handle.public_address;
  if (handle.listen == "0.0.0.0") return "127.0.0.1";
  if (handle.listen == "::") return "::1";
  return handle.listen;
}

// The native servers, bound to one port number for UDP and TCP, and the
// front end they call. The front end needs the processor, whose HS_SITE
// needs the bound port, so the servers start first and answer nothing
// (silence, or a closed connection) until the front end is in place —
// before qiliand reports that it is listening.
struct NativeDoors {
  std::atomic<ident::NativeFrontend*> frontend{nullptr};
  // A recursive node's resolutions wait on other servers: every message
  // goes to the TCP worker pool.
  std::atomic<bool> all_may_block{false};
  std::unique_ptr<net::HandleTcpServer> tcp;
  std::unique_ptr<net::HandleUdpServer> udp;

  net::NativeHandler Handler() {
    net::NativeHandler h;
    h.handle = [this](std::span<const uint8_t> message,
                      const ident::Peer& peer) -> std::optional<ident::NativeReply> {
      ident::NativeFrontend* f = frontend.load(std::memory_order_acquire);
      if (f == nullptr) return std::nullopt;
      return f->Handle(message, peer);
    };
    h.may_block = [this](std::span<const uint8_t> message) {
      ident::NativeFrontend* f = frontend.load(std::memory_order_acquire);
      return f != nullptr && (all_may_block.load(std::memory_order_relaxed) || f->MayBlock(message));
    };
    return h;
  }

  // Binds TCP, then UDP on the port TCP got. With port 0 another socket
  // may hold that number for UDP, so a few ports are tried.
  absl::Status Start(const HandleConfig& c, MetricsRegistry* metrics) {
    net::HandleTcpServerOptions tcp_options;
    tcp_options.listen = c.listen;
    tcp_options.io_threads = c.tcp_io_threads;
    tcp_options.worker_threads = c.tcp_worker_threads;
    tcp_options.max_connections = c.tcp_max_connections;
    tcp_options.max_connections_per_source = c.tcp_max_connections_per_source;
    tcp_options.idle_timeout = std::chrono::milliseconds(c.tcp_idle_timeout_ms);
    tcp_options.read_timeout = std::chrono::milliseconds(c.tcp_read_timeout_ms);
    net::HandleUdpServerOptions udp_options;
    udp_options.listen = c.listen;
    udp_options.workers = c.udp_workers;
    udp_options.max_reply_factor = c.udp_max_reply_factor;
    udp_options.error_rate.rate_per_second = c.udp_error_rate_per_second;
    udp_options.error_rate.burst = c.udp_error_burst;
    udp_options.rrl.enabled = c.udp_rrl_enabled;
    udp_options.rrl.responses_per_second = c.udp_rrl_responses_per_second;
    udp_options.rrl.burst = c.udp_rrl_burst;
    udp_options.rrl.slip = c.udp_rrl_slip;
    udp_options.rrl.table_size = c.udp_rrl_table_size;
    udp_options.max_answer_bytes = c.udp_max_answer_bytes;
    udp_options.budget.mode = c.udp_large_answers == "truncate" ? net::LargeAnswerMode::kTruncate
                                                                : net::LargeAnswerMode::kBudget;
    udp_options.budget.bytes_per_second = c.udp_budget_bytes_per_second;
    udp_options.budget.burst_bytes = c.udp_budget_burst;
    udp_options.budget.table_size = c.udp_budget_table_size;
    udp_options.reassembly.max_bytes_per_peer = c.max_reassembly_bytes_per_peer;
    udp_options.reassembly.max_peers = c.max_reassembly_peers;
    udp_options.reassembly.timeout = absl::Milliseconds(c.reassembly_timeout_ms);
    absl::Status last;
    for (int attempt = 0; attempt < (c.port == 0 ? 10 : 1); ++attempt) {
      tcp_options.port = c.port;
      tcp = std::make_unique<net::HandleTcpServer>(tcp_options, Handler(), metrics);
      QL_RETURN_IF_ERROR(tcp->Start());
      udp_options.port = tcp->port();
      udp = std::make_unique<net::HandleUdpServer>(udp_options, Handler(), metrics);
      last = udp->Start();
      if (last.ok()) return last;
      udp.reset();
      tcp.reset();
    }
    return last;
  }

  void Stop() {
    if (udp) udp->Stop();
    if (tcp) tcp->Stop();
  }
};

// POST /debug/clock?advance_s=N, only with --test-clock and only from
// loopback: moves the node's clock (registry timestamps, resolver cache
// TTLs) forward so that end-to-end tests can expire answers without
// sleeping. Answers {"now": unix seconds}.
net::HttpResponse DebugClock(const net::HttpRequest& request, FakeClock* clock) {
  net::HttpResponse response;
  auto fail = [&](int status, std::string_view message) {
    response.status = status;
    response.body = absl::StrCat(R"({"message":")", std::string(message), R"("})");
    return response;
  };
  if (!request.remote_is_loopback) return fail(403, "the test clock is moved only from loopback");
  if (request.method != "POST") {
    response.headers.emplace_back("Allow", "POST");
    return fail(405, "use POST /debug/clock?advance_s=N");
  }
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  constexpr std::string_view kParam = "advance_s=";
  int64_t seconds = 0;
  if (query.substr(0, kParam.size()) != kParam ||
      !absl::SimpleAtoi(std::string(query.substr(kParam.size())), &seconds) || seconds < 0 ||
      seconds > 10LL * 365 * 86400) {
    return fail(400, "advance_s must be an integer number of seconds, 0 to ten years");
  }
  clock->Advance(absl::Seconds(seconds));
  response.body = absl::StrCat(R"({"now":)", absl::ToUnixSeconds(clock->Now()), "}");
  return response;
}

absl::StatusOr<std::unique_ptr<store::KvStore>> OpenStore(const Config& config) {
  std::vector<std::string> spaces = {std::string(ident::Registry::kSpace),
                                     std::string(tenant::EnterpriseRegistry::kSpace),
                                     std::string(ident::stats::kSpace),
                                     std::string(ident::authz::AuditLog::kSpace),
                                     std::string(tenant::UserStore::kSpace),
                                     std::string(platform::ProductRegistry::kSpace),
                                     std::string(platform::tsdb::kTsdbSpace),
                                     std::string(platform::tsdb::kTsdbWalSpace),
                                     std::string(platform::telemetry::kTelemetrySpace),
                                     std::string(security::events::kSecuritySpace),
                                     std::string(ident::templates::TemplateStore::kSpace)};
  if (config.store.backend == "memory") {
    return store::NewMemoryStore(store::StoreOptions{spaces});
  }
  store::RocksDbOptions options;
  options.path = config.node.data_dir + "/db";
  options.spaces = spaces;
  options.block_cache_bytes = static_cast<size_t>(config.store.block_cache_mb) << 20;
  options.write_buffer_bytes = static_cast<size_t>(config.store.write_buffer_mb) << 20;
  options.sync_writes = config.store.sync_writes;
  // The engine's WAL records: megabytes a call, deleted within minutes.
  options.uncompressed_spaces = {std::string(platform::tsdb::kTsdbWalSpace)};
  return store::OpenRocksDbStore(options);
}

// Bulk writes (line protocol, MQTT groups) build buffers of megabytes per
// request. glibc serves those with fresh mmap()s and gives them back on
// free, so every request paid for zeroing new pages (a quarter of the
// ingest CPU, measured with perf). Keep them in the heap instead.
// And one arena per core: glibc's default (eight per core) gave each of
// the 32 HTTP workers an arena of its own, each keeping its freed
// buffers, and the node held 4.7 GiB while ingesting a day of line
// protocol; with one per core it holds 1.3 GiB and spends less CPU (the
// buffers are reused warm). bench/tsdb-bench, docs/benchmarks.md.
void TuneAllocator() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_ARENA_MAX, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

int Run(int argc, char** argv) {
  TuneAllocator();
  Flags flags;
  CLI::App app{"qiliand: the Qilian industrial internet identifier node", "qiliand"};
  app.add_option("--config", flags.config_path, "TOML configuration file (docs/config.md)")
      ->check(CLI::ExistingFile);
  app.add_option("--data-dir", flags.data_dir, "override node.data_dir");
  app.add_option("--http-port", flags.http_port, "override http.port (0: pick a free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--handle-port", flags.handle_port,
                 "override handle.port, UDP and TCP (0: pick a free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--listen", flags.listen, "override http.listen (an IP address)");
  app.add_option("--broker-env", flags.broker_env,
                 "override mqtt.broker_env (scripts/broker's broker.env)");
  app.add_flag("--memory-store", flags.memory_store,
               "keep everything in memory (store.backend = \"memory\"); nothing survives exit");
  app.add_flag("--test-clock", flags.test_clock,
               "tests only: a clock that moves only through POST /debug/clock?advance_s=N "
               "(loopback)");
  app.add_option("--rotate-signing-key", flags.rotate_signing_key,
                 "retire the node's signing key of this type (rsa, ed25519, sm2), write a fresh "
                 "one and exit");
  app.set_version_flag("--version", "qiliand " QILIAN_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  Config config;
  if (!flags.config_path.empty()) {
    absl::StatusOr<Config> loaded = LoadConfigFile(flags.config_path);
    if (!loaded.ok()) {
      std::cerr << "qiliand: " << loaded.status().message() << "\n";
      return kExitUsage;
    }
    config = *std::move(loaded);
  }
  if (flags.data_dir) config.node.data_dir = *flags.data_dir;
  if (flags.http_port) config.http.port = static_cast<uint16_t>(*flags.http_port);
  if (flags.handle_port) config.handle.port = static_cast<uint16_t>(*flags.handle_port);
  if (flags.listen) config.http.listen = *flags.listen;
  if (flags.broker_env) config.mqtt.broker_env = *flags.broker_env;
  if (flags.memory_store) config.store.backend = "memory";

  if (absl::Status s = InitLogging(config.log.level, config.log.format); !s.ok()) {
    std::cerr << "qiliand: " << s.message() << "\n";
    return kExitUsage;
  }
  if (flags.rotate_signing_key) return RotateSigningKey(config, *flags.rotate_signing_key);

  // Signals are taken synchronously by this thread; block them before any
  // other thread starts so that none of those receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  MetricsRegistry& metrics = MetricsRegistry::Default();
  RegisterProcessCollector(metrics);

  absl::StatusOr<std::unique_ptr<store::KvStore>> opened = OpenStore(config);
  if (!opened.ok()) {
    LogError("store.open_failed", {{"backend", config.store.backend},
                                   {"data_dir", config.node.data_dir},
                                   {"error", std::string(opened.status().message())}});
    std::cerr << "qiliand: cannot open store: " << opened.status().message() << "\n";
    return kExitStartupFailed;
  }
  std::unique_ptr<store::KvStore> kv = *std::move(opened);
  LogInfo("store.opened", {{"backend", config.store.backend},
                           {"path", config.store.backend == "memory"
                                        ? std::string("-")
                                        : config.node.data_dir + "/db"}});
  Gauge& store_memory =
      metrics.GetGauge("qilian_store_memory_bytes",
                       "Approximate memory held by the store's caches and write buffers.");
  store::KvStore* kv_ptr = kv.get();
  metrics.AddCollector([&store_memory, kv_ptr] {
    store_memory.Set(static_cast<int64_t>(kv_ptr->ApproximateMemoryUsage()));
  });

  // --test-clock: starts at the real time (so native requests' expiration
  // times still check out) and then moves only when a test says so.
  std::unique_ptr<FakeClock> test_clock;
  if (flags.test_clock) {
    test_clock = std::make_unique<FakeClock>(absl::Now());
    LogWarn("clock.test", {{"message", "test clock: time moves only via POST /debug/clock"}});
  }
  const Clock& clock = test_clock ? static_cast<const Clock&>(*test_clock) : Clock::Real();

  ident::RegistryOptions registry_options;
  registry_options.authoritative_prefixes = config.node.prefixes;
  registry_options.case_sensitive_suffix = config.node.case_sensitive_suffix;
  registry_options.record_cache_bytes = static_cast<size_t>(config.store.record_cache_mb) << 20;
  registry_options.metrics = &metrics;
  // HS_SECKEY secrets are sealed with the node key (docs/authentication.md,
  // "Secrets at rest"), opened before anything is written.
  const std::string node_key_file = !config.auth.node_key_file.empty()
                                        ? config.auth.node_key_file
                                        : config.node.data_dir + "/node.key";
  absl::StatusOr<ident::auth::NodeKey> node_key =
      ident::auth::OpenNodeKey(kv.get(), node_key_file);
  if (!node_key.ok()) {
    LogError("auth.node_key_failed", {{"error", std::string(node_key.status().message())}});
    std::cerr << "qiliand: cannot open the node key: " << node_key.status().message() << "\n";
    return kExitStartupFailed;
  }
  LogInfo("auth.node_key",
          {{"file", node_key_file}, {"created", node_key->created ? "true" : "false"}});
  registry_options.value_sealer = &node_key->sealer;
  // Identifier data templates (docs/templates.md): every write of a record
  // that names a template is checked against it, over REST and native.
  auto templates = std::make_unique<ident::templates::TemplateStore>(kv.get(), clock);
  ident::templates::TemplateRecordCheck template_check(templates.get());
  registry_options.record_validator = &template_check;
  auto registry = std::make_unique<ident::Registry>(kv.get(), clock, registry_options);

  // The signing keys (docs/authentication.md, "The node's signing keys"):
  // certified answers and session setup replies; RSA goes into HS_SITE.
  const ident::auth::SigningKeyOptions signing_options = SigningKeyOptionsOf(config);
  absl::StatusOr<ident::auth::SigningKeys> signing_keys =
      ident::auth::SigningKeys::Open(signing_options);
  if (!signing_keys.ok()) {
    LogError("auth.signing_keys_failed", {{"error", std::string(signing_keys.status().message())}});
    std::cerr << "qiliand: cannot open the signing keys: " << signing_keys.status().message()
              << "\n";
    return kExitStartupFailed;
  }
  for (const ident::auth::PrivateKey& key : signing_keys->all()) {
    bool created = false;
    for (ident::auth::KeyType t : signing_keys->created()) created = created || t == key.type();
    LogInfo("auth.signing_key", {{"type", ident::auth::KeyTypeName(key.type())},
                                 {"directory", signing_options.directory},
                                 {"created", created ? "true" : "false"}});
  }
  const std::string site_public_key = signing_keys->rsa().Public().Encode();

  // The native servers bind first: HS_SITE names the port they got.
  auto native = std::make_unique<NativeDoors>();
  if (config.handle.enabled) {
    if (absl::Status s = native->Start(config.handle, &metrics); !s.ok()) {
      LogError("handle.start_failed", {{"error", std::string(s.message())}});
      std::cerr << "qiliand: " << s.message() << "\n";
      return kExitStartupFailed;
    }
  }
  ident::ProcessorOptions processor_options;
  if (config.handle.enabled) {
    ident::SiteOptions site;
    site.address = SiteAddress(config.handle);
    site.handle_port = native->tcp->port();
    site.public_key = site_public_key;
    processor_options.site = ident::BuildSiteInfo(site);
  } else {
    // No native door to advertise; the site enterprise onboarding writes
    // into prefix handles, so that referrals see them as this node's.
    ident::SiteOptions site;
    site.public_key = site_public_key;
    processor_options.site = ident::BuildSiteInfo(site);
  }

  // The recursive role: a resolver over the network from the root sites.
  std::unique_ptr<ident::resolver::NetworkUpstream> upstream;
  std::unique_ptr<ident::resolver::RecursiveResolver> resolver;
  if (config.recursive.enabled) {
    const RecursiveConfig& rc = config.recursive;
    absl::StatusOr<std::vector<ident::SiteInfo>> roots = ident::resolver::ParseRootSites(rc.roots);
    if (!roots.ok()) {
      std::cerr << "qiliand: recursive.roots: " << roots.status().message() << "\n";
      return kExitUsage;
    }
    ident::resolver::NetworkUpstreamOptions upstream_options;
    upstream_options.query_timeout = absl::Milliseconds(rc.query_timeout_ms);
    upstream_options.max_in_flight = rc.max_in_flight;
    upstream = std::make_unique<ident::resolver::NetworkUpstream>(upstream_options, metrics);
    ident::resolver::ResolverOptions resolver_options;
    resolver_options.roots = *std::move(roots);
    resolver_options.max_referrals = rc.max_referrals;
    resolver_options.max_in_flight = rc.max_in_flight;
    resolver_options.cache.max_bytes = rc.cache_bytes;
    resolver_options.cache.shards = rc.cache_shards;
    resolver_options.cache.negative_ttl = absl::Seconds(rc.negative_ttl_s);
    resolver_options.cache.max_ttl = absl::Seconds(rc.max_ttl_s);
    resolver_options.cache.max_stale = absl::Seconds(rc.max_stale_s);
    resolver_options.cache.prefetch_min_hits = rc.prefetch_min_hits;
    resolver = std::make_unique<ident::resolver::RecursiveResolver>(
        std::move(resolver_options), *upstream, clock, metrics);
    ident::resolver::RecursiveResolver* r = resolver.get();
    processor_options.recursive = true;
    processor_options.resolve_recursively =
        [r](std::string_view handle,
            const ident::ValueFilter& filter) -> absl::StatusOr<std::vector<ident::HandleValue>> {
      ident::resolver::ResolveFilter f{filter.indexes, filter.types};
      QL_ASSIGN_OR_RETURN(ident::resolver::Resolution resolution, r->Resolve(handle, f));
      return std::move(resolution.values);
    };
    LogInfo("recursive.enabled", {{"roots", absl::StrJoin(rc.roots, ",")}});
  }
  // A recursive resolution waits on the network: off the I/O threads.
  const bool recursive = config.recursive.enabled;
  // Statistics (docs/statistics.md): the processor counts, the service
  // flushes to the store and reports to the parent.
  ident::stats::StatsOptions stats_options;
  stats_options.max_prefixes = config.stats.max_prefixes;
  auto stats_recorder =
      std::make_unique<ident::stats::StatsRecorder>(kv.get(), clock, &metrics, stats_options);
  processor_options.stats = stats_recorder.get();

  // Who may do what (docs/authentication.md, docs/authorization.md).
  // Enterprise onboarding allocates derived prefixes under the node's first
  // prefix and writes their prefix handles with this node's HS_SITE. A pure
  // recursive node (no prefixes) has nothing to allocate from.
  std::unique_ptr<tenant::EnterpriseRegistry> enterprises;
  if (!config.node.prefixes.empty()) {
    tenant::EnterpriseRegistryOptions enterprise_options;
    enterprise_options.parent_prefix = config.node.prefixes.front();
    enterprise_options.site = processor_options.site;
    enterprises = std::make_unique<tenant::EnterpriseRegistry>(
        kv.get(), registry.get(), clock, std::move(enterprise_options));
  }
  absl::StatusOr<std::unique_ptr<NodeAccess>> built = NodeAccess::Build(
      {&config, kv.get(), registry.get(), enterprises.get(), resolver.get(), stats_recorder.get(),
       &clock, &metrics});
  if (!built.ok()) {
    LogError("auth.start_failed", {{"error", std::string(built.status().message())}});
    std::cerr << "qiliand: " << built.status().message() << "\n";
    return kExitStartupFailed;
  }
  std::unique_ptr<NodeAccess> access = *std::move(built);
  processor_options.access = access->policy();
  // After the first administrator: the prefix handles exist now.
  if (absl::StatusOr<int> published =
          ident::auth::PublishSigningKeys(registry.get(), config.node.prefixes, *signing_keys);
      !published.ok()) {
    LogError("auth.publish_keys_failed", {{"error", std::string(published.status().message())}});
    std::cerr << "qiliand: cannot publish the signing keys: " << published.status().message()
              << "\n";
    return kExitStartupFailed;
  }

  auto processor =
      std::make_unique<ident::Processor>(registry.get(), &metrics, processor_options);
  ident::NativeAuthOptions native_options = access->NativeOptions();
  native_options.signing_key = &signing_keys->rsa();
  auto frontend = std::make_unique<ident::NativeFrontend>(processor.get(), &metrics,
                                                          Clock::Real(), std::move(native_options));
  native->all_may_block.store(recursive, std::memory_order_relaxed);
  native->frontend.store(frontend.get(), std::memory_order_release);
  auto rest = std::make_unique<api::RestApi>(processor.get(), &metrics);
  // Sensors deliver their events here (docs/security/events-api.md): their
  // tokens authenticate beside the console users'.
  std::unique_ptr<security::events::SensorRegistry> sensors;
  std::unique_ptr<security::events::EventStore> security_events;
  api::RestAuthOptions rest_auth = access->RestOptions();
  if (enterprises) {
    sensors = std::make_unique<security::events::SensorRegistry>(
        kv.get(), clock, static_cast<size_t>(config.security.max_sensors_per_enterprise));
    if (absl::Status s = sensors->Load(); !s.ok()) {
      LogError("security.start_failed", {{"error", std::string(s.message())}});
      std::cerr << "qiliand: " << s.message() << "\n";
      return kExitStartupFailed;
    }
    security::events::EventStoreOptions event_options;
    event_options.retention_days = config.security.events_retention_days;
    event_options.retention_interval =
        absl::Seconds(static_cast<int64_t>(config.security.events_retention_interval_s));
    event_options.max_scanned_per_query = config.security.max_events_scanned_per_query;
    security_events = std::make_unique<security::events::EventStore>(kv.get(), sensors.get(), clock,
                                                                     event_options);
    security_events->StartRetention();
    rest_auth.credentials.sensor = [s = sensors.get()](std::string_view token) {
      return s->Authenticate(token);
    };
    rest->SetSecurityEvents(sensors.get(), security_events.get());
    LogInfo("sensors_loaded", {{"count", sensors->size()}});
  }
  rest->SetAuth(std::move(rest_auth));
  if (enterprises) rest->SetEnterprises(enterprises.get());
  rest->SetTemplates(templates.get());
  // Products belong to enterprises (docs/products.md): served where
  // enterprises are.
  std::unique_ptr<platform::ProductRegistry> products;
  // Devices belong to products (docs/devices.md): every device in memory,
  // loaded here; each is an identifier under its enterprise's prefix.
  std::unique_ptr<platform::DeviceRegistry> devices;
  // Devices over MQTT (docs/mqtt.md): the broker's admin connection, the
  // ingestion connections and the shadow, when a broker is configured.
  std::unique_ptr<platform::PlatformRuntime> platform_runtime;
  // Device telemetry; outlives the runtime, whose ingestion writes into it.
  std::unique_ptr<platform::telemetry::TelemetryService> telemetry;
  if (enterprises) {
    platform::ProductRegistryOptions product_options;
    product_options.max_products_per_enterprise = config.platform.max_products_per_enterprise;
    products = std::make_unique<platform::ProductRegistry>(kv.get(), clock, product_options);
    absl::StatusOr<size_t> migrated = products->MigrateProductKeys();
    if (!migrated.ok()) {
      LogError("platform.start_failed", {{"error", std::string(migrated.status().message())}});
      std::cerr << "qiliand: " << migrated.status().message() << "\n";
      return kExitStartupFailed;
    }
    if (*migrated > 0) LogInfo("product_keys_migrated", {{"count", *migrated}});
    rest->SetProducts(products.get());
    platform::DeviceRegistryOptions device_options;
    device_options.max_devices_per_enterprise = config.platform.max_devices_per_enterprise;
    device_options.public_base_url =
        !config.platform.public_base_url.empty()
            ? config.platform.public_base_url
            : absl::StrCat(config.http.tls_cert.empty() ? "http://" : "https://",
                           config.http.listen, ":", config.http.port);
    devices = std::make_unique<platform::DeviceRegistry>(kv.get(), products.get(),
                                                         enterprises.get(), registry.get(), clock,
                                                         std::move(device_options));
    if (absl::Status s = devices->Load(); !s.ok()) {
      LogError("platform.start_failed", {{"error", std::string(s.message())}});
      std::cerr << "qiliand: " << s.message() << "\n";
      return kExitStartupFailed;
    }
    LogInfo("devices_loaded", {{"count", devices->size()}});
    rest->SetDevices(devices.get());
    // Telemetry (docs/tsdb.md): the time-series engine on the node's store,
    // written by MQTT reports and line protocol, read by the query routes.
    platform::telemetry::TelemetryOptions telemetry_options;
    telemetry_options.engine.max_series_per_enterprise = config.tsdb.max_series_per_enterprise;
    telemetry_options.engine.max_points_per_query = config.tsdb.max_points_read_per_query;
    telemetry_options.mqtt.flush_interval = std::chrono::milliseconds(config.tsdb.mqtt_flush_ms);
    telemetry_options.default_retention_days = config.tsdb.retention_days;
    telemetry_options.retention_interval = std::chrono::seconds(config.tsdb.retention_interval_s);
    telemetry_options.query.max_series = config.tsdb.max_series_per_query;
    telemetry_options.query.max_points_read = config.tsdb.max_points_read_per_query;
    telemetry_options.query.max_rows = config.tsdb.max_rows_per_query;
    telemetry_options.query.max_windows = config.tsdb.max_windows_per_query;
    absl::StatusOr<std::unique_ptr<platform::telemetry::TelemetryService>> opened =
        platform::telemetry::TelemetryService::Open(kv.get(), std::move(telemetry_options),
                                                    metrics, clock);
    if (!opened.ok()) {
      LogError("tsdb.start_failed", {{"error", std::string(opened.status().message())}});
      std::cerr << "qiliand: tsdb: " << opened.status().message() << "\n";
      return kExitStartupFailed;
    }
    telemetry = *std::move(opened);
    rest->SetTelemetry(telemetry.get(), config.tsdb.max_write_body_bytes);
    if (!config.mqtt.broker_env.empty()) {
      platform::PlatformRuntimeOptions runtime_options;
      runtime_options.broker_env_file = config.mqtt.broker_env;
      runtime_options.ingest_connections = config.mqtt.ingest_connections;
      runtime_options.ingest.max_payload_bytes = config.mqtt.max_payload_bytes;
      runtime_options.ingest.max_clock_skew =
          absl::Seconds(static_cast<int64_t>(config.mqtt.max_clock_skew_seconds));
      runtime_options.ingest.device_messages_per_second =
          static_cast<double>(config.mqtt.device_messages_per_second);
      runtime_options.ingest.device_burst = static_cast<double>(config.mqtt.device_burst);
      absl::StatusOr<std::unique_ptr<platform::PlatformRuntime>> started =
          platform::PlatformRuntime::Start(std::move(runtime_options), devices.get(), kv.get(),
                                           clock, metrics, &telemetry->mqtt_sink());
      if (!started.ok()) {
        LogError("platform.start_failed", {{"error", std::string(started.status().message())}});
        std::cerr << "qiliand: mqtt.broker_env: " << started.status().message() << "\n";
        return kExitStartupFailed;
      }
      platform_runtime = *std::move(started);
      rest->SetDeviceShadow(&platform_runtime->shadow());
    }
  }
  rest->SetConsole(access->Console());
  auto node_reports = std::make_unique<ident::stats::NodeReportStore>(kv.get());
  ident::stats::StatsServiceOptions stats_service_options;
  stats_service_options.flush_interval = absl::Seconds(config.stats.flush_interval_s);
  stats_service_options.parent_url = config.stats.parent_url;
  stats_service_options.parent_cacert = config.stats.parent_cacert;
  stats_service_options.report_interval = absl::Seconds(config.stats.report_interval_s);
  stats_service_options.node_id = !config.stats.node_id.empty()    ? config.stats.node_id
                                  : !config.node.prefixes.empty() ? config.node.prefixes.front()
                                                                  : "node";
  if (!config.stats.report_identity.empty()) {
    std::optional<ident::AdminIdentity> id = ident::ParseIdentityText(config.stats.report_identity);
    absl::StatusOr<std::string> secret =
        ident::authz::ReadSecretFile(config.stats.report_secret_file);
    if (!id.has_value() || !secret.ok()) {
      std::cerr << "qiliand: stats.report_identity must be index:handle and "
                   "stats.report_secret_file a readable secret file"
                << (secret.ok() ? "" : ": ") << (secret.ok() ? "" : secret.status().message())
                << "\n";
      return kExitUsage;
    }
    stats_service_options.authorization =
        api::BasicAuthorization(*id, *secret);
  }
  auto stats_service = std::make_unique<ident::stats::StatsService>(
      stats_recorder.get(), std::move(stats_service_options));
  stats_service->Start();
  ident::stats::StatsService* stats_service_ptr = stats_service.get();
  rest->SetStats({stats_recorder.get(), node_reports.get(),
                  [stats_service_ptr] { return stats_service_ptr->ReportNow(); }});

  net::HttpServerOptions http_options;
  http_options.listen = config.http.listen;
  http_options.port = config.http.port;
  http_options.io_threads = config.http.io_threads;
  http_options.worker_threads = config.http.worker_threads;
  http_options.max_body_bytes = config.http.max_body_bytes;
  // Line-protocol writes carry batches of thousands of lines (Telegraf's
  // default is 1,000 a flush; gateways send more).
  http_options.max_bulk_body_bytes = std::max<size_t>(config.tsdb.max_write_body_bytes,
                                                      security::events::kMaxBatchBytes);
  http_options.body_limit_for = [bulk = static_cast<size_t>(config.tsdb.max_write_body_bytes)](
                                    std::string_view target) -> size_t {
    std::string_view path = target.substr(0, target.find('?'));
    if (path == "/write" || path == "/api/v2/write") return bulk;
    // A sensor's batch: up to 8 MiB of events (docs/security/events-api.md).
    if (path == "/api/security/events") return security::events::kMaxBatchBytes;
    return size_t{0};
  };
  http_options.header_timeout = std::chrono::milliseconds(config.http.header_timeout_ms);
  http_options.body_timeout = std::chrono::milliseconds(config.http.body_timeout_ms);
  http_options.idle_timeout = std::chrono::milliseconds(config.http.idle_timeout_ms);
  http_options.max_connections = config.http.max_connections;
  http_options.max_connections_per_source = config.http.max_connections_per_source;
  http_options.tls_cert = config.http.tls_cert;
  http_options.tls_key = config.http.tls_key;
  http_options.tls_client_ca = config.http.tls_client_ca;
  http_options.tls_require_client_cert = config.http.tls_client_cert == "required";
  http_options.tls_handshake_timeout =
      std::chrono::milliseconds(config.http.tls_handshake_timeout_ms);
  const bool https = !config.http.tls_cert.empty();
  api::RestApi* rest_ptr = rest.get();
  FakeClock* test_clock_ptr = test_clock.get();
  auto server = std::make_unique<net::HttpServer>(
      http_options,
      [rest_ptr, test_clock_ptr](const net::HttpRequest& r) {
        // The route exists only with --test-clock.
        if (test_clock_ptr != nullptr) {
          std::string_view path = std::string_view(r.target).substr(0, r.target.find('?'));
          if (path == "/debug/clock") return DebugClock(r, test_clock_ptr);
        }
        return rest_ptr->Handle(r);
      },
      [recursive](const net::HttpRequest& r) {
        return api::RestApi::MayBlock(r) || (recursive && r.method == "GET");
      },
      &metrics);
  if (absl::Status s = server->Start(); !s.ok()) {
    native->Stop();  // before the front end it calls goes away
    // TLS errors name the option; say which section it belongs to.
    std::string message(s.message());
    if (message.rfind("tls_", 0) == 0) message = "http." + message;
    LogError("http.start_failed", {{"error", message}});
    std::cerr << "qiliand: " << message << "\n";
    return kExitStartupFailed;
  }

  std::string host_port = HostPort(config.http.listen, server->port());
  std::string base = absl::StrCat(https ? "https://" : "http://", host_port);
  LogInfo("qiliand.started",
          {{"version", QILIAN_VERSION},
           {"api", base + "/api/openapi.json"},
           {"handles", base + "/api/handles"},
           {"metrics", base + "/metrics"},
           {"prefixes", absl::StrJoin(config.node.prefixes, ",")},
           {"store", config.store.backend}});
  // The line scripts and tests wait for; stdout carries nothing else.
  // http= comes first; handle= (UDP and TCP) only when those servers run.
  std::string handle_part;
  if (config.handle.enabled) {
    handle_part = absl::StrCat(" handle=", HostPort(config.handle.listen, native->tcp->port()));
  }
  // " https=1" (last, so older parsers still match) when the port speaks TLS.
  std::printf("qiliand listening http=%s%s%s\n", host_port.c_str(), handle_part.c_str(),
              https ? " https=1" : "");
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogInfo("qiliand.stopping", {{"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}});
  native->Stop();
  server->Stop();
  server.reset();
  native.reset();
  if (absl::Status s = stats_service->Stop(); !s.ok()) {
    LogError("stats.flush_failed", {{"error", std::string(s.message())}});
  }
  stats_service.reset();
  rest.reset();
  security_events.reset();  // stops the retention sweep
  sensors.reset();
  platform_runtime.reset();  // ingestion stops before the registry and store go
  telemetry.reset();         // writes what MQTT buffered
  frontend.reset();
  processor.reset();
  access.reset();
  devices.reset();
  products.reset();
  enterprises.reset();
  resolver.reset();
  upstream.reset();
  registry.reset();
  kv.reset();  // closes the database after every write has returned
  LogInfo("qiliand.stopped");
  return 0;
}

}  // namespace
}  // namespace qilian

int main(int argc, char** argv) { return qilian::Run(argc, argv); }
