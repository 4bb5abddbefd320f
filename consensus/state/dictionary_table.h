// DictionaryTable: the cluster's shared zstd dictionary (docs/compression.md).
//
// The leader trains a dictionary from recent small log entries and proposes
// it (Command.compression_dictionary); every node applies it into this table
// and, through the change callback, into its compressor. Replacing the
// dictionary keeps nothing of the old one here: receivers keep the previous
// dictionary in the compressor for frames in flight.
//
// This layer does not link zstd: it checks the format's header only (magic
// 0xEC30A437 little-endian, then the dictionary id, which must not be 0) and
// the size bounds; the compressor rejects a dictionary zstd cannot load.
//
// Record: kMeta "compression/dictionary" = u8 version (1) | u64 log index it
// was set at | the dictionary bytes. Threading: as StateStore.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "consensus/state/change_set.h"
#include "consensus/state/commands_pb.h"
#include "consensus/state/state_table.h"

namespace synod::consensus::state {

// Bounds of an accepted dictionary (zstd's trainer is asked for 16 KiB by
// default; its own limit is far larger, but every node holds two copies).
inline constexpr std::size_t kMinDictionaryBytes = 64;
inline constexpr std::size_t kMaxDictionaryBytes = 256 * 1024;

// Checks the shape of a CompressionDictionary command.
Status validate_dictionary(const proto::CompressionDictionary& body);
// The id in a zstd dictionary's header; 0 when `dictionary` is not one.
std::uint32_t zstd_dictionary_id(std::string_view dictionary);

proto::Command make_dictionary_command(std::string dictionary);

class DictionaryTable final : public StateTable {
 public:
  // ---- Reads ----
  [[nodiscard]] bool empty() const { return dictionary_.empty(); }
  [[nodiscard]] const std::string& dictionary() const { return dictionary_; }
  [[nodiscard]] std::uint32_t id() const { return zstd_dictionary_id(dictionary_); }
  // Log index of the command that set it (0 when empty).
  [[nodiscard]] std::uint64_t set_at() const { return set_at_; }

  // ---- Writes (StateStore::apply only) ----
  // Ok(true): installed; Ok(false): the same dictionary was already current.
  Result<bool> apply(const proto::CompressionDictionary& body, std::uint64_t index,
                     ChangeSet& changes);

  // ---- StateTable ----
  [[nodiscard]] std::string_view owner() const override { return "compression"; }
  [[nodiscard]] bool owns(RecordTable) const override { return false; }  // kMeta only
  void emit_records(const RecordSink& sink) const override;
  void records_for(const ChangeSet& changes, std::vector<RecordChange>& out) const override;
  Status load_record(RecordTable table, std::string_view key, ByteView value) override;
  void clear() override;

 private:
  [[nodiscard]] Bytes encode() const;

  std::string dictionary_;
  std::uint64_t set_at_ = 0;
};

// True when `changes` replaced the dictionary (an apply, or a restore that
// loaded one): the node then hands DictionaryTable::dictionary() to its
// compressor.
bool dictionary_changed(const ChangeSet& changes);

}  // namespace synod::consensus::state
