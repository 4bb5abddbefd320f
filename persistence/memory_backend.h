// The "memory" backend: every store in process memory, nothing survives the
// process. For tests of other layers and as the reference behaviour the
// conformance suite holds the other backends to. Thread-safe (one mutex per
// store); sync() is immediate.
#pragma once

#include <memory>

#include "persistence/backend.h"

namespace synod::persistence {

std::unique_ptr<StorageBackend> make_memory_backend(const BackendOptions& options);

}  // namespace synod::persistence
