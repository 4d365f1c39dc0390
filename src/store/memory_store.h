// An in-memory KvStore for tests and for fault injection. Same semantics as
// the embedded backend except durability (nothing survives the process).
#ifndef QILIAN_STORE_MEMORY_STORE_H_
#define QILIAN_STORE_MEMORY_STORE_H_

#include <memory>

#include "store/kv_store.h"

namespace qilian::store {

std::unique_ptr<KvStore> NewMemoryStore(const StoreOptions& options);

}  // namespace qilian::store

#endif  // QILIAN_STORE_MEMORY_STORE_H_
