// Export, import and migration of one node's stored state between backends
// (`synod data export|import|migrate`, wired by node/).
//
// The export file (format version 1, docs/persistence.md "## export, import
// and migrate"): the magic "SYNODDMP", a u32 format version, then records
//   u8 type | u32 payload length | payload | u32 CRC32C of (type, length, payload)
// in this order: HEADER (node id, source backend), STABLE (term, vote,
// commit, configuration), LOG_BASE (first index, term before it, last
// index), one ENTRY per log entry, SNAPSHOT (meta and size of the latest
// snapshot) followed by its SNAPSHOT_CHUNKs, APPLIED_INDEX, one RECORD per
// applied-state record, and END (the number of records before it). Integers
// are little-endian. A damaged or truncated file is rejected before anything
// is written to the target, with an error naming the file and the offset.
//
// All three functions expect the node to be stopped: they read its stores
// one after another, so a running node would make the dump inconsistent.
#pragma once

#include <string>

#include "common/status.h"
#include "persistence/backend.h"

namespace synod::persistence {

inline constexpr std::uint32_t kExportFormatVersion = 1;

// Writes from's state (hard state, configuration, log, latest snapshot,
// applied-state records) to out_file (via a temp file + rename, fsynced).
Status export_state(StorageBackend& from, const std::string& out_file);

// Loads an export into `to`, which must hold no state yet (FailedPrecondition
// otherwise), then checks that `to` reads back exactly what the file holds.
Status import_state(const std::string& in_file, StorageBackend& to);

// Copies everything from `from` into the empty `to`, then reads both back and
// compares them record by record; a mismatch is kInternal naming the record.
Status migrate(StorageBackend& from, StorageBackend& to);

}  // namespace synod::persistence
