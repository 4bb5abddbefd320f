#include "consensus/state/change_set.h"

namespace synod::consensus::state {

std::string_view record_table_name(RecordTable table) {
  switch (table) {
    case RecordTable::kKv:
      return "kv";
    case RecordTable::kServices:
      return "services";
    case RecordTable::kChecks:
      return "checks";
    case RecordTable::kNodes:
      return "nodes";
    case RecordTable::kSessions:
      return "sessions";
    case RecordTable::kMeta:
      return "meta";
  }
  return "unknown";
}

std::optional<RecordTable> record_table_from_u8(std::uint8_t value) {
  if (value >= kRecordTableCount) return std::nullopt;
  return static_cast<RecordTable>(value);
}

void ChangeSet::mark(RecordTable table, std::string_view key) {
  auto& keys = keys_[static_cast<std::size_t>(table)];
  if (keys.find(key) == keys.end()) keys.emplace(key);
}

bool ChangeSet::contains(RecordTable table, std::string_view key) const {
  const auto& table_keys = keys(table);
  return table_keys.find(key) != table_keys.end();
}

bool ChangeSet::empty() const { return size() == 0; }

std::size_t ChangeSet::size() const {
  std::size_t total = 0;
  for (const auto& keys : keys_) total += keys.size();
  return total;
}

void ChangeSet::merge(const ChangeSet& other) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    keys_[i].insert(other.keys_[i].begin(), other.keys_[i].end());
  }
}

void ChangeSet::clear() {
  for (auto& keys : keys_) keys.clear();
}

}  // namespace synod::consensus::state
