// The loader applies the layers in order, collecting every problem instead of
// stopping at the first, so one run of `synod config validate` shows them all.
#include "config/loader.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/schema.h"
#include "config/values.h"

extern char** environ;

namespace synod::config {
namespace {

// Where each key's value came from ("node.yaml:3:5", "SYNOD_RAFT_...",
// "--set"), so cross-field errors can point at the line that set the key.
using Origins = std::map<std::string, std::string, std::less<>>;

class Problems {
 public:
  void add(std::string_view location, std::string_view path, std::string_view message) {
    std::string line(location);
    // "--set raft.x" already names the key; file and env locations do not.
    if (!path.empty() && !location.ends_with(path)) {
      line += (line.empty() ? "" : ": ") + std::string(path);
    }
    line += (line.empty() ? "" : ": ") + std::string(message);
    lines_.push_back(std::move(line));
  }
  [[nodiscard]] bool empty() const { return lines_.empty(); }
  [[nodiscard]] std::string text() const {
    std::string out;
    for (const std::string& line : lines_) out += (out.empty() ? "" : "\n") + line;
    return out;
  }

 private:
  std::vector<std::string> lines_;
};

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

const KeyInfo* find_env_key(std::string_view name) {
  for (const KeyInfo& key : schema()) {
    if (key.env_name() == name) return &key;
  }
  return nullptr;
}

std::string did_you_mean(std::string_view suggestion) {
  return suggestion.empty() ? "" : " (did you mean " + quote(suggestion) + "?)";
}

std::string join_path(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : std::string(prefix) + "." + std::string(name);
}

// For a path that is neither a key nor a section: name its first unknown
// component and suggest the closest sibling.
std::string unknown_path_message(std::string_view path) {
  std::string prefix;
  std::string_view rest = path;
  while (true) {
    std::string_view component = rest.substr(0, rest.find('.'));
    std::string candidate = join_path(prefix, component);
    bool known_section = is_section(candidate) && rest.find('.') != std::string_view::npos;
    if (!known_section) {
      std::string suggestion = closest_match(component, children_of(prefix));
      if (!suggestion.empty()) suggestion = join_path(prefix, suggestion);
      if (prefix.empty()) return "unknown section " + quote(component) + did_you_mean(suggestion);
      return "unknown key " + quote(component) + " in section " + quote(prefix) +
             did_you_mean(suggestion);
    }
    prefix = candidate;
    rest.remove_prefix(component.size() + 1);
  }
}

// "a duration", "an int32", "one of (text, json)": what a key's value must be.
std::string expected_what(const KeyInfo& key) {
  if (key.kind == Kind::kEnum) {
    return "one of (" + allowed_list(key) + ")";
  }
  std::string type = key.type_name();
  return (std::string_view("aeio").find(type.front()) != std::string_view::npos ? "an " : "a ") +
         type;
}

std::string_view node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

std::string mark_location(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// Applies one source layer to the config, recording origins and problems.
class Layer {
 public:
  Layer(NodeConfig& config, Origins& origins, Problems& problems)
      : config_(config), origins_(origins), problems_(problems) {}

  void set_text(const KeyInfo& key, std::string_view text, const std::string& location) {
    finish(key, set_from_text(key, config_, text), location);
  }

  void apply_yaml_file(const std::string& file, const YAML::Node& root) {
    file_ = file;
    if (root.IsNull()) return;
    if (!root.IsMap()) {
      problems_.add(
          mark_location(file, root.Mark()), "",
          "expected a mapping of sections at the top level, got " + std::string(node_kind(root)));
      return;
    }
    apply_yaml_map(root, "");
  }

  void apply_env(const std::map<std::string, std::string>& env) {
    std::vector<std::string> sections = children_of("");
    for (const auto& [name, value] : env) {
      if (!name.starts_with("SYNOD_")) continue;
      // The CLI's own variable (where to send requests), not a config key.
      if (name == "SYNOD_HTTP_ADDR") continue;
      std::string section = lower(name.substr(6, name.find('_', 6) - 6));
      if (std::find(sections.begin(), sections.end(), section) == sections.end()) continue;
      if (const KeyInfo* key = find_env_key(name)) {
        set_text(*key, value, name);
        continue;
      }
      // Suggest by the part after SYNOD_<SECTION>_, compared as a key name.
      std::size_t prefix = 7 + section.size();
      std::map<std::string, std::string> vars_by_suffix;
      for (const KeyInfo& key : schema()) {
        if (key.path.starts_with(section + ".")) {
          vars_by_suffix[lower(key.env_name().substr(prefix))] = key.env_name();
        }
      }
      std::vector<std::string> suffixes;
      for (const auto& entry : vars_by_suffix) suffixes.push_back(entry.first);
      std::string best =
          closest_match(lower(name.size() > prefix ? name.substr(prefix) : ""), suffixes);
      problems_.add(name, "",
                    "unknown config variable: no key of section " + quote(section) +
                        " has this name" + did_you_mean(best.empty() ? "" : vars_by_suffix[best]));
    }
  }

  void apply_override(const std::string& text) {
    std::size_t equals = text.find('=');
    std::string path(equals == std::string::npos ? ""
                                                 : trim(std::string_view(text).substr(0, equals)));
    if (path.empty()) {
      problems_.add("--set " + quote(text), "",
                    "invalid override (expected path=value, e.g. raft.heartbeat_interval=100ms)");
      return;
    }
    const std::string location = "--set " + path;
    std::string_view value = std::string_view(text).substr(equals + 1);
    if (const KeyInfo* key = find_key(path)) {
      set_text(*key, value, location);
      return;
    }
    // One entry of a map key: loadbalance.services.NAME=strategy (NAME may contain dots).
    for (const KeyInfo& map_key : schema()) {
      std::string prefix = std::string(map_key.path) + ".";
      if (map_key.kind != Kind::kStringMap || !path.starts_with(prefix)) continue;
      auto* map = std::get<std::map<std::string, std::string>*>(map_key.field(config_));
      (*map)[path.substr(prefix.size())] = std::string(trim(value));
      finish(map_key, check_value(map_key, config_), location);
      return;
    }
    if (is_section(path)) {
      problems_.add(location, path, "is a section, not a key; set one of its keys instead");
      return;
    }
    problems_.add(location, path, unknown_path_message(path));
  }

 private:
  void finish(const KeyInfo& key, const std::string& error, const std::string& location) {
    origins_[std::string(key.path)] = location;
    if (!error.empty()) problems_.add(location, key.path, error);
  }

  void apply_yaml_map(const YAML::Node& map, const std::string& prefix) {
    std::map<std::string, int> first_line;
    for (const auto& entry : map) {
      const YAML::Node& name_node = entry.first;
      std::string location = mark_location(file_, name_node.Mark());
      if (!name_node.IsScalar()) {
        problems_.add(location, prefix,
                      "keys must be plain names, got " + std::string(node_kind(name_node)));
        continue;
      }
      const std::string& name = name_node.Scalar();
      std::string path = join_path(prefix, name);
      auto [it, inserted] = first_line.emplace(name, name_node.Mark().line + 1);
      if (!inserted) {
        problems_.add(location, path,
                      "duplicate key " + quote(name) + " (first defined at line " +
                          std::to_string(it->second) + ")");
        continue;
      }
      const YAML::Node& value = entry.second;
      if (const KeyInfo* key = find_key(path)) {
        apply_yaml_value(*key, value, location);
      } else if (is_section(path)) {
        if (value.IsMap()) {
          apply_yaml_map(value, path);
        } else if (!value.IsNull()) {
          problems_.add(
              location, path,
              "expected a section (a mapping of keys), got " + std::string(node_kind(value)));
        }
      } else {
        problems_.add(location, path, unknown_path_message(path));
      }
    }
  }

  void apply_yaml_value(const KeyInfo& key, const YAML::Node& value, const std::string& location) {
    if (key.kind == Kind::kStringList || key.kind == Kind::kAddressList) {
      apply_yaml_list(key, value, location);
    } else if (key.kind == Kind::kStringMap) {
      apply_yaml_mapping(key, value, location);
    } else if (value.IsScalar()) {
      set_text(key, value.Scalar(), location);
    } else if (value.IsNull() && std::holds_alternative<std::string*>(key.field(config_))) {
      set_text(key, "", location);
    } else {
      finish(key, "expected " + expected_what(key) + ", got " + std::string(node_kind(value)),
             location);
    }
  }

  void apply_yaml_list(const KeyInfo& key, const YAML::Node& value, const std::string& location) {
    std::vector<std::string> items;
    if (!value.IsNull() && !value.IsSequence()) {
      finish(key, "expected a list, got " + std::string(node_kind(value)), location);
      return;
    }
    for (const YAML::Node& item : value) {
      if (!item.IsScalar()) {
        finish(key, "list items must be scalars, got " + std::string(node_kind(item)),
               mark_location(file_, item.Mark()));
        return;
      }
      items.push_back(item.Scalar());
    }
    *std::get<std::vector<std::string>*>(key.field(config_)) = std::move(items);
    finish(key, check_value(key, config_), location);
  }

  void apply_yaml_mapping(const KeyInfo& key, const YAML::Node& value,
                          const std::string& location) {
    std::map<std::string, std::string> entries;
    if (!value.IsNull() && !value.IsMap()) {
      finish(key, "expected a mapping of name: strategy, got " + std::string(node_kind(value)),
             location);
      return;
    }
    for (const auto& entry : value) {
      std::string entry_location = mark_location(file_, entry.first.Mark());
      if (!entry.first.IsScalar() || !entry.second.IsScalar()) {
        finish(key, "entries must be name: value scalars", entry_location);
        return;
      }
      if (!entries.emplace(entry.first.Scalar(), entry.second.Scalar()).second) {
        finish(key, "duplicate key " + quote(entry.first.Scalar()), entry_location);
        return;
      }
    }
    *std::get<std::map<std::string, std::string>*>(key.field(config_)) = std::move(entries);
    finish(key, check_value(key, config_), location);
  }

  NodeConfig& config_;
  Origins& origins_;
  Problems& problems_;
  std::string file_;
};

// ---- validation -----------------------------------------------------------

long double numeric_value(const KeyInfo& key, const NodeConfig& config) {
  return std::visit(
      [](auto* field) -> long double {
        using T = std::remove_cv_t<std::remove_pointer_t<decltype(field)>>;
        if constexpr (std::is_same_v<T, Millis>) {
          return static_cast<long double>(field->count());
        } else if constexpr (std::is_arithmetic_v<T>) {
          return static_cast<long double>(*field);
        } else {
          return 0;
        }
      },
      key.const_field(config));
}

// `lower` must be below `upper` (strictly, or at most equal).
struct Ordering {
  std::string_view lower;
  std::string_view upper;
  bool strict;
};
constexpr Ordering kOrderings[] = {
    {"raft.heartbeat_interval", "raft.election_timeout", true},
    {"raft.snapshot_trailing", "raft.snapshot_threshold", false},
    {"raft.max_append_bytes", "transport.max_frame_bytes", true},
    {"raft.snapshot_chunk_bytes", "transport.max_frame_bytes", true},
    {"cluster.bootstrap_expect", "cluster.max_voters", false},
    {"transport.reconnect_min", "transport.reconnect_max", false},
    {"gossip.probe_timeout", "gossip.probe_interval", true},
    {"crypto.rekey_grace", "crypto.rekey_interval", true},
};

// A rule over several keys: returns "" or a message about `paths[0]`.
struct Rule {
  std::vector<std::string_view> paths;
  std::string (*check)(const NodeConfig&);
};

std::string backend_needs(const NodeConfig& c, std::string_view backend, const std::string& value) {
  if (c.persistence.backend != backend || !value.empty()) return "";
  return "must be set when persistence.backend is " + std::string(backend);
}

const std::vector<Rule>& rules() {
  static const std::vector<Rule> table = {
      {{"cluster.max_voters"},
       [](const NodeConfig& c) -> std::string {
         std::uint32_t voters = c.cluster.max_voters;
         if (voters >= 1 && voters % 2 == 1) return "";
         return "must be odd and at least 1, got " + std::to_string(voters);
       }},
      {{"persistence.postgres.url", "persistence.backend"},
       [](const NodeConfig& c) {
         return backend_needs(c, "postgres", c.persistence.postgres.url);
       }},
      {{"persistence.redis.address", "persistence.backend"},
       [](const NodeConfig& c) { return backend_needs(c, "redis", c.persistence.redis.address); }},
      {{"compression.zstd_dictionary", "compression.codec", "crypto.enabled"},
       [](const NodeConfig& c) -> std::string {
         if (!c.compression.zstd_dictionary) return "";
         if (c.compression.codec != "zstd") {
           return "needs compression.codec: zstd, got " + c.compression.codec;
         }
         if (!c.crypto.enabled) return "needs crypto.enabled (peer frames are compressed only on "
                                       "encrypted channels)";
         return "";
       }},
      {{"crypto.cluster_key", "crypto.cluster_key_file"},
       [](const NodeConfig& c) -> std::string {
         if (c.crypto.cluster_key.empty() || c.crypto.cluster_key_file.empty()) return "";
         return "set either crypto.cluster_key or crypto.cluster_key_file, not both";
       }},
  };
  return table;
}

// The origin of the first of `paths` that a source set, or "" (defaults).
std::string origin_of(const Origins& origins, const std::vector<std::string_view>& paths) {
  for (std::string_view path : paths) {
    if (auto it = origins.find(path); it != origins.end()) return it->second;
  }
  return "";
}

void check_config(const NodeConfig& config, const Origins& origins, Problems& problems) {
  for (const KeyInfo& key : schema()) {
    if (std::string error = check_value(key, config); !error.empty()) {
      problems.add(origin_of(origins, {key.path}), key.path, error);
    }
  }
  if (!problems.empty()) return;  // the rules below assume each value is sane
  for (const Ordering& order : kOrderings) {
    const KeyInfo& lower = *find_key(order.lower);
    const KeyInfo& upper = *find_key(order.upper);
    long double low = numeric_value(lower, config);
    long double high = numeric_value(upper, config);
    if (order.strict ? low < high : low <= high) continue;
    problems.add(origin_of(origins, {order.lower, order.upper}), order.lower,
                 std::string(order.strict ? "must be less than " : "must not exceed ") +
                     std::string(order.upper) + " (" + format_plain(upper, config) + "), got " +
                     format_plain(lower, config));
  }
  for (const Rule& rule : rules()) {
    if (std::string error = rule.check(config); !error.empty()) {
      problems.add(origin_of(origins, rule.paths), rule.paths.front(), error);
    }
  }
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return env;
}

}  // namespace

Result<NodeConfig> load(const LoadOptions& options) {
  NodeConfig config;
  Origins origins;
  Problems problems;
  Layer layer(config, origins, problems);

  if (!options.file.empty()) {
    std::ifstream in(options.file);
    if (!in) {
      return not_found(options.file + ": cannot read config file: " + std::strerror(errno));
    }
    std::error_code ignored;
    if (std::filesystem::is_directory(options.file, ignored)) {
      return invalid_argument(options.file + ": cannot read config file: it is a directory");
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
      layer.apply_yaml_file(options.file, YAML::Load(text.str()));
    } catch (const YAML::ParserException& e) {
      problems.add(mark_location(options.file, e.mark), "", "YAML syntax error: " + e.msg);
    } catch (const YAML::Exception& e) {
      problems.add(options.file, "", std::string("YAML error: ") + e.what());
    }
  }

  std::map<std::string, std::string> env;
  if (options.use_process_env) env = process_environment();
  for (const auto& [name, value] : options.env) env[name] = value;
  layer.apply_env(env);

  for (const std::string& override_text : options.overrides) layer.apply_override(override_text);

  if (problems.empty()) check_config(config, origins, problems);
  if (!problems.empty()) return invalid_argument(problems.text());
  if (options.resolve_identity) SYNOD_RETURN_IF_ERROR(resolve_identity(config));
  return config;
}

Status validate(const NodeConfig& config) {
  Problems problems;
  check_config(config, {}, problems);
  return problems.empty() ? Status::ok() : invalid_argument(problems.text());
}

std::uint64_t node_id_from_name(std::string_view name) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash == 0 ? 1 : hash;
}

Status resolve_identity(NodeConfig& config) {
  if (config.node.name.empty()) {
    char host[HOST_NAME_MAX + 1] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
      return io_error(std::string("node.name is empty and the host name is unreadable: ") +
                      std::strerror(errno));
    }
    config.node.name = host;
  }
  if (config.node.id == 0) config.node.id = node_id_from_name(config.node.name);
  return Status::ok();
}

}  // namespace synod::config
