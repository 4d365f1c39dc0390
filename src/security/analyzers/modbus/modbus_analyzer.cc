#include "security/analyzers/modbus/modbus_analyzer.h"

#include <algorithm>

#include "security/analyzers/registry.h"

namespace qilian::security {

namespace modbus {
namespace {

uint16_t Be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

bool PlausibleHeader(std::span<const uint8_t> b) {
  if (b.size() < kMbapHeaderSize + 1) return false;
  uint16_t length = Be16(b, 4);
  uint8_t function = b[7] & ~kExceptionBit;
  return Be16(b, 2) == 0 && length >= kMinMbapLength && length <= kMaxMbapLength && function >= 1 &&
         function <= 127;
}

}  // namespace

bool LooksLikeModbus(std::span<const uint8_t> bytes) { return PlausibleHeader(bytes); }

ModbusAnalyzer::ModbusAnalyzer(AnalyzerHost* host) : host_(host) {
  // The server listens on 502. Where the capture shows the side on 502
  // opening the connection (seen in test traffic), it still answers.
  const Flow& f = host->flow();
  client_ = (f.orig.port == kModbusPort && f.resp.port != kModbusPort) ? Direction::kResp
                                                                       : Direction::kOrig;
}

void ModbusAnalyzer::DeliverStream(Direction dir, std::span<const uint8_t> data) {
  std::vector<uint8_t>& buf = buffer_[Index(dir)];
  buf.insert(buf.end(), data.begin(), data.end());
  size_t at = 0;
  while (buf.size() - at >= kMbapHeaderSize + (resync_[Index(dir)] ? 1 : 0)) {
    std::span<const uint8_t> rest(buf.data() + at, buf.size() - at);
    if (resync_[Index(dir)]) {
      if (!PlausibleHeader(rest)) {
        ++at;
        continue;
      }
      resync_[Index(dir)] = false;
    }
    uint16_t length = Be16(rest, 4);
    if (Be16(rest, 2) != 0 || length < kMinMbapLength || length > kMaxMbapLength) {
      host_->Weird("modbus_bad_header");
      resync_[Index(dir)] = true;
      ++at;
      continue;
    }
    size_t frame_size = 6 + size_t{length};
    if (rest.size() < frame_size) break;
    Frame(dir, rest.first(frame_size));
    at += frame_size;
  }
  buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(at));
}

void ModbusAnalyzer::Gap(Direction dir, uint64_t length) {
  // Whatever partial frame was buffered can never complete.
  buffer_[Index(dir)].clear();
  resync_[Index(dir)] = true;
}

void ModbusAnalyzer::EndOfData(Direction dir) {
  if (!buffer_[Index(dir)].empty()) host_->Weird("modbus_truncated_frame_at_end");
  buffer_[Index(dir)].clear();
}

void ModbusAnalyzer::Remember(uint16_t tid, const RequestContext& request) {
  if (pending_.contains(tid)) {
    pending_[tid] = request;
    return;
  }
  if (pending_.size() >= kMaxPendingRequests) {
    pending_.erase(pending_order_.front());
    pending_order_.erase(pending_order_.begin());
  }
  pending_.emplace(tid, request);
  pending_order_.push_back(tid);
}

void ModbusAnalyzer::Frame(Direction dir, std::span<const uint8_t> frame) {
  ModbusEvent e;
  e.response = dir != client_;
  e.tid = Be16(frame, 0);
  e.unit = frame[6];
  uint8_t code = frame[7];
  e.function = code & ~kExceptionBit;
  std::span<const uint8_t> body = frame.subspan(kMbapHeaderSize + 1);
  std::string_view weird;
  const RequestContext* request = nullptr;
  if (e.response) {
    if (auto it = pending_.find(e.tid); it != pending_.end()) request = &it->second;
  }
  if (code & kExceptionBit) {
    if (!e.response) {
      weird = "modbus_exception_in_request";
    } else if (body.size() != 1) {
      weird = body.empty() ? "modbus_pdu_truncated" : "modbus_pdu_trailing_bytes";
    }
    if (!body.empty()) e.exception = body[0];
    if (request != nullptr && request->function == e.function) {
      e.address = request->address;
      e.quantity = request->quantity;
    }
  } else if (e.response) {
    weird = ParseResponse(body, request, &e);
  } else {
    weird = ParseRequest(body, &e);
    Remember(e.tid, RequestContext{e.function, e.address, e.quantity});
  }
  if (e.response && request != nullptr) {
    pending_.erase(e.tid);
    auto at = std::find(pending_order_.begin(), pending_order_.end(), e.tid);
    if (at != pending_order_.end()) pending_order_.erase(at);
  }
  if (!weird.empty()) host_->Weird(weird);
  JsonWriter& w = JsonWriter::ForEvent();
  WriteJson(e, w);
  host_->EmitJson(w.view());
}

}  // namespace modbus

// The folder's registration (analyzers/CMakeLists.txt lists "modbus").
void Register_modbus(AnalyzerRegistry* registry) {
  registry->Register(AnalyzerInfo{
      .name = "modbus",
      .transport = Transport::kTcp,
      .ports = {modbus::kModbusPort},
      .signature = &modbus::LooksLikeModbus,
      .create = [](AnalyzerHost* host) -> std::unique_ptr<Analyzer> {
        return std::make_unique<modbus::ModbusAnalyzer>(host);
      },
  });
}

}  // namespace qilian::security
