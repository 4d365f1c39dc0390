#include "security/analyzers/opcua/opcua_analyzer.h"

#include <algorithm>
#include <string_view>

#include "security/analyzers/opcua/opcua_decoder.h"
#include "security/analyzers/opcua/opcua_names.h"
#include "security/analyzers/registry.h"

namespace qilian::security {

namespace opcua {
namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kPolicyNone = "http://opcfoundation.org/UA/SecurityPolicy#None";

struct MessageType {
  std::string_view name;
  bool secure;      // OPN, MSG, CLO: chunked, with a secure channel header
  size_t min_size;  // the smallest chunk that holds the type's fixed fields
};

// §7.1.2 (connection protocol) and §6.7.2 (secure conversation). An
// encrypted OPN still shows its channel id and asymmetric header (three
// empty strings at least); MSG and CLO their channel and token ids.
constexpr MessageType kTypes[] = {
    {"HEL", false, kHeaderSize + 24}, {"ACK", false, kHeaderSize + 20},
    {"ERR", false, kHeaderSize + 8},  {"RHE", false, kHeaderSize + 8},
    {"OPN", true, kHeaderSize + 16},  {"MSG", true, kHeaderSize + 8},
    {"CLO", true, kHeaderSize + 8},
};

const MessageType* TypeOf(std::span<const uint8_t> b) {
  std::string_view name(reinterpret_cast<const char*>(b.data()), 3);
  auto it = std::find_if(std::begin(kTypes), std::end(kTypes),
                         [name](const MessageType& t) { return t.name == name; });
  return it == std::end(kTypes) ? nullptr : &*it;
}

bool ChunkTypeAllowed(const MessageType& t, uint8_t c) {
  return c == 'F' || (t.secure && (c == 'C' || c == 'A'));
}

uint32_t Le32(std::span<const uint8_t> b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<uint32_t>(b[at + 3]) << 24;
}

// The weird for a header that is not plausible, or empty.
std::string_view HeaderProblem(std::span<const uint8_t> b) {
  const MessageType* t = TypeOf(b);
  if (t == nullptr) return "opcua_bad_message_type";
  if (!ChunkTypeAllowed(*t, b[3])) return "opcua_bad_chunk_type";
  uint32_t size = Le32(b, 4);
  if (size < t->min_size || size > INT32_MAX) return "opcua_bad_message_size";
  return {};
}

}  // namespace

bool LooksLikeOpcUa(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderSize || !HeaderProblem(bytes).empty()) return false;
  return TypeOf(bytes)->secure || Le32(bytes, 4) <= kMaxConnectionMessage;
}

OpcUaAnalyzer::OpcUaAnalyzer(AnalyzerHost* host) : host_(host) {
  const Flow& f = host->flow();
  client_ =
      f.orig.port == kOpcUaPort && f.resp.port != kOpcUaPort ? Direction::kResp : Direction::kOrig;
}

void OpcUaAnalyzer::DeliverStream(Direction dir, std::span<const uint8_t> data) {
  int d = Index(dir);
  size_t skip = std::min(skip_[d], data.size());
  skip_[d] -= skip;
  data = data.subspan(skip);
  std::vector<uint8_t>& buf = buffer_[d];
  buf.insert(buf.end(), data.begin(), data.end());
  size_t at = 0;
  while (buf.size() - at >= kHeaderSize) {
    std::span<const uint8_t> rest(buf.data() + at, buf.size() - at);
    std::string_view problem = HeaderProblem(rest);
    if (!problem.empty()) {
      if (!resync_[d]) host_->Weird(problem);
      resync_[d] = true;
      ++at;
      continue;
    }
    resync_[d] = false;
    size_t size = Le32(rest, 4);
    if (size > kMaxChunkSize) {
      // Not buffered: the chunk's bytes are passed over as they arrive.
      host_->Weird("opcua_chunk_too_large");
      partial_[d].reset();
      next_sequence_[d].reset();
      size_t here = std::min(size, rest.size());
      skip_[d] = size - here;
      at += here;
      continue;
    }
    if (rest.size() < size) break;
    Chunk(dir, rest.first(size));
    at += size;
  }
  buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(at));
}

void OpcUaAnalyzer::Gap(Direction dir, uint64_t length) {
  // The partial chunk and message can never complete, and chunks may have
  // been lost: find the next header without counting the skipped bytes.
  int d = Index(dir);
  buffer_[d].clear();
  resync_[d] = true;
  skip_[d] = 0;
  partial_[d].reset();
  next_sequence_[d].reset();
}

void OpcUaAnalyzer::EndOfData(Direction dir) {
  int d = Index(dir);
  if ((!buffer_[d].empty() && !resync_[d]) || skip_[d] > 0 || partial_[d]) {
    host_->Weird("opcua_truncated_message_at_end");
  }
  buffer_[d].clear();
  partial_[d].reset();
  skip_[d] = 0;
}

json OpcUaAnalyzer::Start(Direction dir, std::string_view type) const {
  return json{{"pdu", dir == client_ ? "request" : "response"}, {"msg_type", type}};
}

void OpcUaAnalyzer::Chunk(Direction dir, std::span<const uint8_t> chunk) {
  const MessageType& t = *TypeOf(chunk);
  if (t.secure) {
    SecureChunk(dir, chunk);
    return;
  }
  // The client sends HEL; the server ACK, and RHE when it opened the
  // connection itself (reverse connect, §7.1.3): these settle who is who
  // wherever the port did not.
  if (t.name == "HEL") client_ = dir;
  if (t.name == "ACK" || t.name == "RHE") client_ = Reverse(dir);
  json e = Start(dir, t.name);
  e["chunk"] = "F";
  e["msg_size"] = chunk.size();
  Connection(dir, chunk, &e);
  host_->Emit(std::move(e));
}

void OpcUaAnalyzer::Connection(Direction dir, std::span<const uint8_t> chunk, json* e) {
  Decoder d(chunk.subspan(kHeaderSize));
  std::string_view type = TypeOf(chunk)->name;
  if (type == "HEL" || type == "ACK") {
    (*e)["version"] = d.U32();
    uint32_t receive = d.U32(), send = d.U32();
    (*e)["receive_buffer_size"] = receive;
    (*e)["send_buffer_size"] = send;
    (*e)["max_message_size"] = d.U32();
    (*e)["max_chunk_count"] = d.U32();
    if (type == "HEL") (*e)["endpoint_url"] = d.String();
    if (d.ok() && (receive < kMinBufferSize || send < kMinBufferSize)) {
      host_->Weird("opcua_bad_buffer_size");
    }
  } else if (type == "ERR") {
    uint32_t error = d.U32();
    (*e)["error"] = error;
    (*e)["error_name"] = StatusCodeName(error);
    (*e)["reason"] = d.String();
  } else {  // RHE
    (*e)["server_uri"] = d.String();
    (*e)["endpoint_url"] = d.String();
  }
  if (!d.ok()) {
    host_->Weird(d.weird());
  } else if (d.remaining() > 0) {
    host_->Weird("opcua_trailing_bytes");
  }
}

void OpcUaAnalyzer::CheckSequence(Direction dir, uint32_t sequence) {
  std::optional<uint32_t>& next = next_sequence_[Index(dir)];
  // §6.7.2.4: the number may wrap to below 1024 after passing UInt32 max - 1024.
  bool wrapped = next && *next > UINT32_MAX - 1024 && sequence < 1024;
  if (next && sequence != *next && !wrapped) host_->Weird("opcua_sequence_gap");
  next = sequence + 1;
}

void OpcUaAnalyzer::SecureChunk(Direction dir, std::span<const uint8_t> chunk) {
  int d = Index(dir);
  std::string_view type = TypeOf(chunk)->name;
  uint8_t chunk_type = chunk[3];
  Decoder h(chunk.subspan(kHeaderSize));
  json headers;
  uint32_t channel = h.U32();
  headers["channel_id"] = channel;
  bool readable;
  if (type == "OPN") {
    std::optional<std::span<const uint8_t>> policy = h.Bytes();
    std::string_view uri =
        policy ? std::string_view(reinterpret_cast<const char*>(policy->data()), policy->size())
               : std::string_view();
    headers["security_policy_uri"] = Escape(policy ? *policy : std::span<const uint8_t>());
    headers["security_policy"] = Escape(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(SecurityPolicyName(uri).data()),
                                 SecurityPolicyName(uri).size()));
    std::optional<std::span<const uint8_t>> cert = h.Bytes();
    headers["sender_certificate_length"] = cert ? cert->size() : 0;
    std::optional<std::span<const uint8_t>> thumbprint = h.Bytes();
    if (thumbprint && !thumbprint->empty()) headers["receiver_thumbprint"] = HexBytes(*thumbprint);
    readable = h.ok() && uri == kPolicyNone;
    if (h.ok()) security_ = readable ? Security::kNone : Security::kSecured;
  } else {
    headers["token_id"] = h.U32();
    if (channel_id_ && channel != *channel_id_) host_->Weird("opcua_channel_id_mismatch");
    std::optional<PartialMessage>& p = partial_[d];
    if (security_ == Security::kNone) {
      readable = true;
    } else if (p && p->type == type) {
      readable = p->readable;  // a continuation chunk: as its first chunk was
    } else {
      std::span<const uint8_t> rest = chunk.subspan(kHeaderSize + h.position());
      readable = h.ok() && rest.size() >= 8 && StartsWithServiceType(rest.subspan(8));
    }
  }
  if (!h.ok()) {
    host_->Weird(h.weird());
    json e = Start(dir, type);
    e["chunk"] = std::string(1, static_cast<char>(chunk_type));
    e["msg_size"] = chunk.size();
    e.update(headers);
    host_->Emit(std::move(e));
    return;
  }
  std::span<const uint8_t> body;
  std::optional<uint32_t> request_id;
  if (readable) {
    uint32_t sequence = h.U32();
    request_id = h.U32();
    if (!h.ok()) {
      host_->Weird(h.weird());
      readable = false;
    } else {
      CheckSequence(dir, sequence);
      headers["sequence_number"] = sequence;
      headers["request_id"] = *request_id;
      body = chunk.subspan(kHeaderSize + h.position());
    }
  } else {
    next_sequence_[d].reset();  // encrypted: the numbers are not seen
  }

  std::optional<PartialMessage>& p = partial_[d];
  if (p && (p->type != type || (request_id && p->request_id != request_id))) {
    host_->Weird("opcua_chunk_interleaved");
    p.reset();
  }
  if (!p) {
    p.emplace();
    p->type = std::string(type);
    p->request_id = request_id;
    p->readable = readable;
    p->headers = std::move(headers);
  }
  ++p->chunks;
  p->size += chunk.size();
  if (chunk_type != 'A' && readable && !p->too_large) {
    if (p->body.size() + body.size() > kMaxMessageBytes || p->chunks > kMaxChunks) {
      host_->Weird("opcua_message_too_large");
      p->too_large = true;
      p->body = {};
    } else {
      p->body.insert(p->body.end(), body.begin(), body.end());
    }
  }
  if (chunk_type == 'C') return;
  PartialMessage m = std::move(*p);
  p.reset();
  Finish(dir, m, static_cast<char>(chunk_type), readable ? body : std::span<const uint8_t>());
}

void OpcUaAnalyzer::Finish(Direction dir, PartialMessage& m, char chunk_type,
                           std::span<const uint8_t> abort_body) {
  json e = Start(dir, m.type);
  e["chunk"] = std::string(1, chunk_type);
  if (m.chunks > 1) e["chunks"] = m.chunks;
  e["msg_size"] = m.size;
  e.update(m.headers);
  if (!m.readable) {
    e["encrypted"] = true;
  } else if (chunk_type == 'A') {
    // §6.7.3: an aborted message's last chunk holds an error and a reason.
    Decoder d(abort_body);
    uint32_t error = d.U32();
    e["error"] = error;
    e["error_name"] = StatusCodeName(error);
    e["reason"] = d.String();
    if (!d.ok()) host_->Weird(d.weird());
  } else if (m.too_large) {
    e["too_large"] = true;
  } else {
    auto it = pending_.end();
    if (dir != client_ && m.request_id) {
      it = std::find_if(pending_.begin(), pending_.end(),
                        [&m](const auto& p) { return p.first == *m.request_id; });
    }
    const PendingRequest* request = it != pending_.end() ? &it->second : nullptr;
    PendingRequest pending;
    ServiceResult r = DecodeService(m.body, security_ == Security::kNone, &e,
                                    dir == client_ ? &pending : nullptr, request);
    if (!r.weird.empty()) host_->Weird(r.weird);
    if (r.known && r.response) {
      if (request != nullptr) {
        // A ServiceFault answers any request: say which.
        if (r.service == "ServiceFault") e["request_service"] = request->service;
        pending_.erase(it);
      }
      if (r.service == "OpenSecureChannel" && e.contains("channel_id") &&
          e["channel_id"].is_number()) {
        channel_id_ = e["channel_id"].get<uint32_t>();
      }
    } else if (r.known && dir == client_ && m.request_id) {
      if (pending_.size() >= kMaxPending) pending_.pop_front();
      pending_.emplace_back(*m.request_id, std::move(pending));
    }
  }
  host_->Emit(std::move(e));
}

}  // namespace opcua

// The folder's registration (analyzers/CMakeLists.txt lists "opcua"): TCP
// 4840, and any port where the first bytes pass the signature.
void Register_opcua(AnalyzerRegistry* registry) {
  registry->Register(AnalyzerInfo{
      .name = "opcua",
      .transport = Transport::kTcp,
      .ports = {opcua::kOpcUaPort},
      .signature = &opcua::LooksLikeOpcUa,
      .create = [](AnalyzerHost* host) -> std::unique_ptr<Analyzer> {
        return std::make_unique<opcua::OpcUaAnalyzer>(host);
      },
      .on_any_port = true,
  });
}

}  // namespace qilian::security
