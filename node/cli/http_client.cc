#include "node/cli/http_client.h"

#include <algorithm>
#include <cctype>

#include "common/beast.h"

namespace synod::node::cli {

Result<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return invalid_argument("address \"" + address + "\" is not host:port");
  }
  const std::string port_text = address.substr(colon + 1);
  if (!std::all_of(port_text.begin(), port_text.end(), ::isdigit) || port_text.size() > 5) {
    return invalid_argument("address \"" + address + "\" has a bad port");
  }
  const unsigned long port = std::stoul(port_text);
  if (port == 0 || port > 65535) return invalid_argument("address \"" + address + "\": port out of range");
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

Result<HttpReply> http_call(const std::string& method, const std::string& address,
                            const std::string& target, const std::string& body,
                            std::chrono::milliseconds timeout) {
  SYNOD_ASSIGN_OR_RETURN(auto host_port, split_host_port(address));
  asio::io_context io;
  beast::tcp_stream stream(io);
  error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host_port.first, std::to_string(host_port.second), ec);
  if (ec) return unavailable("resolve " + address + ": " + ec.message());

  stream.expires_after(timeout);
  Result<HttpReply> result = unavailable("no reply from " + address);
  stream.async_connect(endpoints, [&](error_code connect_ec, const auto&) {
    if (connect_ec) {
      result = unavailable("connect " + address + ": " + connect_ec.message());
      return;
    }
    auto request = std::make_shared<http::request<http::string_body>>();
    request->method(http::string_to_verb(method));
    request->target(target);
    request->version(11);
    request->set(http::field::host, address);
    request->set(http::field::user_agent, "synod-cli");
    if (!body.empty()) {
      request->set(http::field::content_type, "application/json");
      request->body() = body;
    }
    request->prepare_payload();
    http::async_write(stream, *request, [&, request](error_code write_ec, std::size_t) {
      if (write_ec) {
        result = unavailable("send to " + address + ": " + write_ec.message());
        return;
      }
      auto buffer = std::make_shared<beast::flat_buffer>();
      auto response = std::make_shared<http::response<http::string_body>>();
      http::async_read(stream, *buffer, *response,
                       [&, buffer, response](error_code read_ec, std::size_t) {
                         if (read_ec) {
                           result = unavailable("read from " + address + ": " + read_ec.message());
                           return;
                         }
                         HttpReply reply;
                         reply.status = static_cast<int>(response->result_int());
                         reply.body = std::move(response->body());
                         for (const auto& field : *response) {
                           std::string name(field.name_string());
                           std::transform(name.begin(), name.end(), name.begin(), ::tolower);
                           reply.headers[name] = std::string(field.value());
                         }
                         result = std::move(reply);
                       });
    });
  });
  io.run();
  if (!result.is_ok() && result.status().message().find("timed out") != std::string::npos) {
    return timeout_error(result.status().message());
  }
  return result;
}

}  // namespace synod::node::cli
