// qilian-sensor: the passive ICS sensor (docs/security/sensor.md).
//
//   qilian-sensor --read FILE [--events OUT.jsonl]
//   qilian-sensor --interface IF [--filter BPF] [--snaplen N] [--buffer-mib N]
//                 [--duration SECONDS] [--count PACKETS] [--events OUT.jsonl]
//   ... [--deliver https://HOST:PORT --sensor-token-file FILE --spool DIR
//        [--ca-file PEM] [--flush-only]]   (docs/security/delivery.md)
//
// Reads a pcap or pcapng file, or captures on an interface until SIGINT,
// SIGTERM, the duration or the count; prints a summary (packets, flows,
// protocols, weirds; for a capture, the kernel's drops) and writes the
// analyzers' events as JSON lines. Exit status: 0 on success, 1 if the
// capture is damaged or fails midway (the summary and events then cover the
// packets before), 2 if nothing could be read or written, 3 if the node
// refused the sensor's token or rejected events.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/time/clock.h"
#include "security/capture/live_source.h"
#include "security/capture/pcap_file_source.h"
#include "security/decode/link_layer.h"
#include "security/delivery/delivery_flags.h"
#include "security/sensor/sensor.h"

namespace {

using namespace qilian::security;

// SIGINT and SIGTERM end a live capture cleanly: the handler asks the
// source to stop (async-signal-safe); a signal before the source exists is
// remembered and applied once it does.
std::atomic<LiveSource*> g_live{nullptr};
volatile sig_atomic_t g_stop_early = 0;

void OnStopSignal(int) {
  if (LiveSource* live = g_live.load()) {
    live->RequestStop();
  } else {
    g_stop_early = 1;
  }
}

void CatchStopSignals() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Runs the capture into the sensor until a stop (signal or duration), the
// count, or a failure; returns kEnd or kError. Quiet periods move the
// sensor's clock so idle flows still end.
ReadResult RunLive(LiveSource* live, Sensor* sensor, double duration_s, uint64_t count) {
  const absl::Time deadline =
      duration_s > 0 ? absl::Now() + absl::Seconds(duration_s) : absl::InfiniteFuture();
  bool stopping = false;
  RawPacket packet;
  for (;;) {
    ReadResult r = live->Next(&packet);
    if (r == ReadResult::kPacket) {
      sensor->Process(packet);
      if (count != 0 && live->packets() == count) return ReadResult::kEnd;
    } else if (r == ReadResult::kIdle) {
      sensor->Advance(absl::ToUnixNanos(absl::Now()));  // the packets' clock
    } else {
      return r;
    }
    if (!stopping && absl::Now() >= deadline) {
      live->RequestStop();
      stopping = true;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"qilian-sensor: passive ICS sensor"};
  std::string read_path, events_path;
  LiveOptions live_options;
  double duration_s = 0;
  uint64_t count = 0;
  app.add_option("--read,-r", read_path, "pcap or pcapng file to read");
  app.add_option("--interface,-i", live_options.interface, "capture on this network interface");
  app.add_option("--filter,-f", live_options.filter, "capture filter (pcap-filter(7))");
  app.add_option("--snaplen", live_options.snaplen, "bytes kept of each frame")
      ->check(CLI::Range(64, 262144));
  app.add_option("--buffer-mib", live_options.buffer_mib, "kernel ring size in MiB")
      ->check(CLI::Range(1, 4096));
  app.add_option("--duration", duration_s, "stop capturing after this many seconds")
      ->check(CLI::PositiveNumber);
  app.add_option("--count", count, "stop capturing after this many packets")
      ->check(CLI::PositiveNumber);
  app.add_option("--events,-e", events_path, "write events here as JSON lines");
  DeliveryFlags delivery_flags;
  AddDeliveryFlags(&app, &delivery_flags);
  CLI11_PARSE(app, argc, argv);

  const bool live = !live_options.interface.empty();
  if (delivery_flags.flush_only ? live || !read_path.empty() : live == !read_path.empty()) {
    std::cerr << "qilian-sensor: give exactly one of --read FILE and --interface IF"
              << " (or neither, with --flush-only)\n";
    return 2;
  }
  for (const char* name : {"--filter", "--snaplen", "--buffer-mib", "--duration", "--count"}) {
    if (!live && app.count(name) > 0) {
      std::cerr << "qilian-sensor: " << name << " goes with --interface\n";
      return 2;
    }
  }
  if (live) CatchStopSignals();
  std::unique_ptr<EventDelivery> delivery;
  if (delivery_flags.enabled()) {
    auto started = StartDelivery(delivery_flags, [](const std::string& line) {
      std::cerr << "qilian-sensor: " + line + "\n";
    });
    if (!started.ok()) {
      std::cerr << "qilian-sensor: " << started.status().message() << "\n";
      return 2;
    }
    delivery = std::move(*started);
    if (delivery_flags.flush_only) {
      return FinishDelivery(delivery.get(), delivery_flags, std::cout, 0);
    }
  }

  std::unique_ptr<PcapFileSource> file;
  std::unique_ptr<LiveSource> capture;
  int link_type;
  if (live) {
    auto opened = LiveSource::Open(live_options);
    if (!opened.ok()) {
      std::cerr << "qilian-sensor: " << opened.status().message() << "\n";
      return 2;
    }
    capture = std::move(*opened);
    link_type = capture->link_type();
  } else {
    auto opened = PcapFileSource::Open(read_path);
    if (!opened.ok()) {
      std::cerr << "qilian-sensor: " << opened.status().message() << "\n";
      return 2;
    }
    file = std::move(*opened);
    link_type = file->link_type();
  }
  const std::string& input = live ? live_options.interface : read_path;
  if (!IsSupportedLinkType(link_type)) {
    std::cerr << "qilian-sensor: " << input << ": link type " << link_type
              << " is not supported (Ethernet, Linux cooked, loopback and raw IP are)\n";
    return 2;
  }
  std::unique_ptr<JsonLinesFile> events;
  if (!events_path.empty()) {
    auto file = JsonLinesFile::Create(events_path);
    if (!file.ok()) {
      std::cerr << "qilian-sensor: " << file.status().message() << "\n";
      return 2;
    }
    events = std::move(*file);
  }

  AnalyzerRegistry registry;
  RegisterBuiltinAnalyzers(&registry);
  EventTee both(events.get(), delivery.get());
  EventSink* sink = delivery ? static_cast<EventSink*>(&both) : events.get();
  Sensor sensor(&registry, SensorOptions{}, sink);
  ReadResult r;
  if (live) {
    if (!capture->warning().empty()) std::cerr << "qilian-sensor: " << capture->warning() << "\n";
    // Tests and scripts wait for this line: frames sent from now on are seen.
    std::cout << "qilian-sensor: listening on " << input << std::endl;
    g_live.store(capture.get());
    if (g_stop_early) capture->RequestStop();
    r = RunLive(capture.get(), &sensor, duration_s, count);
  } else {
    RawPacket packet;
    while ((r = file->Next(&packet)) == ReadResult::kPacket) sensor.Process(packet);
  }
  sensor.Finish();
  std::cout << sensor.Summary();
  if (live) {
    auto stats = capture->Stats();
    if (stats.ok()) {
      std::cout << "capture: " << stats->received << " received, " << stats->dropped
                << " dropped by the kernel (ring full), " << stats->interface_dropped
                << " by the interface\n";
    } else {
      std::cerr << "qilian-sensor: " << stats.status().message() << "\n";
    }
  }
  int status = 0;
  if (r == ReadResult::kError) {
    std::cerr << "qilian-sensor: " << (live ? capture->error() : file->error()) << "\n";
    status = 1;
  }
  if (delivery) status = FinishDelivery(delivery.get(), delivery_flags, std::cout, status);
  if (events) {
    if (absl::Status s = events->Close(); !s.ok()) {
      std::cerr << "qilian-sensor: " << s.message() << "\n";
      return 2;
    }
  }
  return status;
}
