// Fuzz target: a thing model through the parser. Any text must give a model
// or an error, never a crash; an accepted model must encode canonically and
// parse back equal, and compile for value checks.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "platform/thing_model/compatibility.h"
#include "platform/thing_model/thing_model_json.h"
#include "platform/thing_model/value_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto model = qilian::platform::ParseThingModel(text);
  if (!model.ok()) return 0;
  std::string encoded = qilian::platform::EncodeThingModel(*model);
  auto again = qilian::platform::ParseThingModel(encoded);
  if (!again.ok() || !(*again == *model)) std::abort();
  if (!qilian::platform::FindBreakingChanges(*model, *again).empty()) std::abort();
  qilian::platform::ModelIndex index(*std::move(model));
  return 0;
}
