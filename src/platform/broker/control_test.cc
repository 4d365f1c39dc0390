#include "platform/broker/control.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qilian::broker {
namespace {

using nlohmann::json;

constexpr char kA[] = "a1B2c3D4e5F/dev-a";
constexpr char kB[] = "a1B2c3D4e5F/dev-b";
constexpr char kC[] = "a1B2c3D4e5F/dev-c";
const std::string kSalt(32, '1');
const std::string kHash(64, '2');
const std::string kOtherHash(64, '3');

json Device(const std::string& username, const std::string& hash = kHash, bool enabled = true) {
  return {{"username", username}, {"salt", kSalt}, {"hash", hash}, {"enabled", enabled}};
}

class ControlTest : public ::testing::Test {
 protected:
  // Sends `commands` as the admin (or not) and returns the responses.
  json Send(const json& commands, bool authorised = true) {
    last_ = control_.Handle(json{{"commands", commands}}.dump(), authorised);
    return json::parse(last_.response)["responses"];
  }
  json SendOne(const json& command) { return Send(json::array({command}))[0]; }

  std::vector<std::string> Usernames() const {
    std::vector<std::string> out;
    for (const auto& [u, r] : table_.devices()) out.push_back(u);
    std::sort(out.begin(), out.end());
    return out;
  }

  DeviceTable table_;
  ControlProcessor control_{table_, [] { return json{{"connections", 3}}; }};
  ControlOutcome last_;
};

TEST_F(ControlTest, UpsertAddsUpdatesAndRevokesOnlyChangedKeysOrDisabled) {
  EXPECT_EQ(SendOne({{"command", "upsertDevices"}, {"correlationData", "c1"},
                     {"devices", {Device(kA), Device(kB), Device(kC)}}}),
            json::parse(R"({"command":"upsertDevices","correlationData":"c1",
                            "data":{"added":3,"updated":0,"unchanged":0,"revoked":0}})"));
  EXPECT_TRUE(last_.changed);
  EXPECT_TRUE(last_.disconnect.empty());
  EXPECT_EQ(table_.size(), 3u);
  ASSERT_NE(table_.Find(kA), nullptr);
  EXPECT_EQ(table_.Find(kA)->salt[0], 0x11);
  EXPECT_EQ(table_.Find(kA)->hash[31], 0x22);

  // kA re-keyed, kB disabled, kC as it was.
  EXPECT_EQ(SendOne({{"command", "upsertDevices"},
                     {"devices", {Device(kA, kOtherHash), Device(kB, kHash, false), Device(kC)}}}),
            json::parse(R"({"command":"upsertDevices",
                            "data":{"added":0,"updated":2,"unchanged":1,"revoked":2}})"));
  std::sort(last_.disconnect.begin(), last_.disconnect.end());
  EXPECT_EQ(last_.disconnect, (std::vector<std::string>{kA, kB}));
  EXPECT_FALSE(table_.Find(kB)->enabled);

  // Enabling again changes the table but closes nothing.
  EXPECT_EQ(SendOne({{"command", "upsertDevices"}, {"devices", {Device(kB)}}})["data"],
            json::parse(R"({"added":0,"updated":1,"unchanged":0,"revoked":0})"));
  EXPECT_TRUE(last_.changed);
  EXPECT_TRUE(last_.disconnect.empty());

  SendOne({{"command", "upsertDevices"}, {"devices", {Device(kC)}}});
  EXPECT_FALSE(last_.changed);
}

TEST_F(ControlTest, ABadDeviceRefusesTheWholeUpsertByName) {
  SendOne({{"command", "upsertDevices"}, {"devices", {Device(kA)}}});
  struct Case {
    json device;
    std::string error;
  } cases[] = {
      {Device("admin"),
       "devices[1].username: 'admin' is not {productKey}/{deviceId} (11 of [A-Za-z0-9], '/', 1 "
       "to 64 of [A-Za-z0-9_-] starting with a letter or digit)"},
      {json{{"username", kC}, {"salt", kSalt.substr(2)}, {"hash", kHash}, {"enabled", true}},
       "devices[1].salt: must be 32 hex digits"},
      {json{{"username", kC}, {"salt", kSalt}, {"hash", "zz" + kHash.substr(2)}, {"enabled", true}},
       "devices[1].hash: must be 64 hex digits (SHA-256)"},
      {json{{"username", kC}, {"salt", kSalt}, {"hash", kHash}, {"enabled", 1}},
       "devices[1].enabled: must be true or false"},
      {json{{"username", kC}, {"salt", kSalt}, {"hash", kHash}},
       "devices[1].enabled: must be true or false"},
      {json{{"username", kC}, {"salt", kSalt}, {"hash", kHash}, {"enabled", true}, {"secret", "x"}},
       "devices[1]: unknown field 'secret'"},
      {json{{"username", 5}, {"salt", kSalt}, {"hash", kHash}, {"enabled", true}},
       "devices[1].username: must be a string"},
      {json("a1B2c3D4e5F/dev-c"), "devices[1]: must be an object"},
      {Device(kB), "devices[1].username: 'a1B2c3D4e5F/dev-b' appears twice"},
  };
  for (const Case& c : cases) {
    json r = SendOne({{"command", "upsertDevices"},
                      {"devices", {Device(kB, kOtherHash), c.device}}});
    EXPECT_EQ(r, (json{{"command", "upsertDevices"}, {"error", c.error},
                       {"code", "invalid_argument"}}))
        << c.device;
    EXPECT_FALSE(last_.changed);
    EXPECT_EQ(Usernames(), (std::vector<std::string>{kA}));
  }
  EXPECT_EQ(SendOne({{"command", "upsertDevices"}})["error"], "devices: missing");
  EXPECT_EQ(SendOne({{"command", "upsertDevices"}, {"devices", "x"}})["error"],
            "devices: must be an array");
  EXPECT_EQ(SendOne({{"command", "upsertDevices"}, {"devices", json::array()}, {"dry", true}})["error"],
            "unknown field 'dry'");
}

TEST_F(ControlTest, RemoveRevokesWhatWasThere) {
  SendOne({{"command", "upsertDevices"}, {"devices", {Device(kA), Device(kB)}}});
  EXPECT_EQ(SendOne({{"command", "removeDevices"}, {"usernames", {kA, kC}}})["data"],
            json::parse(R"({"removed":1,"absent":1,"revoked":1})"));
  EXPECT_EQ(last_.disconnect, (std::vector<std::string>{kA}));
  EXPECT_TRUE(last_.changed);
  EXPECT_EQ(Usernames(), (std::vector<std::string>{kB}));

  json bad = SendOne({{"command", "removeDevices"}, {"usernames", {kB, "qilian-admin"}}});
  EXPECT_EQ(bad["error"], "usernames[1]: 'qilian-admin' is not a device username");
  EXPECT_EQ(bad["code"], "invalid_argument");
  EXPECT_EQ(Usernames(), (std::vector<std::string>{kB}));  // kB stays: all or nothing
  EXPECT_EQ(SendOne({{"command", "removeDevices"}})["error"], "usernames: must be an array");
  EXPECT_EQ(SendOne({{"command", "removeDevices"}, {"usernames", {1}}})["error"],
            "usernames[0]: must be a string");
}

TEST_F(ControlTest, ReplaceAllInOneCommandMakesTheSetExact) {
  SendOne({{"command", "upsertDevices"}, {"devices", {Device(kA), Device(kB)}}});
  EXPECT_EQ(SendOne({{"command", "replaceAll"}, {"devices", {Device(kB, kOtherHash), Device(kC)}}})
                ["data"],
            json::parse(R"({"devices":2,"added":1,"updated":1,"unchanged":0,"removed":1,
                            "revoked":2})"));
  std::sort(last_.disconnect.begin(), last_.disconnect.end());
  EXPECT_EQ(last_.disconnect, (std::vector<std::string>{kA, kB}));
  EXPECT_EQ(Usernames(), (std::vector<std::string>{kB, kC}));

  SendOne({{"command", "replaceAll"}, {"devices", {Device(kB, kOtherHash), Device(kC)}}});
  EXPECT_FALSE(last_.changed);
  EXPECT_TRUE(last_.disconnect.empty());
}

TEST_F(ControlTest, ReplaceAllInChunks) {
  SendOne({{"command", "upsertDevices"}, {"devices", {Device(kA)}}});
  auto phase = [](const char* p, const char* tx) {
    return json{{"command", "replaceAll"}, {"phase", p}, {"transaction", tx}};
  };
  EXPECT_EQ(SendOne(phase("begin", "t1"))["data"],
            json::parse(R"({"transaction":"t1","discarded":null})"));
  json chunk = phase("chunk", "t1");
  chunk["devices"] = {Device(kB)};
  EXPECT_EQ(SendOne(chunk)["data"], json::parse(R"({"transaction":"t1","staged":1})"));
  chunk["devices"] = {Device(kC)};
  EXPECT_EQ(SendOne(chunk)["data"], json::parse(R"({"transaction":"t1","staged":2})"));
  EXPECT_EQ(control_.staged_transaction(), "t1");
  EXPECT_EQ(Usernames(), (std::vector<std::string>{kA}));  // nothing before the commit

  json wrong = SendOne(phase("commit", "t2"));
  EXPECT_EQ(wrong["error"], "no replaceAll transaction 't2' in progress (the one in progress is 't1')");
  EXPECT_EQ(wrong["code"], "failed_precondition");

  EXPECT_EQ(SendOne(phase("commit", "t1"))["data"],
            json::parse(R"({"transaction":"t1","devices":2,"added":2,"updated":0,"unchanged":0,
                            "removed":1,"revoked":1})"));
  EXPECT_EQ(last_.disconnect, (std::vector<std::string>{kA}));
  EXPECT_EQ(Usernames(), (std::vector<std::string>{kB, kC}));
  EXPECT_EQ(control_.staged_transaction(), std::nullopt);
  EXPECT_EQ(SendOne(phase("commit", "t1"))["error"], "no replaceAll transaction 't1' in progress");
}

TEST_F(ControlTest, ABadChunkAbandonsTheTransaction) {
  SendOne({{"command", "replaceAll"}, {"phase", "begin"}, {"transaction", "t1"}});
  json chunk = {{"command", "replaceAll"}, {"phase", "chunk"}, {"transaction", "t1"},
                {"devices", {Device(kA)}}};
  SendOne(chunk);
  json again = SendOne(chunk);  // kA twice across chunks
  EXPECT_EQ(again["error"],
            "devices[0].username: 'a1B2c3D4e5F/dev-a' appears twice (replaceAll transaction 't1' "
            "abandoned)");
  EXPECT_EQ(SendOne({{"command", "replaceAll"}, {"phase", "commit"}, {"transaction", "t1"}})["code"],
            "failed_precondition");
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(ControlTest, BeginDiscardsAnUnfinishedTransactionAndAbortDropsIt) {
  json chunk = {{"command", "replaceAll"}, {"phase", "chunk"}, {"transaction", "t1"},
                {"devices", {Device(kA)}}};
  SendOne({{"command", "replaceAll"}, {"phase", "begin"}, {"transaction", "t1"}});
  SendOne(chunk);
  EXPECT_EQ(SendOne({{"command", "replaceAll"}, {"phase", "begin"}, {"transaction", "t2"}})["data"],
            json::parse(R"({"transaction":"t2","discarded":"t1"})"));
  EXPECT_EQ(SendOne({{"command", "replaceAll"}, {"phase", "abort"}, {"transaction", "t2"}})["data"],
            json::parse(R"({"transaction":"t2","discarded":0})"));
  EXPECT_EQ(control_.staged_transaction(), std::nullopt);
  EXPECT_EQ(SendOne({{"command", "replaceAll"}, {"phase", "end"}, {"transaction", "t2"}})["error"],
            "phase: 'end' is not \"begin\", \"chunk\", \"commit\" or \"abort\"");
  EXPECT_EQ(SendOne({{"command", "replaceAll"}, {"phase", "begin"}})["error"],
            "transaction: must be a string of 1 to 64 characters");
  EXPECT_EQ(SendOne({{"command", "replaceAll"}, {"phase", "begin"}, {"transaction", "t"},
                     {"devices", json::array()}})["error"],
            "unknown field 'devices'");
}

TEST_F(ControlTest, MalformedMessagesChangeNothing) {
  SendOne({{"command", "upsertDevices"}, {"devices", {Device(kA)}}});
  for (std::string payload : {"", "{", "[]", "{\"commands\": {}}", "{\"command\": \"getStats\"}"}) {
    ControlOutcome out = control_.Handle(payload, true);
    EXPECT_EQ(json::parse(out.response),
              json::parse(R"({"responses":[{"command":"","error":"the payload is not a JSON object )"
                          R"(with a \"commands\" array","code":"invalid_argument"}]})"))
        << payload;
    EXPECT_FALSE(out.changed);
    EXPECT_TRUE(out.disconnect.empty());
  }
  EXPECT_EQ(Usernames(), (std::vector<std::string>{kA}));
}

TEST_F(ControlTest, EachCommandAnsweredInOrder) {
  json r = Send(json::array({json{{"command", "nope"}, {"correlationData", "1"}},
                             json("getStats"),
                             json{{"command", "getStats"}, {"correlationData", 7}},
                             json{{"command", "upsertDevices"}, {"devices", {Device(kA)}}}}));
  EXPECT_EQ(r, json::parse(R"([
      {"command":"nope","correlationData":"1","error":"unknown command 'nope'","code":"invalid_argument"},
      {"command":"","error":"a command must be an object with a \"command\" string","code":"invalid_argument"},
      {"command":"getStats","error":"correlationData: must be a string","code":"invalid_argument"},
      {"command":"upsertDevices","data":{"added":1,"updated":0,"unchanged":0,"revoked":0}}])"));
}

TEST_F(ControlTest, OnlyTheAdminMayChangeAnything) {
  json r = Send(json::array({json{{"command", "upsertDevices"}, {"correlationData", "x"},
                                  {"devices", {Device(kA)}}},
                             json{{"command", "getStats"}}}),
                /*authorised=*/false);
  EXPECT_EQ(r, json::parse(R"([
      {"command":"upsertDevices","correlationData":"x","code":"permission_denied",
       "error":"not authorised: only the admin client may send commands"},
      {"command":"getStats","code":"permission_denied",
       "error":"not authorised: only the admin client may send commands"}])"));
  EXPECT_FALSE(last_.changed);
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(json::parse(control_.Handle("garbage", false).response)["responses"][0]["code"],
            "permission_denied");
}

TEST_F(ControlTest, GetStatsCountsAndAddsRuntimeFigures) {
  SendOne({{"command", "upsertDevices"}, {"devices", {Device(kA), Device(kB, kHash, false)}}});
  SendOne({{"command", "replaceAll"}, {"phase", "begin"}, {"transaction", "t9"}});
  EXPECT_EQ(SendOne({{"command", "getStats"}})["data"],
            json::parse(R"({"devices":2,"enabled":1,"connections":3,
                            "replaceAll":{"transaction":"t9","staged":0}})"));
}

TEST_F(ControlTest, TenThousandDevicesInOneUpsert) {
  json devices = json::array();
  for (int i = 0; i < 10000; ++i) devices.push_back(Device("a1B2c3D4e5F/d" + std::to_string(i)));
  EXPECT_EQ(SendOne({{"command", "upsertDevices"}, {"devices", devices}})["data"],
            json::parse(R"({"added":10000,"updated":0,"unchanged":0,"revoked":0})"));
  EXPECT_EQ(table_.size(), 10000u);
}

}  // namespace
}  // namespace qilian::broker
