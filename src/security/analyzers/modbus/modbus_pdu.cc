#include "security/analyzers/modbus/modbus_pdu.h"

#include "core/bytes.h"

namespace qilian::security::modbus {
namespace {

constexpr std::string_view kOk = "";
constexpr std::string_view kTruncated = "modbus_pdu_truncated";
constexpr std::string_view kTrailing = "modbus_pdu_trailing_bytes";
constexpr std::string_view kByteCount = "modbus_byte_count_mismatch";
constexpr std::string_view kQuantity = "modbus_bad_quantity";
constexpr std::string_view kCoilValue = "modbus_bad_coil_value";
constexpr std::string_view kUnknown = "modbus_unknown_function";
constexpr std::string_view kFileRecord = "modbus_bad_file_record";

// The end of every parse: a short read beats trailing bytes beats whatever
// field check failed first.
std::string_view Finish(const ByteReader& r, std::string_view weird) {
  if (!r.ok()) return kTruncated;
  if (!r.at_end()) return kTrailing;
  return weird;
}

std::vector<uint16_t> Registers(ByteReader& r, size_t count) {
  std::vector<uint16_t> v;
  if (count * 2 > r.remaining()) {
    r.Fail();
    return v;
  }
  v.reserve(count);
  for (size_t i = 0; i < count; ++i) v.push_back(r.ReadU16());
  return v;
}

// The registers of a `byte_count`-byte field; an odd count (a weird the
// caller names) leaves its last byte unread as a register, skipped.
std::vector<uint16_t> RegisterBytes(ByteReader& r, uint8_t byte_count) {
  std::vector<uint16_t> v = Registers(r, byte_count / 2);
  if (byte_count % 2) r.Skip(1);
  return v;
}

// Coils and discrete inputs are packed LSB first, 8 to a byte.
std::vector<bool> Bits(std::string_view bytes, size_t count) {
  std::vector<bool> v;
  for (size_t i = 0; i < count && i / 8 < bytes.size(); ++i) {
    v.push_back((static_cast<uint8_t>(bytes[i / 8]) >> (i % 8)) & 1);
  }
  return v;
}

std::string_view CheckQuantity(uint16_t q, uint16_t max) {
  return q == 0 || q > max ? kQuantity : kOk;
}

std::string Rest(ByteReader& r) { return std::string(r.ReadBytes(r.remaining())); }

bool IsUserDefined(uint8_t f) { return (f >= 65 && f <= 72) || (f >= 100 && f <= 110); }

// Functions whose response echoes the request's layout. Returns false for
// every other function.
bool ParseSameBothWays(ByteReader& r, ModbusEvent* e, std::string_view* weird) {
  switch (e->function) {
    case kWriteSingleCoil: {
      e->address = r.ReadU16();
      uint16_t v = r.ReadU16();
      e->coils = std::vector<bool>{v == 0xff00};
      if (v != 0xff00 && v != 0) *weird = kCoilValue;
      return true;
    }
    case kWriteSingleRegister:
      e->address = r.ReadU16();
      e->values = {r.ReadU16()};
      return true;
    case kDiagnostics:
      e->subfunction = r.ReadU16();
      e->data = Rest(r);
      return true;
    case kMaskWriteRegister:
      e->address = r.ReadU16();
      e->and_mask = r.ReadU16();
      e->or_mask = r.ReadU16();
      return true;
    default:
      return false;
  }
}

std::string_view DeviceIdResponse(ByteReader& r, ModbusEvent* e) {
  e->read_device_id_code = r.ReadU8();
  e->conformity = r.ReadU8();
  e->more_follows = r.ReadU8() == 0xff;
  e->next_object_id = r.ReadU8();
  uint8_t n = r.ReadU8();
  for (uint8_t i = 0; i < n && r.ok(); ++i) {
    DeviceIdObject o;
    o.id = r.ReadU8();
    uint8_t len = r.ReadU8();
    o.value = std::string(r.ReadBytes(len));
    if (r.ok()) e->objects.push_back(std::move(o));
  }
  return Finish(r, kOk);
}

}  // namespace

std::string_view ParseRequest(std::span<const uint8_t> body, ModbusEvent* e) {
  ByteReader r(body);
  std::string_view weird = kOk;
  if (ParseSameBothWays(r, e, &weird)) return Finish(r, weird);
  switch (e->function) {
    case kReadCoils:
    case kReadDiscreteInputs:
    case kReadHoldingRegisters:
    case kReadInputRegisters: {
      e->address = r.ReadU16();
      e->quantity = r.ReadU16();
      bool bits = e->function <= kReadDiscreteInputs;
      weird = CheckQuantity(*e->quantity, bits ? kMaxReadBits : kMaxReadRegisters);
      break;
    }
    case kReadExceptionStatus:
    case kGetCommEventCounter:
    case kGetCommEventLog:
    case kReportServerId:
      break;
    case kWriteMultipleCoils: {
      e->address = r.ReadU16();
      e->quantity = r.ReadU16();
      uint8_t count = r.ReadU8();
      weird = CheckQuantity(*e->quantity, kMaxWriteBits);
      if (weird.empty() && count != (*e->quantity + 7) / 8) weird = kByteCount;
      e->coils = Bits(r.ReadBytes(count), *e->quantity);
      break;
    }
    case kWriteMultipleRegisters: {
      e->address = r.ReadU16();
      e->quantity = r.ReadU16();
      uint8_t count = r.ReadU8();
      weird = CheckQuantity(*e->quantity, kMaxWriteRegisters);
      if (weird.empty() && count != *e->quantity * 2) weird = kByteCount;
      e->values = RegisterBytes(r, count);
      break;
    }
    case kReadFileRecord:
    case kWriteFileRecord: {
      uint8_t count = r.ReadU8();
      if (count != r.remaining()) weird = kByteCount;
      while (r.ok() && !r.at_end()) {
        FileRecord f;
        f.ref_type = r.ReadU8();
        f.file = r.ReadU16();
        f.record = r.ReadU16();
        f.length = r.ReadU16();
        if (e->function == kWriteFileRecord) f.values = Registers(r, *f.length);
        if (f.ref_type != 6 && weird.empty()) weird = kFileRecord;
        if (r.ok()) e->file_records.push_back(std::move(f));
      }
      break;
    }
    case kReadWriteMultipleRegisters: {
      e->address = r.ReadU16();
      e->quantity = r.ReadU16();
      e->write_address = r.ReadU16();
      e->write_quantity = r.ReadU16();
      uint8_t count = r.ReadU8();
      weird = CheckQuantity(*e->quantity, kMaxReadRegisters);
      if (weird.empty()) weird = CheckQuantity(*e->write_quantity, kMaxReadWriteWriteRegisters);
      if (weird.empty() && count != *e->write_quantity * 2) weird = kByteCount;
      e->values = RegisterBytes(r, count);
      break;
    }
    case kReadFifoQueue:
      e->address = r.ReadU16();
      break;
    case kEncapsulatedInterface:
      e->mei_type = r.ReadU8();
      if (*e->mei_type == kMeiReadDeviceId) {
        e->read_device_id_code = r.ReadU8();
        e->object_id = r.ReadU8();
      } else {
        e->data = Rest(r);
      }
      break;
    default:
      e->data = Rest(r);
      return IsUserDefined(e->function) ? kOk : kUnknown;
  }
  return Finish(r, weird);
}

std::string_view ParseResponse(std::span<const uint8_t> body, const RequestContext* request,
                               ModbusEvent* e) {
  ByteReader r(body);
  std::string_view weird = kOk;
  bool matched = request != nullptr && request->function == e->function;
  if (ParseSameBothWays(r, e, &weird)) return Finish(r, weird);
  switch (e->function) {
    case kReadCoils:
    case kReadDiscreteInputs: {
      uint8_t count = r.ReadU8();
      std::string_view bytes = r.ReadBytes(count);
      size_t bits = bytes.size() * 8;
      if (matched) {
        e->address = request->address;
        e->quantity = request->quantity;
        uint16_t quantity = request->quantity.value_or(0);
        if (count != (quantity + 7) / 8) weird = kByteCount;
        bits = quantity;
      }
      e->coils = Bits(bytes, bits);
      break;
    }
    case kReadHoldingRegisters:
    case kReadInputRegisters:
    case kReadWriteMultipleRegisters: {
      uint8_t count = r.ReadU8();
      if (matched) {
        e->address = request->address;
        e->quantity = request->quantity;
        if (count != request->quantity.value_or(0) * 2) weird = kByteCount;
      }
      if (count % 2 && weird.empty()) weird = kByteCount;
      e->values = RegisterBytes(r, count);
      break;
    }
    case kReadExceptionStatus:
      e->status = r.ReadU8();
      break;
    case kGetCommEventCounter:
      e->status = r.ReadU16();
      e->event_count = r.ReadU16();
      break;
    case kGetCommEventLog: {
      uint8_t count = r.ReadU8();
      if (count != r.remaining()) weird = kByteCount;
      e->status = r.ReadU16();
      e->event_count = r.ReadU16();
      e->message_count = r.ReadU16();
      e->data = Rest(r);
      break;
    }
    case kWriteMultipleCoils:
    case kWriteMultipleRegisters:
      e->address = r.ReadU16();
      e->quantity = r.ReadU16();
      break;
    case kReportServerId: {
      uint8_t count = r.ReadU8();
      if (count != r.remaining()) weird = kByteCount;
      e->data = Rest(r);
      break;
    }
    case kReadFileRecord: {
      uint8_t count = r.ReadU8();
      if (count != r.remaining()) weird = kByteCount;
      while (r.ok() && !r.at_end()) {
        FileRecord f;
        uint8_t len = r.ReadU8();  // counts the reference type and the data
        f.ref_type = r.ReadU8();
        if (len < 1 || (len - 1) % 2) {
          if (weird.empty()) weird = kFileRecord;
          r.Fail();
          break;
        }
        f.values = Registers(r, (len - 1) / 2);
        if (r.ok()) e->file_records.push_back(std::move(f));
      }
      break;
    }
    case kWriteFileRecord:  // an echo of the request
      return ParseRequest(body, e);
    case kReadFifoQueue: {
      uint16_t count = r.ReadU16();
      uint16_t fifo = r.ReadU16();
      if (count != 2 + 2 * size_t{fifo}) weird = kByteCount;
      if (matched) e->address = request->address;
      e->quantity = fifo;
      e->values = Registers(r, fifo);
      break;
    }
    case kEncapsulatedInterface:
      e->mei_type = r.ReadU8();
      if (*e->mei_type == kMeiReadDeviceId) return DeviceIdResponse(r, e);
      e->data = Rest(r);
      break;
    default:
      e->data = Rest(r);
      return IsUserDefined(e->function) ? kOk : kUnknown;
  }
  return Finish(r, weird);
}

}  // namespace qilian::security::modbus
