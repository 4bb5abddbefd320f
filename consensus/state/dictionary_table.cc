#include "consensus/state/dictionary_table.h"

#include <utility>

namespace synod::consensus::state {
namespace {

constexpr std::string_view kRecordKind = "dictionary";
constexpr std::uint8_t kRecordVersion = 1;
constexpr std::uint32_t kZstdDictionaryMagic = 0xEC30A437;

std::string record_key() { return meta_key("compression", kRecordKind); }

}  // namespace

std::uint32_t zstd_dictionary_id(std::string_view dictionary) {
  if (dictionary.size() < 8) return 0;
  if (load_u32(dictionary.data()) != kZstdDictionaryMagic) return 0;
  return load_u32(dictionary.data() + 4);
}

Status validate_dictionary(const proto::CompressionDictionary& body) {
  const std::string& dictionary = body.dictionary();
  if (dictionary.size() < kMinDictionaryBytes || dictionary.size() > kMaxDictionaryBytes) {
    return invalid_argument("a compression dictionary must be " +
                            std::to_string(kMinDictionaryBytes) + " to " +
                            std::to_string(kMaxDictionaryBytes) + " bytes, got " +
                            std::to_string(dictionary.size()));
  }
  if (zstd_dictionary_id(dictionary) == 0) {
    return invalid_argument(
        "a compression dictionary must be a zstd dictionary (magic 0xEC30A437) with a "
        "non-zero id");
  }
  return Status::ok();
}

proto::Command make_dictionary_command(std::string dictionary) {
  proto::Command command;
  command.mutable_compression_dictionary()->set_dictionary(std::move(dictionary));
  return command;
}

Result<bool> DictionaryTable::apply(const proto::CompressionDictionary& body,
                                    std::uint64_t index, ChangeSet& changes) {
  SYNOD_RETURN_IF_ERROR(validate_dictionary(body));
  if (body.dictionary() == dictionary_) return false;
  dictionary_ = body.dictionary();
  set_at_ = index;
  changes.mark(RecordTable::kMeta, record_key());
  return true;
}

Bytes DictionaryTable::encode() const {
  Bytes out;
  out.reserve(9 + dictionary_.size());
  put_u8(out, kRecordVersion);
  put_u64(out, set_at_);
  out.append(dictionary_);
  return out;
}

void DictionaryTable::emit_records(const RecordSink& sink) const {
  if (dictionary_.empty()) return;
  sink(RecordTable::kMeta, StateRecord{record_key(), {}, encode()});
}

void DictionaryTable::records_for(const ChangeSet& changes,
                                  std::vector<RecordChange>& out) const {
  const std::string key = record_key();
  if (!changes.contains(RecordTable::kMeta, key)) return;
  RecordChange change{RecordTable::kMeta, key, std::nullopt};
  if (!dictionary_.empty()) change.record = StateRecord{key, {}, encode()};
  out.push_back(std::move(change));
}

Status DictionaryTable::load_record(RecordTable table, std::string_view key, ByteView value) {
  if (table != RecordTable::kMeta || key != record_key()) {
    return corruption("the compression table does not store " +
                      std::string(record_table_name(table)) + " record \"" + std::string(key) +
                      "\"");
  }
  if (!dictionary_.empty()) return corruption("compression dictionary record: duplicate");
  ByteReader reader(value);
  auto version = reader.u8();
  auto index = reader.u64();
  proto::CompressionDictionary body;
  if (version && index) body.set_dictionary(std::string(*reader.raw(reader.remaining())));
  if (!version || *version != kRecordVersion || !index || *index == 0 ||
      !validate_dictionary(body).is_ok()) {
    return corruption("compression dictionary record is malformed");
  }
  dictionary_ = body.dictionary();
  set_at_ = *index;
  return Status::ok();
}

void DictionaryTable::clear() {
  dictionary_.clear();
  set_at_ = 0;
}

bool dictionary_changed(const ChangeSet& changes) {
  return changes.contains(RecordTable::kMeta, record_key());
}

}  // namespace synod::consensus::state
