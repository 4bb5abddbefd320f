#include "node/http/filter.h"

#include <cctype>
#include <cstdlib>
#include <optional>
#include <regex>
#include <variant>
#include <vector>

#include "common/beast.h"

namespace synod::node::http {

using nlohmann::ordered_json;

// One node of the parsed expression tree.
struct Filter::Node {
  enum class Kind { kOr, kAnd, kNot, kEqual, kContains, kMatches, kEmpty };
  Kind kind = Kind::kOr;
  std::vector<std::shared_ptr<const Node>> children;  // kOr, kAnd, kNot
  // One selector step: an object key (arrays are walked element-wise).
  std::vector<std::string> selector;
  std::string value;
  std::shared_ptr<const std::regex> regex;  // kMatches
  bool negate = false;                      // !=, not in, not contains, is not empty, ...
};

namespace {

using Node = Filter::Node;
using NodePtr = std::shared_ptr<const Node>;

enum class TokenKind {
  kEnd,
  kLeftParen,
  kRightParen,
  kLeftBracket,
  kRightBracket,
  kDot,
  kEq,
  kNe,
  kString,
  kWord
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  std::size_t position = 0;
};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == ':' ||
         c == '/' || c == '@' || c == '+';
}

Result<std::vector<Token>> tokenize(std::string_view in) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto error = [&](std::string what) {
    return invalid_argument(what + " at position " + std::to_string(i));
  };
  while (i < in.size()) {
    const char c = in[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
      continue;
    }
    Token token;
    token.position = i;
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == '.') {
      token.kind = c == '('   ? TokenKind::kLeftParen
                   : c == ')' ? TokenKind::kRightParen
                   : c == '[' ? TokenKind::kLeftBracket
                   : c == ']' ? TokenKind::kRightBracket
                              : TokenKind::kDot;
      ++i;
    } else if ((c == '=' || c == '!') && i + 1 < in.size() && in[i + 1] == '=') {
      token.kind = c == '=' ? TokenKind::kEq : TokenKind::kNe;
      i += 2;
    } else if (c == '"' || c == '`') {
      token.kind = TokenKind::kString;
      ++i;
      bool closed = false;
      while (i < in.size()) {
        if (in[i] == c) {
          closed = true;
          ++i;
          break;
        }
        if (c == '"' && in[i] == '\\' && i + 1 < in.size()) ++i;  // \" and \\ escapes
        token.text.push_back(in[i]);
        ++i;
      }
      if (!closed) return error("unterminated string");
    } else if (is_word_char(c)) {
      token.kind = TokenKind::kWord;
      // A word that starts like a number keeps its dots (1.5, 10.0.0.1).
      const bool numeric = std::isdigit(static_cast<unsigned char>(c)) != 0;
      while (i < in.size() && (is_word_char(in[i]) || (numeric && in[i] == '.'))) {
        token.text.push_back(in[i]);
        ++i;
      }
    } else {
      return error(std::string("unexpected character '") + c + "'");
    }
    out.push_back(std::move(token));
  }
  out.push_back(Token{TokenKind::kEnd, "", in.size()});
  return out;
}

bool is_keyword(const Token& token) {
  static const char* const kKeywords[] = {"and",      "or", "not",   "in",
                                          "contains", "is", "empty", "matches"};
  if (token.kind != TokenKind::kWord) return false;
  for (const char* k : kKeywords) {
    if (token.text == k) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<NodePtr> parse() {
    SYNOD_ASSIGN_OR_RETURN(NodePtr root, parse_or());
    if (peek().kind != TokenKind::kEnd) return error("unexpected '" + peek().text + "'");
    return root;
  }

 private:
  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool at_word(std::string_view word) const {
    return peek().kind == TokenKind::kWord && peek().text == word;
  }
  Status error(std::string what) const {
    return invalid_argument(what + " at position " + std::to_string(peek().position));
  }

  Result<NodePtr> parse_or() { return parse_chain("or", Node::Kind::kOr, &Parser::parse_and); }
  Result<NodePtr> parse_and() { return parse_chain("and", Node::Kind::kAnd, &Parser::parse_unary); }

  Result<NodePtr> parse_chain(std::string_view word, Node::Kind kind,
                              Result<NodePtr> (Parser::*operand)()) {
    SYNOD_ASSIGN_OR_RETURN(NodePtr first, (this->*operand)());
    if (!at_word(word)) return first;
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->children.push_back(std::move(first));
    while (at_word(word)) {
      next();
      SYNOD_ASSIGN_OR_RETURN(NodePtr more, (this->*operand)());
      node->children.push_back(std::move(more));
    }
    return NodePtr(node);
  }

  Result<NodePtr> parse_unary() {
    if (at_word("not")) {
      next();
      SYNOD_ASSIGN_OR_RETURN(NodePtr inner, parse_unary());
      auto node = std::make_shared<Node>();
      node->kind = Node::Kind::kNot;
      node->children.push_back(std::move(inner));
      return NodePtr(node);
    }
    if (peek().kind == TokenKind::kLeftParen) {
      next();
      SYNOD_ASSIGN_OR_RETURN(NodePtr inner, parse_or());
      if (peek().kind != TokenKind::kRightParen) return error("expected ')'");
      next();
      return inner;
    }
    return parse_match();
  }

  // A value: a quoted string, or a bare word / number.
  Result<std::string> parse_value() {
    if (peek().kind == TokenKind::kString ||
        (peek().kind == TokenKind::kWord && !is_keyword(peek()))) {
      return next().text;
    }
    return error("expected a value");
  }

  Result<std::vector<std::string>> parse_selector() {
    if (peek().kind != TokenKind::kWord || is_keyword(peek())) return error("expected a selector");
    std::vector<std::string> path{next().text};
    for (;;) {
      if (peek().kind == TokenKind::kDot) {
        next();
        if (peek().kind != TokenKind::kWord) return error("expected a name after '.'");
        path.push_back(next().text);
      } else if (peek().kind == TokenKind::kLeftBracket) {
        next();
        if (peek().kind != TokenKind::kString && peek().kind != TokenKind::kWord) {
          return error("expected a key in '[ ]'");
        }
        path.push_back(next().text);
        if (peek().kind != TokenKind::kRightBracket) return error("expected ']'");
        next();
      } else {
        return path;
      }
    }
  }

  Result<NodePtr> parse_match() {
    auto node = std::make_shared<Node>();
    // `"value" [not] in Selector`: the left side is a value.
    const bool value_first =
        peek().kind == TokenKind::kString ||
        (peek().kind == TokenKind::kWord && !is_keyword(peek()) &&
         (tokens_[pos_ + 1].kind == TokenKind::kWord &&
          (tokens_[pos_ + 1].text == "in" ||
           (tokens_[pos_ + 1].text == "not" && tokens_[pos_ + 2].kind == TokenKind::kWord &&
            tokens_[pos_ + 2].text == "in"))));
    if (value_first) {
      SYNOD_ASSIGN_OR_RETURN(node->value, parse_value());
      if (at_word("not")) {
        next();
        node->negate = true;
      }
      if (!at_word("in")) return error("expected 'in' after a value");
      next();
      node->kind = Node::Kind::kContains;
      SYNOD_ASSIGN_OR_RETURN(node->selector, parse_selector());
      return NodePtr(node);
    }
    SYNOD_ASSIGN_OR_RETURN(node->selector, parse_selector());
    if (peek().kind == TokenKind::kEq || peek().kind == TokenKind::kNe) {
      node->negate = next().kind == TokenKind::kNe;
      node->kind = Node::Kind::kEqual;
      SYNOD_ASSIGN_OR_RETURN(node->value, parse_value());
      return NodePtr(node);
    }
    if (at_word("is")) {
      next();
      if (at_word("not")) {
        next();
        node->negate = true;
      }
      if (!at_word("empty")) return error("expected 'empty'");
      next();
      node->kind = Node::Kind::kEmpty;
      return NodePtr(node);
    }
    if (at_word("not")) {
      next();
      node->negate = true;
    }
    if (at_word("contains")) {
      node->kind = Node::Kind::kContains;
    } else if (at_word("matches")) {
      node->kind = Node::Kind::kMatches;
    } else {
      return error("expected an operator (==, !=, in, contains, matches, is empty)");
    }
    next();
    SYNOD_ASSIGN_OR_RETURN(node->value, parse_value());
    if (node->kind == Node::Kind::kMatches) {
      try {
        node->regex = std::make_shared<const std::regex>(node->value, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return invalid_argument("invalid regular expression \"" + node->value + "\": " + e.what());
      }
    }
    return NodePtr(node);
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

const ordered_json* member(const ordered_json& object, const std::string& key) {
  auto it = object.find(key);
  if (it != object.end()) return &*it;
  for (auto entry = object.begin(); entry != object.end(); ++entry) {
    if (beast::iequals(entry.key(), key)) return &entry.value();
  }
  return nullptr;
}

// Every value `path` selects from `item` (arrays on the way are walked).
void select(const ordered_json& item, const std::vector<std::string>& path, std::size_t step,
            std::vector<const ordered_json*>& out) {
  if (step == path.size()) {
    out.push_back(&item);
    return;
  }
  if (item.is_array()) {
    for (const auto& element : item) select(element, path, step, out);
  } else if (item.is_object()) {
    if (const auto* child = member(item, path[step])) select(*child, path, step + 1, out);
  }
}

bool scalar_equals(const ordered_json& v, const std::string& value) {
  if (v.is_string()) return v.get_ref<const std::string&>() == value;
  if (v.is_boolean())
    return (value == "true" && v.get<bool>()) || (value == "false" && !v.get<bool>());
  if (v.is_number()) {
    char* end = nullptr;
    const double parsed = std::strtod(value.c_str(), &end);
    return !value.empty() && end == value.c_str() + value.size() && parsed == v.get<double>();
  }
  return false;
}

bool equals(const ordered_json& v, const std::string& value) {
  if (v.is_array()) {
    for (const auto& element : v) {
      if (scalar_equals(element, value)) return true;
    }
    return false;
  }
  return scalar_equals(v, value);
}

bool contains(const ordered_json& v, const std::string& value) {
  if (v.is_string()) return v.get_ref<const std::string&>().find(value) != std::string::npos;
  if (v.is_array()) {
    for (const auto& element : v) {
      if (scalar_equals(element, value)) return true;
    }
    return false;
  }
  if (v.is_object()) return v.contains(value);
  return false;
}

bool is_empty(const ordered_json& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  if (v.is_array() || v.is_object()) return v.empty();
  return false;
}

bool evaluate(const Node& node, const ordered_json& item) {
  switch (node.kind) {
    case Node::Kind::kOr:
      for (const auto& child : node.children) {
        if (evaluate(*child, item)) return true;
      }
      return false;
    case Node::Kind::kAnd:
      for (const auto& child : node.children) {
        if (!evaluate(*child, item)) return false;
      }
      return true;
    case Node::Kind::kNot:
      return !evaluate(*node.children.front(), item);
    default:
      break;
  }
  std::vector<const ordered_json*> selected;
  select(item, node.selector, 0, selected);
  bool result = false;
  switch (node.kind) {
    case Node::Kind::kEqual:
      for (const auto* v : selected) result = result || equals(*v, node.value);
      break;
    case Node::Kind::kContains:
      for (const auto* v : selected) result = result || contains(*v, node.value);
      break;
    case Node::Kind::kMatches:
      for (const auto* v : selected) {
        result = result || (v->is_string() &&
                            std::regex_search(v->get_ref<const std::string&>(), *node.regex));
      }
      break;
    case Node::Kind::kEmpty:
      result = true;
      for (const auto* v : selected) result = result && is_empty(*v);
      break;
    default:
      break;
  }
  return node.negate ? !result : result;
}

}  // namespace

Result<Filter> Filter::parse(std::string_view expression) {
  SYNOD_ASSIGN_OR_RETURN(auto tokens, tokenize(expression));
  if (tokens.size() == 1) return invalid_argument("empty filter expression");
  Parser parser(std::move(tokens));
  SYNOD_ASSIGN_OR_RETURN(NodePtr root, parser.parse());
  return Filter(std::string(expression), std::move(root));
}

bool Filter::matches(const ordered_json& item) const { return evaluate(*root_, item); }

void filter_json(const Filter& filter, ordered_json& list) {
  if (list.is_array()) {
    ordered_json kept = ordered_json::array();
    for (auto& item : list) {
      if (filter.matches(item)) kept.push_back(std::move(item));
    }
    list = std::move(kept);
  } else if (list.is_object()) {
    ordered_json kept = ordered_json::object();
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (filter.matches(it.value())) kept[it.key()] = std::move(it.value());
    }
    list = std::move(kept);
  }
}

Result<std::optional<Filter>> filter_param(const HttpRequest& request) {
  auto text = request.query_value("filter");
  if (!text || text->empty()) return std::optional<Filter>();
  auto parsed = Filter::parse(*text);
  if (!parsed) {
    return invalid_argument("Failed to create boolean expression evaluator: " +
                            parsed.status().message());
  }
  return std::optional<Filter>(std::move(*parsed));
}

}  // namespace synod::node::http
