#include "node/http/query.h"

#include <cmath>
#include <limits>

namespace synod::node::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Nanoseconds per unit for the Go duration suffixes.
std::optional<double> unit_nanos(std::string_view unit) {
  if (unit == "ns") return 1.0;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1e3;  // µ (two spellings)
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return std::nullopt;
}

}  // namespace

Result<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return invalid_argument("truncated percent escape");
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return invalid_argument("invalid percent escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<QueryParams> parse_query(std::string_view raw_query) {
  QueryParams params;
  while (!raw_query.empty()) {
    std::size_t amp = raw_query.find('&');
    std::string_view part = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
    if (part.empty()) continue;
    std::size_t eq = part.find('=');
    SYNOD_ASSIGN_OR_RETURN(std::string name, percent_decode(part.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      SYNOD_ASSIGN_OR_RETURN(value, percent_decode(part.substr(eq + 1), true));
    }
    params.emplace(std::move(name), std::move(value));
  }
  return params;
}

Result<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return invalid_argument("empty duration");
  const std::string original(text);
  double total = 0;
  while (!text.empty()) {
    // The number: digits with at most one '.', at least one digit.
    std::size_t i = 0;
    double whole = 0, fraction = 0, scale = 1;
    bool digits = false, dot = false;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (c >= '0' && c <= '9') {
        digits = true;
        if (dot) {
          scale /= 10;
          fraction += (c - '0') * scale;
        } else {
          whole = whole * 10 + (c - '0');
        }
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
    }
    if (!digits) return invalid_argument("invalid duration \"" + original + "\"");
    std::size_t j = i;
    while (j < text.size() && !(text[j] >= '0' && text[j] <= '9') && text[j] != '.') ++j;
    auto nanos = unit_nanos(text.substr(i, j - i));
    if (!nanos)
      return invalid_argument("invalid duration \"" + original + "\": unknown or missing unit");
    total += (whole + fraction) * *nanos;
    text = text.substr(j);
  }
  if (total > static_cast<double>(std::numeric_limits<std::int64_t>::max())) {
    return invalid_argument("invalid duration \"" + original + "\": too large");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(total)));
}

Result<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.size() > 20) return invalid_argument("not a number");
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return invalid_argument("not a number");
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
      return invalid_argument("number out of range");
    }
    v = v * 10 + d;
  }
  return v;
}

Result<QueryOptions> parse_query_options(const HttpRequest& request) {
  QueryOptions options;
  bool stale = request.has_query("stale");
  bool consistent = request.has_query("consistent");
  if (stale && consistent) {
    return invalid_argument("Cannot specify ?stale with ?consistent, conflicting semantics.");
  }
  if (stale) options.consistency = Consistency::kStale;
  if (consistent) options.consistency = Consistency::kConsistent;
  if (auto index = request.query_value("index"); index && !index->empty()) {
    auto parsed = parse_u64(*index);
    if (!parsed) return invalid_argument("Invalid index");
    options.min_index = *parsed;
  }
  if (auto wait = request.query_value("wait"); wait && !wait->empty()) {
    auto parsed = parse_go_duration(*wait);
    if (!parsed) return invalid_argument("Invalid wait time");
    options.wait = *parsed;
  }
  if (options.wait > kMaxBlockingWait) options.wait = kMaxBlockingWait;
  return options;
}

Result<std::optional<std::uint64_t>> optional_u64_param(const HttpRequest& request,
                                                        std::string_view name) {
  auto value = request.query_value(name);
  if (!value) return std::optional<std::uint64_t>{};
  auto parsed = parse_u64(*value);
  if (!parsed)
    return invalid_argument("Invalid " + std::string(name) + " value: \"" + *value + "\"");
  return std::optional<std::uint64_t>{*parsed};
}

bool flag_param(const HttpRequest& request, std::string_view name) {
  auto value = request.query_value(name);
  if (!value) return false;
  return *value != "false" && *value != "0";
}

}  // namespace synod::node::http
