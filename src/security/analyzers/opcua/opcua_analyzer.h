// The OPC UA binary analyzer (UA-TCP and UA Secure Conversation, OPC
// 10000-6 §6-7): frames each TCP direction into message chunks (an 8-byte
// header: three letters HEL, ACK, ERR, RHE, OPN, MSG or CLO, the chunk type
// F, C or A, and the chunk's size), reassembles the chunks of a message (C
// ... F, bounded by kMaxMessageBytes), and emits one event per message:
// the connection protocol's fields, the secure channel's headers, and for a
// body that is not encrypted the service request or response
// (opcua_services.h).
//
// Whether bodies are readable follows the channel: an OpenSecureChannel
// with the security policy None makes them plaintext; with another policy
// the OpenSecureChannel itself is encrypted and the mode (Sign leaves
// bodies readable, SignAndEncrypt does not) is told per message by whether
// the body starts with a service's type NodeId. Encrypted messages are
// reported by their headers, `encrypted: true`.
//
// Requests are remembered by request id until their response (kMaxPending
// per flow, the oldest forgotten), so a response's results carry the nodes
// and methods the request named. The side on port 4840 is the server, or
// else the responder, until a HEL, ACK or RHE shows who is.
// A header with an undefined type, a bad chunk type or an impossible size
// counts a weird and the analyzer resyncs on the next plausible header, as
// it does after a TCP gap.
#ifndef QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_ANALYZER_H_
#define QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_ANALYZER_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "security/analyzers/analyzer.h"
#include "security/analyzers/opcua/opcua_services.h"

namespace qilian::security::opcua {

// IANA's opc-ua-tcp port. Servers listen on many others (vendors' defaults
// such as 48010, 53530, 62541; 12001 in the ITI capture): the signature is
// strong enough to be tried on flows of no registered port.
constexpr uint16_t kOpcUaPort = 4840;
constexpr size_t kHeaderSize = 8;
constexpr size_t kMaxChunkSize = 1 << 20;     // larger chunks are skipped, not buffered
constexpr size_t kMaxMessageBytes = 1 << 20;  // a reassembled message's body
constexpr size_t kMaxChunks = 256;            // chunks of one message
constexpr size_t kMaxPending = 256;           // requests awaiting a response per flow
constexpr uint32_t kMinBufferSize = 8192;     // §7.1.2.3: receive and send buffers

constexpr size_t kMaxConnectionMessage = 16384;  // HEL, ACK, ERR, RHE, for the signature

// Whether `bytes` start like a message header: a defined type, a chunk type
// allowed for it, and a size that holds the type's fixed fields (a HEL,
// ACK, ERR or RHE at most kMaxConnectionMessage bytes). Needs the 8 bytes.
bool LooksLikeOpcUa(std::span<const uint8_t> bytes);

// A message whose chunks are still arriving.
struct PartialMessage {
  std::string type;
  std::optional<uint32_t> request_id;  // unknown for encrypted chunks
  bool readable = false;
  bool too_large = false;
  size_t chunks = 0;
  size_t size = 0;                 // all chunks' bytes, headers included
  nlohmann::ordered_json headers;  // the first chunk's secure channel headers
  std::vector<uint8_t> body;
};
class OpcUaAnalyzer : public Analyzer {
 public:
  explicit OpcUaAnalyzer(AnalyzerHost* host);

  void DeliverStream(Direction dir, std::span<const uint8_t> data) override;
  void Gap(Direction dir, uint64_t length) override;
  void EndOfData(Direction dir) override;

 private:
  enum class Security { kUnknown, kNone, kSecured };

  void Chunk(Direction dir, std::span<const uint8_t> chunk);
  void Connection(Direction dir, std::span<const uint8_t> chunk, nlohmann::ordered_json* e);
  void SecureChunk(Direction dir, std::span<const uint8_t> chunk);
  void Finish(Direction dir, PartialMessage& m, char chunk_type,
              std::span<const uint8_t> abort_body);
  void CheckSequence(Direction dir, uint32_t sequence);
  nlohmann::ordered_json Start(Direction dir, std::string_view type) const;

  AnalyzerHost* host_;
  Direction client_;  // the client's direction: away from port 4840, or HEL's
  std::vector<uint8_t> buffer_[2];
  bool resync_[2] = {false, false};
  size_t skip_[2] = {0, 0};  // bytes left of an oversized chunk
  std::optional<PartialMessage> partial_[2];
  std::optional<uint32_t> next_sequence_[2];
  Security security_ = Security::kUnknown;
  std::optional<uint32_t> channel_id_;                       // from the OpenSecureChannel response
  std::deque<std::pair<uint32_t, PendingRequest>> pending_;  // oldest first
};

}  // namespace qilian::security::opcua

#endif  // QILIAN_SECURITY_ANALYZERS_OPCUA_OPCUA_ANALYZER_H_
