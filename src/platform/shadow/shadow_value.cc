#include "platform/shadow/shadow_value.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace qilian::platform {

struct StoredValue::Heap {
  uint32_t size;
  uint32_t capacity;
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
};

nlohmann::json ToJson(const ValueView& v) {
  switch (v.kind) {
    case ValueKind::kNone:
      return nullptr;
    case ValueKind::kBool:
      return v.b;
    case ValueKind::kInt:
      if (v.i >= 0) return static_cast<uint64_t>(v.i);
      return v.i;
    case ValueKind::kDouble:
      return v.d;
    case ValueKind::kText:
      return std::string(v.text);
    case ValueKind::kJson: {
      nlohmann::json parsed = nlohmann::json::parse(v.text, nullptr, false);
      return parsed.is_discarded() ? nlohmann::json() : parsed;
    }
  }
  return nullptr;
}

StoredValue& StoredValue::operator=(StoredValue&& other) noexcept {
  if (this != &other) {
    Clear();
    kind_ = other.kind_;
    bits_ = other.bits_;
    other.kind_ = ValueKind::kNone;
  }
  return *this;
}

ValueView StoredValue::view() const {
  switch (kind_) {
    case ValueKind::kNone:
      return {};
    case ValueKind::kBool:
      return ValueView::Bool(bits_.b);
    case ValueKind::kInt:
      return ValueView::Int(bits_.i);
    case ValueKind::kDouble:
      return ValueView::Double(bits_.d);
    case ValueKind::kText:
    case ValueKind::kJson:
      return {kind_, false, 0, 0, std::string_view(bits_.heap->bytes(), bits_.heap->size)};
  }
  return {};
}

void StoredValue::Set(const ValueView& v) {
  if (v.kind == ValueKind::kText || v.kind == ValueKind::kJson) {
    const bool has_heap = kind_ == ValueKind::kText || kind_ == ValueKind::kJson;
    if (!has_heap || bits_.heap->capacity < v.text.size()) {
      Clear();
      void* memory = std::malloc(sizeof(Heap) + v.text.size());
      if (memory == nullptr) throw std::bad_alloc();
      bits_.heap = new (memory) Heap{0, static_cast<uint32_t>(v.text.size())};
    }
    // memmove: `v` may view this value's own bytes.
    if (!v.text.empty()) std::memmove(bits_.heap->bytes(), v.text.data(), v.text.size());
    bits_.heap->size = static_cast<uint32_t>(v.text.size());
    kind_ = v.kind;
    return;
  }
  Clear();
  kind_ = v.kind;
  switch (v.kind) {
    case ValueKind::kBool:
      bits_.b = v.b;
      break;
    case ValueKind::kInt:
      bits_.i = v.i;
      break;
    case ValueKind::kDouble:
      bits_.d = v.d;
      break;
    default:
      bits_.i = 0;
      break;
  }
}

void StoredValue::Clear() {
  if (kind_ == ValueKind::kText || kind_ == ValueKind::kJson) std::free(bits_.heap);
  kind_ = ValueKind::kNone;
  bits_.i = 0;
}

size_t StoredValue::heap_bytes() const {
  if (kind_ == ValueKind::kText || kind_ == ValueKind::kJson) {
    return sizeof(Heap) + bits_.heap->capacity;
  }
  return 0;
}

}  // namespace qilian::platform
