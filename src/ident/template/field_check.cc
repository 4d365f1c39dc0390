#include "ident/template/field_check.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ident/handle_name.h"
#include "re2/re2.h"
#include "tenant/field_error.h"

namespace qilian::ident::templates {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

re2::RE2::Options PatternOptions() {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxPatternMemory);
  return options;
}

size_t CodePoints(std::string_view text) {
  return static_cast<size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<uint8_t>(c) & 0xC0) != 0x80; }));
}

// Reads exactly `n` digits at `*pos`.
bool Digits(std::string_view text, size_t* pos, size_t n, int* out) {
  if (*pos + n > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  *pos += n;
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* pos, std::string_view one_of) {
  if (*pos >= text.size() || one_of.find(text[*pos]) == std::string_view::npos) return false;
  ++*pos;
  return true;
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::string Number(double v) { return absl::StrCat(v); }

absl::Status Violation(const Field& field, std::string_view rule, std::string_view detail) {
  return tenant::FieldError(field.name, absl::StrCat(std::string(rule), ": ", std::string(detail)));
}

std::string Quoted(std::string_view text) {
  return absl::StrCat("'", tenant::Excerpt(text), "'");
}

absl::Status CheckType(const Field& field, std::string_view text, double* number) {
  auto bad = [&](std::string_view what) {
    return Violation(field, "type", absl::StrCat(Quoted(text), " is not ", std::string(what)));
  };
  switch (field.type) {
    case FieldType::kString:
      if (!IsValidUtf8(text)) return Violation(field, "type", "is not valid UTF-8 text");
      if (HasControlCharacter(text)) {
        return Violation(field, "type", "contains a control character");
      }
      return absl::OkStatus();
    case FieldType::kInteger: {
      int64_t v = 0;
      if (!IsIntegerText(text, &v)) return bad("an integer");
      *number = static_cast<double>(v);
      return absl::OkStatus();
    }
    case FieldType::kDecimal:
      if (!IsDecimalText(text, number)) return bad("a decimal number");
      return absl::OkStatus();
    case FieldType::kDateTime:
      if (!IsDateTimeText(text)) return bad("an RFC 3339 date-time");
      return absl::OkStatus();
    case FieldType::kEnum:
      if (std::find(field.enum_values.begin(), field.enum_values.end(), text) ==
          field.enum_values.end()) {
        return Violation(field, "enum",
                         absl::StrCat(Quoted(text), " is not one of ",
                                      absl::StrJoin(field.enum_values, ", ")));
      }
      return absl::OkStatus();
    case FieldType::kBoolean:
      if (text != "true" && text != "false") return bad("true or false");
      return absl::OkStatus();
    case FieldType::kHandle:
      if (!ParseHandle(text).ok()) return bad("an identifier (prefix/suffix)");
      return absl::OkStatus();
    case FieldType::kUrl:
      if (!IsUrlText(text)) return bad("an absolute URL");
      return absl::OkStatus();
    case FieldType::kGeoPoint:
      if (!IsGeoPointText(text)) {
        return bad("a geo point 'lat,lon' (latitude -90..90, longitude -180..180)");
      }
      return absl::OkStatus();
  }
  return bad("of a known type");
}

}  // namespace

bool IsIntegerText(std::string_view text, int64_t* value) {
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  if (digits.empty() || (digits[0] == '0' && digits.size() > 1)) return false;
  if (!std::all_of(digits.begin(), digits.end(), IsDigit)) return false;
  if (text == "-0") return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

bool IsDecimalText(std::string_view text, double* value) {
  // -?(0|[1-9][0-9]*)(\.[0-9]+)? : no exponent, no leading '+', no bare '.'.
  size_t pos = 0;
  if (pos < text.size() && text[pos] == '-') ++pos;
  const size_t int_start = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  const size_t int_len = pos - int_start;
  if (int_len == 0 || (int_len > 1 && text[int_start] == '0')) return false;
  if (pos < text.size()) {
    if (text[pos] != '.') return false;
    ++pos;
    const size_t frac_start = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == frac_start || pos != text.size()) return false;
  }
  if (text.size() > 64) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && std::isfinite(*value);
}

bool IsDateTimeText(std::string_view text) {
  // date-time = full-date "T" full-time (RFC 3339 section 5.6).
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!Digits(text, &pos, 4, &year) || !Expect(text, &pos, "-") ||
      !Digits(text, &pos, 2, &month) || !Expect(text, &pos, "-") ||
      !Digits(text, &pos, 2, &day) || !Expect(text, &pos, "Tt") ||
      !Digits(text, &pos, 2, &hour) || !Expect(text, &pos, ":") ||
      !Digits(text, &pos, 2, &minute) || !Expect(text, &pos, ":") ||
      !Digits(text, &pos, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysIn(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == start || pos - start > 9) return false;
  }
  if (Expect(text, &pos, "Zz")) return pos == text.size();
  int off_hour, off_minute;
  if (!Expect(text, &pos, "+-") || !Digits(text, &pos, 2, &off_hour) ||
      !Expect(text, &pos, ":") || !Digits(text, &pos, 2, &off_minute)) {
    return false;
  }
  return pos == text.size() && off_hour <= 23 && off_minute <= 59;
}

bool IsUrlText(std::string_view text) {
  // scheme "://" authority [path-abempty etc.]: printable ASCII without
  // spaces, as RFC 3986 writes a URI (non-ASCII must be percent-encoded).
  if (text.empty() || text.size() > 2048) return false;
  const size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = text[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!(alpha || (i > 0 && (IsDigit(c) || c == '+' || c == '-' || c == '.')))) return false;
  }
  std::string_view rest = text.substr(colon + 3);
  const size_t host_end = rest.find_first_of("/?#");
  if (rest.substr(0, host_end).empty()) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c > 0x20 && c < 0x7f; });
}

bool IsGeoPointText(std::string_view text) {
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) return false;
  double lat = 0, lon = 0;
  if (!IsDecimalText(text.substr(0, comma), &lat) ||
      !IsDecimalText(text.substr(comma + 1), &lon)) {
    return false;
  }
  return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;
}

absl::Status CheckPattern(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("is longer than ", kMaxPatternBytes, " bytes"));
  }
  re2::RE2 re(re2::StringPiece(pattern.data(), pattern.size()), PatternOptions());
  if (!re.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("is not a valid RE2 pattern: ", re.error()));
  }
  return absl::OkStatus();
}

CompiledTemplate::CompiledTemplate(Template tmpl) : template_(std::move(tmpl)) {
  patterns_.resize(template_.fields.size());
  for (size_t i = 0; i < template_.fields.size(); ++i) {
    const std::string& p = template_.fields[i].limits.pattern;
    if (p.empty()) continue;
    patterns_[i] = std::make_unique<re2::RE2>(p, PatternOptions());
  }
}

CompiledTemplate::~CompiledTemplate() = default;

absl::Status CompiledTemplate::CheckValue(size_t field_index, std::string_view text) const {
  const Field& field = template_.fields[field_index];
  double number = 0;
  if (absl::Status s = CheckType(field, text, &number); !s.ok()) return s;
  const Limits& limits = field.limits;
  if (limits.min_length || limits.max_length) {
    const size_t length = CodePoints(text);
    if (limits.min_length && length < *limits.min_length) {
      return Violation(field, "minLength",
                       absl::StrCat(Quoted(text), " has ", length, " characters, fewer than ",
                                    *limits.min_length));
    }
    if (limits.max_length && length > *limits.max_length) {
      return Violation(field, "maxLength",
                       absl::StrCat(Quoted(text), " has ", length, " characters, more than ",
                                    *limits.max_length));
    }
  }
  const bool numeric = field.type == FieldType::kInteger || field.type == FieldType::kDecimal;
  if (numeric && limits.minimum && number < *limits.minimum) {
    return Violation(field, "minimum",
                     absl::StrCat(std::string(text), " is less than ", Number(*limits.minimum)));
  }
  if (numeric && limits.maximum && number > *limits.maximum) {
    return Violation(field, "maximum",
                     absl::StrCat(std::string(text), " is greater than ", Number(*limits.maximum)));
  }
  const re2::RE2* re = patterns_[field_index].get();
  if (re != nullptr && !re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re)) {
    return Violation(field, "pattern",
                     absl::StrCat(Quoted(text), " does not match '", limits.pattern, "'"));
  }
  return absl::OkStatus();
}

}  // namespace qilian::ident::templates
