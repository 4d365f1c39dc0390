#include "ident/template/compatibility.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace qilian::ident::templates {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Template Base() {
  Template t;
  t.name = "batch";
  Field lot;
  lot.name = "lot";
  lot.required = true;
  lot.limits.min_length = 4;
  lot.limits.max_length = 20;
  lot.limits.pattern = "[A-Z0-9-]+";
  Field weight;
  weight.name = "weight";
  weight.type = FieldType::kDecimal;
  weight.unit = "kg";
  weight.limits.minimum = 0;
  weight.limits.maximum = 1000;
  Field result;
  result.name = "result";
  result.type = FieldType::kEnum;
  result.enum_values = {"pass", "fail"};
  t.fields = {lot, weight, result};
  return t;
}

TEST(CompatibilityTest, CompatibleChanges) {
  Template next = Base();
  next.description_en = "new words";
  next.industry = "C14";
  next.fields[0].limits.min_length = 1;          // loosened
  next.fields[0].limits.max_length.reset();      // dropped
  next.fields[1].limits.maximum = 2000;          // loosened
  next.fields[1].is_public = false;              // governs later writes
  next.fields[2].enum_values.push_back("hold");  // added value
  Field note;
  note.name = "note";  // optional new field
  next.fields.push_back(note);
  EXPECT_THAT(BreakingChanges(Base(), next), IsEmpty());
}

TEST(CompatibilityTest, EachBreakingChangeIsNamed) {
  Template next = Base();
  next.fields[0].limits.min_length = 6;
  next.fields[0].limits.max_length = 12;
  next.fields[0].limits.pattern = "[A-Z]+";
  next.fields[1].required = true;
  next.fields[1].unit = "t";
  next.fields[1].limits.minimum = 1;
  next.fields[1].limits.maximum = 500;
  next.fields[2].enum_values = {"pass"};
  Field extra;
  extra.name = "line";
  extra.required = true;
  next.fields.push_back(extra);
  EXPECT_THAT(BreakingChanges(Base(), next),
              ElementsAre("field 'lot': minLength tightens from 4 to 6",
                          "field 'lot': maxLength tightens from 20 to 12",
                          "field 'lot': pattern changes from '[A-Z0-9-]+' to '[A-Z]+'",
                          "field 'weight': unit changes from 'kg' to 't'",
                          "field 'weight': becomes required",
                          "field 'weight': minimum tightens from 0 to 1",
                          "field 'weight': maximum tightens from 1000 to 500",
                          "field 'result': enum value 'fail' removed",
                          "field 'line': new and required"));
}

TEST(CompatibilityTest, RemovalAndTypeChangeAndAddedLimits) {
  Template next = Base();
  next.fields.erase(next.fields.begin() + 2);  // result removed
  next.fields[1].type = FieldType::kInteger;
  Template loose = Base();
  loose.fields[0].limits = Limits{};
  Template tight = loose;
  tight.fields[0].limits.max_length = 10;  // a limit where there was none
  EXPECT_THAT(BreakingChanges(Base(), next),
              ElementsAre("field 'weight': type changes from decimal to integer",
                          "field 'result': removed"));
  EXPECT_THAT(BreakingChanges(loose, tight),
              ElementsAre("field 'lot': maxLength tightens from none to 10"));
}

}  // namespace
}  // namespace qilian::ident::templates
