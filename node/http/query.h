// Parsing of request targets and of the query parameters Consul clients send.
//
// All functions are pure (no I/O), so they are unit-tested and fuzzable on
// their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/http/http_message.h"

namespace synod::node::http {

// Percent-decodes `in`. With `plus_is_space` ('+' -> ' ', for query strings).
// InvalidArgument on a truncated or non-hex escape.
Result<std::string> percent_decode(std::string_view in, bool plus_is_space);

// Splits "a=1&b&c=x%20y" into decoded pairs; a name without '=' maps to "".
Result<QueryParams> parse_query(std::string_view raw_query);

// Go/Consul duration syntax: a sequence of decimal numbers with units
// ("300ms", "1.5h", "1m30s"; units ns, us, µs, ms, s, m, h); "0" alone is
// allowed without a unit. No sign. InvalidArgument otherwise.
Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text);

// A non-negative decimal integer that fits in uint64; InvalidArgument otherwise.
Result<std::uint64_t> parse_u64(std::string_view text);

// How a read may be served (Consul's consistency modes).
enum class Consistency {
  kDefault,     // linearizable via ReadIndex on the leader (synod's default)
  kConsistent,  // ?consistent: linearizable, leadership verified with a quorum round
  kStale,       // ?stale: any node answers from local state
};

// Blocking-query limits, as Consul has them.
inline constexpr std::chrono::minutes kDefaultBlockingWait{5};
inline constexpr std::chrono::minutes kMaxBlockingWait{10};

// The query parameters shared by every read endpoint.
struct QueryOptions {
  Consistency consistency = Consistency::kDefault;
  std::uint64_t min_index = 0;                          // ?index=; 0: do not block
  std::chrono::nanoseconds wait{kDefaultBlockingWait};  // ?wait=, capped at 10 min
  [[nodiscard]] bool blocking() const { return min_index > 0; }
};

// Reads ?index, ?wait, ?stale, ?consistent. InvalidArgument with Consul's
// message on a bad index or wait, or on ?stale together with ?consistent.
Result<QueryOptions> parse_query_options(const HttpRequest& request);

// An optional uint64 query parameter (?cas=, ?flags=): nullopt if absent,
// InvalidArgument naming the parameter if present but not a number.
Result<std::optional<std::uint64_t>> optional_u64_param(const HttpRequest& request,
                                                        std::string_view name);

// Consul's reading of a boolean flag: present with "" or anything but
// "false"/"0" means true.
bool flag_param(const HttpRequest& request, std::string_view name);

}  // namespace synod::node::http
