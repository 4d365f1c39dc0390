// The identifier registry: durable per-identifier atomic operations over a
// KvStore, shared by every front door (REST now, the native protocol next).
//
// Each operation on one handle is atomic: it reads the record, checks, and
// writes the whole new record in one batch, under a lock striped by storage
// key so that concurrent writers to the same handle serialize while writers
// to different handles commit together (the store's group commit). A write
// returns only after the store has made it durable.
//
// Errors carry Handle response codes (response_code.h):
//   100 handle not found, 101 handle already exists, 102 invalid handle,
//   200 values not found (including a filter that matches nothing),
//   201 value already exists, 202 invalid value (bad index, duplicate index,
//   undecodable HS_ADMIN/HS_VLIST/HS_SITE data, too many values),
//   301 server not responsible (prefix outside the node's authority),
//   2 storage failure, or a sealed HS_SECKEY that does not open.
//
// HS_SECKEY secrets at rest (docs/authentication.md, "Secrets at rest"):
// with a ValueSealer every HS_SECKEY value a write stores is sealed, bound
// to its identity "index:handle", and Get opens it again, so callers see
// the plain secret. Values written before sealing (no "QLS1" frame) are
// read as they are and sealed on the record's next write.
#ifndef QILIAN_IDENT_REGISTRY_H_
#define QILIAN_IDENT_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "ident/handle_value.h"
#include "ident/record_validator.h"
#include "store/kv_store.h"

namespace qilian::ident {

// The first octets of a sealed value (auth::kSealMagic, secret_store.h).
inline constexpr std::string_view kSealedValueMagic = "QLS1";
// magic(4) + nonce(12) + tag(16): shorter data is never a sealed frame.
inline constexpr size_t kMinSealedValueBytes = 32;

// Whether `data` has the sealed frame; anything else in an HS_SECKEY value
// is a plain secret written before sealing.
bool IsSealedValue(std::string_view data);

// Seals and opens secrets with a key the store does not hold. Implemented
// by auth::SecretSealer (secret_store.h); an interface here because
// qilian_auth links qilian_ident. Must be safe to call concurrently.
class ValueSealer {
 public:
  virtual ~ValueSealer() = default;
  // InvalidArgument for a secret too long to seal.
  virtual absl::StatusOr<std::string> Seal(std::string_view secret,
                                           std::string_view context) const = 0;
  // DataLossError when the key, the context or any octet is wrong.
  virtual absl::StatusOr<std::string> Open(std::string_view sealed,
                                           std::string_view context) const = 0;
};

struct RegistryOptions {
  // Prefixes this node is authoritative for; a handle is served here if its
  // prefix is one of these or derived from one (88.999.7 under 88.999), or
  // if it is the prefix handle 0.NA/<such a prefix>.
  std::vector<std::string> authoritative_prefixes = {"88.999"};
  bool case_sensitive_suffix = false;
  // Bytes of encoded records kept in memory for resolution (record_cache.h);
  // 0 disables the cache. Part of the node's memory budget with the store's
  // block cache and write buffers.
  size_t record_cache_bytes = 64 << 20;
  MetricsRegistry* metrics = nullptr;  // for the cache's counters; may be null
  // Seals HS_SECKEY values; null: they are stored as given (tests; a
  // sealed value then reads as error 2). Must outlive the Registry.
  const ValueSealer* value_sealer = nullptr;
  // Checks every record a write would store (identifier data templates,
  // docs/templates.md); its error refuses the write. Null: no check. Must
  // outlive the Registry.
  const RecordValidator* record_validator = nullptr;
};

// Resolution filter: a value matches if its index is listed or its type
// matches a listed type. A listed type ending in "." ("HS_") or without one
// also matches subtypes: "URL" matches "URL" and "URL.mirror" (the TYPE.
// subtype rule of RFC 3651). Empty lists mean "all values".
struct ValueFilter {
  std::vector<uint32_t> indexes;
  std::vector<std::string> types;
  bool empty() const { return indexes.empty() && types.empty(); }
};

struct HandleRecord {
  std::string handle;  // as created (original case)
  std::vector<HandleValue> values;  // ascending by index
};

struct ListPage {
  std::vector<std::string> handles;  // in storage-key order
  bool more = false;                 // another page follows
};

// What a write did, so REST can answer 201 Created or 200 OK.
enum class WriteOutcome { kCreated, kUpdated };

class Registry {
 public:
  static constexpr std::string_view kSpace = "ident";

  Registry(store::KvStore* store, const Clock& clock, RegistryOptions options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Resolution. 100 if absent; 200 if `filter` matches no value.
  //
  // Every write below takes an optional batch `also` that is written in the
  // same atomic store write as the change (the processor puts the change's
  // audit event there): both or neither are stored.
  absl::StatusOr<HandleRecord> Get(std::string_view handle, const ValueFilter& filter) const;

  // Creates a handle with `values`; 101 if it exists.
  absl::Status Create(std::string_view handle, std::vector<HandleValue> values,
                      const store::WriteBatch* also = nullptr);

  // Creates or replaces the whole handle. With `overwrite` false an existing
  // handle is refused with 101.
  absl::StatusOr<WriteOutcome> Replace(std::string_view handle, std::vector<HandleValue> values,
                                       bool overwrite, const store::WriteBatch* also = nullptr);

  // Adds or replaces just the given values, leaving others as they are;
  // creates the handle if absent. With `overwrite` false an existing value
  // at one of the indexes is refused with 201.
  absl::StatusOr<WriteOutcome> PutValues(std::string_view handle,
                                         std::vector<HandleValue> values, bool overwrite,
                                         const store::WriteBatch* also = nullptr);

  // Native-protocol value operations (RFC 3652 opcodes 102-104).
  absl::Status AddValues(std::string_view handle, std::vector<HandleValue> values,
                        const store::WriteBatch* also = nullptr);  // 201
  absl::Status ModifyValues(std::string_view handle, std::vector<HandleValue> values,
                           const store::WriteBatch* also = nullptr);  // 200
  absl::Status RemoveValues(std::string_view handle, const std::vector<uint32_t>& indexes,
                            const store::WriteBatch* also = nullptr);  // 200

  absl::Status Delete(std::string_view handle,
                      const store::WriteBatch* also = nullptr);  // 100 if absent

  // Handles under exactly `prefix` (not derived prefixes) in stable storage
  // order. `after` is the last handle of the previous page (empty for the
  // first); at most `page_size` handles are returned.
  absl::StatusOr<ListPage> List(std::string_view prefix, std::string_view after,
                                size_t page_size) const;

  // Whether this node is authoritative for the prefix of `handle`.
  bool IsAuthoritativeFor(std::string_view prefix) const;

  const RegistryOptions& options() const { return options_; }

 private:
  struct Impl;
  // Opens the sealed HS_SECKEY values of a record read from the store.
  absl::Status OpenSecrets(HandleRecord* record) const;

  store::KvStore* store_;
  const Clock& clock_;
  RegistryOptions options_;
  std::unique_ptr<Impl> impl_;
};

// The stored form of a record (docs/storage.md). Exposed for the fuzz target
// and for tools that read a store directly.
std::string EncodeRecord(const HandleRecord& record);
absl::StatusOr<HandleRecord> DecodeRecord(std::string_view bytes);

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_REGISTRY_H_
