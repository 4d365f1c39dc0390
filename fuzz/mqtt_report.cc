// Fuzz target: one device message through the Ingestor (docs/mqtt.md), with
// a device bound to a model of every type. The first byte picks the topic
// (report, event, batch, a read/write/invoke reply, a gateway child), the
// rest is the payload. Every message must be accepted or refused with a
// counted code, never crash; received = accepted + refused.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/clock.h"
#include "core/metrics.h"
#include "platform/ingest/ingestor.h"
#include "platform/shadow/shadow_testing.h"

namespace {

using namespace qilian;
using namespace qilian::platform;

struct World {
  testing::FakeDirectory directory;
  testing::RecordingPublisher publisher;
  NullPointSink sink;
  MetricsRegistry metrics;
  FakeClock clock{absl::FromUnixMillis(1765094400000)};
  ShadowStore shadow{directory, publisher, nullptr, clock};
  Ingestor ingestor{directory, shadow, publisher, sink, clock, metrics, Options()};
  World() {
    directory.Add(7, "pump-1");
    directory.Add(7, "gw-1", "", "GW000000001");
    directory.Add(7, "meter-7", "gw-1");
  }
  static IngestOptions Options() {
    IngestOptions o;
    o.device_messages_per_second = 0;
    return o;
  }
};

constexpr std::string_view kTopics[] = {
    "/PK000000001/pump-1/properties/report",
    "/PK000000001/pump-1/event/overheat",
    "/PK000000001/pump-1/properties/report/batch",
    "/PK000000001/pump-1/properties/read/reply",
    "/PK000000001/pump-1/properties/write/reply",
    "/PK000000001/pump-1/function/invoke/reply",
    "/GW000000001/gw-1/child/meter-7/properties/report",
    "/GW000000001/gw-1/child/meter-7/properties/report/batch",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  if (size == 0) return 0;
  std::string_view topic = kTopics[data[0] % std::size(kTopics)];
  std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  IngestResult r = world->ingestor.Process(topic, payload);
  if (!r.accepted && r.message.empty()) std::abort();  // a refusal always says why
  world->publisher.Take();
  return 0;
}
