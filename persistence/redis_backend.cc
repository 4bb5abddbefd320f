#include "persistence/redis_backend.h"

#include <algorithm>
#include <cstdio>

#include "common/metrics.h"
#include "persistence/db_backend.h"
#include "persistence/db_codec.h"
#include "persistence/db_log_store.h"
#include "persistence/db_snapshot_store.h"
#include "persistence/redis_connection.h"
#include "persistence/store_checks.h"

namespace synod::persistence {
namespace {

constexpr std::string_view kName = "redis";
constexpr std::uint64_t kFieldsPerCommand = 1000;
using Connection = std::shared_ptr<RedisConnection>;

std::string str(std::uint64_t v) { return std::to_string(v); }
std::uint64_t to_u64(const std::string& s) { return s.empty() ? 0 : std::stoull(s); }

// Commands that delete hash fields [lo, hi] of key, a bounded number per command.
void add_hdel_range(std::vector<RedisCommand>& cmds, const std::string& key, std::uint64_t lo,
                    std::uint64_t hi) {
  for (std::uint64_t start = lo; start <= hi; start += kFieldsPerCommand) {
    RedisCommand cmd = {"HDEL", key};
    for (std::uint64_t i = start; i <= std::min(hi, start + kFieldsPerCommand - 1); ++i) {
      cmd.push_back(str(i));
    }
    cmds.push_back(std::move(cmd));
  }
}

Bytes encode_runs(const std::map<LogIndex, Term>& runs) {
  Bytes out;
  for (const auto& [index, term] : runs) {
    put_u64(out, index.value());
    put_u64(out, term.value());
  }
  return out;
}

class RedisLogStore final : public DbLogStore {
 public:
  RedisLogStore(Connection c, std::string prefix)
      : DbLogStore(kName),
        c_(std::move(c)),
        log_(prefix + "log"),
        meta_(prefix + "log_meta"),
        terms_(prefix + "log_terms") {}

  Status load() {
    SYNOD_ASSIGN_OR_RETURN(auto replies,
                           c_->pipeline({{"HMGET", meta_, "base_index", "base_term", "last_index"},
                                         {"GET", terms_},
                                         {"HLEN", log_}}));
    const redisReply* meta = replies[0].get();
    StoredLogBounds bounds;
    bounds.base_index = LogIndex(to_u64(reply_string(meta->element[0])));
    bounds.base_term = Term(to_u64(reply_string(meta->element[1])));
    bounds.last_index =
        LogIndex(std::max(to_u64(reply_string(meta->element[2])), bounds.base_index.value()));
    ByteReader runs(reply_string(replies[1].get()));
    while (!runs.done()) {
      auto index = runs.u64();
      auto term = runs.u64();
      if (!index || !term) return corruption("redis key " + terms_ + " is malformed");
      bounds.term_runs[LogIndex(*index)] = Term(*term);
    }
    auto count = static_cast<std::uint64_t>(replies[2]->integer);
    if (count != bounds.last_index - bounds.base_index) {
      return corruption("redis key " + log_ + " on " + c_->where() + " holds " + str(count) +
                        " entries, " + meta_ + " says (" + bounds.base_index.to_string() + ", " +
                        bounds.last_index.to_string() + "]");
    }
    init_bounds(std::move(bounds));
    return Status::ok();
  }

 protected:
  Status db_write(std::span<const Entry> entries, const std::map<LogIndex, Term>& runs) override {
    RedisCommand hset = {"HSET", log_};
    for (const Entry& e : entries) {
      Bytes value;
      encode_entry(value, e);
      hset.push_back(e.index.to_string());
      hset.push_back(std::move(value));
    }
    return c_->transaction({std::move(hset),
                            {"HSET", meta_, "last_index", entries.back().index.to_string()},
                            {"SET", terms_, encode_runs(runs)}});
  }

  Result<std::vector<Entry>> db_read(LogIndex lo, LogIndex hi,
                                     std::uint64_t max_bytes) const override {
    std::vector<Entry> out;
    std::uint64_t bytes = 0;
    for (LogIndex start = lo; start < hi; start += kFieldsPerCommand) {
      LogIndex end = std::min(hi, start + kFieldsPerCommand);
      RedisCommand cmd = {"HMGET", log_};
      for (LogIndex i = start; i < end; ++i) cmd.push_back(i.to_string());
      SYNOD_ASSIGN_OR_RETURN(RedisReply reply, c_->command(cmd));
      for (std::size_t k = 0; k < reply->elements; ++k) {
        LogIndex index = start + k;
        std::string value = reply_string(reply->element[k]);
        ByteReader in(value);
        auto e =
            reply->element[k]->type == REDIS_REPLY_STRING ? decode_entry(in, index) : std::nullopt;
        if (!e) {
          return corruption("redis key " + log_ + " on " + c_->where() + ": entry " +
                            index.to_string() + " is missing or malformed");
        }
        if (!within_byte_limit(out.size(), bytes, *e, max_bytes)) return out;
        bytes += e->byte_size();
        out.push_back(std::move(*e));
      }
    }
    return out;
  }

  Status db_truncate(LogIndex from, const std::map<LogIndex, Term>& runs) override {
    SYNOD_ASSIGN_OR_RETURN(RedisReply last, c_->command({"HGET", meta_, "last_index"}));
    std::vector<RedisCommand> cmds;
    add_hdel_range(cmds, log_, from.value(), to_u64(reply_string(last.get())));
    cmds.push_back({"HSET", meta_, "last_index", from.prev().to_string()});
    cmds.push_back({"SET", terms_, encode_runs(runs)});
    return c_->transaction(cmds);
  }

  Status db_compact(LogIndex upto, Term term, const std::map<LogIndex, Term>& runs) override {
    SYNOD_ASSIGN_OR_RETURN(RedisReply meta,
                           c_->command({"HMGET", meta_, "base_index", "last_index"}));
    std::uint64_t base = to_u64(reply_string(meta->element[0]));
    std::uint64_t last = to_u64(reply_string(meta->element[1]));
    std::vector<RedisCommand> cmds;
    add_hdel_range(cmds, log_, base + 1, std::min(upto.value(), last));
    cmds.push_back({"HSET", meta_, "base_index", upto.to_string(), "base_term", term.to_string(),
                    "last_index", str(std::max(last, upto.value()))});
    cmds.push_back({"SET", terms_, encode_runs(runs)});
    return c_->transaction(cmds);
  }

  Status db_reset(LogIndex index, Term term) override {
    return c_->transaction({{"DEL", log_, terms_},
                            {"HSET", meta_, "base_index", index.to_string(), "base_term",
                             term.to_string(), "last_index", index.to_string()}});
  }

 private:
  Connection c_;
  std::string log_, meta_, terms_;
};

class RedisStableStore final : public StableStore {
 public:
  RedisStableStore(Connection c, const std::string& prefix)
      : c_(std::move(c)), key_(prefix + "stable"), metrics_(kName) {}

  Status save(const StableState& s) override {
    StopWatch watch;
    Status status = c_->command({"HSET", key_, "term", s.hard_state.term.to_string(), "vote",
                                 s.hard_state.vote.to_string(), "commit",
                                 s.hard_state.commit.to_string(), "configuration", s.configuration})
                        .status();
    if (status.is_ok()) metrics_.observe_sync(watch.elapsed());
    return metrics_.track("stable", status);
  }

  Result<StableState> load() const override {
    SYNOD_ASSIGN_OR_RETURN(RedisReply r,
                           c_->command({"HMGET", key_, "term", "vote", "commit", "configuration"}));
    StableState state;
    state.hard_state = {Term(to_u64(reply_string(r->element[0]))),
                        NodeId(to_u64(reply_string(r->element[1]))),
                        LogIndex(to_u64(reply_string(r->element[2])))};
    state.configuration = reply_string(r->element[3]);
    return state;
  }

 private:
  Connection c_;
  std::string key_;
  mutable BackendMetrics metrics_;
};

class RedisSnapshotStore final : public DbSnapshotStore {
 public:
  RedisSnapshotStore(Connection c, const std::string& prefix, std::uint32_t retained)
      : DbSnapshotStore(kName, retained, "redis key " + prefix + "snapshots on " + c->where()),
        c_(std::move(c)),
        prefix_(prefix),
        index_(prefix + "snapshots"),
        unpublished_(prefix + "snapshots_unpublished") {}

  Result<std::vector<StoredSnapshotRow>> db_list() const override {
    SYNOD_ASSIGN_OR_RETURN(RedisReply all, c_->command({"HGETALL", index_}));
    std::vector<StoredSnapshotRow> out;
    for (std::size_t i = 0; i + 1 < all->elements; i += 2) {
      std::string value = reply_string(all->element[i + 1]);
      ByteReader in(value);
      StoredSnapshotRow row;
      row.id = to_u64(reply_string(all->element[i]));
      auto index = in.u64();
      auto term = in.u64();
      auto size = in.u64();
      auto crc = in.u32();
      auto configuration = in.bytes();
      if (!index || !term || !size || !crc || !configuration) {
        return corruption(where() + ": snapshot " + str(row.id) + " metadata is malformed");
      }
      row.meta = {LogIndex(*index), Term(*term), std::string(*configuration)};
      row.size = *size;
      row.crc = *crc;
      out.push_back(std::move(row));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.meta.index != b.meta.index ? a.meta.index > b.meta.index : a.id > b.id;
    });
    return out;
  }

  Result<std::uint64_t> db_allocate_id() override {
    SYNOD_ASSIGN_OR_RETURN(RedisReply r, c_->command({"INCR", prefix_ + "snapshot_next_id"}));
    auto id = static_cast<std::uint64_t>(r->integer);
    // Remembered until published, so an abandoned snapshot's chunks can be found.
    SYNOD_RETURN_IF_ERROR(c_->command({"SADD", unpublished_, str(id)}).status());
    return id;
  }

  Status db_put_chunk(std::uint64_t id, std::uint64_t seq, ByteView data) override {
    return c_->command({"HSET", chunks_key(id), str(seq), std::string(data)}).status();
  }

  Result<std::optional<Bytes>> db_get_chunk(std::uint64_t id, std::uint64_t seq) const override {
    SYNOD_ASSIGN_OR_RETURN(RedisReply r, c_->command({"HGET", chunks_key(id), str(seq)}));
    if (r->type != REDIS_REPLY_STRING) return std::optional<Bytes>();
    return std::optional<Bytes>(reply_string(r.get()));
  }

  Status db_publish(const StoredSnapshotRow& row, const std::vector<std::uint64_t>& drop) override {
    Bytes value;
    put_u64(value, row.meta.index.value());
    put_u64(value, row.meta.term.value());
    put_u64(value, row.size);
    put_u32(value, row.crc);
    put_bytes(value, row.meta.configuration);
    std::vector<RedisCommand> cmds = {{"HSET", index_, str(row.id), value},
                                      {"SREM", unpublished_, str(row.id)}};
    for (std::uint64_t id : drop) {
      cmds.push_back({"HDEL", index_, str(id)});
      cmds.push_back({"DEL", chunks_key(id)});
    }
    return c_->transaction(cmds);
  }

  Status db_delete_unpublished() override {
    SYNOD_ASSIGN_OR_RETURN(RedisReply ids, c_->command({"SMEMBERS", unpublished_}));
    if (ids->elements == 0) return Status::ok();
    std::vector<RedisCommand> cmds;
    for (std::size_t i = 0; i < ids->elements; ++i) {
      std::string id = reply_string(ids->element[i]);
      cmds.push_back({"DEL", prefix_ + "snapshot:" + id});
      cmds.push_back({"SREM", unpublished_, id});
    }
    return c_->transaction(cmds);
  }

 private:
  std::string chunks_key(std::uint64_t id) const { return prefix_ + "snapshot:" + str(id); }

  Connection c_;
  std::string prefix_;
  std::string index_;
  std::string unpublished_;
};

class RedisAppliedStateStore final : public AppliedStateStore {
 public:
  RedisAppliedStateStore(Connection c, const std::string& prefix)
      : c_(std::move(c)), prefix_(prefix), metrics_(kName) {}

  Status apply_batch(const AppliedBatch& batch) override {
    StopWatch watch;
    // One writer at a time (the contract), so the index read here stays valid.
    SYNOD_ASSIGN_OR_RETURN(LogIndex stored, applied_index());
    SYNOD_RETURN_IF_ERROR(check_applied_batch(batch, stored));
    std::vector<RedisCommand> cmds;
    if (batch.replace_all) {
      RedisCommand del = {"DEL"};
      for (Table t : kAllTables) del.push_back(table_key(t));
      cmds.push_back(std::move(del));
    }
    for (const RecordOp& op : batch.ops) {
      if (op.record) {
        Bytes value;
        encode_record(value, normalized_record(op.table, *op.record, op.key));
        cmds.push_back({"HSET", table_key(op.table), op.key, std::move(value)});
      } else {
        cmds.push_back({"HDEL", table_key(op.table), op.key});
      }
    }
    cmds.push_back({"SET", prefix_ + "applied_index", batch.applied_index.to_string()});
    Status s = c_->transaction(cmds);
    if (s.is_ok()) metrics_.observe_sync(watch.elapsed());
    return metrics_.track("applied", s);
  }

  Result<LogIndex> applied_index() const override {
    SYNOD_ASSIGN_OR_RETURN(RedisReply r, c_->command({"GET", prefix_ + "applied_index"}));
    return LogIndex(to_u64(reply_string(r.get())));
  }

  Status load_all(const Visitor& visitor) const override {
    for (Table t : kAllTables) {
      SYNOD_ASSIGN_OR_RETURN(RedisReply all, c_->command({"HGETALL", table_key(t)}));
      std::vector<Record> records;
      for (std::size_t i = 0; i + 1 < all->elements; i += 2) {
        std::string value = reply_string(all->element[i + 1]);
        ByteReader in(value);
        auto record = decode_record(in, reply_string(all->element[i]));
        if (!record) {
          return corruption("redis key " + table_key(t) + " on " + c_->where() + ": record '" +
                            reply_string(all->element[i]) + "' is malformed");
        }
        records.push_back(std::move(*record));
      }
      std::sort(records.begin(), records.end(),
                [](const Record& a, const Record& b) { return a.key < b.key; });
      for (const Record& r : records) SYNOD_RETURN_IF_ERROR(visitor(t, r));
    }
    return Status::ok();
  }

 private:
  std::string table_key(Table t) const { return prefix_ + "applied:" + std::string(table_name(t)); }

  Connection c_;
  std::string prefix_;
  BackendMetrics metrics_;
};

class RedisBackend final : public DbBackend<RedisLogStore, RedisStableStore, RedisSnapshotStore,
                                            RedisAppliedStateStore> {
 public:
  RedisBackend(const Connection& c, const std::string& prefix, std::uint32_t retained)
      : DbBackend(kName, c, prefix, retained), c_(c) {}

  // CONFIG GET appendonly / appendfsync: durable only with yes + always.
  void check_durability(NodeId node) {
    auto replies =
        c_->pipeline({{"CONFIG", "GET", "appendonly"}, {"CONFIG", "GET", "appendfsync"}});
    std::string appendonly, appendfsync;
    if (replies.is_ok()) {
      const auto& r = *replies;
      if (r[0]->elements == 2) appendonly = reply_string(r[0]->element[1]);
      if (r[1]->elements == 2) appendfsync = reply_string(r[1]->element[1]);
    }
    if (!replies.is_ok()) {
      warning_ = "redis " + c_->where() + ": cannot check durability (" +
                 replies.status().message() +
                 "); synod needs appendonly yes + appendfsync always on the server";
    } else if (appendonly != "yes" || appendfsync != "always") {
      warning_ = "redis " + c_->where() + " has appendonly " + appendonly + ", appendfsync " +
                 appendfsync +
                 ": acknowledged writes can be lost in a server crash; set appendonly yes and "
                 "appendfsync always for durability";
    }
    metrics::Registry::global()
        .gauge("synod_persistence_redis_durable",
               "1 if the redis server is configured for durable writes (appendonly yes, "
               "appendfsync always)",
               {{"node", node.to_string()}})
        .set(warning_.empty() ? 1 : 0);
    if (!warning_.empty()) std::fprintf(stderr, "WARNING persistence: %s\n", warning_.c_str());
  }
  [[nodiscard]] const std::string& warning() const { return warning_; }

 private:
  Connection c_;
  std::string warning_;
};

}  // namespace

Result<std::unique_ptr<StorageBackend>> open_redis_backend(const BackendOptions& options) {
  if (options.redis_address.empty()) {
    return invalid_argument("redis backend: persistence.redis.address is empty");
  }
  BackendMetrics metrics(kName);
  auto c = std::make_shared<RedisConnection>(options.redis_address, options.redis_db,
                                             options.redis_password, options.reconnect_interval);
  SYNOD_RETURN_IF_ERROR(metrics.track("open", c->connect()));
  auto backend = std::make_unique<RedisBackend>(c, "synod:" + options.node_id.to_string() + ":",
                                                options.snapshots_retained);
  backend->check_durability(options.node_id);
  SYNOD_RETURN_IF_ERROR(metrics.track("open", backend->load()));
  return std::unique_ptr<StorageBackend>(std::move(backend));
}

std::string redis_durability_warning(const StorageBackend& backend) {
  if (backend.name() != kName) return "";
  return static_cast<const RedisBackend&>(backend).warning();
}

SYNOD_REGISTER_STORAGE_BACKEND(redis, open_redis_backend);

}  // namespace synod::persistence
