// The starter library: thing models of common equipment in the plan's
// industries, to create a product from without writing a model
// (docs/thing-model.md, "Starter library"). The models are JSON files in
// library/, compiled into the binary; each parses and passes the tests.
#ifndef QILIAN_PLATFORM_THING_MODEL_STARTER_LIBRARY_H_
#define QILIAN_PLATFORM_THING_MODEL_STARTER_LIBRARY_H_

#include <span>
#include <string_view>

namespace qilian::platform {

struct StarterProduct {
  std::string_view id;          // "centrifugal_pump": the file name in library/
  std::string_view name_zh;     // "离心泵"
  std::string_view name_en;     // "Centrifugal pump"
  std::string_view industry;    // "general", "cement", "aluminium", ...
  std::string_view model_json;  // our format, canonical (EncodeThingModel)
};

std::span<const StarterProduct> StarterLibrary();
// nullptr if there is no such product.
const StarterProduct* FindStarterProduct(std::string_view id);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_THING_MODEL_STARTER_LIBRARY_H_
