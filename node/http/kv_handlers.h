// Consul-compatible KV endpoints (docs/api.md "KV store" and "Transactions"):
//   GET    /v1/kv/<key>  ?recurse ?keys ?separator= ?raw, blocking, consistency
//   PUT    /v1/kv/<key>  ?flags= ?cas= ?acquire= ?release=, body = raw value
//   DELETE /v1/kv/<key>  ?recurse ?cas=
//   PUT    /v1/txn       Consul's transaction JSON (KV operations)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "node/http/kv_backend.h"
#include "node/http/router.h"
#include "node/http/watch_hub.h"

namespace synod::node::http {

struct KvHandlerOptions {
  std::uint64_t max_value_bytes = 512 * 1024;  // Consul's kv_max_value_size
  std::size_t max_txn_ops = 64;                // Consul's txn_max_req_len in ops
};

// `backend` and `hub` must outlive the router.
void register_kv_routes(Router& router, KvBackend& backend, WatchHub& hub,
                        KvHandlerOptions options = {});

// The WatchHub resources KV reads park on.
std::string kv_key_resource(std::string_view key);
std::string kv_prefix_resource(std::string_view prefix);

// Called by the state machine after a change to `key` applied at `index`:
// wakes readers of the key and of every prefix of it.
void notify_kv_change(WatchHub& hub, std::string_view key, std::uint64_t index);

// Consul's ?keys folding: the keys under `prefix`, each cut after the first
// `separator` that follows the prefix (if any), without duplicates, sorted.
std::vector<std::string> fold_keys(const std::vector<KvEntry>& entries, std::string_view prefix,
                                   std::string_view separator);

}  // namespace synod::node::http
