#include "security/analyzers/dnp3/dnp3_app.h"

#include <bit>
#include <cstring>

#include "security/analyzers/dnp3/dnp3_reader.h"

namespace qilian::security::dnp3 {
namespace {

constexpr std::string_view kOk = "";
constexpr std::string_view kAppTruncated = "dnp3_app_truncated";
constexpr std::string_view kUnknownFunction = "dnp3_unknown_function";
constexpr std::string_view kHeaderTruncated = "dnp3_object_header_truncated";
constexpr std::string_view kDataTruncated = "dnp3_object_data_truncated";
constexpr std::string_view kBadQualifier = "dnp3_bad_qualifier";
constexpr std::string_view kBadRange = "dnp3_bad_range";
constexpr std::string_view kUnknownObject = "dnp3_unknown_object";
constexpr std::string_view kTooManyHeaders = "dnp3_too_many_object_headers";
constexpr std::string_view kBadFileObject = "dnp3_bad_file_object";

constexpr ObjectSize Fixed(uint32_t bytes) { return {SizeKind::kFixed, bytes}; }
constexpr ObjectSize Packed(uint32_t bits) { return {SizeKind::kPacked, bits}; }

// Variation v (1-based) of a group whose variations are listed in order.
template <size_t N>
ObjectSize Pick(const uint8_t (&sizes)[N], uint8_t v) {
  if (v == 0 || v > N) return {};
  return Fixed(sizes[v - 1]);
}

// Whether a request's object headers carry no object data: the functions
// that only name points (IEEE 1815-2012 4.4), and class objects always.
bool HeadersOnly(uint8_t function, uint8_t group) {
  if (group == 60) return true;
  switch (function) {
    case kRead:
    case kImmediateFreeze:
    case kImmediateFreezeNoAck:
    case kFreezeClear:
    case kFreezeClearNoAck:
    case kEnableUnsolicited:
    case kDisableUnsolicited:
    case kAssignClass:
      return true;
    case kFreezeAtTime:
    case kFreezeAtTimeNoAck:
      return group != 50;  // the time and interval object comes with data
    default:
      return false;
  }
}

double Float32(uint32_t bits) { return static_cast<double>(std::bit_cast<float>(bits)); }
double Float64(uint64_t bits) { return std::bit_cast<double>(bits); }

int64_t Signed(uint64_t v, int bytes) {
  int shift = 64 - 8 * bytes;
  return static_cast<int64_t>(v << shift) >> shift;
}

// A name at [offset, offset + size) of a group 70 object, if it lies inside.
bool NameAt(std::span<const uint8_t> object, uint16_t offset, uint16_t size, std::string* out) {
  if (size_t{offset} + size > object.size()) return false;
  out->assign(reinterpret_cast<const char*>(object.data()) + offset, size);
  return true;
}

// Group 70 (file control): the object's bytes, its size taken from the
// size prefix. Returns false if its own fields do not fit.
bool FileObject(uint8_t variation, std::span<const uint8_t> object, Point* p) {
  LeReader r(object);
  std::string name;
  switch (variation) {
    case 2: {  // authentication: the user name, never the password
      uint16_t user_offset = r.ReadU16();
      uint16_t user_size = r.ReadU16();
      r.Skip(8);  // password offset and size, authentication key
      if (!r.ok() || !NameAt(object, user_offset, user_size, &name)) return false;
      p->user_name = name;
      return true;
    }
    case 3: {  // file command
      uint16_t name_offset = r.ReadU16();
      uint16_t name_size = r.ReadU16();
      p->time_ms = r.ReadUint(6);
      p->permissions = r.ReadU16();
      r.Skip(4);  // authentication key
      p->file_size = r.ReadU32();
      p->op_mode = r.ReadU16();
      p->max_block_size = r.ReadU16();
      p->request_id = r.ReadU16();
      if (!r.ok() || !NameAt(object, name_offset, name_size, &name)) return false;
      p->file_name = name;
      return true;
    }
    case 4:  // file command status
      p->file_handle = r.ReadU32();
      p->file_size = r.ReadU32();
      p->max_block_size = r.ReadU16();
      p->request_id = r.ReadU16();
      p->status = r.ReadU8();
      return r.ok();
    case 5:    // file transport
    case 6: {  // file transport status
      p->file_handle = r.ReadU32();
      uint32_t block = r.ReadU32();
      p->block = block & 0x7fffffff;
      p->last_block = (block & 0x80000000) != 0;
      if (variation == 6) p->status = r.ReadU8();
      if (variation == 5) p->data_bytes = static_cast<uint32_t>(r.remaining());
      return r.ok();
    }
    case 7: {  // file descriptor
      uint16_t name_offset = r.ReadU16();
      uint16_t name_size = r.ReadU16();
      p->file_type = r.ReadU16();
      p->file_size = r.ReadU32();
      p->time_ms = r.ReadUint(6);
      p->permissions = r.ReadU16();
      p->request_id = r.ReadU16();
      if (!r.ok() || !NameAt(object, name_offset, name_size, &name)) return false;
      p->file_name = name;
      return true;
    }
    case 8:  // file specification string
      p->file_name = std::string(reinterpret_cast<const char*>(object.data()), object.size());
      return true;
    default:
      return true;
  }
}

// The groups whose fixed-size objects FixedValues decodes.
bool HasValues(uint8_t group) { return group == 12 || group == 41 || group == 50 || group == 52; }

// Decodes the values of one fixed-size object of a group whose values
// matter; false for groups that are only skipped.
bool FixedValues(uint8_t group, uint8_t variation, std::span<const uint8_t> object, Point* p) {
  LeReader r(object);
  switch (group) {
    case 12:
      if (variation > 2) return false;
      p->control_code = r.ReadU8();
      p->count = r.ReadU8();
      p->on_time = r.ReadU32();
      p->off_time = r.ReadU32();
      p->status = r.ReadU8();
      return true;
    case 41:
      switch (variation) {
        case 1:
          p->int_value = Signed(r.ReadU32(), 4);
          break;
        case 2:
          p->int_value = Signed(r.ReadU16(), 2);
          break;
        case 3:
          p->float_value = Float32(r.ReadU32());
          break;
        case 4:
          p->float_value = Float64(r.ReadUint(8));
          break;
        default:
          return false;
      }
      p->status = r.ReadU8();
      return true;
    case 50:
      p->time_ms = r.ReadUint(6);
      if (variation == 2 || variation == 4) p->interval = r.ReadU32();
      if (variation == 4) p->interval_units = r.ReadU8();
      return true;
    case 52:
      p->delay = r.ReadU16();
      return true;
    default:
      return false;
  }
}

class ObjectParser {
 public:
  ObjectParser(LeReader* r, uint8_t function, Dnp3Event* e) : r_(*r), function_(function), e_(e) {}

  std::string_view Run() {
    while (!r_.at_end()) {
      if (e_->objects.size() == kMaxObjectHeaders) return kTooManyHeaders;
      std::string_view weird = Header();
      if (!weird.empty()) return weird;
    }
    return kOk;
  }

 private:
  std::string_view Header() {
    if (r_.remaining() < 3) return kHeaderTruncated;
    ObjectHeader h;
    h.group = r_.ReadU8();
    h.variation = r_.ReadU8();
    h.qualifier = r_.ReadU8();
    uint8_t prefix = (h.qualifier >> 4) & 0x07;
    uint8_t range = h.qualifier & 0x0f;
    static constexpr uint8_t kRangeBytes[] = {1, 2, 4, 1, 2, 4};
    if (h.qualifier & 0x80 || prefix == 7) return Keep(std::move(h), kBadQualifier);
    if (range <= 5) {
      size_t n = kRangeBytes[range];
      if (r_.remaining() < 2 * n) return Keep(std::move(h), kHeaderTruncated);
      h.start = static_cast<uint32_t>(r_.ReadUint(n));
      h.stop = static_cast<uint32_t>(r_.ReadUint(n));
      if (*h.stop < *h.start) return Keep(std::move(h), kBadRange);
      h.count = uint64_t{*h.stop} - *h.start + 1;
    } else if (range == 6) {
      h.all = true;
    } else if (range >= 7 && range <= 9) {
      size_t n = range == 7 ? 1 : range == 8 ? 2 : 4;
      if (r_.remaining() < n) return Keep(std::move(h), kHeaderTruncated);
      h.count = r_.ReadUint(n);
    } else if (range == 0x0b) {
      if (prefix < 4) return Keep(std::move(h), kBadQualifier);
      if (r_.remaining() < 1) return Keep(std::move(h), kHeaderTruncated);
      h.count = r_.ReadU8();
    } else {
      return Keep(std::move(h), kBadQualifier);
    }
    if (h.all || (!IsResponse(function_) && HeadersOnly(function_, h.group))) {
      return Keep(std::move(h), kOk);
    }
    std::string_view weird = prefix >= 4 ? SizedObjects(prefix, &h) : Objects(prefix, &h);
    return Keep(std::move(h), weird);
  }

  std::string_view Keep(ObjectHeader h, std::string_view weird) {
    e_->objects.push_back(std::move(h));
    return weird;
  }

  void AddPoint(ObjectHeader* h, uint64_t i, std::optional<uint32_t> index, Point p) {
    if (h->points.size() >= kMaxPointsPerHeader) return;
    if (index) {
      p.index = index;
    } else if (h->start) {
      p.index = static_cast<uint32_t>(*h->start + i);
    }
    h->points.push_back(std::move(p));
  }

  // Objects each preceded by their size (prefix codes 4-6).
  std::string_view SizedObjects(uint8_t prefix, ObjectHeader* h) {
    size_t prefix_bytes = prefix == 4 ? 1 : prefix == 5 ? 2 : 4;
    for (uint64_t i = 0; i < h->count; ++i) {
      uint64_t size = r_.ReadUint(prefix_bytes);
      std::span<const uint8_t> object = r_.ReadBytes(size);
      if (!r_.ok()) return kDataTruncated;
      if (h->group != 70) continue;
      Point p;
      if (!FileObject(h->variation, object, &p)) return kBadFileObject;
      AddPoint(h, i, std::nullopt, std::move(p));
    }
    return kOk;
  }

  // Objects of a size the group and variation determine, each preceded by
  // an index of 0, 1, 2 or 4 bytes (prefix codes 0-3).
  std::string_view Objects(uint8_t prefix, ObjectHeader* h) {
    size_t index_bytes = prefix == 3 ? 4 : prefix;
    ObjectSize size = SizeOf(h->group, h->variation);
    switch (size.kind) {
      case SizeKind::kUnknown:
        return kUnknownObject;
      case SizeKind::kNone:
        return kOk;
      case SizeKind::kPacked: {
        if (index_bytes != 0) return kBadQualifier;
        uint64_t bytes = (h->count * size.size + 7) / 8;
        if (bytes > r_.remaining()) return kDataTruncated;
        std::span<const uint8_t> bits = r_.ReadBytes(bytes);
        if (h->group == 80) {
          for (uint64_t i = 0; i < h->count && i < kMaxPointsPerHeader; ++i) {
            Point p;
            p.bit = (bits[i / 8] >> (i % 8)) & 1;
            AddPoint(h, i, std::nullopt, std::move(p));
          }
        }
        return kOk;
      }
      case SizeKind::kAttribute:
        for (uint64_t i = 0; i < h->count; ++i) {
          r_.Skip(index_bytes + 1);  // data type code
          r_.Skip(r_.ReadU8());
          if (!r_.ok()) return kDataTruncated;
        }
        return kOk;
      case SizeKind::kFixed:
        break;
    }
    uint64_t each = index_bytes + size.size;
    if (h->count * each > r_.remaining()) return kDataTruncated;  // count < 2^32
    // Values are decoded for the first points of the groups that have them;
    // everything else is skipped at once (measurements are most of a
    // response's bytes).
    uint64_t decode = HasValues(h->group) ? std::min<uint64_t>(h->count, kMaxPointsPerHeader) : 0;
    for (uint64_t i = 0; i < decode; ++i) {
      std::optional<uint32_t> index;
      if (index_bytes) index = static_cast<uint32_t>(r_.ReadUint(index_bytes));
      std::span<const uint8_t> object = r_.ReadBytes(size.size);
      Point p;
      if (FixedValues(h->group, h->variation, object, &p)) AddPoint(h, i, index, std::move(p));
    }
    r_.Skip((h->count - decode) * each);
    return kOk;
  }

  LeReader& r_;
  uint8_t function_;
  Dnp3Event* e_;
};

}  // namespace

ObjectSize SizeOf(uint8_t g, uint8_t v) {
  static constexpr uint8_t kEvent[] = {1, 7, 3};                                       // g2, g4
  static constexpr uint8_t kCounter[] = {5, 3, 5, 3, 4, 2, 4, 2};                      // g20
  static constexpr uint8_t kFrozenCounter[] = {5, 3, 5, 3, 11, 9, 11, 9, 4, 2, 4, 2};  // g21
  static constexpr uint8_t kCounterEvent[] = {5, 3, 5, 3, 11, 9, 11, 9};               // g22, g23
  static constexpr uint8_t kAnalog[] = {5, 3, 4, 2, 5, 9};                             // g30
  static constexpr uint8_t kFrozenAnalog[] = {5, 3, 11, 9, 4, 2, 5, 9};                // g31
  static constexpr uint8_t kAnalogEvent[] = {5, 3, 11, 9, 5, 9, 11, 15};  // g32, g33, g42, g43
  static constexpr uint8_t kDeadband[] = {2, 4, 4};                       // g34
  static constexpr uint8_t kAnalogOutput[] = {5, 3, 5, 9};                // g40, g41
  static constexpr uint8_t kTime[] = {6, 10, 6, 11};                      // g50
  static constexpr uint8_t kBcd[] = {2, 4, 8};                            // g101
  switch (g) {
    case 0:
      return {SizeKind::kAttribute, 0};
    case 1:
    case 10:
      return v == 1 ? Packed(1) : v == 2 ? Fixed(1) : ObjectSize{};
    case 3:
      return v == 1 ? Packed(2) : v == 2 ? Fixed(1) : ObjectSize{};
    case 2:
    case 4:
      return Pick(kEvent, v);
    case 11:
    case 13:
      return v == 1 ? Fixed(1) : v == 2 ? Fixed(7) : ObjectSize{};
    case 12:
      return v == 1 || v == 2 ? Fixed(11) : v == 3 ? Packed(1) : ObjectSize{};
    case 20:
      return Pick(kCounter, v);
    case 21:
      return Pick(kFrozenCounter, v);
    case 22:
    case 23:
      return Pick(kCounterEvent, v);
    case 30:
      return Pick(kAnalog, v);
    case 31:
      return Pick(kFrozenAnalog, v);
    case 32:
    case 33:
    case 42:
    case 43:
      return Pick(kAnalogEvent, v);
    case 34:
      return Pick(kDeadband, v);
    case 40:
    case 41:
      return Pick(kAnalogOutput, v);
    case 50:
      return Pick(kTime, v);
    case 51:
      return v == 1 || v == 2 ? Fixed(6) : ObjectSize{};
    case 52:
      return v == 1 || v == 2 ? Fixed(2) : ObjectSize{};
    case 60:
      return v >= 1 && v <= 4 ? ObjectSize{SizeKind::kNone, 0} : ObjectSize{};
    case 80:
      return v == 1 ? Packed(1) : ObjectSize{};
    case 101:
      return Pick(kBcd, v);
    case 102:
      return v == 1 ? Fixed(1) : ObjectSize{};
    case 110:
    case 111:
    case 112:
    case 113:
      // The variation is the string's length.
      return v == 0 ? ObjectSize{} : Fixed(v);
    case 120:
      // Secure authentication: aggressive mode request (challenge sequence
      // number, user) and session key status request (user) are fixed; the
      // others come with a size prefix.
      return v == 3 ? Fixed(6) : v == 4 ? Fixed(2) : ObjectSize{};
    case 121:
      return v == 1 ? Fixed(7) : ObjectSize{};
    case 122:
      return v == 1 ? Fixed(7) : v == 2 ? Fixed(13) : ObjectSize{};
    default:
      return {};
  }
}

std::string_view ParseApplication(std::span<const uint8_t> fragment, Dnp3Event* e) {
  LeReader r(fragment);
  if (fragment.size() < 2) return kAppTruncated;
  e->app_control = r.ReadU8();
  e->function = r.ReadU8();
  if (IsResponse(e->function) && e->function <= kAuthenticateResponse) {
    if (r.remaining() < 2) return kAppTruncated;
    e->iin = static_cast<uint16_t>(r.ReadU8() << 8 | r.ReadU8());
  }
  if (FunctionName(e->function) == "unknown") return kUnknownFunction;
  return ObjectParser(&r, e->function, e).Run();
}

}  // namespace qilian::security::dnp3
