#include "security/analyzers/registry.h"

#include <gtest/gtest.h>

namespace qilian::security {
namespace {

TEST(AnalyzerRegistryTest, FindsByTransportAndPort) {
  AnalyzerRegistry r;
  r.Register(AnalyzerInfo{.name = "a", .transport = Transport::kTcp, .ports = {502}});
  r.Register(AnalyzerInfo{.name = "b", .transport = Transport::kUdp, .ports = {502, 503}});
  ASSERT_EQ(r.ForPort(Transport::kTcp, 502).size(), 1u);
  EXPECT_EQ(r.ForPort(Transport::kTcp, 502)[0]->name, "a");
  EXPECT_EQ(r.ForPort(Transport::kUdp, 503)[0]->name, "b");
  EXPECT_TRUE(r.ForPort(Transport::kTcp, 503).empty());
  EXPECT_TRUE(r.IsServerPort(Transport::kUdp, 502));
  EXPECT_FALSE(r.IsServerPort(Transport::kTcp, 80));
}

TEST(AnalyzerRegistryTest, BuiltinListRegistersModbus) {
  AnalyzerRegistry r;
  RegisterBuiltinAnalyzers(&r);
  auto found = r.ForPort(Transport::kTcp, 502);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]->name, "modbus");
  EXPECT_NE(found[0]->signature, nullptr);
  EXPECT_NE(found[0]->create, nullptr);
}

}  // namespace
}  // namespace qilian::security
