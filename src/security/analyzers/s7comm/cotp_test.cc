#include "security/analyzers/s7comm/cotp.h"

#include <gtest/gtest.h>

#include <vector>

namespace qilian::security::s7comm {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(CotpTest, ConnectRequestWithTsaps) {
  // LI 17, CR, dst-ref 0, src-ref 1, class 0, TPDU size 1024, TSAPs 0100/0102.
  Bytes cr = {0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xc0, 0x01,
              0x0a, 0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x01, 0x02};
  CotpTpdu t;
  EXPECT_EQ(ParseCotp(cr, &t), "");
  EXPECT_EQ(t.type, kCotpCr);
  EXPECT_EQ(t.src_ref, 1);
  EXPECT_EQ(t.tpdu_size, 10);
  EXPECT_EQ(*t.src_tsap, std::string("\x01\x00", 2));
  EXPECT_EQ(*t.dst_tsap, std::string("\x01\x02", 2));
}

TEST(CotpTest, DataWithAndWithoutEndOfTsdu) {
  CotpTpdu t;
  Bytes dt = {0x02, 0xf0, 0x80, 0x32, 0x01};
  EXPECT_EQ(ParseCotp(dt, &t), "");
  EXPECT_TRUE(t.eot);
  EXPECT_EQ(t.payload.size(), 2u);
  Bytes more = {0x02, 0xf0, 0x05, 0x32};
  EXPECT_EQ(ParseCotp(more, &t), "");
  EXPECT_FALSE(t.eot);
  EXPECT_EQ(t.tpdu_number, 5);
}

TEST(CotpTest, MalformedTpdus) {
  CotpTpdu t;
  EXPECT_EQ(ParseCotp(Bytes{0x09, 0xf0, 0x80}, &t), "s7comm_bad_cotp");  // LI past the end
  EXPECT_EQ(ParseCotp(Bytes{0x01, 0xf0}, &t), "s7comm_bad_cotp");        // DT without its byte
  EXPECT_EQ(ParseCotp(Bytes{0x02, 0xe0, 0x00}, &t), "s7comm_bad_cotp");  // CR cut short
  // A parameter whose length runs past the header.
  EXPECT_EQ(ParseCotp(Bytes{0x08, 0xe0, 0, 0, 0, 1, 0, 0xc1, 0x05}, &t), "s7comm_bad_cotp");
  EXPECT_EQ(ParseCotp(Bytes{0x02, 0x60, 0x00}, &t), "s7comm_unexpected_cotp_type");
}

TEST(CotpTest, PlausibleTpkt) {
  EXPECT_TRUE(PlausibleTpkt(Bytes{3, 0, 0, 7, 2, 0xf0, 0x80}));
  EXPECT_TRUE(PlausibleTpkt(Bytes{3, 0, 0, 22, 0x11, 0xe0}));
  EXPECT_FALSE(PlausibleTpkt(Bytes{3, 0, 0, 6, 2, 0xf0}));  // too short for a DT
  EXPECT_FALSE(PlausibleTpkt(Bytes{3, 1, 0, 7, 2, 0xf0}));  // reserved byte set
  EXPECT_FALSE(PlausibleTpkt(Bytes{3, 0, 0, 7, 9, 0xf0}));  // LI beyond the TPKT
  EXPECT_FALSE(PlausibleTpkt(Bytes{3, 0, 0, 7, 2, 0x30}));  // no such TPDU
  EXPECT_FALSE(PlausibleTpkt(Bytes{'G', 'E', 'T', ' ', '/', ' '}));
}

}  // namespace
}  // namespace qilian::security::s7comm
