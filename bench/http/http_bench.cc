// http_bench: the HTTP layer alone (server, router, KV handlers, blocking
// queries) against MemoryKvBackend, on loopback. Prints figures only.
//
//   http_bench [seconds-per-phase=2] [watchers=2000]
//
// Phases: PUT and GET of 256-byte values over 1/16/64 keep-alive
// connections (one client thread each), then the wake-up latency of
// `watchers` blocking queries parked on one key after a single write.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/beast.h"
#include "config/node_config.h"
#include "node/http/kv_handlers.h"
#include "node/http/memory_kv_backend.h"
#include "node/http/server.h"

namespace bhttp = boost::beast::http;
using namespace synod;
using namespace synod::node::http;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

struct PhaseResult {
  double rps;
  double p50_us, p99_us;
};

PhaseResult run_phase(std::uint16_t port, const char* method, int connections, double seconds) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  std::vector<std::thread> threads;
  std::string value(256, 'v');
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      asio::io_context io;
      asio::ip::tcp::socket socket(io);
      socket.connect({asio::ip::make_address("127.0.0.1"), port});
      boost::beast::flat_buffer buffer;
      std::string target = "/v1/kv/bench/key-" + std::to_string(c % 8);
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        bhttp::request<bhttp::string_body> req;
        req.method_string(method);
        req.target(target);
        req.version(11);
        req.set(bhttp::field::host, "127.0.0.1");
        if (std::string_view(method) == "PUT") req.body() = value + std::to_string(n++);
        req.prepare_payload();
        auto start = Clock::now();
        bhttp::write(socket, req);
        bhttp::response<bhttp::string_body> res;
        bhttp::read(socket, buffer, res);
        latencies[static_cast<std::size_t>(c)].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  double count = static_cast<double>(all.size());
  return {count / seconds, percentile(all, 0.5), percentile(all, 0.99)};
}

// Parks `watchers` blocking GETs on one key, writes it once, and reports how
// long until each watcher got its answer (from the write).
void run_wakeup(std::uint16_t port, WatchHub& hub, int watchers) {
  asio::io_context io;
  struct Watcher {
    asio::ip::tcp::socket socket;
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    bhttp::response<bhttp::string_body> res;
    explicit Watcher(asio::io_context& io) : socket(io) {}
  };
  std::vector<std::unique_ptr<Watcher>> all;
  std::vector<double> wake_us;
  Clock::time_point write_time;
  // The key's current index, from a plain GET.
  asio::ip::tcp::socket probe(io);
  probe.connect({asio::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::string_body> put{bhttp::verb::put, "/v1/kv/bench/hot", 11};
  put.set(bhttp::field::host, "x");
  put.body() = "v0";
  put.prepare_payload();
  boost::beast::flat_buffer pb;
  bhttp::write(probe, put);
  bhttp::response<bhttp::string_body> pr;
  bhttp::read(probe, pb, pr);
  bhttp::request<bhttp::string_body> get{bhttp::verb::get, "/v1/kv/bench/hot", 11};
  get.set(bhttp::field::host, "x");
  bhttp::write(probe, get);
  bhttp::response<bhttp::string_body> gr;
  bhttp::read(probe, pb, gr);
  std::string index(gr["X-Consul-Index"]);

  for (int i = 0; i < watchers; ++i) {
    auto w = std::make_unique<Watcher>(io);
    w->socket.connect({asio::ip::make_address("127.0.0.1"), port});
    w->req = {bhttp::verb::get, "/v1/kv/bench/hot?index=" + index + "&wait=5m", 11};
    w->req.set(bhttp::field::host, "x");
    Watcher* raw = w.get();
    bhttp::async_write(
        raw->socket, raw->req,
        [raw, &wake_us, &write_time](boost::system::error_code ec, std::size_t) {
          if (ec) return;
          bhttp::async_read(
              raw->socket, raw->buffer, raw->res,
              [&wake_us, &write_time](boost::system::error_code rec, std::size_t) {
                if (!rec) {
                  wake_us.push_back(
                      std::chrono::duration<double, std::micro>(Clock::now() - write_time).count());
                }
              });
        });
    all.push_back(std::move(w));
  }
  // Send every request, then wait for the server to park them all.
  while (io.poll() > 0) {
  }
  while (hub.parked() < static_cast<std::size_t>(watchers)) {
    io.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  write_time = Clock::now();
  put.body() = "v1";
  put.prepare_payload();
  bhttp::write(probe, put);
  io.run();
  std::printf(
      "wake-up: %d watchers on one key, answered %zu: p50 %.0f us, p99 %.0f us, last %.0f us\n",
      watchers, wake_us.size(), percentile(wake_us, 0.5), percentile(wake_us, 0.99),
      wake_us.empty() ? 0.0 : *std::max_element(wake_us.begin(), wake_us.end()));
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  int watchers = argc > 2 ? std::atoi(argv[2]) : 2000;
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  WatchHub hub(io);
  MemoryKvBackend backend(&hub);
  Router router;
  register_kv_routes(router, backend, hub);
  config::HttpSection http_config;
  HttpServer server(io, http_config, router);
  if (!server.listen("127.0.0.1:0").is_ok()) return 1;
  std::thread loop([&] { io.run(); });

  std::printf("%-6s %5s %12s %10s %10s\n", "op", "conns", "req/s", "p50 us", "p99 us");
  for (const char* method : {"PUT", "GET"}) {
    for (int conns : {1, 16, 64}) {
      auto r = run_phase(server.port(), method, conns, seconds);
      std::printf("%-6s %5d %12.0f %10.0f %10.0f\n", method, conns, r.rps, r.p50_us, r.p99_us);
    }
  }
  run_wakeup(server.port(), hub, watchers);

  asio::post(io, [&] { server.stop(); });
  guard.reset();
  io.stop();
  loop.join();
  return 0;
}
