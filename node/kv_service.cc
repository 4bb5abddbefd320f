#include "node/kv_service.h"

#include "consensus/state/command_codec.h"

namespace synod::node {
namespace {

namespace state = consensus::state;
using proto::KvVerb;

http::KvEntry to_http(const state::KvEntry& e) {
  return http::KvEntry{e.key,          e.value,        e.flags,       e.lock_index,
                       e.session,      e.create_index, e.modify_index};
}

KvVerb to_verb(http::TxnVerb verb) {
  switch (verb) {
    case http::TxnVerb::kSet: return proto::KV_SET;
    case http::TxnVerb::kCas: return proto::KV_CAS;
    case http::TxnVerb::kLock: return proto::KV_LOCK;
    case http::TxnVerb::kUnlock: return proto::KV_UNLOCK;
    case http::TxnVerb::kGet: return proto::KV_GET;
    case http::TxnVerb::kGetTree: return proto::KV_GET_TREE;
    case http::TxnVerb::kCheckIndex: return proto::KV_CHECK_INDEX;
    case http::TxnVerb::kCheckSession: return proto::KV_CHECK_SESSION;
    case http::TxnVerb::kCheckNotExists: return proto::KV_CHECK_NOT_EXISTS;
    case http::TxnVerb::kDelete: return proto::KV_DELETE;
    case http::TxnVerb::kDeleteTree: return proto::KV_DELETE_TREE;
    case http::TxnVerb::kDeleteCas: return proto::KV_DELETE_CAS;
  }
  return proto::KV_VERB_UNSPECIFIED;
}

proto::KvOp to_op(const http::TxnOp& op) {
  proto::KvOp out;
  out.set_verb(to_verb(op.verb));
  out.set_key(op.key);
  out.set_value(op.value);
  out.set_flags(op.flags);
  out.set_index(op.index);
  out.set_session(op.session);
  return out;
}

http::TxnResult to_txn_result(const state::TxnOutcome& outcome, std::uint64_t index,
                              http::LeaderView view) {
  http::TxnResult result;
  result.committed = outcome.committed();
  result.index = index;
  result.leader = view;
  for (std::size_t i = 0; i < outcome.results.size(); ++i) {
    result.results.push_back(http::TxnOpResult{i, to_http(outcome.results[i])});
  }
  for (const auto& e : outcome.errors) result.errors.push_back(http::TxnError{e.op_index, e.what});
  return result;
}

// Single-op write: Consul's true/false, or the command's error.
std::function<void(Result<state::ApplyResult>)> bool_reply(std::function<void(Result<bool>)> done) {
  return [done = std::move(done)](Result<state::ApplyResult> r) {
    if (!r.is_ok()) return done(r.status());
    if (!r->status.is_ok()) return done(r->status);
    done(r->ok);
  };
}

}  // namespace

http::LeaderView KvService::leader_view() const {
  http::LeaderView view;
  view.known_leader = raft_.leader() != kNoNode;
  view.last_contact_ms = raft_.last_contact_ms();
  return view;
}

void KvService::with_consistency(http::Consistency consistency, std::function<void(Status)> read) {
  if (consistency == http::Consistency::kStale) return read(Status::ok());
  raft_.read_barrier(std::move(read));
}

http::KvReadResult KvService::read_now(const std::string& key, bool recurse) const {
  http::KvReadResult result;
  const auto& kv = raft_.state().kv();
  if (recurse) {
    auto list = kv.list(key);
    for (const auto* e : list.entries) result.entries.push_back(to_http(*e));
    result.index = list.index;
  } else {
    auto got = kv.get(key);
    if (got.entry != nullptr) result.entries.push_back(to_http(*got.entry));
    result.index = got.index;
  }
  result.leader = leader_view();
  return result;
}

void KvService::get(const std::string& key, const http::KvReadOptions& options,
                    std::function<void(Result<http::KvReadResult>)> done) {
  with_consistency(options.consistency,
                   [this, key, recurse = options.recurse, done = std::move(done)](Status st) {
                     if (!st.is_ok()) return done(st);
                     done(read_now(key, recurse));
                   });
}

void KvService::put(http::KvPut request, std::function<void(Result<bool>)> done) {
  proto::KvOp op;
  if (request.acquire) {
    op = state::kv_lock_op(request.key, *request.acquire, request.value, request.flags);
  } else if (request.release) {
    op = state::kv_unlock_op(request.key, *request.release, request.value, request.flags);
  } else if (request.cas) {
    op = state::kv_cas_op(request.key, request.value, *request.cas, request.flags);
  } else {
    op = state::kv_set_op(request.key, request.value, request.flags);
  }
  raft_.propose(state::make_kv_command(std::move(op)), bool_reply(std::move(done)));
}

void KvService::del(http::KvDelete request, std::function<void(Result<bool>)> done) {
  proto::KvOp op = request.recurse ? state::kv_delete_tree_op(request.key)
                   : request.cas   ? state::kv_delete_cas_op(request.key, *request.cas)
                                   : state::kv_delete_op(request.key);
  raft_.propose(state::make_kv_command(std::move(op)), bool_reply(std::move(done)));
}

void KvService::txn(std::vector<http::TxnOp> ops, http::Consistency read_consistency,
                    std::function<void(Result<http::TxnResult>)> done) {
  std::vector<proto::KvOp> kv_ops;
  bool read_only = true;
  for (const auto& op : ops) {
    kv_ops.push_back(to_op(op));
    read_only = read_only && http::txn_verb_is_read(op.verb);
  }
  if (read_only) {
    auto command = state::make_txn_command(std::move(kv_ops));
    with_consistency(read_consistency, [this, command = std::move(command),
                                        done = std::move(done)](Status st) {
      if (!st.is_ok()) return done(st);
      auto outcome = raft_.state().kv().read_txn(command.kv_txn().ops());
      done(to_txn_result(outcome, raft_.state().kv().table_index(), leader_view()));
    });
    return;
  }
  raft_.propose(state::make_txn_command(std::move(kv_ops)),
                [this, done = std::move(done)](Result<state::ApplyResult> r) {
                  if (!r.is_ok()) return done(r.status());
                  if (!r->status.is_ok()) return done(r->status);
                  done(to_txn_result(r->txn, r->index.value(), leader_view()));
                });
}

}  // namespace synod::node
