// Fuzz target: the device routes' JSON bodies (api/device_body.h) and the
// registry's field checks. Any input parses without throwing; every refusal
// names its field; an accepted create body's checks give the same verdict
// twice.
#include "api/device_body.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nlohmann/json.hpp"
#include "platform/device/device_registry.h"
#include "tenant/field_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian;
  nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  auto named = [](const absl::Status& s) { return s.ok() || tenant::FieldOf(s).has_value(); };
  auto input = api::DeviceInputFromJson(doc);
  if (!named(input.status())) std::abort();
  if (input.ok()) {
    absl::Status first = platform::DeviceRegistry::Validate(*input);
    if (!named(first) || first != platform::DeviceRegistry::Validate(*input)) std::abort();
  }
  auto update = api::DeviceUpdateFromJson(doc);
  if (!named(update.status())) std::abort();
  if (update.ok() && update->tags && !named(platform::DeviceRegistry::ValidateTags(*update->tags)))
    std::abort();
  if (!named(api::SelfRegistrationFromJson(doc).status())) std::abort();
  return 0;
}
