// The body of POST /api/security/events (docs/security/events-api.md): one
// sensor event per line, each a JSON object with the sensor's own fields
// (docs/security/sensor.md, "Events") and an `id` the sensor gives it.
// Checked whole before anything is stored: one bad line refuses the batch,
// naming the line (all or nothing). Pure: no I/O, no clock, no logging; the
// fuzz target fuzz/security_events_body.cc drives it.
#ifndef QILIAN_SECURITY_EVENTS_EVENT_BATCH_H_
#define QILIAN_SECURITY_EVENTS_EVENT_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qilian::security::events {

inline constexpr size_t kMaxEventIdChars = 64;
inline constexpr size_t kMaxProtoChars = 32;
inline constexpr size_t kMaxEventBytes = 16 * 1024;
inline constexpr size_t kMaxBatchLines = 10'000;
inline constexpr size_t kMaxBatchBytes = 8 * 1024 * 1024;  // after decompression
// Brackets an event may nest (the sensor's deepest record is 4: event,
// a list of items, an item, its value list).
inline constexpr size_t kMaxEventNesting = 16;
// Longest orig_h / resp_h (an IPv6 address with a zone is under 64).
inline constexpr size_t kMaxAddressChars = 64;

// Fields the server adds to an event when answering a query; an event may
// not carry them itself.
inline constexpr std::string_view kServerFields[] = {"sensor", "enterprise", "received"};

// One event of a batch, checked. `json` views the request body.
struct IncomingEvent {
  std::string id;
  int64_t ts_ns = 0;
  std::string proto;
  std::string_view json;  // the line, without its line end
};

struct BatchError {
  size_t line = 0;      // 1-based; 0: the batch as a whole (a limit)
  std::string message;  // "line 17: ts: not an RFC 3339 time"
};

struct ParsedBatch {
  std::vector<IncomingEvent> events;
  std::optional<BatchError> error;  // set: nothing of the batch is valid
  bool too_large = false;           // the error is a limit (413)
};

// Splits `body` at '\n' (a '\r' before it is dropped; empty lines are
// skipped but counted) and checks every event: a JSON object of at most
// kMaxEventBytes, nesting at most kMaxEventNesting; `id` 1 to 64 of
// [A-Za-z0-9._:-]; `ts` RFC 3339 UTC ("2026-12-07T16:00:00.123456Z", 0 to 9
// fraction digits, year 1970 to 2200); `proto` 1 to 32 of [a-z0-9_-];
// `orig_h`/`resp_h`, when present, strings of at most 64 characters;
// `orig_p`/`resp_p`, when present, integers 0 to 65535; none of
// kServerFields. More than kMaxBatchLines events refuses the batch (too_large).
ParsedBatch ParseEventBatch(std::string_view body);

// RFC 3339 UTC as above, to nanoseconds since the epoch; nullopt otherwise.
std::optional<int64_t> ParseRfc3339Utc(std::string_view text);

// "2026-12-07T16:00:00.123456789Z" with the fraction's trailing zeros (and
// an empty fraction) left out.
std::string FormatRfc3339Utc(int64_t ns);

// Whether `id` is 1 to 64 of [A-Za-z0-9._:-].
bool ValidEventId(std::string_view id);
// Whether `proto` is 1 to 32 of [a-z0-9_-].
bool ValidProto(std::string_view proto);

}  // namespace qilian::security::events

#endif  // QILIAN_SECURITY_EVENTS_EVENT_BATCH_H_
