// Fuzz target: bytes through the OPC UA binary analyzer. Input: chunks of
// [control byte][bytes] (analyzer_fuzz_host.h): bit 7 picks the direction
// (set: the server's, on port 4840), bit 6 puts a gap before the chunk, the
// low 6 bits are its length. Every event must dump as strict JSON (valid
// UTF-8) and carry a known message type; nothing may crash.
#include <cstdint>
#include <string>

#include "analyzer_fuzz_host.h"
#include "security/analyzers/opcua/opcua_analyzer.h"

using namespace qilian::security;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto valid = [](const nlohmann::ordered_json& f) {
    const std::string t = f.value("msg_type", "");
    const std::string p = f.value("pdu", "");
    return (t == "HEL" || t == "ACK" || t == "ERR" || t == "RHE" || t == "OPN" || t == "MSG" ||
            t == "CLO") &&
           (p == "request" || p == "response");
  };
  FuzzAnalyzerHost host(valid, opcua::kOpcUaPort);
  opcua::OpcUaAnalyzer analyzer(&host);
  FeedStreamChunks(analyzer, data, size);
  return 0;
}
