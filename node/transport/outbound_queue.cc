#include "node/transport/outbound_queue.h"

namespace synod::node::transport {

PushResult OutboundQueue::push(OutboundMessage message) {
  PushResult result;
  const std::uint64_t size = message.wire_bytes();
  if (size > max_bytes_) return result;
  while (bytes_ + size > max_bytes_ && !messages_.empty()) {
    result.dropped_bytes += messages_.front().wire_bytes();
    ++result.dropped_messages;
    bytes_ -= messages_.front().wire_bytes();
    messages_.pop_front();
  }
  bytes_ += size;
  messages_.push_back(std::move(message));
  result.accepted = true;
  return result;
}

std::vector<OutboundMessage> OutboundQueue::take_batch(std::size_t max_messages,
                                                       std::uint64_t max_bytes) {
  std::vector<OutboundMessage> batch;
  std::uint64_t taken = 0;
  while (!messages_.empty() && batch.size() < max_messages) {
    const std::uint64_t size = messages_.front().wire_bytes();
    if (!batch.empty() && taken + size > max_bytes) break;
    taken += size;
    bytes_ -= size;
    batch.push_back(std::move(messages_.front()));
    messages_.pop_front();
  }
  return batch;
}

std::size_t OutboundQueue::clear() {
  const std::size_t n = messages_.size();
  messages_.clear();
  bytes_ = 0;
  return n;
}

}  // namespace synod::node::transport
