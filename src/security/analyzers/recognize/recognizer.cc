#include "security/analyzers/recognize/recognizer.h"

#include "security/common/wire_text.h"

#include <algorithm>
#include <cstdio>

namespace qilian::security::recognize {

std::string Hex(uint32_t value, int digits) {
  char out[16];
  std::snprintf(out, sizeof out, "0x%0*x", digits, value);
  return out;
}

std::string Printable(std::span<const uint8_t> bytes) {
  return PrintableBytes(bytes.first(std::min(bytes.size(), kMaxText)));
}

void FlowNotes::Count(std::string_view key, std::string_view value) {
  nlohmann::ordered_json& tally = fields_[std::string(key)];
  if (tally.is_null()) tally = nlohmann::ordered_json::object();
  std::string v(value);
  if (!tally.contains(v) && tally.size() >= kMaxValues) v = "other";
  nlohmann::ordered_json& n = tally[v];
  n = n.is_null() ? 1 : n.get<uint64_t>() + 1;
}

void FlowNotes::First(std::string_view key, nlohmann::ordered_json value) {
  nlohmann::ordered_json& f = fields_[std::string(key)];
  if (f.is_null()) f = std::move(value);
}

void FlowNotes::Last(std::string_view key, nlohmann::ordered_json value) {
  fields_[std::string(key)] = std::move(value);
}

void RecognizingAnalyzer::Weird(std::string_view what) {
  host_->Weird(std::string(recognizer_->name) + "_" + std::string(what));
}

void RecognizingAnalyzer::Pdu(Direction dir, std::span<const uint8_t> pdu) {
  ++pdus_[Index(dir)];
  if (recognizer_->inspect != nullptr && !recognizer_->inspect(dir, pdu, &notes_)) {
    Weird("malformed");
  }
}

void RecognizingAnalyzer::DeliverPacket(Direction dir, std::span<const uint8_t> data) {
  bytes_[Index(dir)] += data.size();
  Pdu(dir, data);
}

void RecognizingAnalyzer::DeliverStream(Direction dir, std::span<const uint8_t> data) {
  const int d = Index(dir);
  bytes_[d] += data.size();
  if (recognizer_->pdu_length == nullptr) return;
  if (skip_[d] > 0) {
    size_t n = std::min(skip_[d], data.size());
    skip_[d] -= n;
    data = data.subspan(n);
  }
  std::vector<uint8_t>& buf = buffer_[d];
  buf.insert(buf.end(), data.begin(), data.end());
  size_t at = 0;
  while (at < buf.size()) {
    std::span<const uint8_t> rest(buf.data() + at, buf.size() - at);
    size_t length = recognizer_->pdu_length(rest);
    if (length == kNeedMore) break;
    if (resync_[d]) {
      // Looking for the next place a PDU starts: a header that frames and
      // whose PDU, once all here, the signature accepts.
      if (length != kNotFramed && length > rest.size() && length <= kMaxBufferedPdu) break;
      if (length == kNotFramed || length > rest.size() || !recognizer_->signature(rest)) {
        ++at;
        continue;
      }
      resync_[d] = false;
    }
    if (length == kNotFramed) {
      Weird("bad_framing");
      resync_[d] = true;
      ++at;
      continue;
    }
    if (length > rest.size()) {
      if (length <= kMaxBufferedPdu) break;
      // Too big to hold: counted, its bytes skipped.
      ++pdus_[d];
      skip_[d] = length - rest.size();
      at = buf.size();
      break;
    }
    Pdu(dir, rest.subspan(0, length));
    at += length;
  }
  buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(at));
}

void RecognizingAnalyzer::Gap(Direction dir, uint64_t length) {
  // The partial PDU cannot be completed; what follows may start mid-PDU.
  buffer_[Index(dir)].clear();
  skip_[Index(dir)] = 0;
  resync_[Index(dir)] = true;
}

void RecognizingAnalyzer::EndOfFlow() {
  nlohmann::ordered_json e;
  e["pdus_orig"] = pdus_[0];
  e["pdus_resp"] = pdus_[1];
  e["bytes_orig"] = bytes_[0];
  e["bytes_resp"] = bytes_[1];
  for (const auto& [k, v] : notes_.fields().items()) e[k] = v;
  host_->Emit(std::move(e));
}

void RegisterRecognizers(AnalyzerRegistry* registry) {
  for (const Recognizer* r : AllRecognizers()) {
    auto add = [&](Transport t, const std::vector<uint16_t>& ports) {
      const bool any = std::find(r->any_port.begin(), r->any_port.end(), t) != r->any_port.end();
      if (ports.empty() && !any) return;
      registry->Register(AnalyzerInfo{
          .name = r->name,
          .transport = t,
          .ports = ports,
          .signature = r->signature,
          .create = [r](AnalyzerHost* host) -> std::unique_ptr<Analyzer> {
            return std::make_unique<RecognizingAnalyzer>(r, host);
          },
          .on_any_port = any,
      });
    };
    if (r->pdu_length != nullptr) add(Transport::kTcp, r->tcp_ports);
    add(Transport::kUdp, r->udp_ports);
    add(Transport::kLink, r->ethertypes);
  }
}

}  // namespace qilian::security::recognize

namespace qilian::security {

// The analyzers/ list names this folder `recognize`.
void Register_recognize(AnalyzerRegistry* registry) { recognize::RegisterRecognizers(registry); }

}  // namespace qilian::security
