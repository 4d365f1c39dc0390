// Reads pcap and pcapng capture files through libpcap (pcap_open_offline).
// Timestamps are requested at nanosecond precision, whatever the file holds.
// A truncated or corrupt file yields every packet up to the damage, then
// kError with libpcap's description and the packet number.
#ifndef QILIAN_SECURITY_CAPTURE_PCAP_FILE_SOURCE_H_
#define QILIAN_SECURITY_CAPTURE_PCAP_FILE_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "security/capture/packet_source.h"

struct pcap;

namespace qilian::security {

class PcapFileSource : public PacketSource {
 public:
  // Fails with InvalidArgument naming the file if libpcap cannot open it
  // (missing, not a capture, unknown format version).
  static absl::StatusOr<std::unique_ptr<PcapFileSource>> Open(const std::string& path);
  ~PcapFileSource() override;

  ReadResult Next(RawPacket* packet) override;
  const std::string& error() const override { return error_; }
  int link_type() const { return link_type_; }

 private:
  PcapFileSource(std::string path, pcap* handle);

  std::string path_;
  pcap* handle_;
  int link_type_;
  uint64_t packets_ = 0;
  std::string error_;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_CAPTURE_PCAP_FILE_SOURCE_H_
