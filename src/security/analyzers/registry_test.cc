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

bool StartsWithAa(std::span<const uint8_t> b) { return !b.empty() && b[0] == 0xaa; }

TEST(AnalyzerRegistryTest, FlowCandidatesByPortThenAnyPortSignatures) {
  AnalyzerRegistry r;
  r.Register(AnalyzerInfo{.name = "a", .transport = Transport::kTcp, .ports = {4712}});
  r.Register(AnalyzerInfo{.name = "strong",
                          .transport = Transport::kTcp,
                          .ports = {4713},
                          .signature = StartsWithAa,
                          .on_any_port = true});
  r.Register(AnalyzerInfo{.name = "udp", .transport = Transport::kUdp, .ports = {},
                          .signature = nullptr, .on_any_port = true});
  bool by_port = false;
  auto c = r.ForFlow(Transport::kTcp, 4712, 50000, &by_port);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->name, "a");
  EXPECT_TRUE(by_port);
  c = r.ForFlow(Transport::kTcp, 50000, 4712, &by_port);  // the originator's port
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->name, "a");
  c = r.ForFlow(Transport::kTcp, 50000, 50001, &by_port);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->name, "strong");
  EXPECT_FALSE(by_port);
  // Without a signature a protocol cannot be recognised on any port.
  EXPECT_TRUE(r.ForFlow(Transport::kUdp, 50000, 50001, &by_port).empty());
}

TEST(AnalyzerRegistryTest, LinkLayerCandidatesByEtherType) {
  AnalyzerRegistry r;
  r.Register(AnalyzerInfo{.name = "goose", .transport = Transport::kLink, .ports = {0x88b8}});
  ASSERT_EQ(r.ForEtherType(0x88b8).size(), 1u);
  EXPECT_TRUE(r.ForEtherType(0x8892).empty());
  EXPECT_TRUE(r.ForPort(Transport::kUdp, 0x88b8).empty());
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
