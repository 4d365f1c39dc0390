// Tests only: a Registry over a memory store that checks records against
// the templates of a TemplateStore in the same store, as qiliand wires them.
#ifndef QILIAN_IDENT_TEMPLATE_TEST_TEMPLATES_H_
#define QILIAN_IDENT_TEMPLATE_TEST_TEMPLATES_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/template/record_check.h"
#include "ident/template/template_json.h"
#include "ident/template/template_store.h"
#include "store/memory_store.h"

namespace qilian::ident::templates::test {

struct TemplatedRegistry {
  TemplatedRegistry()
      : kv(store::NewMemoryStore(store::StoreOptions{
            {std::string(Registry::kSpace), std::string(TemplateStore::kSpace)}})),
        templates(kv.get(), clock),
        check(&templates),
        registry(kv.get(), clock, Checked(&check)) {}

  static RegistryOptions Checked(const RecordValidator* validator) {
    RegistryOptions options;
    options.record_validator = validator;
    return options;
  }

  // Defines version 1 of the template `json` under `prefix`.
  void Define(std::string_view prefix, std::string_view json) {
    auto parsed = ParseTemplateText(json);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    auto t = TemplateFromJson(*parsed);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_TRUE(templates.Create(prefix, *t).ok());
  }

  FakeClock clock{absl::FromUnixSeconds(1765000000)};
  std::unique_ptr<store::KvStore> kv;
  TemplateStore templates;
  TemplateRecordCheck check;
  Registry registry;
};

}  // namespace qilian::ident::templates::test

#endif  // QILIAN_IDENT_TEMPLATE_TEST_TEMPLATES_H_
