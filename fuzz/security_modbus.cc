// Fuzz target: a byte stream through the Modbus/TCP analyzer, in
// FeedStreamChunks' input format (analyzer_fuzz_host.h). Every event must
// dump as strict JSON (valid UTF-8) and carry a known "pdu"; nothing may
// crash.
#include <string>

#include "analyzer_fuzz_host.h"
#include "security/analyzers/modbus/modbus_analyzer.h"

using namespace qilian::security;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzAnalyzerHost host([](const nlohmann::ordered_json& f) {
    const std::string pdu = f.value("pdu", "");
    return pdu == "request" || pdu == "response";
  });
  modbus::ModbusAnalyzer analyzer(&host);
  FeedStreamChunks(analyzer, data, size);
  return 0;
}
