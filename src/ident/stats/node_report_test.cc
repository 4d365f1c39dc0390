#include "ident/stats/node_report.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "store/memory_store.h"
#include "tenant/field_error.h"

namespace qilian::ident::stats {
namespace {

constexpr std::string_view kGood = R"({"node":"88.999","day":"2026-11-28","prefixes":[
  {"prefix":"88.999.1","registered":10,"created":3,"resolutions":{"http":5,"udp":7,"tcp":0}},
  {"prefix":"88.999.2","registered":-1,"created":0,"resolutions":{"tcp":1,"udp":0,"http":0}}]})";

TEST(ParseNodeReportTest, ReadsAValidReport) {
  auto r = ParseNodeReport(kGood);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->node, "88.999");
  EXPECT_EQ(r->day, absl::CivilDay(2026, 11, 28));
  ASSERT_EQ(r->prefixes.size(), 2u);
  EXPECT_EQ(r->prefixes[0].prefix, "88.999.1");
  EXPECT_EQ(r->prefixes[0].registered, 10);
  EXPECT_EQ(r->prefixes[0].created, 3u);
  EXPECT_EQ(r->prefixes[0].resolutions, (std::array<uint64_t, 3>{5, 7, 0}));
  EXPECT_EQ(r->prefixes[1].registered, -1);
  EXPECT_EQ(r->prefixes[1].resolutions, (std::array<uint64_t, 3>{0, 0, 1}));
  // Round trip.
  auto again = ParseNodeReport(NodeReportJson(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *r);
}

struct BadCase {
  std::string body;
  ResponseCode code;
  std::string message;
  std::string field;  // empty: no field
};

TEST(ParseNodeReportTest, NamesTheFieldAtFault) {
  const std::string p0 = R"("prefix":"88.1","registered":1,"created":1,)";
  const std::string res = R"("resolutions":{"http":1,"udp":1,"tcp":1})";
  const std::vector<BadCase> cases = {
      {"{", ResponseCode::kProtocolError, "request body is not valid JSON", ""},
      {"[]", ResponseCode::kProtocolError, "request body must be a JSON object", ""},
      {R"({"day":"2026-11-28","prefixes":[]})", ResponseCode::kInvalidValue,
       "node: is required", "node"},
      {R"({"node":7,"day":"2026-11-28","prefixes":[]})", ResponseCode::kInvalidValue,
       "node: must be a string", "node"},
      {R"({"node":"a/b","day":"2026-11-28","prefixes":[]})", ResponseCode::kInvalidValue,
       "node: must be 1 to 128 characters of A-Z a-z 0-9 . _ -", "node"},
      {R"({"node":"n","prefixes":[]})", ResponseCode::kInvalidValue, "day: is required", "day"},
      {R"({"node":"n","day":"2026-02-30","prefixes":[]})", ResponseCode::kInvalidValue,
       "day: must be a date YYYY-MM-DD", "day"},
      {R"({"node":"n","day":"2026-11-28"})", ResponseCode::kInvalidValue,
       "prefixes: is required", "prefixes"},
      {R"({"node":"n","day":"2026-11-28","prefixes":{}})", ResponseCode::kInvalidValue,
       "prefixes: must be an array", "prefixes"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[1]})", ResponseCode::kInvalidValue,
       "prefixes[0]: must be an object", "prefixes[0]"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{"registered":1}]})",
       ResponseCode::kInvalidValue, "prefixes[0].prefix: is required", "prefixes[0].prefix"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{"prefix":"a/b"}]})",
       ResponseCode::kInvalidValue,
       "prefixes[0].prefix: must be 1 to 255 printable characters without '/'",
       "prefixes[0].prefix"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{"prefix":"88.1","registered":1.5}]})",
       ResponseCode::kInvalidValue, "prefixes[0].registered: must be a 64-bit integer",
       "prefixes[0].registered"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{"prefix":"88.1","registered":1,"created":-2}]})",
       ResponseCode::kInvalidValue, "prefixes[0].created: must be a non-negative integer",
       "prefixes[0].created"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{)" + p0 + R"("resolutions":[]}]})",
       ResponseCode::kInvalidValue, "prefixes[0].resolutions: must be an object",
       "prefixes[0].resolutions"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{)" + p0 +
           R"("resolutions":{"http":1,"udp":"2","tcp":1}}]})",
       ResponseCode::kInvalidValue, "prefixes[0].resolutions.udp: must be a non-negative integer",
       "prefixes[0].resolutions.udp"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{)" + p0 +
           R"("resolutions":{"http":1,"udp":2}}]})",
       ResponseCode::kInvalidValue, "prefixes[0].resolutions.tcp: is required",
       "prefixes[0].resolutions.tcp"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{)" + p0 +
           R"("resolutions":{"http":1,"udp":2,"tcp":0,"ftp":1}}]})",
       ResponseCode::kInvalidValue,
       "prefixes[0].resolutions.ftp: is not a field of a statistics report",
       "prefixes[0].resolutions.ftp"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{)" + p0 + res + R"(,"x":1}]})",
       ResponseCode::kInvalidValue, "prefixes[0].x: is not a field of a statistics report",
       "prefixes[0].x"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[{)" + p0 + res + R"(},{)" + p0 + res +
           R"(}]})",
       ResponseCode::kInvalidValue, "prefixes[1].prefix: repeats prefix '88.1'",
       "prefixes[1].prefix"},
      {R"({"node":"n","day":"2026-11-28","prefixes":[],"extra":true})",
       ResponseCode::kInvalidValue, "extra: is not a field of a statistics report", "extra"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = ParseNodeReport(c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(ResponseCodeOf(r.status()), c.code);
    EXPECT_EQ(r.status().message(), c.message);
    auto field = tenant::FieldOf(r.status());
    EXPECT_EQ(field.value_or(""), c.field);
  }
}

TEST(ParseNodeReportTest, RefusesTooManyPrefixes) {
  std::string body = R"({"node":"n","day":"2026-11-28","prefixes":[)";
  for (size_t i = 0; i <= kMaxReportPrefixes; ++i) body += (i ? ",1" : "1");
  body += "]}";
  auto r = ParseNodeReport(body);
  EXPECT_EQ(r.status().message(), "prefixes: must have at most 10000 entries");
}

TEST(NodeReportStoreTest, AResentReportReplacesTheEarlierOne) {
  auto kv = store::NewMemoryStore(store::StoreOptions{{std::string(kSpace)}});
  NodeReportStore reports(kv.get());
  auto first = ParseNodeReport(kGood);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(reports.Put(*first, absl::FromUnixSeconds(100)).ok());
  NodeReport second = *first;
  second.prefixes.pop_back();
  second.prefixes[0].created = 4;
  ASSERT_TRUE(reports.Put(second, absl::FromUnixSeconds(200)).ok());
  NodeReport other = second;
  other.node = "88.998";
  ASSERT_TRUE(reports.Put(other, absl::FromUnixSeconds(300)).ok());
  NodeReport other_day = second;
  other_day.day = absl::CivilDay(2026, 11, 29);
  ASSERT_TRUE(reports.Put(other_day, absl::FromUnixSeconds(400)).ok());

  auto listed = reports.List(absl::CivilDay(2026, 11, 28));
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].report, other);
  EXPECT_EQ((*listed)[1].report, second);
  EXPECT_EQ((*listed)[1].received_at, absl::FromUnixSeconds(200));
}

TEST(BuildNodeReportTest, YesterdayIsReportedWithItsEndOfDayTotal) {
  auto kv = store::NewMemoryStore(store::StoreOptions{{std::string(kSpace)}});
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 11, 28, 12, 0, 0), absl::UTCTimeZone()));
  StatsRecorder rec(kv.get(), clock, nullptr);
  rec.RecordCreated("88.999.1");
  rec.RecordCreated("88.999.1");
  rec.RecordResolution("88.999.1", Door::kHttp);
  rec.RecordResolution("88.999.2", Door::kUdp);
  clock.Advance(absl::Hours(24));
  rec.RecordCreated("88.999.1");
  rec.RecordResolution("88.999.1", Door::kTcp);

  auto yesterday = BuildNodeReport(rec, "n1", absl::CivilDay(2026, 11, 28));
  ASSERT_TRUE(yesterday.ok());
  EXPECT_EQ(NodeReportJson(*yesterday),
            R"({"day":"2026-11-28","node":"n1","prefixes":[)"
            R"({"created":2,"prefix":"88.999.1","registered":2,"resolutions":{"http":1,"tcp":0,"udp":0}},)"
            R"({"created":0,"prefix":"88.999.2","registered":0,"resolutions":{"http":0,"tcp":0,"udp":1}}]})");
  auto today = BuildNodeReport(rec, "n1", absl::CivilDay(2026, 11, 29));
  ASSERT_TRUE(today.ok());
  EXPECT_EQ(NodeReportJson(*today),
            R"({"day":"2026-11-29","node":"n1","prefixes":[)"
            R"({"created":1,"prefix":"88.999.1","registered":3,"resolutions":{"http":0,"tcp":1,"udp":0}}]})");
}

}  // namespace
}  // namespace qilian::ident::stats
