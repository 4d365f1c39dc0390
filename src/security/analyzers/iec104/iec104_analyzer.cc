#include "security/analyzers/iec104/iec104_analyzer.h"

#include "security/analyzers/iec104/iec104_asdu.h"
#include "security/analyzers/iec104/iec104_event.h"
#include "security/analyzers/iec104/iec104_types.h"
#include "security/analyzers/registry.h"

namespace qilian::security {

namespace iec104 {
namespace {

uint16_t Seq(uint8_t low, uint8_t high) { return static_cast<uint16_t>((low >> 1) | high << 7); }

bool PlausibleControl(uint8_t c1) {
  if ((c1 & 1) == 0 || (c1 & 3) == 1) return true;  // I or S
  return !UFunctionName(c1).empty();
}

// Start octet, length, and (when present) the first control octet.
bool PlausibleApci(std::span<const uint8_t> b) {
  if (b.size() < 2 || b[0] != kStartOctet || b[1] < kMinLength || b[1] > kMaxLength) {
    return false;
  }
  return b.size() < 3 || PlausibleControl(b[2]);
}

}  // namespace

bool LooksLikeIec104(std::span<const uint8_t> bytes) {
  return bytes.size() >= 3 && PlausibleApci(bytes);
}

Iec104Analyzer::Iec104Analyzer(AnalyzerHost* host) : host_(host) {
  const Flow& f = host->flow();
  controlling_ = (f.orig.port == kIec104Port && f.resp.port != kIec104Port) ? Direction::kResp
                                                                            : Direction::kOrig;
}

void Iec104Analyzer::DeliverStream(Direction dir, std::span<const uint8_t> data) {
  int d = Index(dir);
  std::vector<uint8_t>& buf = buffer_[d];
  buf.insert(buf.end(), data.begin(), data.end());
  size_t at = 0;
  while (buf.size() - at >= (resync_[d] ? 3 : 2)) {
    std::span<const uint8_t> rest(buf.data() + at, buf.size() - at);
    if (resync_[d]) {
      if (!PlausibleApci(rest)) {
        ++at;
        continue;
      }
      resync_[d] = false;
    }
    if (rest[0] != kStartOctet || rest[1] < kMinLength || rest[1] > kMaxLength) {
      host_->Weird(rest[0] != kStartOctet ? "iec104_bad_start" : "iec104_bad_length");
      resync_[d] = true;
      ++at;
      continue;
    }
    size_t frame_size = 2 + size_t{rest[1]};
    if (rest.size() < frame_size) break;
    Frame(dir, rest.first(frame_size));
    at += frame_size;
  }
  buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(at));
}

void Iec104Analyzer::Gap(Direction dir, uint64_t length) {
  // The partial frame can never complete, and frames may have been lost.
  buffer_[Index(dir)].clear();
  resync_[Index(dir)] = true;
  next_tx_[Index(dir)].reset();
}

void Iec104Analyzer::EndOfData(Direction dir) {
  if (!buffer_[Index(dir)].empty()) host_->Weird("iec104_truncated_frame_at_end");
  buffer_[Index(dir)].clear();
}

void Iec104Analyzer::CheckAck(Direction dir, uint16_t rx_seq) {
  // N(R) acknowledges every I-format up to N(R)-1 the peer sent. Ahead of
  // the peer's next N(S) (within half the sequence space) is an ack of
  // frames never sent.
  const std::optional<uint16_t>& peer_next = next_tx_[Index(Reverse(dir))];
  if (!peer_next) return;
  uint16_t ahead = (rx_seq - *peer_next + kSequenceModulo) % kSequenceModulo;
  if (ahead > 0 && ahead < kSequenceModulo / 2) host_->Weird("iec104_ack_unsent");
}

void Iec104Analyzer::Frame(Direction dir, std::span<const uint8_t> frame) {
  Apdu a;
  a.from_controlled = dir != controlling_;
  a.length = frame[1];
  uint8_t c1 = frame[2];
  std::string_view weird;
  if ((c1 & 1) == 0) {
    a.format = Format::kI;
    a.tx_seq = Seq(frame[2], frame[3]);
    a.rx_seq = Seq(frame[4], frame[5]);
    std::optional<uint16_t>& next = next_tx_[Index(dir)];
    if (next && *next != *a.tx_seq) {
      a.expected_tx_seq = *next;
      host_->Weird("iec104_sequence_gap");
    }
    next = (*a.tx_seq + 1) % kSequenceModulo;
    CheckAck(dir, *a.rx_seq);
    if (frame.size() < kApciSize + kAsduHeaderSize) {
      weird = "iec104_asdu_truncated";
    } else {
      a.asdu.emplace();
      weird = ParseAsdu(frame.subspan(kApciSize), &*a.asdu);
    }
  } else {
    a.format = (c1 & 3) == 1 ? Format::kS : Format::kU;
    if (a.format == Format::kS) {
      a.rx_seq = Seq(frame[4], frame[5]);
      CheckAck(dir, *a.rx_seq);
    } else {
      a.u_control = c1;
      if (UFunctionName(c1).empty()) weird = "iec104_bad_u_function";
    }
    if (frame.size() != kApciSize) weird = "iec104_bad_apdu_length";
  }
  if (!weird.empty()) host_->Weird(weird);
  host_->Emit(ToJson(a));
}

}  // namespace iec104

// The folder's registration (analyzers/CMakeLists.txt lists "iec104").
void Register_iec104(AnalyzerRegistry* registry) {
  registry->Register(AnalyzerInfo{
      .name = "iec104",
      .transport = Transport::kTcp,
      .ports = {iec104::kIec104Port},
      .signature = &iec104::LooksLikeIec104,
      .create = [](AnalyzerHost* host) -> std::unique_ptr<Analyzer> {
        return std::make_unique<iec104::Iec104Analyzer>(host);
      },
  });
}

}  // namespace qilian::security
