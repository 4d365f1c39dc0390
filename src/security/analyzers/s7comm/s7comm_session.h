// What one S7 connection remembers between PDUs: jobs and userdata
// requests awaiting their responses (matched by PDU reference), and which
// userdata responses are the continuation of a fragmented one. Bounded.
#ifndef QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_SESSION_H_
#define QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_SESSION_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "security/analyzers/json_writer.h"

namespace qilian::security::s7comm {

// Requests remembered while waiting for their responses, per connection.
constexpr size_t kMaxPendingRequests = 256;

// One variable specification of a read/write var request or a cyclic
// subscription as read (names point at static text).
struct S7Item {
  enum class Syntax { kAny, kDbRead, kOther };
  Syntax syntax = Syntax::kOther;
  std::string_view syntax_name;
  // S7ANY
  std::string_view transport_size;
  uint16_t length = 0;
  uint16_t db = 0;
  std::string_view area;
  bool numbered = false;  // timers and counters: `address` is a number
  uint32_t address = 0;   // else a bit address
  // DBREAD: byte ranges of data blocks
  struct DbRange {
    uint8_t length = 0;
    uint16_t db = 0;
    uint16_t byte = 0;
  };
  std::vector<DbRange> ranges;
  std::string spec;  // other syntaxes, as hex
};

// A block's fields a request names and its response repeats (the response
// names the block only through the upload id), in this order.
struct CopiedFields {
  std::optional<std::string> filename;
  std::optional<std::string_view> block_type;
  std::optional<uint32_t> block_number;
  std::optional<std::string> filesystem;
  std::optional<std::string> pi_service;

  void Write(JsonWriter& j) const;
};

// The SZL fields the followers of a fragmented userdata response repeat.
struct CarriedFields {
  std::optional<uint16_t> szl_id;
  std::optional<uint16_t> szl_index;
};

// What a response needs from its request.
struct RequestContext {
  uint8_t rosctr = 0;       // kJob or kUserdata
  uint8_t function = 0;     // a job's function
  uint8_t group = 0;        // a userdata request's function group
  uint8_t subfunction = 0;  // and subfunction
  // read/write var: the request's items, copied into the response's items.
  std::vector<S7Item> items;
  // Fields copied into the response as they are (block type and number).
  CopiedFields copied;
};

class S7Session {
 public:
  const RequestContext* Find(uint16_t pdu_ref) const;
  void Remember(uint16_t pdu_ref, RequestContext request);
  void Forget(uint16_t pdu_ref);

  // Userdata responses split in data units: a unit that says more follow
  // leaves, under its reference, the fields its followers repeat (they
  // carry no SZL header of their own); nullptr when none is open.
  const CarriedFields* Continuation(uint8_t data_unit_ref) const;
  void SetContinuation(uint8_t data_unit_ref, CarriedFields carried);
  void EndContinuation(uint8_t data_unit_ref) { continuing_.erase(data_unit_ref); }

 private:
  absl::flat_hash_map<uint16_t, RequestContext> pending_;
  std::deque<uint16_t> order_;  // oldest first, to bound pending_
  // At most 256 by the key's type.
  absl::flat_hash_map<uint8_t, CarriedFields> continuing_;
};

}  // namespace qilian::security::s7comm

#endif  // QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_SESSION_H_
