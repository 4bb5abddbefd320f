// KvService: the Consul KV API (http::KvBackend) over the Raft node.
//
// Writes become state-machine commands proposed through RaftNode (forwarded
// to the leader from a follower). Reads run on the loop thread against the
// local state machine: `?stale` at once; the default and `?consistent`
// after a ReadIndex barrier, so they are linearizable at any node.
#pragma once

#include "node/http/kv_backend.h"
#include "node/raft_node.h"

namespace synod::node {

class KvService final : public http::KvBackend {
 public:
  explicit KvService(RaftNode& raft) : raft_(raft) {}

  void get(const std::string& key, const http::KvReadOptions& options,
           std::function<void(Result<http::KvReadResult>)> done) override;
  void put(http::KvPut request, std::function<void(Result<bool>)> done) override;
  void del(http::KvDelete request, std::function<void(Result<bool>)> done) override;
  void txn(std::vector<http::TxnOp> ops, http::Consistency read_consistency,
           std::function<void(Result<http::TxnResult>)> done) override;
  [[nodiscard]] http::LeaderView leader_view() const override;

 private:
  // Runs `read` now (stale) or after a read barrier.
  void with_consistency(http::Consistency consistency, std::function<void(Status)> read);
  http::KvReadResult read_now(const std::string& key, bool recurse) const;

  RaftNode& raft_;
};

}  // namespace synod::node
