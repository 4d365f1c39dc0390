// The recorded fragments come from testdata/resolve-udp-fragmented.json, a
// copy of ../shared/data/handle-vectors/resolve-udp-fragmented.json
// (Handle.Net 9.3.1, protocol 2.11, deployed-style lengths).
#include "cli/udp_reassembler.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bytes.h"

namespace qilian::cli {
namespace {

using ident::wire::Envelope;
using Result = UdpReassembler::Result;

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::span<const uint8_t> Span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Recorded {
  uint32_t request_id = 0;
  std::vector<std::string> fragments;  // server->client datagrams, in order
};

Recorded LoadRecorded() {
  std::ifstream in(std::string(QILIAN_CLI_TESTDATA) + "/resolve-udp-fragmented.json");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  Recorded r;
  if (doc.is_discarded()) return r;
  for (const auto& e : doc["exchanges"]) {
    if (e["direction"] == "server->client") r.fragments.push_back(FromHex(e["hex"]));
  }
  r.request_id = 842895985;
  return r;
}

Envelope EnvelopeOf(const std::string& datagram) {
  Envelope e;
  EXPECT_TRUE(ident::wire::DecodeEnvelope(Span(datagram), &e));
  return e;
}

std::string Payloads(const std::vector<std::string>& fragments) {
  std::string out;
  for (const auto& f : fragments) out += f.substr(ident::wire::kEnvelopeSize);
  return out;
}

std::string Datagram(Envelope e, const std::string& payload) {
  std::string out;
  ByteWriter w(&out);
  ident::wire::EncodeEnvelope(e, &w);
  return out + payload;
}

TEST(UdpReassemblerTest, RecordedDeployedFragmentsInOrder) {
  Recorded r = LoadRecorded();
  ASSERT_EQ(r.fragments.size(), 4u);
  UdpReassembler re(r.request_id);
  EXPECT_EQ(re.Add(Span(r.fragments[0])), Result::kIncomplete);
  EXPECT_EQ(re.Add(Span(r.fragments[1])), Result::kIncomplete);
  EXPECT_EQ(re.Add(Span(r.fragments[2])), Result::kIncomplete);
  EXPECT_EQ(re.Add(Span(r.fragments[3])), Result::kComplete);
  EXPECT_EQ(re.fragments(), 4u);
  EXPECT_FALSE(re.single_truncated());
  Envelope e = EnvelopeOf(re.message());
  EXPECT_EQ(e.message_length, 1766u);
  EXPECT_EQ(e.sequence_number, 0u);
  EXPECT_FALSE(e.truncated());
  EXPECT_EQ(e.request_id, r.request_id);
  EXPECT_EQ(re.message().substr(ident::wire::kEnvelopeSize), Payloads(r.fragments));
  EXPECT_EQ(re.message().size(), 20u + 1766u);
}

TEST(UdpReassemblerTest, RecordedFragmentsOutOfOrderAndDuplicated) {
  Recorded r = LoadRecorded();
  ASSERT_EQ(r.fragments.size(), 4u);
  UdpReassembler re(r.request_id);
  EXPECT_EQ(re.Add(Span(r.fragments[3])), Result::kIncomplete);
  EXPECT_EQ(re.Add(Span(r.fragments[1])), Result::kIncomplete);
  EXPECT_EQ(re.Add(Span(r.fragments[1])), Result::kIgnored);
  EXPECT_EQ(re.Add(Span(r.fragments[0])), Result::kIncomplete);
  EXPECT_EQ(re.Add(Span(r.fragments[2])), Result::kComplete);
  EXPECT_EQ(re.message().substr(ident::wire::kEnvelopeSize), Payloads(r.fragments));
  // Nothing is taken after completion.
  EXPECT_EQ(re.Add(Span(r.fragments[0])), Result::kIgnored);
}

TEST(UdpReassemblerTest, OtherRequestIdIsIgnored) {
  Recorded r = LoadRecorded();
  ASSERT_EQ(r.fragments.size(), 4u);
  UdpReassembler re(r.request_id + 1);
  for (const auto& f : r.fragments) EXPECT_EQ(re.Add(Span(f)), Result::kIgnored);
}

TEST(UdpReassemblerTest, LargerThanLimitIsTooLarge) {
  Recorded r = LoadRecorded();
  ASSERT_EQ(r.fragments.size(), 4u);
  UdpReassembler re(r.request_id, /*max_message_bytes=*/1000);
  EXPECT_EQ(re.Add(Span(r.fragments[0])), Result::kTooLarge);
}

TEST(UdpReassemblerTest, RfcStyleLengthsAreReassembled) {
  Recorded r = LoadRecorded();
  ASSERT_EQ(r.fragments.size(), 4u);
  UdpReassembler re(r.request_id);
  std::vector<Result> results;
  for (const auto& f : r.fragments) {
    Envelope e = EnvelopeOf(f);
    std::string payload = f.substr(ident::wire::kEnvelopeSize);
    e.message_length = static_cast<uint32_t>(payload.size());
    results.push_back(re.Add(Span(Datagram(e, payload))));
  }
  EXPECT_EQ(results, (std::vector<Result>{Result::kIncomplete, Result::kIncomplete,
                                          Result::kIncomplete, Result::kComplete}));
  EXPECT_EQ(EnvelopeOf(re.message()).message_length, 1766u);
  EXPECT_EQ(re.message().substr(ident::wire::kEnvelopeSize), Payloads(r.fragments));
}

TEST(UdpReassemblerTest, DeployedFragmentWithWrongSizeOrTotalIsIgnored) {
  Recorded r = LoadRecorded();
  ASSERT_EQ(r.fragments.size(), 4u);
  UdpReassembler re(r.request_id);
  EXPECT_EQ(re.Add(Span(r.fragments[0])), Result::kIncomplete);
  // A middle fragment shorter than 492 octets.
  EXPECT_EQ(re.Add(Span(r.fragments[1].substr(0, 300))), Result::kIgnored);
  // A fragment naming another total.
  Envelope e = EnvelopeOf(r.fragments[2]);
  e.message_length = 1800;
  EXPECT_EQ(re.Add(Span(Datagram(e, r.fragments[2].substr(20)))), Result::kIgnored);
  // A fragment past the end of the message.
  Envelope far = EnvelopeOf(r.fragments[3]);
  far.sequence_number = 9;
  EXPECT_EQ(re.Add(Span(Datagram(far, r.fragments[3].substr(20)))), Result::kIgnored);
}

TEST(UdpReassemblerTest, SingleWholeDatagramIsComplete) {
  Envelope e;
  e.request_id = 7;
  std::string body(30, 'x');
  e.message_length = 30;
  std::string d = Datagram(e, body);
  UdpReassembler re(7);
  EXPECT_EQ(re.Add(Span(d)), Result::kComplete);
  EXPECT_EQ(re.message(), d);
  EXPECT_FALSE(re.single_truncated());
}

TEST(UdpReassemblerTest, WrongLengthOrShortDatagramIsIgnored) {
  Envelope e;
  e.request_id = 7;
  e.message_length = 31;  // one more than it carries
  UdpReassembler re(7);
  EXPECT_EQ(re.Add(Span(Datagram(e, std::string(30, 'x')))), Result::kIgnored);
  EXPECT_EQ(re.Add(Span(std::string(12, '\0'))), Result::kIgnored);
}

TEST(UdpReassemblerTest, TruncatedHeaderOnlyReplyMeansUseTcp) {
  Envelope e;
  e.request_id = 9;
  e.flags = ident::wire::kFlagTruncated;
  std::string header(24, '\0');
  header[7] = 1;  // response code 1
  e.message_length = 24;
  UdpReassembler re(9);
  EXPECT_EQ(re.Add(Span(Datagram(e, header))), Result::kComplete);
  EXPECT_TRUE(re.single_truncated());
  EXPECT_TRUE(EnvelopeOf(re.message()).truncated());
}

}  // namespace
}  // namespace qilian::cli
