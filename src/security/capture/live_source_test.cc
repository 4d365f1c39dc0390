// LiveSource: its errors (exact messages, no privileges needed for the
// interface name and the filter), and, where the test may capture (root or
// CAP_NET_RAW), frames on the loopback interface and a stop that drains
// what the kernel holds. The namespace test with replayed captures is
// tests/e2e/test_sensor_live.py.
#include "security/capture/live_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace qilian::security {
namespace {

LiveOptions On(std::string interface, std::string filter = "") {
  LiveOptions o;
  o.interface = std::move(interface);
  o.filter = std::move(filter);
  o.buffer_mib = 1;
  return o;
}

// Whether this process may open packet sockets on "lo".
bool CanCapture() { return LiveSource::Open(On("lo")).ok(); }

TEST(LiveSourceTest, NoSuchInterfaceIsNamed) {
  auto src = LiveSource::Open(On("qilian-nosuch0"));
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(src.status().message(), "cannot capture on qilian-nosuch0: no such interface");
}

TEST(LiveSourceTest, BadFilterIsNamedWithLibpcapsReason) {
  auto src = LiveSource::Open(On("lo", "tcp port"));
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(src.status().message(),
            "bad capture filter 'tcp port': can't parse filter expression: syntax error");
  // Checked before the interface: the same answer for one that does not exist.
  auto port = LiveSource::Open(On("qilian-nosuch0", "port 99999"));
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(port.status().message(),
            "bad capture filter 'port 99999': illegal port number 99999 > 65535");
}

// Opening "lo" without CAP_NET_RAW. As root the check runs in a child that
// first becomes "nobody" (which drops every capability).
TEST(LiveSourceTest, PermissionDeniedIsNamed) {
  auto message_without_privileges = []() -> std::string {
    auto src = LiveSource::Open(On("lo"));
    if (src.ok()) return "opened";
    return std::string(src.status().message());
  };
  std::string message;
  if (geteuid() != 0) {
    if (CanCapture()) GTEST_SKIP() << "this process has CAP_NET_RAW without being root";
    message = message_without_privileges();
  } else {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      std::string m = setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0
                          ? message_without_privileges()
                          : "cannot become nobody";
      ssize_t n = write(fds[1], m.data(), m.size());
      _exit(n == static_cast<ssize_t>(m.size()) ? 0 : 1);
    }
    close(fds[1]);
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) message.append(buf, n);
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
  }
  EXPECT_EQ(message, "cannot capture on lo: permission denied (capturing needs CAP_NET_RAW)");
}

// A filter that matches nothing on loopback: an IEEE local experimental
// EtherType. Next() then returns kIdle each time the idle period passes.
TEST(LiveSourceTest, QuietInterfaceGivesIdle) {
  if (!CanCapture()) GTEST_SKIP() << "capturing needs root or CAP_NET_RAW";
  LiveOptions o = On("lo", "ether proto 0x88b5");
  o.idle = absl::Milliseconds(20);
  auto src = LiveSource::Open(o);
  ASSERT_TRUE(src.ok()) << src.status();
  EXPECT_EQ((*src)->link_type(), DLT_EN10MB);
  EXPECT_EQ((*src)->warning(), "");
  RawPacket p;
  EXPECT_EQ((*src)->Next(&p), ReadResult::kIdle);
  EXPECT_EQ((*src)->Next(&p), ReadResult::kIdle);
  (*src)->RequestStop();
  EXPECT_EQ((*src)->Next(&p), ReadResult::kEnd);
}

// Datagrams received before the stop request all come out of Next() after
// it: the stop drains what the kernel counted (its counters, not a timer),
// including a block the ring has not handed over yet.
TEST(LiveSourceTest, StopDrainsWhatTheKernelHolds) {
  if (!CanCapture()) GTEST_SKIP() << "capturing needs root or CAP_NET_RAW";
  int sock = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);

  auto src = LiveSource::Open(On("lo", "udp dst port " + std::to_string(port)));
  ASSERT_TRUE(src.ok()) << src.status();
  const std::string payloads[] = {"first", "second", "third"};
  for (const std::string& m : payloads) {
    ASSERT_EQ(sendto(sock, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              static_cast<ssize_t>(m.size()));
  }
  // The socket receives each datagram after the packet tap saw it, so once
  // all three are here the kernel has counted them for the capture too.
  for (int i = 0; i < 3; ++i) {
    char buf[16];
    ASSERT_GT(recv(sock, buf, sizeof buf, 0), 0);
  }
  (*src)->RequestStop();
  RawPacket p;
  for (const std::string& m : payloads) {
    ASSERT_EQ((*src)->Next(&p), ReadResult::kPacket);
    // Ethernet (14) + IPv4 (20) + UDP (8), then the datagram.
    ASSERT_EQ(p.data.size(), 42 + m.size());
    EXPECT_EQ(p.wire_len, p.data.size());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(p.data.data()) + 42, m.size()), m);
    EXPECT_GT(p.ts, 1'700'000'000 * kNsPerSecond);  // receive time, not zero
  }
  EXPECT_EQ((*src)->Next(&p), ReadResult::kEnd);
  EXPECT_EQ((*src)->packets(), 3u);
  auto stats = (*src)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  // Loopback shows the kernel each frame twice, as sent and as received, and
  // it counts both; libpcap keeps the received one. So on "lo" the counts
  // never balance and the drain ends on its bounded wait (on a mirror port,
  // or the veth of tests/e2e/test_sensor_live.py, they balance).
  EXPECT_EQ(stats->received, 6u);
  EXPECT_EQ(stats->dropped, 0u);
  close(sock);
}

}  // namespace
}  // namespace qilian::security
