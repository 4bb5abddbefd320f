#include "common/random.h"

#include <random>

namespace synod {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

std::uint64_t Random::uniform(std::uint64_t lo, std::uint64_t hi) {
  const std::uint64_t span = hi - lo;
  if (span == UINT64_MAX) return next_u64();
  const std::uint64_t range = span + 1;
  // Rejection sampling removes modulo bias.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % range);
  std::uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return lo + x % range;
}

double Random::uniform01() {
  return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

SeededRandom::SeededRandom(std::uint64_t seed) {
  for (auto& word : state_) word = splitmix64(seed);
}

std::uint64_t SeededRandom::next_u64() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

SystemRandom::SystemRandom()
    : inner_((static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}

}  // namespace synod
