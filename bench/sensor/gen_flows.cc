// A synthetic capture of FLOWS concurrent Modbus/TCP connections, for the
// sensor's memory under a full flow table (docs/benchmarks.md, "ICS
// sensor").
//
//   sensor_gen_flows --out FILE [--flows 1000000]
//
// Flow i: client 10.0.0.0/8 + 1 + i/64, port 40000 + i%64, to server
// 172.16.0.0/12 + 1 + i%4096 on port 502. Every flow's SYN is written, then
// every SYN-ACK, every ACK, every Read Holding Registers request (10
// registers from address i%1000) and every response: when the last packet
// is read all flows are open at once, each with both TCP streams, a Modbus
// analyzer and its per-flow state. 1 µs between packets, from
// 2026-01-01T00:00:00Z: the whole capture lasts FLOWS * 5 µs, far inside
// the TCP idle timeout. Ethernet frames padded to 60 bytes; IP and TCP
// checksums right. Deterministic.
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "pcap_writer.h"

namespace {

constexpr int64_t kStartNs = 1'767'225'600LL * 1'000'000'000;

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}

uint32_t Sum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}
uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct Side {
  uint32_t addr;
  uint16_t port;
  uint8_t mac[6];
};

// One Ethernet/IPv4/TCP frame from `s` to `d`.
std::vector<uint8_t> Frame(const Side& s, const Side& d, uint32_t seq, uint32_t ack, uint8_t flags,
                           const std::vector<uint8_t>& payload, uint16_t ip_id) {
  std::vector<uint8_t> f(14 + 20 + 20 + payload.size());
  std::copy(d.mac, d.mac + 6, &f[0]);
  std::copy(s.mac, s.mac + 6, &f[6]);
  Put16(&f[12], 0x0800);
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  Put16(ip + 2, static_cast<uint16_t>(40 + payload.size()));
  Put16(ip + 4, ip_id);
  Put16(ip + 6, 0x4000);  // don't fragment
  ip[8] = 64;
  ip[9] = 6;
  Put32(ip + 12, s.addr);
  Put32(ip + 16, d.addr);
  Put16(ip + 10, Fold(Sum(ip, 20)));
  uint8_t* tcp = ip + 20;
  Put16(tcp, s.port);
  Put16(tcp + 2, d.port);
  Put32(tcp + 4, seq);
  Put32(tcp + 8, ack);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  Put16(tcp + 14, 64240);
  std::copy(payload.begin(), payload.end(), tcp + 20);
  uint8_t pseudo[12];
  std::copy(ip + 12, ip + 20, pseudo);
  pseudo[8] = 0;
  pseudo[9] = 6;
  Put16(pseudo + 10, static_cast<uint16_t>(20 + payload.size()));
  Put16(tcp + 16, Fold(Sum(tcp, 20 + payload.size(), Sum(pseudo, 12))));
  if (f.size() < 60) f.resize(60);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sensor_gen_flows: many concurrent Modbus/TCP flows"};
  std::string out_path;
  uint32_t flows = 1'000'000;
  app.add_option("--out", out_path, "the capture to write (pcap, nanoseconds)")->required();
  app.add_option("--flows", flows, "concurrent flows")->check(CLI::Range(1u, 1u << 24));
  CLI11_PARSE(app, argc, argv);

  constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08;
  qilian::bench::PcapWriter out(out_path);
  int64_t ts = kStartNs;
  for (int phase = 0; phase < 5; ++phase) {
    for (uint32_t i = 0; i < flows; ++i) {
      Side client{0x0a000001 + i / 64, static_cast<uint16_t>(40000 + i % 64),
                  {0x02, 0x00, 0x0a, 0x00, 0x00, 0x01}};
      Side server{0xac100001 + i % 4096, 502, {0x02, 0x00, 0xac, 0x10, 0x00, 0x01}};
      uint32_t cseq = i * 7919u, sseq = i * 104729u;  // initial sequence numbers
      uint16_t tid = static_cast<uint16_t>(i);
      std::vector<uint8_t> frame;
      switch (phase) {
        case 0:
          frame = Frame(client, server, cseq, 0, kSyn, {}, tid);
          break;
        case 1:
          frame = Frame(server, client, sseq, cseq + 1, kSyn | kAck, {}, tid);
          break;
        case 2:
          frame = Frame(client, server, cseq + 1, sseq + 1, kAck, {}, tid);
          break;
        case 3: {
          uint16_t start = static_cast<uint16_t>(i % 1000);
          std::vector<uint8_t> req = {static_cast<uint8_t>(tid >> 8), static_cast<uint8_t>(tid),
                                      0, 0, 0, 6, 1, 3,
                                      static_cast<uint8_t>(start >> 8), static_cast<uint8_t>(start),
                                      0, 10};
          frame = Frame(client, server, cseq + 1, sseq + 1, kPsh | kAck, req, tid);
          break;
        }
        default: {
          std::vector<uint8_t> resp = {static_cast<uint8_t>(tid >> 8), static_cast<uint8_t>(tid),
                                       0, 0, 0, 23, 1, 3, 20};
          for (int r = 0; r < 10; ++r) {
            resp.push_back(static_cast<uint8_t>(r));
            resp.push_back(static_cast<uint8_t>(i));
          }
          frame = Frame(server, client, sseq + 1, cseq + 13, kPsh | kAck, resp, tid);
        }
      }
      out.Write(ts, static_cast<uint32_t>(frame.size()), frame);
      ts += 1000;
    }
  }
  out.Close();
  std::printf("flows %u packets %llu bytes %llu\n", flows,
              static_cast<unsigned long long>(out.packets()),
              static_cast<unsigned long long>(out.bytes()));
  return 0;
}
