// Argument checks every backend applies the same way, so the conformance
// suite sees identical errors from all of them. Pure functions of the
// store's current bounds.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/raft_types.h"
#include "common/status.h"
#include "persistence/applied_state_store.h"

namespace synod::persistence {

std::string range_message(std::string_view what, LogIndex index, LogIndex first, LogIndex last);

// append(): contiguous entries starting at last + 1.
Status check_append(std::span<const Entry> entries, LogIndex last);
// read(): first <= lo <= hi <= last + 1.
Status check_read_range(LogIndex lo, LogIndex hi, LogIndex first, LogIndex last);
// truncate_suffix(): first <= from <= last + 1.
Status check_truncate(LogIndex from, LogIndex first, LogIndex last);
// compact_prefix(): base <= upto <= last, where base = first - 1.
Status check_compact(LogIndex upto, LogIndex base, LogIndex last);
// Whether entry may join a read result that holds `count` entries of `bytes`.
inline bool within_byte_limit(std::size_t count, std::uint64_t bytes, const Entry& entry,
                              std::uint64_t max_bytes) {
  return max_bytes == 0 || count == 0 || bytes + entry.byte_size() <= max_bytes;
}

// apply_batch(): index not going backwards, every record valid for its table.
Status check_applied_batch(const AppliedBatch& batch, LogIndex stored_applied);
// The record as stored: key taken from the op, columns padded with NULLs.
Record normalized_record(Table table, const Record& record, const std::string& key);

}  // namespace synod::persistence
