// The plugin's snapshot of its device table (plugin option state_file;
// docs/broker.md, "State file"), so that the table survives a broker
// restart. Text, one device a line, sealed by the SHA-256 of everything
// before the last line:
//
//   qilian-broker-devices v1
//   count N
//   {username} {salt: 32 hex} {hash: 64 hex} {1 enabled | 0 disabled}   (N lines)
//   sha256 {64 hex}
//
// Written whole to a temporary file, fsynced and renamed over the old one
// (then the directory fsynced), so a crash leaves the old or the new file,
// never a mix. A file that does not parse exactly is corrupt and loads
// nothing.
#ifndef QILIAN_PLATFORM_BROKER_STATE_FILE_H_
#define QILIAN_PLATFORM_BROKER_STATE_FILE_H_

#include <string>
#include <string_view>

#include "platform/broker/device_table.h"

namespace qilian::broker {

inline constexpr char kStateMagic[] = "qilian-broker-devices v1";

// Everything but the seal: cheap enough for mosquitto's thread (the
// SHA-256 and the I/O happen on the plugin's writer thread).
std::string EncodeStateBody(const DeviceTable::Map& devices);
// Appends the "sha256" line over `body`.
void SealState(std::string& body);

struct StateLoad {
  enum Kind { kLoaded, kMissing, kCorrupt, kUnreadable };
  Kind kind = kLoaded;
  std::string error;  // for kCorrupt ("line 7: ...") and kUnreadable
};

// Parses a whole sealed file into `out` (cleared first; left empty unless
// the file is whole and valid).
StateLoad DecodeState(std::string_view text, DeviceTable::Map& out);
StateLoad LoadStateFile(const std::string& path, DeviceTable::Map& out);

// Writes `contents` to `path` through "{path}.tmp": write, fsync, rename,
// fsync of the directory. On failure returns false with `error` set and
// leaves the old file in place.
bool WriteFileAtomically(const std::string& path, std::string_view contents, std::string& error);

}  // namespace qilian::broker

#endif  // QILIAN_PLATFORM_BROKER_STATE_FILE_H_
