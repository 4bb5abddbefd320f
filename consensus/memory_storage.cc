#include "consensus/memory_storage.h"

#include <algorithm>

#include "consensus/message_codec.h"

namespace synod::consensus {

void MemoryStorage::bootstrap(const ClusterConfig& config) {
  snapshot_ = Snapshot{SnapshotMeta{LogIndex(1), Term(1), encode_config(config)}, std::string()};
  entries_.clear();
  first_ = LogIndex(2);
  before_first_term_ = Term(1);
  hard_state_ = HardState{Term(1), kNoNode, LogIndex(1)};
}

Result<std::vector<Entry>> MemoryStorage::entries(LogIndex lo, LogIndex hi,
                                                  std::uint64_t max_bytes) const {
  if (lo < first_index()) return out_of_range("entries: index " + lo.to_string() + " compacted");
  if (hi > last_index().next() || lo > hi) {
    return out_of_range("entries: [" + lo.to_string() + ", " + hi.to_string() + ") past the end");
  }
  std::vector<Entry> out;
  std::uint64_t bytes = 0;
  const std::size_t begin = lo - first_index();
  const std::size_t end = hi - first_index();
  out.reserve(std::min<std::size_t>(end - begin, 4096));
  for (std::size_t i = begin; i < end; ++i) {
    bytes += entries_[i].byte_size();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(entries_[i]);
  }
  return out;
}

Result<Term> MemoryStorage::term(LogIndex index) const {
  if (index == snapshot_.meta.index) return snapshot_.meta.term;
  if (index == first_.prev()) return before_first_term_;
  if (index < first_index() || index > last_index()) {
    return out_of_range("term: index " + index.to_string() + " not stored");
  }
  return entries_[index - first_index()].term;
}

Status MemoryStorage::append(std::vector<Entry> entries) {
  if (entries.empty()) return Status::ok();
  LogIndex first = entries.front().index;
  if (first > last_index().next()) {
    return out_of_range("append: gap before index " + first.to_string());
  }
  std::size_t skip = 0;
  while (skip < entries.size() && entries[skip].index <= snapshot_.meta.index) ++skip;
  if (skip == entries.size()) return Status::ok();
  first = entries[skip].index;
  // Drop the stored suffix that the new entries replace (§5.3).
  entries_.resize(first - first_index());
  for (std::size_t i = skip; i < entries.size(); ++i) entries_.push_back(std::move(entries[i]));
  return Status::ok();
}

Status MemoryStorage::apply_snapshot(Snapshot snapshot) {
  const LogIndex index = snapshot.meta.index;
  if (index <= snapshot_.meta.index) return Status::ok();  // older than what we have
  // Keep the entries after the snapshot only if the log agrees with it at
  // its last index (§7: "if existing log entry has same index and term as
  // snapshot's last included entry, retain log entries following it").
  auto stored = term(index);
  if (stored.is_ok() && *stored == snapshot.meta.term) {
    discard_before(index.next());
  } else {
    entries_.clear();
    first_ = index.next();
  }
  before_first_term_ = snapshot.meta.term;
  snapshot_ = std::move(snapshot);
  if (hard_state_.commit < index) hard_state_.commit = index;
  return Status::ok();
}

void MemoryStorage::discard_before(LogIndex index) {
  if (index <= first_) return;
  auto stored = term(index.prev());
  const std::size_t drop = std::min<std::size_t>(index - first_, entries_.size());
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(drop));
  first_ = index;
  before_first_term_ = stored.is_ok() ? *stored : Term(0);
}

Status MemoryStorage::create_snapshot(const SnapshotMeta& meta, std::string data,
                                      std::uint64_t keep_trailing) {
  if (meta.index <= snapshot_.meta.index) {
    return failed_precondition("create_snapshot: index " + meta.index.to_string() +
                               " not after the current snapshot");
  }
  if (meta.index > last_index()) {
    return out_of_range("create_snapshot: index " + meta.index.to_string() + " not stored");
  }
  const std::uint64_t keep = std::min<std::uint64_t>(keep_trailing, meta.index.value());
  discard_before(meta.index.next() - keep);
  snapshot_ = Snapshot{meta, std::move(data)};
  return Status::ok();
}

Status MemoryStorage::compact(LogIndex index) {
  if (index > snapshot_.meta.index) {
    return failed_precondition("compact: use create_snapshot to compact past the snapshot");
  }
  discard_before(index.next());
  return Status::ok();
}

}  // namespace synod::consensus
