#include "consensus/test_kv_state_machine.h"

#include "common/bytes.h"

namespace synod::consensus {

std::string encode_kv_command(const KvCommand& command) {
  Bytes out;
  put_u8(out, static_cast<std::uint8_t>(command.op));
  put_bytes(out, command.key);
  put_bytes(out, command.value);
  put_bytes(out, command.expected);
  return out;
}

Result<KvCommand> decode_kv_command(std::string_view bytes) {
  ByteReader reader(bytes);
  auto op = reader.u8();
  auto key = reader.bytes();
  auto value = reader.bytes();
  auto expected = reader.bytes();
  if (!op || !key || !value || !expected || !reader.done() || *op < 1 || *op > 4) {
    return invalid_argument("kv command: malformed");
  }
  return KvCommand{static_cast<KvOp>(*op), std::string(*key), std::string(*value),
                   std::string(*expected)};
}

std::string encode_kv_result(const KvResult& result) {
  Bytes out;
  put_u8(out, result.ok ? 1 : 0);
  put_bytes(out, result.value);
  return out;
}

Result<KvResult> decode_kv_result(std::string_view bytes) {
  ByteReader reader(bytes);
  auto ok = reader.u8();
  auto value = reader.bytes();
  if (!ok || !value || !reader.done()) return invalid_argument("kv result: malformed");
  return KvResult{*ok != 0, std::string(*value)};
}

KvResult TestKvStateMachine::execute(const KvCommand& command) {
  auto it = data_.find(command.key);
  const bool found = it != data_.end();
  switch (command.op) {
    case KvOp::kPut:
      data_[command.key] = command.value;
      return {true, ""};
    case KvOp::kGet:
      return {found, found ? it->second : ""};
    case KvOp::kDelete:
      if (found) data_.erase(it);
      return {found, ""};
    case KvOp::kCas: {
      const std::string current = found ? it->second : "";
      const bool matches = found ? current == command.expected : command.expected.empty();
      if (matches) data_[command.key] = command.value;
      return {matches, current};
    }
  }
  return {false, ""};
}

std::string TestKvStateMachine::apply(const Entry& entry) {
  if (entry.index > applied_) applied_ = entry.index;
  if (entry.type != EntryType::kNormal) return "";
  auto command = decode_kv_command(entry.data);
  if (!command.is_ok()) return encode_kv_result(KvResult{false, ""});
  return encode_kv_result(execute(*command));
}

std::string TestKvStateMachine::snapshot() const {
  Bytes out;
  put_u64(out, data_.size());
  for (const auto& [key, value] : data_) {
    put_bytes(out, key);
    put_bytes(out, value);
  }
  return out;
}

Status TestKvStateMachine::restore(std::string_view data, LogIndex index) {
  std::map<std::string, std::string> restored;
  if (!data.empty()) {
    ByteReader reader(data);
    auto count = reader.u64();
    if (!count) return invalid_argument("kv snapshot: truncated header");
    for (std::uint64_t i = 0; i < *count; ++i) {
      auto key = reader.bytes();
      auto value = reader.bytes();
      if (!key || !value) return invalid_argument("kv snapshot: truncated");
      restored.emplace(std::string(*key), std::string(*value));
    }
    if (!reader.done()) return invalid_argument("kv snapshot: trailing bytes");
  }
  data_ = std::move(restored);
  applied_ = index;
  return Status::ok();
}

std::optional<std::string> TestKvStateMachine::get(const std::string& key) const {
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

}  // namespace synod::consensus
