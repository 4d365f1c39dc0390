#include "platform/shadow/shadow_value.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace qilian::platform {
namespace {

TEST(StoredValue, IsSixteenBytes) { EXPECT_EQ(sizeof(StoredValue), 16u); }

TEST(StoredValue, HoldsEachKind) {
  StoredValue v;
  EXPECT_TRUE(v.empty());
  v.Set(ValueView::Bool(true));
  EXPECT_EQ(ToJson(v.view()), nlohmann::json(true));
  v.Set(ValueView::Int(-7));
  EXPECT_EQ(ToJson(v.view()), nlohmann::json(-7));
  EXPECT_TRUE(ToJson(ValueView::Int(7)).is_number_unsigned());
  v.Set(ValueView::Double(2.5));
  EXPECT_EQ(ToJson(v.view()), nlohmann::json(2.5));
  v.Set(ValueView::Text("a text longer than sixteen bytes"));
  EXPECT_EQ(v.view().text, "a text longer than sixteen bytes");
  EXPECT_EQ(v.heap_bytes(), 8u + 32u);
  v.Set(ValueView::Json(R"({"x":1})"));
  EXPECT_EQ(v.kind(), ValueKind::kJson);
  EXPECT_EQ(ToJson(v.view()), nlohmann::json::parse(R"({"x":1})"));
  EXPECT_EQ(v.heap_bytes(), 8u + 32u);  // the old buffer is reused
  v.Set(ValueView::Int(1));
  EXPECT_EQ(v.heap_bytes(), 0u);
}

TEST(StoredValue, CopiesAndMoves) {
  StoredValue a(ValueView::Text("hello"));
  StoredValue b = a;
  EXPECT_EQ(b.view().text, "hello");
  EXPECT_NE(b.view().text.data(), a.view().text.data());
  StoredValue c = std::move(a);
  EXPECT_EQ(c.view().text, "hello");
  EXPECT_TRUE(a.empty());
  c = b;
  EXPECT_EQ(c.view().text, "hello");
  c.Set(c.view());  // a view of itself
  EXPECT_EQ(c.view().text, "hello");
  b = std::move(c);
  EXPECT_EQ(b.view().text, "hello");
}

}  // namespace
}  // namespace qilian::platform
