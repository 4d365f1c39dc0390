#include "cli/telemetry_args.h"

#include <zlib.h>

#include <deque>
#include <sstream>

#include "gtest/gtest.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

TEST(TelemetryArgs, QueryBodyFromFlags) {
  QueryArgs q;
  q.selection.devices = {"pump-1", "pump-2"};
  q.selection.properties = {"pressure"};
  q.selection.where = {"product=pump", "site=a=b"};
  q.selection.ids = {12};
  q.start = "2026-12-07T00:00:00Z";
  q.end = "1796688000000";
  q.window = "15m";
  q.aggregates = "avg, max,p95";
  q.fill = "previous";
  q.group_by = "product,tag:site";
  q.limit = 10;
  EXPECT_EQ(*BuildQueryBody(q), json({{"series",
                                       {{"ids", {12}},
                                        {"devices", {"pump-1", "pump-2"}},
                                        {"properties", {"pressure"}},
                                        {"where", {{"product", "pump"}, {"site", "a=b"}}}}},
                                      {"start", "2026-12-07T00:00:00Z"},
                                      {"end", 1796688000000},
                                      {"window", "15m"},
                                      {"aggregates", {"avg", "max", "p95"}},
                                      {"fill", "previous"},
                                      {"group_by", {"product", "tag:site"}},
                                      {"limit", 10}}));
}

TEST(TelemetryArgs, TimesFillsAndLatest) {
  QueryArgs q;
  q.start = "-5";
  q.fill = "2.5";
  EXPECT_EQ(*BuildQueryBody(q), json({{"start", -5}, {"fill", 2.5}}));
  q.fill = "zero";  // the server names it
  EXPECT_EQ((*BuildQueryBody(q))["fill"], "zero");
  q.fill = "null";
  EXPECT_EQ((*BuildQueryBody(q))["fill"], "null");
  QueryArgs latest;
  latest.latest = true;
  EXPECT_EQ(*BuildQueryBody(latest), json({{"latest", true}}));
}

TEST(TelemetryArgs, FlagErrors) {
  QueryArgs q;
  q.aggregates = "avg,,max";
  EXPECT_EQ(BuildQueryBody(q).status().message(), "--agg: empty name in 'avg,,max'");
  q = QueryArgs{};
  q.group_by = "";
  EXPECT_EQ(BuildQueryBody(q).status().message(), "--group-by: empty name in ''");
  q = QueryArgs{};
  q.selection.where = {"product"};
  EXPECT_EQ(BuildQueryBody(q).status().message(), "--where 'product' is not KEY=VALUE");
  q.selection.where = {"a=1", "a=2"};
  EXPECT_EQ(BuildQueryBody(q).status().message(), "--where 'a' is given twice");
  EXPECT_FALSE(BuildSelection(SeriesSelectionArgs{})->has_value());
}

TEST(TelemetryArgs, AnswerTables) {
  const json answer = json::parse(R"({"series": [
      {"id": 1, "device": "d1", "property": "temp", "labels": {"product": "pump", "site": "a"},
       "columns": ["time", "avg", "max"],
       "values": [[0, 2.0, 3.0], [60000, null, 5.5]]},
      {"group": {"product": "pump"}, "members": 2, "columns": ["time", "value"],
       "values": [[1796688000250, "on"]]}],
      "stats": {"series": 2}})");
  EXPECT_EQ(FormatQueryAnswer(answer),
            "series 1: d1/temp  product=pump site=a\n"
            "TIME                      AVG  MAX\n"
            "1970-01-01T00:00:00.000Z  2.0  3.0\n"
            "1970-01-01T00:01:00.000Z  -    5.5\n"
            "\n"
            "group product=pump (2 members)\n"
            "TIME                      VALUE\n"
            "2026-12-08T00:00:00.250Z  on\n");
  EXPECT_EQ(FormatQueryAnswer(json::parse(R"({"series": []})")), "no series\n");
}

TEST(TelemetryArgs, SeriesTable) {
  const json reply = json::parse(R"({"series": [
      {"id": 1, "device": "d1", "property": "temp", "kind": "float",
       "labels": {"product": "pump", "site": "a"}},
      {"id": 2, "device": "d2", "property": "on", "kind": "bool", "labels": {}}]})");
  EXPECT_EQ(FormatSeriesList(reply),
            "ID  DEVICE  PROPERTY  KIND   LABELS\n"
            "1   d1      temp      float  product=pump,site=a\n"
            "2   d2      on        bool   -\n");
}

TEST(TelemetryArgs, Retention) {
  const json current = json::parse(
      R"({"enterprise": 5, "days": 30, "products": {"pump": 7}, "node_default_days": 0})");
  RetentionArgs args;
  EXPECT_FALSE(RetentionChanges(args));
  args.products = {"kiln=90"};
  EXPECT_TRUE(RetentionChanges(args));
  EXPECT_EQ(*MergeRetention(current, args),
            json({{"days", 30}, {"products", {{"pump", 7}, {"kiln", 90}}}}));
  args.node_default = true;
  EXPECT_EQ((*MergeRetention(current, args))["days"], nullptr);
  args.days = 3;
  EXPECT_EQ(MergeRetention(current, args).status().message(),
            "give --days or --node-default, not both");
  args = RetentionArgs{};
  args.products = {"kiln=x"};
  EXPECT_EQ(MergeRetention(current, args).status().message(), "--product 'kiln=x' is not ID=DAYS");
  EXPECT_EQ(FormatRetention(current), "days: 30\nproduct pump: 7 days\n");
  EXPECT_EQ(
      FormatRetention(json::parse(R"({"days": null, "products": {}, "node_default_days": 0})")),
      "days: node default (forever)\n");
}

std::vector<LineBatch> Batches(const std::vector<std::string>& lines, size_t max_entries) {
  LineBatcher batcher(max_entries);
  std::vector<LineBatch> out;
  for (const std::string& line : lines) {
    if (auto batch = batcher.Add(line)) out.push_back(*batch);
  }
  if (auto batch = batcher.Finish()) out.push_back(*batch);
  return out;
}

TEST(LineBatcher, CutsBetweenEntriesCountingBlankAndComments) {
  auto batches = Batches({"# header", "m v=1 1", "", "m v=2 2", "m v=3 3"}, 2);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].text, "# header\nm v=1 1\n\nm v=2 2\n");
  EXPECT_EQ(batches[0].first_line, 1u);
  EXPECT_EQ(batches[0].entries, 2u);
  EXPECT_EQ(batches[1].text, "m v=3 3\n");
  EXPECT_EQ(batches[1].first_line, 5u);
  EXPECT_EQ(batches[1].entries, 1u);
}

TEST(LineBatcher, NeverSplitsAStringWithNewlines) {
  // The entry on lines 1-3 holds a string with two raw newlines and an
  // escaped quote; quotes in the measurement, tags and keys open nothing.
  auto batches = Batches({"m s=\"a", "b \\\" c", "d\",v=1 1", "q\"x,t=\"y v=2 2", "m k\"=1 3"}, 1);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].text, "m s=\"a\nb \\\" c\nd\",v=1 1\n");
  EXPECT_EQ(batches[0].entries, 1u);
  EXPECT_EQ(batches[1].first_line, 4u);
  EXPECT_EQ(batches[2].first_line, 5u);
}

TEST(LineBatcher, AnEscapedEqualsOpensNoString) {
  auto batches = Batches({"m a\\=\"b=1 1", "m v=2 2"}, 1);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].first_line, 2u);
}

TEST(LineBatcher, AnUnterminatedStringStopsAtTheLineLimit) {
  std::vector<std::string> lines = {"m s=\"open"};
  for (int i = 0; i < 300; ++i) lines.push_back(std::string(1000, 'x'));
  lines.push_back("m v=1 1");
  auto batches = Batches(lines, 1);
  // The open string gives up past 256 KiB: later lines are entries again.
  ASSERT_GE(batches.size(), 3u);
  EXPECT_EQ(batches.back().text, "m v=1 1\n");
  EXPECT_EQ(batches.back().first_line, 302u);
}

TEST(TelemetryArgs, FileLineErrors) {
  EXPECT_EQ(FileLineError(json({{"line", 3}, {"column", 5}, {"message", "missing fields"}}), 5001),
            "line 5003: missing fields");
}

TEST(TelemetryArgs, GzipRoundTrip) {
  const std::string text = "m,t=a v=1 1\nm,t=a v=2 2\n";
  absl::StatusOr<std::string> packed = Gzip(text);
  ASSERT_TRUE(packed.ok());
  ASSERT_GE(packed->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b);
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(packed->data());
  z.avail_in = static_cast<uInt>(packed->size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  EXPECT_EQ(out, text);
}

TEST(TelemetryArgs, SeriesProgressHeader) {
  EXPECT_EQ(*ParseSeriesProgress("3/12"), std::make_pair(uint64_t{3}, uint64_t{12}));
  EXPECT_EQ(ParseSeriesProgress("3").status().message(),
            "X-Qilian-Export-Series '3' is not DONE/TOTAL");
  EXPECT_FALSE(ParseSeriesProgress("4/3").ok());
  EXPECT_FALSE(ParseSeriesProgress("1/2x").ok());
}

// Pages handed out in order; records the cursor each fetch was given.
class FakePages : public ExportPageSource {
 public:
  explicit FakePages(std::deque<absl::StatusOr<ExportPage>> pages) : pages_(std::move(pages)) {}

  absl::StatusOr<ExportPage> Fetch(const std::optional<std::string>& cursor) override {
    cursors.push_back(cursor.value_or("<first>"));
    absl::StatusOr<ExportPage> page = pages_.front();
    pages_.pop_front();
    return page;
  }

  std::vector<std::string> cursors;

 private:
  std::deque<absl::StatusOr<ExportPage>> pages_;
};

TEST(ExportAllPages, FollowsTheCursorAndAppends) {
  FakePages source({ExportPage{"time,v\r\n1,a\r\n", "c1", 1, 0, 2},
                    ExportPage{"2,b\r\n", "c2", 1, 1, 2}, ExportPage{"3,c\r\n", {}, 1, 2, 2}});
  std::ostringstream out;
  std::vector<std::string> shown;
  absl::StatusOr<ExportProgress> done = ExportAllPages(
      source, out, [&](const ExportProgress& p) { shown.push_back(FormatExportProgress(p, 0.5)); });
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(out.str(), "time,v\r\n1,a\r\n2,b\r\n3,c\r\n");
  EXPECT_EQ(source.cursors, (std::vector<std::string>{"<first>", "c1", "c2"}));
  EXPECT_EQ(done->pages, 3u);
  EXPECT_EQ(done->points, 3u);
  EXPECT_EQ(shown, (std::vector<std::string>{"exported 1 points, series 0/2, 2 points/s",
                                             "exported 2 points, series 1/2, 4 points/s",
                                             "exported 3 points, series 2/2, 6 points/s"}));
}

TEST(ExportAllPages, StopsOnAnErrorOrARepeatedCursor) {
  FakePages failing({ExportPage{"a\n", "c1", 1, 0, 1}, absl::UnavailableError("gone")});
  std::ostringstream out;
  EXPECT_EQ(ExportAllPages(failing, out, nullptr).status(), absl::UnavailableError("gone"));
  EXPECT_EQ(out.str(), "a\n");

  FakePages looping({ExportPage{"", "c1", 0, 0, 1}, ExportPage{"", "c1", 0, 0, 1}});
  EXPECT_EQ(ExportAllPages(looping, out, nullptr).status().message(),
            "the server sent cursor 'c1' twice; the export stops");
}

}  // namespace
}  // namespace qilian::cli
