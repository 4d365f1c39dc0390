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

// 2026-12-07T12:00:00Z, the injected wall clock of the simulated-clock tests.
constexpr int64_t kNowMs = 1796644800000;
constexpr int64_t kDayMs = 86400000;

absl::StatusOr<Options> ParseAt(std::vector<const char*> args) {
  args.insert(args.begin(), "qilian-devsim");
  return ParseOptions(static_cast<int>(args.size()), args.data(), kNowMs);
}

TEST(OptionsTest, SimStartForms) {
  EXPECT_EQ(*ParseSimStart("1796558400000", kNowMs), kNowMs - kDayMs);
  EXPECT_EQ(*ParseSimStart("2026-12-06T12:00:00Z", kNowMs), kNowMs - kDayMs);
  EXPECT_EQ(*ParseSimStart("2026-12-06T13:00:00.250+01:00", kNowMs), kNowMs - kDayMs + 250);
  EXPECT_EQ(*ParseSimStart("now-1d", kNowMs), kNowMs - kDayMs);
  EXPECT_EQ(*ParseSimStart("now-90m", kNowMs), kNowMs - 5400000);
  EXPECT_EQ(*ParseSimStart("now-1.5h", kNowMs), kNowMs - 5400000);
  EXPECT_EQ(*ParseSimStart("now-30s", kNowMs), kNowMs - 30000);
  EXPECT_EQ(*ParseSimStart("now-250ms", kNowMs), kNowMs - 250);
  EXPECT_EQ(*ParseSimStart("now", kNowMs), kNowMs);
  for (const char* bad : {"", "yesterday", "now-1w", "now-", "now+1d", "now--1d", "-5",
                          "2026-12-06", "1969-12-31T23:59:59Z", "99999999999999999999"}) {
    auto ms = ParseSimStart(bad, kNowMs);
    ASSERT_FALSE(ms.ok()) << bad;
    EXPECT_EQ(std::string(ms.status().message()),
              std::string("--sim-start ") + bad +
                  ": give epoch milliseconds, an RFC 3339 time (2026-12-06T00:00:00Z) or "
                  "now-<N><s|m|h|d> (now-1d)");
  }
}

TEST(OptionsTest, SimClockOfADay) {
  auto o = ParseAt({"--fleet", "f", "--sim-start", "now-1d", "--time-scale", "8640",
                    "--duration", "10", "--row-seconds", "10", "--format", "batch"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->sim_start_ms, kNowMs - kDayMs);
  EXPECT_EQ(o->row_seconds, 10);
  // The simulated clock may end exactly at the wall clock of the parse (the
  // run starts later), never past it.
  EXPECT_TRUE(ParseAt({"--fleet", "f", "--sim-start", "now-1d", "--time-scale", "8641",
                       "--duration", "10"})
                  .ok());
  auto refused = ParseAt({"--fleet", "f", "--sim-start", "now-1d", "--time-scale", "8640",
                          "--duration", "20"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(std::string(refused.status().message()),
            "--sim-start 2026-12-06T12:00:00.000Z with --time-scale 8640: the simulated clock "
            "would catch up with real time after 10.0012 s of the --duration 20 s, and the "
            "platform refuses future timestamps: shorten --duration to at most 10.0012 s, start "
            "earlier or lower --time-scale");
  // At --time-scale 1 or less the simulated clock never gains on real time.
  EXPECT_TRUE(ParseAt({"--fleet", "f", "--sim-start", "now-1s", "--duration", "600"}).ok());
}

TEST(OptionsTest, SimClockChecks) {
  auto refused = [](std::vector<const char*> args, std::string_view message) {
    auto o = ParseAt(args);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(o.status().message()), message);
  };
  refused({"--fleet", "f", "--sim-start", "2026-12-07T12:00:01Z"},
          "--sim-start 2026-12-07T12:00:01.000Z is in the future (now "
          "2026-12-07T12:00:00.000Z): the platform refuses future timestamps");
  refused({"--fleet", "f", "--sim-start", "now-1d", "--message-rate", "10"},
          "--sim-start paces rows on the simulated clock: give --rate or --row-seconds, not "
          "--message-rate");
  refused({"--sink", "--topic-filter", "#", "--sim-start", "now-1d"},
          "--sim-start applies to publishing, not --sink");
  refused({"--fleet", "f", "--row-seconds", "1", "--rate", "3"},
          "--row-seconds sets the rate: it excludes --rate and --message-rate");
  refused({"--fleet", "f", "--row-seconds", "0.0001"}, "--row-seconds: must be 0.001 to 86400");
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
