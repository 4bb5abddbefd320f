// The request and response values handlers see, and the handler signature.
//
// Handlers never touch Beast: the connection turns a parsed Beast request
// into an HttpRequest and an HttpResponse back into bytes. A handler answers
// through a Responder, possibly later and from another thread, which is what
// lets blocking queries (?index=&wait=) park without holding a thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace synod::node::http {

// Query parameters in order of appearance, names and values percent-decoded.
// A flag without a value (`?recurse`) maps to "".
using QueryParams = std::multimap<std::string, std::string, std::less<>>;
// Header names are stored lower-cased; values as sent.
using Headers = std::multimap<std::string, std::string, std::less<>>;

// Tells a handler that its client went away (closed or reset the
// connection) before the reply: parked and long-running work can stop.
// Thread-safe.
class ClientGone {
 public:
  // Runs `callback` once when the client disconnects (on the loop thread),
  // at once if it already has; never if the request is answered
  // first.
  void on_gone(std::function<void()> callback);
  [[nodiscard]] bool gone() const;
  // Server side: the client is gone; runs the callbacks.
  void fire();

 private:
  mutable std::mutex mutex_;
  bool gone_ = false;                             // GUARDED_BY(mutex_)
  std::vector<std::function<void()>> callbacks_;  // GUARDED_BY(mutex_)
};

struct HttpRequest {
  std::string method;      // "GET", "PUT", ... (upper case, as sent)
  std::string path;        // percent-decoded path without the query: "/v1/kv/a b"
  std::string raw_target;  // the request target as sent: "/v1/kv/a%20b?recurse"
  std::string raw_query;   // text after '?', undecoded; "" if none
  QueryParams query;
  Headers headers;
  std::string body;
  std::string remote_address;  // "ip:port" of the client
  unsigned version = 11;       // 10 or 11

  // Filled by the Router: the matched pattern ("/v1/kv/*key") and the values
  // of its ":name" / "*name" segments (decoded).
  std::string route;
  std::map<std::string, std::string, std::less<>> params;

  // Fires if the client disconnects while the request is in flight.
  std::shared_ptr<ClientGone> client_gone = std::make_shared<ClientGone>();

  // True if the query has `name`, with or without a value.
  [[nodiscard]] bool has_query(std::string_view name) const;
  // The first value of query parameter `name`, if present.
  [[nodiscard]] std::optional<std::string> query_value(std::string_view name) const;
  // The first value of header `name` (any case), if present.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
  // A path parameter by name (without ':' or '*'); "" if absent.
  [[nodiscard]] const std::string& param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;

  // A JSON body (serialised compactly), status as given.
  static HttpResponse json(const nlohmann::json& body, int status = 200);
  // `{"error": message}` with `status`; the shape every synod error has.
  static HttpResponse error(int status, std::string_view message);
  // A plain-text body.
  static HttpResponse text(std::string body, int status = 200,
                           std::string content_type = "text/plain; charset=utf-8");
  // An error response for a non-OK Status, the HTTP status chosen by code.
  static HttpResponse from_status(const Status& status);

  HttpResponse& set_header(std::string name, std::string value);
};

// The HTTP status a Status code maps to (InvalidArgument 400, NotFound 404,
// NotLeader/Unavailable 503, Timeout 504, ResourceExhausted 429, ...).
int http_status_for(StatusCode code);

// Answers one request. Contract:
//  - call it at most once; later calls are ignored;
//  - it may be called from any thread (the reply is posted to the loop
//    thread), synchronously inside the handler or much later;
//  - if every copy is destroyed without a call, the client gets a 500.
using Responder = std::function<void(HttpResponse)>;

// A route handler. It runs on the server's io_context thread and must not
// block: long work goes elsewhere and answers through the Responder.
using Handler = std::function<void(HttpRequest, Responder)>;

}  // namespace synod::node::http
