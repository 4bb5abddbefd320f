#include "consensus/state/resource_indexes.h"

namespace synod::consensus::state {
namespace {

constexpr std::string_view kKind = "index";

}  // namespace

std::string ResourceIndexes::key_for(std::string_view resource) const {
  return meta_key(owner_, kKind, resource);
}

std::string_view ResourceIndexes::resource_of(std::string_view key) const {
  return key.substr(owner_.size() + kKind.size() + 2);
}

bool ResourceIndexes::owns_meta_key(std::string_view key) const {
  const std::string prefix = meta_key(owner_, kKind) + "/";
  return key.size() > prefix.size() && key.starts_with(prefix);
}

std::uint64_t ResourceIndexes::get(std::string_view resource) const {
  auto it = indexes_.find(resource);
  return it == indexes_.end() ? 0 : it->second;
}

void ResourceIndexes::bump(std::string_view resource, std::uint64_t index, ChangeSet& changes) {
  auto it = indexes_.find(resource);
  if (it == indexes_.end()) {
    indexes_.emplace(std::string(resource), index);
  } else if (index > it->second) {
    it->second = index;
  } else {
    return;
  }
  changes.mark(RecordTable::kMeta, key_for(resource));
}

void ResourceIndexes::forget(std::string_view resource, ChangeSet& changes) {
  auto it = indexes_.find(resource);
  if (it == indexes_.end()) return;
  indexes_.erase(it);
  changes.mark(RecordTable::kMeta, key_for(resource));
}

void ResourceIndexes::emit_records(const RecordSink& sink) const {
  for (const auto& [resource, index] : indexes_) {
    StateRecord record;
    record.key = key_for(resource);
    put_u64(record.value, index);
    sink(RecordTable::kMeta, std::move(record));
  }
}

void ResourceIndexes::emit_keys(const KeySink& sink) const {
  for (const auto& [resource, index] : indexes_) sink(RecordTable::kMeta, key_for(resource));
}

void ResourceIndexes::records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const {
  for (const auto& key : changes.keys(RecordTable::kMeta)) {
    if (!owns_meta_key(key)) continue;
    RecordChange change{RecordTable::kMeta, key, std::nullopt};
    auto it = indexes_.find(resource_of(key));
    if (it != indexes_.end()) {
      StateRecord record;
      record.key = key;
      put_u64(record.value, it->second);
      change.record = std::move(record);
    }
    out.push_back(std::move(change));
  }
}

Status ResourceIndexes::load_record(std::string_view key, ByteView value) {
  if (!owns_meta_key(key)) return corruption("not an index record: \"" + std::string(key) + "\"");
  ByteReader reader(value);
  auto index = reader.u64();
  if (!index || !reader.done()) {
    return corruption("index record \"" + std::string(key) + "\": expected 8 bytes");
  }
  if (!indexes_.emplace(std::string(resource_of(key)), *index).second) {
    return corruption("index record \"" + std::string(key) + "\": duplicate");
  }
  return Status::ok();
}

}  // namespace synod::consensus::state
