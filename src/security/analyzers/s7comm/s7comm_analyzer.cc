#include "security/analyzers/s7comm/s7comm_analyzer.h"

#include "security/analyzers/registry.h"
#include "security/analyzers/s7comm/s7comm_names.h"
#include "security/analyzers/s7comm/s7comm_pdu.h"

namespace qilian::security {

namespace s7comm {
namespace {

uint16_t Be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

std::string_view CotpPduName(uint8_t type) {
  switch (type) {
    case kCotpCr:
      return "cotp_connect_request";
    case kCotpCc:
      return "cotp_connect_confirm";
    case kCotpDr:
      return "cotp_disconnect_request";
    case kCotpDc:
      return "cotp_disconnect_confirm";
    default:
      return "cotp_error";
  }
}

std::string_view ConnectionTypeName(uint8_t t) {
  switch (t) {
    case 1:
      return "pg";
    case 2:
      return "op";
    case 3:
      return "s7_basic";
    default:
      return "other";
  }
}

}  // namespace

bool LooksLikeS7(std::span<const uint8_t> bytes) { return PlausibleTpkt(bytes); }

void S7commAnalyzer::DeliverStream(Direction dir, std::span<const uint8_t> data) {
  const int d = Index(dir);
  std::vector<uint8_t>& buf = buffer_[d];
  buf.insert(buf.end(), data.begin(), data.end());
  size_t at = 0;
  while (buf.size() - at >= (resync_[d] ? 6 : kTpktHeaderSize)) {
    std::span<const uint8_t> rest(buf.data() + at, buf.size() - at);
    if (resync_[d]) {
      if (!PlausibleTpkt(rest)) {
        ++at;
        continue;
      }
      resync_[d] = false;
    }
    uint16_t length = Be16(rest, 2);
    if (rest[0] != 3 || rest[1] != 0 || length < kMinTpktLength) {
      host_->Weird("s7comm_bad_tpkt");
      resync_[d] = true;
      ++at;
      continue;
    }
    if (rest.size() < length) break;
    Tpkt(dir, rest.subspan(kTpktHeaderSize, length - kTpktHeaderSize));
    at += length;
  }
  buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(at));
}

void S7commAnalyzer::Gap(Direction dir, uint64_t length) {
  // Neither the partial TPKT nor the partial TSDU can be completed.
  buffer_[Index(dir)].clear();
  tsdu_[Index(dir)].clear();
  dropping_[Index(dir)] = false;
  resync_[Index(dir)] = true;
}

void S7commAnalyzer::EndOfData(Direction dir) {
  if (!buffer_[Index(dir)].empty() || !tsdu_[Index(dir)].empty()) {
    host_->Weird("s7comm_truncated_frame_at_end");
  }
  buffer_[Index(dir)].clear();
  tsdu_[Index(dir)].clear();
}

void S7commAnalyzer::Tpkt(Direction dir, std::span<const uint8_t> payload) {
  CotpTpdu t;
  if (std::string_view weird = ParseCotp(payload, &t); !weird.empty()) {
    host_->Weird(weird);
    return;
  }
  if (t.type != kCotpDt) {
    Connection(t);
    return;
  }
  std::vector<uint8_t>& tsdu = tsdu_[Index(dir)];
  if (dropping_[Index(dir)]) {
    if (t.eot) dropping_[Index(dir)] = false;
    return;
  }
  if (tsdu.size() + t.payload.size() > kMaxTsduSize) {
    host_->Weird("s7comm_tsdu_too_large");
    tsdu.clear();
    dropping_[Index(dir)] = !t.eot;
    return;
  }
  if (!t.eot) {
    tsdu.insert(tsdu.end(), t.payload.begin(), t.payload.end());
    return;
  }
  if (tsdu.empty()) {
    Tsdu(t.payload);
    return;
  }
  tsdu.insert(tsdu.end(), t.payload.begin(), t.payload.end());
  std::vector<uint8_t> whole;
  whole.swap(tsdu);
  Tsdu(whole);
}

void S7commAnalyzer::Connection(const CotpTpdu& t) {
  JsonWriter& e = JsonWriter::ForEvent();
  e.Key("pdu").String(CotpPduName(t.type));
  e.Key("dst_ref").Uint(t.dst_ref);
  if (t.type != kCotpEr) e.Key("src_ref").Uint(t.src_ref);
  if (t.type == kCotpCr || t.type == kCotpCc) e.Key("class").Uint(t.class_option >> 4);
  if (t.reason) e.Key(t.type == kCotpEr ? "reject_cause" : "reason").Uint(*t.reason);
  if (t.tpdu_size && *t.tpdu_size < 16) e.Key("tpdu_size").Uint(1u << *t.tpdu_size);
  if (t.src_tsap) e.Key("src_tsap").String(HexBytes(*t.src_tsap));
  if (t.dst_tsap) e.Key("dst_tsap").String(HexBytes(*t.dst_tsap));
  // The called TSAP (the PLC's; a CC repeats the CR's TSAPs) of S7:
  // connection type, then rack (3 bits) and slot (5 bits).
  const std::optional<std::string>& plc = t.dst_tsap;
  if ((t.type == kCotpCr || t.type == kCotpCc) && plc && plc->size() == 2) {
    uint8_t type = static_cast<uint8_t>((*plc)[0]);
    uint8_t rack_slot = static_cast<uint8_t>((*plc)[1]);
    e.Key("conn_type").String(ConnectionTypeName(type));
    e.Key("rack").Uint(rack_slot >> 5);
    e.Key("slot").Uint(rack_slot & 0x1f);
  }
  host_->EmitJson(e.view());
}

void S7commAnalyzer::Tsdu(std::span<const uint8_t> tsdu) {
  if (tsdu.empty()) return;  // an empty DT, as some stacks send to keep alive
  JsonWriter& e = JsonWriter::ForEvent();
  if (tsdu[0] == kS7ProtocolId) {
    std::string_view weird = ParseS7Pdu(tsdu, &session_, e);
    if (!weird.empty()) host_->Weird(weird);
    host_->EmitJson(e.view());
  } else if (tsdu[0] == kS7PlusProtocolId) {
    e.Key("proto").String("s7comm-plus");
    e.Key("pdu").String("s7comm_plus");
    if (tsdu.size() >= 4) {
      e.Key("version").Uint(tsdu[1]);
      e.Key("data_length").Uint(Be16(tsdu, 2));
    }
    if (tsdu.size() >= 5) {
      uint8_t opcode = tsdu[4];
      e.Key("opcode").Uint(opcode);
      e.Key("opcode_name").String(opcode == 0x31   ? "request"
                                  : opcode == 0x32 ? "response"
                                  : opcode == 0x33 ? "notification"
                                  : opcode == 0x02 ? "response2"
                                                   : "unknown");
    }
    host_->EmitJson(e.view());
  } else {
    host_->Weird("s7comm_unknown_protocol_id");
  }
}

}  // namespace s7comm

// The folder's registration (analyzers/CMakeLists.txt lists "s7comm").
void Register_s7comm(AnalyzerRegistry* registry) {
  registry->Register(AnalyzerInfo{
      .name = "s7comm",
      .transport = Transport::kTcp,
      .ports = {s7comm::kIsoTsapPort},
      .signature = &s7comm::LooksLikeS7,
      .create = [](AnalyzerHost* host) -> std::unique_ptr<Analyzer> {
        return std::make_unique<s7comm::S7commAnalyzer>(host);
      },
  });
}

}  // namespace qilian::security
