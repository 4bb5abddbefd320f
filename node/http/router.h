// Router: maps (method, path) to a Handler by path pattern.
//
// A pattern is a '/'-separated list of segments:
//   literal     "v1"       matches exactly that segment;
//   parameter   ":id"      matches one non-empty segment, stored as params["id"];
//   wildcard    "*key"     (last segment only) matches the rest of the path,
//                          '/' included and possibly empty, as params["key"].
// Examples: "/v1/kv/*key", "/v1/agent/service/deregister/:id",
// "/v2/models/:m/versions/:v/infer".
//
// When several patterns match, the most specific wins: segments are compared
// left to right, literal before parameter before wildcard. A path that
// matches some pattern but none registered for its method gets 405 with an
// Allow header; a path that matches nothing gets 404. Both bodies are JSON.
//
// Routes are added before the server starts; match() is then read-only and
// safe from any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "node/http/http_message.h"

namespace synod::node::http {

class Router {
 public:
  // Registers `handler` for `method` ("GET", "PUT", ...) on `pattern`.
  // Registering the same method and pattern twice replaces the handler.
  void add(std::string_view method, std::string_view pattern, Handler handler);
  void add(std::initializer_list<std::string_view> methods, std::string_view pattern,
           const Handler& handler);

  struct Match {
    const Handler* handler = nullptr;  // null: see status
    int status = 200;                  // 404 (no pattern) or 405 (wrong method)
    std::string route;                 // the matched pattern, or "" on 404
    std::string allow;                 // for 405: "GET, PUT"
  };
  // Finds the handler for the request, filling request.params and
  // request.route on success.
  Match match(HttpRequest& request) const;

  // Every registered pattern with its methods, for docs and debugging.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  enum class SegmentKind { kLiteral = 0, kParam = 1, kWildcard = 2 };
  struct Segment {
    SegmentKind kind;
    std::string text;  // literal text, or the parameter name
  };
  struct Route {
    std::string pattern;
    std::vector<Segment> segments;
    std::vector<std::pair<std::string, Handler>> handlers;  // by method
  };

  struct PathPart {
    std::string_view text;
    std::size_t offset;  // where the segment starts in the path
  };
  // "/a/b/" -> {a, b, ""}; "/" -> {""}.
  static std::vector<PathPart> split_path(std::string_view path);
  static std::vector<Segment> parse_pattern(std::string_view pattern);
  // Fills `params` and returns true if `route` matches `path` (split once
  // per request into `parts`, not once per route).
  static bool matches(const Route& route, std::string_view path,
                      const std::vector<PathPart>& parts,
                      std::vector<std::pair<std::string, std::string>>* params);
  static bool more_specific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

}  // namespace synod::node::http
