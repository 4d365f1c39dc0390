#include "security/analyzers/json_writer.h"

#include <charconv>
#include <cstring>

namespace qilian::security {
namespace {

// Bytes a JSON string holds as they are: printable ASCII but the quote and
// the backslash.
constexpr bool Plain(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

// Whether all of 8 bytes are Plain, at once (the "has less/has zero byte"
// tricks of Sean Anderson's Bit Twiddling Hacks): a byte below 0x20, at or
// above 0x7f, or equal to '"' or '\\' sets its high bit in the result.
bool AllPlain8(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
  uint64_t x;
  std::memcpy(&x, p, 8);
  auto zero_byte = [&](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  uint64_t high = ((x + kOnes) & kHigh) | (x & kHigh);  // 0x7f..0xff
  uint64_t special = zero_byte(x ^ (kOnes * '"')) | zero_byte(x ^ (kOnes * '\\'));
  return (below_space | high | special) == 0;
}

// What nlohmann writes for a value with the writer's settings.
std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

JsonWriter& JsonWriter::ForEvent() {
  thread_local JsonWriter writer;
  writer.Clear();
  return writer;
}

JsonWriter& JsonWriter::Uint(uint64_t v) {
  Separate();
  char buf[24];
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  Separate();
  char buf[24];
  out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  return *this;
}

JsonWriter& JsonWriter::Double(double v) {
  Separate();
  out_.append(Dump(nlohmann::ordered_json(v)));
  return *this;
}

void JsonWriter::AppendString(std::string_view s) {
  size_t i = 0;
  while (i + 8 <= s.size() && AllPlain8(s.data() + i)) i += 8;
  for (; i < s.size(); ++i) {
    if (!Plain(static_cast<unsigned char>(s[i]))) {
      // Escapes, and the UTF-8 check with its replacement characters, as
      // nlohmann does them.
      out_.append(Dump(nlohmann::ordered_json(s)));
      return;
    }
  }
  out_.push_back('"');
  out_.append(s);
  out_.push_back('"');
}

JsonWriter& JsonWriter::Value(const nlohmann::ordered_json& j) {
  using V = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case V::object:
      BeginObject();
      for (auto it = j.begin(); it != j.end(); ++it) {
        Key(it.key());
        Value(it.value());
      }
      return EndObject();
    case V::array:
      BeginArray();
      for (const auto& v : j) Value(v);
      return EndArray();
    case V::string:
      return String(j.get_ref<const std::string&>());
    case V::number_unsigned:
      return Uint(j.get<uint64_t>());
    case V::number_integer:
      return Int(j.get<int64_t>());
    case V::boolean:
      return Bool(j.get<bool>());
    case V::null:
      return Null();
    default:  // floating point, binary, discarded
      Separate();
      out_.append(Dump(j));
      return *this;
  }
}

}  // namespace qilian::security
