// The config schema table: one descriptor per key of NodeConfig. It is the
// single source of truth from which parsing (file, env, flags), validation,
// the default YAML, to_yaml() and docs/config.md are all derived.
//
// Adding a field to config/node_config.h means adding one line to the table
// in schema_table.cc; tests/config checks the table stays consistent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/node_config.h"

namespace synod::config {

// How a key's value is written and checked. The storage type follows from the
// kind, except kInteger which covers int32, uint32 and uint64 fields.
enum class Kind {
  kBool,         // bool
  kInteger,      // std::int32_t / std::uint32_t / std::uint64_t
  kDouble,       // double
  kString,       // std::string, free text
  kEnum,         // std::string, one of `allowed`
  kAddress,      // std::string, host:port (empty allowed unless required)
  kDuration,     // Millis, "150ms", "1h30m"
  kByteSize,     // std::uint64_t, "64KiB"
  kStringList,   // std::vector<std::string>
  kAddressList,  // std::vector<std::string>, each host:port
  kStringMap,    // std::map<std::string, std::string>, values one of `allowed`
};

// How much of a value may be shown in to_yaml() and messages.
enum class Secrecy {
  kPublic,
  kSecret,       // the whole value is replaced by "<redacted>"
  kUrlPassword,  // a URL whose "user:password@" password part is redacted
};

template <typename T, bool kConst>
using MaybeConstPtr = std::conditional_t<kConst, const T*, T*>;
// A typed pointer to one field of a NodeConfig.
template <bool kConst>
using BasicFieldRef =
    std::variant<MaybeConstPtr<bool, kConst>, MaybeConstPtr<std::int32_t, kConst>,
                 MaybeConstPtr<std::uint32_t, kConst>, MaybeConstPtr<std::uint64_t, kConst>,
                 MaybeConstPtr<double, kConst>, MaybeConstPtr<std::string, kConst>,
                 MaybeConstPtr<Millis, kConst>, MaybeConstPtr<std::vector<std::string>, kConst>,
                 MaybeConstPtr<std::map<std::string, std::string>, kConst>>;
using FieldRef = BasicFieldRef<false>;
using ConstFieldRef = BasicFieldRef<true>;

// One config key. Built with the chained setters in schema_table.cc.
struct KeyInfo {
  std::string_view path;  // "raft.heartbeat_interval"
  FieldRef (*field)(NodeConfig&) = nullptr;
  ConstFieldRef (*const_field)(const NodeConfig&) = nullptr;
  Kind kind = Kind::kString;
  std::string_view doc;                   // one line, no trailing period needed
  std::vector<std::string_view> allowed;  // kEnum values, kStringMap values
  std::optional<long double> min;         // kInteger/kDouble/kByteSize; ms for kDuration
  std::optional<long double> max;
  bool required = false;  // strings/addresses: must not be empty
  Secrecy secrecy = Secrecy::kPublic;

  [[nodiscard]] std::string_view section() const;  // "raft", "persistence.file"
  [[nodiscard]] std::string_view name() const;     // "heartbeat_interval"
  [[nodiscard]] std::string env_name() const;      // "SYNOD_RAFT_HEARTBEAT_INTERVAL"
  [[nodiscard]] std::string type_name() const;     // "duration", "uint32", "enum"...
};

// A key's allowed values joined for messages: "file, sqlite, postgres".
std::string allowed_list(const KeyInfo& key);

// `text` in double quotes with " and \ escaped: YAML-safe, and how messages
// show values ("invalid value \"mysql\"").
std::string quote(std::string_view text);

// Every key, in documentation order (grouped by section).
const std::vector<KeyInfo>& schema();
// The key with this exact dotted path, or nullptr.
const KeyInfo* find_key(std::string_view path);
// True if `path` is a section ("raft", "persistence.postgres") of some key.
bool is_section(std::string_view path);
// The names directly inside section `prefix` ("" = top level): keys and
// subsections, e.g. {"file", "backend", ...} for "persistence".
std::vector<std::string> children_of(std::string_view prefix);

// The candidate closest to `word` (edit distance, or one contains the other),
// or "" when nothing is close enough to be a helpful suggestion.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// Parse `text` (a scalar from YAML, an env var or a flag) into key's field.
// Lists and maps are comma-separated ("a,b", "web=round_robin,db=maglev").
// Returns an error message without location ("invalid duration ...") or "".
// The value is range/enum-checked as well (check_value).
std::string set_from_text(const KeyInfo& key, NodeConfig& config, std::string_view text);
// Checks a stored value against the key's range, allowed values and
// required flag. Returns the error message or "".
std::string check_value(const KeyInfo& key, const NodeConfig& config);

// The value as YAML text: durations and sizes in their unit syntax, strings
// quoted, lists and maps in flow style ("[]", ["a", "b"], {a: "b"}).
std::string format_value(const KeyInfo& key, const NodeConfig& config, bool redact_secrets);
// The same, as plain text for docs ("50ms", "lz4", "(empty)").
std::string format_plain(const KeyInfo& key, const NodeConfig& config);

}  // namespace synod::config
