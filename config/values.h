// The text syntax of config values, shared by the YAML file, SYNOD_* environment
// variables and `--set path=value` flags: one parser per value type, plus the
// printers that render a value back in a form its parser accepts.
//
// Parsers return std::nullopt on malformed text; the caller (config/schema.cc)
// turns that into a message naming the key. None of them throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synod::config {

// "true"/"false", also yes/no and on/off (any case).
std::optional<bool> parse_bool(std::string_view text);

// A base-10 integer, optional leading '-' (signed) or '+'. No range check
// beyond what fits in 64 bits.
std::optional<std::int64_t> parse_signed(std::string_view text);
std::optional<std::uint64_t> parse_unsigned(std::string_view text);  // rejects '-'

// A finite decimal number ("95", "99.9", "1e3").
std::optional<double> parse_double(std::string_view text);

// A duration: one or more <number><unit> parts, unit ms, s, m or h, e.g.
// "150ms", "2s", "1.5s", "72h", "1h30m"; "0" alone is zero. The result must
// be a whole number of milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// The shortest form parse_duration reads back exactly: "50ms", "1m30s", "72h".
std::string format_duration(std::chrono::milliseconds value);

// A byte size: <number>[unit]; units B, KB/MB/GB/TB (powers of 1000) and
// KiB/MiB/GiB/TiB (powers of 1024), any letter case; "1.5MiB" allowed when
// the result is a whole number of bytes.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);
// The largest binary unit that divides exactly: "16KiB", "1GiB", "300".
std::string format_byte_size(std::uint64_t bytes);

// host:port where host is a name, an IPv4 address or a bracketed IPv6
// address ("[::1]:8300") and port is 0..65535 (0: pick any free port).
bool is_host_port(std::string_view text);

// `text` with leading and trailing ASCII whitespace removed.
std::string_view trim(std::string_view text);

}  // namespace synod::config
