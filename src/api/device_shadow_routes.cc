// The device shadow over REST (docs/shadow.md, docs/api.md "Device shadow"):
//   GET  /api/devices/{id}/shadow            reported, desired, delta, presence
//   PUT  /api/devices/{id}/shadow            {"desired": {...}, "version": N}
//   GET  /api/devices/{id}/properties        the latest reported values, from memory
//   PUT  /api/devices/{id}/properties        {"properties": {...}, "timeout": ms}
//   POST /api/devices/{id}/functions/{fn}    {"inputs": {...}, "timeout": ms}
// The last two reach the device over MQTT and wait for its reply: 200 with
// what it answered, 422 when it refused (its code and message), 504 when it
// did not answer in time. They hold a worker thread while they wait, so at
// most kMaxDeviceCallsInFlight wait at once (503 beyond).
//
// Tenancy as every device route (api/tenant_scope.h): reads for anyone of
// the device's enterprise, operators and auditors; writes and calls for
// its staff and operators.
#include <atomic>
#include <cstdint>
#include <future>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "api/tenant_scope.h"
#include "ident/response_code.h"
#include "platform/device/device_registry.h"
#include "platform/shadow/shadow_store.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using nlohmann::json;

namespace {

constexpr size_t kMaxShadowBodyBytes = 256 * 1024;
constexpr size_t kMaxShadowBodyNesting = 16;
constexpr int64_t kDefaultCallTimeoutMs = 10000;
constexpr int64_t kMaxCallTimeoutMs = 60000;
// Calls waiting for devices at once, over all callers: each holds one of
// the HTTP server's worker threads (32 by default) while it waits.
constexpr int kMaxDeviceCallsInFlight = 16;
// How much longer than its time-out a call is waited for: the shadow's
// sweeper completes timed-out calls every 200 ms.
constexpr absl::Duration kSweepGrace = absl::Seconds(2);

std::atomic<int> g_calls_in_flight{0};

net::HttpResponse ShadowNotEnabled(Call* call) {
  call->SetReason("not_enabled");
  return ErrorResponse(call,
                       HandleError(ResponseCode::kOperationNotSupported,
                                   "the device shadow needs the MQTT broker, which this node "
                                   "does not run"),
                       "", 501);
}

// The device a request names, with the caller's tenancy applied.
absl::StatusOr<std::shared_ptr<const platform::DeviceRef>> ScopedDevice(
    const ApiContext& ctx, Call* call, std::string_view raw_id, Access access) {
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return params.status();
  auto enterprise =
      TargetEnterprise(ctx, call, NamedEnterprise(*params), access, true, kDeviceNouns);
  if (!enterprise.ok()) return enterprise.status();
  std::optional<std::string> id = PercentDecode(raw_id, /*plus_is_space=*/false);
  if (!id) return BadParam(call, "device id has an invalid percent-escape");
  std::shared_ptr<const platform::DeviceRef> device =
      ctx.devices->FindInEnterprise(**enterprise, *id);
  if (device == nullptr) {
    return HandleError(ResponseCode::kHandleNotFound, absl::StrCat("device '", *id, "' not found"));
  }
  return device;
}

// A value the device's model refuses, or a call the shadow cannot make.
absl::Status ShadowRefusal(Call* call, const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
      call->SetReason("bad_field");
      return HandleError(ResponseCode::kInvalidValue, std::string(status.message()));
    case absl::StatusCode::kUnavailable:
      call->SetReason("broker_unavailable");
      return HandleError(ResponseCode::kServerBusy,
                         absl::StrCat("the MQTT broker is not reachable: ",
                                      std::string(status.message())));
    case absl::StatusCode::kResourceExhausted:
      call->SetReason("too_many_calls");
      return HandleError(ResponseCode::kServerBusy, std::string(status.message()));
    default:
      return status;
  }
}

int HttpStatusOfRefusal(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kFailedPrecondition &&
      absl::StrContains(status.message(), "desired version")) {
    return 409;
  }
  return status.code() == absl::StatusCode::kUnavailable ||
                 status.code() == absl::StatusCode::kResourceExhausted
             ? 503
             : 400;
}

json ShadowJson(const platform::ShadowDocument& doc) {
  json out = {{"online", doc.online},
              {"reported", doc.reported},
              {"desired", doc.desired},
              {"desiredVersion", doc.desired_version},
              {"delta", doc.delta}};
  out["lastSeen"] = doc.last_seen_ms ? json(Timestamp(absl::FromUnixMillis(*doc.last_seen_ms)))
                                     : json(nullptr);
  return out;
}

// The "timeout" member (milliseconds), bounded.
absl::StatusOr<absl::Duration> CallTimeout(Call* call, const json& body) {
  auto it = body.find("timeout");
  if (it == body.end()) return absl::Milliseconds(kDefaultCallTimeoutMs);
  if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
      it->get<int64_t>() > kMaxCallTimeoutMs) {
    return BadField(call, "timeout",
                    absl::StrCat("must be an integer from 1 to ", kMaxCallTimeoutMs,
                                 " (milliseconds)"));
  }
  return absl::Milliseconds(it->get<int64_t>());
}

// What a property write or a service call starts from: the device (the
// caller may change it), the body with only `known` members, its timeout.
struct CallRequest {
  std::shared_ptr<const platform::DeviceRef> device;
  json body;
  absl::Duration timeout;
};

absl::StatusOr<CallRequest> CallRequestOf(const ApiContext& ctx, Call* call,
                                          std::string_view raw_id,
                                          std::initializer_list<std::string_view> known) {
  auto device = ScopedDevice(ctx, call, raw_id, Access::kWrite);
  if (!device.ok()) return device.status();
  auto body = ParseObjectBody(call, kMaxShadowBodyBytes, kMaxShadowBodyNesting);
  if (!body.ok()) return body.status();
  if (absl::Status s = KnownMembersOnly(call, *body, "", known); !s.ok()) return s;
  auto timeout = CallTimeout(call, *body);
  if (!timeout.ok()) return timeout.status();
  return CallRequest{*std::move(device), *std::move(body), *timeout};
}

// Holds one of the in-flight slots for the life of a call.
class CallSlot {
 public:
  CallSlot() : held_(g_calls_in_flight.fetch_add(1) < kMaxDeviceCallsInFlight) {
    if (!held_) g_calls_in_flight.fetch_sub(1);
  }
  ~CallSlot() {
    if (held_) g_calls_in_flight.fetch_sub(1);
  }
  bool held() const { return held_; }

 private:
  bool held_;
};

// Starts a call with `start` (which gets the completion callback) and waits
// for the device: the answer as REST gives it. On success `data_member`
// holds `accepted` when given (a write: the values the device accepted;
// its reply carries none), else what the device answered.
template <typename Start>
net::HttpResponse CallDevice(Call* call, const platform::DeviceRef& device,
                             absl::Duration timeout, const char* data_member,
                             const json* accepted, Start start) {
  CallSlot slot;
  if (!slot.held()) {
    call->SetReason("too_many_calls");
    return ErrorResponse(call,
                         HandleError(ResponseCode::kServerBusy,
                                     absl::StrCat("too many device calls in flight (at most ",
                                                  kMaxDeviceCallsInFlight, "); retry later")),
                         "", 503);
  }
  auto promise = std::make_shared<std::promise<absl::StatusOr<platform::CallReply>>>();
  std::future<absl::StatusOr<platform::CallReply>> reply = promise->get_future();
  absl::Status sent = start([promise](absl::StatusOr<platform::CallReply> r) {
    promise->set_value(std::move(r));
  });
  if (!sent.ok()) {
    return ErrorResponse(call, ShadowRefusal(call, sent), "", HttpStatusOfRefusal(sent));
  }
  auto timed_out = [&] {
    call->SetReason("device_timeout");
    return ErrorResponse(call,
                         HandleError(ResponseCode::kError,
                                     absl::StrCat("device '", device.device_id,
                                                  "' did not reply within ",
                                                  absl::FormatDuration(timeout))),
                         "", 504);
  };
  if (reply.wait_for(absl::ToChronoMilliseconds(timeout + kSweepGrace)) !=
      std::future_status::ready) {
    return timed_out();
  }
  absl::StatusOr<platform::CallReply> answer = reply.get();
  if (!answer.ok()) {
    if (answer.status().code() == absl::StatusCode::kDeadlineExceeded) return timed_out();
    // The reply came but broke the model (an output of the wrong type, say).
    call->SetReason("bad_device_reply");
    return ErrorResponse(call,
                         HandleError(ResponseCode::kError,
                                     absl::StrCat("device '", device.device_id,
                                                  "' replied with an invalid answer: ",
                                                  std::string(answer.status().message()))),
                         "", 502);
  }
  json out = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
              {"success", answer->success}};
  if (answer->success) {
    out[data_member] = accepted != nullptr ? *accepted : answer->data;
    return JsonResponse(200, out);
  }
  call->SetReason("device_refused");
  out["responseCode"] = static_cast<int>(ResponseCode::kError);
  out["code"] = answer->code;
  out["message"] = answer->message;
  return JsonResponse(422, out);
}

}  // namespace

net::HttpResponse GetDeviceShadow(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.devices == nullptr || ctx.shadow == nullptr) return ShadowNotEnabled(call);
  auto device = ScopedDevice(ctx, call, raw_id, Access::kRead);
  if (!device.ok()) return ErrorResponse(call, device.status(), "");
  json out = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
              {"shadow", ShadowJson(ctx.shadow->Get(**device))}};
  return JsonResponse(200, out);
}

net::HttpResponse UpdateDeviceShadow(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.devices == nullptr || ctx.shadow == nullptr) return ShadowNotEnabled(call);
  auto device = ScopedDevice(ctx, call, raw_id, Access::kWrite);
  if (!device.ok()) return ErrorResponse(call, device.status(), "");
  auto body = ParseObjectBody(call, kMaxShadowBodyBytes, kMaxShadowBodyNesting);
  if (!body.ok()) return ErrorResponse(call, body.status(), "");
  if (absl::Status known = KnownMembersOnly(call, *body, "", {"desired", "version"}); !known.ok()) {
    return ErrorResponse(call, known, "");
  }
  auto desired = body->find("desired");
  // An empty object would change nothing but still move the version on
  // and send the delta again.
  if (desired == body->end() || !desired->is_object() || desired->empty()) {
    return ErrorResponse(
        call, BadField(call, "desired", "must be a non-empty object of property values"), "");
  }
  std::optional<uint64_t> expected;
  if (auto version = body->find("version"); version != body->end()) {
    if (!version->is_number_unsigned()) {
      return ErrorResponse(call, BadField(call, "version", "must be a non-negative integer"), "");
    }
    expected = version->get<uint64_t>();
  }
  absl::StatusOr<uint64_t> updated = ctx.shadow->SetDesired(**device, *desired, expected);
  AuditWrite(ctx, *call, "update device shadow", (*device)->enterprise, "device",
             (*device)->device_id, updated.status());
  if (!updated.ok()) {
    return ErrorResponse(call, ShadowRefusal(call, updated.status()), "",
                         HttpStatusOfRefusal(updated.status()));
  }
  json out = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
              {"shadow", ShadowJson(ctx.shadow->Get(**device))}};
  return JsonResponse(200, out);
}

net::HttpResponse GetDeviceProperties(const ApiContext& ctx, Call* call,
                                      std::string_view raw_id) {
  if (ctx.devices == nullptr || ctx.shadow == nullptr) return ShadowNotEnabled(call);
  auto device = ScopedDevice(ctx, call, raw_id, Access::kRead);
  if (!device.ok()) return ErrorResponse(call, device.status(), "");
  platform::ShadowDocument doc = ctx.shadow->Get(**device);
  json out = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
              {"online", doc.online},
              {"properties", std::move(doc.reported)}};
  return JsonResponse(200, out);
}

net::HttpResponse WriteDeviceProperties(const ApiContext& ctx, Call* call,
                                        std::string_view raw_id) {
  if (ctx.devices == nullptr || ctx.shadow == nullptr) return ShadowNotEnabled(call);
  auto request = CallRequestOf(ctx, call, raw_id, {"properties", "timeout"});
  if (!request.ok()) return ErrorResponse(call, request.status(), "");
  auto& [device, body, timeout] = *request;
  auto properties = body.find("properties");
  if (properties == body.end() || !properties->is_object() || properties->empty()) {
    return ErrorResponse(
        call, BadField(call, "properties", "must be a non-empty object of property values"), "");
  }
  AuditWrite(ctx, *call, "write device properties", device->enterprise, "device",
             device->device_id, absl::OkStatus());
  return CallDevice(call, *device, timeout, "properties", &*properties,
                    [&](platform::CallCallback done) {
                      return ctx.shadow->WriteProperties(*device, *properties, timeout,
                                                         std::move(done));
                    });
}

net::HttpResponse InvokeDeviceFunction(const ApiContext& ctx, Call* call, std::string_view raw_id,
                                       std::string_view raw_function) {
  if (ctx.devices == nullptr || ctx.shadow == nullptr) return ShadowNotEnabled(call);
  std::optional<std::string> function = PercentDecode(raw_function, /*plus_is_space=*/false);
  if (!function) {
    return ErrorResponse(call, BadParam(call, "function id has an invalid percent-escape"), "");
  }
  auto request = CallRequestOf(ctx, call, raw_id, {"inputs", "timeout"});
  if (!request.ok()) return ErrorResponse(call, request.status(), "");
  auto& [device, body, timeout] = *request;
  json inputs = json::object();
  if (auto it = body.find("inputs"); it != body.end()) {
    if (!it->is_object()) {
      return ErrorResponse(call, BadField(call, "inputs", "must be an object"), "");
    }
    inputs = *it;
  }
  AuditWrite(ctx, *call, absl::StrCat("invoke device function '", *function, "'"),
             device->enterprise, "device", device->device_id, absl::OkStatus());
  return CallDevice(call, *device, timeout, "output", nullptr,
                    [&](platform::CallCallback done) {
                      return ctx.shadow->InvokeFunction(*device, *function, inputs, timeout,
                                                        std::move(done));
                    });
}

}  // namespace qilian::api
