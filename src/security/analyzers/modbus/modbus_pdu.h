// Modbus PDU decoding: the bytes after the function code of one request or
// response, per the Modbus Application Protocol Specification v1.1b3, into a
// ModbusEvent. Pure: no framing, no I/O. A malformed PDU fills in what it
// can and returns the name of the weird that describes it.
#ifndef QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_PDU_H_
#define QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_PDU_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "security/analyzers/modbus/modbus_event.h"

namespace qilian::security::modbus {

// Specification limits on quantities per request.
constexpr uint16_t kMaxReadBits = 2000;
constexpr uint16_t kMaxReadRegisters = 125;
constexpr uint16_t kMaxWriteBits = 1968;
constexpr uint16_t kMaxWriteRegisters = 123;
constexpr uint16_t kMaxReadWriteWriteRegisters = 121;

// What a response needs from its request: reads answer with values only.
struct RequestContext {
  uint8_t function = 0;
  std::optional<uint16_t> address;
  std::optional<uint16_t> quantity;
};

// Each returns "" for a well-formed PDU, else a weird name. `body` is the
// PDU without its function code; e->function is already set.
std::string_view ParseRequest(std::span<const uint8_t> body, ModbusEvent* e);
// `request` is the matching request, or nullptr when it was not seen.
std::string_view ParseResponse(std::span<const uint8_t> body, const RequestContext* request,
                               ModbusEvent* e);

}  // namespace qilian::security::modbus

#endif  // QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_PDU_H_
