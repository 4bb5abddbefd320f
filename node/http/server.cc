#include "node/http/server.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <vector>

#include "common/metrics.h"
#include "node/http/connection.h"

namespace synod::node::http {

Result<asio::ip::tcp::endpoint> parse_endpoint(std::string_view address) {
  std::string_view host, port_text;
  if (!address.empty() && address.front() == '[') {
    std::size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return invalid_argument("bad address \"" + std::string(address) + "\": want [v6]:port");
    }
    host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
  } else {
    std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid_argument("bad address \"" + std::string(address) + "\": want host:port");
    }
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
    return invalid_argument("bad port in address \"" + std::string(address) + "\"");
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) host = "0.0.0.0";
  error_code addr_ec;
  auto ip = asio::ip::make_address(std::string(host), addr_ec);
  if (addr_ec) {
    return invalid_argument("bad host in address \"" + std::string(address) +
                            "\": a numeric IP or localhost is required");
  }
  return asio::ip::tcp::endpoint(ip, static_cast<std::uint16_t>(port));
}

HttpServer::HttpServer(asio::io_context& io, const config::HttpSection& config,
                       const Router& router)
    : io_(io),
      config_(config),
      router_(router),
      acceptor_(io),
      table_(std::make_shared<ConnectionTable>()) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::listen(std::string_view address) {
  SYNOD_ASSIGN_OR_RETURN(auto endpoint, parse_endpoint(address));
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
    return io_error("http: cannot listen on " + std::string(address) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint(ec).port();
  spdlog::info("http: listening on {}", bound_address());
  do_accept();
  return Status::ok();
}

std::string HttpServer::bound_address() const {
  error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  if (ec) return "";
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

void HttpServer::do_accept() {
  acceptor_.async_accept(io_.get_executor(), [this, table = table_](error_code ec,
                                                                    HttpSocket socket) {
    {
      std::lock_guard lock(table->mutex);
      if (table->stopped) return;  // `this` may be gone: touch nothing else
    }
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      spdlog::warn("http: accept failed: {}", ec.message());
      // Out of file descriptors and the like: keep accepting.
      return do_accept();
    }
    error_code nodelay_ec;
    socket.set_option(asio::ip::tcp::no_delay(true), nodelay_ec);
    std::shared_ptr<HttpConnection> connection;
    bool over_limit = false;
    {
      std::lock_guard lock(table->mutex);
      std::uint64_t id = table->next_id++;
      over_limit = table->open.size() >= config_.max_connections;
      connection = std::make_shared<HttpConnection>(std::move(socket), config_, router_, table, id);
      table->open.emplace(id, connection);
    }
    if (over_limit) {
      metrics::Registry::global()
          .counter("synod_http_rejected_connections_total",
                   "HTTP connections refused because http.max_connections were open")
          .inc();
      connection->reject(503, "too many connections");
    } else {
      connection->start();
    }
    do_accept();
  });
}

void HttpServer::stop() {
  std::vector<std::shared_ptr<HttpConnection>> open;
  {
    std::lock_guard lock(table_->mutex);
    if (table_->stopped) return;
    table_->stopped = true;
    for (auto& [id, weak] : table_->open) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  error_code ec;
  acceptor_.close(ec);
  for (auto& c : open) c->close();
}

std::size_t HttpServer::connection_count() const {
  std::lock_guard lock(table_->mutex);
  return table_->open.size();
}

}  // namespace synod::node::http
