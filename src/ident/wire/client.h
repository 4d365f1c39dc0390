// The client side of the native protocol, for `qilian resolve`,
// `qilian-perf` and tests: build a request message, read a reply message.
// Pure functions over whole messages (envelope included); UDP
// fragmentation and TCP framing are the caller's.
#ifndef QILIAN_IDENT_WIRE_CLIENT_H_
#define QILIAN_IDENT_WIRE_CLIENT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ident/handle_value.h"
#include "ident/operation.h"
#include "ident/response_code.h"
#include "ident/wire/envelope.h"

namespace qilian::ident::wire {

struct ClientRequest {
  OpCode op = OpCode::kResolution;
  std::string handle;               // resolution; "/" for get-site-info
  std::vector<uint32_t> indexes;    // resolution filter
  std::vector<std::string> types;   // resolution filter
  uint32_t op_flags = 0;
  uint32_t request_id = 0;
  uint8_t major_version = 2;
  uint8_t minor_version = 11;
};

// The whole request message: envelope, header, body (no credential).
std::string EncodeClientRequest(const ClientRequest& request);

struct ClientReply {
  Envelope envelope;
  OpCode op = OpCode::kReserved;
  ResponseCode code = ResponseCode::kReserved;
  uint32_t op_flags = 0;
  std::string handle;               // resolution
  std::vector<HandleValue> values;  // resolution
  SiteInfo site;                    // get-site-info
  std::vector<std::string> handles; // listing
  std::string error_message;        // error replies (UTF8-String body)
};

// Decodes a whole reply message. InvalidArgument naming the field on
// malformed input.
absl::StatusOr<ClientReply> DecodeClientReply(std::span<const uint8_t> message);

}  // namespace qilian::ident::wire

#endif  // QILIAN_IDENT_WIRE_CLIENT_H_
