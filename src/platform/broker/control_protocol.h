// The names both ends of the broker plugin's control topic agree on
// (docs/broker.md, "Commands"): the plugin (control.cc) and qiliand's
// BrokerAdmin (broker_admin.cc).
#ifndef QILIAN_PLATFORM_BROKER_CONTROL_PROTOCOL_H_
#define QILIAN_PLATFORM_BROKER_CONTROL_PROTOCOL_H_

namespace qilian::broker {

inline constexpr char kControlTopic[] = "$CONTROL/qilian-devices/v1";
inline constexpr char kResponseTopic[] = "$CONTROL/qilian-devices/v1/response";
inline constexpr char kPresenceConnectedTopic[] = "$qilian/presence/connected";
inline constexpr char kPresenceDisconnectedTopic[] = "$qilian/presence/disconnected";
inline constexpr char kPresenceFilter[] = "$qilian/presence/#";

inline constexpr char kUpsertDevices[] = "upsertDevices";
inline constexpr char kRemoveDevices[] = "removeDevices";
inline constexpr char kReplaceAll[] = "replaceAll";
inline constexpr char kGetStats[] = "getStats";

// The "code" of an error response, beside its "error" text.
inline constexpr char kCodeInvalidArgument[] = "invalid_argument";
inline constexpr char kCodePermissionDenied[] = "permission_denied";
inline constexpr char kCodeFailedPrecondition[] = "failed_precondition";
inline constexpr char kCodeResourceExhausted[] = "resource_exhausted";

}  // namespace qilian::broker

#endif  // QILIAN_PLATFORM_BROKER_CONTROL_PROTOCOL_H_
