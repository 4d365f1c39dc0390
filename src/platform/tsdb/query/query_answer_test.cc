#include "platform/tsdb/query/query_answer.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace qilian::platform::tsdb {
namespace {

TEST(QueryAnswerJson, Shapes) {
  QueryAnswer answer;
  AnswerSeries grouped;
  grouped.grouped = true;
  grouped.group = {{"product", "pump"}, {"tag:site", std::nullopt}};
  grouped.members = 3;
  grouped.columns = {"avg", "first"};
  grouped.rows = {{0, {Cell(1.5), Cell(std::string("on"))}},
                  {60000, {Cell(std::numeric_limits<double>::quiet_NaN()), Cell()}},
                  {120000, {Cell(std::numeric_limits<double>::infinity()), Cell(int64_t{-2})}}};
  answer.series.push_back(grouped);
  AnswerSeries plain;
  plain.id = 9;
  plain.device = "d\"1";
  plain.property = "on";
  plain.columns = {"value"};
  plain.rows = {{5, {Cell(true)}}};
  answer.series.push_back(plain);
  answer.stats = {2, 10, 20, Resolution::k1h};
  EXPECT_EQ(QueryAnswerJson(answer),
            R"({"series":[{"group":{"product":"pump","tag:site":null},"members":3,)"
            R"("columns":["time","avg","first"],"values":[[0,1.5,"on"],[60000,null,null],)"
            R"([120000,null,-2]]},{"id":9,"device":"d\"1","property":"on","labels":{},)"
            R"("columns":["time","value"],"values":[[5,true]]}],)"
            R"("stats":{"series":2,"points_read":10,"buckets_read":20,"rollup":"1h"}})");
  answer = {};
  answer.stats.rollup = Resolution::k1m;
  EXPECT_EQ(QueryAnswerJson(answer),
            R"({"series":[],"stats":{"series":0,"points_read":0,"buckets_read":0,)"
            R"("rollup":"1m"}})");
}

// Numbers are laid out as nlohmann's dump lays them out (fixed notation for
// decimal exponents -4 < n <= 15, ".0" when integral, else d.ddde±XX), with
// std::to_chars' shortest digits: the same text where nlohmann's Grisu2
// finds the shortest, closest digits, else shorter (0.0056893, not
// 0.0056893000000000004) or as long, and always the same double.
TEST(QueryAnswerJson, NumbersAsNlohmannWritesThem) {
  auto one = [](double d) {
    QueryAnswer answer;
    AnswerSeries s;
    s.rows = {{0, {Cell(d)}}};
    answer.series.push_back(s);
    std::string json = QueryAnswerJson(answer);
    size_t at = json.find("[[0,") + 4;
    return json.substr(at, json.find(']', at) - at);
  };
  auto nlohmann_of = [](double d) { return nlohmann::json(d).dump(); };
  for (double d : {0.0, -0.0, 1.0, -2.5, 0.1, 1e-4, 1.5e-4, 1e-5, 123456789012345.0,
                   1e15, 1e16, 1.5e16, 1e21, 1e300, -1e-300, 5e-324, 1.7976931348623157e308,
                   0.30000000000000004, 4.666666666666667, 21.5}) {
    EXPECT_EQ(one(d), nlohmann_of(d)) << d;
  }
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    // Sensor-like values: a few decimals, all magnitudes.
    double decimal = static_cast<double>(static_cast<int64_t>(rng() % 2'000'000) - 1'000'000) /
                     std::pow(10.0, static_cast<double>(rng() % 12));
    uint64_t bits = rng();
    double any;
    std::memcpy(&any, &bits, sizeof(any));
    for (double d : {decimal, any}) {
      if (!std::isfinite(d)) continue;
      std::string ours = one(d), theirs = nlohmann_of(d);
      EXPECT_LE(ours.size(), theirs.size()) << theirs;
      EXPECT_EQ(ours.find('e') == std::string::npos, theirs.find('e') == std::string::npos)
          << ours << " " << theirs;
      EXPECT_EQ(std::strtod(ours.c_str(), nullptr), d) << ours;
    }
  }
  EXPECT_EQ(one(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(one(-std::numeric_limits<double>::infinity()), "null");
}

TEST(QueryAnswerJson, StringsEscapedAsNlohmannDoes) {
  for (std::string s : {std::string("plain"), std::string("q\"u\\o"), std::string("tab\tnl\n"),
                        std::string("\x01\x1f"), std::string("caf\xc3\xa9 \xe2\x82\xac"),
                        std::string("bad \xc3(")}) {
    QueryAnswer answer;
    AnswerSeries series;
    series.device = s;
    answer.series.push_back(series);
    std::string expected = nlohmann::json(s).dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
    EXPECT_NE(QueryAnswerJson(answer).find("\"device\":" + expected + ","), std::string::npos)
        << expected;
  }
}

TEST(QueryAnswerJson, InvalidUtf8IsReplacedNotThrown) {
  QueryAnswer answer;
  AnswerSeries s;
  s.device = "\xff";
  answer.series.push_back(s);
  EXPECT_NE(QueryAnswerJson(answer).find("\"device\":\"\xEF\xBF\xBD\""), std::string::npos);
}

}  // namespace
}  // namespace qilian::platform::tsdb
