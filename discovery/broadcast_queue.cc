#include "discovery/broadcast_queue.h"

#include <algorithm>
#include <cmath>

namespace synod::discovery {

void BroadcastQueue::push(const std::string& name, Bytes encoded) {
  std::erase_if(entries_, [&name](const Entry& e) { return e.name == name; });
  entries_.push_back(Entry{name, std::move(encoded), 0, next_order_++});
}

std::vector<Bytes> BroadcastQueue::take(std::size_t budget, std::size_t overhead,
                                        std::size_t members) {
  std::vector<Bytes> out;
  if (entries_.empty()) return out;
  const auto limit = static_cast<std::uint32_t>(
      multiplier_ * std::max(1.0, std::ceil(std::log10(static_cast<double>(members) + 1.0))));
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    if (a.transmits != b.transmits) return a.transmits < b.transmits;
    return a.order > b.order;
  });
  std::size_t used = 0;
  for (auto& entry : entries_) {
    const std::size_t size = entry.encoded.size() + overhead;
    if (used + size > budget) continue;
    used += size;
    out.push_back(entry.encoded);
    ++entry.transmits;
  }
  std::erase_if(entries_, [limit](const Entry& e) { return e.transmits >= limit; });
  return out;
}

}  // namespace synod::discovery
