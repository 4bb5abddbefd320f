// Helpers for HTTP tests: a server on 127.0.0.1:0 run by a background
// io_context thread, and a small blocking client over real sockets.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/beast.h"
#include "config/node_config.h"
#include "node/http/router.h"
#include "node/http/server.h"

namespace synod::node::http::testing {

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  bool keep_alive = true;
  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A running server over `router` (routes must be added before start()).
class TestServer {
 public:
  explicit TestServer(config::HttpSection config = {}) : config_(config) {}
  ~TestServer() { stop(); }

  Router& router() { return router_; }
  asio::io_context& io() { return io_; }

  void start() {
    server_ = std::make_unique<HttpServer>(io_, config_, router_);
    ASSERT_TRUE(server_->listen("127.0.0.1:0").is_ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void stop() {
    if (!server_) return;
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    server_->stop();  // the loop is stopped: no concurrent access
    server_.reset();
  }
  [[nodiscard]] std::uint16_t port() const { return server_->port(); }
  HttpServer& server() { return *server_; }

 private:
  config::HttpSection config_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

// One keep-alive connection to the server.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }

  ClientResponse request(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    beast::http::request<beast::http::string_body> req;
    req.method_string(beast::string_view(method.data(), method.size()));
    req.target(beast::string_view(target.data(), target.size()));
    req.version(11);
    req.set(beast::http::field::host, "127.0.0.1");
    for (auto& [n, v] : headers) req.set(n, v);
    req.body() = body;
    req.prepare_payload();
    beast::http::write(socket_, req);
    return read_response();
  }

  // Sends raw bytes (for malformed requests and pipelining).
  void send_raw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  ClientResponse read_response() {
    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(64 << 20);
    beast::http::read(socket_, buffer_, parser);
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    out.keep_alive = res.keep_alive();
    for (const auto& f : res) {
      std::string name(f.name_string().data(), f.name_string().size());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value().data(), f.value().size());
    }
    return out;
  }

  // True once the server has closed the connection (blocks until it does).
  bool closed_by_server() {
    char byte;
    error_code ec;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
};

}  // namespace synod::node::http::testing
