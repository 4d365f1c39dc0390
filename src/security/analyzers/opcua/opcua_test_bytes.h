// Builders for hand-made OPC UA binary messages in tests: each writes the
// bytes of one encoding rule of OPC 10000-6 (little-endian integers, Int32
// lengths), so a test states every field it sends.
#ifndef QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_TEST_BYTES_H_
#define QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_TEST_BYTES_H_

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace qilian::security::opcua::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes Join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    for (uint8_t x : p)
      out.push_back(x);  // (insert() trips a GCC 12 -Warray-bounds false positive)
  }
  return out;
}
inline Bytes U16(uint16_t v) { return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)}; }
inline Bytes U32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}
inline Bytes U64(uint64_t v) {
  return Join({U32(static_cast<uint32_t>(v)), U32(static_cast<uint32_t>(v >> 32))});
}
// String and ByteString: Int32 length, then the bytes.
inline Bytes Str(std::string_view s) {
  Bytes b = U32(static_cast<uint32_t>(s.size()));
  for (char c : s) b.push_back(static_cast<uint8_t>(c));
  return b;
}
inline Bytes Null() { return U32(0xffffffff); }  // a null String, ByteString or array
// A four-byte NodeId (namespace < 256, identifier < 65536).
inline Bytes FourByteId(uint8_t ns, uint16_t id) { return Join({{0x01, ns}, U16(id)}); }
// A type NodeId of namespace 0 as services use it (four-byte encoding).
inline Bytes TypeId(uint16_t id) { return FourByteId(0, id); }
// 2019-09-25T21:39:07.627018Z as DateTime ticks.
constexpr uint64_t kTicks = 132139211476270180;

// RequestHeader: authentication token i=0, timestamp, handle, return
// diagnostics 0, null audit entry id, timeout hint, empty additional header.
inline Bytes RequestHeader(uint32_t handle, uint32_t timeout = 1000) {
  return Join(
      {{0x00, 0x00}, U64(kTicks), U32(handle), U32(0), Null(), U32(timeout), {0x00, 0x00, 0x00}});
}
// ResponseHeader: timestamp, handle, service result, no diagnostics, null
// string table, empty additional header.
inline Bytes ResponseHeader(uint32_t handle, uint32_t result = 0) {
  return Join({U64(kTicks), U32(handle), U32(result), {0x00}, Null(), {0x00, 0x00, 0x00}});
}

// An 8-byte message header in front of `body`.
inline Bytes Message(std::string_view type, char chunk, const Bytes& body) {
  Bytes b = {static_cast<uint8_t>(type[0]), static_cast<uint8_t>(type[1]),
             static_cast<uint8_t>(type[2]), static_cast<uint8_t>(chunk)};
  return Join({b, U32(static_cast<uint32_t>(8 + body.size())), body});
}
constexpr std::string_view kPolicyNone = "http://opcfoundation.org/UA/SecurityPolicy#None";
// OPN: channel id, asymmetric header (policy, null certificate and
// thumbprint), sequence header, body.
inline Bytes Opn(uint32_t channel, std::string_view policy, uint32_t seq, uint32_t request,
                 const Bytes& body) {
  return Message("OPN", 'F',
                 Join({U32(channel), Str(policy), Null(), Null(), U32(seq), U32(request), body}));
}
// MSG or CLO chunk: channel id, token id, sequence header, body.
inline Bytes Msg(char chunk, uint32_t channel, uint32_t token, uint32_t seq, uint32_t request,
                 const Bytes& body, std::string_view type = "MSG") {
  return Message(type, chunk, Join({U32(channel), U32(token), U32(seq), U32(request), body}));
}

}  // namespace qilian::security::opcua::testing

#endif  // QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_TEST_BYTES_H_
