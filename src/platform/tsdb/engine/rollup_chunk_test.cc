#include "platform/tsdb/engine/rollup_chunk.h"

#include "gtest/gtest.h"
namespace qilian::platform::tsdb {
namespace {
TEST(RollupChunkTest, Placeholder) {}
}  // namespace
}  // namespace qilian::platform::tsdb
