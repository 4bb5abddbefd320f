#include "consensus/progress.h"

#include <algorithm>

namespace synod::consensus {

void Inflights::add(LogIndex last, std::uint64_t bytes) {
  items_.push_back(Item{last, bytes});
  bytes_ += bytes;
}

void Inflights::free_to(LogIndex index) {
  while (!items_.empty() && items_.front().last <= index) {
    bytes_ -= items_.front().bytes;
    items_.pop_front();
  }
}

void Inflights::reset() {
  items_.clear();
  bytes_ = 0;
}

bool Inflights::full() const {
  return items_.size() >= max_messages_ || (max_bytes_ != 0 && bytes_ >= max_bytes_);
}

void Progress::become_probe() {
  // Coming back from a snapshot, the follower holds at least the snapshot,
  // so probing can start right after it.
  if (state == ProgressState::kSnapshot && snapshot) {
    next = std::max(match.next(), snapshot->meta.index.next());
  } else {
    next = match.next();
  }
  state = ProgressState::kProbe;
  probe_sent = false;
  inflights.reset();
  snapshot.reset();
  snapshot_acked = 0;
}

void Progress::become_replicate() {
  state = ProgressState::kReplicate;
  next = match.next();
  probe_sent = false;
  inflights.reset();
  snapshot.reset();
}

void Progress::become_snapshot(std::shared_ptr<const Snapshot> snap) {
  state = ProgressState::kSnapshot;
  inflights.reset();
  probe_sent = false;
  snapshot = std::move(snap);
  snapshot_acked = 0;
  snapshot_idle_ticks = 0;
}

bool Progress::update(LogIndex index) {
  bool moved = false;
  if (index > match) {
    match = index;
    moved = true;
    probe_sent = false;
  }
  next = std::max(next, index.next());
  return moved;
}

bool Progress::decrease_to(LogIndex rejected, LogIndex hint) {
  if (state == ProgressState::kReplicate) {
    // Anything at or below match was already confirmed: a stale rejection.
    if (rejected <= match) return false;
    // The follower lost entries it had (or never had them): resume probing
    // right after what is known to match.
    next = match.next();
    return true;
  }
  // Probe: only the answer to the outstanding probe counts.
  if (next.prev() != rejected) return false;
  const LogIndex lowered = std::max(std::min(rejected, hint.next()), match.next());
  // A rejection at or below the confirmed match cannot happen with a
  // correct follower (acknowledged entries are durable and never
  // truncated). Re-probing the same index at once would ping-pong forever;
  // stay paused and let the next heartbeat answer retry.
  if (lowered >= next) return false;
  next = lowered;
  probe_sent = false;
  return true;
}

void Progress::sent(LogIndex last, std::uint64_t bytes, bool has_entries) {
  if (state == ProgressState::kReplicate) {
    if (has_entries) {
      next = last.next();
      inflights.add(last, bytes);
    }
  } else if (state == ProgressState::kProbe) {
    probe_sent = true;
  }
}

bool Progress::paused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

}  // namespace synod::consensus
