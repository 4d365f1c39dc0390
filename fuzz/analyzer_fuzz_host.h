// What the protocol analyzers' fuzz targets share: a host that checks every
// event dumps as strict JSON (valid UTF-8) and passes the target's own
// check, and every weird has a name; and the stream input format most of
// them read.
#ifndef QILIAN_FUZZ_ANALYZER_FUZZ_HOST_H_
#define QILIAN_FUZZ_ANALYZER_FUZZ_HOST_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "security/analyzers/analyzer.h"

namespace qilian::security {

class FuzzAnalyzerHost : public AnalyzerHost {
 public:
  // `valid` says whether an event's fields are what the analyzer may emit.
  using EventCheck = bool (*)(const nlohmann::ordered_json& fields);
  explicit FuzzAnalyzerHost(EventCheck valid, uint16_t resp_port = 0) : valid_(valid) {
    flow_.resp.port = resp_port;
  }
  TimeNs now() const override { return 0; }
  const Flow& flow() const override { return flow_; }
  void Emit(nlohmann::ordered_json fields) override {
    fields.dump();  // throws, and so aborts, on invalid UTF-8
    if (!valid_(fields)) std::abort();
  }
  void Weird(std::string_view name) override {
    if (name.empty()) std::abort();
  }

 private:
  EventCheck valid_;
  Flow flow_;
};

// Input as chunks of [control byte][bytes]: bit 7 picks the direction,
// bit 6 puts a one-byte gap before the chunk, the low 6 bits are its
// length; delivered as a TCP stream, then both directions end.
inline void FeedStreamChunks(Analyzer& analyzer, const uint8_t* data, size_t size) {
  size_t at = 0;
  while (at < size) {
    const uint8_t control = data[at++];
    const size_t len = std::min<size_t>(control & 0x3f, size - at);
    const Direction dir = control & 0x80 ? Direction::kResp : Direction::kOrig;
    if (control & 0x40) analyzer.Gap(dir, 1);
    analyzer.DeliverStream(dir, {data + at, len});
    at += len;
  }
  analyzer.EndOfData(Direction::kOrig);
  analyzer.EndOfData(Direction::kResp);
}

}  // namespace qilian::security

#endif  // QILIAN_FUZZ_ANALYZER_FUZZ_HOST_H_
