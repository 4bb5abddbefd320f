// Random: the only source of randomness in synod code, injectable so the
// simulator can replay a run bit for bit from a seed.
//
// The distributions are implemented here (not std::uniform_int_distribution,
// whose output differs between standard libraries) so a seed means the same
// sequence everywhere. Implementations are NOT thread-safe; give each thread
// its own.
#pragma once

#include <cstdint>

namespace synod {

class Random {
 public:
  virtual ~Random() = default;
  // 64 uniformly random bits.
  virtual std::uint64_t next_u64() = 0;
  // Uniform in [lo, hi] (inclusive). Requires lo <= hi.
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi);
  // Uniform in [0, 1).
  double uniform01();
  // True with probability p.
  bool chance(double p) { return uniform01() < p; }
};

// xoshiro256** seeded through splitmix64: fast, deterministic, not for keys
// (crypto uses libsodium's randombytes).
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed);
  std::uint64_t next_u64() override;

 private:
  std::uint64_t state_[4];
};

// A SeededRandom seeded from the OS entropy source, for production use.
class SystemRandom final : public Random {
 public:
  SystemRandom();
  std::uint64_t next_u64() override { return inner_.next_u64(); }

 private:
  SeededRandom inner_;
};

}  // namespace synod
