// TestKvStateMachine: a tiny in-memory key/value StateMachine for tests, the
// simulator and benchmarks (the production registry/KV lives in
// consensus/state/). Commands are encoded with encode_kv_command() into
// Entry::data; apply() returns encode_kv_result() bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/state_machine.h"

namespace synod::consensus {

enum class KvOp : std::uint8_t { kPut = 1, kGet = 2, kCas = 3, kDelete = 4 };

struct KvCommand {
  KvOp op = KvOp::kPut;
  std::string key;
  std::string value;     // kPut, kCas: new value
  std::string expected;  // kCas: required current value ("" = key absent)
  bool operator==(const KvCommand&) const = default;
};

struct KvResult {
  bool ok = true;     // kCas: swapped; kGet/kDelete: key existed
  std::string value;  // kGet: current value; kCas: value before the attempt
  bool operator==(const KvResult&) const = default;
};

[[nodiscard]] std::string encode_kv_command(const KvCommand& command);
[[nodiscard]] Result<KvCommand> decode_kv_command(std::string_view bytes);
[[nodiscard]] std::string encode_kv_result(const KvResult& result);
[[nodiscard]] Result<KvResult> decode_kv_result(std::string_view bytes);

class TestKvStateMachine final : public StateMachine {
 public:
  // Applies kNormal entries holding a KvCommand; other entry types (and
  // undecodable commands, which get {ok=false}) only advance applied_index.
  std::string apply(const Entry& entry) override;
  [[nodiscard]] LogIndex applied_index() const override { return applied_; }
  [[nodiscard]] std::string snapshot() const override;
  Status restore(std::string_view data, LogIndex index) override;

  [[nodiscard]] std::optional<std::string> get(const std::string& key) const;
  [[nodiscard]] const std::map<std::string, std::string>& data() const { return data_; }

 private:
  KvResult execute(const KvCommand& command);
  std::map<std::string, std::string> data_;
  LogIndex applied_;
};

}  // namespace synod::consensus
