// Property values as the shadow keeps them and as ingestion hands them on.
//
// ValueView is a non-owning view (text points into the message being
// processed); StoredValue is the shadow's owned copy, 16 bytes: a kind and
// 8 bytes of number, or a pointer to heap text for text values and for the
// JSON text of structs, arrays and geo points. Both convert to the JSON
// value the device sent (floats become doubles).
#ifndef QILIAN_PLATFORM_SHADOW_SHADOW_VALUE_H_
#define QILIAN_PLATFORM_SHADOW_SHADOW_VALUE_H_

#include <cstdint>
#include <string_view>

#include "nlohmann/json.hpp"

namespace qilian::platform {

enum class ValueKind : uint8_t {
  kNone,  // no value (never reported)
  kBool,
  kInt,     // int, long, enum codes, date as epoch milliseconds
  kDouble,  // float, double
  kText,    // text, and date as ISO 8601 text
  kJson,    // struct, array, geo point: compact JSON text
};

struct ValueView {
  ValueKind kind = ValueKind::kNone;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view text;  // kText, kJson

  static ValueView Bool(bool v) { return {ValueKind::kBool, v, 0, 0, {}}; }
  static ValueView Int(int64_t v) { return {ValueKind::kInt, false, v, 0, {}}; }
  static ValueView Double(double v) { return {ValueKind::kDouble, false, 0, v, {}}; }
  static ValueView Text(std::string_view v) { return {ValueKind::kText, false, 0, 0, v}; }
  static ValueView Json(std::string_view v) { return {ValueKind::kJson, false, 0, 0, v}; }
};

// The value as JSON: a non-negative int becomes an unsigned JSON integer,
// as nlohmann's parser reads one, so that checks treat both alike.
nlohmann::json ToJson(const ValueView& v);

class StoredValue {
 public:
  StoredValue() = default;
  explicit StoredValue(const ValueView& v) { Set(v); }
  StoredValue(const StoredValue& other) { Set(other.view()); }
  StoredValue& operator=(const StoredValue& other) {
    if (this != &other) Set(other.view());
    return *this;
  }
  StoredValue(StoredValue&& other) noexcept : kind_(other.kind_), bits_(other.bits_) {
    other.kind_ = ValueKind::kNone;
  }
  StoredValue& operator=(StoredValue&& other) noexcept;
  ~StoredValue() { Clear(); }

  ValueKind kind() const { return kind_; }
  bool empty() const { return kind_ == ValueKind::kNone; }
  ValueView view() const;
  // Replaces the value; reuses the heap text when the new text fits.
  void Set(const ValueView& v);
  void Clear();

  // Heap bytes held besides the object itself.
  size_t heap_bytes() const;

 private:
  struct Heap;  // size, capacity, then the bytes
  ValueKind kind_ = ValueKind::kNone;
  union {
    bool b;
    int64_t i;
    double d;
    Heap* heap;
  } bits_ = {.i = 0};
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_SHADOW_SHADOW_VALUE_H_
