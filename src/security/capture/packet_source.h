// The seam between where packets come from and what the sensor does with
// them. A PacketSource yields raw link-layer frames with their timestamp and
// link type: PcapFileSource from a capture file, LiveSource from an
// interface (libpcap over a TPACKET_V3 ring); nothing downstream differs.
#ifndef QILIAN_SECURITY_CAPTURE_PACKET_SOURCE_H_
#define QILIAN_SECURITY_CAPTURE_PACKET_SOURCE_H_

#include <cstdint>
#include <span>
#include <string>

#include "security/common/address.h"

namespace qilian::security {

// One captured frame. `data` stays valid until the next call to Next().
struct RawPacket {
  TimeNs ts = 0;
  uint32_t wire_len = 0;  // length on the wire; data.size() is what was captured
  int link_type = 0;      // libpcap DLT_* value
  std::span<const uint8_t> data;
};

enum class ReadResult {
  kPacket,  // *packet was filled in
  kEnd,     // clean end of input
  kIdle,    // a live source saw no packet for a while (never from a file): the
            // caller may let its clock advance, then call Next() again
  kError,   // the input is damaged or unreadable; error() says how
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  virtual ReadResult Next(RawPacket* packet) = 0;
  // Why the last Next() returned kError, naming the source.
  virtual const std::string& error() const = 0;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_CAPTURE_PACKET_SOURCE_H_
