// Deterministic log entries for persistence tests: the content of entry i is
// a function of (i, term), so a reader can check an entry is intact without
// remembering what was written.
#pragma once

#include <string>
#include <vector>

#include "common/raft_types.h"

namespace synod::persistence::testing {

inline std::string entry_payload(std::uint64_t index, std::uint64_t term, std::size_t size) {
  std::string data = std::to_string(index) + "/" + std::to_string(term) + ":";
  std::uint64_t x = index * 0x9E3779B97F4A7C15ull + term;
  while (data.size() < size) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    data.push_back(static_cast<char>('a' + x % 26));
  }
  return data;
}

inline Entry make_entry(std::uint64_t index, std::uint64_t term, std::size_t size = 64) {
  Entry e;
  e.index = LogIndex(index);
  e.term = Term(term);
  e.type = index % 7 == 0 ? EntryType::kNoop : EntryType::kNormal;
  e.data = entry_payload(index, term, size);
  return e;
}

// Entries [first, last] of one term.
inline std::vector<Entry> make_entries(std::uint64_t first, std::uint64_t last,
                                       std::uint64_t term = 1, std::size_t size = 64) {
  std::vector<Entry> out;
  for (std::uint64_t i = first; i <= last; ++i) out.push_back(make_entry(i, term, size));
  return out;
}

inline bool entry_intact(const Entry& e, std::size_t size) {
  return e == make_entry(e.index.value(), e.term.value(), size);
}

}  // namespace synod::persistence::testing
