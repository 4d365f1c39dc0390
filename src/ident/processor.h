// The one request processor behind every front door (REST, native UDP,
// native TCP). A transport turns its bytes into a Request, calls
// Processor::Process, and encodes the Response; so the three front doors
// validate in the same order and answer the same way.
//
// Process validates in a fixed order (operation supported, flags, handle
// syntax, authority, values), dispatches with one switch over the
// operation, and counts each operation and each error code in /metrics.
// It never throws and never blocks except on a durable write.
#ifndef QILIAN_IDENT_PROCESSOR_H_
#define QILIAN_IDENT_PROCESSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "ident/handle_value.h"
#include "ident/operation.h"
#include "ident/registry.h"
#include "ident/response_code.h"

namespace qilian::ident {

enum class Transport : uint8_t { kHttp, kUdp, kTcp };

struct Peer {
  std::string address;  // textual IP
  bool is_loopback = false;
  Transport transport = Transport::kHttp;
};

struct Request {
  OpCode op = OpCode::kResolution;
  uint32_t op_flags = 0;  // op_flag:: bits as the client sent them
  // The handle operated on. For kListHandles, the prefix handle
  // ("0.NA/88.999"); REST's ?prefix=88.999 is turned into that form.
  std::string handle;
  std::vector<uint32_t> indexes;   // resolution filter / values to remove
  std::vector<std::string> types;  // resolution filter
  std::vector<HandleValue> values; // create / add / modify / REST put
  // REST only: PUT semantics (Registry::Replace vs PutValues) and listing.
  bool put_values_only = false;    // PUT with index=: add or replace just these
  std::string list_after;          // list cursor
  size_t list_page_size = 0;       // 0: the processor's default
  Peer peer;
};

struct Response {
  ResponseCode code = ResponseCode::kSuccess;
  std::string message;  // human-readable error text; empty on success
  std::string handle;   // echoed handle
  std::vector<HandleValue> values;   // resolution
  std::vector<std::string> handles;  // listing
  bool more = false;                 // listing: another page follows
  WriteOutcome outcome = WriteOutcome::kUpdated;  // create/put
  SiteInfo site;                     // get site info
  uint32_t op_flags = 0;             // flags to set on the reply (AT, ...)
  bool ok() const { return code == ResponseCode::kSuccess; }
};

struct ProcessorOptions {
  // This node's HS_SITE, returned by get-site-info (opcode 2).
  SiteInfo site;
  // Whether this node resolves recursively (issue 4); until then a request
  // with the REC flag is answered for local data only, or refused when the
  // handle is not local.
  bool recursive = false;
  // Until authentication lands (issue 5), writes are accepted only from
  // loopback peers.
  bool writes_from_loopback_only = true;
  size_t default_page_size = 100;
  size_t max_page_size = 10000;
};

class Processor {
 public:
  Processor(Registry* registry, MetricsRegistry* metrics, ProcessorOptions options);
  ~Processor();
  Processor(const Processor&) = delete;
  Processor& operator=(const Processor&) = delete;

  Response Process(const Request& request);

  // Whether `op` may block on durable storage (any write).
  static bool MayBlock(OpCode op);

  const ProcessorOptions& options() const { return options_; }

 private:
  struct Impl;
  Registry* registry_;
  ProcessorOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_PROCESSOR_H_
