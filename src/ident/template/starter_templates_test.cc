#include "ident/template/starter_templates.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "ident/template/field_check.h"
#include "ident/template/template_json.h"

namespace qilian::ident::templates {
namespace {

Template Parse(const StarterTemplate& s) {
  auto json = ParseTemplateText(StarterTemplateBody(s));
  EXPECT_TRUE(json.ok()) << s.name << ": " << json.status();
  auto t = TemplateFromJson(*json);
  EXPECT_TRUE(t.ok()) << s.name << ": " << t.status();
  return t.ok() ? *t : Template{};
}

TEST(StarterTemplatesTest, EveryIndustryParsesWithBilingualFields) {
  std::set<std::string> names;
  for (const StarterTemplate& s : StarterTemplates()) {
    Template t = Parse(s);
    EXPECT_EQ(t.name, s.name);
    names.insert(t.name);
    EXPECT_EQ(t.fields[0].name, "productName");
    EXPECT_EQ(t.fields[7].name, "manufacturerCreditCode");
    EXPECT_GE(t.fields.size(), 15u) << s.name;
    for (const Field& f : t.fields) {
      EXPECT_FALSE(f.description_zh.empty()) << s.name << "." << f.name;
      EXPECT_FALSE(f.description_en.empty()) << s.name << "." << f.name;
    }
    EXPECT_EQ(FindStarterTemplate(s.name), &s);
  }
  EXPECT_EQ(names, (std::set<std::string>{"petrochemical-product", "nonferrous-ingot",
                                          "equipment-unit", "pharma-lot", "food-batch"}));
  EXPECT_EQ(FindStarterTemplate("steel"), nullptr);
}

// The realistic values of each industry's identifying fields pass.
TEST(StarterTemplatesTest, RealisticValuesPass) {
  struct Case {
    std::string_view starter, field, value;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"petrochemical-product", "hazardClass", "3 易燃液体"},
           {"petrochemical-product", "unNumber", "UN1203"},
           {"petrochemical-product", "standard", "GB 17930-2016"},
           {"nonferrous-ingot", "alloyGrade", "Al99.70"},
           {"nonferrous-ingot", "standard", "GB/T 1196-2017"},
           {"equipment-unit", "installationSite", "36.0611,103.8343"},
           {"equipment-unit", "componentOf", "88.999.7/PUMPSET-0001"},
           {"pharma-lot", "approvalNo", "国药准字H20244567"},
           {"pharma-lot", "udiDi", "06901234567892"},
           {"food-batch", "productionLicenseNo", "SC10162010200017"},
           {"food-batch", "manufacturerCreditCode", "91620100MA74XQ6K3N"},
       }) {
    CompiledTemplate t(Parse(*FindStarterTemplate(c.starter)));
    size_t i = 0;
    while (i < t.get().fields.size() && t.get().fields[i].name != c.field) ++i;
    ASSERT_LT(i, t.get().fields.size()) << c.field;
    EXPECT_TRUE(t.CheckValue(i, c.value).ok()) << c.starter << "." << c.field << " " << c.value;
  }
}

}  // namespace
}  // namespace qilian::ident::templates
