// Text generated from the schema table: the commented default config, the
// effective config, and the Markdown key reference in docs/config.md.
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/schema.h"

namespace synod::config {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t dot = path.find('.');
    parts.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) return parts;
    path.remove_prefix(dot + 1);
  }
}

// "duration, 1ms..1m", "uint32, at least 1", "one of: text, json", "secret".
std::string describe(const KeyInfo& key) {
  std::string out = key.kind == Kind::kEnum ? "one of: " + allowed_list(key) : key.type_name();
  if (key.kind == Kind::kStringMap) out += " of name to one of: " + allowed_list(key);
  if (key.min || key.max) {
    NodeConfig probe;
    auto bound = [&](long double value) {
      // Render a bound through the key's own printer by storing it in a probe.
      std::visit(
          [&](auto* field) {
            using T = std::remove_pointer_t<decltype(field)>;
            if constexpr (std::is_same_v<T, Millis>) {
              *field = Millis(static_cast<std::int64_t>(value));
            } else if constexpr (std::is_arithmetic_v<T>) {
              *field = static_cast<T>(value);
            }
          },
          key.field(probe));
      return format_plain(key, probe);
    };
    if (key.min && key.max) {
      out += ", " + bound(*key.min) + ".." + bound(*key.max);
    } else if (key.min) {
      out += ", at least " + bound(*key.min);
    } else {
      out += ", at most " + bound(*key.max);
    }
  }
  if (key.required) out += ", required";
  if (key.secrecy != Secrecy::kPublic) out += ", secret";
  return out;
}

// Appends "# text" at `indent`, wrapped at word boundaries to fit 100 columns.
void append_comment(std::string& out, const std::string& indent, std::string_view text) {
  constexpr std::size_t kWidth = 100;
  std::string line = indent + "#";
  while (!text.empty()) {
    std::size_t space = text.find(' ');
    std::string_view word = text.substr(0, space);
    if (line.size() > indent.size() + 1 && line.size() + 1 + word.size() > kWidth) {
      out += line + "\n";
      line = indent + "#";
    }
    line += " " + std::string(word);
    text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
  }
  out += line + "\n";
}

// Emits the keys as nested YAML, opening each section when its first key
// appears (the table lists each section's keys together).
std::string render_yaml(const NodeConfig& config, bool comments, bool redact_secrets) {
  std::string out;
  if (comments) {
    out +=
        "# synod node configuration with every key at its default.\n"
        "# Generated from the config schema; docs/config.md describes each key.\n"
        "# Precedence: defaults < this file < SYNOD_<PATH> environment variables\n"
        "# < --set path=value flags. Durations: 150ms, 2s, 1m, 1h30m.\n"
        "# Sizes: 256, 64KiB, 16MiB, 1GiB (KB/MB/GB are powers of 1000).\n";
  }
  std::vector<std::string_view> open;  // the sections currently open
  for (const KeyInfo& key : schema()) {
    std::vector<std::string_view> parts = split_path(key.path);
    std::vector<std::string_view> sections(parts.begin(), parts.end() - 1);
    std::size_t common = 0;
    while (common < open.size() && common < sections.size() && open[common] == sections[common]) {
      ++common;
    }
    for (std::size_t depth = common; depth < sections.size(); ++depth) {
      if (depth == 0 && !out.empty()) out += "\n";
      out += std::string(2 * depth, ' ') + std::string(sections[depth]) + ":\n";
    }
    open = sections;
    std::string indent(2 * sections.size(), ' ');
    if (comments) append_comment(out, indent, std::string(key.doc) + " [" + describe(key) + "]");
    out += indent + std::string(parts.back()) + ": " + format_value(key, config, redact_secrets) +
           "\n";
  }
  return out;
}

std::string escape_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string default_yaml() { return render_yaml(NodeConfig{}, true, false); }

std::string to_yaml(const NodeConfig& config, bool redact_secrets) {
  return render_yaml(config, false, redact_secrets);
}

std::string markdown_reference() {
  const NodeConfig defaults;
  std::string out;
  std::string_view current;
  for (const KeyInfo& key : schema()) {
    std::string_view top = key.path.substr(0, key.path.find('.'));
    if (top != current) {
      current = top;
      out += std::string(out.empty() ? "" : "\n") + "### `" + std::string(top) + "`\n\n" +
             "| Key | Type | Default | Description |\n|---|---|---|---|\n";
    }
    out += "| `" + std::string(key.path) + "` | " + escape_cell(describe(key)) + " | `" +
           escape_cell(format_plain(key, defaults)) + "` | " + escape_cell(key.doc) + " |\n";
  }
  return out;
}

}  // namespace synod::config
