#include "platform/device/device_csv.h"

#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"

namespace qilian::platform {
namespace {

using ident::ResponseCode;
using ident::ResponseCodeOf;

TEST(DeviceCsv, RowsWithQuotingTagsAndBlankLines) {
  auto rows = ParseDeviceCsv(
      "\xEF\xBB\xBFid,product,name,serial,gateway,tags\r\n"
      "gw-1,gw,网关,SN1,,site=lz\r\n"
      "\n"
      "p-1,pump,\"Pump, \"\"big\"\"\",SN2,gw-1,line=2;site=lz\n"
      "p-2,pump,\"two\nlines\",,,\n"
      "p-3,pump\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  const DeviceInput& gw = *(*rows)[0].input;
  EXPECT_EQ((*rows)[0].line, 2u);
  EXPECT_EQ(gw.id, "gw-1");
  EXPECT_EQ(gw.name.zh, "网关");
  EXPECT_EQ(gw.tags, (DeviceTags{{"site", "lz"}}));
  const DeviceInput& p1 = *(*rows)[1].input;
  EXPECT_EQ((*rows)[1].line, 4u);
  EXPECT_EQ(p1.name.zh, "Pump, \"big\"");
  EXPECT_EQ(p1.gateway, "gw-1");
  EXPECT_EQ(p1.tags, (DeviceTags{{"line", "2"}, {"site", "lz"}}));
  EXPECT_EQ((*rows)[2].input->name.zh, "two\nlines");
  EXPECT_EQ((*rows)[3].line, 7u);
  EXPECT_EQ((*rows)[3].input.status().message(), "line 7: has 2 fields, the header has 6");
  EXPECT_EQ(ResponseCodeOf((*rows)[3].input.status()), ResponseCode::kInvalidValue);
}

TEST(DeviceCsv, HeaderInAnyOrderWithOptionalColumns) {
  auto rows = ParseDeviceCsv("product,id,model_version\npump,a,2\npump,b,\npump,c,x\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0].input->model_version, 2u);
  EXPECT_EQ((*rows)[1].input->model_version, 0u);
  EXPECT_EQ((*rows)[2].input.status().message(),
            "line 4: model_version: 'x' is not a positive integer");
}

TEST(DeviceCsv, BadRowsAreNamedByLine) {
  auto rows = ParseDeviceCsv("id,product,tags\na,pump,novalue\nb,pump,k=1;k=2\n");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].input.status().message(), "line 2: tags: 'novalue' is not key=value");
  EXPECT_EQ((*rows)[1].input.status().message(), "line 3: tags: 'k' is given more than once");
}

TEST(DeviceCsv, FileErrors) {
  auto msg = [](std::string_view text) {
    auto r = ParseDeviceCsv(text);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(ResponseCodeOf(r.status()), ResponseCode::kProtocolError);
    return std::string(r.status().message());
  };
  EXPECT_EQ(msg(""), "csv: no header line (id,product,name,serial,gateway,tags)");
  EXPECT_EQ(msg("id,colour\n"),
            "csv: header: unknown column 'colour' (known: id, product, name, name_en, serial, "
            "gateway, tags, model_version)");
  EXPECT_EQ(msg("id,id,product\n"), "csv: header: column 'id' is given twice");
  EXPECT_EQ(msg("id,name\n"), "csv: header: the columns id and product are required");
  EXPECT_EQ(msg("id,product\n\"a,pump\n"), "csv: line 2: a quoted field is not closed");
  EXPECT_EQ(msg("id,product\n\"a\"x,pump\n"), "csv: line 2: text after a closing quote");
  EXPECT_EQ(msg("id,product\n" + std::string(5000, 'a') + ",p\n"),
            "csv: line 2: a field is longer than 4096 bytes");
  std::string many = "id,product\n";
  for (size_t i = 0; i <= kMaxCsvRows; ++i) many += "a,p\n";
  EXPECT_EQ(msg(many), "csv: more than 100000 rows");
  EXPECT_EQ(msg(std::string(kMaxCsvBytes + 1, 'a')), "csv: the file is longer than 16777216 bytes");
}

}  // namespace
}  // namespace qilian::platform
