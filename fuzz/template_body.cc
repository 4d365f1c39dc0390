// Fuzz target: a template body through the strict parser. Any bytes must
// give a template or an error naming a field, never a crash; an accepted
// template must encode canonically and parse back equal (as stored), be
// compatible with itself, and compile and check a value for every field.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ident/template/compatibility.h"
#include "ident/template/field_check.h"
#include "ident/template/template_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = qilian::ident::templates;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = t::ParseTemplateText(text);
  if (!json.ok()) return 0;
  auto tmpl = t::TemplateFromJson(*json);
  if (!tmpl.ok()) return 0;
  auto again = t::TemplateFromJson(t::TemplateToJson(*tmpl), t::JsonSource::kStored);
  if (!again.ok() || !(*again == *tmpl) || !t::BreakingChanges(*tmpl, *again).empty()) {
    std::abort();
  }
  t::CompiledTemplate compiled(*std::move(tmpl));
  for (size_t i = 0; i < compiled.get().fields.size(); ++i) (void)compiled.CheckValue(i, text);
  return 0;
}
