#include "cli/template_args.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace qilian::cli {
namespace {

using nlohmann::json;

TEST(TemplateArgsTest, Targets) {
  EXPECT_EQ(TemplateTarget("88.999.7"), "/api/prefixes/88.999.7/templates");
  EXPECT_EQ(TemplateTarget("88.999.7", "food-batch"),
            "/api/prefixes/88.999.7/templates/food-batch");
  EXPECT_EQ(TemplateTarget("88.999.7", "food-batch", true),
            "/api/prefixes/88.999.7/templates/food-batch/versions");
  EXPECT_EQ(TemplateTarget("88.999.7", "food-batch", true, 3),
            "/api/prefixes/88.999.7/templates/food-batch/versions/3");
  EXPECT_EQ(TemplateTarget("88 999", "a?b"), "/api/prefixes/88%20999/templates/a%3Fb");
}

TEST(TemplateArgsTest, Tables) {
  json t = json::parse(R"({"name":"food-batch","version":2,"reference":"food-batch@2",
    "industry":"1431","description":{"zh":"食品批次","en":"Food batch"},
    "fields":[{"name":"batchNo","type":"string","required":true,"public":true,
               "limits":{"pattern":"[A-Z0-9]{6}"},"description":{"zh":"","en":"Batch"}},
              {"name":"shelfLife","type":"integer","required":false,"public":false,"unit":"d",
               "limits":{"minimum":1,"maximum":3650},"description":{"zh":"保质期","en":""}},
              {"name":"result","type":"enum","values":["合格","不合格"]}]})");
  EXPECT_EQ(FormatTemplates(json::array({t})),
            "NAME        VERSION  INDUSTRY  FIELDS  DESCRIPTION\n"
            "food-batch  2        1431      3       食品批次\n");
  EXPECT_EQ(FormatTemplate(t),
            "food-batch@2 industry 1431 食品批次\n"
            "FIELD      TYPE     REQUIRED  PUBLIC  DETAILS\n"
            "batchNo    string   yes       yes     ~[A-Z0-9]{6}; Batch\n"
            "shelfLife  integer  no        no      unit d; >=1 <=3650; 保质期\n"
            "result     enum     no        yes     {合格|不合格}\n");
}

TEST(TemplateArgsTest, ChooseStarters) {
  const std::vector<std::string> known = {"a", "b", "c"};
  EXPECT_EQ(ChooseStarters(known, {}).names, known);
  EXPECT_EQ(ChooseStarters(known, {"c", "a"}).names, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(ChooseStarters(known, {"x"}).error, "no starter template 'x'; the starters are a, b, c");
}

}  // namespace
}  // namespace qilian::cli
