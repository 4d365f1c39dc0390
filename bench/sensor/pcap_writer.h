// A classic pcap writer for the sensor benchmark's captures: nanosecond
// timestamps (magic 0xa1b23c4d), Ethernet link type, written through a
// large stdio buffer. Exits the program on a write error: these are
// benchmark tools, and a half-written capture must not be measured.
#ifndef QILIAN_BENCH_SENSOR_PCAP_WRITER_H_
#define QILIAN_BENCH_SENSOR_PCAP_WRITER_H_

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace qilian::bench {

class PcapWriter {
 public:
  static constexpr uint32_t kLinkEthernet = 1;  // DLT_EN10MB

  explicit PcapWriter(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) Fail("cannot create");
    buffer_.resize(1 << 22);
    std::setvbuf(file_, buffer_.data(), _IOFBF, buffer_.size());
    const uint32_t header[6] = {0xa1b23c4d, 0x00040002, 0, 0, 262144, kLinkEthernet};
    Put(header, sizeof header);
  }
  ~PcapWriter() { Close(); }

  // `wire_len` is the frame's length on the wire (at least frame.size()).
  void Write(int64_t ts_ns, uint32_t wire_len, std::span<const uint8_t> frame) {
    const uint32_t record[4] = {static_cast<uint32_t>(ts_ns / 1'000'000'000),
                                static_cast<uint32_t>(ts_ns % 1'000'000'000),
                                static_cast<uint32_t>(frame.size()), wire_len};
    Put(record, sizeof record);
    Put(frame.data(), frame.size());
    bytes_ += sizeof record + frame.size();
    ++packets_;
  }

  void Close() {
    if (file_ == nullptr) return;
    if (std::fclose(file_) != 0) Fail("cannot finish");
    file_ = nullptr;
  }

  uint64_t packets() const { return packets_; }
  // Bytes written, the 24-byte file header included.
  uint64_t bytes() const { return bytes_ + 24; }

 private:
  void Put(const void* data, size_t n) {
    if (std::fwrite(data, 1, n, file_) != n) Fail("cannot write");
  }
  [[noreturn]] void Fail(const char* what) {
    std::fprintf(stderr, "%s %s: %s\n", what, path_.c_str(), std::strerror(errno));
    std::exit(2);
  }

  std::string path_;
  FILE* file_ = nullptr;
  std::vector<char> buffer_;
  uint64_t bytes_ = 0;
  uint64_t packets_ = 0;
};

}  // namespace qilian::bench

#endif  // QILIAN_BENCH_SENSOR_PCAP_WRITER_H_
