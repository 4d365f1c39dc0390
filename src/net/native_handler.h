// What the native Handle servers (UDP and TCP) call for each whole message.
// The servers only move bytes: framing, reassembly, limits. Everything the
// protocol decides happens behind this interface, which qiliand binds to
// ident::NativeFrontend and tests bind to small fakes.
#ifndef QILIAN_NET_NATIVE_HANDLER_H_
#define QILIAN_NET_NATIVE_HANDLER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "ident/native_frontend.h"

namespace qilian::net {

struct NativeHandler {
  // Answers one whole message (envelope included). nullopt: send nothing
  // (UDP) or close the connection (TCP). Must be thread-safe.
  std::function<std::optional<ident::NativeReply>(std::span<const uint8_t> message,
                                                  const ident::Peer& peer)>
      handle;
  // Whether `handle` may block on durable storage for this message; TCP runs
  // such messages on its worker pool. May be empty (never blocks).
  std::function<bool(std::span<const uint8_t> message)> may_block;
};

}  // namespace qilian::net

#endif  // QILIAN_NET_NATIVE_HANDLER_H_
