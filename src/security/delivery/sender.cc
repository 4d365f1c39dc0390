#include "security/delivery/sender.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "security/delivery/event_id.h"

namespace qilian::security {

namespace {

constexpr char kEventsPath[] = "/api/security/events";
// Bodies smaller than this go as they are; gzip is kept when it saves a tenth.
constexpr size_t kGzipMinBytes = 1024;
// How long an idle sender waits before looking at the spool again.
constexpr std::chrono::milliseconds kIdlePoll{1000};
// After this many 400s naming single lines of one batch, the rest of the
// batch is set aside at once: a sender emitting bad lines is a bug, and
// each round trip costs the node a parse of the whole batch.
constexpr int kMaxLineRejections = 8;
// Room for the id ("<16 hex>-<20 digits>", its member, a comma) and the newline.
constexpr size_t kIdOverheadBytes = 48;

// Fault injection for the crash test (tests/e2e/test_sensor_delivery.py):
// QILIAN_SENSOR_CRASH_AFTER_POSTS=N kills the process with SIGKILL right after
// the Nth acknowledged request's 200 and before the spool records it.
int CrashAfterPosts() {
  const char* v = std::getenv("QILIAN_SENSOR_CRASH_AFTER_POSTS");
  return v == nullptr ? 0 : std::atoi(v);
}

// The node's words for a refusal: `error` (the events API), else `message`
// (every console answer), else the start of the body.
std::string NodeMessage(const std::string& body) {
  nlohmann::json reply = nlohmann::json::parse(body, nullptr, false);
  for (const char* key : {"error", "message"}) {
    if (reply.is_object() && reply.contains(key) && reply[key].is_string()) {
      return reply[key].get<std::string>();
    }
  }
  return body.substr(0, 200);
}

std::chrono::milliseconds Backoff(const SenderOptions& o, uint64_t failures) {
  // Exponential, then "equal jitter": half fixed, half random, so sensors
  // that lost the node together do not come back together.
  std::chrono::milliseconds base = o.backoff_initial;
  for (uint64_t i = 1; i < failures && base < o.backoff_max; ++i) base *= 2;
  base = std::min(base, o.backoff_max);
  static thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<int64_t> half(0, base.count() / 2);
  return std::chrono::milliseconds(base.count() - base.count() / 2 + half(random));
}

}  // namespace

Sender::Sender(Spool* spool, SenderOptions options)
    : spool_(spool),
      options_(std::move(options)),
      client_(options_.server, options_.request_timeout, options_.tls),
      rejected_file_(spool->dir()),
      batch_limit_(std::max<size_t>(1, options_.max_batch_events)) {
  client_.set_authorization("Bearer " + options_.token);
  client_.set_content_type("application/x-ndjson");
  thread_ = std::thread([this] { Run(); });
}

Sender::~Sender() { Finish(std::chrono::milliseconds(0)); }

void Sender::Wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  cv_.notify_all();
}

void Sender::Finish(std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) return;
  {
    std::unique_lock lock(mu_);
    finishing_ = true;
    cv_.notify_all();
    if (!cv_.wait_for(lock, timeout, [&] { return done_; })) {
      stop_now_ = true;  // the request in flight ends within its timeout
      cv_.notify_all();
    }
  }
  thread_.join();
}

SenderStats Sender::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Sender::Log(const std::string& line) {
  if (options_.log) options_.log(line);
}

bool Sender::Sleep(std::chrono::milliseconds d, bool until_new_events) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return (until_new_events && woken_) || finishing_ || stop_now_; });
  woken_ = false;
  return !stop_now_;
}

void Sender::Run() {
  Batch batch;
  uint64_t failures_in_a_row = 0;
  const size_t max_payload = options_.max_batch_bytes - std::min(options_.max_batch_bytes / 2,
                                                                 batch_limit_ * kIdOverheadBytes);
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_now_) break;
    }
    if (batch.records.empty()) {
      absl::Status read = spool_->Read(batch_limit_, max_payload, &batch.records);
      batch.set_aside.assign(batch.records.size(), false);
      batch.rejections = 0;
      batch.wire.clear();
      if (!read.ok()) {
        if (absl::IsDataLoss(read)) {  // that segment is skipped; read on
          Log(std::string(read.message()));
          continue;
        }
        if (read.message() != last_failure_) Log(std::string(read.message()));
        last_failure_ = std::string(read.message());
        std::lock_guard lock(mu_);
        if (finishing_) break;
      }
      if (batch.records.empty()) {
        {
          std::lock_guard lock(mu_);
          if (finishing_ && read.ok()) break;  // all delivered
        }
        if (!Sleep(kIdlePoll, /*until_new_events=*/true)) break;
        continue;
      }
    }
    Outcome outcome = Post(&batch);
    if (outcome == Outcome::kStop) break;
    if (outcome == Outcome::kResend) continue;
    if (outcome == Outcome::kDelivered) {
      if (failures_in_a_row > 0) {
        Log(absl::StrCat("delivering to ", options_.server.text, " again after ", failures_in_a_row,
                         " failed attempts"));
      }
      failures_in_a_row = 0;
      last_failure_.clear();
      batch.records.clear();
      continue;
    }
    ++failures_in_a_row;
    {
      std::lock_guard lock(mu_);
      // Exiting: the node is unreachable now; the next run sends the rest.
      if (finishing_) break;
    }
    // New events do not cut a backoff short: only Finish does.
    if (!Sleep(Backoff(options_, failures_in_a_row), /*until_new_events=*/false)) break;
  }
  std::lock_guard lock(mu_);
  done_ = true;
  cv_.notify_all();
}

void Sender::BuildBody(Batch* batch) {
  std::string body;
  for (size_t i = 0; i < batch->records.size(); ++i) {
    if (batch->set_aside[i]) continue;
    const SpoolRecord& r = batch->records[i];
    AppendWithId(r.payload, EventId(spool_->identity(), r.sequence), &body);
    body.push_back('\n');
  }
  batch->gzip = false;
  if (body.size() >= kGzipMinBytes) {
    absl::StatusOr<std::string> gz = cli::Gzip(body);
    if (gz.ok() && gz->size() < body.size() - body.size() / 10) {
      body = *std::move(gz);
      batch->gzip = true;
    }
  }
  batch->wire = std::move(body);
}

Sender::Outcome Sender::Post(Batch* batch) {
  if (batch->wire.empty()) BuildBody(batch);
  if (batch->wire.empty()) return Acknowledge(*batch);  // every line set aside

  client_.set_content_encoding(batch->gzip ? "gzip" : "");
  absl::StatusOr<cli::HttpReply> reply = client_.Send("POST", kEventsPath, batch->wire);
  {
    std::lock_guard lock(mu_);
    ++stats_.requests;
    stats_.body_bytes += batch->wire.size();
    if (batch->gzip) ++stats_.gzip_requests;
  }
  std::string failure;
  if (!reply.ok()) {
    if (absl::IsInvalidArgument(reply.status())) {  // the CA file: nothing a retry mends
      std::lock_guard lock(mu_);
      stats_.stopped = true;
      stats_.stop_reason = std::string(reply.status().message());
      Log(stats_.stop_reason);
      return Outcome::kStop;
    }
    failure = std::string(reply.status().message());
  } else if (reply->status == 200) {
    return Delivered(*batch, reply->body);
  } else if (reply->status == 400 || reply->status == 413) {
    return Rejected(batch, reply->status, reply->body);
  } else if (reply->status == 401 || reply->status == 403) {
    std::lock_guard lock(mu_);
    stats_.stopped = true;
    stats_.stop_reason = absl::StrCat(
        options_.server.text, " refused the sensor token (HTTP ", reply->status, ": ",
        NodeMessage(reply->body), "); sending stopped, the events stay spooled in ", spool_->dir());
    Log(stats_.stop_reason);
    return Outcome::kStop;
  } else {
    failure = absl::StrCat(options_.server.text, " answered HTTP ", reply->status, ": ",
                           NodeMessage(reply->body));
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.failures;
  }
  if (failure != last_failure_) {  // once per kind of failure, not per retry
    Log(absl::StrCat("cannot deliver events: ", failure, "; retrying (events stay spooled)"));
    last_failure_ = failure;
  }
  return Outcome::kRetryLater;
}

Sender::Outcome Sender::Delivered(const Batch& batch, const std::string& reply_body) {
  static const int crash_after = CrashAfterPosts();
  if (crash_after > 0) {
    static int posts = 0;
    if (++posts == crash_after) std::raise(SIGKILL);
  }
  nlohmann::json reply = nlohmann::json::parse(reply_body, nullptr, false);
  uint64_t sent = 0;
  for (bool aside : batch.set_aside) sent += aside ? 0 : 1;
  uint64_t duplicates = 0;
  if (reply.is_object() && reply.value("duplicates", nlohmann::json()).is_number_unsigned()) {
    duplicates = std::min<uint64_t>(reply["duplicates"].get<uint64_t>(), sent);
  } else {
    Log(absl::StrCat(options_.server.text,
                     " acknowledged a batch without counts: ", reply_body.substr(0, 200)));
  }
  {
    std::lock_guard lock(mu_);
    stats_.sent += sent;
    stats_.duplicates += duplicates;
    stats_.accepted += sent - duplicates;
  }
  return Acknowledge(batch);
}

Sender::Outcome Sender::Acknowledge(const Batch& batch) {
  if (absl::Status s = spool_->Acknowledge(batch.records.back().sequence); !s.ok()) {
    // The node has the batch; sending it again later only adds duplicates.
    Log(absl::StrCat("cannot record the acknowledgement in the spool: ", s.message()));
    return Outcome::kRetryLater;
  }
  return Outcome::kDelivered;
}

Sender::Outcome Sender::Rejected(Batch* batch, int status, const std::string& reply_body) {
  const std::string message = NodeMessage(reply_body);
  std::vector<size_t> sent;  // indexes of the lines of the body, in order
  for (size_t i = 0; i < batch->records.size(); ++i) {
    if (!batch->set_aside[i]) sent.push_back(i);
  }
  if (status == 413) {
    if (sent.size() > 1) {
      // The node's limits are below ours: halve the batches from now on.
      batch_limit_ = std::max<size_t>(1, sent.size() / 2);
      Log(absl::StrCat(options_.server.text, " refused a batch of ", sent.size(),
                       " events as too large (", message, "); sending ", batch_limit_, " at most"));
      batch->records.resize(sent[batch_limit_ - 1] + 1);
      batch->set_aside.resize(batch->records.size());
      batch->wire.clear();
      return Outcome::kResend;
    }
    SetAside(batch, sent.front(), absl::StrCat("HTTP 413: ", message));
    Log(absl::StrCat("event ", EventId(spool_->identity(), batch->records[sent.front()].sequence),
                     " is too large for ", options_.server.text, " (HTTP 413: ", message,
                     "); set aside in ", rejected_file_.events_path()));
    return Outcome::kResend;
  }
  // 400: the batch is refused as a whole for the line the node names.
  nlohmann::json reply = nlohmann::json::parse(reply_body, nullptr, false);
  size_t line = 0;
  if (reply.is_object() && reply.value("line", nlohmann::json()).is_number_unsigned()) {
    line = reply["line"].get<size_t>();
  }
  if (line >= 1 && line <= sent.size() && batch->rejections < kMaxLineRejections) {
    ++batch->rejections;
    const size_t index = sent[line - 1];
    SetAside(batch, index, absl::StrCat("HTTP 400: ", message));
    Log(absl::StrCat("event ", EventId(spool_->identity(), batch->records[index].sequence),
                     " rejected by ", options_.server.text, " (HTTP 400: ", message,
                     "); set aside in ", rejected_file_.events_path()));
    return Outcome::kResend;
  }
  for (size_t i : sent) SetAside(batch, i, absl::StrCat("HTTP 400 for the batch: ", message));
  Log(absl::StrCat(sent.size(), " events rejected by ", options_.server.text,
                   " (HTTP 400: ", message, "); set aside in ", rejected_file_.events_path()));
  return Outcome::kResend;
}

void Sender::SetAside(Batch* batch, size_t index, const std::string& reason) {
  const SpoolRecord& r = batch->records[index];
  const std::string id = EventId(spool_->identity(), r.sequence);
  std::string line;
  AppendWithId(r.payload, id, &line);
  absl::Status written = rejected_file_.Add(id, line, reason);
  batch->set_aside[index] = true;
  batch->wire.clear();
  {
    std::lock_guard lock(mu_);
    ++stats_.rejected;
  }
  if (!written.ok()) Log(std::string(written.message()));
}

}  // namespace qilian::security
