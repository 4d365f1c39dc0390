// qiliand's administrative connection to the MQTT broker (docs/broker.md,
// "qiliand's side"): DeviceAccess over libmosquitto, speaking the commands
// of Qilian's broker plugin on $CONTROL/qilian-devices/v1, and reporting
// device presence from $qilian/presence/#. It connects and reconnects by
// itself (libmosquitto's own thread); after every (re)connection it calls
// `on_connected`, where the caller re-sends its whole set with ReplaceAll.
//
// Threads: the requests block their caller until the broker answered or
// `request_timeout` passed, and are serialised (one command in flight, so
// an Upsert never lands inside a ReplaceAll's chunks). The callbacks run
// one at a time, in the order the broker sent, on BrokerAdmin's own
// callback thread, never on libmosquitto's: they may call the requests.
#ifndef QILIAN_PLATFORM_BROKER_BROKER_ADMIN_H_
#define QILIAN_PLATFORM_BROKER_BROKER_ADMIN_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/broker/device_access.h"

namespace qilian::platform {

struct BrokerAdminOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string username;   // the admin client (scripts/broker's admin.user)
  std::string password;   // its password (admin.password)
  std::string client_id;  // empty: "qiliand-admin-{pid}"
  int keepalive_s = 30;
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration reconnect_delay_min = absl::Seconds(1);  // doubling up to the max
  absl::Duration reconnect_delay_max = absl::Seconds(30);
  // Devices per command: an Upsert or Remove of more is sent as several
  // commands (each all-or-nothing), a ReplaceAll as begin, chunks, commit
  // (all-or-nothing as a whole).
  size_t devices_per_command = 10000;
};

// The options scripts/broker's broker.env describes (QILIAN_BROKER_HOST,
// _PORT, _ADMIN_USER, and the password read from _ADMIN_PASSWORD_FILE).
absl::StatusOr<BrokerAdminOptions> BrokerAdminOptionsFromEnvFile(const std::string& path);

// What getStats reports (docs/broker.md); `json` is the whole answer.
struct BrokerDeviceStats {
  int64_t devices = 0;
  int64_t enabled = 0;
  int64_t connections = 0;        // device connections the plugin accepted and still open
  int64_t connected_devices = 0;  // devices with at least one
  std::string json;
};

class BrokerAdmin final : public DeviceAccess {
 public:
  // A device's connection came or went: `online` is whether it has any
  // connection left (a device may hold two, with two client ids).
  using PresenceCallback =
      std::function<void(std::string_view username, bool online, int64_t time_ms)>;
  // Connected (again), subscribed, ready for requests.
  using ConnectedCallback = std::function<void()>;

  // Starts connecting in the background and returns at once; an error
  // only for bad options or when libmosquitto cannot start its thread.
  // Either callback may be empty.
  static absl::StatusOr<std::unique_ptr<BrokerAdmin>> Start(BrokerAdminOptions options,
                                                            ConnectedCallback on_connected,
                                                            PresenceCallback on_presence);
  ~BrokerAdmin() override;  // disconnects; pending requests fail with Unavailable

  BrokerAdmin(const BrokerAdmin&) = delete;
  BrokerAdmin& operator=(const BrokerAdmin&) = delete;

  // DeviceAccess. Errors: Unavailable (not connected, or the connection
  // was lost while waiting), DeadlineExceeded (no answer in time), and the
  // broker's refusals with its message: InvalidArgument (a bad device,
  // named), PermissionDenied (not the plugin's admin), ResourceExhausted
  // (over the plugin's device limit), FailedPrecondition.
  absl::Status Upsert(const std::vector<DeviceCredential>& devices) override;
  absl::Status Remove(const std::vector<std::string>& usernames) override;
  absl::Status ReplaceAll(const std::vector<DeviceCredential>& devices) override;

  absl::StatusOr<BrokerDeviceStats> GetStats();

  // Whether connected and subscribed now.
  bool connected() const;
  // Waits until connected (true) or `timeout` passed (false).
  bool WaitConnected(absl::Duration timeout) const;

 private:
  class Impl;
  explicit BrokerAdmin(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_BROKER_BROKER_ADMIN_H_
