// Fuzz target: multi-packet UDP messages (net/udp_reassembly.h on the
// server, cli/udp_reassembler.h on the client). The input is a series of
// datagrams, each [control octet][u16 length][octets]; the control octet
// picks one of three addresses and two ports, and its high bit moves the
// clock on and expires. Small limits, so the bounds are reached: they must
// hold after every datagram, and a completed message must carry a clean
// envelope (TC off, sequence 0, MessageLength its own length).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "cli/udp_reassembler.h"
#include "core/clock.h"
#include "ident/wire/envelope.h"
#include "net/udp_reassembly.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian;
  namespace wire = ident::wire;
  constexpr size_t kBytes = 2048, kPeers = 2, kMessages = 2;
  FakeClock clock;
  net::UdpReassembler server({kBytes, kPeers, kMessages, absl::Seconds(2)}, &clock);
  // The client waits for the request id of the first datagram's envelope.
  uint32_t id = 0;
  for (size_t i = 11; i < 15 && i < size; ++i) id = id << 8 | data[i];
  cli::UdpReassembler client(id, kBytes);
  bool client_done = false;
  static const char* kAddresses[] = {"\x7f\0\0\x01", "\x0a\0\0\x02", "\xc0\0\x02\x01"};
  for (size_t at = 0; at + 3 <= size;) {
    uint8_t control = data[at];
    size_t len = std::min<size_t>(data[at + 1] << 8 | data[at + 2], size - at - 3);
    std::span<const uint8_t> datagram(data + at + 3, len);
    at += 3 + len;
    if (control & 0x80) {
      clock.Advance(absl::Milliseconds(700));
      server.Expire();
    }
    wire::Envelope env;
    if (!wire::DecodeEnvelope(datagram, &env)) continue;
    if (!client_done) {
      auto r = client.Add(datagram);
      if (r == cli::UdpReassembler::Result::kComplete) {
        client_done = true;
        if (client.message().size() < wire::kEnvelopeSize ||
            client.message().size() > kBytes + wire::kEnvelopeSize)
          std::abort();
      }
    }
    if (!env.truncated()) continue;
    std::string message;
    auto outcome = server.Add(std::string_view(kAddresses[control % 3], 4),
                              2641 + ((control >> 2) & 1), datagram, &message);
    if (server.peers() > kPeers || server.buffered_bytes() > kPeers * kBytes ||
        server.pending_messages() > kPeers * kMessages)
      std::abort();
    if (outcome != net::FragmentOutcome::kComplete) continue;
    wire::Envelope out;
    if (!wire::DecodeEnvelope(std::span<const uint8_t>(
                                  reinterpret_cast<const uint8_t*>(message.data()), message.size()),
                              &out) ||
        out.truncated() || out.sequence_number != 0 ||
        out.message_length != message.size() - wire::kEnvelopeSize || out.message_length > kBytes ||
        out.request_id != env.request_id)
      std::abort();
  }
  return 0;
}
