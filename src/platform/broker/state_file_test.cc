#include "platform/broker/state_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace qilian::broker {
namespace {

DeviceTable::Map Sample() {
  DeviceTable::Map m;
  DeviceRecord a;
  a.salt.fill(0xab);
  a.hash.fill(0x01);
  DeviceRecord b = a;
  b.hash[31] = 0xff;
  b.enabled = false;
  m.emplace("a1B2c3D4e5F/dev-1", a);
  m.emplace("ZZZZZZZZZZZ/x_y-z", b);
  return m;
}

std::string Sealed(std::string body) {
  SealState(body);
  return body;
}

TEST(StateFile, RoundTrip) {
  DeviceTable::Map in = Sample(), out;
  StateLoad load = DecodeState(Sealed(EncodeStateBody(in)), out);
  EXPECT_EQ(load.kind, StateLoad::kLoaded) << load.error;
  EXPECT_EQ(out, in);

  DeviceTable::Map empty;
  EXPECT_EQ(DecodeState(Sealed(EncodeStateBody(empty)), out).kind, StateLoad::kLoaded);
  EXPECT_TRUE(out.empty());
}

TEST(StateFile, FormatIsOneLinePerDevice) {
  DeviceTable::Map one;
  DeviceRecord r;
  r.salt.fill(0xab);
  r.hash.fill(0x01);
  one.emplace("a1B2c3D4e5F/dev-1", r);
  std::string body = EncodeStateBody(one);
  EXPECT_EQ(body,
            "qilian-broker-devices v1\n"
            "count 1\n"
            "a1B2c3D4e5F/dev-1 abababababababababababababababab "
            "0101010101010101010101010101010101010101010101010101010101010101 1\n");
  std::string sealed = Sealed(body);
  EXPECT_EQ(sealed.substr(body.size(), 7), "sha256 ");
  EXPECT_EQ(sealed.size(), body.size() + 7 + 64 + 1);
}

// A body whose seal is right but whose content is wrong, so that the line
// checks (not only the checksum) are what refuses it.
StateLoad DecodeResealed(const std::string& body) {
  DeviceTable::Map out;
  StateLoad load = DecodeState(Sealed(body), out);
  EXPECT_TRUE(out.empty());
  return load;
}

TEST(StateFile, EachBrokenFieldIsNamed) {
  const std::string salt(32, 'a'), hash(64, 'b');
  const std::string line = "a1B2c3D4e5F/dev-1 " + salt + " " + hash + " 1\n";
  struct Case {
    std::string body, error;
  } cases[] = {
      {"qilian-broker-devices v2\ncount 0\n", "line 1: not \"qilian-broker-devices v1\""},
      {"qilian-broker-devices v1\ncnt 0\n", "line 2: not \"count N\""},
      {"qilian-broker-devices v1\ncount x\n", "line 2: the count is not a number of at most 1000000"},
      {"qilian-broker-devices v1\ncount 1000001\n", "line 2: the count is not a number of at most 1000000"},
      {"qilian-broker-devices v1\ncount 2\n" + line, "line 4: missing: the file holds fewer devices than its count"},
      {"qilian-broker-devices v1\ncount 0\n" + line, "line 3: more devices than the count says"},
      {"qilian-broker-devices v1\ncount 1\nadmin " + salt + " " + hash + " 1\n", "line 3: not a device username"},
      {"qilian-broker-devices v1\ncount 1\na1B2c3D4e5F/dev-1 " + salt.substr(1) + " " + hash + " 1\n", "line 3: bad salt"},
      {"qilian-broker-devices v1\ncount 1\na1B2c3D4e5F/dev-1 " + salt + " " + hash + "0 1\n", "line 3: bad hash"},
      {"qilian-broker-devices v1\ncount 1\na1B2c3D4e5F/dev-1 " + salt + " " + hash + " 2\n", "line 3: enabled is not 0 or 1"},
      {"qilian-broker-devices v1\ncount 1\na1B2c3D4e5F/dev-1 " + salt + " " + hash + "\n", "line 3: not \"username salt hash enabled\""},
      {"qilian-broker-devices v1\ncount 2\n" + line + line, "line 4: a username twice"},
  };
  for (const Case& c : cases) {
    StateLoad load = DecodeResealed(c.body);
    EXPECT_EQ(load.kind, StateLoad::kCorrupt) << c.body;
    EXPECT_EQ(load.error, c.error) << c.body;
  }
}

TEST(StateFile, AnyFlippedByteOrTruncationIsCorrupt) {
  std::string good = Sealed(EncodeStateBody(Sample()));
  DeviceTable::Map out;
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x04;
    EXPECT_EQ(DecodeState(bad, out).kind, StateLoad::kCorrupt) << "byte " << i;
    EXPECT_TRUE(out.empty());
  }
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(DecodeState(good.substr(0, n), out).kind, StateLoad::kCorrupt) << "length " << n;
  }
  EXPECT_EQ(DecodeState(good.substr(0, good.size() - 1), out).error,
            "the \"sha256\" line is not 64 hex digits and a newline");
  EXPECT_EQ(DecodeState("", out).error, "no \"sha256\" line at the end (truncated?)");
}

class StateFileOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/qilian-state-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/devices.state";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_, path_;
};

TEST_F(StateFileOnDisk, WrittenAtomicallyAndLoaded) {
  DeviceTable::Map out;
  EXPECT_EQ(LoadStateFile(path_, out).kind, StateLoad::kMissing);
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(path_, Sealed(EncodeStateBody(Sample())), error)) << error;
  EXPECT_NE(access((path_ + ".tmp").c_str(), F_OK), 0);  // renamed away
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(LoadStateFile(path_, out).kind, StateLoad::kLoaded);
  EXPECT_EQ(out, Sample());
}

TEST_F(StateFileOnDisk, ACorruptFileLoadsNothing) {
  std::string good = Sealed(EncodeStateBody(Sample()));
  std::ofstream(path_, std::ios::binary) << good.substr(0, good.size() / 2);
  DeviceTable::Map out;
  StateLoad load = LoadStateFile(path_, out);
  EXPECT_EQ(load.kind, StateLoad::kCorrupt);
  EXPECT_EQ(load.error, "no \"sha256\" line at the end (truncated?)");
  EXPECT_TRUE(out.empty());
}

TEST_F(StateFileOnDisk, AFailedWriteLeavesTheOldFile) {
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(path_, "old", error));
  ASSERT_EQ(mkdir((path_ + ".tmp").c_str(), 0700), 0);  // the temporary file cannot be made
  EXPECT_FALSE(WriteFileAtomically(path_, "new", error));
  EXPECT_EQ(error, "open " + path_ + ".tmp: Is a directory");
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "old");
}

}  // namespace
}  // namespace qilian::broker
