// KvBackend: the KV store as the HTTP handlers see it. The node implements
// it over Raft (writes proposed to the leader, reads through ReadIndex or
// local state by consistency mode); MemoryKvBackend (memory_kv_backend.h)
// is the in-process reference implementation used by tests.
//
// Contract shared by every method:
//  - the callback is called exactly once, from any thread;
//  - errors use Status codes the handlers map to HTTP: InvalidArgument 400,
//    NotLeader/Unavailable 503 (no leader, no quorum), Timeout 504, others 500.
//    A failed CAS / lock is NOT an error: it is `false` (put/del) or a
//    non-committed TxnResult.
//  - after a change is applied, the implementation calls
//    notify_kv_change(hub, key, index) (kv_handlers.h) for every key it
//    created, modified or deleted, so blocking queries wake.
//
// Indexes are Raft log indexes. The index of a read (X-Consul-Index) must
// grow whenever the result can have changed: for one key its ModifyIndex,
// or, if absent, the index of the last delete of that key (tombstone) or the
// store's index; for a prefix the highest ModifyIndex among the entries and
// the tombstones under it, or the store's index when that is 0. (Without
// tombstones, deleting the newest key would make the index go backwards and
// a blocking reader would never wake.)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "node/http/cluster_info.h"
#include "node/http/query.h"

namespace synod::node::http {

// One KV entry, Consul's DirEntry.
struct KvEntry {
  std::string key;
  std::string value;             // raw bytes
  std::uint64_t flags = 0;       // opaque to synod
  std::uint64_t lock_index = 0;  // times the key was acquired by a session
  std::string session;           // holder of the lock, "" if none
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  bool operator==(const KvEntry&) const = default;
};

struct KvReadOptions {
  bool recurse = false;  // `key` is a prefix; every entry under it, sorted by key
  Consistency consistency = Consistency::kDefault;
};

struct KvReadResult {
  std::vector<KvEntry> entries;  // empty: not found
  std::uint64_t index = 0;       // see the header comment
  LeaderView leader;             // for X-Consul-KnownLeader / LastContact
};

// PUT /v1/kv/<key>.
struct KvPut {
  std::string key;
  std::string value;
  std::uint64_t flags = 0;
  std::optional<std::uint64_t> cas;  // 0: only if absent; N: only if ModifyIndex == N
  std::optional<std::string>
      acquire;  // take the lock for this session (LockIndex++ when newly taken)
  std::optional<std::string> release;  // drop the lock if this session holds it
};

// DELETE /v1/kv/<key>.
struct KvDelete {
  std::string key;
  bool recurse = false;              // delete every key with this prefix
  std::optional<std::uint64_t> cas;  // only if ModifyIndex == N (absent key: true)
};

// Consul's transaction verbs for KV operations.
enum class TxnVerb {
  kSet,
  kCas,
  kLock,
  kUnlock,
  kGet,
  kGetTree,
  kCheckIndex,
  kCheckSession,
  kCheckNotExists,
  kDelete,
  kDeleteTree,
  kDeleteCas,
};
// "set" <-> kSet etc.; nullopt for an unknown verb.
std::optional<TxnVerb> parse_txn_verb(std::string_view verb);
std::string_view txn_verb_name(TxnVerb verb);
// True for verbs that change nothing (get, get-tree, check-*).
bool txn_verb_is_read(TxnVerb verb);

struct TxnOp {
  TxnVerb verb = TxnVerb::kGet;
  std::string key;
  std::string value;  // raw bytes (decoded from base64)
  std::uint64_t flags = 0;
  std::uint64_t index = 0;  // cas, check-index, delete-cas
  std::string session;      // lock, unlock, check-session
};

struct TxnOpResult {
  std::size_t op_index = 0;  // which op produced it
  KvEntry entry;             // the entry after the op (value kept; handlers strip it)
};

struct TxnError {
  std::size_t op_index = 0;
  std::string what;
};

struct TxnResult {
  bool committed = false;            // false: rolled back, `errors` says why
  std::vector<TxnOpResult> results;  // in op order; set/cas/lock/unlock/get/check-index/
                                     // check-session give one, get-tree one per entry,
                                     // deletes and check-not-exists none
  std::vector<TxnError> errors;
  std::uint64_t index = 0;  // the index the txn applied at (or read at)
  LeaderView leader;
};

class KvBackend {
 public:
  virtual ~KvBackend() = default;

  // Reads one key or, with options.recurse, every key under the prefix.
  virtual void get(const std::string& key, const KvReadOptions& options,
                   std::function<void(Result<KvReadResult>)> done) = 0;
  // true if written; false if a cas/acquire/release condition failed.
  virtual void put(KvPut request, std::function<void(Result<bool>)> done) = 0;
  // true if deleted (or nothing to delete); false if the cas condition failed.
  virtual void del(KvDelete request, std::function<void(Result<bool>)> done) = 0;
  // Applies every op atomically or none. A txn of only read verbs may be
  // served under `read_consistency` without a log entry.
  virtual void txn(std::vector<TxnOp> ops, Consistency read_consistency,
                   std::function<void(Result<TxnResult>)> done) = 0;
  // The leader view for response headers of writes and errors.
  [[nodiscard]] virtual LeaderView leader_view() const = 0;
};

}  // namespace synod::node::http
