// Fuzz target: the body of POST /api/security/events
// (security/events/event_batch.h). Any input is parsed without throwing or
// reading past it; a refused batch names a line that exists (or is a
// whole-batch limit) and keeps no event; an accepted one holds only events
// that pass the checks again on their own, each a line of the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/events/event_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::security::events;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const ParsedBatch batch = ParseEventBatch(body);
  size_t lines = 1;
  for (char c : body) lines += c == '\n';
  if (batch.error) {
    if (!batch.events.empty()) std::abort();
    if (batch.error->line == 0 ? !batch.too_large : batch.error->line > lines) std::abort();
    if (batch.error->message.empty()) std::abort();
    return 0;
  }
  if (batch.events.size() > kMaxBatchLines) std::abort();
  for (const IncomingEvent& e : batch.events) {
    if (e.json.data() < body.data() || e.json.data() + e.json.size() > body.data() + body.size())
      std::abort();
    const ParsedBatch alone = ParseEventBatch(e.json);
    if (alone.error || alone.events.size() != 1 || alone.events[0].id != e.id ||
        alone.events[0].ts_ns != e.ts_ns || alone.events[0].proto != e.proto) {
      std::abort();
    }
    if (!ValidEventId(e.id) || !ValidProto(e.proto)) std::abort();
    if (ParseRfc3339Utc(FormatRfc3339Utc(e.ts_ns)) != e.ts_ns) std::abort();
  }
  return 0;
}
