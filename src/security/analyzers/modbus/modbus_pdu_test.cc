#include "security/analyzers/modbus/modbus_pdu.h"

#include <gtest/gtest.h>

namespace qilian::security::modbus {
namespace {

using Bytes = std::vector<uint8_t>;

// Decodes `body` as a request (or response) of `function` and returns the
// event's JSON; *weird gets the weird name ("" if none).
nlohmann::ordered_json Req(uint8_t function, const Bytes& body, std::string* weird = nullptr) {
  ModbusEvent e;
  e.function = function;
  std::string_view w = ParseRequest(body, &e);
  if (weird) *weird = std::string(w);
  return ToJson(e);
}

nlohmann::ordered_json Resp(uint8_t function, const Bytes& body,
                            const RequestContext* request = nullptr, std::string* weird = nullptr) {
  ModbusEvent e;
  e.response = true;
  e.function = function;
  std::string_view w = ParseResponse(body, request, &e);
  if (weird) *weird = std::string(w);
  return ToJson(e);
}

TEST(ModbusPduTest, ReadRequestsAndQuantityLimits) {
  std::string w;
  auto j = Req(kReadHoldingRegisters, {0x00, 0x6b, 0x00, 0x03}, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["func_name"], "read_holding_registers");
  EXPECT_EQ(j["address"], 107);
  EXPECT_EQ(j["quantity"], 3);
  Req(kReadInputRegisters, {0x00, 0x00, 0x00, 126}, &w);
  EXPECT_EQ(w, "modbus_bad_quantity");
  Req(kReadCoils, {0x00, 0x00, 0x07, 0xd0}, &w);  // 2000 coils is the limit
  EXPECT_EQ(w, "");
  Req(kReadCoils, {0x00, 0x00, 0x00}, &w);
  EXPECT_EQ(w, "modbus_pdu_truncated");
  Req(kReadCoils, {0x00, 0x00, 0x00, 0x01, 0x00}, &w);
  EXPECT_EQ(w, "modbus_pdu_trailing_bytes");
}

TEST(ModbusPduTest, ReadResponsesTakeAddressFromTheRequest) {
  RequestContext request{kReadHoldingRegisters, 107, 3};
  std::string w;
  auto j = Resp(kReadHoldingRegisters, {0x06, 0x02, 0x2b, 0x00, 0x00, 0x00, 0x64}, &request, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["address"], 107);
  EXPECT_EQ(j["values"], nlohmann::json({555, 0, 100}));
  Resp(kReadHoldingRegisters, {0x04, 0x02, 0x2b, 0x00, 0x00}, &request, &w);
  EXPECT_EQ(w, "modbus_byte_count_mismatch");

  RequestContext coils{kReadCoils, 19, 11};
  j = Resp(kReadCoils, {0x02, 0xcd, 0x06}, &coils, &w);
  EXPECT_EQ(w, "");
  // 0xcd = 1100 1101, LSB first; then 0x06's low three bits 0, 1, 1.
  EXPECT_EQ(j["coils"],
            nlohmann::json({true, false, true, true, false, false, true, true, false, true, true}));
  j = Resp(kReadCoils, {0x01, 0x01});  // no request seen: all 8 bits, no address
  EXPECT_EQ(j["coils"].size(), 8u);
  EXPECT_FALSE(j.contains("address"));
}

TEST(ModbusPduTest, SingleWrites) {
  std::string w;
  auto j = Req(kWriteSingleCoil, {0x00, 0xac, 0xff, 0x00}, &w);
  EXPECT_EQ(j["address"], 172);
  EXPECT_EQ(j["coils"], nlohmann::json({true}));
  Req(kWriteSingleCoil, {0x00, 0xac, 0x12, 0x34}, &w);
  EXPECT_EQ(w, "modbus_bad_coil_value");
  j = Resp(kWriteSingleRegister, {0x00, 0x01, 0x00, 0x03}, nullptr, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["values"], nlohmann::json({3}));
}

TEST(ModbusPduTest, MultipleWrites) {
  std::string w;
  auto j = Req(kWriteMultipleCoils, {0x00, 0x13, 0x00, 0x0a, 0x02, 0xcd, 0x01}, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["quantity"], 10);
  EXPECT_EQ(j["coils"].size(), 10u);
  Req(kWriteMultipleCoils, {0x00, 0x13, 0x00, 0x0a, 0x01, 0xcd}, &w);
  EXPECT_EQ(w, "modbus_byte_count_mismatch");
  j = Req(kWriteMultipleRegisters, {0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0a, 0x01, 0x02}, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["values"], nlohmann::json({10, 258}));
  j = Resp(kWriteMultipleRegisters, {0x00, 0x01, 0x00, 0x02}, nullptr, &w);
  EXPECT_EQ(j["quantity"], 2);
}

TEST(ModbusPduTest, DiagnosticsStatusAndEventFunctions) {
  std::string w;
  auto j = Req(kDiagnostics, {0x00, 0x00, 0xa5, 0x37}, &w);
  EXPECT_EQ(j["subfunction"], 0);
  EXPECT_EQ(j["data"], "a537");
  j = Resp(kReadExceptionStatus, {0x6d}, nullptr, &w);
  EXPECT_EQ(j["status"], 0x6d);
  j = Resp(kGetCommEventCounter, {0xff, 0xff, 0x01, 0x08}, nullptr, &w);
  EXPECT_EQ(j["status"], 0xffff);
  EXPECT_EQ(j["event_count"], 264);
  j = Resp(kGetCommEventLog, {0x08, 0x00, 0x00, 0x01, 0x08, 0x01, 0x21, 0x20, 0x00}, nullptr, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["message_count"], 289);
  EXPECT_EQ(j["data"], "2000");
  j = Resp(kReportServerId, {0x03, 0x01, 0xff, 0x41}, nullptr, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["data"], "01ff41");
}

TEST(ModbusPduTest, FileRecords) {
  std::string w;
  auto j = Req(
      kReadFileRecord,
      {0x0e, 0x06, 0x00, 0x04, 0x00, 0x01, 0x00, 0x02, 0x06, 0x00, 0x03, 0x00, 0x09, 0x00, 0x02},
      &w);
  EXPECT_EQ(w, "");
  ASSERT_EQ(j["file_records"].size(), 2u);
  EXPECT_EQ(j["file_records"][1]["file"], 3);
  EXPECT_EQ(j["file_records"][1]["record"], 9);
  j = Resp(kReadFileRecord,
           {0x0c, 0x05, 0x06, 0x0d, 0xfe, 0x00, 0x20, 0x05, 0x06, 0x33, 0xcd, 0x00, 0x40}, nullptr,
           &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["file_records"][0]["values"], nlohmann::json({0x0dfe, 0x20}));
  j = Req(kWriteFileRecord,
          {0x0b, 0x06, 0x00, 0x04, 0x00, 0x07, 0x00, 0x02, 0x06, 0xaf, 0x04, 0xbe}, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["file_records"][0]["values"], nlohmann::json({0x06af, 0x04be}));
  Req(kWriteFileRecord, {0x07, 0x05, 0x00, 0x04, 0x00, 0x07, 0x00, 0x00}, &w);
  EXPECT_EQ(w, "modbus_bad_file_record");
}

TEST(ModbusPduTest, MaskWriteReadWriteAndFifo) {
  std::string w;
  auto j = Req(kMaskWriteRegister, {0x00, 0x04, 0x00, 0xf2, 0x00, 0x25}, &w);
  EXPECT_EQ(j["and_mask"], 0xf2);
  EXPECT_EQ(j["or_mask"], 0x25);
  j = Req(
      kReadWriteMultipleRegisters,
      {0x00, 0x03, 0x00, 0x06, 0x00, 0x0e, 0x00, 0x03, 0x06, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff},
      &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["write_address"], 14);
  EXPECT_EQ(j["values"].size(), 3u);
  RequestContext fifo_request{kReadFifoQueue, 0x04de, 0};
  j = Resp(kReadFifoQueue, {0x00, 0x06, 0x00, 0x02, 0x01, 0xb8, 0x12, 0x84}, &fifo_request, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["address"], 0x04de);
  EXPECT_EQ(j["values"], nlohmann::json({440, 4740}));
}

TEST(ModbusPduTest, ReadDeviceIdentification) {
  std::string w;
  auto j = Req(kEncapsulatedInterface, {0x0e, 0x01, 0x00}, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["mei_type"], 14);
  EXPECT_EQ(j["read_device_id_code"], 1);
  Bytes resp = {0x0e, 0x01, 0x01, 0x00, 0x00, 0x03, 0x00, 0x04, 'A',  'c', 'm',
                'e',  0x01, 0x02, 'P',  '1',  0x02, 0x03, 'v',  0x01, '\\'};
  j = Resp(kEncapsulatedInterface, resp, nullptr, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["conformity"], 1);
  EXPECT_EQ(j["more_follows"], false);
  ASSERT_EQ(j["objects"].size(), 3u);
  EXPECT_EQ(j["objects"][0]["name"], "VendorName");
  EXPECT_EQ(j["objects"][0]["value"], "Acme");
  EXPECT_EQ(j["objects"][2]["value"], "v\\x01\\x5c");  // bytes outside printable ASCII escaped
  resp[5] = 4;                                         // one object more than the PDU holds
  Resp(kEncapsulatedInterface, resp, nullptr, &w);
  EXPECT_EQ(w, "modbus_pdu_truncated");
}

TEST(ModbusPduTest, UserDefinedAndUnknownFunctions) {
  std::string w;
  auto j = Req(65, {0x01, 0x02}, &w);
  EXPECT_EQ(w, "");
  EXPECT_EQ(j["func_name"], "user_defined");
  EXPECT_EQ(j["data"], "0102");
  j = Req(99, {}, &w);
  EXPECT_EQ(w, "modbus_unknown_function");
  EXPECT_EQ(j["func_name"], "unknown");
}

}  // namespace
}  // namespace qilian::security::modbus
