#include "platform/thing_model/value_check.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "platform/thing_model/str_cat.h"

namespace qilian::platform {

using nlohmann::json;

namespace {

constexpr int64_t kMaxEpochMillis = 253402300799999;  // 9999-12-31T23:59:59.999Z

// One step of the path to a value, kept on the stack while checking and
// turned into text only when a check fails.
struct PathStep {
  const PathStep* parent;
  std::string_view key;  // field name; empty for an array element
  size_t index;
};

void AppendPath(const PathStep* step, std::string* out) {
  if (step->parent != nullptr) {
    AppendPath(step->parent, out);
    if (step->key.empty()) {
      Append(out, "[", step->index, "]");
    } else {
      Append(out, ".", step->key);
    }
  } else {
    out->append(step->key);
  }
}

absl::Status Fail(const PathStep* at, std::string_view reason) {
  std::string message;
  AppendPath(at, &message);
  Append(&message, ": ", reason);
  return absl::InvalidArgumentError(message);
}

std::string_view Kind(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::number_float:
      return "a number with a fraction";
    default:
      return "an integer";
  }
}

absl::Status Expected(const PathStep* at, std::string_view what, const json& value) {
  return Fail(at, Cat("expected ", what, ", got ", Kind(value)));
}

// A value as JSON text for a message. Values parsed from text are valid
// UTF-8; others (built in code) could hold anything, and dump() must not
// throw.
std::string Shown(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The first `max` bytes or fewer of Shown(value), cut at a character
// boundary so that the message stays valid UTF-8.
std::string ShownShort(const json& value, size_t max) {
  std::string text = Shown(value);
  if (text.size() <= max) return text;
  while (max > 0 && (static_cast<unsigned char>(text[max]) & 0xC0) == 0x80) --max;
  text.resize(max);
  return text;
}

std::string Number(TypeKind kind, double value) {
  if (IsIntegral(kind)) return Cat(static_cast<int64_t>(value));
  return json(value).dump();
}

absl::Status CheckRange(const DataType& type, double value, const json& raw, const PathStep* at) {
  if (type.min && value < *type.min) {
    return Fail(at, Cat(Shown(raw), " is below the minimum ", Number(type.kind, *type.min)));
  }
  if (type.max && value > *type.max) {
    return Fail(at, Cat(Shown(raw), " is above the maximum ", Number(type.kind, *type.max)));
  }
  return absl::OkStatus();
}

absl::Status StepError(const DataType& type, const json& raw, const PathStep* at) {
  return Fail(at, Cat(Shown(raw), " is not a multiple of the step ", Number(type.kind, *type.step),
                      " from ", Number(type.kind, type.min.value_or(0))));
}

absl::Status CheckInteger(const DataType& type, const json& value, const PathStep* at) {
  if (!value.is_number_integer()) return Expected(at, "an integer", value);
  const bool is_int = type.kind == TypeKind::kInt;
  int64_t v;
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(is_int ? INT32_MAX : INT64_MAX)) {
      return Fail(at, Cat(u, " is out of the range of ", TypeKindName(type.kind)));
    }
    v = static_cast<int64_t>(u);
  } else {
    v = value.get<int64_t>();
    if (is_int && v < INT32_MIN) {
      return Fail(at, Cat(v, " is out of the range of int"));
    }
  }
  if (auto status = CheckRange(type, static_cast<double>(v), value, at); !status.ok())
    return status;
  if (type.step) {
    __int128 offset = static_cast<__int128>(v) - static_cast<int64_t>(type.min.value_or(0));
    if (offset % static_cast<int64_t>(*type.step) != 0) return StepError(type, value, at);
  }
  return absl::OkStatus();
}

absl::Status CheckReal(const DataType& type, const json& value, const PathStep* at) {
  if (!value.is_number()) return Expected(at, "a number", value);
  double v = value.get<double>();
  if (type.kind == TypeKind::kFloat && std::fabs(v) > FLT_MAX) {
    return Fail(at, Cat(Shown(value), " is out of the range of float"));
  }
  if (auto status = CheckRange(type, v, value, at); !status.ok()) return status;
  if (type.step) {
    double q = (v - type.min.value_or(0)) / *type.step;
    if (std::fabs(q - std::nearbyint(q)) > 1e-6 + std::fabs(q) * 1e-12) {
      return StepError(type, value, at);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEnum(const DataType& type, const json& value, const PathStep* at) {
  if (!value.is_number_integer()) return Expected(at, "an enum value (an integer)", value);
  bool found = false;
  if (!value.is_number_unsigned() || value.get<uint64_t>() <= INT64_MAX) {
    int64_t v = value.get<int64_t>();
    auto it = std::lower_bound(type.items.begin(), type.items.end(), v,
                               [](const EnumItem& item, int64_t x) { return item.value < x; });
    found = it != type.items.end() && it->value == v;
  }
  if (found) return absl::OkStatus();
  std::string list;
  for (size_t i = 0; i < type.items.size() && i < 8; ++i) {
    Append(&list, i == 0 ? "" : ", ", type.items[i].value);
  }
  if (type.items.size() > 8) Append(&list, ", ...");
  return Fail(at, Cat(Shown(value), " is not one of the enum values (", list, ")"));
}

absl::Status CheckText(const DataType& type, const json& value, const PathStep* at) {
  if (!value.is_string()) return Expected(at, "a string", value);
  const auto& text = value.get_ref<const std::string&>();
  // The parser has checked the UTF-8: count code points by their first bytes.
  size_t chars = 0;
  if (text.size() > type.max_length) {  // cannot be too long otherwise
    for (unsigned char c : text) chars += (c & 0xC0) != 0x80;
    if (chars > type.max_length) {
      return Fail(
          at, Cat("text of ", chars, " characters is longer than the maximum ", type.max_length));
    }
  }
  return absl::OkStatus();
}

absl::Status MillisOutOfRange(std::string_view shown, const PathStep* at) {
  return Fail(at, Cat(shown, " is outside epoch milliseconds 0 to ", kMaxEpochMillis));
}

// Epoch milliseconds as a JSON integer, as a string of digits (the form
// Alibaba devices send), or an ISO 8601 date-time string.
absl::Status CheckDate(const json& value, const PathStep* at) {
  if (value.is_number_integer()) {
    bool ok = value.is_number_unsigned() ? value.get<uint64_t>() <= kMaxEpochMillis
                                         : value.get<int64_t>() >= 0;
    return ok ? absl::OkStatus() : MillisOutOfRange(Shown(value), at);
  }
  if (!value.is_string()) return Expected(at, "epoch milliseconds or an ISO 8601 string", value);
  const auto& text = value.get_ref<const std::string&>();
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t millis = 0;
    for (char c : text) {
      if (millis > kMaxEpochMillis) break;
      millis = millis * 10 + (c - '0');
    }
    return millis <= kMaxEpochMillis ? absl::OkStatus()
                                     : MillisOutOfRange(ShownShort(value, 40), at);
  }
  if (ParseIsoDateTime(text)) return absl::OkStatus();
  return Fail(at, Cat(ShownShort(value, 80),
                      " is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm))"));
}

absl::Status CheckFields(const std::vector<Field>& fields, const json& value, const PathStep* at);

absl::Status CheckGeoPoint(const json& value, const PathStep* at) {
  if (!value.is_object()) return Expected(at, "an object {\"lon\", \"lat\"}", value);
  static constexpr struct {
    std::string_view key;
    double limit;
  } kAxes[] = {{"lon", 180}, {"lat", 90}};
  for (const auto& axis : kAxes) {
    auto it = value.find(axis.key);
    if (it == value.end()) return Fail(at, Cat("missing field '", axis.key, "'"));
    PathStep step{at, axis.key, 0};
    if (!it->is_number()) return Expected(&step, "a number", *it);
    double v = it->get<double>();
    if (v < -axis.limit || v > axis.limit) {
      return Fail(&step, Cat(it->dump(), " is outside -", axis.limit, " to ", axis.limit));
    }
  }
  if (value.size() != 2) {
    for (const auto& [key, unused] : value.items()) {
      if (key != "lon" && key != "lat") return Fail(at, Cat("unknown field '", key, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status Check(const DataType& type, const json& value, const PathStep* at) {
  switch (type.kind) {
    case TypeKind::kInt:
    case TypeKind::kLong:
      return CheckInteger(type, value, at);
    case TypeKind::kFloat:
    case TypeKind::kDouble:
      return CheckReal(type, value, at);
    case TypeKind::kBool:
      if (value.is_boolean()) return absl::OkStatus();
      if (value.is_number_unsigned() && value.get<uint64_t>() <= 1) return absl::OkStatus();
      return Expected(at, "true, false, 0 or 1", value);
    case TypeKind::kEnum:
      return CheckEnum(type, value, at);
    case TypeKind::kText:
      return CheckText(type, value, at);
    case TypeKind::kDate:
      return CheckDate(value, at);
    case TypeKind::kStruct:
      return CheckFields(type.fields, value, at);
    case TypeKind::kArray: {
      if (!value.is_array()) return Expected(at, "an array", value);
      if (value.size() > type.size) {
        return Fail(at, Cat(value.size(), " elements, more than the maximum ", type.size));
      }
      for (size_t i = 0; i < value.size(); ++i) {
        PathStep step{at, {}, i};
        if (auto status = Check(type.element.front(), value[i], &step); !status.ok()) return status;
      }
      return absl::OkStatus();
    }
    case TypeKind::kGeoPoint:
      return CheckGeoPoint(value, at);
  }
  return Fail(at, "unknown type");
}

// An object with exactly the declared fields, each valid.
absl::Status CheckFields(const std::vector<Field>& fields, const json& value, const PathStep* at) {
  if (!value.is_object()) return Expected(at, "an object", value);
  for (const Field& field : fields) {
    auto it = value.find(field.identifier);
    if (it == value.end()) return Fail(at, Cat("missing field '", field.identifier, "'"));
    PathStep step{at, field.identifier, 0};
    if (auto status = Check(field.type, *it, &step); !status.ok()) return status;
  }
  if (value.size() != fields.size()) {
    for (const auto& [key, unused] : value.items()) {
      bool known = std::any_of(fields.begin(), fields.end(),
                               [&key = key](const Field& f) { return f.identifier == key; });
      if (!known) return Fail(at, Cat("unknown field '", key, "'"));
    }
  }
  return absl::OkStatus();
}

bool Digits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return true;
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

const uint32_t kIndexNone = UINT32_MAX;

template <typename T>
void Build(const std::vector<T>& list, absl::flat_hash_map<std::string, uint32_t>* index) {
  index->reserve(list.size());
  for (uint32_t i = 0; i < list.size(); ++i) index->emplace(list[i].identifier, i);
}

uint32_t Lookup(const absl::flat_hash_map<std::string, uint32_t>& index, std::string_view id) {
  auto it = index.find(absl::string_view(id.data(), id.size()));
  return it == index.end() ? kIndexNone : it->second;
}

absl::Status NotFound(std::string_view id, std::string_view what) {
  return absl::NotFoundError(Cat(id, ": no such ", what));
}

}  // namespace

std::optional<int64_t> ParseIsoDateTime(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !Digits(text, 0, 4, &year) || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day) ||
      text[10] != 'T' || !Digits(text, 11, 2, &hour) || text[13] != ':' ||
      !Digits(text, 14, 2, &minute) || text[16] != ':' || !Digits(text, 17, 2, &second)) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && leap ? 1 : 0) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int millis = 0;
  if (text[pos] == '.') {
    size_t start = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    size_t count = pos - start;
    if (count == 0 || count > 9) return std::nullopt;
    for (size_t i = count; i < 3; ++i) millis *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!Digits(text, pos + 1, 2, &oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                    offset_minutes * 60;
  return seconds * 1000 + millis;
}

absl::Status CheckValue(const DataType& type, const json& value, std::string_view path) {
  PathStep root{nullptr, path, 0};
  return Check(type, value, &root);
}

ModelIndex::ModelIndex(ThingModel model) : model_(std::move(model)) {
  Build(model_.properties, &properties_);
  Build(model_.events, &events_);
  Build(model_.services, &services_);
}

const Property* ModelIndex::FindProperty(std::string_view identifier) const {
  uint32_t i = Lookup(properties_, identifier);
  return i == kIndexNone ? nullptr : &model_.properties[i];
}

const Event* ModelIndex::FindEvent(std::string_view identifier) const {
  uint32_t i = Lookup(events_, identifier);
  return i == kIndexNone ? nullptr : &model_.events[i];
}

const Service* ModelIndex::FindService(std::string_view identifier) const {
  uint32_t i = Lookup(services_, identifier);
  return i == kIndexNone ? nullptr : &model_.services[i];
}

absl::Status ModelIndex::CheckProperty(std::string_view identifier, const json& value) const {
  const Property* property = FindProperty(identifier);
  if (property == nullptr) return NotFound(identifier, "property");
  return CheckValue(property->type, value, identifier);
}

absl::Status ModelIndex::CheckPropertyWrite(std::string_view identifier, const json& value) const {
  const Property* property = FindProperty(identifier);
  if (property == nullptr) return NotFound(identifier, "property");
  if (property->access != Access::kReadWrite) {
    return absl::FailedPreconditionError(Cat(identifier, ": property is read-only"));
  }
  return CheckValue(property->type, value, identifier);
}

absl::Status ModelIndex::CheckEvent(std::string_view identifier, const json& output) const {
  const Event* event = FindEvent(identifier);
  if (event == nullptr) return NotFound(identifier, "event");
  PathStep root{nullptr, identifier, 0};
  return CheckFields(event->output, output, &root);
}

absl::Status ModelIndex::CheckServiceInput(std::string_view identifier, const json& input) const {
  const Service* service = FindService(identifier);
  if (service == nullptr) return NotFound(identifier, "service");
  PathStep root{nullptr, identifier, 0};
  return CheckFields(service->input, input, &root);
}

absl::Status ModelIndex::CheckServiceOutput(std::string_view identifier, const json& output) const {
  const Service* service = FindService(identifier);
  if (service == nullptr) return NotFound(identifier, "service");
  PathStep root{nullptr, identifier, 0};
  return CheckFields(service->output, output, &root);
}

}  // namespace qilian::platform
