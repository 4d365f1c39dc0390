// Fuzz target: the Alibaba TSL and JetLinks metadata importers. The first
// byte picks the importer (odd, as 'A': Alibaba; even, as 'J': JetLinks),
// the rest is the document. Any input must give a
// model (which the parser accepts again) or an error, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "platform/thing_model/import.h"
#include "platform/thing_model/thing_model_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto result = (data[0] & 1) ? qilian::platform::ImportAlibabaTsl(text)
                              : qilian::platform::ImportJetLinksMetadata(text);
  if (!result.ok()) return 0;
  auto again = qilian::platform::ParseThingModel(qilian::platform::EncodeThingModel(result->model));
  if (!again.ok() || !(*again == result->model)) std::abort();
  return 0;
}
