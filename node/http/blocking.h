// Consul blocking queries on top of WatchHub.
//
// `?index=N&wait=D`: answer as soon as the resource's index is > N, or after
// D (default 5 min, capped at 10, plus a random jitter of up to D/16 so
// many clients do not wake in lock-step), with whatever the resource holds
// then. Without ?index the query is answered at once.
//
// No lost wake-ups: a reader that must park registers its watcher and
// THEN reads again, so a write landing between the first read and the park
// is seen by the second read or wakes the watcher. A wake re-runs the read;
// if the index did not move past N (a spurious wake, or a change that does
// not affect this reader) the request parks again for the time left.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "node/http/http_message.h"
#include "node/http/query.h"
#include "node/http/watch_hub.h"

namespace synod::node::http {

struct BlockingResult {
  HttpResponse response;
  std::uint64_t index = 0;  // the index the read reflects (X-Consul-Index)
  bool final = false;       // answer now whatever the index (errors)
};

// Runs one read and hands its outcome to the callback (once, any thread).
using BlockingQuery = std::function<void(std::function<void(BlockingResult)>)>;

// Serves a read with Consul's blocking semantics, parking on `resources`.
// If `client_gone` fires while the request is parked, the watcher is
// dropped at once (no reply: the connection is closed).
void serve_blocking(WatchHub& hub, std::vector<std::string> resources, const QueryOptions& options,
                    BlockingQuery query, Responder respond,
                    const std::shared_ptr<ClientGone>& client_gone = nullptr);

// The wait actually used for `wait`: wait + uniform jitter in [0, wait/16].
std::chrono::nanoseconds jittered_wait(std::chrono::nanoseconds wait);

}  // namespace synod::node::http
