#include "consensus/raft_log.h"

#include <algorithm>
#include <cassert>

namespace synod::consensus {

RaftLog::RaftLog(const Storage& storage)
    : storage_(storage),
      unstable_offset_(storage.last_index().next()),
      stable_(storage.last_index()),
      committed_(storage.hard_state().commit),
      applied_(storage.snapshot_meta().index) {
  // A hard state may name a commit index past the stored log only if the
  // storage is inconsistent; clamp rather than hand out entries we lack.
  committed_ = std::min(committed_, storage.last_index());
  committed_ = std::max(committed_, storage.snapshot_meta().index);
}

LogIndex RaftLog::first_index() const {
  if (pending_snapshot_) return pending_snapshot_->meta.index.next();
  return storage_.first_index();
}

LogIndex RaftLog::last_index() const {
  if (!unstable_.empty()) return unstable_.back().index;
  if (pending_snapshot_) return pending_snapshot_->meta.index;
  // unstable_offset_ - 1 can be below the stored last index after a
  // truncation that removed the whole unstable tail; the shadowed stored
  // suffix is then garbage the node is about to discard.
  return std::min(storage_.last_index(), unstable_offset_.prev());
}

Term RaftLog::last_term() const { return term(last_index()).value_or(Term(0)); }

std::optional<Term> RaftLog::term(LogIndex index) const {
  if (index == kNoIndex) return Term(0);
  if (index >= unstable_offset_) {
    if (index >= unstable_end()) return std::nullopt;
    return unstable_[index - unstable_offset_].term;
  }
  if (pending_snapshot_) {
    if (index == pending_snapshot_->meta.index) return pending_snapshot_->meta.term;
    return std::nullopt;  // everything before or around it is being replaced
  }
  auto stored = storage_.term(index);
  if (!stored.is_ok()) return std::nullopt;
  return *stored;
}

bool RaftLog::matches(LogIndex index, Term t) const {
  auto stored = term(index);
  return stored.has_value() && *stored == t;
}

bool RaftLog::is_up_to_date(LogIndex index, Term t) const {
  // §5.4.1: compare the terms of the last entries; the later term wins; with
  // equal terms the longer log wins.
  const Term ours = last_term();
  return t > ours || (t == ours && index >= last_index());
}

Result<std::vector<Entry>> RaftLog::slice(LogIndex lo, LogIndex hi, std::uint64_t max_bytes) const {
  std::vector<Entry> out;
  if (lo >= hi) return out;
  if (lo < first_index()) return out_of_range("slice: index " + lo.to_string() + " compacted");
  out.reserve(std::min<std::size_t>(hi - lo, 4096));
  std::uint64_t bytes = 0;
  if (lo < unstable_offset_) {
    const LogIndex stored_hi = std::min(hi, unstable_offset_);
    SYNOD_ASSIGN_OR_RETURN(out, storage_.entries(lo, stored_hi, max_bytes));
    for (const Entry& e : out) bytes += e.byte_size();
    if (out.empty() || out.back().index.next() < stored_hi) return out;  // byte limit hit
    lo = stored_hi;
  }
  for (LogIndex i = lo; i < hi && i < unstable_end(); ++i) {
    const Entry& e = unstable_[i - unstable_offset_];
    bytes += e.byte_size();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

void RaftLog::append(Entry&& entry) {
  assert(entry.index == last_index().next());
  if (unstable_.empty()) unstable_offset_ = entry.index;
  unstable_.push_back(std::move(entry));
}

void RaftLog::append(std::vector<Entry>&& entries) {
  for (Entry& e : entries) append(std::move(e));
}

void RaftLog::truncate_unstable_from(LogIndex index) {
  if (index < unstable_offset_) {
    // The conflict is in the stored part: everything unstable goes, and the
    // new entries become the unstable tail starting at index.
    unstable_.clear();
    unstable_offset_ = index;
    unstable_handed_ = 0;
  } else {
    const std::size_t keep = index - unstable_offset_;
    unstable_.resize(std::min(keep, unstable_.size()));
    unstable_handed_ = std::min(unstable_handed_, keep);
  }
  stable_ = std::min(stable_, index.prev());
}

LogIndex RaftLog::merge(std::vector<Entry>&& entries) {
  // Skip the prefix we already hold with the same term (a duplicate or
  // reordered AppendEntries must not truncate anything, §5.3 step 3: "if an
  // existing entry conflicts ... delete the existing entry and all that
  // follow it").
  std::size_t i = 0;
  while (i < entries.size() && matches(entries[i].index, entries[i].term)) ++i;
  if (i == entries.size()) return kNoIndex;
  const LogIndex first_new = entries[i].index;
  LogIndex truncated = kNoIndex;
  if (first_new <= last_index()) {
    truncated = first_new;
    truncate_unstable_from(first_new);
  } else if (unstable_.empty()) {
    unstable_offset_ = first_new;
  }
  for (; i < entries.size(); ++i) unstable_.push_back(std::move(entries[i]));
  return truncated;
}

std::vector<Entry> RaftLog::hand_out_entries() {
  std::vector<Entry> out(unstable_.begin() + static_cast<long>(unstable_handed_), unstable_.end());
  unstable_handed_ = unstable_.size();
  return out;
}

bool RaftLog::stable_to(LogIndex index, Term t) {
  if (!matches(index, t)) return false;
  if (index >= unstable_offset_) {
    // Only entries already handed out can have been persisted.
    const std::size_t drop = std::min<std::size_t>(index - unstable_offset_ + 1, unstable_handed_);
    unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<long>(drop));
    unstable_offset_ += drop;
    unstable_handed_ -= drop;
    index = unstable_offset_.prev();
  }
  stable_ = std::max(stable_, index);
  return true;
}

void RaftLog::restore(Snapshot snapshot) {
  const LogIndex index = snapshot.meta.index;
  committed_ = index;
  applied_ = index;
  unstable_.clear();
  unstable_offset_ = index.next();
  unstable_handed_ = 0;
  stable_ = std::min(stable_, index.prev());
  pending_snapshot_ = std::move(snapshot);
  snapshot_handed_ = false;
}

Snapshot RaftLog::hand_out_snapshot() {
  snapshot_handed_ = true;
  return *pending_snapshot_;
}

std::optional<LogIndex> RaftLog::pending_snapshot_index() const {
  if (!pending_snapshot_) return std::nullopt;
  return pending_snapshot_->meta.index;
}

void RaftLog::snapshot_stable(LogIndex index) {
  if (!pending_snapshot_ || !snapshot_handed_ || pending_snapshot_->meta.index != index) return;
  pending_snapshot_.reset();
  snapshot_handed_ = false;
  stable_ = std::max(stable_, index);
}

void RaftLog::commit_to(LogIndex index) {
  index = std::min(index, last_index());
  if (index > committed_) committed_ = index;
}

std::vector<Entry> RaftLog::hand_out_committed(std::uint64_t max_bytes) {
  std::vector<Entry> out;
  if (committed_ <= applied_) return out;
  auto entries = slice(applied_.next(), committed_.next(), max_bytes);
  if (!entries.is_ok()) return out;  // compacted under us: a snapshot is on its way
  out = std::move(entries).value();
  if (!out.empty()) applied_ = out.back().index;
  return out;
}

std::pair<LogIndex, Term> RaftLog::find_conflict_by_term(LogIndex index, Term t) const {
  index = std::min(index, last_index());
  while (index > kNoIndex) {
    auto stored = term(index);
    if (!stored) break;  // compacted: the snapshot index is the best hint we have
    if (*stored <= t) return {index, *stored};
    index = index.prev();
  }
  return {index, term(index).value_or(Term(0))};
}

}  // namespace synod::consensus
