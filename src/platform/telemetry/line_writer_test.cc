#include "platform/telemetry/line_writer.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/memory_store.h"

namespace qilian::platform::telemetry {
namespace {

using tsdb::Engine;
using tsdb::LabelSet;
using tsdb::Point;

constexpr uint64_t kEnterprise = 3;

class LineWriterTest : public ::testing::Test {
 protected:
  LineWriterTest()
      : store_(store::NewMemoryStore(
            {.spaces = {std::string(tsdb::kTsdbSpace), std::string(tsdb::kTsdbWalSpace)}})),
        engine_(*Engine::Open(store_.get())) {}

  LineWriteOutcome Write(std::string_view body, uint64_t max_series = 100) {
    lp::ParseOptions options;
    options.precision = lp::Precision::kMilliseconds;
    options.now_ms = 99'000;
    absl::StatusOr<LineWriteOutcome> outcome =
        WriteLines(*engine_, kEnterprise, body, options, max_series);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *std::move(outcome) : LineWriteOutcome{};
  }
  std::vector<Point> Read(std::string_view device, std::string_view property) {
    absl::StatusOr<tsdb::SeriesId> id = engine_->Find(kEnterprise, device, property);
    if (!id.ok()) return {};
    return *engine_->ReadRange(*id, INT64_MIN, INT64_MAX);
  }
  static std::vector<std::string> Errors(const LineWriteOutcome& o) {
    std::vector<std::string> out;
    for (const lp::LineError& e : o.errors) out.push_back(absl::StrCat(e.line, ": ", e.reason));
    return out;
  }

  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(LineWriterTest, TelegrafLinesBecomeOneSeriesPerTagSetAndField) {
  LineWriteOutcome o = Write(
      "cpu,host=a,cpu=cpu0 usage_idle=98.5,usage_user=1i 1000\n"
      "cpu,host=a,cpu=cpu0 usage_idle=97,usage_user=2i 2000\n"
      "cpu,host=b\\ c,cpu=cpu0 usage_idle=50 1000\n");
  EXPECT_TRUE(o.errors.empty()) << Errors(o)[0];
  EXPECT_EQ(o.points, 5u);
  EXPECT_EQ(o.lines, 3u);
  EXPECT_EQ(Read("cpu,cpu=cpu0,host=a", "usage_idle"),
            (std::vector<Point>{{1000, 98.5}, {2000, 97.0}}));
  EXPECT_EQ(Read("cpu,cpu=cpu0,host=a", "usage_user"),
            (std::vector<Point>{{1000, int64_t{1}}, {2000, int64_t{2}}}));
  EXPECT_EQ(Read("cpu,cpu=cpu0,host=b\\ c", "usage_idle"), (std::vector<Point>{{1000, 50.0}}));
  std::vector<tsdb::SeriesInfo> series = engine_->ListSeries(kEnterprise);
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].labels,
            (LabelSet{{"_measurement", "cpu"}, {"cpu", "cpu0"}, {"host", "a"}}));
  EXPECT_EQ(series[2].labels,
            (LabelSet{{"_measurement", "cpu"}, {"cpu", "cpu0"}, {"host", "b c"}}));
}

// Escaped names are unescaped by the parser outside the body: they stay
// valid for the engine call, and consecutive lines still share a series.
TEST_F(LineWriterTest, EscapedNamesOutliveTheParse) {
  LineWriteOutcome o = Write(
      "m\\,x,host=a\\ b f\\ 1=1,g=2 1000\n"
      "m\\,x,host=a\\ b f\\ 1=3,g=4 2000\n"
      "m\\,x,host=c f\\ 1=5 1000\n");
  EXPECT_TRUE(o.errors.empty()) << Errors(o)[0];
  EXPECT_EQ(o.points, 5u);
  EXPECT_EQ(Read("m\\,x,host=a\\ b", "f 1"), (std::vector<Point>{{1000, 1.0}, {2000, 3.0}}));
  EXPECT_EQ(Read("m\\,x,host=a\\ b", "g"), (std::vector<Point>{{1000, 2.0}, {2000, 4.0}}));
  EXPECT_EQ(Read("m\\,x,host=c", "f 1"), (std::vector<Point>{{1000, 5.0}}));
  std::vector<tsdb::SeriesInfo> series = engine_->ListSeries(kEnterprise);
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].labels, (LabelSet{{"_measurement", "m,x"}, {"host", "a b"}}));
}

TEST_F(LineWriterTest, TheDeviceTagNamesTheDevice) {
  LineWriteOutcome o = Write(
      "centrifugal_pump,device=dev1,product=centrifugal_pump flowRate=879.88,runState=0i,"
      "ok=true,note=\"fine\" 1796083200027\n");
  EXPECT_TRUE(o.errors.empty());
  EXPECT_EQ(Read("dev1", "flowRate"), (std::vector<Point>{{1796083200027, 879.88}}));
  EXPECT_EQ(Read("dev1", "runState"), (std::vector<Point>{{1796083200027, int64_t{0}}}));
  EXPECT_EQ(Read("dev1", "ok"), (std::vector<Point>{{1796083200027, true}}));
  EXPECT_EQ(Read("dev1", "note"), (std::vector<Point>{{1796083200027, std::string("fine")}}));
  EXPECT_EQ(engine_->ListSeries(kEnterprise)[0].labels,
            (LabelSet{{"_measurement", "centrifugal_pump"}, {"product", "centrifugal_pump"}}));
}

TEST_F(LineWriterTest, BadLinesAreRefusedOneByOneAndTheRestWritten) {
  ASSERT_TRUE(Write("m,device=d x=1 1000\n").errors.empty());
  LineWriteOutcome o = Write(
      "m,device=d x=2 2000\n"                                // 1: good
      "m,device=d x=3i 3000\n"                               // 2: another kind
      "m,device=d y=18446744073709551615u 3000\n"            // 3: unsigned too large
      "m,device=d y=\n"                                      // 4: parse error
      "m,_measurement=z,device=d y=1 3000\n"                 // 5: reserved tag
      "m,device=d,t=" + std::string(257, 'v') + " y=1 3000\n"  // 6: tag too long
      "m,device=" + std::string(257, 'd') + " y=1 3000\n"    // 7: device too long
      "m,device=d y=4 4000\n");                              // 8: good
  EXPECT_EQ(o.points, 2u);
  EXPECT_EQ(o.lines, 2u);
  EXPECT_EQ(Errors(o),
            (std::vector<std::string>{
                "2: field \"x\" is integer, but its series (device \"d\") holds float values",
                "3: field \"y\": unsigned value 18446744073709551615 is over 9223372036854775807, "
                "the largest integer stored",
                "4: " + o.errors[2].reason,
                "5: tag key \"_measurement\" is reserved",
                "6: tag \"t\" is over 256 bytes",
                "7: device (or series key) is 257 bytes, over the limit of 256"}));
  EXPECT_EQ(Read("d", "x"), (std::vector<Point>{{1000, 1.0}, {2000, 2.0}}));
  EXPECT_EQ(Read("d", "y"), (std::vector<Point>{{4000, 4.0}}));
}

TEST_F(LineWriterTest, TheSeriesLimitRefusesOnlyLinesThatWouldCreateMore) {
  LineWriteOutcome o = Write(
      "m,device=a x=1 1000\n"
      "m,device=b x=1 1000\n"
      "m,device=c x=1 1000\n"
      "m,device=a x=2 2000\n",
      /*max_series=*/2);
  // The engine's own limit is the default (100000): the writer's limit is
  // what the caller passes, and the engine refuses nothing here. With the
  // engine at its limit, the writer names it.
  EXPECT_TRUE(o.errors.empty());
  auto small = store::NewMemoryStore(
      {.spaces = {std::string(tsdb::kTsdbSpace), std::string(tsdb::kTsdbWalSpace)}});
  tsdb::EngineOptions options;
  options.max_series_per_enterprise = 2;
  engine_ = *Engine::Open(small.get(), options);
  store_ = std::move(small);
  o = Write(
      "m,device=a x=1 1000\n"
      "m,device=b x=1 1000\n"
      "m,device=c x=1 1000\n"
      "m,device=a x=2 2000\n",
      /*max_series=*/2);
  EXPECT_EQ(Errors(o), (std::vector<std::string>{
                           "3: enterprise 3 has 2 series, the limit ([tsdb] "
                           "max_series_per_enterprise)"}));
  EXPECT_EQ(Read("a", "x"), (std::vector<Point>{{1000, 1.0}, {2000, 2.0}}));
  EXPECT_TRUE(Read("c", "x").empty());
}

TEST_F(LineWriterTest, LinesWithoutATimestampTakeNow) {
  LineWriteOutcome o = Write("m,device=d x=1\n");
  EXPECT_TRUE(o.errors.empty());
  EXPECT_EQ(Read("d", "x"), (std::vector<Point>{{99'000, 1.0}}));
}

}  // namespace
}  // namespace qilian::platform::telemetry
