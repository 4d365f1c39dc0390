#include "security/capture/live_source.h"

#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace qilian::security {
namespace {

// After a stop request, how long to wait for frames the kernel counted but
// has not handed over yet: a partly filled block comes after the block
// timeout, so this is only reached when a count never balances (frames that
// libpcap filtered in user space after the filter was set).
absl::Duration DrainWait(const LiveOptions& o) {
  return absl::Seconds(1) + absl::Milliseconds(2 * o.block_timeout_ms);
}

// Compiles `filter` for `handle`'s link type; the message names the filter.
absl::Status CompileFilter(pcap* handle, const std::string& filter, bpf_program* program) {
  if (pcap_compile(handle, program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad capture filter '", filter, "': ", pcap_geterr(handle)));
  }
  return absl::OkStatus();
}

// The syntax alone, on a dead Ethernet handle: no interface, no privileges.
absl::Status CheckFilterSyntax(const LiveOptions& o) {
  pcap* dead = pcap_open_dead(DLT_EN10MB, o.snaplen);
  if (dead == nullptr) return absl::ResourceExhaustedError("pcap_open_dead failed");
  bpf_program program;
  absl::Status s = CompileFilter(dead, o.filter, &program);
  if (s.ok()) pcap_freecode(&program);
  pcap_close(dead);
  return s;
}

absl::Status ActivateError(const std::string& interface, int rc, pcap* handle) {
  std::string prefix = absl::StrCat("cannot capture on ", interface, ": ");
  switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return absl::NotFoundError(prefix + "no such interface");
    case PCAP_ERROR_PERM_DENIED:
      return absl::PermissionDeniedError(prefix +
                                         "permission denied (capturing needs CAP_NET_RAW)");
    case PCAP_ERROR_IFACE_NOT_UP:
      return absl::FailedPreconditionError(prefix + "the interface is down");
    default:
      return absl::UnavailableError(prefix + pcap_geterr(handle));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<LiveSource>> LiveSource::Open(const LiveOptions& o) {
  if (!o.filter.empty()) {
    if (absl::Status s = CheckFilterSyntax(o); !s.ok()) return s;
  }
  // libpcap would say "No such device exists" only after asking for a packet
  // socket, which needs privileges; an unknown name is no privilege question.
  if (if_nametoindex(o.interface.c_str()) == 0) {
    return absl::NotFoundError(absl::StrCat("cannot capture on ", o.interface,
                                            ": no such interface"));
  }
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* handle = pcap_create(o.interface.c_str(), errbuf);
  if (handle == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot capture on ", o.interface, ": ", errbuf));
  }
  pcap_set_snaplen(handle, o.snaplen);
  pcap_set_promisc(handle, o.promiscuous ? 1 : 0);
  pcap_set_buffer_size(handle, o.buffer_mib << 20);
  // Not immediate mode: libpcap then falls back from TPACKET_V3 to V2 (one
  // frame per slot, a wakeup per packet). The block timeout bounds latency.
  pcap_set_immediate_mode(handle, 0);
  pcap_set_timeout(handle, o.block_timeout_ms);
  bool nano = pcap_set_tstamp_precision(handle, PCAP_TSTAMP_PRECISION_NANO) == 0;

  int rc = pcap_activate(handle);
  std::string warning;
  if (rc > 0) {
    warning = absl::StrCat(o.interface, ": ", pcap_statustostr(rc), ": ", pcap_geterr(handle));
  } else if (rc < 0) {
    absl::Status s = ActivateError(o.interface, rc, handle);
    pcap_close(handle);
    return s;
  }
  if (!o.filter.empty()) {
    bpf_program program;
    absl::Status s = CompileFilter(handle, o.filter, &program);
    if (s.ok()) {
      if (pcap_setfilter(handle, &program) != 0) {
        s = absl::InvalidArgumentError(
            absl::StrCat("cannot set capture filter '", o.filter, "': ", pcap_geterr(handle)));
      }
      pcap_freecode(&program);
    }
    if (!s.ok()) {
      pcap_close(handle);
      return s;
    }
  }
  // Non-blocking, so that Next() waits in its own poll() beside the stop
  // descriptor and with its own idle timeout.
  if (pcap_setnonblock(handle, 1, errbuf) != 0) {
    pcap_close(handle);
    return absl::UnavailableError(absl::StrCat("cannot capture on ", o.interface, ": ", errbuf));
  }
  int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    pcap_close(handle);
    return absl::ResourceExhaustedError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  auto source = std::unique_ptr<LiveSource>(new LiveSource(o, handle, stop_fd));
  source->warning_ = std::move(warning);
  source->ts_scale_ =
      nano && pcap_get_tstamp_precision(handle) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
  return source;
}

LiveSource::LiveSource(const LiveOptions& options, pcap* handle, int stop_fd)
    : options_(options), handle_(handle), stop_fd_(stop_fd), link_type_(pcap_datalink(handle)) {}

LiveSource::~LiveSource() {
  pcap_close(handle_);
  close(stop_fd_);
}

void LiveSource::RequestStop() {
  stop_requested_.store(true);
  uint64_t one = 1;
  ssize_t ignored = write(stop_fd_, &one, sizeof one);
  (void)ignored;  // the counter only saturates; the flag is what counts
}

ReadResult LiveSource::Next(RawPacket* packet) {
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(handle_, &hdr, &data);
    if (rc == 1) {
      ++packets_;
      packet->ts = static_cast<TimeNs>(hdr->ts.tv_sec) * kNsPerSecond + hdr->ts.tv_usec * ts_scale_;
      packet->wire_len = hdr->len;
      packet->link_type = link_type_;
      packet->data = std::span<const uint8_t>(data, hdr->caplen);
      return ReadResult::kPacket;
    }
    if (rc < 0) {
      error_ = absl::StrCat(options_.interface, ": capture failed after packet ", packets_, ": ",
                            pcap_geterr(handle_));
      return ReadResult::kError;
    }
    // Nothing in the ring now.
    if (stop_requested_.load()) {
      if (Drained() || !Wait(DrainWait(options_), /*include_stop=*/false)) return ReadResult::kEnd;
      continue;
    }
    if (!Wait(options_.idle, /*include_stop=*/true)) return ReadResult::kIdle;
  }
}

bool LiveSource::Wait(absl::Duration timeout, bool include_stop) {
  pollfd fds[2] = {{pcap_get_selectable_fd(handle_), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  int n = poll(fds, include_stop ? 2 : 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  // A signal (EINTR) counts as a wakeup: the caller looks at the stop flag.
  return n != 0;
}

bool LiveSource::Drained() {
  pcap_stat s;
  if (pcap_stats(handle_, &s) != 0) return true;
  // libpcap's counters are 32 bits and wrap; compare modulo 2^32.
  uint32_t behind = s.ps_recv - s.ps_drop - static_cast<uint32_t>(packets_);
  return behind == 0 || behind > 0x80000000u;
}

absl::StatusOr<CaptureStats> LiveSource::Stats() {
  pcap_stat s;
  if (pcap_stats(handle_, &s) != 0) {
    return absl::UnavailableError(
        absl::StrCat(options_.interface, ": capture statistics: ", pcap_geterr(handle_)));
  }
  return CaptureStats{s.ps_recv, s.ps_drop, s.ps_ifdrop};
}

}  // namespace qilian::security
