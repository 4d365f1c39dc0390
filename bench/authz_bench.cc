// Issue 5's figure: what do the authorization checks cost anonymous
// resolution? The same native resolution requests (the bytes a UDP client
// sends, decoded, processed and encoded by NativeFrontend::Handle) are
// answered by two front ends over one registry: one whose processor has no
// access policy (authorization off) and one with the Authorizer qiliand
// installs, challenges and audit included (authorization on). Rounds
// alternate off/on so that both see the same machine state; the figure is
// the ratio of the median throughputs. Records look like deployed ones:
// three public values and an HS_ADMIN value with public read.
// A benchmark, not a test: it prints figures and asserts nothing.
// Usage: authz_bench [HANDLES=100000] [REQUESTS_PER_ROUND=400000] [ROUNDS=9]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "ident/authz/authorizer.h"
#include "ident/native_frontend.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "ident/value_codec.h"
#include "ident/wire/codec.h"
#include "store/rocksdb_store.h"

namespace {

using namespace qilian;          // NOLINT: a benchmark's main file
using namespace qilian::ident;   // NOLINT

HandleValue StringValue(uint32_t index, std::string type, std::string data) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  v.ttl = 86400;
  return v;
}

std::string ResolutionMessage(const std::string& handle, uint32_t request_id) {
  wire::Envelope env;
  env.request_id = request_id;
  wire::MessageHeader h;
  h.op_code = static_cast<uint32_t>(OpCode::kResolution);
  wire::RequestBody body;
  body.handle = handle;
  return wire::EncodeMessage(env, h, wire::EncodeRequestBody(OpCode::kResolution, body));
}

// Requests answered per second by `frontend` over `messages`.
double Round(NativeFrontend& frontend, const std::vector<std::string>& messages, size_t count) {
  const Peer peer{"127.0.0.1", true, Transport::kUdp};
  size_t answered = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i) {
    const std::string& m = messages[i % messages.size()];
    auto reply = frontend.Handle(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m.data()), m.size()), peer);
    answered += reply.has_value() && !reply->is_error;
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  if (answered != count) std::fprintf(stderr, "only %zu of %zu answered\n", answered, count);
  return static_cast<double>(count) / took.count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const size_t handles = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const size_t per_round = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 400000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 9;

  // RocksDB as in qiliand (the memory store copies itself on every write,
  // which suits tests, not 100,000 creates); no sync for the set-up.
  char dir_template[] = "/tmp/authz-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  store::RocksDbOptions store_options;
  store_options.path = dir_template;
  store_options.spaces = {std::string(Registry::kSpace)};
  store_options.sync_writes = false;
  absl::StatusOr<std::unique_ptr<store::KvStore>> opened = store::OpenRocksDbStore(store_options);
  if (!opened.ok()) {
    std::fprintf(stderr, "store: %s\n", std::string(opened.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<store::KvStore> kv = *std::move(opened);
  RegistryOptions registry_options;
  Registry registry(kv.get(), Clock::Real(), registry_options);
  HandleValue admin = StringValue(100, "HS_ADMIN",
                                  EncodeAdminData(AdminRecord{admin_perm::kAll, "0.NA/88.999", 200}));
  for (size_t i = 0; i < handles; ++i) {
    std::string handle = "88.999/R-" + std::to_string(i);
    absl::Status s = registry.Create(
        handle, {StringValue(1, "URL", "https://example.org/" + std::to_string(i)),
                 StringValue(2, "EMAIL", "ops@example.org"),
                 StringValue(3, "X-BATCH", "batch-2026-11"), admin});
    if (!s.ok()) {
      std::fprintf(stderr, "create: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }
  std::vector<std::string> messages;
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < 65536; ++i) {
    messages.push_back(ResolutionMessage("88.999/R-" + std::to_string(rng() % handles),
                                         static_cast<uint32_t>(i + 1)));
  }

  MetricsRegistry metrics;
  ProcessorOptions off_options;
  off_options.site = BuildSiteInfo(SiteOptions{});
  Processor off_processor(&registry, &metrics, off_options);
  NativeFrontend off(&off_processor, &metrics);

  authz::Authorizer authorizer(&registry, authz::AuthorizerOptions{});
  ProcessorOptions on_options = off_options;
  on_options.access = &authorizer;
  Processor on_processor(&registry, &metrics, on_options);
  NativeAuthOptions auth;
  auth.registry = &registry;
  NativeFrontend on(&on_processor, &metrics, Clock::Real(), auth);

  Round(off, messages, per_round / 4);  // warm the record cache
  std::vector<double> off_rates, on_rates;
  for (int r = 0; r < rounds; ++r) {
    off_rates.push_back(Round(off, messages, per_round));
    on_rates.push_back(Round(on, messages, per_round));
  }
  const double off_median = Median(off_rates), on_median = Median(on_rates);
  std::printf("handles=%zu requests_per_round=%zu rounds=%d (one thread)\n", handles, per_round,
              rounds);
  std::printf("authorization off: %.0f resolutions/s (median)\n", off_median);
  std::printf("authorization on:  %.0f resolutions/s (median)\n", on_median);
  std::printf("on/off = %.3f\n", on_median / off_median);
  kv.reset();
  std::filesystem::remove_all(dir_template);
  return 0;
}
