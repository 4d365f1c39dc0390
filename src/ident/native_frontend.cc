#include "ident/native_frontend.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "ident/wire/codec.h"

namespace qilian::ident {
namespace {

using wire::Envelope;
using wire::MessageHeader;

// Replies expire 12 hours after they are made, as deployed servers stamp them.
constexpr uint32_t kReplyLifetimeSeconds = 43200;

// Why the front end itself refused or ignored a message (the processor
// counts the response codes of the requests it handles).
enum class Reason : uint8_t {
  kNotHandle,           // silence: not a Handle message
  kUnexpectedResponse,  // silence: a reply sent to a server
  kUnsupportedVersion,
  kMalformed,
  kCompressed,
  kEncrypted,
  kUnknownOpCode,
  kExpired,
  kCount,
};

constexpr std::array<std::string_view, static_cast<size_t>(Reason::kCount)> kReasonNames = {
    "not_handle", "unexpected_response", "unsupported_version", "malformed",
    "compressed", "encrypted",           "unknown_opcode",      "expired"};

constexpr std::array<OpCode, 14> kOps = {
    OpCode::kResolution,        OpCode::kGetSiteInfo,      OpCode::kCreateHandle,
    OpCode::kDeleteHandle,      OpCode::kAddValue,         OpCode::kRemoveValue,
    OpCode::kModifyValue,       OpCode::kListHandles,      OpCode::kListDerivedPrefixes,
    OpCode::kChallengeResponse, OpCode::kVerifyResponse,   OpCode::kSessionSetup,
    OpCode::kSessionTerminate,  OpCode::kIdisLogin};

}  // namespace

struct NativeFrontend::Impl {
  Processor* processor;
  const Clock& clock;
  std::array<Counter*, kOps.size() + 1> requests{};  // last: unknown opcodes
  std::array<Counter*, static_cast<size_t>(Reason::kCount)> errors{};

  Impl(Processor* p, MetricsRegistry* metrics, const Clock& c) : processor(p), clock(c) {
    for (size_t i = 0; i <= kOps.size(); ++i) {
      std::string op = i < kOps.size() ? std::string(OpCodeName(kOps[i])) : "unknown";
      requests[i] = &metrics->GetCounter("qilian_native_requests_total",
                                         "Native Handle protocol requests by opcode",
                                         {{"op", op}});
    }
    for (size_t i = 0; i < errors.size(); ++i) {
      errors[i] = &metrics->GetCounter("qilian_native_errors_total",
                                       "Native Handle messages refused or ignored by the front end",
                                       {{"reason", std::string(kReasonNames[i])}});
    }
  }

  void CountRequest(uint32_t op) {
    for (size_t i = 0; i < kOps.size(); ++i) {
      if (static_cast<uint32_t>(kOps[i]) == op) {
        requests[i]->Inc();
        return;
      }
    }
    requests[kOps.size()]->Inc();
  }

  void CountError(Reason reason) { errors[static_cast<size_t>(reason)]->Inc(); }

  uint32_t NowSeconds() const {
    int64_t now = absl::ToUnixSeconds(clock.Now());
    return now < 0 ? 0 : static_cast<uint32_t>(now);
  }

  // The reply envelope: the request's version when we speak it (else our
  // own), our highest version in MessageFlag, the request's id.
  static Envelope ReplyEnvelope(const Envelope& request) {
    Envelope env;
    if (wire::IsSupportedVersion(request.major_version, request.minor_version)) {
      env.major_version = request.major_version;
      env.minor_version = request.minor_version;
    } else {
      env.major_version = wire::kMajorVersion;
      env.minor_version = wire::kMaxMinorVersion;
    }
    env.flags = wire::kOwnVersionFlag;
    env.request_id = request.request_id;
    return env;
  }

  MessageHeader ReplyHeader(uint32_t op, ResponseCode code, uint32_t op_flags,
                            uint8_t recursion_count) const {
    MessageHeader h;
    h.op_code = op;
    h.response_code = static_cast<uint32_t>(code);
    h.op_flags = op_flags;
    h.site_info_serial = processor->options().site.serial_number;
    h.recursion_count = recursion_count;
    h.expiration_time = NowSeconds() + kReplyLifetimeSeconds;
    return h;
  }

  // An error reply made by the front end itself (no request digest: the
  // request may not have been readable).
  NativeReply Error(Reason reason, const Envelope& request, uint32_t op, ResponseCode code,
                    std::string_view message) {
    CountError(reason);
    wire::ResponseBody body;
    body.message = std::string(message);
    MessageHeader h = ReplyHeader(op, code, 0, 0);
    NativeReply reply;
    reply.message = wire::EncodeMessage(ReplyEnvelope(request), h,
                                        wire::EncodeResponseBody(OpCode(op), code, 0, body));
    reply.is_error = true;
    return reply;
  }

  std::optional<NativeReply> Handle(std::span<const uint8_t> message, const Peer& peer);
};

std::optional<NativeReply> NativeFrontend::Impl::Handle(std::span<const uint8_t> message,
                                                        const Peer& peer) {
  Envelope env;
  // Anything that does not even claim to be Handle protocol 2.x gets no
  // answer: replying to noise would make us a reflector.
  if (!wire::DecodeEnvelope(message, &env) || env.major_version != wire::kMajorVersion) {
    CountError(Reason::kNotHandle);
    return std::nullopt;
  }
  // The opcode, if the header is there, so that errors echo it.
  uint32_t op = 0;
  if (message.size() >= wire::kEnvelopeSize + 8) {
    ByteReader peek(message.subspan(wire::kEnvelopeSize, 8));
    op = peek.ReadU32();
    if (peek.ReadU32() != 0) {
      // A response sent to a server: answering could start an error loop
      // between two servers.
      CountError(Reason::kUnexpectedResponse);
      return std::nullopt;
    }
  }
  if (!wire::IsSupportedVersion(env.major_version, env.minor_version)) {
    return Error(Reason::kUnsupportedVersion, env, op, ResponseCode::kProtocolError,
                 absl::StrCat("unsupported protocol version ", int{env.major_version}, ".",
                              int{env.minor_version}, "; this server speaks 2.1 to 2.11"));
  }
  if (env.flags & wire::kFlagEncrypted) {
    return Error(Reason::kEncrypted, env, op, ResponseCode::kSessionTimeout,
                 "no session: encrypted messages cannot be read");
  }
  if (env.flags & wire::kFlagCompressed) {
    return Error(Reason::kCompressed, env, op, ResponseCode::kProtocolError,
                 "compressed messages are not supported");
  }
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(message);
  if (!raw.ok()) {
    return Error(Reason::kMalformed, env, op, ResponseCode::kProtocolError, std::string(raw.status().message()));
  }
  const MessageHeader& header = raw->header;
  CountRequest(header.op_code);
  if (!wire::IsKnownOpCode(header.op_code)) {
    return Error(Reason::kUnknownOpCode, env, op, ResponseCode::kOperationNotSupported,
                 absl::StrCat("operation ", header.op_code, " is not supported"));
  }
  if (header.expiration_time != 0 && header.expiration_time < NowSeconds()) {
    return Error(Reason::kExpired, env, op, ResponseCode::kProtocolError,
                 "the request's expiration time has passed");
  }
  const OpCode opcode = static_cast<OpCode>(header.op_code);
  absl::StatusOr<wire::RequestBody> body = wire::DecodeRequestBody(opcode, raw->body);
  if (!body.ok()) {
    return Error(Reason::kMalformed, env, op, ResponseCode::kProtocolError,
                 std::string(body.status().message()));
  }
  // The credential is read so that a malformed one is refused; checking
  // signatures comes with authentication (issue 5).
  if (!raw->credential.empty()) {
    absl::StatusOr<wire::Credential> credential = wire::DecodeCredential(raw->credential);
    if (!credential.ok()) {
      return Error(Reason::kMalformed, env, op, ResponseCode::kProtocolError,
                   std::string(credential.status().message()));
    }
  }

  Request request;
  request.op = opcode;
  request.op_flags = header.op_flags;
  request.handle = std::move(body->handle);
  request.indexes = std::move(body->indexes);
  request.types = std::move(body->types);
  request.values = std::move(body->values);
  request.peer = peer;
  Response response = processor->Process(request);

  uint32_t reply_flags = response.op_flags;
  wire::ResponseBody out;
  if (header.op_flags & op_flag::kReturnDigest) {
    reply_flags |= op_flag::kReturnDigest;
    out.digest.algorithm = wire::DigestAlgorithmForVersion(env.major_version, env.minor_version);
    out.digest.digest = wire::ComputeDigest(out.digest.algorithm, raw->header_and_body);
  }
  if (response.ok()) {
    out.handle = opcode == OpCode::kCreateHandle || opcode == OpCode::kResolution
                     ? (response.handle.empty() ? request.handle : response.handle)
                     : std::string();
    out.values = std::move(response.values);
    out.site = std::move(response.site);
    out.handles = std::move(response.handles);
  } else if (response.code == ResponseCode::kPrefixReferral) {
    // Where to go instead, in Handle.Net's referral layout (codec.h).
    out.handle = std::move(response.referral_handle);
    out.values = std::move(response.referral_values);
  } else {
    out.message = std::move(response.message);
  }
  MessageHeader h = ReplyHeader(header.op_code, response.code, reply_flags, header.recursion_count);
  NativeReply reply;
  reply.message = wire::EncodeMessage(ReplyEnvelope(env), h,
                                      wire::EncodeResponseBody(opcode, response.code, reply_flags, out));
  reply.is_error = !response.ok();
  return reply;
}

NativeFrontend::NativeFrontend(Processor* processor, MetricsRegistry* metrics, const Clock& clock)
    : impl_(std::make_unique<Impl>(processor, metrics, clock)) {}

NativeFrontend::~NativeFrontend() = default;

std::optional<NativeReply> NativeFrontend::Handle(std::span<const uint8_t> message,
                                                  const Peer& peer) {
  return impl_->Handle(message, peer);
}

bool NativeFrontend::MayBlock(std::span<const uint8_t> message) const {
  if (message.size() < wire::kEnvelopeSize + 4) return false;
  ByteReader in(message.subspan(wire::kEnvelopeSize, 4));
  return Processor::MayBlock(static_cast<OpCode>(in.ReadU32()));
}

}  // namespace qilian::ident
