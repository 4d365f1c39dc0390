// Fuzz target: the device CSV parser (platform/device/device_csv.h). Any
// input is rows or one file error, never a crash; rows come in file order,
// each refused row's message starts with its own line number, and every
// accepted row passes or fails the registry's field checks with a field.
#include "platform/device/device_csv.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tenant/field_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::platform;
  auto rows = ParseDeviceCsv(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!rows.ok()) {
    if (!absl::StartsWith(rows.status().message(), "csv: ")) std::abort();
    return 0;
  }
  size_t last = 1;
  for (const CsvDeviceRow& row : *rows) {
    if (row.line <= last) std::abort();
    last = row.line;
    if (!row.input.ok()) {
      const std::string prefix = absl::StrCat("line ", row.line, ": ");
      if (!absl::StartsWith(row.input.status().message(), prefix)) std::abort();
      continue;
    }
    absl::Status s = DeviceRegistry::Validate(*row.input);
    if (!s.ok() && !qilian::tenant::FieldOf(s).has_value()) std::abort();
  }
  return 0;
}
