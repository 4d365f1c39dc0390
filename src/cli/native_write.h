// Authenticated writes for `qilian`: the credential options (--auth with
// --secret-file or --key-file), the REST Basic header for a secret, and
// native-protocol writes (create, delete, add/modify/remove value) that
// answer the server's 402 challenge with opcode 200 (docs/cli.md,
// "Authenticated writes"; docs/authentication.md).
//
// The exchange is written against MessageExchanger so that tests can play
// the server without a socket; TcpExchanger is the real transport.
#ifndef QILIAN_CLI_NATIVE_WRITE_H_
#define QILIAN_CLI_NATIVE_WRITE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/handle_client.h"
#include "ident/handle_value.h"
#include "ident/operation.h"
#include "ident/response_code.h"

namespace qilian::cli {

// Who signs a write: INDEX:HANDLE and either a secret (HS_SECKEY) or a PEM
// private key (HS_PUBKEY).
struct Credentials {
  uint32_t index = 0;
  std::string handle;
  std::optional<std::string> secret;
  std::optional<std::string> private_key_pem;

  std::string identity() const { return std::to_string(index) + ":" + handle; }
};

// Reads --auth INDEX:HANDLE with exactly one of --secret-file (the secret;
// one trailing newline is dropped) and --key-file (an unencrypted PEM
// private key: RSA, DSA, Ed25519 or SM2). InvalidArgument for usage errors
// and unreadable files, with a message for a person.
absl::StatusOr<Credentials> LoadCredentials(std::string_view auth, std::string_view secret_file,
                                            std::string_view key_file);

// `Authorization: Basic base64("<index>%3A<handle>:<secret>")`, the value
// qiliand's REST API expects (docs/api.md, "Authentication").
std::string BasicAuthorization(const Credentials& credentials);

// Sends one whole message and returns the one reply to it.
class MessageExchanger {
 public:
  virtual ~MessageExchanger() = default;
  virtual absl::StatusOr<std::string> Exchange(std::string_view message) = 0;
};

// Over TCP: one connection kept for the request and its challenge answer;
// when the server has closed it after the 402 (as deployed servers do),
// the answer goes over a new one (the challenge is held per session id).
class TcpExchanger : public MessageExchanger {
 public:
  TcpExchanger(HandleServerAddress server, std::chrono::milliseconds timeout);
  ~TcpExchanger() override;
  absl::StatusOr<std::string> Exchange(std::string_view message) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One write in native terms.
struct NativeWrite {
  ident::OpCode op = ident::OpCode::kCreateHandle;
  std::string handle;
  std::vector<ident::HandleValue> values;  // create, add, modify
  std::vector<uint32_t> indexes;           // remove
  uint32_t op_flags = 0;                   // e.g. op_flag::kOverwrite
};

// The request message (envelope, header, body; protocol 2.11).
std::string EncodeWriteRequest(const NativeWrite& write, uint32_t request_id);

// A 402 reply, decoded.
struct Challenge {
  uint32_t session_id = 0;
  uint32_t request_id = 0;
  std::string digest;  // the request digest, without its algorithm octet
  std::string nonce;
};

// Reads a 402 reply to `request` (our own message): checks the reply's
// request id and that its digest is the digest of our request, as
// Handle.Net's client does before signing anything.
absl::StatusOr<Challenge> ReadChallenge(std::string_view reply, std::string_view request);

// The opcode-200 message answering `challenge` as `credentials`, in the
// challenge's session: HS_SECKEY with the 0x22 PBKDF2-HMAC-SHA1 MAC, or
// HS_PUBKEY with a signature over nonce ‖ digest.
absl::StatusOr<std::string> EncodeChallengeAnswer(const Credentials& credentials,
                                                  const Challenge& challenge,
                                                  uint32_t request_id);

// What the server finally said.
struct WriteResult {
  ident::ResponseCode code = ident::ResponseCode::kReserved;
  std::string message;  // error replies; empty on success
};

// Sends `write`; on a 402 answers it with `credentials` (without them the
// 402 is the result, with a hint in `message`). `next_request_id` gives a
// fresh non-zero id per message. Local and transport failures are errors
// (Unavailable for an unparsable or mismatched reply).
absl::StatusOr<WriteResult> PerformNativeWrite(MessageExchanger& exchanger,
                                               const NativeWrite& write,
                                               const std::optional<Credentials>& credentials,
                                               const std::function<uint32_t()>& next_request_id);

}  // namespace qilian::cli

#endif  // QILIAN_CLI_NATIVE_WRITE_H_
