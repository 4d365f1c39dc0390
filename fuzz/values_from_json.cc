// Fuzz target: a PUT body through the JSON-to-values mapping. Any body must
// give values or an error, never a crash; accepted values must come back
// unchanged through the output form (GET then PUT is lossless).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/value_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto values = qilian::api::ValuesFromBody(body);
  if (!values.ok()) return 0;
  for (const auto& value : *values) {
    auto again = qilian::api::ValueFromJson(qilian::api::ValueToJson(value), "v");
    if (!again.ok() || !(*again == value)) std::abort();
  }
  return 0;
}
