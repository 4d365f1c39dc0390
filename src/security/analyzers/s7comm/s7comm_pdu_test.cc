#include "security/analyzers/s7comm/s7comm_pdu.h"

#include <gtest/gtest.h>

#include "security/analyzers/s7comm/s7comm_testing.h"

namespace qilian::security::s7comm {
namespace {

using nlohmann::ordered_json;
using testing::Bytes;
using testing::S7;

class S7PduTest : public ::testing::Test {
 protected:
  // What ParseS7Pdu writes, as a tree.
  ordered_json Parse(const Bytes& pdu, std::string_view want_weird = "") {
    JsonWriter out;
    EXPECT_EQ(ParseS7Pdu(pdu, &session_, out), want_weird) << out.view();
    return ordered_json::parse("{" + std::string(out.view()) + "}");
  }
  S7Session session_;
};

// An S7ANY item: transport size, length, DB, area, byte address, bit.
Bytes AnyItem(uint8_t size, uint16_t length, uint16_t db, uint8_t area, uint32_t byte,
              uint8_t bit = 0) {
  uint32_t address = byte << 3 | bit;
  return {0x12,
          0x0a,
          0x10,
          size,
          static_cast<uint8_t>(length >> 8),
          static_cast<uint8_t>(length),
          static_cast<uint8_t>(db >> 8),
          static_cast<uint8_t>(db),
          area,
          static_cast<uint8_t>(address >> 16),
          static_cast<uint8_t>(address >> 8),
          static_cast<uint8_t>(address)};
}

TEST_F(S7PduTest, SetupCommunication) {
  ordered_json job = Parse(S7(1, 0x400, {0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0}));
  EXPECT_EQ(job["pdu"], "job");
  EXPECT_EQ(job["pdu_ref"], 0x400);
  EXPECT_EQ(job["function_name"], "setup_communication");
  EXPECT_EQ(job["pdu_size"], 480);
  EXPECT_EQ(job["max_amq_calling"], 1);
  ordered_json ack = Parse(S7(3, 0x400, {0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0xf0}));
  EXPECT_EQ(ack["pdu"], "ack_data");
  EXPECT_EQ(ack["error_class"], 0);
  EXPECT_EQ(ack["pdu_size"], 240);
}

TEST_F(S7PduTest, ReadVarItemsAndTheirValues) {
  Bytes param = {0x04, 0x02};
  testing::Append(&param, AnyItem(0x02, 4, 1, 0x84, 10));    // DB1.DBB10, 4 bytes
  testing::Append(&param, AnyItem(0x01, 1, 0, 0x83, 5, 3));  // M5.3
  ordered_json job = Parse(S7(1, 7, param));
  ASSERT_EQ(job["items"].size(), 2u);
  EXPECT_EQ(job["items"][0]["area"], "DB");
  EXPECT_EQ(job["items"][0]["db"], 1);
  EXPECT_EQ(job["items"][0]["byte"], 10);
  EXPECT_EQ(job["items"][0]["transport_size"], "BYTE");
  EXPECT_EQ(job["items"][1]["area"], "M");
  EXPECT_EQ(job["items"][1]["bit"], 3);
  // Values: 4 bytes (length in bits), a fill-free even item, then a bit.
  Bytes data = {0xff, 0x04, 0x00, 0x20, 0xde, 0xad, 0xbe, 0xef, 0xff, 0x03, 0x00, 0x01, 0x01};
  ordered_json resp = Parse(S7(3, 7, {0x04, 0x02}, data));
  ASSERT_EQ(resp["items"].size(), 2u);
  EXPECT_EQ(resp["items"][0]["db"], 1);  // from the job
  EXPECT_EQ(resp["items"][0]["result"], "success");
  EXPECT_EQ(resp["items"][0]["data_length"], 4);
  EXPECT_EQ(resp["items"][0]["data"], "deadbeef");
  EXPECT_EQ(resp["items"][1]["data"], "01");
}

TEST_F(S7PduTest, ReadVarErrorItemAndFillByte) {
  Bytes param = {0x04, 0x02};
  testing::Append(&param, AnyItem(0x02, 1, 2, 0x84, 0));
  testing::Append(&param, AnyItem(0x02, 1, 3, 0x84, 0));
  Parse(S7(1, 8, param));
  // One byte then a fill byte, then an item the PLC refused.
  Bytes data = {0xff, 0x04, 0x00, 0x08, 0x2a, 0x00, 0x0a, 0x00, 0x00, 0x00};
  ordered_json resp = Parse(S7(3, 8, {0x04, 0x02}, data));
  EXPECT_EQ(resp["items"][0]["data"], "2a");
  EXPECT_EQ(resp["items"][1]["db"], 3);
  EXPECT_EQ(resp["items"][1]["result"], "object_does_not_exist");
}

TEST_F(S7PduTest, WriteVarCarriesValuesAndReturnCodes) {
  Bytes param = {0x05, 0x01};
  testing::Append(&param, AnyItem(0x04, 1, 5, 0x84, 2));
  Bytes data = {0x00, 0x04, 0x00, 0x10, 0x12, 0x34};
  ordered_json job = Parse(S7(1, 9, param, data));
  EXPECT_EQ(job["function_name"], "write_var");
  EXPECT_EQ(job["items"][0]["data"], "1234");
  ordered_json resp = Parse(S7(3, 9, {0x05, 0x01}, {0xff}));
  EXPECT_EQ(resp["items"][0]["db"], 5);
  EXPECT_EQ(resp["items"][0]["return_code"], 255);
}

TEST_F(S7PduTest, ErrorAckDataNamesTheJobsFunction) {
  Bytes param = {0x04, 0x01};
  testing::Append(&param, AnyItem(0x02, 1, 1, 0x84, 0));
  Parse(S7(1, 10, param));
  ordered_json resp = Parse(S7(3, 10, {}, {}, 0x85, 0x00));
  EXPECT_EQ(resp["error_class"], 0x85);
  EXPECT_EQ(resp["error_name"], "supplies");
  EXPECT_EQ(resp["function_name"], "read_var");
}

TEST_F(S7PduTest, BlockTransferAndPlcControl) {
  // Start upload of DB 1 from the active file system.
  Bytes start = {0x1d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09};
  for (char c : std::string("_0A00001A")) start.push_back(static_cast<uint8_t>(c));
  ordered_json job = Parse(S7(1, 11, start));
  EXPECT_EQ(job["function_name"], "start_upload");
  EXPECT_EQ(job["block_type"], "DB");
  EXPECT_EQ(job["block_number"], 1);
  EXPECT_EQ(job["filesystem"], "A");
  Bytes answer = {0x1d, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07,
                  0x07, '0',  '0',  '0',  '0',  '2',  '5',  '6'};
  ordered_json resp = Parse(S7(3, 11, answer));
  EXPECT_EQ(resp["upload_id"], 7);
  EXPECT_EQ(resp["block_length"], 256);
  EXPECT_EQ(resp["block_number"], 1);  // from the job
  // The order of the fields, the file name's where it was read and the
  // job's copied ones before the response's own (events compare as text).
  EXPECT_EQ(job.dump(),
            R"({"pdu":"job","pdu_ref":11,"function":29,"function_name":"start_upload",)"
            R"("status":0,"upload_id":0,"filename":"_0A00001A","block_type":"DB",)"
            R"("block_number":1,"filesystem":"A"})");
  EXPECT_EQ(resp.dump(),
            R"({"pdu":"ack_data","pdu_ref":11,"error_class":0,"error_code":0,"function":29,)"
            R"("function_name":"start_upload","filename":"_0A00001A","block_type":"DB",)"
            R"("block_number":1,"filesystem":"A","status":0,"upload_id":7,"block_length":256})");
  // Request download with the block's lengths.
  Bytes download = {0x1a, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09};
  for (char c : std::string("_0800001P")) download.push_back(static_cast<uint8_t>(c));
  download.push_back(13);
  for (char c : std::string("1000210000100")) download.push_back(static_cast<uint8_t>(c));
  ordered_json req = Parse(S7(1, 12, download));
  EXPECT_EQ(req["block_type"], "OB");
  EXPECT_EQ(req["load_memory_length"], 210);
  EXPECT_EQ(req["mc7_length"], 100);
  // PI service _INSE of OB 1, then PLC stop.
  Bytes pi = {0x28, 0, 0, 0, 0, 0, 0, 0xfd, 0x00, 0x0a, 0x01, 0x00};
  for (char c : std::string("0800001P")) pi.push_back(static_cast<uint8_t>(c));
  pi.push_back(5);
  for (char c : std::string("_INSE")) pi.push_back(static_cast<uint8_t>(c));
  ordered_json insert = Parse(S7(1, 13, pi));
  EXPECT_EQ(insert["function_name"], "pi_service");
  EXPECT_EQ(insert["pi_service"], "_INSE");
  EXPECT_EQ(insert["blocks"][0]["block_type"], "OB");
  Bytes stop = {0x29, 0, 0, 0, 0, 0, 9};
  for (char c : std::string("P_PROGRAM")) stop.push_back(static_cast<uint8_t>(c));
  ordered_json plc_stop = Parse(S7(1, 14, stop));
  EXPECT_EQ(plc_stop["function_name"], "plc_stop");
  EXPECT_EQ(plc_stop["pi_service"], "P_PROGRAM");
  ordered_json stop_ack = Parse(S7(3, 14, {0x29}));
  EXPECT_EQ(stop_ack["pi_service"], "P_PROGRAM");
}

TEST_F(S7PduTest, UserdataSzlReadMatched) {
  Bytes param = {0x00, 0x01, 0x12, 0x04, 0x11, 0x44, 0x01, 0x00};
  Bytes data = {0xff, 0x09, 0x00, 0x04, 0x00, 0x1c, 0x00, 0x00};
  ordered_json req = Parse(S7(7, 20, param, data));
  EXPECT_EQ(req["type"], "request");
  EXPECT_EQ(req["group_name"], "cpu_functions");
  EXPECT_EQ(req["subfunction_name"], "read_szl");
  EXPECT_EQ(req["szl_id"], 0x1c);
  Bytes rparam = {0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00};
  Bytes rdata = {0xff, 0x09, 0x00, 0x0a, 0x00, 0x1c, 0x00,
                 0x00, 0x00, 0x22, 0x00, 0x01, 0xaa, 0xbb};
  ordered_json resp = Parse(S7(7, 20, rparam, rdata));
  EXPECT_EQ(resp["type"], "response");
  EXPECT_EQ(resp["szl_id"], 0x1c);
  EXPECT_EQ(resp["szl_count"], 1);
  EXPECT_EQ(resp["szl_entry_length"], 0x22);
  EXPECT_EQ(resp["last_data_unit"], true);
}

TEST_F(S7PduTest, UserdataBlockFunctionsAndClock) {
  Bytes list = {0x00, 0x01, 0x12, 0x08, 0x12, 0x83, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00};
  Bytes counts = {0xff, 0x09, 0x00, 0x08, 0x30, 0x38, 0x00, 0x03, 0x30, 0x41, 0x00, 0x0c};
  ordered_json e = Parse(S7(7, 21, list, counts));
  EXPECT_EQ(e["subfunction_name"], "list_blocks");
  EXPECT_EQ(e["block_counts"]["OB"], 3);
  EXPECT_EQ(e["block_counts"]["DB"], 12);
  Bytes info = {0x00, 0x01, 0x12, 0x04, 0x11, 0x43, 0x03, 0x00};
  Bytes which = {0xff, 0x09, 0x00, 0x08, '0', 'C', '0', '0', '0', '4', '2', 'A'};
  ordered_json req = Parse(S7(7, 22, info, which));
  EXPECT_EQ(req["block_type"], "FC");
  EXPECT_EQ(req["block_number"], 42);
  Bytes clock = {0x00, 0x01, 0x12, 0x08, 0x12, 0x87, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00};
  Bytes when = {0xff, 0x09, 0x00, 0x0a, 0x00, 0x20, 0x14, 0x05, 0x27, 0x13, 0x45, 0x30, 0x12, 0x34};
  ordered_json t = Parse(S7(7, 23, clock, when));
  EXPECT_EQ(t["subfunction_name"], "read_clock");
  EXPECT_EQ(t["time"], "2014-05-27T13:45:30.123");
}

TEST_F(S7PduTest, DbReadItemListsItsRanges) {
  // One DBREAD item with two ranges: 4 bytes of DB 68 at 358, 2 of DB 72 at 50.
  Bytes param = {0x04, 0x01, 0x12, 0x0c, 0xb0, 0x02, 0x04, 0x00,
                 0x44, 0x01, 0x66, 0x02, 0x00, 0x48, 0x00, 0x32};
  ordered_json job = Parse(S7(1, 30, param));
  const auto& item = job["items"][0];
  EXPECT_EQ(item["syntax"], "DBREAD");
  ASSERT_EQ(item["areas"].size(), 2u);
  EXPECT_EQ(item["areas"][0]["db"], 68);
  EXPECT_EQ(item["areas"][0]["byte"], 358);
  EXPECT_EQ(item["areas"][1]["length"], 2);
}

TEST_F(S7PduTest, CyclicSubscriptionAndItsPushes) {
  // Change driven transfer every 2 s (time base 1 s, factor 2) of DB1.DBW0.
  Bytes param = {0x00, 0x01, 0x12, 0x04, 0x11, 0x42, 0x05, 0x00};
  Bytes data = {0xff, 0x09, 0x00, 0x10, 0x00, 0x01, 0x01, 0x02, 0x12, 0x0a,
                0x10, 0x04, 0x00, 0x01, 0x00, 0x01, 0x84, 0x00, 0x00, 0x00};
  ordered_json req = Parse(S7(7, 31, param, data));
  EXPECT_EQ(req["subfunction_name"], "change_driven_transfer");
  EXPECT_EQ(req["interval_ms"], 2000);
  EXPECT_EQ(req["items"][0]["area"], "DB");
  EXPECT_EQ(req["items"][0]["transport_size"], "WORD");
  Bytes push_param = {0x00, 0x01, 0x12, 0x08, 0x12, 0x02, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00};
  Bytes values = {0xff, 0x09, 0x00, 0x08, 0x00, 0x01, 0xff, 0x04, 0x00, 0x10, 0xbe, 0xef};
  ordered_json push = Parse(S7(7, 0, push_param, values));
  EXPECT_EQ(push["type"], "push");
  EXPECT_EQ(push["item_count"], 1);
  EXPECT_EQ(push["items"][0]["data"], "beef");
  Bytes stop_param = {0x00, 0x01, 0x12, 0x04, 0x11, 0x42, 0x04, 0x00};
  ordered_json stop = Parse(S7(7, 32, stop_param, {0xff, 0x09, 0x00, 0x02, 0x05, 0x07}));
  EXPECT_EQ(stop["subfunction_name"], "unsubscribe");
  EXPECT_EQ(stop["job_id"], 7);
}

TEST_F(S7PduTest, SplitSzlResponseRepeatsTheIdOnEveryUnit) {
  Bytes first = {0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x01, 0x03, 0x01, 0x00, 0x00};
  Bytes head = {0xff, 0x09, 0x00, 0x0a, 0x00, 0x11, 0x00, 0x01, 0x00, 0x1c, 0x00, 0x05, 0x41, 0x42};
  ordered_json e1 = Parse(S7(7, 40, first, head));
  EXPECT_EQ(e1["last_data_unit"], false);
  EXPECT_EQ(e1["szl_id"], 0x11);
  // The rest: no SZL header of its own (its bytes are records).
  Bytes last = {0x00, 0x01, 0x12, 0x08, 0x12, 0x84, 0x01, 0x02, 0x03, 0x00, 0x00, 0x00};
  ordered_json e2 = Parse(S7(7, 41, last, {0xff, 0x09, 0x00, 0x04, 0x43, 0x44, 0x45, 0x46}));
  EXPECT_EQ(e2["szl_id"], 0x11);
  EXPECT_EQ(e2["szl_index"], 1);
  EXPECT_FALSE(e2.contains("szl_count"));
  // The unit reference is free again: a new response reads its own header.
  ordered_json e3 = Parse(S7(7, 42, last, {0xff, 0x09, 0x00, 0x04, 0x01, 0x32, 0x00, 0x04}));
  EXPECT_EQ(e3["szl_id"], 0x132);
}

TEST_F(S7PduTest, PasswordIsNeverWritten) {
  Bytes param = {0x00, 0x01, 0x12, 0x04, 0x11, 0x45, 0x01, 0x00};
  Bytes data = {0xff, 0x09, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
  ordered_json e = Parse(S7(7, 24, param, data));
  EXPECT_EQ(e["subfunction_name"], "plc_password");
  EXPECT_EQ(e.dump().find("0102"), std::string::npos);
}

TEST_F(S7PduTest, MalformedPdus) {
  // Lengths that do not add up to the PDU.
  Bytes short_param = S7(1, 1, {0xf0, 0, 0, 1, 0, 1, 1, 0xe0});
  short_param.pop_back();
  Parse(short_param, "s7comm_bad_header");
  Parse(Bytes{0x32, 0x01, 0x00}, "s7comm_bad_header");
  Parse(S7(9, 1, {}), "s7comm_unknown_rosctr");
  Parse(S7(1, 1, {0x77}), "s7comm_unknown_function");
  // Two items announced, one present.
  Bytes param = {0x04, 0x02};
  testing::Append(&param, AnyItem(0x02, 1, 1, 0x84, 0));
  ordered_json e = Parse(S7(1, 2, param), "s7comm_pdu_truncated");
  EXPECT_EQ(e["items"].size(), 1u);
  Parse(S7(7, 3, {0x00, 0x01}), "s7comm_pdu_truncated");
  Parse(S7(7, 3, {0x00, 0x01, 0x13, 0x04, 0x11, 0x44, 0x01, 0x00}), "s7comm_bad_userdata_param");
}

}  // namespace
}  // namespace qilian::security::s7comm
