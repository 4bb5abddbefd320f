#include "config/values.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace synod::config {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Unit {
  std::string_view name;
  std::uint64_t scale;
};

// Reads one "<digits>[.<digits>]<unit>" part from the front of `text` and
// returns its value in base units, advancing `text`. The unit is the longest
// run of letters after the number and must be in `units` (case-sensitive
// unless `ignore_case`). Fractions must come out whole; overflow fails.
std::optional<std::uint64_t> take_scaled_part(std::string_view& text, const Unit* units,
                                              std::size_t unit_count, bool ignore_case) {
  std::size_t i = 0;
  std::uint64_t whole = 0;
  std::size_t digits = 0;
  for (; i < text.size() && is_digit(text[i]); ++i, ++digits) {
    if (whole > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return std::nullopt;
    whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  std::uint64_t fraction = 0;
  std::uint64_t fraction_scale = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && is_digit(text[i]); ++i, ++digits) {
      if (fraction_scale > std::numeric_limits<std::uint64_t>::max() / 100) return std::nullopt;
      fraction = fraction * 10 + static_cast<std::uint64_t>(text[i] - '0');
      fraction_scale *= 10;
    }
  }
  if (digits == 0) return std::nullopt;
  std::size_t unit_end = i;
  while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
    ++unit_end;
  }
  std::string_view unit_name = text.substr(i, unit_end - i);
  const Unit* unit = nullptr;
  for (std::size_t u = 0; u < unit_count; ++u) {
    if (ignore_case ? iequals(units[u].name, unit_name) : units[u].name == unit_name) {
      unit = &units[u];
    }
  }
  if (unit == nullptr) return std::nullopt;
  if (whole != 0 && unit->scale > std::numeric_limits<std::uint64_t>::max() / whole) {
    return std::nullopt;
  }
  std::uint64_t value = whole * unit->scale;
  if (fraction != 0) {
    // fraction/fraction_scale of a unit must be a whole number of base units.
    if (unit->scale > std::numeric_limits<std::uint64_t>::max() / fraction) return std::nullopt;
    std::uint64_t scaled = fraction * unit->scale;
    if (scaled % fraction_scale != 0) return std::nullopt;
    if (value > std::numeric_limits<std::uint64_t>::max() - scaled / fraction_scale) {
      return std::nullopt;
    }
    value += scaled / fraction_scale;
  }
  text.remove_prefix(unit_end);
  return value;
}

constexpr std::uint64_t kMsPerSecond = 1000;
constexpr std::uint64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr std::uint64_t kMsPerHour = 60 * kMsPerMinute;
// Durations beyond ~285 million years are certainly typos; this also keeps
// the value inside std::chrono::milliseconds' signed 64-bit range.
constexpr std::uint64_t kMaxDurationMs = std::uint64_t{1} << 53;

constexpr std::array<Unit, 4> kDurationUnits{
    {{"ms", 1}, {"s", kMsPerSecond}, {"m", kMsPerMinute}, {"h", kMsPerHour}}};

constexpr std::uint64_t kKiB = 1024;
constexpr std::array<Unit, 10> kByteUnits{{{"", 1},
                                           {"B", 1},
                                           {"KB", 1000},
                                           {"MB", 1000ull * 1000},
                                           {"GB", 1000ull * 1000 * 1000},
                                           {"TB", 1000ull * 1000 * 1000 * 1000},
                                           {"KiB", kKiB},
                                           {"MiB", kKiB* kKiB},
                                           {"GiB", kKiB* kKiB* kKiB},
                                           {"TiB", kKiB* kKiB* kKiB* kKiB}}};

}  // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<bool> parse_bool(std::string_view text) {
  text = trim(text);
  for (std::string_view yes : {"true", "yes", "on"}) {
    if (iequals(text, yes)) return true;
  }
  for (std::string_view no : {"false", "no", "off"}) {
    if (iequals(text, no)) return false;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parse_signed(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim(text);
  if (text == "0") return std::chrono::milliseconds(0);
  if (text.empty()) return std::nullopt;
  std::uint64_t total = 0;
  while (!text.empty()) {
    auto part = take_scaled_part(text, kDurationUnits.data(), kDurationUnits.size(), false);
    if (!part || *part > kMaxDurationMs - total) return std::nullopt;
    total += *part;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(total));
}

std::string format_duration(std::chrono::milliseconds value) {
  auto ms = static_cast<std::uint64_t>(value.count() < 0 ? 0 : value.count());
  if (ms == 0) return "0s";
  std::string out;
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    if (ms >= it->scale) {
      out += std::to_string(ms / it->scale);
      out += it->name;
      ms %= it->scale;
    }
  }
  return out;
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  text = trim(text);
  auto value = take_scaled_part(text, kByteUnits.data(), kByteUnits.size(), true);
  if (!value || !text.empty()) return std::nullopt;
  return value;
}

std::string format_byte_size(std::uint64_t bytes) {
  for (std::string_view unit : {"TiB", "GiB", "MiB", "KiB"}) {
    for (const Unit& candidate : kByteUnits) {
      if (candidate.name == unit && bytes != 0 && bytes % candidate.scale == 0) {
        return std::to_string(bytes / candidate.scale) + std::string(unit);
      }
    }
  }
  return std::to_string(bytes);
}

bool is_host_port(std::string_view text) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (!is_digit(c)) return false;
  }
  if (std::stoul(std::string(port)) > 65535) return false;
  if (host.empty()) return false;
  if (host.front() == '[') {  // [IPv6]
    if (host.size() < 3 || host.back() != ']') return false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    }
    return true;
  }
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

}  // namespace synod::config
