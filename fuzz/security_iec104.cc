// Fuzz target: a byte stream through the IEC 60870-5-104 analyzer, in
// FeedStreamChunks' input format (analyzer_fuzz_host.h). Every event must
// dump as strict JSON (valid UTF-8) and carry a known "apdu"; nothing may
// crash.
#include <string>

#include "analyzer_fuzz_host.h"
#include "security/analyzers/iec104/iec104_analyzer.h"

using namespace qilian::security;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzAnalyzerHost host([](const nlohmann::ordered_json& f) {
    const std::string a = f.value("apdu", "");
    return a == "I" || a == "S" || a == "U";
  });
  iec104::Iec104Analyzer analyzer(&host);
  FeedStreamChunks(analyzer, data, size);
  return 0;
}
