#include "security/delivery/delivery.h"

#include "absl/strings/str_cat.h"

namespace qilian::security {

namespace {

// The sender is woken after this many bytes of events, else it looks every second.
constexpr uint64_t kWakeBytes = 64 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<EventDelivery>> EventDelivery::Start(DeliveryOptions options) {
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(options.spool_dir, options.spool);
  if (!spool.ok()) return spool.status();
  const SpoolStats recovered = (*spool)->stats();
  if (recovered.torn_bytes > 0 && options.sender.log) {
    options.sender.log(absl::StrCat("spool ", options.spool_dir, ": cut ", recovered.torn_bytes,
                                    " bytes of a torn record (a crash while writing)"));
  }
  return std::unique_ptr<EventDelivery>(
      new EventDelivery(*std::move(spool), std::move(options.sender)));
}

EventDelivery::EventDelivery(std::unique_ptr<Spool> spool, SenderOptions sender)
    : spool_(std::move(spool)), server_text_(sender.server.text), log_(sender.log) {
  sender_ = std::make_unique<Sender>(spool_.get(), std::move(sender));
}

EventDelivery::~EventDelivery() { Finish(std::chrono::milliseconds(0)); }

void EventDelivery::Write(const EventLine& event) {
  absl::StatusOr<uint64_t> appended = spool_->Append(event.json);
  if (!appended.ok()) {
    if (lost_++ == 0 && log_)
      log_(absl::StrCat("cannot spool events: ", appended.status().message()));
    return;
  }
  bytes_since_wake_ += event.json.size();
  if (bytes_since_wake_ >= kWakeBytes && sender_ != nullptr) {
    bytes_since_wake_ = 0;
    sender_->Wake();
  }
}

void EventDelivery::Finish(std::chrono::milliseconds timeout) {
  if (sender_ == nullptr) return;
  if (absl::Status s = spool_->Flush(true); !s.ok() && log_) log_(std::string(s.message()));
  sender_->Finish(timeout);
}

DeliveryStats EventDelivery::stats() const {
  DeliveryStats out;
  out.spool = spool_->stats();
  out.spooled = out.spool.appended;
  out.lost = lost_ + out.spool.lost;
  if (sender_ != nullptr) out.sender = sender_->stats();
  return out;
}

std::string EventDelivery::Summary() const {
  const DeliveryStats s = stats();
  std::string out =
      absl::StrCat("delivery: spooled ", s.spooled, ", sent ", s.sender.sent, ", duplicates ",
                   s.sender.duplicates, ", rejected ", s.sender.rejected, ", dropped ",
                   s.spool.dropped, ", pending ", s.spool.pending);
  if (s.lost > 0) absl::StrAppend(&out, ", not spooled ", s.lost);  // disk full
  if (s.spool.corrupt > 0) absl::StrAppend(&out, ", corrupt ", s.spool.corrupt);
  absl::StrAppend(&out, "\n  ", server_text_, ": requests ", s.sender.requests, " (gzip ",
                  s.sender.gzip_requests, ", ", s.sender.body_bytes, " bytes), failed ",
                  s.sender.failures, "; spool ", spool_->dir(), ": segments ", s.spool.segments,
                  ", ", s.spool.bytes, " bytes\n");
  return out;
}

}  // namespace qilian::security
