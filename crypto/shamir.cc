#include "crypto/shamir.h"

#include <sstream>

#include "crypto/sodium.h"

namespace synod::crypto {
namespace gf256 {

std::uint8_t add(std::uint8_t a, std::uint8_t b) { return a ^ b; }

std::uint8_t mul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t r = 0;
  for (int i = 0; i < 8; ++i) {
    r ^= static_cast<std::uint8_t>(-(b & 1)) & a;            // add a when b's low bit is set
    const auto carry = static_cast<std::uint8_t>(-(a >> 7));  // 0xFF when a overflows
    a = static_cast<std::uint8_t>((a << 1) ^ (carry & 0x1B));
    b >>= 1;
  }
  return r;
}

std::uint8_t inv(std::uint8_t a) {
  // a^254 = a^-1 in GF(2^8): square-and-multiply over the fixed exponent.
  std::uint8_t a2 = mul(a, a);        // a^2
  std::uint8_t a3 = mul(a2, a);       // a^3
  std::uint8_t a6 = mul(a3, a3);      // a^6
  std::uint8_t a12 = mul(a6, a6);     // a^12
  std::uint8_t a15 = mul(a12, a3);    // a^15
  std::uint8_t a30 = mul(a15, a15);   // a^30
  std::uint8_t a60 = mul(a30, a30);   // a^60
  std::uint8_t a120 = mul(a60, a60);  // a^120
  std::uint8_t a127 = mul(mul(a120, a6), a);  // a^127
  return mul(a127, a127);                     // a^254
}

}  // namespace gf256

Result<std::vector<Share>> split_secret(
    ByteView secret, int shares, int threshold,
    const std::function<void(unsigned char*, std::size_t)>& random_fill_fn) {
  if (threshold < 2 || shares < threshold || shares > 255) {
    return invalid_argument("need 2 <= threshold <= shares <= 255, got threshold " +
                            std::to_string(threshold) + " and " + std::to_string(shares) +
                            " shares");
  }
  std::vector<Share> out(static_cast<std::size_t>(shares));
  for (int s = 0; s < shares; ++s) {
    out[s].x = static_cast<std::uint8_t>(s + 1);
    out[s].threshold = static_cast<std::uint8_t>(threshold);
    out[s].y.resize(secret.size());
  }
  std::vector<unsigned char> coeffs(static_cast<std::size_t>(threshold));
  for (std::size_t i = 0; i < secret.size(); ++i) {
    coeffs[0] = static_cast<unsigned char>(secret[i]);
    if (random_fill_fn) {
      random_fill_fn(coeffs.data() + 1, coeffs.size() - 1);
    } else {
      random_fill(coeffs.data() + 1, coeffs.size() - 1);
    }
    for (auto& share : out) {
      // Horner's rule from the highest coefficient down.
      std::uint8_t y = 0;
      for (std::size_t c = coeffs.size(); c-- > 0;) y = gf256::mul(y, share.x) ^ coeffs[c];
      share.y[i] = static_cast<char>(y);
    }
  }
  sodium_memzero_bytes(coeffs.data(), coeffs.size());
  return out;
}

Result<Bytes> combine_shares(const std::vector<Share>& shares) {
  if (shares.empty()) return invalid_argument("no shares given");
  const std::size_t threshold = shares[0].threshold;
  if (shares.size() < threshold) {
    return invalid_argument("need " + std::to_string(threshold) + " shares, got " +
                            std::to_string(shares.size()));
  }
  for (std::size_t i = 0; i < shares.size(); ++i) {
    if (shares[i].x == 0 || shares[i].y.size() != shares[0].y.size() ||
        shares[i].threshold != threshold) {
      return invalid_argument("shares come from different splits or are damaged");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (shares[i].x == shares[j].x) return invalid_argument("the same share was given twice");
    }
  }
  // Use exactly `threshold` shares: Lagrange basis at 0 for share i is
  // prod_{j != i} x_j / (x_j - x_i); subtraction is xor in GF(2^8).
  const std::size_t k = threshold;
  Bytes secret(shares[0].y.size(), '\0');
  for (std::size_t i = 0; i < k; ++i) {
    std::uint8_t num = 1, den = 1;
    for (std::size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      num = gf256::mul(num, shares[j].x);
      den = gf256::mul(den, shares[j].x ^ shares[i].x);
    }
    const std::uint8_t basis = gf256::mul(num, gf256::inv(den));
    for (std::size_t b = 0; b < secret.size(); ++b) {
      secret[b] = static_cast<char>(static_cast<std::uint8_t>(secret[b]) ^
                                    gf256::mul(static_cast<std::uint8_t>(shares[i].y[b]), basis));
    }
  }
  return secret;
}

std::string encode_share(const Share& share) {
  return "synod-share-v1 " + std::to_string(share.threshold) + " " + std::to_string(share.x) +
         " " + base64_encode(share.y) + "\n";
}

Result<Share> decode_share(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string tag, y;
  int threshold = 0, x = 0;
  if (!(in >> tag >> threshold >> x >> y) || tag != "synod-share-v1" || threshold < 2 ||
      threshold > 255 || x < 1 || x > 255) {
    return invalid_argument("not a synod share file (synod-share-v1)");
  }
  Share share;
  share.threshold = static_cast<std::uint8_t>(threshold);
  share.x = static_cast<std::uint8_t>(x);
  SYNOD_ASSIGN_OR_RETURN(share.y, base64_decode(y, "share"));
  return share;
}

}  // namespace synod::crypto
