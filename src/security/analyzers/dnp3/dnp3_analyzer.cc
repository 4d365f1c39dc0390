#include "security/analyzers/dnp3/dnp3_analyzer.h"

#include "security/analyzers/dnp3/dnp3_app.h"
#include "security/analyzers/dnp3/dnp3_event.h"
#include "security/analyzers/registry.h"

namespace qilian::security {

namespace dnp3 {

bool LooksLikeDnp3(std::span<const uint8_t> bytes) {
  LinkHeader h;
  std::vector<uint8_t> data;
  size_t size = 0;
  if (bytes.size() < 2) return false;
  switch (ParseLinkFrame(bytes, &h, &data, &size)) {
    case LinkResult::kFrame:
    case LinkResult::kNeedMore:
    case LinkResult::kBadDataCrc:
      return true;
    default:
      return false;
  }
}

Dnp3Analyzer::Dnp3Analyzer(AnalyzerHost* host) : host_(host) {}

size_t Dnp3Analyzer::Frames(Direction dir, std::span<const uint8_t> bytes) {
  int d = Index(dir);
  size_t at = 0;
  while (at < bytes.size()) {
    std::span<const uint8_t> rest = bytes.subspan(at);
    if (resync_[d]) {
      // Skip to the next start bytes; a frame's last byte alone may be 0x05.
      if (rest[0] != kStart0 || (rest.size() >= 2 && rest[1] != kStart1)) {
        ++at;
        continue;
      }
    }
    LinkHeader link;
    size_t size = 0;
    LinkResult result = ParseLinkFrame(rest, &link, &user_data_, &size);
    if (result == LinkResult::kNeedMore) break;
    if (result == LinkResult::kFrame || result == LinkResult::kBadDataCrc) {
      resync_[d] = false;
      if (result == LinkResult::kFrame) {
        Frame(dir, link, user_data_);
      } else {
        host_->Weird("dnp3_bad_data_crc");
        reassembler_[d].Reset();
      }
      at += size;
      continue;
    }
    // A bad start, length or header CRC: count it once, then resync.
    if (!resync_[d]) {
      host_->Weird(result == LinkResult::kBadStart    ? "dnp3_bad_start"
                   : result == LinkResult::kBadLength ? "dnp3_bad_link_length"
                                                      : "dnp3_bad_header_crc");
      resync_[d] = true;
    }
    ++at;
  }
  return at;
}

void Dnp3Analyzer::DeliverStream(Direction dir, std::span<const uint8_t> data) {
  std::vector<uint8_t>& buf = buffer_[Index(dir)];
  if (buf.empty()) {
    // The common case: whole frames straight from the segment, no copy.
    size_t used = Frames(dir, data);
    buf.assign(data.begin() + static_cast<ptrdiff_t>(used), data.end());
    return;
  }
  buf.insert(buf.end(), data.begin(), data.end());
  size_t used = Frames(dir, buf);
  buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(used));
}

void Dnp3Analyzer::DeliverPacket(Direction dir, std::span<const uint8_t> data) {
  // Frames never span datagrams.
  size_t used = Frames(dir, data);
  if (used < data.size()) host_->Weird("dnp3_truncated_frame_in_datagram");
  resync_[Index(dir)] = false;
}

void Dnp3Analyzer::Gap(Direction dir, uint64_t length) {
  // Neither the partial frame nor the fragment can complete.
  buffer_[Index(dir)].clear();
  resync_[Index(dir)] = true;
  reassembler_[Index(dir)].Reset();
}

void Dnp3Analyzer::EndOfData(Direction dir) {
  if (!buffer_[Index(dir)].empty()) host_->Weird("dnp3_truncated_frame_at_end");
  buffer_[Index(dir)].clear();
  if (reassembler_[Index(dir)].Reset()) host_->Weird("dnp3_fragment_incomplete_at_end");
}

void Dnp3Analyzer::Frame(Direction dir, const LinkHeader& link,
                         std::span<const uint8_t> user_data) {
  if (!link.carries_user_data()) {
    if (!user_data.empty()) host_->Weird("dnp3_link_unexpected_data");
    Dnp3Event e;
    e.link_only = true;
    e.link = link;
    host_->Emit(ToJson(e));
    return;
  }
  Reassembler& r = reassembler_[Index(dir)];
  std::string_view weird = r.Add(link, user_data);
  if (!weird.empty()) host_->Weird(weird);
  if (r.complete()) Fragment(r);
}

void Dnp3Analyzer::Fragment(const Reassembler& r) {
  Dnp3Event e;
  e.link = r.first_link();
  e.segments = r.segments();
  std::string_view weird = ParseApplication(r.fragment(), &e);
  if (r.fragment().size() >= 2) {
    uint8_t seq = e.app_control & 0x0f;
    bool first = e.app_control & 0x80;
    if (e.function == kResponse) {
      if (first) {
        answering_ = pending_[seq];
        pending_[seq].reset();
      }
      e.request_function = answering_;
    } else if (!IsResponse(e.function) && e.function != kConfirm) {
      pending_[seq] = e.function;
    }
  }
  if (!weird.empty()) host_->Weird(weird);
  host_->Emit(ToJson(e));
}

}  // namespace dnp3

// The folder's registration (analyzers/CMakeLists.txt lists "dnp3"): the
// same analyzer on TCP and UDP port 20000.
void Register_dnp3(AnalyzerRegistry* registry) {
  for (Transport t : {Transport::kTcp, Transport::kUdp}) {
    registry->Register(AnalyzerInfo{
        .name = "dnp3",
        .transport = t,
        .ports = {dnp3::kDnp3Port},
        .signature = &dnp3::LooksLikeDnp3,
        .create = [](AnalyzerHost* host) -> std::unique_ptr<Analyzer> {
          return std::make_unique<dnp3::Dnp3Analyzer>(host);
        },
    });
  }
}

}  // namespace qilian::security
