// The OPC UA binary encoding (OPC 10000-6 §5.2) of the built-in types, read
// into event values. Every integer is little-endian; strings and byte
// strings carry an Int32 length (-1: null); arrays an Int32 count.
//
// A Decoder fails sticky at the first problem and remembers its weird's name
// (the first one): reading past the end is `opcua_truncated_body`; a length
// longer than what is left, `opcua_bad_string_length` or
// `opcua_bad_array_length`; an encoding byte with undefined bits,
// `opcua_bad_nodeid_encoding`, `opcua_bad_variant`; Variants, DataValues,
// ExtensionObjects and DiagnosticInfos nested more than kMaxDepth deep,
// `opcua_nesting_too_deep`. Nothing it reads allocates more than the input
// holds: counts are checked against the bytes left before anything is kept,
// and what goes into events is bounded (kMaxEventArray items per array,
// kMaxEventValues in all, kMaxEventString characters per string).
#ifndef QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_DECODER_H_
#define QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_DECODER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include "security/common/wire_text.h"

namespace qilian::security::opcua {

constexpr int kMaxDepth = 8;              // nested Variant/DataValue/ExtensionObject/DiagnosticInfo
constexpr size_t kMaxEventArray = 32;     // array elements written into an event
constexpr size_t kMaxEventValues = 1024;  // array elements written, all arrays of one decoder
constexpr size_t kMaxEventString = 256;   // characters of a string written into an event
constexpr size_t kMaxEventBytesHex = 32;  // bytes of a ByteString written as hex

// Printable ASCII kept; every other byte, and '\', written as \xNN; cut at
// kMaxEventString characters with "..." after.
std::string Escape(std::span<const uint8_t> bytes);
// An OPC UA DateTime (100 ns ticks since 1601-01-01 UTC) as RFC 3339 with
// microseconds; nullopt for 0 and the "no time" maximum.
std::optional<std::string> DateTimeText(int64_t ticks);

// The identifier of a NodeId, with its namespace, as text in the standard
// notation: "i=85", "ns=2;s=Tank.Level", "ns=1;g=<guid>", "ns=3;b=<hex>";
// an ExpandedNodeId's namespace URI and server index go first:
// "svr=1;nsu=urn:x;i=5".
struct NodeId {
  uint16_t ns = 0;
  std::optional<uint32_t> numeric;  // numeric encodings
  std::string text;                 // the whole notation
};

class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> b) : b_(b) {}

  bool ok() const { return weird_.empty(); }
  // The weird of the first failure, or empty.
  std::string_view weird() const { return weird_; }
  size_t remaining() const { return ok() ? b_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  void Fail(std::string_view weird) {
    if (weird_.empty()) weird_ = weird;
  }

  std::span<const uint8_t> Take(size_t n);
  uint8_t U8() { return static_cast<uint8_t>(Uint(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Uint(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Uint(4)); }
  uint64_t U64() { return Uint(8); }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  bool Bool() { return U8() != 0; }
  double Double();
  float Float();

  // String: its bytes (nullopt for a null string), checked against the bytes left.
  std::optional<std::span<const uint8_t>> Bytes();
  // String escaped for an event ("" for null).
  std::string String();
  // Whether the `index`th element of an array may go into the event: within
  // kMaxEventArray, and within kMaxEventValues for all arrays together.
  bool Keep(size_t index) { return index < kMaxEventArray && ++kept_ <= kMaxEventValues; }
  // An array's count: -1 (null) and 0 give 0; a count that the bytes left
  // cannot hold (each element takes at least `min_element_size` bytes) fails.
  size_t ArrayCount(size_t min_element_size = 1);

  NodeId ReadNodeId();                // NodeId; the expanded flags are an error
  NodeId ReadExpandedNodeId();        // NodeId with namespace URI and server index
  nlohmann::ordered_json DateTime();  // text, or null
  std::string Guid();
  std::string QualifiedName();  // "ns:name", or "name" for namespace 0
  std::string LocalizedText();  // the text (the locale left out)
  nlohmann::ordered_json Variant();
  nlohmann::ordered_json DataValue();
  // ExtensionObject: {type_id, length} of its body (`body`, if given, gets
  // the body's bytes for a caller that decodes known types).
  nlohmann::ordered_json ExtensionObject(NodeId* type_id = nullptr,
                                         std::span<const uint8_t>* body = nullptr);
  // DiagnosticInfo: skipped, only checked (events carry status codes).
  void SkipDiagnosticInfo();
  void SkipDiagnosticInfos();
  // A built-in type's scalar value by its type id (1-25).
  nlohmann::ordered_json Scalar(uint8_t type);

 private:
  uint64_t Uint(size_t n);
  NodeId NodeIdBody(uint8_t encoding);
  bool Enter();
  void Leave() { --depth_; }

  std::span<const uint8_t> b_;
  size_t pos_ = 0;
  int depth_ = 0;
  size_t kept_ = 0;
  std::string_view weird_;
};

}  // namespace qilian::security::opcua

#endif  // QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_DECODER_H_
