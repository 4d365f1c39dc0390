// Fuzz target: the server side of the native protocol. Any message goes
// through the codec (framing, request body, credential) and then through
// the whole NativeFrontend over an in-memory registry. Nothing may crash or
// over-allocate; a body that decodes must decode again to the same thing
// after re-encoding; and whatever the front end answers must itself be a
// well-formed reply.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "core/clock.h"
#include "core/metrics.h"
#include "ident/native_frontend.h"
#include "ident/registry.h"
#include "ident/wire/client.h"
#include "ident/wire/codec.h"
#include "store/memory_store.h"

namespace {

struct Node {
  qilian::FakeClock clock;
  std::unique_ptr<qilian::store::KvStore> store =
      qilian::store::NewMemoryStore({{std::string(qilian::ident::Registry::kSpace)}});
  qilian::ident::Registry registry{store.get(), clock, qilian::ident::RegistryOptions{}};
  qilian::MetricsRegistry metrics;
  qilian::ident::Processor processor{&registry, &metrics, qilian::ident::ProcessorOptions{}};
  qilian::ident::NativeFrontend frontend{&processor, &metrics, clock};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::ident;
  using namespace qilian::ident::wire;
  std::span<const uint8_t> bytes(data, size);
  auto raw = DecodeMessage(bytes);
  if (raw.ok()) {
    const auto op = static_cast<OpCode>(raw->header.op_code);
    auto body = DecodeRequestBody(op, raw->body);
    if (body.ok()) {
      auto twice = DecodeRequestBody(op, EncodeRequestBody(op, *body));
      if (!twice.ok() || !(*twice == *body)) std::abort();
    }
    if (!raw->credential.empty()) (void)DecodeCredential(raw->credential);
  }
  static Node* node = new Node;
  for (Transport t : {Transport::kUdp, Transport::kTcp}) {
    auto reply = node->frontend.Handle(bytes, Peer{"127.0.0.1", true, t});
    if (reply.has_value()) {
      auto decoded = DecodeClientReply(std::span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(reply->message.data()), reply->message.size()));
      if (!decoded.ok()) std::abort();
    }
  }
  return 0;
}
