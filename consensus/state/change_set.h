// ChangeSet: which records an applied batch touched, per table, in key order.
//
// The state store fills it while applying; the node uses it twice: to build
// the applied-state record changes (StateStore::records_for) and to wake
// blocking queries (the WatchHub wakes watchers whose key equals, or whose
// prefix starts, a changed kKv key).
#pragma once

#include <array>
#include <set>
#include <string>
#include <string_view>

#include "consensus/state/state_record.h"

namespace synod::consensus::state {

class ChangeSet {
 public:
  void mark(RecordTable table, std::string_view key);
  // The changed keys of one table, ascending (deterministic order).
  [[nodiscard]] const std::set<std::string, std::less<>>& keys(RecordTable table) const {
    return keys_[static_cast<std::size_t>(table)];
  }
  [[nodiscard]] bool contains(RecordTable table, std::string_view key) const;
  [[nodiscard]] bool empty() const;
  [[nodiscard]] std::size_t size() const;
  void merge(const ChangeSet& other);
  void clear();
  bool operator==(const ChangeSet&) const = default;

 private:
  std::array<std::set<std::string, std::less<>>, kRecordTableCount> keys_;
};

}  // namespace synod::consensus::state
