// Operations over the schema table (schema_table.cc): lookup, parsing a value
// from text, checking and printing it. Kind-specific behaviour lives here once.
#include "config/schema.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <set>

#include "config/values.h"

namespace synod::config {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  text = trim(text);
  if (text.empty()) return out;
  while (true) {
    std::size_t comma = text.find(',');
    out.emplace_back(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::string format_number(long double value, Kind kind) {
  if (kind == Kind::kDuration) return format_duration(Millis(static_cast<std::int64_t>(value)));
  if (kind == Kind::kByteSize) return format_byte_size(static_cast<std::uint64_t>(value));
  if (kind == Kind::kDouble) {
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<double>(value));
    return std::string(buffer, result.ptr);
  }
  if (value < 0) return "-" + std::to_string(static_cast<std::uint64_t>(-value));
  return std::to_string(static_cast<std::uint64_t>(value));
}

// The key's declared range narrowed to what its storage type can hold.
std::pair<long double, long double> effective_range(const KeyInfo& key, const ConstFieldRef& ref) {
  long double low = -std::numeric_limits<long double>::max();
  long double high = std::numeric_limits<long double>::max();
  std::visit(
      [&](auto* field) {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(field)>>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          low = static_cast<long double>(std::numeric_limits<T>::min());
          high = static_cast<long double>(std::numeric_limits<T>::max());
        } else if constexpr (std::is_same_v<T, Millis>) {
          low = 0;
        }
      },
      ref);
  if (key.min) low = std::max(low, *key.min);
  if (key.max) high = std::min(high, *key.max);
  return {low, high};
}

std::string range_error(const KeyInfo& key, const ConstFieldRef& ref, long double value,
                        const std::string& shown) {
  auto [low, high] = effective_range(key, ref);
  if (value >= low && value <= high) return "";
  bool unbounded_above = high >= static_cast<long double>(std::numeric_limits<std::int64_t>::max());
  std::string bounds = unbounded_above ? "must be at least " + format_number(low, key.kind)
                                       : "must be between " + format_number(low, key.kind) +
                                             " and " + format_number(high, key.kind);
  return "value " + shown + " out of range (" + bounds + ")";
}

std::string number_error(const KeyInfo& key, std::string_view text) {
  std::string shown = quote(trim(text));
  switch (key.kind) {
    case Kind::kDuration:
      return "invalid duration " + shown + " (expected e.g. 150ms, 2s, 1m, 1h30m)";
    case Kind::kByteSize:
      return "invalid byte size " + shown + " (expected e.g. 256, 64KiB, 16MiB, 1GiB)";
    case Kind::kDouble:
      return "invalid number " + shown + " (expected e.g. 95 or 99.9)";
    default:
      return "invalid integer " + shown + " (expected a whole number)";
  }
}

// Parses a numeric kind, range-checks it, and stores it.
template <typename T>
std::string store_number(const KeyInfo& key, T* field, std::string_view text,
                         const ConstFieldRef& ref) {
  long double value = 0;
  std::string shown(trim(text));
  if (key.kind == Kind::kDuration) {
    auto parsed = parse_duration(text);
    if (!parsed) return number_error(key, text);
    value = static_cast<long double>(parsed->count());
    shown = format_duration(*parsed);
  } else if (key.kind == Kind::kByteSize) {
    auto parsed = parse_byte_size(text);
    if (!parsed) return number_error(key, text);
    value = static_cast<long double>(*parsed);
  } else if (key.kind == Kind::kDouble) {
    auto parsed = parse_double(text);
    if (!parsed) return number_error(key, text);
    value = *parsed;
  } else if (auto parsed = parse_unsigned(text)) {
    value = static_cast<long double>(*parsed);
  } else if (auto negative = parse_signed(text)) {
    value = static_cast<long double>(*negative);
    if (!std::numeric_limits<T>::is_signed) {
      return "negative value " + shown + " not allowed (expected an unsigned integer)";
    }
  } else {
    return number_error(key, text);
  }
  if (std::string error = range_error(key, ref, value, shown); !error.empty()) return error;
  if constexpr (std::is_same_v<T, Millis>) {
    *field = Millis(static_cast<std::int64_t>(value));
  } else {
    *field = static_cast<T>(value);
  }
  return "";
}

}  // namespace

std::string allowed_list(const KeyInfo& key) {
  std::string out;
  for (std::string_view value : key.allowed) {
    if (!out.empty()) out += ", ";
    out += value;
  }
  return out;
}

std::string_view KeyInfo::section() const { return path.substr(0, path.rfind('.')); }
std::string_view KeyInfo::name() const { return path.substr(path.rfind('.') + 1); }

std::string KeyInfo::env_name() const {
  std::string out = "SYNOD_";
  for (char c : path) {
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string KeyInfo::type_name() const {
  switch (kind) {
    case Kind::kBool:
      return "bool";
    case Kind::kInteger: {
      NodeConfig probe;
      return std::visit(
          [](auto* field) -> std::string {
            using T = std::remove_cv_t<std::remove_pointer_t<decltype(field)>>;
            if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
            if constexpr (std::is_same_v<T, std::uint32_t>) return "uint32";
            return "uint64";
          },
          const_field(probe));
    }
    case Kind::kDouble:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kEnum:
      return "enum";
    case Kind::kAddress:
      return "host:port";
    case Kind::kDuration:
      return "duration";
    case Kind::kByteSize:
      return "byte size";
    case Kind::kStringList:
      return "list of strings";
    case Kind::kAddressList:
      return "list of host:port";
    case Kind::kStringMap:
      return "map";
  }
  return "?";
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

const KeyInfo* find_key(std::string_view path) {
  for (const KeyInfo& key : schema()) {
    if (key.path == path) return &key;
  }
  return nullptr;
}

bool is_section(std::string_view path) {
  if (path.empty()) return true;
  for (const KeyInfo& key : schema()) {
    if (key.path.size() > path.size() && key.path.starts_with(path) &&
        key.path[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::vector<std::string> children_of(std::string_view prefix) {
  std::set<std::string> names;
  for (const KeyInfo& key : schema()) {
    std::string_view rest = key.path;
    if (!prefix.empty()) {
      if (!(rest.size() > prefix.size() && rest.starts_with(prefix) &&
            rest[prefix.size()] == '.')) {
        continue;
      }
      rest.remove_prefix(prefix.size() + 1);
    }
    names.emplace(rest.substr(0, rest.find('.')));
  }
  return {names.begin(), names.end()};
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_score = std::numeric_limits<std::size_t>::max();
  for (const std::string& candidate : candidates) {
    // A misspelt prefix ("heartbeet" for "heartbeat_interval") counts too.
    std::size_t distance = std::min(edit_distance(word, candidate),
                                    edit_distance(word, candidate.substr(0, word.size())) + 1);
    bool related = word.size() >= 3 && (candidate.find(word) != std::string::npos ||
                                        word.find(candidate) != std::string_view::npos);
    std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    if (!related && distance > limit) continue;
    std::size_t score = related ? std::min(distance, limit) : distance;
    if (score < best_score) {
      best_score = score;
      best = candidate;
    }
  }
  return best;
}

std::string check_value(const KeyInfo& key, const NodeConfig& config) {
  ConstFieldRef ref = key.const_field(config);
  return std::visit(
      [&](auto* field) -> std::string {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(field)>>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (field->empty()) return key.required ? "must not be empty" : "";
          if (key.kind == Kind::kAddress && !is_host_port(*field)) {
            return "invalid address " + quote(*field) +
                   " (expected host:port, e.g. 127.0.0.1:8300)";
          }
          if (key.kind == Kind::kEnum &&
              std::find(key.allowed.begin(), key.allowed.end(), *field) == key.allowed.end()) {
            return "invalid value " + quote(*field) + " (allowed: " + allowed_list(key) + ")";
          }
          return "";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          for (const std::string& item : *field) {
            if (item.empty()) return "list items must not be empty";
            // An item may name the node it reaches: "<node id>@host:port".
            std::string_view address = item;
            if (const auto at = address.find('@'); at != std::string_view::npos) {
              const auto id = address.substr(0, at);
              if (id.empty() || id.find_first_not_of("0123456789") != std::string_view::npos) {
                return "invalid node id in " + quote(item) + " (expected id@host:port)";
              }
              address = address.substr(at + 1);
            }
            if (key.kind == Kind::kAddressList && !is_host_port(address)) {
              return "invalid address " + quote(item) +
                     " in list (expected host:port or id@host:port, e.g. 10.0.0.2:8301)";
            }
          }
          return "";
        } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
          for (const auto& [name, value] : *field) {
            if (name.empty()) return "map keys must not be empty";
            if (std::find(key.allowed.begin(), key.allowed.end(), value) == key.allowed.end()) {
              return "invalid value " + quote(value) + " for " + quote(name) +
                     " (allowed: " + allowed_list(key) + ")";
            }
          }
          return "";
        } else if constexpr (std::is_same_v<T, Millis>) {
          return range_error(key, ref, static_cast<long double>(field->count()),
                             format_duration(*field));
        } else if constexpr (std::is_same_v<T, bool>) {
          return "";
        } else {
          return range_error(key, ref, static_cast<long double>(*field),
                             format_number(static_cast<long double>(*field), key.kind));
        }
      },
      ref);
}

std::string set_from_text(const KeyInfo& key, NodeConfig& config, std::string_view text) {
  ConstFieldRef ref = key.const_field(config);
  std::string error = std::visit(
      [&](auto* field) -> std::string {
        using T = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<T, bool>) {
          auto parsed = parse_bool(text);
          if (!parsed) {
            return "invalid boolean " + quote(trim(text)) + " (expected true or false)";
          }
          *field = *parsed;
          return "";
        } else if constexpr (std::is_same_v<T, std::string>) {
          // Free text is kept as given; names and addresses lose stray spaces.
          *field = std::string(key.kind == Kind::kString ? text : trim(text));
          return "";
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          *field = split_list(text);
          return "";
        } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
          field->clear();
          for (const std::string& entry : split_list(text)) {
            std::size_t equals = entry.find('=');
            if (equals == std::string::npos) {
              return "invalid map entry " + quote(entry) + " (expected name=strategy)";
            }
            (*field)[std::string(trim(std::string_view(entry).substr(0, equals)))] =
                std::string(trim(std::string_view(entry).substr(equals + 1)));
          }
          return "";
        } else {
          return store_number(key, field, text, ref);
        }
      },
      key.field(config));
  if (!error.empty()) return error;
  return check_value(key, config);
}

std::string format_value(const KeyInfo& key, const NodeConfig& config, bool redact_secrets) {
  return std::visit(
      [&](auto* field) -> std::string {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(field)>>;
        if constexpr (std::is_same_v<T, bool>) {
          return *field ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!redact_secrets || field->empty() || key.secrecy == Secrecy::kPublic) {
            return quote(*field);
          }
          if (key.secrecy == Secrecy::kSecret) return quote("<redacted>");
          // kUrlPassword: scheme://user:PASSWORD@host -> scheme://user:<redacted>@host
          std::size_t scheme = field->find("://");
          std::size_t at = field->find('@', scheme == std::string::npos ? 0 : scheme + 3);
          std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
          std::size_t colon = field->find(':', start);
          if (at == std::string::npos || colon == std::string::npos || colon > at) {
            return quote(*field);
          }
          return quote(field->substr(0, colon + 1) + "<redacted>" + field->substr(at));
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string out = "[";
          for (const std::string& item : *field) {
            out += (out.size() > 1 ? ", " : "") + quote(item);
          }
          return out + "]";
        } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
          std::string out = "{";
          for (const auto& [name, value] : *field) {
            out += (out.size() > 1 ? ", " : "") + quote(name) + ": " + quote(value);
          }
          return out + "}";
        } else if constexpr (std::is_same_v<T, Millis>) {
          return format_duration(*field);
        } else {
          return format_number(static_cast<long double>(*field), key.kind);
        }
      },
      key.const_field(config));
}

std::string format_plain(const KeyInfo& key, const NodeConfig& config) {
  std::string text = format_value(key, config, true);
  if (text == "\"\"" || text == "[]" || text == "{}") return "(empty)";
  if (text.size() >= 2 && text.front() == '"') return text.substr(1, text.size() - 2);
  return text;
}

}  // namespace synod::config
