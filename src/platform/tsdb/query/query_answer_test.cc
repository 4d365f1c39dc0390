#include "platform/tsdb/query/query_answer.h"

#include <limits>

#include "gtest/gtest.h"

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

TEST(QueryAnswerJson, InvalidUtf8IsReplacedNotThrown) {
  QueryAnswer answer;
  AnswerSeries s;
  s.device = "\xff";
  answer.series.push_back(s);
  EXPECT_NE(QueryAnswerJson(answer).find("\"device\":\"\xEF\xBF\xBD\""), std::string::npos);
}

}  // namespace
}  // namespace qilian::platform::tsdb
