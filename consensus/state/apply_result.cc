#include "consensus/state/apply_result.h"

#include "consensus/state/commands_pb.h"

namespace synod::consensus::state {

proto::KvEntryRecord kv_entry_to_proto(const KvEntry& entry) {
  proto::KvEntryRecord record;
  record.set_key(entry.key);
  record.set_value(entry.value);
  record.set_flags(entry.flags);
  record.set_session(entry.session);
  record.set_lock_index(entry.lock_index);
  record.set_create_index(entry.create_index);
  record.set_modify_index(entry.modify_index);
  return record;
}

KvEntry kv_entry_from_proto(const proto::KvEntryRecord& record) {
  KvEntry entry;
  entry.key = record.key();
  entry.value = record.value();
  entry.flags = record.flags();
  entry.session = record.session();
  entry.lock_index = record.lock_index();
  entry.create_index = record.create_index();
  entry.modify_index = record.modify_index();
  return entry;
}

Bytes encode_apply_result(const ApplyResult& result) {
  proto::CommandResult message;
  message.set_index(result.index.value());
  message.set_status_code(static_cast<std::uint32_t>(result.status.code()));
  message.set_status_message(result.status.message());
  message.set_ok(result.ok);
  for (const auto& entry : result.txn.results)
    *message.add_txn_results() = kv_entry_to_proto(entry);
  for (const auto& error : result.txn.errors) {
    auto* out = message.add_txn_errors();
    out->set_op_index(static_cast<std::uint32_t>(error.op_index));
    out->set_what(error.what);
  }
  Bytes bytes;
  message.SerializeToString(&bytes);
  return bytes;
}

Result<ApplyResult> decode_apply_result(ByteView bytes) {
  proto::CommandResult message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("malformed command result");
  }
  if (message.status_code() > static_cast<std::uint32_t>(StatusCode::kInternal)) {
    return invalid_argument("command result has unknown status code " +
                            std::to_string(message.status_code()));
  }
  const auto code = static_cast<StatusCode>(message.status_code());
  if (code == StatusCode::kOk && !message.status_message().empty()) {
    return invalid_argument("command result has a message but an OK status");
  }
  ApplyResult result;
  result.index = LogIndex(message.index());
  if (code != StatusCode::kOk) result.status = Status(code, message.status_message());
  result.ok = message.ok();
  for (const auto& record : message.txn_results()) {
    result.txn.results.push_back(kv_entry_from_proto(record));
  }
  for (const auto& error : message.txn_errors()) {
    result.txn.errors.push_back({error.op_index(), error.what()});
  }
  return result;
}

}  // namespace synod::consensus::state
