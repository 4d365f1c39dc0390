#include "security/analyzers/iec104/iec104_asdu.h"

#include <gtest/gtest.h>

#include "security/analyzers/iec104/iec104_types.h"

namespace qilian::security::iec104 {
namespace {

using Bytes = std::vector<uint8_t>;
using Json = nlohmann::json;

// Type, VSQ, COT (with P/N and test), originator, common address (LE).
Bytes Header(uint8_t type, uint8_t vsq, uint8_t cot, uint16_t ca = 0x910d) {
  return {type, vsq, cot, 0, static_cast<uint8_t>(ca), static_cast<uint8_t>(ca >> 8)};
}

Bytes Cat(Bytes a, const Bytes& b) {
  for (uint8_t x : b) a.push_back(x);
  return a;
}

TEST(Iec104TypesTest, NamesAndLayouts) {
  EXPECT_EQ(TypeName(1), "M_SP_NA_1");
  EXPECT_EQ(TypeName(45), "C_SC_NA_1");
  EXPECT_EQ(TypeName(100), "C_IC_NA_1");
  EXPECT_EQ(TypeName(107), "C_TS_TA_1");
  EXPECT_EQ(TypeName(127), "F_SC_NB_1");
  EXPECT_EQ(TypeName(22), "unknown");
  EXPECT_EQ(TypeName(0), "unknown");
  EXPECT_EQ(CauseName(3), "spont");
  EXPECT_EQ(CauseName(20), "inrogen");
  EXPECT_EQ(CauseName(36), "inro16");
  EXPECT_EQ(CauseName(41), "reqco4");
  EXPECT_EQ(CauseName(47), "unknown_object_address");
  EXPECT_EQ(CauseName(14), "");
  EXPECT_EQ(CauseName(63), "");
  EXPECT_EQ(UFunctionName(0x07), "STARTDT_act");
  EXPECT_EQ(UFunctionName(0x83), "TESTFR_con");
  EXPECT_EQ(UFunctionName(0x0f), "");
}

TEST(Iec104AsduTest, HeaderFields) {
  Asdu a;
  // C_SC_NA_1, activation confirmation, negative and test, originator 3.
  Bytes b = Cat(Header(45, 0x01, 0xc7, 37133), {0x4e, 0x56, 0x00, 0x81});
  b[3] = 3;
  EXPECT_EQ(ParseAsdu(b, &a), "");
  EXPECT_EQ(a.type_id, 45);
  EXPECT_FALSE(a.sq);
  EXPECT_EQ(a.num_objects, 1);
  EXPECT_EQ(a.cot, 7);
  EXPECT_TRUE(a.negative);
  EXPECT_TRUE(a.test);
  EXPECT_EQ(a.originator, 3);
  EXPECT_EQ(a.common_address, 37133);
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(Json(a.objects[0]), Json::parse(R"({"ioa":22094,"value":true,"select":true,"qu":0})"));
}

TEST(Iec104AsduTest, SequenceOfSinglePoints) {
  Asdu a;
  // SQ=1, three objects from IOA 10010: on, off with IV, on with BL.
  Bytes b = Cat(Header(1, 0x83, 20), {0x1a, 0x27, 0x00, 0x01, 0x80, 0x11});
  EXPECT_EQ(ParseAsdu(b, &a), "");
  ASSERT_EQ(a.objects.size(), 3u);
  EXPECT_EQ(a.objects[0]["ioa"], 10010);
  EXPECT_EQ(a.objects[2]["ioa"], 10012);
  EXPECT_EQ(a.objects[1]["value"], false);
  EXPECT_EQ(a.objects[1]["quality"], Json({"IV"}));
  EXPECT_EQ(a.objects[2]["quality"], Json({"BL"}));
  EXPECT_FALSE(a.objects[0].contains("quality"));
}

TEST(Iec104AsduTest, MeasuredValuesWithTime) {
  Asdu a;
  // M_ME_TF_1: float 1.5 with QDS 0, CP56Time2a 2021-03-04 05:06:07.097.
  Bytes b = Cat(Header(36, 0x01, 3), {0x01, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x3f, 0x00, 0xb9, 0x1b,
                                      0x06, 0x05, 0x04, 0x03, 0x15});
  EXPECT_EQ(ParseAsdu(b, &a), "");
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0]["value"], 1.5);
  EXPECT_EQ(a.objects[0]["time"], "2021-03-04T05:06:07.097");
  Asdu n;
  // M_ME_NA_1 normalized -0.5 with OV; M_ME_NB_1 scaled -2.
  EXPECT_EQ(ParseAsdu(Cat(Header(9, 0x01, 1), {5, 0, 0, 0x00, 0xc0, 0x01}), &n), "");
  EXPECT_EQ(n.objects[0]["value"], -0.5);
  EXPECT_EQ(n.objects[0]["quality"], Json({"OV"}));
  Asdu s;
  EXPECT_EQ(ParseAsdu(Cat(Header(11, 0x01, 1), {5, 0, 0, 0xfe, 0xff, 0x00}), &s), "");
  EXPECT_EQ(s.objects[0]["value"], -2);
}

TEST(Iec104AsduTest, FloatsAreWrittenShortest) {
  Asdu a;
  // 1.1f = 0x3f8ccccd.
  EXPECT_EQ(ParseAsdu(Cat(Header(13, 0x01, 3), {1, 0, 0, 0xcd, 0xcc, 0x8c, 0x3f, 0}), &a), "");
  EXPECT_EQ(Json(a.objects[0]).dump(), R"({"ioa":1,"value":1.1})");
}

TEST(Iec104AsduTest, Commands) {
  Asdu dc;
  // C_DC_NA_1 on, execute, long pulse (QU 2).
  EXPECT_EQ(ParseAsdu(Cat(Header(46, 0x01, 6), {0x98, 0x3a, 0x00, 0x0a}), &dc), "");
  EXPECT_EQ(Json(dc.objects[0]),
            Json::parse(R"({"ioa":15000,"value":2,"value_name":"on","select":false,"qu":2})"));
  Asdu rc;
  EXPECT_EQ(ParseAsdu(Cat(Header(47, 0x01, 6), {1, 0, 0, 0x81}), &rc), "");
  EXPECT_EQ(rc.objects[0]["value_name"], "lower");
  EXPECT_EQ(rc.objects[0]["select"], true);
  Asdu se;
  // C_SE_TC_1: 2.5, select, QL 0, with a time tag.
  EXPECT_EQ(ParseAsdu(Cat(Header(63, 0x01, 6),
                          {7, 0, 0, 0, 0, 0x20, 0x40, 0x80, 0, 0, 0x01, 0x01, 0x01, 0x01, 0x18}),
                      &se),
            "");
  EXPECT_EQ(se.objects[0]["value"], 2.5);
  EXPECT_EQ(se.objects[0]["select"], true);
  EXPECT_EQ(se.objects[0]["ql"], 0);
  EXPECT_EQ(se.objects[0]["time"], "2024-01-01T01:01:00.000");
  Asdu ic;
  EXPECT_EQ(ParseAsdu(Cat(Header(100, 0x01, 6), {0, 0, 0, 20}), &ic), "");
  EXPECT_EQ(ic.objects[0]["qoi_name"], "station");
  Asdu ci;
  EXPECT_EQ(ParseAsdu(Cat(Header(101, 0x01, 6), {0, 0, 0, 0x45}), &ci), "");
  EXPECT_EQ(ci.objects[0]["rqt"], 5);
  EXPECT_EQ(ci.objects[0]["frz"], 1);
  Asdu rd;
  EXPECT_EQ(ParseAsdu(Cat(Header(102, 0x01, 5), {0x10, 0x27, 0}), &rd), "");
  EXPECT_EQ(Json(rd.objects[0]), Json::parse(R"({"ioa":10000})"));
  Asdu rp;
  EXPECT_EQ(ParseAsdu(Cat(Header(105, 0x01, 6), {0, 0, 0, 1}), &rp), "");
  EXPECT_EQ(rp.objects[0]["qrp_name"], "general_reset");
  Asdu ts;
  EXPECT_EQ(ParseAsdu(Cat(Header(107, 0x01, 6), {0, 0, 0, 0x34, 0x12, 0, 0, 0, 0, 1, 1, 0}), &ts),
            "");
  EXPECT_EQ(ts.objects[0]["tsc"], 0x1234);
  EXPECT_EQ(ts.objects[0]["time"], "2000-01-01T00:00:00.000");
}

TEST(Iec104AsduTest, TimeFlags) {
  Asdu a;
  EXPECT_EQ(ParseAsdu(Cat(Header(103, 0x01, 6), {0, 0, 0, 0, 0, 0x80, 0x81, 1, 1, 0}), &a), "");
  EXPECT_EQ(a.objects[0]["time_invalid"], true);
  EXPECT_EQ(a.objects[0]["time_summer"], true);
  EXPECT_EQ(a.objects[0]["time"], "2000-01-01T01:00:00.000");
}

TEST(Iec104AsduTest, IntegratedTotalsAndFiles) {
  Asdu it;
  EXPECT_EQ(ParseAsdu(Cat(Header(15, 0x01, 37), {1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x23}), &it), "");
  EXPECT_EQ(it.objects[0]["counter"], -1);
  EXPECT_EQ(it.objects[0]["sequence"], 3);
  EXPECT_EQ(it.objects[0]["carry"], true);
  Asdu sg;
  // F_SG_NA_1: file 1, section 2, a 3-byte segment.
  EXPECT_EQ(ParseAsdu(Cat(Header(125, 0x01, 13), {9, 0, 0, 1, 0, 2, 3, 0xaa, 0xbb, 0xcc}), &sg),
            "");
  EXPECT_EQ(Json(sg.objects[0]),
            Json::parse(R"({"ioa":9,"file":1,"section":2,"segment_length":3})"));
}

TEST(Iec104AsduTest, MalformedAsdus) {
  Asdu a;
  EXPECT_EQ(ParseAsdu(Bytes{45, 1, 6}, &a), "iec104_asdu_truncated");
  Asdu b;
  // Two objects declared, one present.
  EXPECT_EQ(ParseAsdu(Cat(Header(45, 0x02, 6), {1, 0, 0, 1}), &b), "iec104_asdu_length_mismatch");
  EXPECT_EQ(b.objects.size(), 1u);
  Asdu c;
  EXPECT_EQ(ParseAsdu(Cat(Header(45, 0x01, 6), {1, 0, 0, 1, 9}), &c),
            "iec104_asdu_length_mismatch");
  EXPECT_EQ(c.data, "09");
  Asdu d;
  EXPECT_EQ(ParseAsdu(Cat(Header(22, 0x01, 6), {1, 0, 0, 1}), &d), "iec104_unknown_type");
  EXPECT_EQ(d.data, "01000001");
  Asdu e;
  EXPECT_EQ(ParseAsdu(Cat(Header(45, 0x01, 14), {1, 0, 0, 1}), &e), "iec104_unknown_cause");
  Asdu f;
  EXPECT_EQ(ParseAsdu(Header(45, 0x00, 6), &f), "iec104_asdu_no_objects");
  Asdu g;
  // A segment longer than the bytes left.
  EXPECT_EQ(ParseAsdu(Cat(Header(125, 0x01, 13), {9, 0, 0, 1, 0, 2, 200, 1}), &g),
            "iec104_asdu_length_mismatch");
  EXPECT_TRUE(g.objects.empty());
}

TEST(Iec104AsduTest, EveryDefinedTypeDecodesItsLayout) {
  // One and then three objects of each fixed-size type, all zeros: the
  // element sizes and the type table agree, and SQ=1 counts addresses up.
  int types = 0;
  for (int id = 0; id < 256; ++id) {
    const TypeInfo* t = FindType(static_cast<uint8_t>(id));
    if (t == nullptr || t->id == 125) continue;  // F_SG_NA_1 is variable
    ++types;
    size_t size = 0;
    for (uint8_t k = 0; k < t->count; ++k) size += ElementSize(t->elements[k]);
    Asdu one;
    EXPECT_EQ(ParseAsdu(Cat(Header(t->id, 0x01, 3), Bytes(kIoaSize + size, 0)), &one), "")
        << t->name;
    EXPECT_EQ(one.objects.size(), 1u) << t->name;
    Asdu seq;
    EXPECT_EQ(ParseAsdu(Cat(Header(t->id, 0x83, 3), Bytes(kIoaSize + 3 * size, 0)), &seq), "")
        << t->name;
    ASSERT_EQ(seq.objects.size(), 3u) << t->name;
    EXPECT_EQ(seq.objects[2]["ioa"], 2) << t->name;
  }
  EXPECT_EQ(types, 66);  // the 67 types of IEC 60870-5-101 and -104, less F_SG_NA_1
}

}  // namespace
}  // namespace qilian::security::iec104
