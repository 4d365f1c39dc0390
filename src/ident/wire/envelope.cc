#include "ident/wire/envelope.h"

namespace qilian::ident::wire {

bool DecodeEnvelope(std::span<const uint8_t> bytes, Envelope* envelope) {
  if (bytes.size() < kEnvelopeSize) return false;
  ByteReader in(bytes.first(kEnvelopeSize));
  envelope->major_version = in.ReadU8();
  envelope->minor_version = in.ReadU8();
  envelope->flags = in.ReadU16();
  envelope->session_id = in.ReadU32();
  envelope->request_id = in.ReadU32();
  envelope->sequence_number = in.ReadU32();
  envelope->message_length = in.ReadU32();
  return in.ok();
}

void EncodeEnvelope(const Envelope& envelope, ByteWriter* out) {
  out->WriteU8(envelope.major_version);
  out->WriteU8(envelope.minor_version);
  out->WriteU16(envelope.flags);
  out->WriteU32(envelope.session_id);
  out->WriteU32(envelope.request_id);
  out->WriteU32(envelope.sequence_number);
  out->WriteU32(envelope.message_length);
}

}  // namespace qilian::ident::wire
