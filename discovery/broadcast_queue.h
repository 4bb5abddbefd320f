// BroadcastQueue: membership updates waiting to be piggybacked on outgoing
// packets (SWIM's infection-style dissemination). Each update is sent
// retransmit_multiplier * ceil(log10(n + 1)) times, least-sent first; a newer
// update about the same member replaces the older one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace synod::discovery {

class BroadcastQueue {
 public:
  explicit BroadcastQueue(std::uint32_t retransmit_multiplier)
      : multiplier_(retransmit_multiplier) {}

  // Queues an encoded message about member `name` (replacing any older one).
  void push(const std::string& name, Bytes encoded);
  // Takes updates whose encoded sizes (plus `overhead` each) fit in `budget`
  // bytes, counting one transmission for each; `members` is the cluster size.
  std::vector<Bytes> take(std::size_t budget, std::size_t overhead, std::size_t members);
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }

 private:
  struct Entry {
    std::string name;
    Bytes encoded;
    std::uint32_t transmits = 0;
    std::uint64_t order = 0;  // newer first among equally sent
  };
  std::uint32_t multiplier_;
  std::uint64_t next_order_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace synod::discovery
