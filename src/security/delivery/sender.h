// Sends the spool's records to a qiliand (docs/security/delivery.md,
// "Sending"): batches of NDJSON lines, each event with its id inserted,
// POST /api/security/events over HTTPS with the sensor's bearer token,
// gzip when it pays. The acknowledged sequence moves only after a 200 (the
// node stores a batch durably before it answers), so a crash between the
// two sends the same ids again and the node counts them as duplicates.
//
// One thread; one batch in memory at a time (at most max_batch_bytes and
// its gzip copy).
#ifndef QILIAN_SECURITY_DELIVERY_SENDER_H_
#define QILIAN_SECURITY_DELIVERY_SENDER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/rest_client.h"
#include "security/delivery/rejected_file.h"
#include "security/delivery/spool.h"

namespace qilian::security {

struct SenderOptions {
  cli::ServerUrl server;
  std::string token;  // sent as "Authorization: Bearer <token>"
  cli::TlsClientOptions tls;
  // Each step of a request (connect, handshake, send, the answer).
  std::chrono::milliseconds request_timeout{10'000};
  // After a failed request: the first wait, doubling up to the last.
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60'000};
  // The node's limits on one request (lines, bytes before compression).
  size_t max_batch_events = 10'000;
  size_t max_batch_bytes = 8 << 20;
  // One line for a person per event worth telling (failures, recoveries,
  // rejections); may be called from the sender's thread.
  std::function<void(const std::string&)> log;
};

struct SenderStats {
  uint64_t requests = 0;  // answered or not
  uint64_t gzip_requests = 0;
  uint64_t body_bytes = 0;  // request bodies as sent
  uint64_t failures = 0;    // requests to retry later: no answer, 5xx, 429, ...
  uint64_t sent = 0;        // events in batches the node acknowledged
  uint64_t accepted = 0;    // ... of which new to the node
  uint64_t duplicates = 0;  // ... of which it had already
  uint64_t rejected = 0;    // set aside after a 400 (or a 413 for one event)
  bool stopped = false;     // refused (401/403) or misconfigured: no more sending
  std::string stop_reason;
};

class Sender {
 public:
  // `spool` must outlive the sender. The thread starts here.
  Sender(Spool* spool, SenderOptions options);
  ~Sender();  // Finish(0)
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // New records are in the spool (the sender also looks every second).
  void Wake();

  // Sends what is spooled until the spool is empty, a request fails (the
  // node is unreachable: the rest waits for the next run), the node
  // refuses, or `timeout` passes; then ends the thread. Waits at most
  // `timeout` and one request's timeout.
  void Finish(std::chrono::milliseconds timeout);

  SenderStats stats() const;

 private:
  enum class Outcome { kDelivered, kResend, kRetryLater, kStop };
  struct Batch {
    std::vector<SpoolRecord> records;
    std::vector<bool> set_aside;  // rejected by the node: not sent again
    int rejections = 0;
    // The request body as last built (gzipped when `gzip`), kept for
    // retries; "" once the batch changes.
    std::string wire;
    bool gzip = false;
  };

  void Run();
  // The body: each line with its id, gzipped when that pays.
  void BuildBody(Batch* batch);
  Outcome Post(Batch* batch);
  Outcome Delivered(const Batch& batch, const std::string& reply_body);
  Outcome Rejected(Batch* batch, int status, const std::string& reply_body);
  void SetAside(Batch* batch, size_t index, const std::string& reason);
  Outcome Acknowledge(const Batch& batch);
  // Sleeps up to `d` unless Finish comes (or, with `until_new_events`,
  // Wake); false when it is time to stop.
  bool Sleep(std::chrono::milliseconds d, bool until_new_events);
  void Log(const std::string& line);

  Spool* spool_;
  const SenderOptions options_;
  cli::RestClient client_;
  RejectedFile rejected_file_;
  size_t batch_limit_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool finishing_ = false;
  bool stop_now_ = false;
  bool done_ = false;
  SenderStats stats_;
  std::string last_failure_;

  std::thread thread_;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DELIVERY_SENDER_H_
