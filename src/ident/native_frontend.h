// The native Handle protocol front door, transport-independent: takes one
// complete message (envelope + header + body + credential, already framed
// by TCP or reassembled from UDP packets), decodes it with wire/codec.h,
// calls the Processor, and encodes the reply. The UDP and TCP servers only
// move bytes; everything the protocol decides happens here or in the
// processor.
#ifndef QILIAN_IDENT_NATIVE_FRONTEND_H_
#define QILIAN_IDENT_NATIVE_FRONTEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/clock.h"
#include "core/metrics.h"
#include "ident/processor.h"

namespace qilian::ident {

struct NativeReply {
  std::string message;  // the whole reply: envelope + header + body (+ credential)
  bool is_error = false;  // an error reply (UDP rate-limits these)
};

class NativeFrontend {
 public:
  // `clock` decides whether a request's ExpirationTime has passed and
  // stamps the replies' own.
  NativeFrontend(Processor* processor, MetricsRegistry* metrics,
                 const Clock& clock = Clock::Real());
  ~NativeFrontend();

  // Answers one message. nullopt means stay silent: the bytes are not a
  // Handle message at all (on UDP, answering garbage invites reflection).
  std::optional<NativeReply> Handle(std::span<const uint8_t> message, const Peer& peer);

  // Whether handling `message` may block on durable storage.
  bool MayBlock(std::span<const uint8_t> message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_NATIVE_FRONTEND_H_
