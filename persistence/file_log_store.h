// The file backend's LogStore: segmented append-only log files.
//
// <dir>/<epoch:016x>-<first index:020>.seg, each a record file
// (record_file.h) with magic "SYNODLOG", whose header extra holds
// epoch u64 | base index u64 | base term u64 (the position just before the
// segment's first entry), and one record per entry: term u64 | index u64 |
// type u8 | data. A segment is closed (synced) once it reaches the segment
// size, and the next one starts where it ends. reset() starts a new epoch;
// at open, segments of older epochs are leftovers of an interrupted reset and
// are deleted.
//
// Threading as LogStore states: readers take a shared lock and pread from the
// segment files; append writes outside the lock and then publishes the new
// positions; sync() runs fdatasync without holding the lock, so readers and
// the next append proceed while the disk works (group commit).
#pragma once

#include <memory>
#include <string>

#include "persistence/backend_metrics.h"
#include "persistence/env.h"
#include "persistence/log_store.h"

namespace synod::persistence {

inline constexpr std::string_view kLogSegmentMagic = "SYNODLOG";
inline constexpr std::uint32_t kLogSegmentVersion = 1;

// Opens the log in dir (creating it), recovering from a torn tail.
Result<std::unique_ptr<LogStore>> open_file_log_store(Env& env, const std::string& dir,
                                                      std::uint64_t segment_bytes,
                                                      BackendMetrics* metrics);

}  // namespace synod::persistence
