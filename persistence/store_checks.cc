#include "persistence/store_checks.h"

namespace synod::persistence {

std::string range_message(std::string_view what, LogIndex index, LogIndex first, LogIndex last) {
  return std::string(what) + ": index " + index.to_string() + " outside the log [" +
         first.to_string() + ", " + last.to_string() + "]";
}

Status check_append(std::span<const Entry> entries, LogIndex last) {
  LogIndex expected = last.next();
  for (const Entry& e : entries) {
    if (e.index != expected) {
      return invalid_argument("append: entry index " + e.index.to_string() + " where " +
                              expected.to_string() + " was expected");
    }
    ++expected;
  }
  return Status::ok();
}

Status check_read_range(LogIndex lo, LogIndex hi, LogIndex first, LogIndex last) {
  if (lo > hi) {
    return invalid_argument("read: lo " + lo.to_string() + " above hi " + hi.to_string());
  }
  if (lo == hi && lo >= first && lo <= last.next()) return Status::ok();
  if (lo < first || hi > last.next()) {
    return out_of_range("read: range [" + lo.to_string() + ", " + hi.to_string() +
                        ") outside the log [" + first.to_string() + ", " + last.to_string() + "]");
  }
  return Status::ok();
}

Status check_truncate(LogIndex from, LogIndex first, LogIndex last) {
  if (from < first || from > last.next()) {
    return out_of_range(range_message("truncate_suffix", from, first, last));
  }
  return Status::ok();
}

Status check_compact(LogIndex upto, LogIndex base, LogIndex last) {
  if (upto < base || upto > last) {
    return out_of_range(range_message("compact_prefix", upto, base.next(), last));
  }
  return Status::ok();
}

Status check_applied_batch(const AppliedBatch& batch, LogIndex stored_applied) {
  if (!batch.replace_all && batch.applied_index < stored_applied) {
    return failed_precondition("apply_batch: applied index " + batch.applied_index.to_string() +
                               " below the stored " + stored_applied.to_string());
  }
  for (const RecordOp& op : batch.ops) {
    if (op.key.empty()) return invalid_argument("apply_batch: empty key");
    if (op.record) SYNOD_RETURN_IF_ERROR(validate_record(op.table, *op.record));
  }
  return Status::ok();
}

Record normalized_record(Table table, const Record& record, const std::string& key) {
  Record out = record;
  out.key = key;
  out.columns.resize(table_schema(table).columns.size());
  return out;
}

}  // namespace synod::persistence
