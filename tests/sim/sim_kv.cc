#include "tests/sim/sim_kv.h"

#include "common/bytes.h"

namespace synod::consensus::sim {

std::string encode_tagged(std::uint64_t tag, const KvCommand& command) {
  Bytes out;
  put_u64(out, tag);
  out += encode_kv_command(command);
  return out;
}

std::uint64_t tag_of(std::string_view data) {
  ByteReader reader(data);
  return reader.u64().value_or(0);
}

std::string SimKv::apply(const Entry& entry) {
  if (entry.type != EntryType::kNormal || entry.data.size() < 8) {
    Entry passthrough = entry;
    passthrough.type = EntryType::kNoop;  // advances applied_index only
    return inner_.apply(passthrough);
  }
  const std::uint64_t tag = tag_of(entry.data);
  auto it = results_.find(tag);
  if (it != results_.end()) {
    Entry passthrough = entry;
    passthrough.type = EntryType::kNoop;
    (void)inner_.apply(passthrough);
    return it->second;
  }
  Entry command = entry;
  command.data = entry.data.substr(8);
  std::string result = inner_.apply(command);
  results_.emplace(tag, result);
  return result;
}

std::string SimKv::snapshot() const {
  Bytes out;
  put_bytes(out, inner_.snapshot());
  put_u64(out, results_.size());
  for (const auto& [tag, result] : results_) {
    put_u64(out, tag);
    put_bytes(out, result);
  }
  return out;
}

Status SimKv::restore(std::string_view data, LogIndex index) {
  std::map<std::uint64_t, std::string> results;
  std::string_view inner_data;
  if (!data.empty()) {
    ByteReader reader(data);
    auto inner = reader.bytes();
    auto count = reader.u64();
    if (!inner || !count) return invalid_argument("sim kv snapshot: truncated");
    inner_data = *inner;
    for (std::uint64_t i = 0; i < *count; ++i) {
      auto tag = reader.u64();
      auto result = reader.bytes();
      if (!tag || !result) return invalid_argument("sim kv snapshot: truncated results");
      results.emplace(*tag, std::string(*result));
    }
  }
  SYNOD_RETURN_IF_ERROR(inner_.restore(inner_data, index));
  results_ = std::move(results);
  return Status::ok();
}

}  // namespace synod::consensus::sim
