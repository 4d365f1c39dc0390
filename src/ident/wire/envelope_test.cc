#include "ident/wire/envelope.h"

#include "gtest/gtest.h"
#include "ident/wire/testdata/vectors.h"

namespace qilian::ident::wire {
namespace {

using testdata::AsSpan;
using testdata::VectorBytes;

TEST(EnvelopeTest, DecodesFragmentEnvelopeAndReencodes) {
  std::string msg = VectorBytes("resolve-udp-fragmented", 2);
  Envelope env;
  ASSERT_TRUE(DecodeEnvelope(AsSpan(msg), &env));
  EXPECT_EQ(env.major_version, 2);
  EXPECT_EQ(env.minor_version, 11);
  EXPECT_EQ(env.flags, 0x220b);
  EXPECT_TRUE(env.truncated());
  EXPECT_EQ(env.suggested_major(), 2);
  EXPECT_EQ(env.suggested_minor(), 11);
  EXPECT_EQ(env.request_id, 842895985u);
  EXPECT_EQ(env.sequence_number, 1u);
  EXPECT_EQ(env.message_length, 1766u);  // the whole message, not this packet
  ByteWriter w;
  EncodeEnvelope(env, &w);
  EXPECT_EQ(w.data(), msg.substr(0, kEnvelopeSize));
}

TEST(EnvelopeTest, ShortInputIsRejected) {
  std::string msg = VectorBytes("error-random-bytes-udp", 0);
  ASSERT_EQ(msg.size(), 10u);
  Envelope env;
  EXPECT_FALSE(DecodeEnvelope(AsSpan(msg), &env));
  std::string nineteen(19, '\0');
  EXPECT_FALSE(DecodeEnvelope(AsSpan(nineteen), &env));
  std::string twenty(20, '\0');
  EXPECT_TRUE(DecodeEnvelope(AsSpan(twenty), &env));
}

}  // namespace
}  // namespace qilian::ident::wire
