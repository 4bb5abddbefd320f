#include "node/http/router.h"

#include <algorithm>

namespace synod::node::http {
std::vector<Router::PathPart> Router::split_path(std::string_view path) {
  std::vector<PathPart> out;
  std::size_t pos = path.empty() || path[0] != '/' ? 0 : 1;
  while (true) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) {
      out.push_back({path.substr(pos), pos});
      return out;
    }
    out.push_back({path.substr(pos, slash - pos), pos});
    pos = slash + 1;
  }
}

std::vector<Router::Segment> Router::parse_pattern(std::string_view pattern) {
  std::vector<Segment> segments;
  for (const auto& part : split_path(pattern)) {
    if (!part.text.empty() && part.text[0] == ':') {
      segments.push_back({SegmentKind::kParam, std::string(part.text.substr(1))});
    } else if (!part.text.empty() && part.text[0] == '*') {
      segments.push_back({SegmentKind::kWildcard, std::string(part.text.substr(1))});
      break;  // a wildcard ends the pattern
    } else {
      segments.push_back({SegmentKind::kLiteral, std::string(part.text)});
    }
  }
  return segments;
}

void Router::add(std::string_view method, std::string_view pattern, Handler handler) {
  auto it = std::find_if(routes_.begin(), routes_.end(),
                         [&](const Route& r) { return r.pattern == pattern; });
  if (it == routes_.end()) {
    routes_.push_back(Route{std::string(pattern), parse_pattern(pattern), {}});
    it = std::prev(routes_.end());
  }
  for (auto& [m, h] : it->handlers) {
    if (m == method) {
      h = std::move(handler);
      return;
    }
  }
  it->handlers.emplace_back(std::string(method), std::move(handler));
}

void Router::add(std::initializer_list<std::string_view> methods, std::string_view pattern,
                 const Handler& handler) {
  for (auto method : methods) add(method, pattern, handler);
}

bool Router::matches(const Route& route, std::string_view path,
                     const std::vector<PathPart>& parts,
                     std::vector<std::pair<std::string, std::string>>* params) {
  std::size_t n = parts.size();
  // "/v1/status/leader/" is served like "/v1/status/leader".
  bool has_wildcard =
      !route.segments.empty() && route.segments.back().kind == SegmentKind::kWildcard;
  if (!has_wildcard && n > 1 && parts.back().text.empty()) --n;
  params->clear();
  for (std::size_t i = 0; i < route.segments.size(); ++i) {
    const Segment& seg = route.segments[i];
    if (seg.kind == SegmentKind::kWildcard) {
      std::string rest = i < n ? std::string(path.substr(parts[i].offset)) : std::string();
      params->emplace_back(seg.text, std::move(rest));
      return true;
    }
    if (i >= n) return false;
    if (seg.kind == SegmentKind::kLiteral) {
      if (parts[i].text != seg.text) return false;
    } else {
      if (parts[i].text.empty()) return false;
      params->emplace_back(seg.text, std::string(parts[i].text));
    }
  }
  return route.segments.size() == n;
}

bool Router::more_specific(const Route& a, const Route& b) {
  std::size_t n = std::min(a.segments.size(), b.segments.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a.segments[i].kind != b.segments[i].kind) {
      return a.segments[i].kind < b.segments[i].kind;
    }
  }
  return a.segments.size() > b.segments.size();
}

Router::Match Router::match(HttpRequest& request) const {
  const Route* best_for_method = nullptr;
  const Handler* handler = nullptr;
  const Route* best_any = nullptr;
  std::vector<std::pair<std::string, std::string>> params, best_params;
  const auto parts = split_path(request.path);
  for (const Route& route : routes_) {
    if (!matches(route, request.path, parts, &params)) continue;
    if (!best_any || more_specific(route, *best_any)) best_any = &route;
    for (const auto& [method, h] : route.handlers) {
      if (method != request.method) continue;
      if (!best_for_method || more_specific(route, *best_for_method)) {
        best_for_method = &route;
        handler = &h;
        best_params = params;
      }
    }
  }
  Match result;
  if (best_for_method) {
    result.handler = handler;
    result.route = best_for_method->pattern;
    request.route = result.route;
    request.params.clear();
    for (auto& [k, v] : best_params) request.params.emplace(std::move(k), std::move(v));
    return result;
  }
  if (!best_any) {
    result.status = 404;
    return result;
  }
  result.status = 405;
  result.route = best_any->pattern;
  for (const auto& [method, h] : best_any->handlers) {
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += method;
  }
  return result;
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& route : routes_) {
    for (const auto& [method, h] : route.handlers) out.emplace_back(method, route.pattern);
  }
  return out;
}

}  // namespace synod::node::http
