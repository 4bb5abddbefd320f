#include "node/http/memory_kv_backend.h"

#include <algorithm>

#include "node/http/kv_handlers.h"

namespace synod::node::http {
namespace {

bool has_prefix(const std::string& key, const std::string& prefix) {
  return key.compare(0, prefix.size(), prefix) == 0;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

void MemoryKvBackend::invalidate_session(const std::string& session) {
  std::lock_guard lock(mutex_);
  dead_sessions_.insert(session);
}

void MemoryKvBackend::fail_with(Status status) {
  std::lock_guard lock(mutex_);
  failure_ = std::move(status);
}

std::uint64_t MemoryKvBackend::index() const {
  std::lock_guard lock(mutex_);
  return state_.index;
}

std::uint64_t MemoryKvBackend::read_index(const State& state, const std::string& key,
                                          bool recurse) const {
  std::uint64_t index = 0;
  if (!recurse) {
    if (auto it = state.entries.find(key); it != state.entries.end())
      return it->second.modify_index;
    if (auto it = state.tombstones.find(key); it != state.tombstones.end()) index = it->second;
  } else {
    for (auto it = state.entries.lower_bound(key);
         it != state.entries.end() && has_prefix(it->first, key); ++it) {
      index = std::max(index, it->second.modify_index);
    }
    for (auto it = state.tombstones.lower_bound(key);
         it != state.tombstones.end() && has_prefix(it->first, key); ++it) {
      index = std::max(index, it->second);
    }
  }
  return index == 0 ? state.index : index;
}

void MemoryKvBackend::get(const std::string& key, const KvReadOptions& options,
                          std::function<void(Result<KvReadResult>)> done) {
  KvReadResult result;
  {
    std::lock_guard lock(mutex_);
    if (!failure_.is_ok()) return done(failure_);
    if (options.recurse) {
      for (auto it = state_.entries.lower_bound(key);
           it != state_.entries.end() && has_prefix(it->first, key); ++it) {
        result.entries.push_back(it->second);
      }
    } else if (auto it = state_.entries.find(key); it != state_.entries.end()) {
      result.entries.push_back(it->second);
    }
    result.index = read_index(state_, key, options.recurse);
    result.leader = leader_view();
  }
  done(std::move(result));
}

std::optional<std::string> MemoryKvBackend::apply(State& state, const TxnOp& op,
                                                  std::uint64_t index, std::size_t op_index,
                                                  std::vector<TxnOpResult>* results,
                                                  std::set<std::string>* changed) const {
  auto it = state.entries.find(op.key);
  bool exists = it != state.entries.end();
  auto write = [&](const std::string& session, bool bump_lock) {
    KvEntry& e = state.entries[op.key];
    if (!exists) {
      e.key = op.key;
      e.create_index = index;
    }
    e.value = op.value;
    e.flags = op.flags;
    e.modify_index = index;
    e.session = session;
    if (bump_lock) ++e.lock_index;
    state.tombstones.erase(op.key);
    changed->insert(op.key);
    results->push_back({op_index, e});
  };
  auto erase = [&](const std::string& key) {
    state.entries.erase(key);
    state.tombstones[key] = index;
    changed->insert(key);
  };
  switch (op.verb) {
    case TxnVerb::kSet:
      write(exists ? it->second.session : "", false);
      return std::nullopt;
    case TxnVerb::kCas:
      if (op.index == 0 ? exists : (!exists || it->second.modify_index != op.index)) {
        return "failed to set key " + quoted(op.key) + ", index is stale";
      }
      write(exists ? it->second.session : "", false);
      return std::nullopt;
    case TxnVerb::kLock:
      if (dead_sessions_.count(op.session)) return "invalid session " + quoted(op.session);
      if (exists && !it->second.session.empty() && it->second.session != op.session) {
        return "failed to lock key " + quoted(op.key) + ", lock is already held";
      }
      write(op.session, !exists || it->second.session != op.session);
      return std::nullopt;
    case TxnVerb::kUnlock:
      if (!exists || it->second.session != op.session) {
        return "failed to unlock key " + quoted(op.key) +
               ", lock isn't held, or is held by another session";
      }
      write("", false);
      return std::nullopt;
    case TxnVerb::kGet:
      if (!exists) return "key " + quoted(op.key) + " doesn't exist";
      results->push_back({op_index, it->second});
      return std::nullopt;
    case TxnVerb::kGetTree:
      for (auto t = state.entries.lower_bound(op.key);
           t != state.entries.end() && has_prefix(t->first, op.key); ++t) {
        results->push_back({op_index, t->second});
      }
      return std::nullopt;
    case TxnVerb::kCheckIndex:
      if (!exists) return "key " + quoted(op.key) + " doesn't exist";
      if (it->second.modify_index != op.index) {
        return "current modify index " + std::to_string(it->second.modify_index) +
               " != " + std::to_string(op.index);
      }
      results->push_back({op_index, it->second});
      return std::nullopt;
    case TxnVerb::kCheckSession:
      if (!exists) return "key " + quoted(op.key) + " doesn't exist";
      if (it->second.session != op.session) {
        return "failed session check for key " + quoted(op.key) + ", current session " +
               quoted(it->second.session) + " != " + quoted(op.session);
      }
      results->push_back({op_index, it->second});
      return std::nullopt;
    case TxnVerb::kCheckNotExists:
      if (exists) return "key " + quoted(op.key) + " exists";
      return std::nullopt;
    case TxnVerb::kDelete:
      if (exists) erase(op.key);
      return std::nullopt;
    case TxnVerb::kDeleteTree: {
      std::vector<std::string> doomed;
      for (auto t = state.entries.lower_bound(op.key);
           t != state.entries.end() && has_prefix(t->first, op.key); ++t) {
        doomed.push_back(t->first);
      }
      for (const auto& k : doomed) erase(k);
      return std::nullopt;
    }
    case TxnVerb::kDeleteCas:
      if (!exists) return std::nullopt;
      if (it->second.modify_index != op.index) {
        return "failed to delete key " + quoted(op.key) + ", index is stale";
      }
      erase(op.key);
      return std::nullopt;
  }
  return "unknown verb";
}

void MemoryKvBackend::notify(const std::set<std::string>& changed, std::uint64_t index) {
  if (!hub_) return;
  for (const auto& key : changed) notify_kv_change(*hub_, key, index);
}

void MemoryKvBackend::txn(std::vector<TxnOp> ops, Consistency,
                          std::function<void(Result<TxnResult>)> done) {
  TxnResult result;
  std::set<std::string> changed;
  {
    std::lock_guard lock(mutex_);
    if (!failure_.is_ok()) return done(failure_);
    State next = state_;
    std::uint64_t index = state_.index + 1;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (auto error = apply(next, ops[i], index, i, &result.results, &changed)) {
        result.errors.push_back({i, *error});
      }
    }
    result.leader = leader_view();
    if (!result.errors.empty()) {
      result.results.clear();
      result.index = state_.index;
      changed.clear();
    } else {
      result.committed = true;
      if (!changed.empty()) {
        next.index = index;
        state_ = std::move(next);
      }
      result.index = state_.index;
    }
  }
  notify(changed, result.index);
  done(std::move(result));
}

void MemoryKvBackend::put(KvPut request, std::function<void(Result<bool>)> done) {
  TxnOp op;
  op.key = std::move(request.key);
  op.value = std::move(request.value);
  op.flags = request.flags;
  if (request.acquire) {
    op.verb = TxnVerb::kLock;
    op.session = *request.acquire;
  } else if (request.release) {
    op.verb = TxnVerb::kUnlock;
    op.session = *request.release;
  } else if (request.cas) {
    op.verb = TxnVerb::kCas;
    op.index = *request.cas;
  } else {
    op.verb = TxnVerb::kSet;
  }
  {
    std::lock_guard lock(mutex_);
    if (request.acquire && dead_sessions_.count(*request.acquire)) {
      return done(invalid_argument("invalid session " + quoted(*request.acquire)));
    }
  }
  txn({op}, Consistency::kDefault, [done = std::move(done)](Result<TxnResult> r) {
    if (!r) return done(r.status());
    done(r->committed);
  });
}

void MemoryKvBackend::del(KvDelete request, std::function<void(Result<bool>)> done) {
  TxnOp op;
  op.key = std::move(request.key);
  if (request.recurse) {
    op.verb = TxnVerb::kDeleteTree;
  } else if (request.cas) {
    op.verb = TxnVerb::kDeleteCas;
    op.index = *request.cas;
  } else {
    op.verb = TxnVerb::kDelete;
  }
  txn({op}, Consistency::kDefault, [done = std::move(done)](Result<TxnResult> r) {
    if (!r) return done(r.status());
    done(r->committed);
  });
}

}  // namespace synod::node::http
