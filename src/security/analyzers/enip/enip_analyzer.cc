#include "security/analyzers/enip/enip_analyzer.h"

#include <algorithm>

#include "security/analyzers/enip/enip_names.h"
#include "security/analyzers/registry.h"

namespace qilian::security {

namespace enip {
namespace {

uint16_t Le16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}

// After a gap or a bad header, where a run of zeros would pass for NOPs: a
// defined command other than NOP, options 0, and a status that fits 16 bits.
bool ResyncHeader(std::span<const uint8_t> b) {
  return PlausibleHeader(b) && Le16(b, 0) != kNop && b[10] == 0 && b[11] == 0;
}

}  // namespace

bool LooksLikeEnip(std::span<const uint8_t> bytes) {
  if (bytes.size() >= kEncapHeaderSize) return PlausibleHeader(bytes);
  return bytes.size() >= 2 && !CommandName(Le16(bytes, 0)).empty();
}

bool LooksLikeEnipIo(std::span<const uint8_t> bytes) {
  if (bytes.size() < 6) return false;
  uint16_t count = Le16(bytes, 0);
  uint16_t type = Le16(bytes, 2);
  return count >= 1 && count <= 4 &&
         (type == kSequencedAddress || type == kConnectedAddress || type == kNullAddress);
}

EnipAnalyzer::EnipAnalyzer(AnalyzerHost* host) : host_(host) {
  const Flow& f = host->flow();
  client_ =
      (f.orig.port == kEnipPort && f.resp.port != kEnipPort) ? Direction::kResp : Direction::kOrig;
  io_ = f.resp.port == kIoPort || f.orig.port == kIoPort;
}

void EnipAnalyzer::Report(const Weirds& weirds) {
  for (std::string_view w : weirds) host_->Weird(w);
}

void EnipAnalyzer::DeliverStream(Direction dir, std::span<const uint8_t> data) {
  int d = Index(dir);
  std::vector<uint8_t>& buf = buffer_[d];
  buf.insert(buf.end(), data.begin(), data.end());
  size_t at = 0;
  while (buf.size() - at >= kEncapHeaderSize) {
    std::span<const uint8_t> rest(buf.data() + at, buf.size() - at);
    if (resync_[d] ? !ResyncHeader(rest) : !PlausibleHeader(rest)) {
      if (!resync_[d]) host_->Weird("enip_bad_header");
      resync_[d] = true;
      ++at;
      continue;
    }
    resync_[d] = false;
    size_t frame_size = kEncapHeaderSize + Le16(rest, 2);
    if (rest.size() < frame_size) break;
    Message(dir, rest.first(frame_size));
    at += frame_size;
  }
  buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(at));
}

void EnipAnalyzer::Gap(Direction dir, uint64_t length) {
  // The partial message can never complete; find the next header without
  // counting the skipped bytes as a bad header.
  buffer_[Index(dir)].clear();
  resync_[Index(dir)] = true;
}

void EnipAnalyzer::EndOfData(Direction dir) {
  if (!buffer_[Index(dir)].empty() && !resync_[Index(dir)]) {
    host_->Weird("enip_truncated_message_at_end");
  }
  buffer_[Index(dir)].clear();
}

void EnipAnalyzer::DeliverPacket(Direction dir, std::span<const uint8_t> data) {
  if (io_) {
    Weirds weirds;
    JsonWriter& j = JsonWriter::ForEvent();
    DecodeIo(data, &weirds, j);
    Report(weirds);
    host_->EmitJson(j.view());
    return;
  }
  if (!PlausibleHeader(data)) {
    host_->Weird("enip_bad_header");
    return;
  }
  size_t frame_size = kEncapHeaderSize + Le16(data, 2);
  if (data.size() != frame_size) {
    host_->Weird(data.size() < frame_size ? "enip_datagram_truncated" : "enip_trailing_bytes");
  }
  Message(dir, data.first(std::min(frame_size, data.size())));
}

void EnipAnalyzer::Message(Direction dir, std::span<const uint8_t> frame) {
  bool response = dir != client_;
  EncapMessage m;
  Weirds weirds;
  JsonWriter& j = JsonWriter::ForEvent();
  DecodeEncap(frame, response, &m, &weirds, j);
  if (!m.cip.empty()) {
    bool connected = m.command == kSendUnitData;
    if (!response) {
      CipRequestInfo info;
      DecodeCipRequest(m.cip, &info, &weirds, j.Key("cip"));
      if (connected && m.cip_sequence) {
        uint16_t seq = *m.cip_sequence;
        if (!unit_pending_.contains(seq)) {
          if (unit_pending_.size() >= kMaxPendingRequests) {
            unit_pending_.erase(unit_order_.front());
            unit_order_.pop_front();
          }
          unit_order_.push_back(seq);
        }
        unit_pending_[seq] = std::move(info);
      } else if (!connected) {
        if (rr_pending_.size() >= kMaxPendingRequests) rr_pending_.pop_front();
        rr_pending_.emplace_back(m.context, std::move(info));
      }
    } else if (connected) {
      auto it = m.cip_sequence ? unit_pending_.find(*m.cip_sequence) : unit_pending_.end();
      const CipRequestInfo* request = it != unit_pending_.end() ? &it->second : nullptr;
      DecodeCipResponse(m.cip, request, &weirds, j.Key("cip"));
      if (request != nullptr) {
        unit_order_.erase(std::find(unit_order_.begin(), unit_order_.end(), it->first));
        unit_pending_.erase(it);
      }
    } else {
      auto it = std::find_if(rr_pending_.begin(), rr_pending_.end(),
                             [&m](const auto& p) { return p.first == m.context; });
      const CipRequestInfo* request = it != rr_pending_.end() ? &it->second : nullptr;
      DecodeCipResponse(m.cip, request, &weirds, j.Key("cip"));
      if (request != nullptr) rr_pending_.erase(it);
    }
  }
  Report(weirds);
  host_->EmitJson(j.view());
}

}  // namespace enip

// The folder's registration (analyzers/CMakeLists.txt lists "enip"):
// encapsulation on TCP and UDP 44818, class 0/1 I/O on UDP 2222.
void Register_enip(AnalyzerRegistry* registry) {
  auto create = [](AnalyzerHost* host) -> std::unique_ptr<Analyzer> {
    return std::make_unique<enip::EnipAnalyzer>(host);
  };
  for (Transport t : {Transport::kTcp, Transport::kUdp}) {
    registry->Register(AnalyzerInfo{
        .name = "enip",
        .transport = t,
        .ports = {enip::kEnipPort},
        .signature = &enip::LooksLikeEnip,
        .create = create,
    });
  }
  registry->Register(AnalyzerInfo{
      .name = "enip",
      .transport = Transport::kUdp,
      .ports = {enip::kIoPort},
      .signature = &enip::LooksLikeEnipIo,
      .create = create,
  });
}

}  // namespace qilian::security
