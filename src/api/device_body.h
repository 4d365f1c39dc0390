// Internal to the api module: the JSON bodies of the device routes, parsed
// strictly (docs/api.md "Devices"): unknown members, wrong types and
// out-of-range numbers are refused with the field named (a
// tenant::FieldError, code 202). Pure, so the fuzz target drives it.
#ifndef QILIAN_API_DEVICE_BODY_H_
#define QILIAN_API_DEVICE_BODY_H_

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/device/device_registry.h"

namespace qilian::api {

// POST /api/devices: {"id", "product", "modelVersion", "name": {"zh",
// "en"}, "serial", "gateway", "tags": {name: value}, "enabled"}; id and
// product required.
absl::StatusOr<platform::DeviceInput> DeviceInputFromJson(const nlohmann::json& doc);

// PUT /api/devices/{id}: the same members but id and product, each
// optional.
absl::StatusOr<platform::DeviceUpdate> DeviceUpdateFromJson(const nlohmann::json& doc);

// POST /api/devices/register: {"productKey", "deviceId", "random",
// "signMethod", "sign"}, all strings, all required.
absl::StatusOr<platform::SelfRegistration> SelfRegistrationFromJson(const nlohmann::json& doc);

}  // namespace qilian::api

#endif  // QILIAN_API_DEVICE_BODY_H_
