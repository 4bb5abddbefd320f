// Payload generators shared by the compression tests and codec_bench.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace synod::compression::testing {

// n pseudo-random (incompressible) bytes.
inline Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n, '\0');
  for (auto& c : b) c = static_cast<char>(rng());
  return b;
}

// n bytes of JSON-like KV commands, the typical replicated log payload.
inline Bytes kv_commands(std::size_t n) {
  Bytes b;
  for (int i = 0; b.size() < n; ++i) {
    b += R"({"op":"put","key":"/services/web/instance-)" + std::to_string(i % 97) +
         R"(","value":"10.0.)" + std::to_string(i % 7) + "." + std::to_string(i % 251) +
         R"(:8080","ttl":30,"index":)" + std::to_string(100000 + i) + "}\n";
  }
  b.resize(n);
  return b;
}

// n single KV-command log entries (~100 B each) with distinct keys and values,
// numbered from offset; the samples a zstd dictionary is trained on.
inline std::vector<Bytes> kv_entries(int n, int offset) {
  std::vector<Bytes> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(R"({"op":"put","key":"/services/web/instance-)" + std::to_string(i + offset) +
                  R"(","value":"10.0.)" + std::to_string((i * 7 + offset) % 256) + "." +
                  std::to_string((i * 13) % 256) + R"(:8080","ttl":30,"index":)" +
                  std::to_string(100000 + i + offset) + "}");
  }
  return out;
}

}  // namespace synod::compression::testing
