// Small helpers over libsodium shared by the crypto layer: one-time library
// initialisation, fixed-size key types that wipe themselves, base64 and
// secret files written with mode 0600.
//
// Secrets (keys, passphrases) never appear in a Status message or a log line
// produced here; errors name the file or the field, never the value.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::crypto {

inline constexpr std::size_t kKeyBytes = 32;

// Calls sodium_init() once; aborts the process if libsodium cannot start
// (no usable randomness), since nothing secure can run without it.
void ensure_sodium();

// A 32-byte secret that is wiped when it goes out of scope.
struct Key32 {
  std::array<unsigned char, kKeyBytes> bytes{};
  Key32() = default;
  Key32(const Key32&) = default;
  Key32& operator=(const Key32&) = default;
  ~Key32();
  unsigned char* data() { return bytes.data(); }
  [[nodiscard]] const unsigned char* data() const { return bytes.data(); }
  [[nodiscard]] ByteView view() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  // Constant-time comparison.
  [[nodiscard]] bool equals(const Key32& other) const;
};

Key32 random_key();
void random_fill(unsigned char* out, std::size_t n);

std::string base64_encode(ByteView bytes);
// Standard base64 with padding; kInvalidArgument (naming `what`, never the
// input) for bad characters.
Result<Bytes> base64_decode(std::string_view text, std::string_view what);
// A base64 string that must decode to exactly 32 bytes.
Result<Key32> key_from_base64(std::string_view text, std::string_view what);

// Writes `contents` to `path` atomically (temp file + rename) with mode 0600.
Status write_secret_file(const std::string& path, ByteView contents);
// Reads a whole file; kNotFound when it does not exist.
Result<Bytes> read_file(const std::string& path);

// Wipes a std::string holding secret bytes.
void wipe(Bytes& secret);

}  // namespace synod::crypto

namespace synod::crypto {
// sodium_memzero without including <sodium.h> in headers.
void sodium_memzero_bytes(void* p, std::size_t n);
}  // namespace synod::crypto
