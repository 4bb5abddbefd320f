#include "node/inference/load_generator.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string_view>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "common/asio.h"
#include "common/beast.h"

namespace synod::node::inference {
namespace {

using SteadyClock = std::chrono::steady_clock;

// CPU time this thread has used, in microseconds.
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Runs `concurrency` workers; each loops `one()` (returning success and
// filling its error text) and records latencies after the warm-up.
LoadResult closed_loop(int concurrency, std::chrono::milliseconds duration,
                       std::chrono::milliseconds warmup,
                       const std::function<std::function<bool(std::string&)>()>& make_worker) {
  // The clock starts once every worker is made (e.g. has loaded its own
  // network), so setting up never eats into the measured window.
  std::mutex mutex;
  std::condition_variable all_made;
  int made = 0;
  SteadyClock::time_point measure_from, until;
  std::vector<double> latencies;
  double cpu_total = 0;
  LoadResult result;
  std::vector<std::thread> threads;
  for (int i = 0; i < concurrency; ++i) {
    threads.emplace_back([&] {
      auto one = make_worker();
      {
        std::unique_lock lock(mutex);
        if (++made == concurrency) {
          measure_from = SteadyClock::now() + warmup;
          until = measure_from + duration;
          all_made.notify_all();
        } else {
          all_made.wait(lock, [&] { return made == concurrency; });
        }
      }
      std::vector<double> mine;
      std::uint64_t ok = 0, errors = 0, calls = 0;
      std::string error;
      const double cpu_start = thread_cpu_us();
      while (true) {
        const auto t0 = SteadyClock::now();
        if (t0 >= until) break;
        const bool success = one(error);
        const auto t1 = SteadyClock::now();
        ++calls;
        if (t0 < measure_from) continue;
        if (success) {
          ++ok;
          mine.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        } else {
          ++errors;
        }
      }
      const double cpu = thread_cpu_us() - cpu_start;
      std::lock_guard lock(mutex);
      result.calls += calls;
      cpu_total += cpu;
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      result.ok += ok;
      result.errors += errors;
      if (!error.empty()) result.last_error = error;
    });
  }
  for (auto& t : threads) t.join();
  if (result.calls > 0) result.caller_cpu_us = cpu_total / static_cast<double>(result.calls);
  result.seconds = std::chrono::duration<double>(duration).count();
  result.throughput = static_cast<double>(result.ok) / result.seconds;
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) {
      return latencies[std::min(latencies.size() - 1,
                                static_cast<std::size_t>(q * static_cast<double>(latencies.size())))];
    };
    result.p50_ms = at(0.50);
    result.p99_ms = at(0.99);
  }
  return result;
}

}  // namespace

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The whole request, built once per worker.
std::string request_bytes(const LoadOptions& options) {
  std::string content_type = "application/json";
  std::string extra;
  for (const auto& [name, value] : options.headers) {
    if (iequals(name, "content-type")) {
      content_type = value;
    } else {
      extra += name + ": " + value + "\r\n";
    }
  }
  return options.method + " " + options.target + " HTTP/1.1\r\nHost: " + options.address +
         "\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(options.body.size()) + "\r\n" + extra +
         "\r\n" + options.body;
}

// One keep-alive connection and the bytes read on it.
struct Connection {
  explicit Connection(const std::string& request) : request(request) {}
  const std::string request;
  asio::io_context io;
  std::optional<asio::ip::tcp::socket> socket;
  beast::flat_buffer buffer;  // bytes received, not yet consumed
  std::string served_by;      // X-Synod-Served-By of the last response
  std::string reported;       // the one last copied to the result

  void reset() {
    socket.reset();
    buffer.clear();
  }
};

// Sends the prebuilt request with one write and reads one response with
// Beast's parser. Returns the status code (0 with `error` on an I/O or
// framing problem); `body` is the response body.
int exchange(Connection& c, std::string& body, std::string& error) {
  error_code ec;
  asio::write(*c.socket, asio::buffer(c.request), ec);
  if (ec) return error = "write: " + ec.message(), 0;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read(*c.socket, c.buffer, parser, ec);
  if (ec) return error = "read: " + ec.message(), 0;
  auto& response = parser.get();
  if (auto it = response.find("X-Synod-Served-By"); it != response.end()) {
    const std::string_view value(it->value().data(), it->value().size());
    if (value != c.served_by) c.served_by = std::string(value);
  }
  body = std::move(response.body());
  if (!response.keep_alive()) c.reset();
  return static_cast<int>(response.result_int());
}

}  // namespace

LoadResult run_http_load(const LoadOptions& options) {
  const auto colon = options.address.rfind(':');
  const std::string host = options.address.substr(0, colon);
  const std::string port = options.address.substr(colon + 1);
  const std::string request = request_bytes(options);
  std::mutex served_mutex;
  std::string served_by;
  auto result = closed_loop(
      options.concurrency, options.duration, options.warmup, [&]() {
        auto c = std::make_shared<Connection>(request);
        return [&, c](std::string& error) -> bool {
          error_code ec;
          if (!c->socket) {
            asio::ip::tcp::resolver resolver(c->io);
            auto endpoints = resolver.resolve(host, port, ec);
            if (ec) return error = "resolve: " + ec.message(), false;
            c->socket.emplace(c->io);
            asio::connect(*c->socket, endpoints, ec);
            if (ec) {
              c->reset();
              error = "connect: " + ec.message();
              std::this_thread::sleep_for(std::chrono::milliseconds(10));
              return false;
            }
            c->socket->set_option(asio::ip::tcp::no_delay(true), ec);
          }
          std::string body;
          const int status = exchange(*c, body, error);
          if (status == 0) {
            c->reset();
            return false;
          }
          if (status != 200) {
            error = std::to_string(status) + " " + body.substr(0, 200);
            return false;
          }
          if (c->served_by != c->reported) {  // (the lock only when it changes)
            c->reported = c->served_by;
            std::lock_guard lock(served_mutex);
            served_by = c->served_by;
          }
          return true;
        };
      });
  result.served_by = served_by;
  return result;
}

LoadResult run_local_load(const std::function<std::function<bool()>()>& make_call,
                          int concurrency, std::chrono::milliseconds duration,
                          std::chrono::milliseconds warmup) {
  return closed_loop(concurrency, duration, warmup, [&]() {
    auto call = make_call();
    return [call](std::string&) { return call(); };
  });
}

}  // namespace synod::node::inference
