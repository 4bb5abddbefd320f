// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI,
// ext4 and LevelDB. Uses the SSE4.2 crc32 instruction when the CPU has it,
// a slicing-by-8 table otherwise; both give identical results.
#pragma once

#include <cstdint>
#include <string_view>

namespace synod::persistence::crc32c {

// Extends crc (the value of a previous call, or 0 to start) with data.
std::uint32_t extend(std::uint32_t crc, const void* data, std::size_t n);
inline std::uint32_t value(std::string_view data) { return extend(0, data.data(), data.size()); }

// The table-only path, exposed so tests can check both paths agree.
std::uint32_t extend_portable(std::uint32_t crc, const void* data, std::size_t n);

// A CRC stored next to the data it covers is masked (rotated and offset) so
// that a CRC of bytes that themselves contain CRCs stays well distributed
// (LevelDB's rule).
inline std::uint32_t mask(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline std::uint32_t unmask(std::uint32_t masked) {
  std::uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace synod::persistence::crc32c
