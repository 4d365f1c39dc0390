// Writes JSON straight into a string, byte for byte as nlohmann's
// dump(-1, ' ', false, error_handler_t::replace) writes the same values, so
// an analyzer can emit an event without building a tree (a tree per event
// was most of the sensor's time: docs/benchmarks.md, "ICS sensor"). Strings
// with bytes outside printable ASCII, and floating-point numbers, go through
// nlohmann's own serializer: those are rare, and that keeps them identical.
//
//   JsonWriter& w = JsonWriter::ForEvent();
//   w.Key("pdu").String("request").Key("values").BeginArray();
//   for (uint16_t v : values) w.Uint(v);
//   w.EndArray();
//   host->EmitJson(w.view());  // "pdu":"request","values":[1,2]
//
// The writer starts inside an object whose braces are the caller's: its
// output is a list of members. Commas are its business; the nesting is the
// caller's (a Key before every member's value, Begin/End paired).
#ifndef QILIAN_SECURITY_ANALYZERS_JSON_WRITER_H_
#define QILIAN_SECURITY_ANALYZERS_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace qilian::security {

class JsonWriter {
 public:
  JsonWriter& Key(std::string_view key) {
    Separate();
    AppendString(key);
    out_.push_back(':');
    after_key_ = true;
    return *this;
  }
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Bool(bool v) {
    Separate();
    out_.append(v ? "true" : "false");
    return *this;
  }
  JsonWriter& Null() {
    Separate();
    out_.append("null");
    return *this;
  }
  JsonWriter& Double(double v);
  JsonWriter& String(std::string_view s) {
    Separate();
    AppendString(s);
    return *this;
  }
  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  // An array of unsigned numbers (register values, ...).
  template <typename Range>
  JsonWriter& Uints(const Range& values) {
    BeginArray();
    for (auto v : values) Uint(v);
    return EndArray();
  }
  // A tree, as nlohmann's dump writes it.
  JsonWriter& Value(const nlohmann::ordered_json& j);

  // A cleared writer for one event at a time, shared by every analyzer of
  // the thread: a flow's analyzer keeps no buffer of its own (a sensor holds
  // up to a million of them). Valid until the next call.
  static JsonWriter& ForEvent();

  // Starts again with no members (keeps the buffer).
  void Clear() {
    out_.clear();
    need_comma_ = false;
    after_key_ = false;
  }
  std::string_view view() const { return out_; }
  bool empty() const { return out_.empty(); }

 private:
  void Separate() {
    if (need_comma_ && !after_key_) out_.push_back(',');
    need_comma_ = true;
    after_key_ = false;
  }
  JsonWriter& Open(char c) {
    Separate();
    out_.push_back(c);
    need_comma_ = false;
    return *this;
  }
  JsonWriter& Close(char c) {
    out_.push_back(c);
    need_comma_ = true;
    after_key_ = false;
    return *this;
  }
  void AppendString(std::string_view s);

  std::string out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_ANALYZERS_JSON_WRITER_H_
