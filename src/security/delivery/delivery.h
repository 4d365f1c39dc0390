// qilian-sensor's delivery of its events to a qiliand (issue 12,
// "Delivery"; docs/security/delivery.md): an EventSink that appends each
// event to the on-disk spool, and the sender thread that posts the spool
// to the node. At least once: an event leaves the spool only once the node
// acknowledged it; ids make a replay store nothing twice.
#ifndef QILIAN_SECURITY_DELIVERY_DELIVERY_H_
#define QILIAN_SECURITY_DELIVERY_DELIVERY_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "security/delivery/sender.h"
#include "security/delivery/spool.h"
#include "security/sensor/event_writer.h"

namespace qilian::security {

struct DeliveryOptions {
  std::string spool_dir;
  SpoolOptions spool;
  SenderOptions sender;
};

struct DeliveryStats {
  uint64_t spooled = 0;  // events this run appended to the spool
  uint64_t lost = 0;     // events this run could not spool (write errors, over 1 MiB)
  SpoolStats spool;
  SenderStats sender;
};

class EventDelivery : public EventSink {
 public:
  // Opens (or makes) the spool and starts the sender; what the spool's
  // recovery did (a torn tail cut) is logged through options.sender.log.
  static absl::StatusOr<std::unique_ptr<EventDelivery>> Start(DeliveryOptions options);
  ~EventDelivery() override;

  void Write(const EventLine& event) override;

  // Delivers what it can within `timeout` and stops the sender (see
  // Sender::Finish); what is left stays in the spool for the next run.
  void Finish(std::chrono::milliseconds timeout);

  DeliveryStats stats() const;
  // "delivery: spooled S, sent N, duplicates D, rejected R, dropped X, pending P"
  // and a line about the node and the spool.
  std::string Summary() const;

 private:
  EventDelivery(std::unique_ptr<Spool> spool, SenderOptions sender);

  std::unique_ptr<Spool> spool_;
  std::unique_ptr<Sender> sender_;
  std::string server_text_;
  std::function<void(const std::string&)> log_;
  uint64_t lost_ = 0;
  uint64_t bytes_since_wake_ = 0;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DELIVERY_DELIVERY_H_
