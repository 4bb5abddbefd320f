// HttpConnection: one accepted TCP connection, serving requests in order.
//
// Life of a request: read the header (idle timeout armed) -> answer
// `Expect: 100-continue` -> read the body (limits enforced by the Beast
// parser) -> route -> call the handler -> wait for its Responder (no timer:
// blocking queries may take minutes) -> write the reply -> read the next
// request if keep-alive. Everything runs on the io_context's one thread
// (the node loop; the server is not meant for a multi-threaded io_context,
// which spares every operation a strand and a polymorphic executor); a
// Responder called from another thread posts there.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/beast.h"
#include "common/clock.h"
#include "config/node_config.h"
#include "node/http/router.h"

namespace synod::node::http {

class HttpConnection;

// The concrete executor, socket and stream types of the server: no
// any_io_executor indirection on the per-request path.
using HttpExecutor = asio::io_context::executor_type;
using HttpSocket = asio::basic_stream_socket<asio::ip::tcp, HttpExecutor>;
using HttpStream = beast::basic_stream<asio::ip::tcp, HttpExecutor>;

// The set of open connections, shared by the server and its connections.
struct ConnectionTable {
  std::mutex mutex;
  std::uint64_t next_id = 1;                                              // GUARDED_BY(mutex)
  std::unordered_map<std::uint64_t, std::weak_ptr<HttpConnection>> open;  // GUARDED_BY(mutex)
  bool stopped = false;                                                   // GUARDED_BY(mutex)
};

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(HttpSocket socket, const config::HttpSection& config,
                 const Router& router, std::shared_ptr<ConnectionTable> table, std::uint64_t id);
  ~HttpConnection();

  // Starts serving. Call once, after the connection is in the table.
  void start();
  // Answers with one error and closes (used past max_connections).
  void reject(int status, std::string_view message);
  // Closes the socket; safe from any thread.
  void close();

  // Delivers the reply to request number `seq`; safe from any thread.
  void deliver(std::uint64_t seq, HttpResponse response);

 private:
  void read_header();
  void on_header(error_code ec);
  void read_body();
  void on_body(error_code ec);
  void dispatch_request();
  void write(HttpResponse response, bool close_after);
  void on_write(error_code ec, bool close_after);
  void fail_request(int status, std::string_view message, std::string_view reason);
  void record_metrics(int status);
  // While a handler works, notices the client closing the connection.
  void watch_for_disconnect(std::uint64_t seq);
  void shutdown();

  HttpStream stream_;
  beast::flat_buffer buffer_;
  config::HttpSection config_;
  const Router& router_;
  std::shared_ptr<ConnectionTable> table_;
  std::uint64_t id_;
  std::string remote_;

  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  std::shared_ptr<beast::http::response<beast::http::string_body>> reply_;
  std::shared_ptr<std::string> continue_reply_;

  // The request in flight (one at a time).
  std::uint64_t seq_ = 0;
  bool in_flight_ = false;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::string route_;  // pattern, or "unmatched" / "malformed"
  std::string method_;
  MonoTime started_;
  std::shared_ptr<ClientGone> client_gone_;  // of the request in flight
  bool watching_disconnect_ = false;
  bool closed_ = false;
};

}  // namespace synod::node::http
