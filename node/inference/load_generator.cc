#include "node/inference/load_generator.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

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

LoadResult run_http_load(const LoadOptions& options) {
  const auto colon = options.address.rfind(':');
  const std::string host = options.address.substr(0, colon);
  const std::string port = options.address.substr(colon + 1);
  std::mutex served_mutex;
  std::string served_by;
  auto result = closed_loop(
      options.concurrency, options.duration, options.warmup, [&]() {
        struct Worker {
          asio::io_context io;
          std::unique_ptr<beast::tcp_stream> stream;
          beast::flat_buffer buffer;
        };
        auto worker = std::make_shared<Worker>();
        return [&, worker](std::string& error) -> bool {
          error_code ec;
          if (!worker->stream) {
            asio::ip::tcp::resolver resolver(worker->io);
            auto endpoints = resolver.resolve(host, port, ec);
            if (ec) return error = "resolve: " + ec.message(), false;
            worker->stream = std::make_unique<beast::tcp_stream>(worker->io);
            worker->stream->connect(endpoints, ec);
            if (ec) {
              worker->stream.reset();
              error = "connect: " + ec.message();
              std::this_thread::sleep_for(std::chrono::milliseconds(10));
              return false;
            }
            worker->stream->socket().set_option(asio::ip::tcp::no_delay(true), ec);
          }
          http::request<http::string_body> req{http::verb::post, options.target, 11};
          req.set(http::field::host, options.address);
          req.set(http::field::content_type, "application/json");
          req.keep_alive(true);
          req.body() = options.body;
          req.prepare_payload();
          http::write(*worker->stream, req, ec);
          http::response<http::string_body> res;
          if (!ec) http::read(*worker->stream, worker->buffer, res, ec);
          if (ec) {
            worker->stream.reset();
            worker->buffer.clear();
            error = "io: " + ec.message();
            return false;
          }
          if (res.result_int() != 200) {
            error = std::to_string(res.result_int()) + " " + res.body().substr(0, 200);
            return false;
          }
          if (auto it = res.find("X-Synod-Served-By"); it != res.end()) {
            std::lock_guard lock(served_mutex);
            served_by = std::string(it->value());
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
