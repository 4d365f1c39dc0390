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
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

#include "core/metrics.h"
#include "ident/access_policy.h"
#include "ident/caller.h"
#include "ident/handle_value.h"
#include "ident/mint.h"
#include "ident/operation.h"
#include "ident/registry.h"
#include "ident/response_code.h"

namespace qilian::ident {

namespace stats {
class StatsRecorder;
}  // namespace stats

// The most handles one native list-handles answer carries; past it the
// Response says `more` (a native client has no cursor to continue with).
inline constexpr size_t kMaxListedHandles = 100000;

enum class Transport : uint8_t { kHttp, kUdp, kTcp };

// "http", "udp", "tcp": metrics labels and the audit log.
std::string_view TransportName(Transport t);

struct Peer {
  std::string address;  // textual IP
  bool is_loopback = false;
  Transport transport = Transport::kHttp;
  // TCP: the connection's id, unique within the process (an IDIS login is
  // bound to the connection it was answered on); 0 elsewhere.
  uint64_t connection = 0;
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
  // One page of at most this many handles (clamped to max_page_size).
  // 0: the whole listing, up to kMaxListedHandles, as the native protocol
  // (which has no cursor) needs; REST always sets a page size.
  size_t list_page_size = 0;
  Peer peer;
  // Who is asking, as the front door authenticated it (anonymous unless a
  // credential was verified).
  Caller caller;
};

struct Response {
  ResponseCode code = ResponseCode::kSuccess;
  std::string message;  // human-readable error text; empty on success
  // The error as the failing step returned it (OK on success and where a
  // Response was built without one): its payloads, such as the field a
  // template check names (tenant/field_error.h), reach the REST edge.
  absl::Status status;
  std::string handle;   // echoed handle
  std::vector<HandleValue> values;   // resolution
  std::vector<std::string> handles;  // listing
  bool more = false;                 // listing: another page follows
  WriteOutcome outcome = WriteOutcome::kUpdated;  // create/put
  SiteInfo site;                     // get site info
  uint32_t op_flags = 0;             // flags to set on the reply (AT, ...)
  // 303 (prefix referral): the prefix handle that says where the handle is
  // served, and its public site values (HS_SITE, HS_SERV, and for
  // questions about prefix handles HS_SITE.PREFIX / HS_SERV.PREFIX). The
  // native reply carries them as Handle.Net's referral body; REST as JSON.
  std::string referral_handle;
  std::vector<HandleValue> referral_values;
  bool ok() const { return code == ResponseCode::kSuccess; }
};

// The recursive role's way to resolve a handle this node does not home
// (ident/resolver/RecursiveResolver behind it; qiliand wires it, so that
// the processor does not depend on the resolver). Errors carry Handle
// response codes (6 past the referral bound, 2 when no server answered,
// the upstream's 100/200 ...).
using RecursiveResolveFn = std::function<absl::StatusOr<std::vector<HandleValue>>(
    std::string_view handle, const ValueFilter& filter)>;

struct ProcessorOptions {
  // This node's HS_SITE, returned by get-site-info (opcode 2).
  SiteInfo site;
  // Whether this node resolves recursively (docs/hierarchy.md): a
  // resolution of a handle this node does not home (not under its
  // prefixes, or under a derived prefix homed elsewhere) is resolved
  // through `resolve_recursively` when the native client set REC, and
  // always over REST (which has no flag). Without REC a native client gets
  // the authoritative answer: 301, or 303 with the referral.
  bool recursive = false;
  RecursiveResolveFn resolve_recursively;
  // Who may write, list and read restricted values (authz/authorizer.h;
  // qiliand always installs one). Null: no authorization at all, every
  // reader anonymous (unit tests of the registry paths only).
  const AccessPolicy* access = nullptr;
  size_t default_page_size = 100;
  size_t max_page_size = 10000;
  // Counts resolutions, creates and deletes per prefix and front door
  // (ident/stats/stats_recorder.h); null: no statistics. Must outlive the
  // processor.
  stats::StatsRecorder* stats = nullptr;
  // The generated part of minted handles (mint.h); null: RandomMintSuffix.
  // Tests inject fixed sequences to force collisions.
  MintSuffixFn mint_suffix;
};

class Processor {
 public:
  Processor(Registry* registry, MetricsRegistry* metrics, ProcessorOptions options);
  ~Processor();
  Processor(const Processor&) = delete;
  Processor& operator=(const Processor&) = delete;

  // Checks, in this order, each failing with the code given:
  //  1. operation: 5 for unknown or reserved opcodes and 106 ("operation N
  //     is not supported"); 5 for challenge answers, verification and IDIS
  //     login, 503 (session not supported) for session setup/termination,
  //     until authentication (issue 5);
  //  2. flags: PO is echoed; with PO only values with public read are
  //     returned (a filter left with nothing gets 200, as if nothing
  //     matched);
  //  3. writes: 4 over UDP ("administration requests are accepted only over
  //     TCP or HTTP");
  //  4. handle syntax (102, handle_name.h messages; get-site-info takes no
  //     handle; list-handles needs 0.NA/<prefix>);
  //  5. authority: 301 "this node is not responsible for prefix 'P'", with
  //     " and does not resolve recursively" appended when the client set
  //     REC on this non-recursive node (on a recursive node, REC or REST
  //     resolves recursively instead, and " (set REC to resolve
  //     recursively)" is appended without REC); local handles are answered
  //     with AT whatever REC says;
  //  6. referral (referral.h): a handle under a derived prefix homed on
  //     another site gets 303 "prefix 'P' is served by another site (see
  //     0.NA/P)" with the referral values, for every operation (or, for a
  //     resolution on a recursive node, the recursive answer);
  //  7. authorization (with an AccessPolicy): writes and listings are
  //     checked by AccessPolicy::Authorize (402 for anonymous callers, then
  //     its codes); a resolution without PO whose answer holds values
  //     without public read gets 402 from an anonymous caller (the native
  //     front end then challenges; REST reads anonymously with PO) and, for
  //     an authenticated one, those values only when MayReadRestricted;
  //  then one handler per operation over the Registry (its codes). Writes
  //  and listings by authenticated callers, and refused writes, are passed
  //  to AccessPolicy::Audit.
  // Reply flags: AT once authority is established (not on recursive
  // answers), PO echoed, REC only on a recursive node.
  //
  // Minting (mint.h): a create with op_flag::kMint names a stem, not a
  // handle. Each attempt appends a fresh suffix to the stem and runs the
  // steps above on that handle as a plain create (OVERWRITE and
  // put_values_only are dropped: a minted handle is always new), so syntax,
  // authority, referral, authorization and audit see the handle that would
  // be created; a 101 (the name exists) is retried with another suffix, up
  // to kMaxMintAttempts, and counted in qilian_ident_mint_collisions_total.
  // The Response names the minted handle and, on success, carries kMint in
  // op_flags, as deployed servers echo it. A stem without '/' is processed
  // unminted, so it fails handle syntax (102 "handle has no '/' between
  // prefix and suffix"). kMint on any other operation is ignored, as
  // deployed servers ignore it.
  Response Process(const Request& request);

  // Whether `op` may block on durable storage (any write).
  static bool MayBlock(OpCode op);

  const ProcessorOptions& options() const { return options_; }

 private:
  // Process without minting: the steps above for one handle.
  Response ProcessOne(const Request& request);
  Response Mint(const Request& request);

  // Step 7 for a resolution: keeps the `values` the caller may read, or
  // 402 for an anonymous caller who did not ask for public values only.
  absl::Status FilterReadable(const Request& request, std::vector<HandleValue>* values) const;

  struct Impl;
  Registry* registry_;
  ProcessorOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_PROCESSOR_H_
