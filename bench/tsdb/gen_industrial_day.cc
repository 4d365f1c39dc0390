// Issue 11: the generated industrial day the time-series benchmark loads
// into every target (bench/tsdb-bench, docs/benchmarks.md "Time series").
//
//   gen_industrial_day --devices 100 --seconds 86400 --seed 1 --out day.lp
//                      [--start-ms 1796083200000] [--products a,b,...]
//
// Devices are spread round-robin over the starter thing models
// (src/platform/thing_model/library/*.json, or --products); each device
// reports once a second (millisecond stamps, a deterministic jitter of
// 0..40 ms per device and second, so no two devices share a stamp) every
// numeric, bool and enum property of its model, with the simulator's
// signals (src/platform/devsim/signal.h: daily cycle, slow drift, noise,
// load-following temperatures, only-increasing counters, enums and flags
// that change rarely) plus, as a real plant adds, setpoints that operators
// step every 1 to 4 hours, and reals rounded to 2 decimals as sensors
// report them. The output is InfluxDB line protocol, one line per device
// and second, time-ordered (as a live plant sends it):
//
//   centrifugal_pump,device=dev000001,product=centrifugal_pump flow=31.27,runState=1i,... 1796083200013
//
// measurement = product, tags device and product, integers and enums with
// the `i` suffix, bools true/false. The loader cuts the file into batches
// (bench/tsdb/lp_load.cc). Deterministic: the same arguments give the same
// bytes. Prints one JSON line: devices, series, lines, points, start/end.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "platform/devsim/random.h"
#include "platform/devsim/signal.h"
#include "platform/thing_model/starter_library.h"
#include "platform/thing_model/thing_model_json.h"

namespace {

using namespace qilian::platform;
using namespace qilian::platform::devsim;

struct Product {
  std::string id;
  std::shared_ptr<const ProductSignals> signals;
  std::vector<std::string> field_keys;  // "flow=" ... with the separator before
};

struct Device {
  int product = 0;
  std::string prefix;  // "measurement,device=..,product=.. "
  DeviceSignals signals;
  uint64_t seed = 0;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "gen_industrial_day: %s\nusage: gen_industrial_day --out FILE [--devices 100] "
               "[--seconds 86400] [--seed 1] [--start-ms MS] [--products id,id,...]\n",
               why);
  std::exit(2);
}

void AppendDouble(std::string& out, double v) {
  char buf[64];
  // 2 decimals, the resolution of the sensor; trailing zeros dropped.
  double r = std::nearbyint(v * 100) / 100;
  if (r == 0) r = 0;  // no "-0"
  auto res = std::to_chars(buf, buf + sizeof buf, r, std::chars_format::fixed, 2);
  char* end = res.ptr;
  while (end[-1] == '0') --end;
  if (end[-1] == '.') --end;
  out.append(buf, end);
}

void AppendInt(std::string& out, int64_t v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

}  // namespace

int main(int argc, char** argv) {
  int devices = 100;
  int64_t seconds = 86400;
  uint64_t seed = 1;
  int64_t start_ms = 1796083200000;  // 2026-12-01T00:00:00Z
  std::string out_path, products_arg;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--devices") devices = std::atoi(next().c_str());
    else if (a == "--seconds") seconds = std::atoll(next().c_str());
    else if (a == "--seed") seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--start-ms") start_ms = std::atoll(next().c_str());
    else if (a == "--out") out_path = next();
    else if (a == "--products") products_arg = next();
    else Usage(("unknown argument " + a).c_str());
  }
  if (out_path.empty()) Usage("--out is required");
  if (devices <= 0 || seconds <= 0) Usage("--devices and --seconds must be positive");

  std::vector<std::string> ids;
  if (products_arg.empty()) {
    for (const StarterProduct& p : StarterLibrary()) ids.emplace_back(p.id);
  } else {
    size_t pos = 0;
    while (pos <= products_arg.size()) {
      size_t comma = products_arg.find(',', pos);
      if (comma == std::string::npos) comma = products_arg.size();
      ids.push_back(products_arg.substr(pos, comma - pos));
      pos = comma + 1;
    }
  }
  std::vector<Product> products;
  for (const std::string& id : ids) {
    const StarterProduct* starter = FindStarterProduct(id);
    if (starter == nullptr) Usage(("no starter product " + id).c_str());
    auto model = ParseThingModel(starter->model_json);
    if (!model.ok()) Usage(std::string(model.status().message()).c_str());
    auto signals = ProductSignals::Create(std::make_shared<const ModelIndex>(*std::move(model)));
    if (!signals.ok()) Usage(std::string(signals.status().message()).c_str());
    Product p{id, *signals, {}};
    for (size_t c = 0; c < p.signals->channels().size(); ++c) {
      p.field_keys.push_back((c == 0 ? "" : ",") + p.signals->channels()[c].identifier + "=");
    }
    products.push_back(std::move(p));
  }

  std::vector<Device> fleet(devices);
  int64_t series = 0;
  for (int d = 0; d < devices; ++d) {
    Device& dev = fleet[d];
    dev.product = d % static_cast<int>(products.size());
    const Product& p = products[dev.product];
    char name[32];
    std::snprintf(name, sizeof name, "dev%06d", d + 1);
    dev.prefix = p.id + ",device=" + name + ",product=" + p.id + " ";
    dev.signals = p.signals->MakeDevice(seed, d, FaultFractions{});
    dev.seed = Hash(seed, 0x7D5B, d);
    series += static_cast<int64_t>(p.signals->channels().size());
  }

  FILE* out = std::fopen(out_path.c_str(), "wb");
  if (out == nullptr) Usage(("cannot write " + out_path).c_str());
  std::vector<char> iobuf(1 << 22);
  std::setvbuf(out, iobuf.data(), _IOFBF, iobuf.size());
  std::string line;
  int64_t points = 0, lines = 0;
  for (int64_t s = 0; s < seconds; ++s) {
    for (int d = 0; d < devices; ++d) {
      const Device& dev = fleet[d];
      const Product& p = products[dev.product];
      const auto& channels = p.signals->channels();
      line.assign(dev.prefix);
      for (size_t c = 0; c < channels.size(); ++c) {
        const Channel& ch = channels[c];
        SimValue v = p.signals->Value(dev.signals, c, static_cast<double>(s), 0.0,
                                      static_cast<uint64_t>(s));
        double x = v.number;
        if (ch.role == Role::kSetpoint) {
          // An operator steps the setpoint every 1..4 h (segments of random
          // length keyed by the device and channel).
          uint64_t key = Hash(dev.seed, c);
          double len = 3600 * (1 + 3 * Unit(Hash(key, 1)));
          uint64_t segment = static_cast<uint64_t>((s + Unit(Hash(key, 2)) * len) / len);
          double frac = 0.3 + 0.4 * Unit(Hash(key, 3, segment));
          x = ch.min + frac * (ch.max - ch.min);
          if (ch.step > 0) x = ch.min + std::nearbyint((x - ch.min) / ch.step) * ch.step;
        }
        line.append(p.field_keys[c]);
        switch (ch.kind) {
          case TypeKind::kBool:
            line.append(x != 0 ? "true" : "false");
            break;
          case TypeKind::kInt:
          case TypeKind::kLong:
          case TypeKind::kEnum:
            AppendInt(line, static_cast<int64_t>(std::llround(x)));
            line.push_back('i');
            break;
          default:
            AppendDouble(line, x);
        }
      }
      line.push_back(' ');
      int64_t jitter = static_cast<int64_t>(Hash(dev.seed, 0x5EC, s) % 41);
      AppendInt(line, start_ms + s * 1000 + jitter);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), out);
      points += static_cast<int64_t>(channels.size());
      ++lines;
    }
  }
  if (std::fclose(out) != 0) Usage("write failed");
  std::printf(
      "{\"devices\": %d, \"products\": %zu, \"series\": %lld, \"seconds\": %lld, \"lines\": %lld, "
      "\"points\": %lld, \"start_ms\": %lld, \"end_ms\": %lld, \"seed\": %llu}\n",
      devices, products.size(), static_cast<long long>(series), static_cast<long long>(seconds),
      static_cast<long long>(lines), static_cast<long long>(points),
      static_cast<long long>(start_ms), static_cast<long long>(start_ms + seconds * 1000),
      static_cast<unsigned long long>(seed));
  return 0;
}
