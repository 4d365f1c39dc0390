// Imports of thing models written for other platforms (docs/thing-model.md,
// "Import"): Alibaba Cloud IoT TSL JSON and JetLinks metadata JSON. Each
// importer maps what has an equivalent, names every source field it drops in
// a warning ("properties[2].dataType.specs.unitName: no equivalent,
// dropped"), and refuses what it cannot represent (unsupported types,
// non-integer enum values) with InvalidArgument naming the source path. The
// result is then checked as any model of ours is (ThingModelFromJson), so an
// import never yields a model the parser would refuse.
#ifndef QILIAN_PLATFORM_THING_MODEL_IMPORT_H_
#define QILIAN_PLATFORM_THING_MODEL_IMPORT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/thing_model/thing_model.h"

namespace qilian::platform {

struct ImportResult {
  ThingModel model;
  // "<source path>: <what happened>", in source order.
  std::vector<std::string> warnings;
};

// `version` becomes the imported model's version (neither source format
// carries one that means the same).
absl::StatusOr<ImportResult> ImportAlibabaTsl(std::string_view text, uint32_t version = 1);
absl::StatusOr<ImportResult> ImportJetLinksMetadata(std::string_view text, uint32_t version = 1);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_THING_MODEL_IMPORT_H_
