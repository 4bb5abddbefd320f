// ResourceIndexes: the per-resource modify indexes of one table family, for
// blocking queries that watch one resource ("service:web", "node:n1",
// "services"): bump() on every write that changes the resource, get() for
// X-Consul-Index. Issue 6's catalog and session tables keep theirs here so
// a write to one service moves only that service's index and the lists it
// appears in.
//
// Persisted as kMeta records "<owner>/index/<resource>" (u64 LE), so an index
// never goes backwards across a snapshot or a restart. Indexes of removed
// resources are kept (a watcher of a deregistered service must see a higher
// index than before); the owner may forget() them when it reaps.
//
// Not thread-safe (owned by a table, used on the apply thread).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/state/change_set.h"
#include "consensus/state/state_table.h"

namespace synod::consensus::state {

class ResourceIndexes {
 public:
  explicit ResourceIndexes(std::string owner) : owner_(std::move(owner)) {}

  // The last index `resource` changed at; 0 if never.
  [[nodiscard]] std::uint64_t get(std::string_view resource) const;
  // Records that `resource` changed at `index` (ignored if not newer).
  void bump(std::string_view resource, std::uint64_t index, ChangeSet& changes);
  void forget(std::string_view resource, ChangeSet& changes);
  [[nodiscard]] std::size_t size() const { return indexes_.size(); }

  // Record plumbing for the owning StateTable.
  [[nodiscard]] bool owns_meta_key(std::string_view key) const;
  void emit_records(const RecordSink& sink) const;
  void emit_keys(const KeySink& sink) const;
  void records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const;
  Status load_record(std::string_view key, ByteView value);
  void clear() { indexes_.clear(); }

 private:
  [[nodiscard]] std::string key_for(std::string_view resource) const;
  [[nodiscard]] std::string_view resource_of(std::string_view key) const;

  std::string owner_;
  std::map<std::string, std::uint64_t, std::less<>> indexes_;
};

}  // namespace synod::consensus::state
