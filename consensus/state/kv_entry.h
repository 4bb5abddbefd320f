// KvEntry: one key of the KV table, with Consul's DirEntry fields.
#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "consensus/state/commands_pb.h"

namespace synod::consensus::state {

struct KvEntry {
  std::string key;
  Bytes value;
  std::uint64_t flags = 0;
  std::string session;             // the lock holder; empty when unlocked
  std::uint64_t lock_index = 0;    // how many times the lock was acquired
  std::uint64_t create_index = 0;  // log index that created the key
  std::uint64_t modify_index = 0;  // log index of the last write to the key
  bool operator==(const KvEntry&) const = default;
};

proto::KvEntryRecord kv_entry_to_proto(const KvEntry& entry);
KvEntry kv_entry_from_proto(const proto::KvEntryRecord& record);

}  // namespace synod::consensus::state
