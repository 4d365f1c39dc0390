#include "platform/tsdb/query/export_writer.h"

#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "platform/tsdb/query/export_request.h"
#include "platform/tsdb/query/memory_series_source.h"

namespace qilian::platform::tsdb {
namespace {

class ExportTest : public ::testing::Test {
 protected:
  ExportTest() {
    source_.Add({0, 1, "d1", "temp", ValueKind::kFloat, {{"product", "pump"}, {"value", "x"}}},
                {{1000, 21.5},
                 {2000, std::numeric_limits<double>::quiet_NaN()},
                 {3000, 1e300},
                 {4000, -std::numeric_limits<double>::infinity()}});
    source_.Add({0, 1, "d,2", "state", ValueKind::kText, {{"site", "a \"b\""}}},
                {{1500, std::string("say \"hi\", then\r\nbye")}, {2500, std::string("ok")}});
    source_.Add({0, 1, "d3", "count", ValueKind::kInt, {}}, {{1000, int64_t{-7}}});
    source_.Add({0, 1, "d3", "on", ValueKind::kBool, {}}, {{1000, true}, {9000, false}});
    series_ = source_.ListSeries(1);
  }

  std::string Export(ExportFormat format, size_t page = 100'000, size_t chunk = 64 * 1024) {
    std::string out;
    ExportOptions options{format, page, chunk};
    absl::Status s = ExportPoints(source_, series_, 0, 5000, options, [&](std::string_view c) {
      chunks_.emplace_back(c);
      out.append(c);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  MemorySeriesSource source_;
  std::vector<SeriesInfo> series_;
  std::vector<std::string> chunks_;
};

TEST_F(ExportTest, CsvQuotedPerRfc4180WithLabelColumns) {
  EXPECT_EQ(Export(ExportFormat::kCsv),
            "time,device,property,value,product,site,label:value\r\n"
            "1000,d1,temp,21.5,pump,,x\r\n"
            "2000,d1,temp,NaN,pump,,x\r\n"
            "3000,d1,temp,1e+300,pump,,x\r\n"
            "4000,d1,temp,-Inf,pump,,x\r\n"
            "1500,\"d,2\",state,\"say \"\"hi\"\", then\r\nbye\",,\"a \"\"b\"\"\",\r\n"
            "2500,\"d,2\",state,ok,,\"a \"\"b\"\"\",\r\n"
            "1000,d3,count,-7,,,\r\n"
            "1000,d3,on,true,,,\r\n");
  EXPECT_EQ(chunks_.size(), 1u);
}

// Pages of every size, concatenated, are the one-shot export: the header
// only on the first page, each cursor resuming exactly after the last
// point written.
TEST_F(ExportTest, PagesConcatenateToTheWholeExport) {
  for (ExportFormat format : {ExportFormat::kCsv, ExportFormat::kJsonLines}) {
    const std::string whole = Export(format);
    for (size_t page_points = 1; page_points <= 10; ++page_points) {
      SCOPED_TRACE(page_points);
      std::string paged;
      std::optional<ExportCursor> cursor;
      size_t pages = 0;
      do {
        ExportOptions options{format, 2, 64 * 1024};
        options.max_points = page_points;
        options.header = pages == 0;
        size_t page_size = 0;
        absl::StatusOr<std::optional<ExportCursor>> next = ExportPage(
            source_, series_, 0, 5000, options, cursor, [&](std::string_view c) {
              paged.append(c);
              page_size += c.size();
              return true;
            });
        ASSERT_TRUE(next.ok()) << next.status();
        if (next->has_value()) {
          EXPECT_EQ(ParseExportCursor(FormatExportCursor(**next)), *next);
        }
        cursor = *next;
        ASSERT_LT(++pages, 100u);
      } while (cursor.has_value());
      EXPECT_EQ(paged, whole);
    }
  }
}

TEST_F(ExportTest, CursorsAreCheckedOnTheWayIn) {
  EXPECT_EQ(ParseExportCursor("3:-1500"), (ExportCursor{3, -1500}));
  for (std::string_view bad : {"", "3", ":5", "3:", "0:5", "x:5", "3:5x", "-3:5", "3:5:6"}) {
    EXPECT_EQ(ParseExportCursor(bad), std::nullopt) << bad;
  }
  ExportOptions options;
  absl::StatusOr<std::optional<ExportCursor>> page = ExportPage(
      source_, series_, 0, 5000, options, ExportCursor{99, 0},
      [](std::string_view) { return true; });
  EXPECT_EQ(page.status(), absl::InvalidArgumentError(
                               "cursor: series 99 is not among the series this export selects"));
  absl::StatusOr<ExportRequest> request =
      ParseExportRequest(R"({"start": 0, "end": 10, "cursor": "2:7", "page_points": 50})", 0);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->cursor, (ExportCursor{2, 7}));
  EXPECT_EQ(request->page_points, 50u);
  EXPECT_EQ(ParseExportRequest(R"({"start": 0, "end": 10, "cursor": 5})", 0).status(),
            absl::InvalidArgumentError(
                "cursor: must be the X-Qilian-Export-Cursor of the previous page"));
  EXPECT_EQ(ParseExportRequest(R"({"start": 0, "end": 10, "page_points": 0})", 0).status(),
            absl::InvalidArgumentError("page_points: must be an integer, 1 to 1000000"));
}

TEST_F(ExportTest, JsonLines) {
  EXPECT_EQ(Export(ExportFormat::kJsonLines),
            R"({"time":1000,"device":"d1","property":"temp","value":21.5,)"
            R"("labels":{"product":"pump","value":"x"}})"
            "\n"
            R"({"time":2000,"device":"d1","property":"temp","value":null,)"
            R"("labels":{"product":"pump","value":"x"}})"
            "\n"
            R"({"time":3000,"device":"d1","property":"temp","value":1e+300,)"
            R"("labels":{"product":"pump","value":"x"}})"
            "\n"
            R"({"time":4000,"device":"d1","property":"temp","value":null,)"
            R"("labels":{"product":"pump","value":"x"}})"
            "\n"
            R"({"time":1500,"device":"d,2","property":"state","value":"say \"hi\", then\r\nbye",)"
            R"("labels":{"site":"a \"b\""}})"
            "\n"
            R"({"time":2500,"device":"d,2","property":"state","value":"ok",)"
            R"("labels":{"site":"a \"b\""}})"
            "\n"
            R"({"time":1000,"device":"d3","property":"count","value":-7})"
            "\n"
            R"({"time":1000,"device":"d3","property":"on","value":true})"
            "\n");
}

TEST_F(ExportTest, PagesAndChunksKeepMemoryBounded) {
  std::string whole = Export(ExportFormat::kCsv);
  chunks_.clear();
  source_.range_reads = 0;
  std::string paged = Export(ExportFormat::kCsv, /*page=*/2, /*chunk=*/40);
  EXPECT_EQ(paged, whole);
  // Pages of 2: series 1 reads 2+2+0, series 2 reads 2+0, 3 and 4 one page.
  EXPECT_EQ(source_.range_reads, 7u);
  ASSERT_GT(chunks_.size(), 4u);
  for (size_t i = 0; i + 1 < chunks_.size(); ++i) EXPECT_GE(chunks_[i].size(), 40u);
}

TEST_F(ExportTest, ProgressAndCancel) {
  std::vector<std::string> seen;
  auto progress = [&](const ExportProgress& p) {
    seen.push_back(absl::StrCat(p.points_written, "/", p.series_done, "/", p.series_total));
  };
  ExportOptions options{ExportFormat::kCsv, 3, 1};
  ASSERT_TRUE(
      ExportPoints(
          source_, series_, 0, 5000, options, [](std::string_view) { return true; }, progress)
          .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"3/0/4", "4/0/4", "4/1/4", "6/1/4", "6/2/4", "7/2/4",
                                            "7/3/4", "8/3/4", "8/4/4"}));
  // The client goes after two chunks: the export stops there.
  int calls = 0;
  source_.range_reads = 0;
  absl::Status s = ExportPoints(source_, series_, 0, 5000, options,
                                [&](std::string_view) { return ++calls < 3; });
  EXPECT_EQ(s, absl::CancelledError("export: the client went away after 2 points"));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(source_.range_reads, 1u);
}

TEST(CsvField, QuotesOnlyWhatNeedsIt) {
  std::string out;
  for (std::string_view f : {"plain", "a,b", "q\"", "cr\r", "lf\n", "", " sp "}) {
    AppendCsvField(&out, f);
    out.push_back('|');
  }
  EXPECT_EQ(out, "plain|\"a,b\"|\"q\"\"\"|\"cr\r\"|\"lf\n\"|| sp |");
}

}  // namespace
}  // namespace qilian::platform::tsdb

namespace qilian::platform::tsdb {
namespace {

TEST(ExportRequest, Parses) {
  absl::StatusOr<ExportRequest> r =
      ParseExportRequest(R"({"series": {"devices": ["d1"]}, "start": 0, "format": "jsonl"})", 500);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->series.devices, (std::vector<std::string>{"d1"}));
  EXPECT_EQ(r->start_ms, 0);
  EXPECT_EQ(r->end_ms, 500);
  EXPECT_EQ(r->format, ExportFormat::kJsonLines);
  EXPECT_EQ(ExportContentType(r->format), "application/x-ndjson");
  r = ParseExportRequest(R"({"start": "1970-01-01T00:00:01Z", "end": 2000})", 0);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->start_ms, 1000);
  EXPECT_EQ(r->format, ExportFormat::kCsv);
  EXPECT_EQ(ExportContentType(r->format), "text/csv; charset=utf-8");
}

TEST(ExportRequest, Errors) {
  const std::pair<const char*, const char*> kCases[] = {
      {"{", "request: not valid JSON"},
      {"3", "request: must be a JSON object"},
      {R"({"start": 0, "format": "xml"})", "format: must be \"csv\" or \"jsonl\""},
      {R"({"start": 0, "window": "1m"})",
       "request: unknown key \"window\" (known: series, start, end, format, cursor, page_points)"},
      {R"({"start": 5, "end": 1})", "start: must be before end (start 5, end 1)"},
      {R"({"format": "csv"})", "start: missing"},
      {R"({"start": 0, "series": {"devices": []}})", "series.devices: must not be empty"},
  };
  for (const auto& [body, message] : kCases) {
    EXPECT_EQ(ParseExportRequest(body, 100).status(), absl::InvalidArgumentError(message)) << body;
  }
}

}  // namespace
}  // namespace qilian::platform::tsdb
