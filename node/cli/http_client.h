// A small synchronous HTTP/1.1 client for the CLI (one request per call, with
// a deadline). The agent itself never uses it: it would block the loop.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "common/status.h"

namespace synod::node::cli {

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};

// `address` is "host:port"; `target` is the path with query ("/v1/kv/a?raw").
Result<HttpReply> http_call(const std::string& method, const std::string& address,
                            const std::string& target, const std::string& body = "",
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Splits "host:port"; fails on a missing or non-numeric port.
Result<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& address);

}  // namespace synod::node::cli
