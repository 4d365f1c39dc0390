// A check of the whole record a write would store, run by the Registry
// under the record's lock on the values the write would leave (after add,
// modify, remove or replace), so that REST and the native protocol refuse
// the same writes with the same message. Identifier data templates
// (template/record_check.h, docs/templates.md) implement it; the registry
// declares only the interface, as it does for ValueSealer.
#ifndef QILIAN_IDENT_RECORD_VALIDATOR_H_
#define QILIAN_IDENT_RECORD_VALIDATOR_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ident/handle_value.h"

namespace qilian::ident {

class RecordValidator {
 public:
  virtual ~RecordValidator() = default;
  // Checks the values (ascending by index) `handle` would hold after the
  // write. May adjust them (a template's private fields lose public read);
  // an error refuses the write and is what the client sees, its Handle
  // response code included. Must be safe to call concurrently.
  virtual absl::Status Check(std::string_view handle, std::vector<HandleValue>* values) const = 0;
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_RECORD_VALIDATOR_H_
