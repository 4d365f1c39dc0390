// Builders of TPKT/COTP/S7comm bytes for the S7comm tests, and their
// recording AnalyzerHost.
#ifndef QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_TESTING_H_
#define QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_TESTING_H_

#include <cstdint>
#include <vector>

#include "security/analyzers/analyzer.h"
#include "security/analyzers/testing/recording_host.h"
#include "security/common/weird.h"

namespace qilian::security::s7comm::testing {

using Bytes = std::vector<uint8_t>;

inline void Append(Bytes* out, const Bytes& more) {
  for (uint8_t x : more) out->push_back(x);  // (insert() trips a GCC 12 false positive)
}

// A TPKT around `cotp` (LI onwards).
inline Bytes Tpkt(const Bytes& cotp) {
  size_t n = cotp.size() + 4;
  Bytes b = {3, 0, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  Append(&b, cotp);
  return b;
}

// A TPKT with a COTP DT (end of TSDU unless `eot` is false) around `user_data`.
inline Bytes Dt(const Bytes& user_data, bool eot = true) {
  Bytes cotp = {2, 0xf0, static_cast<uint8_t>(eot ? 0x80 : 0x00)};
  Append(&cotp, user_data);
  return Tpkt(cotp);
}

// An S7comm PDU: header (with error class and code for ack and ack_data),
// parameter, data.
inline Bytes S7(uint8_t rosctr, uint16_t ref, const Bytes& param, const Bytes& data = {},
                uint8_t error_class = 0, uint8_t error_code = 0) {
  Bytes b = {0x32,
             rosctr,
             0,
             0,
             static_cast<uint8_t>(ref >> 8),
             static_cast<uint8_t>(ref),
             static_cast<uint8_t>(param.size() >> 8),
             static_cast<uint8_t>(param.size()),
             static_cast<uint8_t>(data.size() >> 8),
             static_cast<uint8_t>(data.size())};
  if (rosctr == 2 || rosctr == 3) {
    b.push_back(error_class);
    b.push_back(error_code);
  }
  Append(&b, param);
  Append(&b, data);
  return b;
}

using FakeHost = analyzer_testing::RecordingHost;

}  // namespace qilian::security::s7comm::testing

#endif  // QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_TESTING_H_
