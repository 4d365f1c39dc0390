// Fuzz target: a byte stream through the S7comm analyzer (TPKT, COTP,
// S7comm, S7comm-plus recognised), in FeedStreamChunks' input format
// (analyzer_fuzz_host.h). Every event must dump as strict JSON (valid
// UTF-8) and carry a "pdu"; nothing may crash.
#include "analyzer_fuzz_host.h"
#include "security/analyzers/s7comm/s7comm_analyzer.h"

using namespace qilian::security;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzAnalyzerHost host([](const nlohmann::ordered_json& f) {
    return f.contains("pdu") && f["pdu"].is_string();
  });
  s7comm::S7commAnalyzer analyzer(&host);
  FeedStreamChunks(analyzer, data, size);
  return 0;
}
