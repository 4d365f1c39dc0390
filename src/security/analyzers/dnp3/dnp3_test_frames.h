// Test helpers: DNP3 link frames built byte by byte, with their CRCs.
#ifndef QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_TEST_FRAMES_H_
#define QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_TEST_FRAMES_H_

#include <cstdint>
#include <vector>

#include "security/analyzers/dnp3/dnp3_link.h"

namespace qilian::security::dnp3::testing {

using Bytes = std::vector<uint8_t>;

inline void AppendCrc(Bytes* b, size_t from) {
  uint16_t c = Crc(std::span<const uint8_t>(b->data() + from, b->size() - from));
  b->push_back(static_cast<uint8_t>(c));
  b->push_back(static_cast<uint8_t>(c >> 8));
}

// A link frame: header, then `data` in 16-byte blocks, CRCs computed.
inline Bytes LinkFrame(uint8_t control, uint16_t dst, uint16_t src, const Bytes& data) {
  Bytes b = {kStart0,
             kStart1,
             static_cast<uint8_t>(5 + data.size()),
             control,
             static_cast<uint8_t>(dst),
             static_cast<uint8_t>(dst >> 8),
             static_cast<uint8_t>(src),
             static_cast<uint8_t>(src >> 8)};
  AppendCrc(&b, 0);
  for (size_t at = 0; at < data.size(); at += kBlockSize) {
    size_t from = b.size();
    for (size_t i = at; i < data.size() && i < at + kBlockSize; ++i) b.push_back(data[i]);
    AppendCrc(&b, from);
  }
  return b;
}

// A single-segment fragment from the master (DIR, PRM, unconfirmed user
// data) to outstation 10 from master 1, or back.
inline Bytes Request(const Bytes& app, uint8_t transport = 0xc0) {
  Bytes data = {transport};
  for (uint8_t x : app) data.push_back(x);
  return LinkFrame(0xc4, 10, 1, data);
}
inline Bytes Response(const Bytes& app, uint8_t transport = 0xc0) {
  Bytes data = {transport};
  for (uint8_t x : app) data.push_back(x);
  return LinkFrame(0x44, 1, 10, data);
}

inline Bytes Concat(Bytes a, const Bytes& b) {
  for (uint8_t x : b) a.push_back(x);
  return a;
}

}  // namespace qilian::security::dnp3::testing

#endif  // QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_TEST_FRAMES_H_
