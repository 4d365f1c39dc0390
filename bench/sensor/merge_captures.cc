// The sensor benchmark's capture (docs/benchmarks.md, "ICS sensor"): the
// public captures merged, then repeated, with every copy's addresses
// rewritten so that no two copies (and no two source files) share a flow.
//
//   sensor_merge_captures --out FILE (--min-bytes N | --copies N) CAPTURE...
//
// One copy: every input's packets, each input shifted in time to start at
// the copy's start, merged by time (each input's own packet order kept, so
// reordering inside a capture stays as captured). Copies follow each other:
// copy k+1 starts 1 s after copy k's last packet; a silence of more than
// an hour inside a capture is shortened to an hour. In copy k, every unicast
// address of input f is replaced by one of its own: IPv4 by 10.0.0.0/8,
// IPv6 by fd51:696c:6961:6e00::/64, MACs by locally administered 02:...;
// multicast and broadcast addresses (and zero MACs) are kept. IPv4 header,
// TCP, UDP and ICMPv6 checksums are updated incrementally (RFC 1624), so a
// checksum that was right stays right and one that was wrong (offloading
// NICs) stays wrong by the same amount. ARP's addresses follow their
// copy's. Frames of loopback (DLT_NULL, DLT_LOOP), raw IP and Linux cooked
// captures become Ethernet frames with zero MACs, as Linux's loopback
// device shows them; the IP datagram is unchanged.
//
// The output is classic pcap with nanosecond timestamps. Everything is
// deterministic: the same inputs in the same order give the same bytes.
// Prints one line: copies, packets, bytes, the capture's span.
#include <pcap/dlt.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "pcap_writer.h"
#include "security/capture/pcap_file_source.h"

namespace {

using qilian::security::PcapFileSource;
using qilian::security::RawPacket;
using qilian::security::ReadResult;

constexpr int64_t kNsPerSecond = 1'000'000'000;
// The first copy starts at 2026-01-01T00:00:00Z.
constexpr int64_t kStartNs = 1'767'225'600 * kNsPerSecond;
constexpr int64_t kMaxSilenceNs = 3600 * kNsPerSecond;

struct Packet {
  int64_t rel_ns;  // since the input's first packet
  uint32_t wire_len;
  std::vector<uint8_t> frame;  // Ethernet
};

struct Input {
  std::string path;
  std::vector<Packet> packets;
};

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// The frame as Ethernet, or empty for a link type this tool does not read.
std::vector<uint8_t> ToEthernet(int dlt, std::span<const uint8_t> d) {
  std::vector<uint8_t> out;
  auto with_type = [&](uint16_t ethertype, size_t skip) {
    if (d.size() < skip) return;
    out.assign(14, 0);
    Put16(&out[12], ethertype);
    out.insert(out.end(), d.begin() + skip, d.end());
  };
  auto by_version = [&](size_t skip) {
    bool v6 = d.size() > skip && (d[skip] >> 4) == 6;
    with_type(v6 ? 0x86dd : 0x0800, skip);
  };
  switch (dlt) {
    case DLT_EN10MB:
      out.assign(d.begin(), d.end());
      break;
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      by_version(dlt == DLT_NULL || dlt == DLT_LOOP ? 4 : 0);
      break;
    case DLT_LINUX_SLL:
      if (d.size() >= 16) with_type(Get16(&d[14]), 16);
      break;
    default:
      break;
  }
  return out;
}

// Where a frame's addresses are, as offsets into it.
struct Layout {
  size_t l3 = 0;
  uint16_t ethertype = 0;
};

Layout Parse(const std::vector<uint8_t>& f) {
  Layout l;
  if (f.size() < 14) return l;
  size_t off = 12;
  uint16_t type = Get16(&f[off]);
  for (int tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 4; ++tags) {
    off += 4;
    if (f.size() < off + 2) return l;
    type = Get16(&f[off]);
  }
  l.ethertype = type;
  l.l3 = off + 2;
  return l;
}

bool IsGroupMac(const uint8_t* m) {
  return (m[0] & 1) || std::all_of(m, m + 6, [](uint8_t b) { return b == 0; });
}
bool IsGroupV4(const uint8_t* a) { return a[0] >= 224 || (a[0] | a[1] | a[2] | a[3]) == 0; }
bool IsGroupV6(const uint8_t* a) {
  return a[0] == 0xff || std::all_of(a, a + 16, [](uint8_t b) { return b == 0; });
}

// The unicast addresses of every input, each numbered once (in order of
// first appearance, input by input): copy k gives number n the address
// built from k * count + n.
class AddressPlan {
 public:
  enum Kind { kMac, kV4, kV6, kKinds };

  void Note(Kind kind, size_t input, const uint8_t* a, size_t len) {
    std::string key(reinterpret_cast<const char*>(a), len);
    slots_[kind].try_emplace(std::make_pair(input, key), slots_[kind].size());
  }

  // Writes copy `copy`'s replacement of `a` (seen in `input`) over it.
  void Rewrite(Kind kind, size_t input, size_t copy, uint8_t* a, size_t len) const {
    std::string key(reinterpret_cast<const char*>(a), len);
    uint64_t n = copy * slots_[kind].size() + slots_[kind].at(std::make_pair(input, key)) + 1;
    switch (kind) {
      case kMac:
        a[0] = 0x02;
        for (int i = 5; i >= 1; --i, n >>= 8) a[i] = static_cast<uint8_t>(n);
        break;
      case kV4:
        a[0] = 10;
        for (int i = 3; i >= 1; --i, n >>= 8) a[i] = static_cast<uint8_t>(n);
        break;
      default: {
        static constexpr uint8_t kPrefix[8] = {0xfd, 0x51, 0x69, 0x6c, 0x69, 0x61, 0x6e, 0x00};
        std::copy(kPrefix, kPrefix + 8, a);
        for (int i = 15; i >= 8; --i, n >>= 8) a[i] = static_cast<uint8_t>(n);
      }
    }
  }

  // Whether `copies` copies fit their kinds' ranges.
  bool Fits(size_t copies) const {
    return copies * slots_[kV4].size() < (1u << 24) &&
           copies * slots_[kMac].size() < (uint64_t{1} << 40);
  }
  size_t count(Kind k) const { return slots_[k].size(); }

 private:
  std::map<std::pair<size_t, std::string>, uint64_t> slots_[kKinds];
};

// The ones'-complement sum RFC 1624 adds to a checksum when 16-bit words
// change from `before` to `after`.
uint32_t ChecksumDelta(const uint8_t* before, const uint8_t* after, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) {
    sum += static_cast<uint16_t>(~Get16(before + i)) + Get16(after + i);
  }
  return sum;
}

void ApplyDelta(uint8_t* checksum, uint32_t delta, bool zero_means_none) {
  uint16_t old = Get16(checksum);
  if (zero_means_none && old == 0) return;  // UDP without a checksum
  uint32_t sum = static_cast<uint16_t>(~old) + delta;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t v = static_cast<uint16_t>(~sum);
  if (zero_means_none && v == 0) v = 0xffff;
  Put16(checksum, v);
}

// Offset of the transport checksum for protocol `proto` at `l4`, or 0.
size_t ChecksumAt(uint8_t proto, size_t l4, size_t size) {
  size_t at = proto == 6 ? 16 : proto == 17 ? 6 : proto == 58 ? 2 : 0;
  return at != 0 && l4 + at + 2 <= size ? l4 + at : 0;
}

// Where a frame's rewritable addresses and the checksums covering them are.
struct Addresses {
  std::vector<std::pair<AddressPlan::Kind, size_t>> at;  // offsets into the frame
  size_t ip_header = 0;                                   // IPv4 header checksum offset, or 0
  size_t l4_checksum = 0;                                 // offset, or 0
  bool udp = false;
  size_t pseudo_first = 0, pseudo_len = 0;  // the addresses in the pseudo-header
};

Addresses Find(const std::vector<uint8_t>& f) {
  Addresses a;
  Layout l = Parse(f);
  if (l.l3 == 0) return a;
  if (!IsGroupMac(&f[0])) a.at.emplace_back(AddressPlan::kMac, 0);
  if (!IsGroupMac(&f[6])) a.at.emplace_back(AddressPlan::kMac, 6);
  size_t ip = l.l3;
  if (l.ethertype == 0x0800 && f.size() >= ip + 20 && (f[ip] >> 4) == 4) {
    size_t ihl = (f[ip] & 0xf) * 4;
    for (size_t o : {ip + 12, ip + 16}) {
      if (!IsGroupV4(&f[o])) a.at.emplace_back(AddressPlan::kV4, o);
    }
    a.ip_header = ip + 10;
    a.pseudo_first = ip + 12;
    a.pseudo_len = 8;
    bool first_fragment = (Get16(&f[ip + 6]) & 0x1fff) == 0;
    uint8_t proto = f[ip + 9];
    if (first_fragment && (proto == 6 || proto == 17) && ihl >= 20) {
      a.l4_checksum = ChecksumAt(proto, ip + ihl, f.size());
      a.udp = proto == 17;
    }
  } else if (l.ethertype == 0x86dd && f.size() >= ip + 40 && (f[ip] >> 4) == 6) {
    for (size_t o : {ip + 8, ip + 24}) {
      if (!IsGroupV6(&f[o])) a.at.emplace_back(AddressPlan::kV6, o);
    }
    a.pseudo_first = ip + 8;
    a.pseudo_len = 32;
    uint8_t next = f[ip + 6];
    size_t off = ip + 40;
    for (int n = 0; n < 8 && off + 8 <= f.size(); ++n) {
      if (next == 0 || next == 43 || next == 60) {
        uint8_t nh = f[off];
        off += (f[off + 1] + 1) * 8;
        next = nh;
      } else if (next == 44) {
        if ((Get16(&f[off + 2]) & 0xfff8) != 0) return a;  // not the first fragment
        next = f[off];
        off += 8;
      } else if (next == 51) {
        uint8_t nh = f[off];
        off += (f[off + 1] + 2) * 4;
        next = nh;
      } else {
        break;
      }
    }
    a.l4_checksum = ChecksumAt(next, off, f.size());
    a.udp = next == 17;
  } else if (l.ethertype == 0x0806 && f.size() >= ip + 28 && Get16(&f[ip]) == 1 &&
             Get16(&f[ip + 2]) == 0x0800 && f[ip + 4] == 6 && f[ip + 5] == 4) {
    for (size_t o : {ip + 8, ip + 18}) {
      if (!IsGroupMac(&f[o])) a.at.emplace_back(AddressPlan::kMac, o);
    }
    for (size_t o : {ip + 14, ip + 24}) {
      if (!IsGroupV4(&f[o])) a.at.emplace_back(AddressPlan::kV4, o);
    }
  }
  return a;
}

size_t Length(AddressPlan::Kind k) { return k == AddressPlan::kMac ? 6 : k == AddressPlan::kV4 ? 4 : 16; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sensor_merge_captures: the sensor benchmark's capture"};
  std::string out_path;
  uint64_t min_bytes = 0;
  size_t copies = 0;
  std::vector<std::string> paths;
  app.add_option("--out", out_path, "the capture to write (pcap, nanoseconds)")->required();
  auto* mb = app.add_option("--min-bytes", min_bytes, "repeat until the file has this many bytes");
  app.add_option("--copies", copies, "repeat this many times")->excludes(mb);
  app.add_option("captures", paths, "the public captures, in a fixed order")->required();
  CLI11_PARSE(app, argc, argv);

  std::vector<Input> inputs;
  AddressPlan plan;
  uint64_t copy_bytes = 0;
  for (const std::string& path : paths) {
    auto source = PcapFileSource::Open(path);
    if (!source.ok()) {
      std::fprintf(stderr, "%s\n", std::string(source.status().message()).c_str());
      return 2;
    }
    Input in{path, {}};
    RawPacket raw;
    int64_t first = 0;
    size_t skipped = 0;
    ReadResult r;
    while ((r = (*source)->Next(&raw)) == ReadResult::kPacket) {
      std::vector<uint8_t> frame = ToEthernet((*source)->link_type(), raw.data);
      if (frame.empty()) {
        ++skipped;
        continue;
      }
      if (in.packets.empty()) first = raw.ts;
      uint32_t wire = static_cast<uint32_t>(raw.wire_len + frame.size() - raw.data.size());
      in.packets.push_back(Packet{raw.ts - first, wire, std::move(frame)});
    }
    if (r == ReadResult::kError) {
      std::fprintf(stderr, "%s\n", (*source)->error().c_str());
      return 2;
    }
    // Silences longer than an hour inside a capture are shortened to an
    // hour (one capture of DNP3 spans 2.5 years): longer than every timeout
    // of the sensor, so only the clock changes, and 16 copies stay before
    // 2038 for tools with a 32-bit time_t.
    int64_t latest = 0, cut = 0;
    for (Packet& p : in.packets) {
      if (p.rel_ns - cut - latest > kMaxSilenceNs) cut = p.rel_ns - latest - kMaxSilenceNs;
      p.rel_ns -= cut;
      latest = std::max(latest, p.rel_ns);
    }
    // A capture whose first packet is not its earliest starts at its earliest.
    int64_t earliest = 0;
    for (const Packet& p : in.packets) earliest = std::min(earliest, p.rel_ns);
    for (Packet& p : in.packets) p.rel_ns -= earliest;
    if (skipped != 0) std::fprintf(stderr, "%s: %zu frames of an unread link type left out\n",
                                   path.c_str(), skipped);
    size_t index = inputs.size();
    for (const Packet& p : in.packets) {
      copy_bytes += 16 + p.frame.size();
      for (auto [kind, at] : Find(p.frame).at) plan.Note(kind, index, &p.frame[at], Length(kind));
    }
    inputs.push_back(std::move(in));
  }
  if (copy_bytes == 0) {
    std::fprintf(stderr, "no packets in the inputs\n");
    return 2;
  }
  if (copies == 0) copies = std::max<uint64_t>(1, (min_bytes + copy_bytes - 1) / copy_bytes);
  if (!plan.Fits(copies)) {
    std::fprintf(stderr, "%zu copies do not fit 10.0.0.0/8 (%zu IPv4 addresses each)\n", copies,
                 plan.count(AddressPlan::kV4));
    return 2;
  }

  // One copy's order: a merge by time; ties go to the earlier input, and
  // each input's packets stay in their own order.
  std::vector<std::pair<size_t, size_t>> order;
  using Head = std::tuple<int64_t, size_t, size_t>;  // rel_ns, input, packet
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].packets.empty()) heads.emplace(inputs[i].packets[0].rel_ns, i, 0);
  }
  int64_t span = 0;
  while (!heads.empty()) {
    auto [rel, i, n] = heads.top();
    heads.pop();
    order.emplace_back(i, n);
    span = std::max(span, rel);
    if (n + 1 < inputs[i].packets.size()) heads.emplace(inputs[i].packets[n + 1].rel_ns, i, n + 1);
  }

  qilian::bench::PcapWriter out(out_path);
  std::vector<uint8_t> frame;
  int64_t base = kStartNs;
  for (size_t k = 0; k < copies; ++k) {
    for (auto [i, n] : order) {
      const Packet& p = inputs[i].packets[n];
      frame = p.frame;
      Addresses a = Find(frame);
      uint8_t before[32];
      if (a.pseudo_len) std::copy_n(&frame[a.pseudo_first], a.pseudo_len, before);
      for (auto [kind, at] : a.at) plan.Rewrite(kind, i, k, &frame[at], Length(kind));
      if (a.pseudo_len) {
        uint32_t delta = ChecksumDelta(before, &frame[a.pseudo_first], a.pseudo_len);
        if (a.ip_header) ApplyDelta(&frame[a.ip_header], delta, false);
        if (a.l4_checksum) ApplyDelta(&frame[a.l4_checksum], delta, a.udp);
      }
      out.Write(base + p.rel_ns, p.wire_len, frame);
    }
    base += span + kNsPerSecond;
  }
  out.Close();
  std::printf("copies %zu packets %llu bytes %llu span_s %.3f addresses %zu ipv4 %zu ipv6 %zu mac\n",
              copies, static_cast<unsigned long long>(out.packets()),
              static_cast<unsigned long long>(out.bytes()),
              static_cast<double>(base - kNsPerSecond - kStartNs) / kNsPerSecond,
              plan.count(AddressPlan::kV4), plan.count(AddressPlan::kV6),
              plan.count(AddressPlan::kMac));
  return 0;
}
