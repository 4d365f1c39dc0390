#include "cli/native_write.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "core/status.h"
#include "ident/auth/challenge_answer.h"
#include "ident/auth/public_key.h"
#include "ident/auth/secret_key.h"
#include "ident/wire/client.h"
#include "ident/wire/codec.h"

namespace qilian::cli {
namespace {

using ident::OpCode;
using ident::ResponseCode;
namespace wire = ident::wire;

// Key and secret files are small; anything larger is a wrong path.
constexpr size_t kMaxCredentialFileBytes = 64 << 10;

absl::StatusOr<std::string> ReadSmallFile(std::string_view path, std::string_view flag) {
  std::ifstream in{std::string(path), std::ios::binary};
  if (!in) {
    return absl::InvalidArgumentError("cannot read " + std::string(flag) + " " +
                                      std::string(path));
  }
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxCredentialFileBytes) {
      return absl::InvalidArgumentError(std::string(flag) + " " + std::string(path) +
                                        " is larger than 64 KiB");
    }
  }
  return text;
}

std::span<const uint8_t> Span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

wire::Envelope NewEnvelope(uint32_t request_id, uint32_t session_id) {
  wire::Envelope envelope;
  envelope.flags = wire::kOwnVersionFlag;
  envelope.request_id = request_id;
  envelope.session_id = session_id;
  return envelope;
}

}  // namespace

absl::StatusOr<Credentials> LoadCredentials(std::string_view auth, std::string_view secret_file,
                                            std::string_view key_file) {
  if (auth.empty()) {
    if (!secret_file.empty() || !key_file.empty()) {
      return absl::InvalidArgumentError("--secret-file and --key-file need --auth INDEX:HANDLE");
    }
    return absl::InvalidArgumentError("--auth is empty");
  }
  Credentials out;
  size_t colon = auth.find(':');
  std::string_view index_text = auth.substr(0, colon == std::string_view::npos ? 0 : colon);
  bool digits = !index_text.empty() && index_text.size() <= 10;
  uint64_t index = 0;
  for (char c : index_text) {
    if (c < '0' || c > '9') digits = false;
    index = index * 10 + static_cast<uint64_t>(c - '0');
  }
  if (colon == std::string_view::npos || !digits || index == 0 || index > 0x7fffffff ||
      colon + 1 >= auth.size()) {
    return absl::InvalidArgumentError("malformed --auth \"" + std::string(auth) +
                                      "\": expected INDEX:HANDLE, e.g. 300:88.999/ADMIN");
  }
  out.index = static_cast<uint32_t>(index);
  out.handle = std::string(auth.substr(colon + 1));
  if (secret_file.empty() == key_file.empty()) {
    return absl::InvalidArgumentError("--auth needs exactly one of --secret-file and --key-file");
  }
  if (!secret_file.empty()) {
    QL_ASSIGN_OR_RETURN(std::string secret, ReadSmallFile(secret_file, "--secret-file"));
    // Files written by editors and `echo` end with a newline that is not
    // part of the secret.
    if (!secret.empty() && secret.back() == '\n') secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    if (secret.empty()) {
      return absl::InvalidArgumentError("--secret-file " + std::string(secret_file) +
                                        " is empty");
    }
    if (secret.size() > ident::auth::kMaxSecretBytes) {
      return absl::InvalidArgumentError("--secret-file " + std::string(secret_file) +
                                        " holds more than 1024 octets");
    }
    out.secret = std::move(secret);
  } else {
    QL_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(key_file, "--key-file"));
    // Read it now, so that a bad key is a usage error before anything is sent.
    absl::StatusOr<ident::auth::PrivateKey> key = ident::auth::PrivateKey::FromPem(pem);
    if (!key.ok()) {
      return absl::InvalidArgumentError("--key-file " + std::string(key_file) + ": " +
                                        std::string(key.status().message()));
    }
    out.private_key_pem = std::move(pem);
  }
  return out;
}

std::string BasicAuthorization(const Credentials& credentials) {
  const std::string user_pass = std::to_string(credentials.index) + "%3A" + credentials.handle +
                                ":" + credentials.secret.value_or("");
  return "Basic " + absl::Base64Escape(user_pass);
}

struct TcpExchanger::Impl {
  explicit Impl(HandleServerAddress server, std::chrono::milliseconds timeout)
      : connection(std::move(server), timeout) {}
  HandleTcpConnection connection;
};

TcpExchanger::TcpExchanger(HandleServerAddress server, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(server), timeout)) {}

TcpExchanger::~TcpExchanger() = default;

absl::StatusOr<std::string> TcpExchanger::Exchange(std::string_view message) {
  return impl_->connection.Exchange(message);
}

std::string EncodeWriteRequest(const NativeWrite& write, uint32_t request_id) {
  wire::MessageHeader header;
  header.op_code = static_cast<uint32_t>(write.op);
  header.op_flags = write.op_flags;
  wire::RequestBody body;
  body.handle = write.handle;
  body.values = write.values;
  body.indexes = write.indexes;
  return wire::EncodeMessage(NewEnvelope(request_id, 0), header,
                             wire::EncodeRequestBody(write.op, body));
}

absl::StatusOr<Challenge> ReadChallenge(std::string_view reply, std::string_view request) {
  QL_ASSIGN_OR_RETURN(wire::RawMessage ours, wire::DecodeMessage(request));
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(reply);
  if (!raw.ok()) {
    return absl::UnavailableError("unparsable challenge: " + std::string(raw.status().message()));
  }
  if (raw->header.response_code != static_cast<uint32_t>(ResponseCode::kAuthenticationNeeded)) {
    return absl::InvalidArgumentError("not a challenge");
  }
  if (raw->envelope.request_id != ours.envelope.request_id) {
    return absl::UnavailableError("challenge answers another request (id " +
                                  std::to_string(raw->envelope.request_id) + ")");
  }
  absl::StatusOr<wire::ResponseBody> body =
      wire::DecodeResponseBody(static_cast<OpCode>(raw->header.op_code),
                               ResponseCode::kAuthenticationNeeded, raw->header.op_flags, raw->body);
  if (!body.ok()) {
    return absl::UnavailableError("unparsable challenge: " +
                                  std::string(body.status().message()));
  }
  if (body->nonce.empty()) return absl::UnavailableError("challenge without a nonce");
  // Sign only what we asked for: the digest must be our request's.
  const wire::DigestAlgorithm algorithm = body->digest.algorithm;
  if (wire::DigestSize(algorithm) == 0 ||
      wire::ComputeDigest(algorithm, ours.header_and_body) != body->digest.digest) {
    return absl::UnavailableError(
        "the challenge's request digest is not the digest of this request; not answering it");
  }
  Challenge out;
  out.session_id = raw->envelope.session_id;
  out.request_id = raw->envelope.request_id;
  out.digest = std::move(body->digest.digest);
  out.nonce = std::move(body->nonce);
  return out;
}

absl::StatusOr<std::string> EncodeChallengeAnswer(const Credentials& credentials,
                                                  const Challenge& challenge,
                                                  uint32_t request_id) {
  wire::RequestBody body;
  body.key_handle = credentials.handle;
  body.key_index = credentials.index;
  if (credentials.secret.has_value()) {
    body.auth_type = std::string(ident::kTypeSecKey);
    QL_ASSIGN_OR_RETURN(body.answer, ident::auth::ComputeSecretKeyAnswer(
                                         ident::auth::MacAlgorithm::kPbkdf2HmacSha1,
                                         *credentials.secret, challenge.nonce, challenge.digest));
  } else if (credentials.private_key_pem.has_value()) {
    body.auth_type = std::string(ident::kTypePubKey);
    QL_ASSIGN_OR_RETURN(body.answer,
                        ident::auth::ComputeChallengeAnswer(*credentials.private_key_pem,
                                                            challenge.nonce, challenge.digest));
  } else {
    return absl::InvalidArgumentError("no secret or key to answer the challenge with");
  }
  wire::MessageHeader header;
  header.op_code = static_cast<uint32_t>(OpCode::kChallengeResponse);
  return wire::EncodeMessage(NewEnvelope(request_id, challenge.session_id), header,
                             wire::EncodeRequestBody(OpCode::kChallengeResponse, body));
}

absl::StatusOr<WriteResult> PerformNativeWrite(MessageExchanger& exchanger,
                                               const NativeWrite& write,
                                               const std::optional<Credentials>& credentials,
                                               const std::function<uint32_t()>& next_request_id) {
  // The final reply: its request id must be the one we sent.
  auto result_of = [](std::string_view reply, uint32_t request_id) -> absl::StatusOr<WriteResult> {
    absl::StatusOr<wire::ClientReply> decoded = wire::DecodeClientReply(Span(reply));
    if (!decoded.ok()) {
      return absl::UnavailableError("unparsable reply: " +
                                    std::string(decoded.status().message()));
    }
    if (decoded->envelope.request_id != request_id) {
      return absl::UnavailableError("reply answers another request (id " +
                                    std::to_string(decoded->envelope.request_id) + ")");
    }
    return WriteResult{decoded->code, std::move(decoded->error_message)};
  };

  const std::string request = EncodeWriteRequest(write, next_request_id());
  QL_ASSIGN_OR_RETURN(wire::RawMessage ours, wire::DecodeMessage(request));
  QL_ASSIGN_OR_RETURN(std::string reply, exchanger.Exchange(request));
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(reply);
  if (!raw.ok() ||
      raw->header.response_code != static_cast<uint32_t>(ResponseCode::kAuthenticationNeeded)) {
    return result_of(reply, ours.envelope.request_id);
  }
  if (!credentials.has_value()) {
    return WriteResult{ResponseCode::kAuthenticationNeeded,
                       "the server asks for authentication: give --auth INDEX:HANDLE with "
                       "--secret-file or --key-file"};
  }
  QL_ASSIGN_OR_RETURN(Challenge challenge, ReadChallenge(reply, request));
  const uint32_t answer_id = next_request_id();
  QL_ASSIGN_OR_RETURN(std::string answer,
                      EncodeChallengeAnswer(*credentials, challenge, answer_id));
  QL_ASSIGN_OR_RETURN(std::string final_reply, exchanger.Exchange(answer));
  return result_of(final_reply, answer_id);
}

}  // namespace qilian::cli
