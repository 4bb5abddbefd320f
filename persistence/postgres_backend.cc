#include "persistence/postgres_backend.h"

#include "persistence/db_backend.h"
#include "persistence/db_log_store.h"
#include "persistence/db_snapshot_store.h"
#include "persistence/db_sql_schema.h"
#include "persistence/postgres_connection.h"
#include "persistence/store_checks.h"

namespace synod::persistence {
namespace {

constexpr std::string_view kName = "postgres";
using Connection = std::shared_ptr<PostgresConnection>;

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }

template <typename T>
std::string array_literal(const std::vector<T>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}

void prepare_statements(PostgresConnection& c) {
  c.prepare("log_base",
            "SELECT base_index, base_term FROM synod_log_base WHERE synod_node_id = $1");
  c.prepare("log_bounds",
            "SELECT COUNT(*), MAX(idx), MIN(idx) FROM synod_log WHERE synod_node_id = $1");
  c.prepare(
      "log_runs",
      "SELECT MIN(idx), term FROM synod_log WHERE synod_node_id = $1 GROUP BY term ORDER BY 1");
  c.prepare("log_delete_from", "DELETE FROM synod_log WHERE synod_node_id = $1 AND idx >= $2");
  c.prepare("log_delete_upto", "DELETE FROM synod_log WHERE synod_node_id = $1 AND idx <= $2");
  c.prepare("log_delete_all", "DELETE FROM synod_log WHERE synod_node_id = $1");
  // One statement per batch: entry data travels as one binary blob sliced by
  // offset/length arrays, so 256 entries cost one round trip.
  c.prepare("log_insert",
            "INSERT INTO synod_log (synod_node_id, idx, term, type, data) "
            "SELECT $1, u.i, u.t, u.ty, substring($5::bytea FROM u.o + 1 FOR u.l) "
            "FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $6::int[], $7::int[]) "
            "AS u(i, t, ty, o, l)");
  c.prepare("log_read",
            "SELECT idx, term, type, data FROM synod_log WHERE synod_node_id = $1 AND idx >= $2 "
            "AND idx < $3 ORDER BY idx");
  c.prepare("log_set_base",
            "INSERT INTO synod_log_base (synod_node_id, base_index, base_term) VALUES ($1, $2, $3) "
            "ON CONFLICT (synod_node_id) DO UPDATE SET base_index = excluded.base_index, "
            "base_term = excluded.base_term");
  c.prepare("stable_save",
            "INSERT INTO synod_stable (synod_node_id, term, vote, commit_index, configuration) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (synod_node_id) DO UPDATE SET term = "
            "excluded.term, vote = excluded.vote, commit_index = excluded.commit_index, "
            "configuration = excluded.configuration");
  c.prepare(
      "stable_load",
      "SELECT term, vote, commit_index, configuration FROM synod_stable WHERE synod_node_id = $1");
  c.prepare("snap_list",
            "SELECT snapshot_id, idx, term, configuration, size, crc FROM synod_snapshots WHERE "
            "synod_node_id = $1 ORDER BY idx DESC, snapshot_id DESC");
  c.prepare("snap_max_id",
            "SELECT GREATEST((SELECT MAX(snapshot_id) FROM synod_snapshots WHERE synod_node_id = "
            "$1), (SELECT MAX(snapshot_id) FROM synod_snapshot_chunks WHERE synod_node_id = $1))");
  c.prepare("snap_put_chunk",
            "INSERT INTO synod_snapshot_chunks (synod_node_id, snapshot_id, seq, data) VALUES ($1, "
            "$2, $3, $4) ON CONFLICT (synod_node_id, snapshot_id, seq) DO UPDATE SET data = "
            "excluded.data");
  c.prepare("snap_get_chunk",
            "SELECT data FROM synod_snapshot_chunks WHERE synod_node_id = $1 AND snapshot_id = $2 "
            "AND seq = $3");
  c.prepare("snap_insert",
            "INSERT INTO synod_snapshots (synod_node_id, snapshot_id, idx, term, configuration, "
            "size, crc) VALUES ($1, $2, $3, $4, $5, $6, $7)");
  c.prepare("snap_delete",
            "DELETE FROM synod_snapshots WHERE synod_node_id = $1 AND snapshot_id = $2");
  c.prepare("snap_delete_chunks",
            "DELETE FROM synod_snapshot_chunks WHERE synod_node_id = $1 AND snapshot_id = $2");
  c.prepare("snap_delete_unpublished",
            "DELETE FROM synod_snapshot_chunks WHERE synod_node_id = $1 AND snapshot_id NOT IN "
            "(SELECT snapshot_id FROM synod_snapshots WHERE synod_node_id = $1)");
  c.prepare("applied_get", "SELECT applied_index FROM synod_applied WHERE synod_node_id = $1");
  c.prepare("applied_set",
            "INSERT INTO synod_applied (synod_node_id, applied_index) VALUES ($1, $2) ON CONFLICT "
            "(synod_node_id) DO UPDATE SET applied_index = excluded.applied_index");
  for (Table t : kAllTables) {
    std::string name(table_name(t));
    c.prepare("upsert_" + name, upsert_record_sql(kPostgresDialect, t));
    c.prepare("select_" + name, select_records_sql(kPostgresDialect, t));
    c.prepare("delete_" + name, "DELETE FROM " + name + " WHERE synod_node_id = $1 AND key = $2");
    c.prepare("clear_" + name, "DELETE FROM " + name + " WHERE synod_node_id = $1");
  }
}

// Creates the schema (serialised across nodes by an advisory lock) and checks its version.
Status init_schema(PostgresConnection& c) {
  return c.run([&](pqxx::work& tx) -> Status {
    tx.exec("SELECT pg_advisory_xact_lock(7301554)");
    for (const std::string& sql : schema_statements(kPostgresDialect)) tx.exec0(sql);
    pqxx::result r = tx.exec(std::string("SELECT version FROM ") + kSchemaVersionTable);
    if (r.empty()) {
      tx.exec0(std::string("INSERT INTO ") + kSchemaVersionTable + " (version) VALUES (" +
               std::to_string(kSqlSchemaVersion) + ")");
    } else if (r[0][0].as<std::int64_t>() != kSqlSchemaVersion) {
      return failed_precondition("table " + std::string(kSchemaVersionTable) + " in postgres " +
                                 c.where() + " says schema version " + r[0][0].c_str() +
                                 ", this synod reads version " + std::to_string(kSqlSchemaVersion) +
                                 " (migrate with `synod data export/import`)");
    }
    tx.commit();
    return Status::ok();
  });
}

class PostgresLogStore final : public DbLogStore {
 public:
  PostgresLogStore(Connection c, std::int64_t node)
      : DbLogStore(kName), c_(std::move(c)), node_(node) {}

  Status load() {
    StoredLogBounds bounds;
    SYNOD_RETURN_IF_ERROR(c_->run([&](pqxx::work& tx) -> Status {
      pqxx::result base = tx.exec_prepared("log_base", node_);
      if (!base.empty()) {
        bounds.base_index = LogIndex(base[0][0].as<std::int64_t>());
        bounds.base_term = Term(base[0][1].as<std::int64_t>());
      }
      pqxx::row b = tx.exec_prepared1("log_bounds", node_);
      auto count = b[0].as<std::int64_t>();
      bounds.last_index = count > 0 ? LogIndex(b[1].as<std::int64_t>()) : bounds.base_index;
      if (count > 0 &&
          (b[2].as<std::int64_t>() != i64(bounds.base_index.value() + 1) ||
           bounds.last_index - bounds.base_index != static_cast<std::uint64_t>(count))) {
        return corruption(
            "table synod_log in postgres " + c_->where() + ": node " + std::to_string(node_) +
            " has " + std::to_string(count) + " entries up to " + bounds.last_index.to_string() +
            ", not a contiguous log after base index " + bounds.base_index.to_string());
      }
      for (const auto& row : tx.exec_prepared("log_runs", node_)) {
        bounds.term_runs[LogIndex(row[0].as<std::int64_t>())] = Term(row[1].as<std::int64_t>());
      }
      return Status::ok();
    }));
    init_bounds(std::move(bounds));
    return Status::ok();
  }

 protected:
  Status db_write(std::span<const Entry> entries, const std::map<LogIndex, Term>&) override {
    std::vector<std::int64_t> idx, term, type, offset, length;
    std::string blob;
    for (const Entry& e : entries) {
      idx.push_back(i64(e.index.value()));
      term.push_back(i64(e.term.value()));
      type.push_back(static_cast<std::int64_t>(e.type));
      offset.push_back(static_cast<std::int64_t>(blob.size()));
      length.push_back(static_cast<std::int64_t>(e.data.size()));
      blob += e.data;
    }
    return c_->run([&](pqxx::work& tx) {
      // Delete-then-insert makes a retried batch (after a commit in doubt) idempotent.
      tx.exec_prepared0("log_delete_from", node_, idx.front());
      tx.exec_prepared0("log_insert", node_, array_literal(idx), array_literal(term),
                        array_literal(type), pqxx::binarystring(blob), array_literal(offset),
                        array_literal(length));
      tx.commit();
      return Status::ok();
    });
  }

  Result<std::vector<Entry>> db_read(LogIndex lo, LogIndex hi,
                                     std::uint64_t max_bytes) const override {
    std::vector<Entry> out;
    SYNOD_RETURN_IF_ERROR(c_->run([&](pqxx::work& tx) {
      std::uint64_t bytes = 0;
      for (const auto& row :
           tx.exec_prepared("log_read", node_, i64(lo.value()), i64(hi.value()))) {
        Entry e{Term(row[1].as<std::int64_t>()), LogIndex(row[0].as<std::int64_t>()),
                static_cast<EntryType>(row[2].as<int>()), bytea(row[3])};
        if (!within_byte_limit(out.size(), bytes, e, max_bytes)) break;
        bytes += e.byte_size();
        out.push_back(std::move(e));
      }
      return Status::ok();
    }));
    return out;
  }

  Status db_truncate(LogIndex from, const std::map<LogIndex, Term>&) override {
    return c_->run([&](pqxx::work& tx) {
      tx.exec_prepared0("log_delete_from", node_, i64(from.value()));
      tx.commit();
      return Status::ok();
    });
  }

  Status db_compact(LogIndex upto, Term term, const std::map<LogIndex, Term>&) override {
    return c_->run([&](pqxx::work& tx) {
      tx.exec_prepared0("log_delete_upto", node_, i64(upto.value()));
      tx.exec_prepared0("log_set_base", node_, i64(upto.value()), i64(term.value()));
      tx.commit();
      return Status::ok();
    });
  }

  Status db_reset(LogIndex index, Term term) override {
    return c_->run([&](pqxx::work& tx) {
      tx.exec_prepared0("log_delete_all", node_);
      tx.exec_prepared0("log_set_base", node_, i64(index.value()), i64(term.value()));
      tx.commit();
      return Status::ok();
    });
  }

 private:
  Connection c_;
  std::int64_t node_;
};

class PostgresStableStore final : public StableStore {
 public:
  PostgresStableStore(Connection c, std::int64_t node)
      : c_(std::move(c)), node_(node), metrics_(kName) {}

  Status save(const StableState& state) override {
    StopWatch watch;
    Status s = c_->run([&](pqxx::work& tx) {
      tx.exec_prepared0("stable_save", node_, i64(state.hard_state.term.value()),
                        i64(state.hard_state.vote.value()), i64(state.hard_state.commit.value()),
                        pqxx::binarystring(state.configuration));
      tx.commit();
      return Status::ok();
    });
    if (s.is_ok()) metrics_.observe_sync(watch.elapsed());
    return metrics_.track("stable", s);
  }

  Result<StableState> load() const override {
    StableState state;
    SYNOD_RETURN_IF_ERROR(c_->run([&](pqxx::work& tx) {
      pqxx::result r = tx.exec_prepared("stable_load", node_);
      if (!r.empty()) {
        state.hard_state = {Term(r[0][0].as<std::int64_t>()), NodeId(r[0][1].as<std::int64_t>()),
                            LogIndex(r[0][2].as<std::int64_t>())};
        state.configuration = bytea(r[0][3]);
      }
      return Status::ok();
    }));
    return state;
  }

 private:
  Connection c_;
  std::int64_t node_;
  mutable BackendMetrics metrics_;
};

class PostgresSnapshotStore final : public DbSnapshotStore {
 public:
  PostgresSnapshotStore(Connection c, std::int64_t node, std::uint32_t retained)
      : DbSnapshotStore(kName, retained, "table synod_snapshots of postgres " + c->where()),
        c_(std::move(c)),
        node_(node) {}

  Result<std::vector<StoredSnapshotRow>> db_list() const override {
    std::vector<StoredSnapshotRow> out;
    SYNOD_RETURN_IF_ERROR(c_->run([&](pqxx::work& tx) {
      for (const auto& row : tx.exec_prepared("snap_list", node_)) {
        StoredSnapshotRow r;
        r.id = row[0].as<std::uint64_t>();
        r.meta = {LogIndex(row[1].as<std::int64_t>()), Term(row[2].as<std::int64_t>()),
                  bytea(row[3])};
        r.size = row[4].as<std::uint64_t>();
        r.crc = static_cast<std::uint32_t>(row[5].as<std::int64_t>());
        out.push_back(std::move(r));
      }
      return Status::ok();
    }));
    return out;
  }

  Result<std::uint64_t> db_allocate_id() override {
    std::uint64_t id = 0;
    SYNOD_RETURN_IF_ERROR(c_->run([&](pqxx::work& tx) {
      pqxx::row r = tx.exec_prepared1("snap_max_id", node_);
      std::uint64_t stored = r[0].is_null() ? 1 : r[0].as<std::uint64_t>() + 1;
      next_id_ = std::max(next_id_, stored);
      id = next_id_++;
      return Status::ok();
    }));
    return id;
  }

  Status db_put_chunk(std::uint64_t id, std::uint64_t seq, ByteView data) override {
    return c_->run([&](pqxx::work& tx) {
      tx.exec_prepared0("snap_put_chunk", node_, i64(id), i64(seq),
                        pqxx::binarystring(data.data(), data.size()));
      tx.commit();
      return Status::ok();
    });
  }

  Result<std::optional<Bytes>> db_get_chunk(std::uint64_t id, std::uint64_t seq) const override {
    std::optional<Bytes> out;
    SYNOD_RETURN_IF_ERROR(c_->run([&](pqxx::work& tx) {
      pqxx::result r = tx.exec_prepared("snap_get_chunk", node_, i64(id), i64(seq));
      if (!r.empty()) out = bytea(r[0][0]);
      return Status::ok();
    }));
    return out;
  }

  Status db_publish(const StoredSnapshotRow& r, const std::vector<std::uint64_t>& drop) override {
    return c_->run([&](pqxx::work& tx) {
      tx.exec_prepared0("snap_insert", node_, i64(r.id), i64(r.meta.index.value()),
                        i64(r.meta.term.value()), pqxx::binarystring(r.meta.configuration),
                        i64(r.size), static_cast<std::int64_t>(r.crc));
      for (std::uint64_t id : drop) {
        tx.exec_prepared0("snap_delete", node_, i64(id));
        tx.exec_prepared0("snap_delete_chunks", node_, i64(id));
      }
      tx.commit();
      return Status::ok();
    });
  }

  Status db_delete_unpublished() override {
    return c_->run([&](pqxx::work& tx) {
      tx.exec_prepared0("snap_delete_unpublished", node_);
      tx.commit();
      return Status::ok();
    });
  }

 private:
  Connection c_;
  std::int64_t node_;
  std::uint64_t next_id_ = 1;  // GUARDED_BY(the connection's mutex, held inside run())
};

class PostgresAppliedStateStore final : public AppliedStateStore {
 public:
  PostgresAppliedStateStore(Connection c, std::int64_t node)
      : c_(std::move(c)), node_(node), metrics_(kName) {}

  Status apply_batch(const AppliedBatch& batch) override {
    StopWatch watch;
    Status s = c_->run([&](pqxx::work& tx) -> Status {
      SYNOD_RETURN_IF_ERROR(check_applied_batch(batch, applied_in(tx)));
      if (batch.replace_all) {
        for (Table t : kAllTables) tx.exec_prepared0("clear_" + std::string(table_name(t)), node_);
      }
      for (const RecordOp& op : batch.ops) apply_op(tx, op);
      tx.exec_prepared0("applied_set", node_, i64(batch.applied_index.value()));
      tx.commit();
      return Status::ok();
    });
    if (s.is_ok()) metrics_.observe_sync(watch.elapsed());
    if (s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kFailedPrecondition) {
      return s;
    }
    return metrics_.track("applied", s);
  }

  Result<LogIndex> applied_index() const override {
    LogIndex out;
    SYNOD_RETURN_IF_ERROR(c_->run([&](pqxx::work& tx) {
      out = applied_in(tx);
      return Status::ok();
    }));
    return out;
  }

  Status load_all(const Visitor& visitor) const override {
    for (Table t : kAllTables) {
      std::vector<Record> records;
      SYNOD_RETURN_IF_ERROR(c_->run([&](pqxx::work& tx) {
        const auto& columns = table_schema(t).columns;
        for (const auto& row : tx.exec_prepared("select_" + std::string(table_name(t)), node_)) {
          Record r;
          r.key = row[0].as<std::string>();
          for (std::size_t c = 0; c < columns.size(); ++c) {
            const pqxx::field f = row[static_cast<int>(c) + 1];
            if (f.is_null()) {
              r.columns.emplace_back(std::monostate{});
            } else if (columns[c].type == ColumnType::kInteger) {
              r.columns.emplace_back(f.as<std::int64_t>());
            } else {
              r.columns.emplace_back(f.as<std::string>());
            }
          }
          r.value = bytea(row[static_cast<int>(columns.size()) + 1]);
          records.push_back(std::move(r));
        }
        return Status::ok();
      }));
      for (const Record& r : records) SYNOD_RETURN_IF_ERROR(visitor(t, r));
    }
    return Status::ok();
  }

 private:
  LogIndex applied_in(pqxx::work& tx) const {
    pqxx::result r = tx.exec_prepared("applied_get", node_);
    return r.empty() ? LogIndex(0) : LogIndex(r[0][0].as<std::int64_t>());
  }

  void apply_op(pqxx::work& tx, const RecordOp& op) {
    std::string name(table_name(op.table));
    if (!op.record) {
      tx.exec_prepared0("delete_" + name, node_, op.key);
      return;
    }
    Record r = normalized_record(op.table, *op.record, op.key);
    // Columns travel as text (NULL as a null pointer); the server casts them.
    std::vector<std::string> text(r.columns.size());
    std::vector<const char*> params;
    for (std::size_t i = 0; i < r.columns.size(); ++i) {
      if (const auto* v = std::get_if<std::int64_t>(&r.columns[i])) {
        text[i] = std::to_string(*v);
        params.push_back(text[i].c_str());
      } else if (const auto* s = std::get_if<std::string>(&r.columns[i])) {
        params.push_back(s->c_str());
      } else {
        params.push_back(nullptr);
      }
    }
    tx.exec_prepared0("upsert_" + name, node_, r.key, pqxx::prepare::make_dynamic_params(params),
                      pqxx::binarystring(r.value));
  }

  Connection c_;
  std::int64_t node_;
  BackendMetrics metrics_;
};

using PostgresBackend = DbBackend<PostgresLogStore, PostgresStableStore, PostgresSnapshotStore,
                                  PostgresAppliedStateStore>;

}  // namespace

Result<std::unique_ptr<StorageBackend>> open_postgres_backend(const BackendOptions& options) {
  if (options.postgres_url.empty()) {
    return invalid_argument("postgres backend: persistence.postgres.url is empty");
  }
  BackendMetrics metrics(kName);
  auto c = std::make_shared<PostgresConnection>(options.postgres_url, options.reconnect_interval);
  SYNOD_RETURN_IF_ERROR(metrics.track("open", c->connect()));
  SYNOD_RETURN_IF_ERROR(metrics.track("open", init_schema(*c)));
  prepare_statements(*c);
  auto backend = std::make_unique<PostgresBackend>(kName, c, i64(options.node_id.value()),
                                                   options.snapshots_retained);
  SYNOD_RETURN_IF_ERROR(metrics.track("open", backend->load()));
  return std::unique_ptr<StorageBackend>(std::move(backend));
}

SYNOD_REGISTER_STORAGE_BACKEND(postgres, open_postgres_backend);

}  // namespace synod::persistence
