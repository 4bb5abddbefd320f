// CRC-32C (Castagnoli), the checksum of state snapshots. Small and
// table-driven; snapshots are written rarely, so speed is secondary.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace synod::consensus::state {

// Continues `crc` (0 to start) over `data`.
std::uint32_t crc32c(ByteView data, std::uint32_t crc = 0);

}  // namespace synod::consensus::state
