// HttpServer: accepts TCP connections and serves HTTP/1.1 through a Router.
//
// Behaviour (docs/api.md "Protocol"):
//  - keep-alive; pipelined requests are answered in order (one at a time per
//    connection: the next request is read after the previous reply is sent);
//  - limits from config::HttpSection: header bytes (431), body bytes (413),
//    idle time between requests (the connection is closed), connections
//    (503 to the extra connection, then close);
//  - every error is JSON {"error": "..."}: 400 malformed request, 404 unknown
//    route, 405 wrong method (with Allow), 413, 431, 500 for a handler that
//    dropped its Responder or threw;
//  - `Expect: 100-continue` is honoured, so curl's large PUTs do not stall;
//  - per-route metrics: synod_http_requests_total{route,method,code} and
//    synod_http_request_duration_seconds{route} (route is the pattern).
//
// Threading: all I/O runs on the io_context given to the constructor, which
// exactly one thread runs (the node loop); connections use its executor
// directly, with no strand.
// Handlers are invoked on that io_context. listen() and stop() are called
// from the thread that owns the server, before/after running the context or
// from inside it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/asio.h"
#include "common/status.h"
#include "config/node_config.h"
#include "node/http/router.h"

namespace synod::node::http {

struct ConnectionTable;  // connection.h

class HttpServer {
 public:
  // `router` must outlive the server and must not change after listen().
  HttpServer(asio::io_context& io, const config::HttpSection& config, const Router& router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting on "host:port" or "[v6]:port" (numeric host
  // or "localhost"; port 0 picks a free port). Errors: InvalidArgument for a
  // bad address, IoError if the bind fails.
  Status listen(std::string_view address);

  // The bound port (after a successful listen()).
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // "host:port" actually bound.
  [[nodiscard]] std::string bound_address() const;

  // Stops accepting and closes every connection; parked handlers are
  // answered into closed sockets harmlessly. Idempotent.
  void stop();

  // Connections currently open.
  [[nodiscard]] std::size_t connection_count() const;

 private:
  void do_accept();

  asio::io_context& io_;
  config::HttpSection config_;
  const Router& router_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  // The open connections, shared with them so a connection kept alive by a
  // parked Responder can unregister itself after the server is gone.
  std::shared_ptr<ConnectionTable> table_;
};

// Splits "host:port" / "[v6]:port" into an endpoint. Numeric hosts and
// "localhost" only (no DNS on the serving path).
Result<asio::ip::tcp::endpoint> parse_endpoint(std::string_view address);

}  // namespace synod::node::http
