#include "security/capture/pcap_file_source.h"

#include <pcap/pcap.h>

#include "absl/strings/str_cat.h"

namespace qilian::security {

absl::StatusOr<std::unique_ptr<PcapFileSource>> PcapFileSource::Open(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* handle =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read capture ", path, ": ", errbuf));
  }
  return std::unique_ptr<PcapFileSource>(new PcapFileSource(path, handle));
}

PcapFileSource::PcapFileSource(std::string path, pcap* handle)
    : path_(std::move(path)), handle_(handle), link_type_(pcap_datalink(handle)) {}

PcapFileSource::~PcapFileSource() { pcap_close(handle_); }

ReadResult PcapFileSource::Next(RawPacket* packet) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == 1) {
    ++packets_;
    packet->ts = static_cast<TimeNs>(hdr->ts.tv_sec) * kNsPerSecond + hdr->ts.tv_usec;
    packet->wire_len = hdr->len;
    packet->link_type = link_type_;
    packet->data = std::span<const uint8_t>(data, hdr->caplen);
    return ReadResult::kPacket;
  }
  if (rc == PCAP_ERROR_BREAK) return ReadResult::kEnd;
  error_ = absl::StrCat(path_, ": damaged after packet ", packets_, ": ", pcap_geterr(handle_));
  return ReadResult::kError;
}

}  // namespace qilian::security
