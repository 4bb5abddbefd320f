// Filter: Consul's `?filter=` expression language over JSON values.
//
// Grammar (whitespace ignored outside quoted strings):
//   expr      := and ("or" and)*
//   and       := unary ("and" unary)*
//   unary     := "not" unary | "(" expr ")" | match
//   match     := selector ("==" | "!=") value
//              | selector ["not"] ("contains" | "matches") value
//              | value ["not"] "in" selector
//              | selector "is" ["not"] "empty"
//   selector  := name ("." name | "[" string "]")*      Service.Tags, ServiceMeta["k"]
//   value     := "double quoted" | `backtick` | number | bare word (true, web-1)
//
// Evaluation over one JSON item (an element of the list an endpoint returns):
//  - a selector walks objects by key (exact, else case-insensitive); walking
//    through an array walks every element, so `Checks.Status` yields the
//    status of each check;
//  - `==` is true if any selected value equals the value (strings exactly,
//    numbers numerically, booleans as true/false); `!=` is its negation;
//  - `in` / `contains`: element of an array, key of an object, or substring
//    of a string; `matches`: ECMAScript regex search on a string;
//  - `is empty`: missing, null, "", [] or {};
//  - a missing selector selects nothing: `==` false, `!=` true.
//
// Parse errors are InvalidArgument with the position, which the handlers
// answer as HTTP 400. Parsed filters are immutable and thread-safe.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/http/http_message.h"

namespace synod::node::http {

class Filter {
 public:
  struct Node;

  static Result<Filter> parse(std::string_view expression);

  [[nodiscard]] bool matches(const nlohmann::ordered_json& item) const;
  [[nodiscard]] const std::string& expression() const { return expression_; }

 private:
  Filter(std::string expression, std::shared_ptr<const Node> root)
      : expression_(std::move(expression)), root_(std::move(root)) {}

  std::string expression_;
  std::shared_ptr<const Node> root_;
};

// Keeps the items of `list` that match. An array keeps its order; an object
// (Consul's id -> value maps such as /v1/agent/services) is filtered by value.
void filter_json(const Filter& filter, nlohmann::ordered_json& list);

// The `?filter=` of a request: nullopt when absent or empty, InvalidArgument
// (Consul's "Failed to create boolean expression evaluator: ...") when bad.
Result<std::optional<Filter>> filter_param(const HttpRequest& request);

}  // namespace synod::node::http
