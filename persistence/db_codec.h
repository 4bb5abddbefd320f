// Byte encodings shared by the database backends (redis stores entries and
// records as opaque values) and by export/import (migrate.cc): a log entry, an
// applied-state record, and hex.
// All encodings are little-endian, versioned by the caller's format.
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/raft_types.h"
#include "common/status.h"
#include "persistence/applied_state_store.h"

namespace synod::persistence {

// term u64, type u8, data (u32 length + bytes). The index is stored beside it.
void encode_entry(Bytes& out, const Entry& entry);
// Decodes what encode_entry wrote, giving it `index`; nullopt if malformed.
std::optional<Entry> decode_entry(ByteReader& in, LogIndex index);

// column count u8, each column (tag u8: 0 null, 1 integer u64, 2 text bytes),
// then the value bytes. The key is stored beside it.
void encode_record(Bytes& out, const Record& record);
std::optional<Record> decode_record(ByteReader& in, std::string key);

// Lower-case hex of bytes ("" for ""), for SQL literals and messages.
std::string to_hex(ByteView data);

}  // namespace synod::persistence
