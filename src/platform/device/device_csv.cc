#include "platform/device/device_csv.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "core/status.h"
#include "ident/response_code.h"
#include "platform/thing_model/str_cat.h"
#include "tenant/field_error.h"

namespace qilian::platform {
namespace {

using ident::HandleError;
using ident::ResponseCode;

absl::Status FileError(std::string_view message) {
  return HandleError(ResponseCode::kProtocolError, Cat("csv: ", message));
}

absl::Status RowError(size_t line, std::string_view message) {
  return HandleError(ResponseCode::kInvalidValue, Cat("line ", line, ": ", message));
}

struct Record {
  size_t line = 0;
  std::vector<std::string> fields;
};

// Splits `text` into records; a record of one empty field is a blank line.
absl::StatusOr<std::vector<Record>> Split(std::string_view text) {
  std::vector<Record> records;
  Record current;
  current.line = 1;
  std::string field;
  size_t line = 1;
  size_t i = 0;
  bool quoted_field = false;
  auto end_field = [&]() -> absl::Status {
    if (field.size() > kMaxCsvFieldBytes) {
      return FileError(
          Cat("line ", current.line, ": a field is longer than ", kMaxCsvFieldBytes, " bytes"));
    }
    current.fields.push_back(std::move(field));
    field.clear();
    quoted_field = false;
    return absl::OkStatus();
  };
  auto end_record = [&]() -> absl::Status {
    QL_RETURN_IF_ERROR(end_field());
    if (!(current.fields.size() == 1 && current.fields[0].empty())) {
      if (records.size() > kMaxCsvRows) {
        return FileError(Cat("more than ", kMaxCsvRows, " rows"));
      }
      records.push_back(std::move(current));
    }
    current = Record{};
    current.line = line;
    return absl::OkStatus();
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field.empty() && !quoted_field) {
      // A quoted field: to the closing quote.
      const size_t opened = line;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (text[i] == '\n') ++line;
        field.push_back(text[i++]);
        if (field.size() > kMaxCsvFieldBytes) {
          return FileError(
              Cat("line ", opened, ": a field is longer than ", kMaxCsvFieldBytes, " bytes"));
        }
      }
      if (!closed) return FileError(Cat("line ", opened, ": a quoted field is not closed"));
      quoted_field = true;
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        return FileError(Cat("line ", line, ": text after a closing quote"));
      }
      continue;
    }
    if (c == ',') {
      QL_RETURN_IF_ERROR(end_field());
      ++i;
    } else if (c == '\n' || c == '\r') {
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      ++line;
      QL_RETURN_IF_ERROR(end_record());
    } else {
      if (quoted_field) return FileError(Cat("line ", line, ": text after a closing quote"));
      field.push_back(c);
      ++i;
    }
  }
  if (!field.empty() || quoted_field || !current.fields.empty()) {
    QL_RETURN_IF_ERROR(end_record());
  }
  return records;
}

enum class Column { kId, kProduct, kName, kNameEn, kSerial, kGateway, kTags, kModelVersion };

std::optional<Column> ColumnOf(std::string_view name) {
  static const std::map<std::string_view, Column> kColumns = {
      {"id", Column::kId},         {"product", Column::kProduct},
      {"name", Column::kName},     {"name_en", Column::kNameEn},
      {"serial", Column::kSerial}, {"gateway", Column::kGateway},
      {"tags", Column::kTags},     {"model_version", Column::kModelVersion}};
  auto it = kColumns.find(name);
  if (it == kColumns.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<DeviceTags> ParseTags(size_t line, std::string_view cell) {
  DeviceTags tags;
  while (!cell.empty()) {
    const size_t semi = cell.find(';');
    std::string_view pair = cell.substr(0, semi);
    cell = semi == std::string_view::npos ? std::string_view() : cell.substr(semi + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return RowError(line, Cat("tags: '", tenant::Excerpt(pair), "' is not key=value"));
    }
    std::string key(pair.substr(0, eq));
    if (tags.contains(key)) {
      return RowError(line, Cat("tags: '", tenant::Excerpt(key), "' is given more than once"));
    }
    tags[std::move(key)] = std::string(pair.substr(eq + 1));
    if (tags.size() > kMaxTags) {
      return RowError(line, Cat("tags: more than ", kMaxTags, " tags"));
    }
  }
  return tags;
}

}  // namespace

absl::StatusOr<std::vector<CsvDeviceRow>> ParseDeviceCsv(std::string_view text) {
  if (text.size() > kMaxCsvBytes) {
    return FileError(Cat("the file is longer than ", kMaxCsvBytes, " bytes"));
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  absl::StatusOr<std::vector<Record>> records = Split(text);
  if (!records.ok()) return records.status();
  if (records->empty()) return FileError("no header line (id,product,name,serial,gateway,tags)");
  const Record& header = records->front();
  std::vector<Column> columns;
  bool has_id = false, has_product = false;
  for (const std::string& name : header.fields) {
    std::optional<Column> c = ColumnOf(name);
    if (!c) {
      return FileError(Cat("header: unknown column '", tenant::Excerpt(name),
                           "' (known: id, product, name, name_en, serial, gateway, tags, "
                           "model_version)"));
    }
    for (Column seen : columns) {
      if (seen == *c) return FileError(Cat("header: column '", name, "' is given twice"));
    }
    has_id = has_id || *c == Column::kId;
    has_product = has_product || *c == Column::kProduct;
    columns.push_back(*c);
  }
  if (!has_id || !has_product) return FileError("header: the columns id and product are required");
  if (records->size() - 1 > kMaxCsvRows) return FileError(Cat("more than ", kMaxCsvRows, " rows"));

  std::vector<CsvDeviceRow> rows;
  rows.reserve(records->size() - 1);
  for (size_t r = 1; r < records->size(); ++r) {
    const Record& rec = (*records)[r];
    CsvDeviceRow row;
    row.line = rec.line;
    if (rec.fields.size() != columns.size()) {
      row.input = RowError(
          rec.line, Cat("has ", rec.fields.size(), " fields, the header has ", columns.size()));
      rows.push_back(std::move(row));
      continue;
    }
    DeviceInput in;
    absl::Status bad;
    for (size_t i = 0; i < columns.size() && bad.ok(); ++i) {
      const std::string& cell = rec.fields[i];
      switch (columns[i]) {
        case Column::kId:
          in.id = cell;
          break;
        case Column::kProduct:
          in.product = cell;
          break;
        case Column::kName:
          in.name.zh = cell;
          break;
        case Column::kNameEn:
          in.name.en = cell;
          break;
        case Column::kSerial:
          in.serial = cell;
          break;
        case Column::kGateway:
          in.gateway = cell;
          break;
        case Column::kTags: {
          absl::StatusOr<DeviceTags> tags = ParseTags(rec.line, cell);
          if (tags.ok()) {
            in.tags = *std::move(tags);
          } else {
            bad = tags.status();
          }
          break;
        }
        case Column::kModelVersion: {
          uint32_t v = 0;
          if (!cell.empty() &&
              (!absl::SimpleAtoi(absl::string_view(cell.data(), cell.size()), &v) || v == 0)) {
            bad = RowError(rec.line, Cat("model_version: '", tenant::Excerpt(cell),
                                         "' is not a positive integer"));
          }
          in.model_version = v;
          break;
        }
      }
    }
    if (bad.ok()) {
      row.input = std::move(in);
    } else {
      row.input = bad;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace qilian::platform
