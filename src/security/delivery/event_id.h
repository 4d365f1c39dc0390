// Event ids for delivery (docs/security/delivery.md, "Ids"): "<spool>-<sequence>",
// the spool's identity (random, made when the spool directory is created)
// and the record's sequence number in it (persisted in the spool, never
// reused). A spool made afresh gets a new identity, so its sequence
// starting again at 1 cannot collide with ids the node already holds.
#ifndef QILIAN_SECURITY_DELIVERY_EVENT_ID_H_
#define QILIAN_SECURITY_DELIVERY_EVENT_ID_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace qilian::security {

// A new spool identity: 16 lowercase hex digits from the system's random source.
std::string NewSpoolIdentity();

// True for 1-64 characters of [A-Za-z0-9._:-] (what the node accepts).
bool IsValidEventId(std::string_view id);

std::string EventId(std::string_view spool_identity, uint64_t sequence);

// Appends `event` (one JSON object) to *out with "id" as its first member:
// {"ts":...} -> {"id":"<id>","ts":...}. `id` must be valid (no escaping needed).
void AppendWithId(std::string_view event, std::string_view id, std::string* out);

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DELIVERY_EVENT_ID_H_
