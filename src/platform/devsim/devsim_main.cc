// qilian-devsim: simulated devices of Qilian thing models publishing over
// MQTT to a broker on this machine, or (--sink) the subscriber that counts
// what a broker delivers. Stops by itself; the last line of stdout is a
// JSON summary. docs/devsim.md.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "platform/thing_model/str_cat.h"
#include "platform/devsim/engine.h"
#include "platform/devsim/fleet.h"
#include "platform/devsim/options.h"
#include "platform/devsim/signal.h"
#include "platform/thing_model/starter_library.h"
#include "platform/thing_model/thing_model_json.h"

namespace qilian::platform::devsim {
namespace {

constexpr int kExitUsage = 2;

void OnSignal(int) { RequestStop(); }

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return !in.bad();
}

int Usage(const std::string& message) {
  std::cerr << "qilian-devsim: " << message << "\n";
  return kExitUsage;
}

int Usage(const absl::Status& status) { return Usage(std::string(status.message())); }

// The compiled product of a fleet line's model reference.
absl::StatusOr<std::shared_ptr<const ProductSignals>> LoadProduct(const std::string& ref) {
  std::string text;
  if (ref[0] == '@') {
    if (!ReadFile(ref.substr(1), &text)) {
      return absl::NotFoundError(Cat("model ", ref, ": cannot read the file"));
    }
  } else {
    const StarterProduct* starter = FindStarterProduct(ref);
    if (starter == nullptr) {
      return absl::NotFoundError(Cat("model ", ref, ": no such starter product"));
    }
    text = starter->model_json;
  }
  auto model = ParseThingModel(text);
  if (!model.ok()) {
    return absl::InvalidArgumentError(Cat("model ", ref, ": ", model.status().message()));
  }
  auto signals = ProductSignals::Create(std::make_shared<const ModelIndex>(*std::move(model)));
  if (!signals.ok()) {
    return absl::InvalidArgumentError(Cat("model ", ref, ": ", signals.status().message()));
  }
  return signals;
}

int Main(int argc, char** argv) {
  auto parsed = ParseOptions(argc, argv);
  if (absl::IsCancelled(parsed.status())) {
    std::cout << std::string(parsed.status().message());
    return 0;
  }
  if (!parsed.ok()) return Usage(parsed.status());
  Options options = *std::move(parsed);
  if (!options.broker_env.empty()) {
    std::string text;
    if (!ReadFile(options.broker_env, &text)) {
      return Usage(Cat("--broker-env ", options.broker_env, ": cannot read"));
    }
    if (auto status = ApplyBrokerEnv(text, &options); !status.ok()) return Usage(status);
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  if (options.sink) {
    if (options.username.empty() || options.password_file.empty()) {
      return Usage("--sink needs --username and --password-file (or --broker-env)");
    }
    std::string password;
    if (!ReadFile(options.password_file, &password)) {
      return Usage(Cat("--password-file ", options.password_file, ": cannot read"));
    }
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
      password.pop_back();
    }
    nlohmann::json summary = RunSink(options, password);
    std::cout << summary.dump() << std::endl;
    return summary["connected"].get<int64_t>() > 0 ? 0 : 1;
  }

  std::vector<FleetDevice> fleet;
  if (!options.fleet_file.empty()) {
    std::string text;
    if (!ReadFile(options.fleet_file, &text)) {
      return Usage(Cat("--fleet ", options.fleet_file, ": cannot read"));
    }
    auto devices = ParseFleet(text);
    if (!devices.ok()) {
      return Usage(Cat("--fleet ", options.fleet_file, ": ", devices.status().message()));
    }
    fleet = *std::move(devices);
  } else {
    fleet = GenerateFleet(options.generate, options.product_key, options.starter,
                          options.id_prefix, options.secret_seed);
  }
  std::map<std::string, std::shared_ptr<const ProductSignals>> products;
  std::vector<SimDeviceSpec> specs;
  specs.reserve(fleet.size());
  for (const FleetDevice& device : fleet) {
    auto& product = products[device.model];
    if (product == nullptr) {
      auto loaded = LoadProduct(device.model);
      if (!loaded.ok()) return Usage(loaded.status());
      product = *loaded;
    }
    specs.push_back({&device, product});
  }
  if (!options.fleet_out.empty()) {
    std::ofstream out(options.fleet_out, std::ios::binary | std::ios::trunc);
    out << FleetText(fleet);
    out.close();
    if (!out) return Usage(Cat("--fleet-out ", options.fleet_out, ": cannot write"));
    std::cout << "wrote " << fleet.size() << " devices to " << options.fleet_out << "\n";
    return 0;
  }
  nlohmann::json summary = RunPublisher(options, specs);
  std::cout << summary.dump() << std::endl;
  return summary["connected_max"].get<int64_t>() > 0 ? 0 : 1;
}

}  // namespace
}  // namespace qilian::platform::devsim

int main(int argc, char** argv) { return qilian::platform::devsim::Main(argc, argv); }
