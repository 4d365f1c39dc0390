// Issue 4's memory figure: does the recursive resolver's answer cache stay
// within its configured bound when far more distinct names pass through it
// than fit? Inserts N distinct answers (a typical three-value success, keyed
// as RecursiveResolver keys them) into a ResolverCache and prints what the
// cache accounts for, what the process actually grew by, and the time taken.
// A benchmark, not a test: it prints figures and asserts nothing.
// Usage: resolver_cache_bench [NAMES=10000000] [MAX_BYTES=67108864] [SHARDS=16]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "ident/handle_value.h"
#include "ident/resolver/cache.h"

namespace {

using qilian::ident::HandleValue;
using qilian::ident::ResponseCode;
using qilian::ident::resolver::CachedAnswer;
using qilian::ident::resolver::CacheOptions;
using qilian::ident::resolver::ResolverCache;

// Resident set size in bytes (second field of /proc/self/statm, in pages).
size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

HandleValue StringValue(uint32_t index, std::string type, std::string data) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = std::move(data);
  v.ttl = 86400;
  v.timestamp = 1'764'000'000;
  return v;
}

// The same three values bench/load_identifiers.py writes, for 88.999/R-i.
CachedAnswer TypicalAnswer(size_t i, const std::string& handle) {
  CachedAnswer answer;
  answer.code = ResponseCode::kSuccess;
  answer.handle = handle;
  answer.values.push_back(StringValue(1, "URL", "https://example.org/" + std::to_string(i)));
  answer.values.push_back(StringValue(2, "EMAIL", "ops@example.org"));
  answer.values.push_back(StringValue(3, "X-BATCH", "batch-2026-11"));
  return answer;
}

double MiB(double bytes) { return bytes / (1024.0 * 1024.0); }

}  // namespace

int main(int argc, char** argv) {
  size_t names = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  CacheOptions options;
  options.max_bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : size_t{64} << 20;
  options.shards = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 16;

  qilian::FakeClock clock;  // nothing expires during the run
  qilian::MetricsRegistry metrics;
  size_t rss_before = RssBytes();
  size_t kept = 0, peak_bytes = 0, peak_rss = rss_before;
  {
    ResolverCache cache(options, clock, metrics);
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < names; ++i) {
      std::string handle = "88.999/R-" + std::to_string(i);
      // RecursiveResolver's key: "A" US name US indexes US types.
      std::string key = "A\x1f" + handle + "\x1f\x1f";
      if (cache.Insert(key, TypicalAnswer(i, handle))) ++kept;
      if ((i & 0xFFFF) == 0) {
        peak_bytes = std::max(peak_bytes, cache.bytes());
        peak_rss = std::max(peak_rss, RssBytes());
      }
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    peak_bytes = std::max(peak_bytes, cache.bytes());
    size_t rss_after = RssBytes();
    peak_rss = std::max(peak_rss, rss_after);
    std::string sample_handle = "88.999/R-" + std::to_string(names - 1);
    size_t charge = ResolverCache::ChargeOf("A\x1f" + sample_handle + "\x1f\x1f",
                                            TypicalAnswer(names - 1, sample_handle));

    std::printf("names inserted:          %zu (accepted %zu)\n", names, kept);
    std::printf("configured bound:        %zu bytes (%.1f MiB), %zu shards\n", options.max_bytes,
                MiB(options.max_bytes), options.shards);
    std::printf("charge of one entry:     %zu bytes\n", charge);
    std::printf("cache bytes() at end:    %zu (%.1f MiB, %.1f%% of the bound)\n", cache.bytes(),
                MiB(cache.bytes()), 100.0 * cache.bytes() / options.max_bytes);
    std::printf("cache bytes() max seen:  %zu (%.1f MiB, sampled every 65,536 inserts)\n",
                peak_bytes, MiB(peak_bytes));
    std::printf("cache entries():         %zu\n", cache.entries());
    std::printf("RSS before:              %.1f MiB\n", MiB(rss_before));
    std::printf("RSS after:               %.1f MiB (growth %.1f MiB, %.1f%% of the bound)\n",
                MiB(rss_after), MiB(static_cast<double>(rss_after) - rss_before),
                100.0 * (static_cast<double>(rss_after) - rss_before) / options.max_bytes);
    std::printf("RSS max seen:            %.1f MiB (growth %.1f MiB)\n", MiB(peak_rss),
                MiB(static_cast<double>(peak_rss) - rss_before));
    std::printf("RSS growth per entry:    %.0f bytes (charged %zu)\n",
                (static_cast<double>(rss_after) - rss_before) / std::max<size_t>(1, cache.entries()),
                charge);
    std::printf("time:                    %.2f s (%.0f inserts/s, %.0f ns each)\n", seconds,
                names / seconds, 1e9 * seconds / names);
  }
  std::printf("RSS after destruction:   %.1f MiB\n", MiB(RssBytes()));
  return 0;
}
