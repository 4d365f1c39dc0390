// What one S7 connection remembers between PDUs: jobs and userdata
// requests awaiting their responses (matched by PDU reference), and which
// userdata responses are the continuation of a fragmented one. Bounded.
#ifndef QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_SESSION_H_
#define QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_SESSION_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "nlohmann/json.hpp"

namespace qilian::security::s7comm {

// Requests remembered while waiting for their responses, per connection.
constexpr size_t kMaxPendingRequests = 256;

// What a response needs from its request.
struct RequestContext {
  uint8_t rosctr = 0;       // kJob or kUserdata
  uint8_t function = 0;     // a job's function
  uint8_t group = 0;        // a userdata request's function group
  uint8_t subfunction = 0;  // and subfunction
  // read/write var: the request's items, copied into the response's items.
  std::vector<nlohmann::ordered_json> items;
  // Fields copied into the response as they are (block type and number).
  nlohmann::ordered_json copied = nlohmann::ordered_json::object();
};

class S7Session {
 public:
  const RequestContext* Find(uint16_t pdu_ref) const;
  void Remember(uint16_t pdu_ref, RequestContext request);
  void Forget(uint16_t pdu_ref);

  // Userdata responses split in data units: a unit that says more follow
  // leaves, under its reference, the fields its followers repeat (they
  // carry no SZL header of their own); nullptr when none is open.
  const nlohmann::ordered_json* Continuation(uint8_t data_unit_ref) const;
  void SetContinuation(uint8_t data_unit_ref, nlohmann::ordered_json carried);
  void EndContinuation(uint8_t data_unit_ref) { continuing_.erase(data_unit_ref); }

 private:
  absl::flat_hash_map<uint16_t, RequestContext> pending_;
  std::deque<uint16_t> order_;  // oldest first, to bound pending_
  // At most 256 by the key's type.
  absl::flat_hash_map<uint8_t, nlohmann::ordered_json> continuing_;
};

}  // namespace qilian::security::s7comm

#endif  // QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_SESSION_H_
