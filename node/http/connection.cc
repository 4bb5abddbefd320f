#include "node/http/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <exception>

#include "common/metrics.h"
#include "node/http/query.h"

namespace synod::node::http {
namespace bhttp = beast::http;
namespace {

constexpr std::string_view kServerName = "synod";
// Beast reads into the free space of the flat_buffer (at least 512 bytes).
// The parser drains the buffer into the body as it goes, so a buffer that
// started at 512 bytes stays there and a 4 KiB request took nine recv calls
// (each with an epoll round). Requests are read into at least this much
// space, so a typical request arrives in one recv; an open connection keeps
// it (8 KiB x http.max_connections at most).
constexpr std::size_t kReadBufferBytes = 8 << 10;
// A body's bytes are read into up to this much space at once.
constexpr std::size_t kBodyReadBytes = 256 << 10;

// Beast (Boost 1.74) uses boost::string_view.
std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The shared state behind every copy of one request's Responder: answers
// 500 if the handler lets the last copy go without replying.
struct ResponderState {
  std::shared_ptr<HttpConnection> connection;
  std::uint64_t seq;
  std::atomic<bool> answered{false};
  ~ResponderState() {
    if (!answered.load()) {
      connection->deliver(seq, HttpResponse::error(500, "handler dropped the request"));
    }
  }
};

metrics::Counter& bad_request_counter(std::string_view reason) {
  return metrics::Registry::global().counter("synod_http_bad_requests_total",
                                             "HTTP requests rejected before routing, by reason",
                                             {{"reason", std::string(reason)}});
}

// Strips "http://host:port" from an absolute-form target.
std::string_view origin_form(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      std::size_t slash = target.find('/', scheme.size());
      return slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  return target;
}

}  // namespace

HttpConnection::HttpConnection(HttpSocket socket, const config::HttpSection& config,
                               const Router& router, std::shared_ptr<ConnectionTable> table,
                               std::uint64_t id)
    : stream_(std::move(socket)),
      config_(config),
      router_(router),
      table_(std::move(table)),
      id_(id) {
  error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    remote_ =
        ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    remote_ += ":" + std::to_string(ep.port());
  }
}

HttpConnection::~HttpConnection() {
  std::lock_guard lock(table_->mutex);
  table_->open.erase(id_);
}

void HttpConnection::start() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void HttpConnection::reject(int status, std::string_view message) {
  asio::dispatch(stream_.get_executor(),
                 [self = shared_from_this(), status, msg = std::string(message)] {
                   self->route_ = "rejected";
                   self->method_ = "";
                   self->started_ = SystemClock::instance().now();
                   self->write(HttpResponse::error(status, msg), /*close_after=*/true);
                 });
}

void HttpConnection::close() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->shutdown(); });
}

void HttpConnection::shutdown() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

void HttpConnection::read_header() {
  if (closed_) return;
  // After a large body, give the space back (idle connections keep theirs).
  if (buffer_.capacity() > kBodyReadBytes / 4 && buffer_.size() == 0) buffer_.shrink_to_fit();
  if (buffer_.capacity() - buffer_.size() < kReadBufferBytes) {
    buffer_.reserve(buffer_.size() + kReadBufferBytes);
  }
  parser_.emplace();
  parser_->header_limit(
      static_cast<std::uint32_t>(std::min<std::uint64_t>(config_.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(config_.max_body_bytes);
  stream_.expires_after(config_.idle_timeout);
  bhttp::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpConnection::fail_request(int status, std::string_view message, std::string_view reason) {
  bad_request_counter(reason).inc();
  route_ = "malformed";
  method_ = parser_ && parser_->is_header_done() ? std::string(parser_->get().method_string())
                                                 : std::string();
  write(HttpResponse::error(status, message), /*close_after=*/true);
}

void HttpConnection::on_header(error_code ec) {
  started_ = SystemClock::instance().now();
  if (ec) {
    if (ec == bhttp::error::header_limit) {
      return fail_request(431, "request header fields too large", "header_limit");
    }
    if (ec == bhttp::error::body_limit) {
      return fail_request(413, "request body too large", "body_limit");
    }
    // A clean close between requests, the idle timeout, or a reset: no reply.
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category()) {
      return shutdown();
    }
    return fail_request(400, "malformed HTTP request: " + ec.message(), "malformed");
  }
  auto& req = parser_->get();
  version_ = req.version() == 10 ? 10 : 11;
  if (auto length = parser_->content_length(); length && *length > config_.max_body_bytes) {
    return fail_request(413,
                        "request body too large: " + std::to_string(*length) + " bytes, max " +
                            std::to_string(config_.max_body_bytes),
                        "body_limit");
  }
  auto expect = req[bhttp::field::expect];
  if (!expect.empty() && lower(to_std(expect)) == "100-continue" && !parser_->is_done()) {
    continue_reply_ = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
    stream_.expires_after(config_.idle_timeout);
    asio::async_write(stream_, asio::buffer(*continue_reply_),
                      [self = shared_from_this()](error_code wec, std::size_t) {
                        if (wec) return self->shutdown();
                        self->read_body();
                      });
    return;
  }
  read_body();
}

void HttpConnection::read_body() {
  if (parser_->is_done()) return on_body({});
  if (auto length = parser_->content_length_remaining()) {
    const std::size_t want = std::min<std::uint64_t>(*length, kBodyReadBytes);
    if (buffer_.capacity() - buffer_.size() < want) buffer_.reserve(buffer_.size() + want);
  }
  stream_.expires_after(config_.idle_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
}

void HttpConnection::on_body(error_code ec) {
  if (ec) {
    if (ec == bhttp::error::body_limit) {
      return fail_request(413, "request body too large", "body_limit");
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return fail_request(400, "malformed HTTP request: " + ec.message(), "malformed");
    }
    return shutdown();
  }
  stream_.expires_never();
  dispatch_request();
}

void HttpConnection::dispatch_request() {
  auto beast_req = parser_->release();
  keep_alive_ = beast_req.keep_alive();
  method_ = std::string(beast_req.method_string());

  HttpRequest req;
  req.method = method_;
  req.version = beast_req.version();
  req.raw_target = std::string(beast_req.target());
  req.remote_address = remote_;
  std::string_view target = origin_form(req.raw_target);
  std::size_t qmark = target.find('?');
  std::string_view raw_path = target.substr(0, qmark);
  if (qmark != std::string_view::npos) req.raw_query = std::string(target.substr(qmark + 1));
  if (raw_path.empty() || raw_path[0] != '/') {
    return fail_request(400, "malformed request target", "bad_target");
  }
  auto path = percent_decode(raw_path, false);
  if (!path)
    return fail_request(400, "malformed request path: " + path.status().message(), "bad_target");
  req.path = std::move(path).value();
  auto query = parse_query(req.raw_query);
  if (!query)
    return fail_request(400, "malformed query string: " + query.status().message(), "bad_query");
  req.query = std::move(query).value();
  for (const auto& field : beast_req) {
    req.headers.emplace(lower(to_std(field.name_string())), std::string(field.value()));
  }
  req.body = std::move(beast_req.body());

  ++seq_;
  in_flight_ = true;
  auto match = router_.match(req);
  if (!match.handler) {
    if (match.status == 405) {
      route_ = match.route;
      auto reply = HttpResponse::error(405, "method " + method_ + " not allowed on " + req.path);
      reply.set_header("Allow", match.allow);
      return write(std::move(reply), false);
    }
    route_ = "unmatched";
    return write(HttpResponse::error(404, "no route for " + method_ + " " + req.path), false);
  }
  route_ = match.route;

  client_gone_ = req.client_gone;
  auto state = std::make_shared<ResponderState>();
  state->connection = shared_from_this();
  state->seq = seq_;
  Responder responder = [state](HttpResponse response) {
    if (state->answered.exchange(true)) return;
    state->connection->deliver(state->seq, std::move(response));
  };
  try {
    (*match.handler)(std::move(req), std::move(responder));
  } catch (const std::exception& e) {
    spdlog::error("http: handler for {} {} threw: {}", method_, route_, e.what());
    if (!state->answered.exchange(true)) {
      deliver(seq_, HttpResponse::error(500, std::string("internal error: ") + e.what()));
    }
  }
  // Still unanswered after the handler returned (a parked or long request):
  // watch the socket so a client that leaves is noticed. Not with data
  // already buffered: that is a pipelined request, not a close.
  if (in_flight_ && buffer_.size() == 0) watch_for_disconnect(seq_);
}

void HttpConnection::watch_for_disconnect(std::uint64_t seq) {
  watching_disconnect_ = true;
  stream_.socket().async_wait(
      asio::ip::tcp::socket::wait_read,
      asio::bind_executor(stream_.get_executor(), [self = shared_from_this(), seq](error_code ec) {
        self->watching_disconnect_ = false;
        if (ec || seq != self->seq_ || !self->in_flight_ || self->closed_) return;
        char byte;
        error_code peek_ec, mode_ec;
        auto& socket = self->stream_.socket();
        socket.non_blocking(true, mode_ec);  // readiness can be spurious: never block here
        std::size_t n =
            socket.receive(asio::buffer(&byte, 1), asio::socket_base::message_peek, peek_ec);
        socket.non_blocking(false, mode_ec);
        if (peek_ec == asio::error::would_block || peek_ec == asio::error::try_again) {
          return self->watch_for_disconnect(seq);
        }
        if (!peek_ec && n > 0) return;  // a pipelined request: read after this reply
        // EOF or a reset: the client is gone.
        metrics::Registry::global()
            .counter("synod_http_client_disconnects_total",
                     "Requests whose client disconnected before the reply")
            .inc();
        auto gone = self->client_gone_;
        self->in_flight_ = false;
        self->shutdown();
        if (gone) gone->fire();
      }));
}

void HttpConnection::deliver(std::uint64_t seq, HttpResponse response) {
  asio::dispatch(stream_.get_executor(),
                 [self = shared_from_this(), seq, response = std::move(response)]() mutable {
                   if (seq != self->seq_ || !self->in_flight_ || self->closed_) return;
                   self->in_flight_ = false;
                   self->write(std::move(response), false);
                 });
}

void HttpConnection::record_metrics(int status) {
  // Metric handles live as long as the registry; caching them per thread
  // spares every request the registry's lock and label rendering.
  struct Handles {
    std::unordered_map<std::string, metrics::Counter*> requests;  // route \0 method \0 code
    std::unordered_map<std::string, metrics::Histogram*> durations;  // route
  };
  thread_local Handles handles;
  auto& registry = metrics::Registry::global();
  const std::string code = std::to_string(status);
  std::string key;
  key.reserve(route_.size() + method_.size() + code.size() + 2);
  key.append(route_).push_back('\0');
  key.append(method_).push_back('\0');
  key.append(code);
  auto& counter = handles.requests[key];
  if (counter == nullptr) {
    counter = &registry.counter("synod_http_requests_total",
                                "HTTP requests by route pattern, method and status",
                                {{"route", route_}, {"method", method_}, {"code", code}});
  }
  counter->inc();
  auto& duration = handles.durations[route_];
  if (duration == nullptr) {
    duration = &registry.histogram(
        "synod_http_request_duration_seconds",
        "HTTP request latency by route pattern, from header read to reply queued",
        {{"route", route_}});
  }
  duration->observe(to_millis(SystemClock::instance().now() - started_) / 1000.0);
}

void HttpConnection::write(HttpResponse response, bool close_after) {
  in_flight_ = false;
  client_gone_.reset();
  if (closed_) return;
  if (watching_disconnect_) {
    error_code ignored;
    stream_.socket().cancel(ignored);  // only the disconnect wait is pending now
  }
  record_metrics(response.status);
  bool close = close_after || !keep_alive_;
  reply_ = std::make_shared<bhttp::response<bhttp::string_body>>();
  reply_->version(version_);
  reply_->result(static_cast<unsigned>(response.status));
  reply_->set(bhttp::field::server, beast::string_view(kServerName.data(), kServerName.size()));
  if (!response.content_type.empty())
    reply_->set(bhttp::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) reply_->insert(name, value);
  reply_->body() = std::move(response.body);
  reply_->keep_alive(!close);
  reply_->prepare_payload();
  stream_.expires_after(config_.idle_timeout);
  bhttp::async_write(stream_, *reply_,
                     [self = shared_from_this(), close](error_code ec, std::size_t) {
                       self->on_write(ec, close);
                     });
}

void HttpConnection::on_write(error_code ec, bool close_after) {
  reply_.reset();
  if (ec || close_after) return shutdown();
  read_header();
}

}  // namespace synod::node::http
