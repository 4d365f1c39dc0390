// The CSV of a bulk device create (POST /api/devices/import, qilian device
// import; docs/devices.md "CSV import"). Pure: text in, rows out.
//
// RFC 4180 with a header: UTF-8 (a leading BOM is skipped), fields
// separated by ',', records by LF or CRLF, a field in double quotes may
// hold ',', line breaks and doubled quotes. The header names the columns,
// in any order: id and product are required; name, name_en, serial,
// gateway, tags and model_version are optional; any other name is refused.
// `tags` is "key=value;key=value". Blank lines are skipped. A row with the
// wrong number of fields or a bad tags or model_version cell is refused by
// line number; other checks (ids, products, gateways) are the registry's.
#ifndef QILIAN_PLATFORM_DEVICE_DEVICE_CSV_H_
#define QILIAN_PLATFORM_DEVICE_DEVICE_CSV_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/device/device_registry.h"

namespace qilian::platform {

inline constexpr size_t kMaxCsvBytes = 16 << 20;
inline constexpr size_t kMaxCsvRows = 100'000;
inline constexpr size_t kMaxCsvFieldBytes = 4096;

struct CsvDeviceRow {
  size_t line = 0;  // of the row's first character, from 1 (the header is line 1)
  absl::StatusOr<DeviceInput> input;
};

// The rows of `text`, or an error (code 4, "csv: ...") for the file as a
// whole: too long, no header or a bad one, too many rows, an unclosed
// quote, a field over kMaxCsvFieldBytes.
absl::StatusOr<std::vector<CsvDeviceRow>> ParseDeviceCsv(std::string_view text);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_DEVICE_DEVICE_CSV_H_
