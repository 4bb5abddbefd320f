// Shamir's secret sharing over GF(2^8) (the AES field, polynomial 0x11B).
//
// Each secret byte is the constant term of its own random polynomial of
// degree threshold-1; share x (1..255) holds the polynomials' values at x.
// Any `threshold` shares recover the secret by Lagrange interpolation at 0;
// fewer reveal nothing about it (every secret is equally likely).
// The field arithmetic is constant time and uses no tables: multiplication
// is shift-and-add with masks, inversion is a fixed chain of
// multiplications (a^254), so timing does not depend on secret bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace synod::crypto {

struct Share {
  std::uint8_t x = 0;  // 1..255
  std::uint8_t threshold = 0;
  Bytes y;             // one byte per secret byte
};

namespace gf256 {
std::uint8_t add(std::uint8_t a, std::uint8_t b);
std::uint8_t mul(std::uint8_t a, std::uint8_t b);
// inv(0) is 0.
std::uint8_t inv(std::uint8_t a);
}  // namespace gf256

// `random_fill` draws the polynomial coefficients (tests pass a seeded one);
// default: libsodium randombytes. kInvalidArgument unless
// 2 <= threshold <= shares <= 255.
Result<std::vector<Share>> split_secret(
    ByteView secret, int shares, int threshold,
    const std::function<void(unsigned char*, std::size_t)>& random_fill = {});
// kInvalidArgument for fewer shares than their threshold, duplicate x or
// mismatched lengths.
Result<Bytes> combine_shares(const std::vector<Share>& shares);

// One line of text: "synod-share-v1 <threshold> <x> <base64 y>".
std::string encode_share(const Share& share);
Result<Share> decode_share(std::string_view text);

}  // namespace synod::crypto
