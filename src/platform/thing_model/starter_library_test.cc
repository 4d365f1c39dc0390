#include "platform/thing_model/starter_library.h"

#include <filesystem>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "platform/thing_model/compatibility.h"
#include "platform/thing_model/thing_model_json.h"
#include "platform/thing_model/value_check.h"

namespace qilian::platform {

void PrintTo(const StarterProduct& p, std::ostream* os) { *os << p.id; }

namespace {

using nlohmann::json;

// A value every type accepts: mid-range numbers on the step grid, the first
// enum item, a short text, a date, and so on.
json SampleValue(const DataType& type) {
  switch (type.kind) {
    case TypeKind::kInt:
    case TypeKind::kLong: {
      int64_t lo = static_cast<int64_t>(type.min.value_or(0));
      int64_t hi = static_cast<int64_t>(type.max.value_or(static_cast<double>(lo) + 100));
      int64_t step = static_cast<int64_t>(type.step.value_or(1));
      return lo + (hi - lo) / 2 / step * step;
    }
    case TypeKind::kFloat:
    case TypeKind::kDouble: {
      double lo = type.min.value_or(0);
      double hi = type.max.value_or(lo + 100);
      if (type.step) return lo + std::floor((hi - lo) / 2 / *type.step) * *type.step;
      return (lo + hi) / 2;
    }
    case TypeKind::kBool:
      return true;
    case TypeKind::kEnum:
      return type.items.front().value;
    case TypeKind::kText:
      return "样例";
    case TypeKind::kDate:
      return "2026-12-07T08:00:00+08:00";
    case TypeKind::kStruct: {
      json out = json::object();
      for (const Field& field : type.fields) out[field.identifier] = SampleValue(field.type);
      return out;
    }
    case TypeKind::kArray:
      return json::array({SampleValue(type.element.front()), SampleValue(type.element.front())});
    case TypeKind::kGeoPoint:
      return {{"lon", 103.83}, {"lat", 36.06}};
  }
  return nullptr;
}

json SampleParams(const std::vector<Field>& fields) {
  json out = json::object();
  for (const Field& field : fields) out[field.identifier] = SampleValue(field.type);
  return out;
}

TEST(StarterLibrary, HasTheSevenIndustrialProducts) {
  std::set<std::string> ids;
  for (const StarterProduct& product : StarterLibrary()) ids.insert(std::string(product.id));
  EXPECT_EQ(ids,
            (std::set<std::string>{"centrifugal_pump", "motor", "air_compressor", "rotary_kiln",
                                   "electrolytic_cell", "cnc_machine", "reactor"}));
  // Every file in library/ is in the table and the other way round.
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(QILIAN_THING_MODEL_TESTDATA) + "/../library")) {
    files.insert(entry.path().stem().string());
  }
  EXPECT_EQ(files, ids);
  ASSERT_NE(FindStarterProduct("electrolytic_cell"), nullptr);
  EXPECT_EQ(FindStarterProduct("electrolytic_cell")->name_zh, "铝电解槽");
  EXPECT_EQ(FindStarterProduct("boiler"), nullptr);
}

class StarterModel : public ::testing::TestWithParam<StarterProduct> {};

TEST_P(StarterModel, ParsesIsCanonicalAndAcceptsPlausibleData) {
  const StarterProduct& product = GetParam();
  ASSERT_FALSE(product.model_json.empty());
  auto model = ParseThingModel(product.model_json);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(EncodeThingModel(*model), product.model_json);
  EXPECT_GE(model->properties.size(), 10u);
  EXPECT_GE(model->events.size(), 3u);
  EXPECT_GE(model->services.size(), 3u);
  EXPECT_TRUE(FindBreakingChanges(*model, *model).empty());

  ModelIndex index(*model);
  for (const Property& property : model->properties) {
    EXPECT_TRUE(index.CheckProperty(property.identifier, SampleValue(property.type)).ok())
        << property.identifier << " " << SampleValue(property.type);
    // Numeric properties carry a unit or are dimensionless counts/ratios.
    if (IsNumeric(property.type.kind) && property.type.max && property.type.min) {
      EXPECT_FALSE(index.CheckProperty(property.identifier, json(*property.type.max + 1e6)).ok())
          << property.identifier;
    }
  }
  for (const Event& event : model->events) {
    EXPECT_TRUE(index.CheckEvent(event.identifier, SampleParams(event.output)).ok())
        << event.identifier;
  }
  for (const Service& service : model->services) {
    EXPECT_TRUE(index.CheckServiceInput(service.identifier, SampleParams(service.input)).ok())
        << service.identifier;
    EXPECT_TRUE(index.CheckServiceOutput(service.identifier, SampleParams(service.output)).ok())
        << service.identifier;
  }
}

INSTANTIATE_TEST_SUITE_P(All, StarterModel,
                         ::testing::ValuesIn(StarterLibrary().begin(), StarterLibrary().end()),
                         [](const ::testing::TestParamInfo<StarterProduct>& info) {
                           return std::string(info.param.id);
                         });

// Spot checks of the industrial content: the units and ranges that make
// these models worth starting from.
TEST(StarterLibrary, IndustrialUnitsAndRanges) {
  auto cell = ParseThingModel(FindStarterProduct("electrolytic_cell")->model_json);
  ASSERT_TRUE(cell.ok());
  ModelIndex cells(*cell);
  EXPECT_EQ(cells.FindProperty("lineCurrent")->type.unit, "kA");
  EXPECT_EQ(cells.FindProperty("cellVoltage")->type.unit, "mV");
  EXPECT_TRUE(cells.CheckProperty("cellVoltage", json(4150.0)).ok());
  EXPECT_TRUE(cells.CheckProperty("bathTemperature", json(955.0)).ok());
  EXPECT_EQ(std::string(cells.CheckProperty("bathTemperature", json(700)).message()),
            "bathTemperature: 700 is below the minimum 850.0");
  EXPECT_TRUE(cells
                  .CheckEvent("anodeEffect", json{{"peakVoltage", 32000.0},
                                                  {"duration", 45},
                                                  {"start", "2026-12-07T03:12:00Z"}})
                  .ok());

  auto pump = ParseThingModel(FindStarterProduct("centrifugal_pump")->model_json);
  ASSERT_TRUE(pump.ok());
  ModelIndex pumps(*pump);
  EXPECT_EQ(pumps.FindProperty("flowRate")->type.unit, "m³/h");
  EXPECT_EQ(pumps.FindProperty("vibrationVelocity")->type.unit, "mm/s");
  EXPECT_EQ(std::string(pumps.CheckPropertyWrite("speedSetpoint", json(1455)).message()),
            "speedSetpoint: 1455 is not a multiple of the step 10 from 600");

  auto kiln = ParseThingModel(FindStarterProduct("rotary_kiln")->model_json);
  ASSERT_TRUE(kiln.ok());
  ModelIndex kilns(*kiln);
  EXPECT_TRUE(kilns.CheckProperty("kilnSpeed", json(3.8)).ok());
  EXPECT_EQ(
      std::string(kilns.CheckProperty("shellTemperatures", json::array({250.0, 700.0})).message()),
      "shellTemperatures[1]: 700.0 is above the maximum 600.0");
}

}  // namespace
}  // namespace qilian::platform
