#include "ident/wire/client.h"

#include "core/status.h"
#include "ident/wire/codec.h"

namespace qilian::ident::wire {

std::string EncodeClientRequest(const ClientRequest& request) {
  Envelope envelope;
  envelope.major_version = request.major_version;
  envelope.minor_version = request.minor_version;
  // Like CNRI clients, advertise our own highest version.
  envelope.flags = kOwnVersionFlag;
  envelope.request_id = request.request_id;
  MessageHeader header;
  header.op_code = static_cast<uint32_t>(request.op);
  header.op_flags = request.op_flags;
  RequestBody body;
  body.handle = request.handle;
  body.indexes = request.indexes;
  body.types = request.types;
  return EncodeMessage(envelope, header, EncodeRequestBody(request.op, body));
}

absl::StatusOr<ClientReply> DecodeClientReply(std::span<const uint8_t> message) {
  QL_ASSIGN_OR_RETURN(RawMessage raw, DecodeMessage(message));
  if (raw.header.response_code == 0) {
    return absl::InvalidArgumentError("not a reply: response code 0");
  }
  ClientReply reply;
  reply.envelope = raw.envelope;
  reply.op = static_cast<OpCode>(raw.header.op_code);
  reply.code = static_cast<ResponseCode>(raw.header.response_code);
  reply.op_flags = raw.header.op_flags;
  QL_ASSIGN_OR_RETURN(ResponseBody body,
                      DecodeResponseBody(reply.op, reply.code, reply.op_flags, raw.body));
  reply.handle = std::move(body.handle);
  reply.values = std::move(body.values);
  reply.site = std::move(body.site);
  reply.handles = std::move(body.handles);
  reply.error_message = std::move(body.message);
  return reply;
}

}  // namespace qilian::ident::wire
