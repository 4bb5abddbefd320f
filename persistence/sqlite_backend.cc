#include "persistence/sqlite_backend.h"

#include "persistence/db_backend.h"
#include "persistence/db_log_store.h"
#include "persistence/db_snapshot_store.h"
#include "persistence/db_sql_schema.h"
#include "persistence/sqlite_db.h"
#include "persistence/store_checks.h"

namespace synod::persistence {
namespace {

constexpr std::string_view kName = "sqlite";

// Runs f with the connection locked and a query for sql.
template <typename F>
auto with_query(SqliteDb& db, const std::string& sql, F&& f)
    -> decltype(f(std::declval<SqliteQuery&>())) {
  std::lock_guard lock(db.mutex());
  auto stmt = db.prepare(sql);
  if (!stmt.is_ok()) return stmt.status();
  SqliteQuery query(db, *stmt);
  return f(query);
}

// Prepares sql with the connection already locked.
Result<std::unique_ptr<SqliteQuery>> query_locked(SqliteDb& db, const std::string& sql) {
  SYNOD_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, db.prepare(sql));
  return std::make_unique<SqliteQuery>(db, stmt);
}

Status run_locked(SqliteDb& db, const std::string& sql, std::int64_t node,
                  std::initializer_list<std::int64_t> args = {}) {
  SYNOD_ASSIGN_OR_RETURN(auto q, query_locked(db, sql));
  q->bind(node);
  for (std::int64_t a : args) q->bind(a);
  return q->run();
}

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }

class SqliteLogStore final : public DbLogStore {
 public:
  SqliteLogStore(std::shared_ptr<SqliteDb> db, std::int64_t node)
      : DbLogStore(kName), db_(std::move(db)), node_(node) {}

  Status load() {
    StoredLogBounds bounds;
    std::lock_guard lock(db_->mutex());
    {
      SYNOD_ASSIGN_OR_RETURN(
          auto q,
          query_locked(*db_,
                       "SELECT base_index, base_term FROM synod_log_base WHERE synod_node_id = ?"));
      q->bind(node_);
      SYNOD_ASSIGN_OR_RETURN(bool row, q->step());
      if (row) {
        bounds.base_index = LogIndex(q->integer(0));
        bounds.base_term = Term(q->integer(1));
      }
    }
    std::int64_t count = 0;
    {
      SYNOD_ASSIGN_OR_RETURN(
          auto q,
          query_locked(
              *db_, "SELECT COUNT(*), MAX(idx), MIN(idx) FROM synod_log WHERE synod_node_id = ?"));
      q->bind(node_);
      SYNOD_ASSIGN_OR_RETURN(bool row, q->step());
      count = row ? q->integer(0) : 0;
      bounds.last_index = count > 0 ? LogIndex(q->integer(1)) : bounds.base_index;
      if (count > 0 &&
          (q->integer(2) != i64(bounds.base_index.next().value()) ||
           bounds.last_index - bounds.base_index != static_cast<std::uint64_t>(count))) {
        return corruption("table synod_log in " + db_->path() + ": node " + std::to_string(node_) +
                          " has " + std::to_string(count) + " entries in [" +
                          std::to_string(q->integer(2)) + ", " + bounds.last_index.to_string() +
                          "], not a contiguous log after base index " +
                          bounds.base_index.to_string());
      }
    }
    {
      SYNOD_ASSIGN_OR_RETURN(auto q, query_locked(*db_,
                                                  "SELECT MIN(idx), term FROM synod_log WHERE "
                                                  "synod_node_id = ? GROUP BY term ORDER BY 1"));
      q->bind(node_);
      for (;;) {
        SYNOD_ASSIGN_OR_RETURN(bool row, q->step());
        if (!row) break;
        bounds.term_runs[LogIndex(q->integer(0))] = Term(q->integer(1));
      }
    }
    init_bounds(std::move(bounds));
    return Status::ok();
  }

 protected:
  Status db_write(std::span<const Entry> entries, const std::map<LogIndex, Term>&) override {
    std::lock_guard lock(db_->mutex());
    return db_->transaction([&]() -> Status {
      SYNOD_RETURN_IF_ERROR(run_locked(*db_,
                                       "DELETE FROM synod_log WHERE synod_node_id = ? AND idx >= ?",
                                       node_, {i64(entries.front().index.value())}));
      for (const Entry& e : entries) {
        SYNOD_ASSIGN_OR_RETURN(auto q, query_locked(*db_,
                                                    "INSERT INTO synod_log (synod_node_id, idx, "
                                                    "term, type, data) VALUES (?, ?, ?, ?, ?)"));
        q->bind(node_).bind(i64(e.index.value())).bind(i64(e.term.value()));
        q->bind(static_cast<std::int64_t>(e.type)).bind_blob(e.data);
        SYNOD_RETURN_IF_ERROR(q->run());
      }
      return Status::ok();
    });
  }

  Result<std::vector<Entry>> db_read(LogIndex lo, LogIndex hi,
                                     std::uint64_t max_bytes) const override {
    std::lock_guard lock(db_->mutex());
    SYNOD_ASSIGN_OR_RETURN(auto q,
                           query_locked(*db_,
                                        "SELECT idx, term, type, data FROM synod_log WHERE "
                                        "synod_node_id = ? AND idx >= ? AND idx < ? ORDER BY idx"));
    q->bind(node_).bind(i64(lo.value())).bind(i64(hi.value()));
    std::vector<Entry> out;
    std::uint64_t bytes = 0;
    for (;;) {
      SYNOD_ASSIGN_OR_RETURN(bool row, q->step());
      if (!row) break;
      Entry e{Term(q->integer(1)), LogIndex(q->integer(0)), static_cast<EntryType>(q->integer(2)),
              q->blob(3)};
      if (!within_byte_limit(out.size(), bytes, e, max_bytes)) break;
      bytes += e.byte_size();
      out.push_back(std::move(e));
    }
    return out;
  }

  Status db_truncate(LogIndex from, const std::map<LogIndex, Term>&) override {
    std::lock_guard lock(db_->mutex());
    return run_locked(*db_, "DELETE FROM synod_log WHERE synod_node_id = ? AND idx >= ?", node_,
                      {i64(from.value())});
  }

  Status db_compact(LogIndex upto, Term term, const std::map<LogIndex, Term>&) override {
    std::lock_guard lock(db_->mutex());
    return db_->transaction([&]() -> Status {
      SYNOD_RETURN_IF_ERROR(run_locked(*db_,
                                       "DELETE FROM synod_log WHERE synod_node_id = ? AND idx <= ?",
                                       node_, {i64(upto.value())}));
      return set_base_locked(upto, term);
    });
  }

  Status db_reset(LogIndex index, Term term) override {
    std::lock_guard lock(db_->mutex());
    return db_->transaction([&]() -> Status {
      SYNOD_RETURN_IF_ERROR(
          run_locked(*db_, "DELETE FROM synod_log WHERE synod_node_id = ?", node_));
      return set_base_locked(index, term);
    });
  }

 private:
  Status set_base_locked(LogIndex index, Term term) {
    return run_locked(*db_,
                      "INSERT OR REPLACE INTO synod_log_base (synod_node_id, base_index, "
                      "base_term) VALUES (?, ?, ?)",
                      node_, {i64(index.value()), i64(term.value())});
  }

  std::shared_ptr<SqliteDb> db_;
  std::int64_t node_;
};

class SqliteStableStore final : public StableStore {
 public:
  SqliteStableStore(std::shared_ptr<SqliteDb> db, std::int64_t node)
      : db_(std::move(db)), node_(node), metrics_(kName) {}

  Status save(const StableState& state) override {
    StopWatch watch;
    Status s = with_query(
        *db_,
        "INSERT OR REPLACE INTO synod_stable (synod_node_id, term, vote, commit_index, "
        "configuration) VALUES (?, ?, ?, ?, ?)",
        [&](SqliteQuery& q) {
          q.bind(node_).bind(i64(state.hard_state.term.value()));
          q.bind(i64(state.hard_state.vote.value())).bind(i64(state.hard_state.commit.value()));
          return q.bind_blob(state.configuration).run();
        });
    if (s.is_ok()) metrics_.observe_sync(watch.elapsed());
    return metrics_.track("stable", s);
  }

  Result<StableState> load() const override {
    return with_query(
        *db_,
        "SELECT term, vote, commit_index, configuration FROM synod_stable WHERE synod_node_id = ?",
        [&](SqliteQuery& q) -> Result<StableState> {
          q.bind(node_);
          SYNOD_ASSIGN_OR_RETURN(bool row, q.step());
          StableState state;
          if (!row) return state;
          state.hard_state = {Term(q.integer(0)), NodeId(q.integer(1)), LogIndex(q.integer(2))};
          state.configuration = q.blob(3);
          return state;
        });
  }

 private:
  std::shared_ptr<SqliteDb> db_;
  std::int64_t node_;
  mutable BackendMetrics metrics_;
};

class SqliteSnapshotStore final : public DbSnapshotStore {
 public:
  SqliteSnapshotStore(std::shared_ptr<SqliteDb> db, std::int64_t node, std::uint32_t retained)
      : DbSnapshotStore(kName, retained, "table synod_snapshots of " + db->path()),
        db_(std::move(db)),
        node_(node) {}

  Result<std::vector<StoredSnapshotRow>> db_list() const override {
    return with_query(*db_,
                      "SELECT snapshot_id, idx, term, configuration, size, crc FROM "
                      "synod_snapshots WHERE synod_node_id = ? ORDER BY idx DESC, snapshot_id DESC",
                      [&](SqliteQuery& q) -> Result<std::vector<StoredSnapshotRow>> {
                        q.bind(node_);
                        std::vector<StoredSnapshotRow> out;
                        for (;;) {
                          SYNOD_ASSIGN_OR_RETURN(bool row, q.step());
                          if (!row) return out;
                          StoredSnapshotRow r;
                          r.id = static_cast<std::uint64_t>(q.integer(0));
                          r.meta = {LogIndex(q.integer(1)), Term(q.integer(2)), q.blob(3)};
                          r.size = static_cast<std::uint64_t>(q.integer(4));
                          r.crc = static_cast<std::uint32_t>(q.integer(5));
                          out.push_back(std::move(r));
                        }
                      });
  }

  Result<std::uint64_t> db_allocate_id() override {
    return with_query(*db_,
                      "SELECT MAX(m) FROM (SELECT MAX(snapshot_id) AS m FROM synod_snapshots WHERE "
                      "synod_node_id = ?1 UNION ALL SELECT MAX(snapshot_id) FROM "
                      "synod_snapshot_chunks WHERE synod_node_id = ?1)",
                      [&](SqliteQuery& q) -> Result<std::uint64_t> {
                        q.bind(node_);
                        SYNOD_ASSIGN_OR_RETURN(bool row, q.step());
                        std::uint64_t stored =
                            row && !q.is_null(0) ? static_cast<std::uint64_t>(q.integer(0)) + 1 : 1;
                        next_id_ = std::max(next_id_, stored);
                        return next_id_++;
                      });
  }

  Status db_put_chunk(std::uint64_t id, std::uint64_t seq, ByteView data) override {
    return with_query(*db_,
                      "INSERT OR REPLACE INTO synod_snapshot_chunks (synod_node_id, snapshot_id, "
                      "seq, data) VALUES (?, ?, ?, ?)",
                      [&](SqliteQuery& q) {
                        return q.bind(node_).bind(i64(id)).bind(i64(seq)).bind_blob(data).run();
                      });
  }

  Result<std::optional<Bytes>> db_get_chunk(std::uint64_t id, std::uint64_t seq) const override {
    return with_query(*db_,
                      "SELECT data FROM synod_snapshot_chunks WHERE synod_node_id = ? AND "
                      "snapshot_id = ? AND seq = ?",
                      [&](SqliteQuery& q) -> Result<std::optional<Bytes>> {
                        q.bind(node_).bind(i64(id)).bind(i64(seq));
                        SYNOD_ASSIGN_OR_RETURN(bool row, q.step());
                        if (!row) return std::optional<Bytes>();
                        return std::optional<Bytes>(q.blob(0));
                      });
  }

  Status db_publish(const StoredSnapshotRow& r, const std::vector<std::uint64_t>& drop) override {
    std::lock_guard lock(db_->mutex());
    return db_->transaction([&]() -> Status {
      {
        SYNOD_ASSIGN_OR_RETURN(
            auto q, query_locked(*db_,
                                 "INSERT INTO synod_snapshots (synod_node_id, snapshot_id, idx, "
                                 "term, configuration, size, crc) VALUES (?, ?, ?, ?, ?, ?, ?)"));
        q->bind(node_)
            .bind(i64(r.id))
            .bind(i64(r.meta.index.value()))
            .bind(i64(r.meta.term.value()));
        SYNOD_RETURN_IF_ERROR(
            q->bind_blob(r.meta.configuration).bind(i64(r.size)).bind(i64(r.crc)).run());
      }
      for (std::uint64_t id : drop) {
        SYNOD_RETURN_IF_ERROR(run_locked(
            *db_, "DELETE FROM synod_snapshots WHERE synod_node_id = ? AND snapshot_id = ?", node_,
            {i64(id)}));
        SYNOD_RETURN_IF_ERROR(run_locked(
            *db_, "DELETE FROM synod_snapshot_chunks WHERE synod_node_id = ? AND snapshot_id = ?",
            node_, {i64(id)}));
      }
      return Status::ok();
    });
  }

  Status db_delete_unpublished() override {
    std::lock_guard lock(db_->mutex());
    return run_locked(*db_,
                      "DELETE FROM synod_snapshot_chunks WHERE synod_node_id = ?1 AND snapshot_id "
                      "NOT IN (SELECT snapshot_id FROM synod_snapshots WHERE synod_node_id = ?1)",
                      node_);
  }

 private:
  std::shared_ptr<SqliteDb> db_;
  std::int64_t node_;
  std::uint64_t next_id_ = 1;  // GUARDED_BY(db_->mutex())
};

class SqliteAppliedStateStore final : public AppliedStateStore {
 public:
  SqliteAppliedStateStore(std::shared_ptr<SqliteDb> db, std::int64_t node)
      : db_(std::move(db)), node_(node), metrics_(kName) {}

  Status apply_batch(const AppliedBatch& batch) override {
    StopWatch watch;
    std::lock_guard lock(db_->mutex());
    SYNOD_ASSIGN_OR_RETURN(LogIndex stored, applied_locked());
    SYNOD_RETURN_IF_ERROR(check_applied_batch(batch, stored));
    Status s = db_->transaction([&]() -> Status {
      if (batch.replace_all) {
        for (Table t : kAllTables) {
          SYNOD_RETURN_IF_ERROR(run_locked(
              *db_, "DELETE FROM " + std::string(table_name(t)) + " WHERE synod_node_id = ?",
              node_));
        }
      }
      for (const RecordOp& op : batch.ops) SYNOD_RETURN_IF_ERROR(apply_op_locked(op));
      return run_locked(
          *db_, "INSERT OR REPLACE INTO synod_applied (synod_node_id, applied_index) VALUES (?, ?)",
          node_, {i64(batch.applied_index.value())});
    });
    if (s.is_ok()) metrics_.observe_sync(watch.elapsed());
    return metrics_.track("applied", s);
  }

  Result<LogIndex> applied_index() const override {
    std::lock_guard lock(db_->mutex());
    return applied_locked();
  }

  Status load_all(const Visitor& visitor) const override {
    for (Table t : kAllTables) {
      // Collect a table under the lock, call the visitor without it.
      std::vector<Record> records;
      SYNOD_RETURN_IF_ERROR(
          with_query(*db_, select_records_sql(kSqliteDialect, t), [&](SqliteQuery& q) -> Status {
            q.bind(node_);
            const auto& columns = table_schema(t).columns;
            for (;;) {
              SYNOD_ASSIGN_OR_RETURN(bool row, q.step());
              if (!row) return Status::ok();
              Record r;
              r.key = q.text(0);
              for (std::size_t c = 0; c < columns.size(); ++c) {
                int col = static_cast<int>(c) + 1;
                if (q.is_null(col)) {
                  r.columns.emplace_back(std::monostate{});
                } else if (columns[c].type == ColumnType::kInteger) {
                  r.columns.emplace_back(q.integer(col));
                } else {
                  r.columns.emplace_back(q.text(col));
                }
              }
              r.value = q.blob(static_cast<int>(columns.size()) + 1);
              records.push_back(std::move(r));
            }
          }));
      for (const Record& r : records) SYNOD_RETURN_IF_ERROR(visitor(t, r));
    }
    return Status::ok();
  }

 private:
  Result<LogIndex> applied_locked() const {
    SYNOD_ASSIGN_OR_RETURN(
        auto q,
        query_locked(*db_, "SELECT applied_index FROM synod_applied WHERE synod_node_id = ?"));
    q->bind(node_);
    SYNOD_ASSIGN_OR_RETURN(bool row, q->step());
    return row ? LogIndex(q->integer(0)) : LogIndex(0);
  }

  Status apply_op_locked(const RecordOp& op) {
    if (!op.record) {
      SYNOD_ASSIGN_OR_RETURN(auto q,
                             query_locked(*db_, "DELETE FROM " + std::string(table_name(op.table)) +
                                                    " WHERE synod_node_id = ? AND key = ?"));
      return q->bind(node_).bind_text(op.key).run();
    }
    Record r = normalized_record(op.table, *op.record, op.key);
    SYNOD_ASSIGN_OR_RETURN(auto q, query_locked(*db_, upsert_record_sql(kSqliteDialect, op.table)));
    q->bind(node_).bind_text(r.key);
    for (const ColumnValue& v : r.columns) q->bind(v);
    return q->bind_blob(r.value).run();
  }

  std::shared_ptr<SqliteDb> db_;
  std::int64_t node_;
  BackendMetrics metrics_;
};

using SqliteBackend =
    DbBackend<SqliteLogStore, SqliteStableStore, SqliteSnapshotStore, SqliteAppliedStateStore>;

}  // namespace

Result<std::unique_ptr<StorageBackend>> open_sqlite_backend(const BackendOptions& options) {
  std::string path = options.sqlite_path;
  if (path.empty()) {
    if (options.data_dir.empty()) {
      return invalid_argument("sqlite backend: set persistence.sqlite.path or node.data_dir");
    }
    path = options.data_dir + "/synod.db";
  }
  BackendMetrics metrics(kName);
  auto db = SqliteDb::open(path);
  if (!db.is_ok()) return metrics.track("open", db.status());
  auto backend = std::make_unique<SqliteBackend>(kName, *db, i64(options.node_id.value()),
                                                 options.snapshots_retained);
  SYNOD_RETURN_IF_ERROR(metrics.track("open", backend->load()));
  return std::unique_ptr<StorageBackend>(std::move(backend));
}

SYNOD_REGISTER_STORAGE_BACKEND(sqlite, open_sqlite_backend);

}  // namespace synod::persistence
