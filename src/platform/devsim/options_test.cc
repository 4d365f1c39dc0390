#include "platform/devsim/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace qilian::platform::devsim {
namespace {

absl::StatusOr<Options> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "qilian-devsim");
  return ParseOptions(static_cast<int>(args.size()), args.data());
}

void ExpectRefused(std::vector<const char*> args, std::string_view message) {
  auto o = Parse(args);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(o.status().message()), message);
}

TEST(OptionsTest, GenerateWithAStarterByPartOfItsName) {
  auto o = Parse({"--generate", "10", "--starter", "pump", "--product-key", "a1B2c3D4e5F",
                  "--format", "batch", "--batch-samples", "500", "--qos", "1", "--fault",
                  "dropout=0.1", "--threads", "2"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->generate, 10u);
  EXPECT_EQ(o->starter, "centrifugal_pump");
  EXPECT_EQ(o->format, Format::kBatch);
  EXPECT_EQ(o->batch_samples, 500u);
  EXPECT_EQ(o->qos, 1);
  EXPECT_EQ(o->faults.fraction[3], 0.1);
  EXPECT_EQ(o->threads, 2);
  EXPECT_EQ(o->host, "127.0.0.1");
}

TEST(OptionsTest, LoopbackOnly) {
  ExpectRefused({"--fleet", "f.csv", "--host", "10.0.0.1"},
                "--host 10.0.0.1: qilian-devsim only connects to a broker on this machine "
                "(127.0.0.0/8 or ::1)");
  ExpectRefused({"--fleet", "f.csv", "--host", "example.com"},
                "--host example.com: qilian-devsim only connects to a broker on this machine "
                "(127.0.0.0/8 or ::1)");
  EXPECT_TRUE(Parse({"--fleet", "f.csv", "--host", "127.0.0.5"}).ok());
  EXPECT_TRUE(Parse({"--fleet", "f.csv", "--host", "::1"}).ok());
}

TEST(OptionsTest, ArgumentChecks) {
  ExpectRefused({}, "give the fleet: either --fleet FILE or --generate N (or --sink)");
  ExpectRefused({"--fleet", "f", "--generate", "3"},
                "give the fleet: either --fleet FILE or --generate N (or --sink)");
  ExpectRefused({"--generate", "3", "--product-key", "a1B2c3D4e5F"},
                "--generate needs --starter ID or --model @FILE (the devices' thing model)");
  ExpectRefused({"--generate", "3", "--starter", "motor"}, "--generate needs --product-key KEY");
  ExpectRefused({"--generate", "3", "--starter", "motor", "--product-key", "short"},
                "--product-key: product key 'short': must be 11 characters of [A-Za-z0-9]");
  ExpectRefused({"--generate", "3", "--starter", "boiler", "--product-key", "a1B2c3D4e5F"},
                "--starter boiler: no such starter product (centrifugal_pump, motor, "
                "air_compressor, rotary_kiln, electrolytic_cell, cnc_machine, reactor)");
  ExpectRefused({"--fleet", "f", "--fleet-out", "g"},
                "--fleet-out writes a generated fleet: it needs --generate");
  ExpectRefused({"--fleet", "f", "--rate", "5", "--message-rate", "100"},
                "--rate (values/s per device) and --message-rate (messages/s overall) exclude "
                "each other");
  ExpectRefused({"--fleet", "f", "--rate", "0"}, "--rate: must be more than 0");
  ExpectRefused({"--fleet", "f", "--batch-samples", "0"}, "--batch-samples: must be 1 to 65535");
  ExpectRefused({"--fleet", "f", "--batch-samples", "65536"},
                "--batch-samples: must be 1 to 65535");
  ExpectRefused({"--fleet", "f", "--qos", "2"}, "--qos: must be 0 or 1");
  ExpectRefused({"--fleet", "f", "--duration", "0"},
                "--duration: must be more than 0 and at most 604800 seconds (the simulator "
                "always stops by itself)");
  ExpectRefused({"--fleet", "f", "--threads", "0"}, "--threads: must be 1 to 256");
  ExpectRefused({"--fleet", "f", "--fault", "melt=0.1"},
                "--fault: unknown fault 'melt' (bearing-wear, overheating, stuck-sensor, dropout)");
  ExpectRefused({"--sink"}, "--sink needs at least one --topic-filter");
  ExpectRefused({"--sink", "--fleet", "f", "--topic-filter", "#"},
                "--sink takes no fleet (--fleet, --generate)");
  ExpectRefused({"--fleet", "f", "--format", "xml"},
                "--format: xml not in {json,batch}");
}

TEST(OptionsTest, HelpIsCancelledWithTheText) {
  auto o = Parse({"--help"});
  ASSERT_EQ(o.status().code(), absl::StatusCode::kCancelled);
  EXPECT_NE(o.status().message().find("--batch-samples"), std::string_view::npos);
}

TEST(OptionsTest, BrokerEnv) {
  auto o = Parse({"--sink", "--topic-filter", "$share/bench/#"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(ApplyBrokerEnv("QILIAN_BROKER_HOST='127.0.0.1'\nQILIAN_BROKER_PORT='18830'\n"
                             "QILIAN_BROKER_ADMIN_USER='qilian-admin'\n"
                             "QILIAN_BROKER_ADMIN_PASSWORD_FILE='/tmp/b/admin.password'\n",
                             &*o)
                  .ok());
  EXPECT_EQ(o->port, 18830);
  EXPECT_EQ(o->username, "qilian-admin");
  EXPECT_EQ(o->password_file, "/tmp/b/admin.password");
  EXPECT_EQ(ApplyBrokerEnv("QILIAN_BROKER_HOST='10.1.1.1'\nQILIAN_BROKER_PORT='1883'\n", &*o)
                .message(),
            "broker.env: QILIAN_BROKER_HOST 10.1.1.1 is not loopback");
  EXPECT_EQ(ApplyBrokerEnv("QILIAN_BROKER_HOST='127.0.0.1'\n", &*o).message(),
            "broker.env: QILIAN_BROKER_HOST or QILIAN_BROKER_PORT missing");
}

}  // namespace
}  // namespace qilian::platform::devsim
