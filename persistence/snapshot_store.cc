#include "persistence/snapshot_store.h"

namespace synod::persistence {

Result<Bytes> read_all(SnapshotReader& reader, std::uint64_t chunk_bytes) {
  Bytes all;
  all.reserve(reader.size());
  for (;;) {
    SYNOD_ASSIGN_OR_RETURN(Bytes chunk, reader.read_chunk(chunk_bytes));
    if (chunk.empty()) return all;
    all += chunk;
  }
}

}  // namespace synod::persistence
