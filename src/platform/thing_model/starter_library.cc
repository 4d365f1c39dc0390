#include "platform/thing_model/starter_library.h"

#include <array>

#include "platform/thing_model/starter_library_data.h"

namespace qilian::platform {

namespace {

struct Meta {
  std::string_view id, name_zh, name_en, industry;
};

// One row per file in library/ (the test checks that they match).
constexpr Meta kMeta[] = {
    {"centrifugal_pump", "离心泵", "Centrifugal pump", "general"},
    {"motor", "电动机", "Induction motor", "general"},
    {"air_compressor", "螺杆空压机", "Screw air compressor", "general"},
    {"rotary_kiln", "回转窑", "Rotary kiln", "cement, nonferrous"},
    {"electrolytic_cell", "铝电解槽", "Aluminium reduction cell", "aluminium"},
    {"cnc_machine", "数控机床", "CNC machining centre", "equipment manufacturing"},
    {"reactor", "聚合反应釜", "Polymerisation reactor", "petrochemical"},
};

std::array<StarterProduct, std::size(kMeta)> Build() {
  std::array<StarterProduct, std::size(kMeta)> products{};
  for (size_t i = 0; i < std::size(kMeta); ++i) {
    std::string_view text;
    for (const auto& file : starter_data::kFiles) {
      if (file.id == kMeta[i].id) text = file.json;
    }
    products[i] = {kMeta[i].id, kMeta[i].name_zh, kMeta[i].name_en, kMeta[i].industry, text};
  }
  return products;
}

}  // namespace

std::span<const StarterProduct> StarterLibrary() {
  static const auto products = Build();
  return products;
}

const StarterProduct* FindStarterProduct(std::string_view id) {
  for (const StarterProduct& product : StarterLibrary()) {
    if (product.id == id) return &product;
  }
  return nullptr;
}

}  // namespace qilian::platform
