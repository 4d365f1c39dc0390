// qilian-sensor: the passive ICS sensor (docs/security/sensor.md).
//
//   qilian-sensor --read FILE [--events OUT.jsonl]
//
// Reads a pcap or pcapng file, prints a summary (packets, flows, protocols,
// weirds) and writes the analyzers' events as JSON lines. Exit status: 0 on
// success, 1 if the capture is damaged (the summary and events then cover
// the packets before the damage), 2 if nothing could be read or written.
#include <cstdio>
#include <iostream>

#include "CLI/CLI.hpp"
#include "security/capture/pcap_file_source.h"
#include "security/decode/link_layer.h"
#include "security/sensor/sensor.h"

int main(int argc, char** argv) {
  using namespace qilian::security;
  CLI::App app{"qilian-sensor: passive ICS sensor"};
  std::string read_path, events_path;
  app.add_option("--read,-r", read_path, "pcap or pcapng file to read")->required();
  app.add_option("--events,-e", events_path, "write events here as JSON lines");
  CLI11_PARSE(app, argc, argv);

  auto source = PcapFileSource::Open(read_path);
  if (!source.ok()) {
    std::cerr << "qilian-sensor: " << source.status().message() << "\n";
    return 2;
  }
  if (!IsSupportedLinkType((*source)->link_type())) {
    std::cerr << "qilian-sensor: " << read_path << ": link type " << (*source)->link_type()
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
  Sensor sensor(&registry, SensorOptions{}, events.get());
  RawPacket packet;
  ReadResult r;
  while ((r = (*source)->Next(&packet)) == ReadResult::kPacket) sensor.Process(packet);
  sensor.Finish();
  std::cout << sensor.Summary();
  int status = 0;
  if (r == ReadResult::kError) {
    std::cerr << "qilian-sensor: " << (*source)->error() << "\n";
    status = 1;
  }
  if (events) {
    if (absl::Status s = events->Close(); !s.ok()) {
      std::cerr << "qilian-sensor: " << s.message() << "\n";
      return 2;
    }
  }
  return status;
}
