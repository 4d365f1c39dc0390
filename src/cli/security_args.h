// The local half of `qilian security` (docs/cli.md): targets of the sensor
// and event routes and the text forms of their replies. No I/O, so it is
// unit-tested apart from the server.
#ifndef QILIAN_CLI_SECURITY_ARGS_H_
#define QILIAN_CLI_SECURITY_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace qilian::cli {

// "/api/enterprises/N/sensors[/ID][SUFFIX]" with the id percent-encoded.
std::string SensorTarget(uint64_t enterprise, std::string_view id = "",
                         std::string_view suffix = "");

struct EventFilter {
  std::optional<uint64_t> enterprise;
  std::optional<std::string> sensor, protocol, from, to;
};

// "/api/security/events?enterprise=..&...&limit=N[&cursor=C]".
std::string EventsTarget(const EventFilter& filter, size_t limit, std::string_view cursor);

// Sensors as a table: ID, NAME, EVENTS, LAST_SEEN, LAST_EVENT ("-" for never).
std::string FormatSensors(const nlohmann::json& sensors);
// One sensor, "key: value" lines (never a token).
std::string FormatSensor(const nlohmann::json& sensor);

// One row of the events table: TS, PROTO, ORIG, RESP, SENSOR, ID, DETAIL,
// where ORIG and RESP are "host:port" and DETAIL the protocol's own fields
// as NAME=VALUE (values compact JSON, strings bare), in the event's order.
std::vector<std::string> EventRow(const nlohmann::ordered_json& event);
// The header row of the events table.
std::vector<std::string> EventHeader();

}  // namespace qilian::cli

#endif  // QILIAN_CLI_SECURITY_ARGS_H_
