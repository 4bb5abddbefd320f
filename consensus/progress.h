// Progress: the leader's view of one follower's log (internal; etcd's
// Progress). The leader keeps one per member other than itself.
//
// States (dissertation §10.2.1 pipelining, §5.3 consistency check):
//  - kProbe: the match point is unknown; send one AppendEntries at a time
//    and wait for its answer (or the next heartbeat) before the next probe.
//  - kReplicate: the follower is in sync; send optimistically, advancing
//    `next` past what was sent, bounded by the in-flight window (messages and
//    bytes) so a slow follower cannot make the leader buffer without limit.
//  - kSnapshot: the follower needs entries that were compacted; a chunked
//    InstallSnapshot transfer (§7) is under way.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "consensus/raft.h"

namespace synod::consensus {

// The window of AppendEntries sent but not yet acknowledged.
class Inflights {
 public:
  Inflights(std::uint32_t max_messages, std::uint64_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}
  void add(LogIndex last, std::uint64_t bytes);
  // Frees every message whose last index is <= index (acknowledged).
  void free_to(LogIndex index);
  void reset();
  [[nodiscard]] bool full() const;
  [[nodiscard]] std::uint32_t count() const { return static_cast<std::uint32_t>(items_.size()); }
  [[nodiscard]] std::uint64_t bytes() const { return bytes_; }

 private:
  struct Item {
    LogIndex last;
    std::uint64_t bytes;
  };
  std::uint32_t max_messages_;
  std::uint64_t max_bytes_;
  std::deque<Item> items_;
  std::uint64_t bytes_ = 0;
};

struct Progress {
  Progress(LogIndex next_index, std::uint32_t max_messages, std::uint64_t max_bytes)
      : next(next_index), inflights(max_messages, max_bytes) {}

  LogIndex match;
  LogIndex next;
  ProgressState state = ProgressState::kProbe;
  // kProbe: a probe is outstanding; wait for its answer or a heartbeat.
  bool probe_sent = false;
  // Heard from since the last check-quorum round (§6.2).
  bool recent_active = false;
  Inflights inflights;

  // kSnapshot: the snapshot being sent and the bytes the follower confirmed.
  std::shared_ptr<const Snapshot> snapshot;
  std::uint64_t snapshot_acked = 0;
  int snapshot_idle_ticks = 0;

  void become_probe();
  void become_replicate();
  void become_snapshot(std::shared_ptr<const Snapshot> snap);
  // Successful append response: returns true if match moved.
  bool update(LogIndex index);
  // A rejection of the append with prevLogIndex `rejected`; returns false if
  // it is stale (a reordered or duplicate answer) and must be ignored.
  bool decrease_to(LogIndex rejected, LogIndex hint);
  // Records an AppendEntries carrying entries up to `last`.
  void sent(LogIndex last, std::uint64_t bytes, bool has_entries);
  [[nodiscard]] bool paused() const;
};

}  // namespace synod::consensus
