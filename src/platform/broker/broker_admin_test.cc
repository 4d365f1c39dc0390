// BrokerAdmin against a real mosquitto with Qilian's plugin, started the way
// qiliand's deployment starts it: scripts/broker on a temporary directory
// with the plugin this build made (or the one $QILIAN_BROKER_PLUGIN names). Devices are raw
// MQTT 3.1.1 sockets: a CONNECT, its CONNACK code, and whether the broker
// closed the connection. Every wait ends on an event and is bounded.
// A C++ test rather than Python driving a helper binary: what is checked
// is BrokerAdmin's own API (exact statuses, callbacks on their thread,
// reconnection), which a helper would only re-encode.
#include "platform/broker/broker_admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <openssl/evp.h>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace qilian::platform {
namespace {

constexpr auto kWait = std::chrono::seconds(20);
const absl::Duration kWaitAbsl = absl::Seconds(20);

// --- the broker ------------------------------------------------------------

class Broker {
 public:
  Broker() {
    char tmpl[] = "/tmp/qilian-broker-admin-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    dir_ = tmpl;
  }
  ~Broker() {
    Stop();
    std::system(("rm -rf " + dir_).c_str());
  }

  // Starts scripts/broker on `port` ("auto": a free one) and waits until
  // it accepts connections; false if it exited first.
  bool Start(const std::string& port = "auto") {
    // The script's output goes to a file (never a pipe that could fill or
    // break); its banner line names the port.
    std::string out = dir_ + "/start.out";
    std::remove(out.c_str());
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = std::fopen(out.c_str(), "w");
      if (f == nullptr) _exit(126);
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
      // The plugin this build made, unless the environment names one (a
      // sanitizer build's plugin cannot be loaded by mosquitto).
      setenv("QILIAN_BROKER_PLUGIN", QILIAN_BROKER_PLUGIN_PATH, /*overwrite=*/0);
      std::string script = std::string(QILIAN_SOURCE_DIR) + "/scripts/broker";
      execl(script.c_str(), script.c_str(), dir_.c_str(), port.c_str(), nullptr);
      _exit(127);
    }
    port_ = 0;
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (port_ == 0) port_ = BannerPort(out);
      int fd = port_ == 0 ? -1 : Dial(port_);
      if (fd >= 0) {
        close(fd);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // The port of "broker 127.0.0.1:PORT ..." in the script's output, or 0.
  static int BannerPort(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) return 0;
    char line[1024];
    int port = 0;
    while (port == 0 && std::fgets(line, sizeof line, f) != nullptr) {
      if (std::sscanf(line, "broker 127.0.0.1:%d ", &port) != 1) port = 0;
    }
    std::fclose(f);
    return port;
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  static int Dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  BrokerAdminOptions Options() const {
    auto options = BrokerAdminOptionsFromEnvFile(dir_ + "/broker.env");
    if (!options.ok()) std::abort();
    options->reconnect_delay_min = absl::Seconds(1);
    options->reconnect_delay_max = absl::Seconds(1);
    options->request_timeout = kWaitAbsl;
    return *options;
  }

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// --- devices -----------------------------------------------------------------

std::string Str(const std::string& s) {
  return std::string{static_cast<char>(s.size() >> 8), static_cast<char>(s.size() & 0xff)} + s;
}

// A device's MQTT 3.1.1 connection on a raw socket.
class Device {
 public:
  ~Device() {
    if (fd_ >= 0) close(fd_);
  }
  // The CONNACK return code, or -1 if none came.
  int Connect(int port, const std::string& client_id, const std::string& username,
              const std::string& password) {
    fd_ = Broker::Dial(port);
    if (fd_ < 0) return -1;
    std::string body = Str("MQTT") + std::string{4, static_cast<char>(0xc2), 0, 60} +
                       Str(client_id) + Str(username) + Str(password);
    std::string packet = std::string{0x10, static_cast<char>(body.size())} + body;
    if (body.size() > 127 || write(fd_, packet.data(), packet.size()) != (ssize_t)packet.size()) {
      return -1;
    }
    unsigned char connack[4];
    size_t got = 0;
    while (got < 4) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20000) != 1) return -1;
      ssize_t n = read(fd_, connack + got, 4 - got);
      if (n <= 0) return -1;
      got += n;
    }
    return connack[0] == 0x20 && connack[1] == 2 ? connack[3] : -1;
  }
  // Whether the broker closed the connection within the wait.
  bool WaitClosed() {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    char buf[256];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) == 1 && read(fd_, buf, sizeof buf) <= 0) return true;
    }
    return false;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::string Hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

// The credential the device registry would make for `secret`.
DeviceCredential Credential(const std::string& username, const std::string& secret,
                            bool enabled = true, unsigned char salt_byte = 0x5a) {
  unsigned char salt[16];
  std::fill(std::begin(salt), std::end(salt), salt_byte);
  std::string input(reinterpret_cast<char*>(salt), 16);
  input += secret;
  unsigned char hash[32];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), hash, &len, EVP_sha256(), nullptr);
  return DeviceCredential{username, Hex(salt, 16), Hex(hash, 32), enabled};
}

// --- what the callbacks saw ------------------------------------------------

class Recorder {
 public:
  void Connected() {
    std::lock_guard lock(mu_);
    ++connected_;
    cv_.notify_all();
  }
  void Presence(std::string_view username, bool online, int64_t time_ms) {
    std::lock_guard lock(mu_);
    presence_.emplace_back(std::string(username), online, time_ms > 1'700'000'000'000);
    cv_.notify_all();
  }
  bool WaitConnected(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return connected_ >= n; });
  }
  // `username`'s presence events once there are `n` (or after the wait):
  // (username, online, whether time looks like epoch ms). Other devices'
  // events (an earlier test's closing connections) are left out.
  using Event = std::tuple<std::string, bool, bool>;
  std::vector<Event> WaitPresence(const std::string& username, size_t n) {
    std::unique_lock lock(mu_);
    auto mine = [&] {
      std::vector<Event> out;
      for (const Event& e : presence_) {
        if (std::get<0>(e) == username) out.push_back(e);
      }
      return out;
    };
    cv_.wait_for(lock, kWait, [&] { return mine().size() >= n; });
    return mine();
  }
  int connected() {
    std::lock_guard lock(mu_);
    return connected_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int connected_ = 0;
  std::vector<Event> presence_;
};

std::unique_ptr<BrokerAdmin> StartAdmin(const BrokerAdminOptions& options, Recorder& r) {
  auto admin = BrokerAdmin::Start(
      options, [&r] { r.Connected(); },
      [&r](std::string_view u, bool online, int64_t t) { r.Presence(u, online, t); });
  EXPECT_TRUE(admin.ok()) << admin.status();
  return admin.ok() ? std::move(*admin) : nullptr;
}

class BrokerAdminTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = new Broker();
    ASSERT_TRUE(broker_->Start());
  }
  static void TearDownTestSuite() { delete broker_; }

  void SetUp() override {
    admin_ = StartAdmin(broker_->Options(), recorder_);
    ASSERT_NE(admin_, nullptr);
    ASSERT_TRUE(recorder_.WaitConnected(1));
    ASSERT_TRUE(admin_->connected());
  }

  int Connect(Device& d, const std::string& username, const std::string& secret,
              const std::string& client_id = "") {
    return d.Connect(broker_->port(), client_id.empty() ? username : client_id, username, secret);
  }

  static Broker* broker_;
  Recorder recorder_;
  std::unique_ptr<BrokerAdmin> admin_;
};
Broker* BrokerAdminTest::broker_ = nullptr;

TEST_F(BrokerAdminTest, OptionsComeFromBrokerEnv) {
  BrokerAdminOptions o = broker_->Options();
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, broker_->port());
  EXPECT_EQ(o.username, "qilian-admin");
  EXPECT_EQ(o.password.size(), 48u);  // 24 random octets in hex
  EXPECT_EQ(BrokerAdminOptionsFromEnvFile(broker_->dir() + "/nothing.env").status(),
            absl::NotFoundError("cannot read " + broker_->dir() + "/nothing.env"));
}

TEST_F(BrokerAdminTest, AnUpsertedDeviceConnectsAndItsPresenceIsReported) {
  ASSERT_EQ(admin_->Upsert({Credential("a1B2c3D4e5F/p-1", "secret-1")}), absl::OkStatus());
  Device wrong;
  EXPECT_EQ(Connect(wrong, "a1B2c3D4e5F/p-1", "secret-2", "p-1-wrong"), 5);
  Device d;
  EXPECT_EQ(Connect(d, "a1B2c3D4e5F/p-1", "secret-1"), 0);
  EXPECT_EQ(recorder_.WaitPresence("a1B2c3D4e5F/p-1", 1),
            (std::vector<Recorder::Event>{{"a1B2c3D4e5F/p-1", true, true}}));
  d.Close();
  EXPECT_EQ(recorder_.WaitPresence("a1B2c3D4e5F/p-1", 2),
            (std::vector<Recorder::Event>{{"a1B2c3D4e5F/p-1", true, true},
                                          {"a1B2c3D4e5F/p-1", false, true}}));
}

TEST_F(BrokerAdminTest, TwoConnectionsOfOneDeviceStayOnlineUntilTheLastCloses) {
  ASSERT_EQ(admin_->Upsert({Credential("a1B2c3D4e5F/p-2", "s")}), absl::OkStatus());
  Device a, b;
  EXPECT_EQ(Connect(a, "a1B2c3D4e5F/p-2", "s", "p-2-a"), 0);
  EXPECT_EQ(Connect(b, "a1B2c3D4e5F/p-2", "s", "p-2-b"), 0);
  recorder_.WaitPresence("a1B2c3D4e5F/p-2", 2);
  a.Close();
  recorder_.WaitPresence("a1B2c3D4e5F/p-2", 3);
  b.Close();
  EXPECT_EQ(recorder_.WaitPresence("a1B2c3D4e5F/p-2", 4),
            (std::vector<Recorder::Event>{{"a1B2c3D4e5F/p-2", true, true},
                                          {"a1B2c3D4e5F/p-2", true, true},
                                          {"a1B2c3D4e5F/p-2", true, true},
                                          {"a1B2c3D4e5F/p-2", false, true}}));
}

TEST_F(BrokerAdminTest, RemoveAndDisableCloseTheDeviceAtOnce) {
  ASSERT_EQ(admin_->Upsert({Credential("a1B2c3D4e5F/p-3", "s"), Credential("a1B2c3D4e5F/p-4", "s")}),
            absl::OkStatus());
  Device removed, disabled;
  ASSERT_EQ(Connect(removed, "a1B2c3D4e5F/p-3", "s"), 0);
  ASSERT_EQ(Connect(disabled, "a1B2c3D4e5F/p-4", "s"), 0);
  ASSERT_EQ(admin_->Remove({"a1B2c3D4e5F/p-3"}), absl::OkStatus());
  EXPECT_TRUE(removed.WaitClosed());
  ASSERT_EQ(admin_->Upsert({Credential("a1B2c3D4e5F/p-4", "s", /*enabled=*/false)}),
            absl::OkStatus());
  EXPECT_TRUE(disabled.WaitClosed());
  Device again;
  EXPECT_EQ(Connect(again, "a1B2c3D4e5F/p-3", "s"), 5);
}

TEST_F(BrokerAdminTest, ReplaceAllInChunksMakesTheSetExact) {
  BrokerAdminOptions options = broker_->Options();
  options.devices_per_command = 3;
  options.client_id = "chunky-admin";
  Recorder r;
  auto admin = StartAdmin(options, r);
  ASSERT_TRUE(r.WaitConnected(1));
  ASSERT_EQ(admin->Upsert({Credential("a1B2c3D4e5F/old", "s")}), absl::OkStatus());
  Device old;
  ASSERT_EQ(Connect(old, "a1B2c3D4e5F/old", "s"), 0);
  std::vector<DeviceCredential> set;
  for (int i = 0; i < 10; ++i) set.push_back(Credential("a1B2c3D4e5F/r-" + std::to_string(i), "s"));
  ASSERT_EQ(admin->ReplaceAll(set), absl::OkStatus());
  EXPECT_TRUE(old.WaitClosed());
  auto stats = admin->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->devices, 10);
  EXPECT_EQ(stats->enabled, 10);
  EXPECT_EQ(stats->connections, 0);
  Device d;
  EXPECT_EQ(Connect(d, "a1B2c3D4e5F/r-9", "s"), 0);

  // A bad device in the third chunk: nothing of the new set is applied.
  set[7].salt_hex = "00";
  set.push_back(Credential("a1B2c3D4e5F/extra", "s"));
  EXPECT_EQ(admin->ReplaceAll(set),
            absl::InvalidArgumentError(
                "broker: replaceAll: devices[1].salt: must be 32 hex digits (replaceAll "
                "transaction 'chunky-admin-2' abandoned) (in the command of devices 6..8)"));
  stats = admin->GetStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->devices, 10);
  EXPECT_EQ(stats->connections, 1);
}

TEST_F(BrokerAdminTest, RefusalsCarryTheBrokersMessage) {
  DeviceCredential bad = Credential("a1B2c3D4e5F/bad", "s");
  bad.hash_hex = "xyz";
  EXPECT_EQ(admin_->Upsert({bad}),
            absl::InvalidArgumentError(
                "broker: upsertDevices: devices[0].hash: must be 64 hex digits (SHA-256)"));
  EXPECT_EQ(admin_->Remove({"not-a-device"}),
            absl::InvalidArgumentError(
                "broker: removeDevices: usernames[0]: 'not-a-device' is not a device username"));

  BrokerAdminOptions options = broker_->Options();
  options.devices_per_command = 2;
  options.client_id = "small-admin";
  Recorder r;
  auto admin = StartAdmin(options, r);
  ASSERT_TRUE(r.WaitConnected(1));
  std::vector<DeviceCredential> four;
  for (int i = 0; i < 4; ++i) four.push_back(Credential("a1B2c3D4e5F/q-" + std::to_string(i), "s"));
  four[3].enabled = true;
  four[3].salt_hex = "0";
  EXPECT_EQ(admin->Upsert(four),
            absl::InvalidArgumentError("broker: upsertDevices: devices[1].salt: must be 32 hex "
                                       "digits (in the command of devices 2..3)"));
}

TEST_F(BrokerAdminTest, AWrongPasswordIsReportedInEveryRefusal) {
  BrokerAdminOptions options = broker_->Options();
  options.password = "wrong";
  options.client_id = "wrong-admin";
  Recorder r;
  auto admin = StartAdmin(options, r);
  ASSERT_NE(admin, nullptr);
  // Bounded wait for the broker's CONNACK to have come back.
  std::string last;
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline &&
         last.find("refused") == std::string::npos) {
    last = std::string(admin->GetStats().status().message());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(last, "broker: not connected to 127.0.0.1:" + std::to_string(broker_->port()) +
                      " (the broker refused the admin: Connection Refused: not authorised.)");
  EXPECT_EQ(admin->GetStats().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(admin->connected());
  EXPECT_EQ(r.connected(), 0);
}

TEST(BrokerAdminRestart, UnavailableWhileTheBrokerIsDownThenReconnectsAndAsksAgain) {
  Broker broker;
  ASSERT_TRUE(broker.Start());
  const int port = broker.port();
  BrokerAdminOptions options = broker.Options();
  broker.Stop();

  Recorder r;
  auto admin = StartAdmin(options, r);
  ASSERT_NE(admin, nullptr);
  absl::Status down = admin->Upsert({Credential("a1B2c3D4e5F/r", "s")});
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(down.message().substr(0, 40), "broker: not connected to 127.0.0.1:" + std::to_string(port));

  ASSERT_TRUE(broker.Start(std::to_string(port)));
  ASSERT_TRUE(r.WaitConnected(1));
  ASSERT_EQ(admin->Upsert({Credential("a1B2c3D4e5F/r", "s")}), absl::OkStatus());

  broker.Stop();  // the plugin saves its table at cleanup
  ASSERT_TRUE(broker.Start(std::to_string(port)));
  ASSERT_TRUE(r.WaitConnected(2));  // the caller's cue to ReplaceAll
  EXPECT_EQ(r.connected(), 2);
  auto stats = admin->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->devices, 1);  // kept across the restart
  Device d;
  EXPECT_EQ(d.Connect(port, "r", "a1B2c3D4e5F/r", "s"), 0);
}

}  // namespace
}  // namespace qilian::platform
