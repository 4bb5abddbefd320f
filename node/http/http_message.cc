#include "node/http/http_message.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace synod::node::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

const std::string kEmpty;

}  // namespace

void ClientGone::on_gone(std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    if (!gone_) {
      callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

bool ClientGone::gone() const {
  std::lock_guard lock(mutex_);
  return gone_;
}

void ClientGone::fire() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mutex_);
    if (gone_) return;
    gone_ = true;
    callbacks.swap(callbacks_);
  }
  for (auto& callback : callbacks) callback();
}

bool HttpRequest::has_query(std::string_view name) const { return query.find(name) != query.end(); }

std::optional<std::string> HttpRequest::query_value(std::string_view name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

const std::string& HttpRequest::param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

HttpResponse HttpResponse::json(const nlohmann::json& body, int status) {
  HttpResponse r;
  r.status = status;
  // Replace invalid UTF-8 rather than throw: keys and values come from users.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::error(int status, std::string_view message) {
  return json(nlohmann::json{{"error", std::string(message)}}, status);
}

HttpResponse HttpResponse::text(std::string body, int status, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::from_status(const Status& status) {
  return error(http_status_for(status.code()), status.message().empty()
                                                   ? std::string(status_code_name(status.code()))
                                                   : status.message());
}

HttpResponse& HttpResponse::set_header(std::string name, std::string value) {
  for (auto& [n, v] : headers) {
    if (n == name) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

int http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kNotLeader:
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kTimeout:
      return 504;
    case StatusCode::kCancelled:
    case StatusCode::kCorruption:
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace synod::node::http
