#include "node/cli/bench_kv.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "common/beast.h"
#include "node/cli/table.h"
#include "node/cli/tool_commands.h"
#include "node/http/base64.h"

namespace synod::node::cli {
namespace {

namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

// What every worker thread shares: the stop decision and the request budget.
struct Shared {
  const BenchKvOptions* options = nullptr;
  Clock::time_point deadline;
  std::atomic<std::uint64_t> issued{0};
  std::string value;         // raw value bytes
  std::string value_base64;  // for etcd

  // Claims the next request; false once the run is over.
  bool claim() {
    if (options->requests > 0) return issued.fetch_add(1) < options->requests;
    return Clock::now() < deadline;
  }
};

// Per event-loop thread statistics, merged at the end.
struct Stats {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t errors = 0;
  std::map<std::string, std::uint64_t> error_kinds;
  void error(const std::string& kind) {
    ++errors;
    if (error_kinds.size() < 32 || error_kinds.count(kind)) ++error_kinds[kind];
  }
};

// One keep-alive connection with one request outstanding at a time.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, Shared& shared, Stats& stats, std::string endpoint,
             std::uint64_t seed)
      : io_(io),
        shared_(shared),
        stats_(stats),
        endpoint_(std::move(endpoint)),
        stream_(io),
        retry_timer_(io),
        rng_(seed) {}

  void start() { connect(); }

 private:
  const BenchKvOptions& opts() const { return *shared_.options; }

  void connect() {
    if (!shared_.claim()) return;
    claimed_ = true;
    auto host_port = split_host_port(endpoint_);
    if (!host_port.is_ok()) {
      stats_.error("bad endpoint");
      return;
    }
    error_code ec;
    auto address = asio::ip::make_address(
        host_port->first == "localhost" ? "127.0.0.1" : host_port->first, ec);
    if (ec) {
      stats_.error("bad endpoint address");
      return;
    }
    asio::ip::tcp::endpoint endpoint(address, host_port->second);
    stream_.expires_after(std::chrono::milliseconds(opts().timeout_ms));
    stream_.async_connect(endpoint, [self = shared_from_this()](error_code connect_ec) {
      if (connect_ec) return self->fail("connect: " + connect_ec.message());
      self->stream_.socket().set_option(asio::ip::tcp::no_delay(true));
      self->send();
    });
  }

  void build_request() {
    const auto& o = opts();
    const std::string key =
        o.key_prefix + std::to_string(rng_() % std::max<std::uint64_t>(1, o.keys));
    bool read = o.mode == "read";
    if (o.mode == "mixed") read = std::uniform_real_distribution<double>(0, 1)(rng_) < o.read_ratio;
    is_read_ = read;
    request_ = {};
    request_.version(11);
    request_.set(bhttp::field::host, endpoint_);
    request_.keep_alive(true);
    if (o.target == "etcd") {
      request_.method(bhttp::verb::post);
      request_.set(bhttp::field::content_type, "application/json");
      std::string body = "{\"key\":\"" + node::http::base64_encode(key) + "\"";
      if (read) {
        request_.target("/v3/kv/range");
        if (o.stale) body += ",\"serializable\":true";
      } else {
        request_.target("/v3/kv/put");
        body += ",\"value\":\"" + shared_.value_base64 + "\"";
      }
      request_.body() = body + "}";
    } else {
      const std::string path = "/v1/kv/" + encode_key(key);
      if (read) {
        request_.method(bhttp::verb::get);
        request_.target(o.stale ? path + "?stale" : path);
      } else {
        request_.method(bhttp::verb::put);
        request_.target(path);
        request_.body() = shared_.value;
      }
    }
    request_.prepare_payload();
  }

  void send() {
    if (!claimed_ && !shared_.claim()) return close();
    claimed_ = false;
    build_request();
    started_ = Clock::now();
    stream_.expires_after(std::chrono::milliseconds(opts().timeout_ms));
    bhttp::async_write(stream_, request_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->fail(ec == beast::error::timeout ? "timeout" : "send: " + ec.message());
      self->response_ = {};
      bhttp::async_read(self->stream_, self->buffer_, self->response_,
                        [self](error_code read_ec, std::size_t) { self->on_response(read_ec); });
    });
  }

  void on_response(error_code ec) {
    if (ec) return fail(ec == beast::error::timeout ? "timeout" : "read: " + ec.message());
    const unsigned status = response_.result_int();
    const bool ok =
        (status >= 200 && status < 300) || (status == 404 && is_read_ && opts().target == "synod");
    if (ok) {
      const auto us =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
      stats_.latencies_us.push_back(static_cast<std::uint32_t>(
          std::min<std::int64_t>(us.count(), std::numeric_limits<std::uint32_t>::max())));
    } else {
      stats_.error("HTTP " + std::to_string(status));
    }
    if (!response_.keep_alive()) {
      close();
      return connect();
    }
    send();
  }

  // Counts the error, drops the connection and reconnects after a pause, so a
  // dead node costs one error per connection per pause instead of a spin.
  void fail(const std::string& kind) {
    stats_.error(kind);
    claimed_ = false;
    close();
    retry_timer_.expires_after(std::chrono::milliseconds(50));
    retry_timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->connect();
    });
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    buffer_.consume(buffer_.size());
  }

  asio::io_context& io_;
  Shared& shared_;
  Stats& stats_;
  std::string endpoint_;
  beast::tcp_stream stream_;
  asio::steady_timer retry_timer_;
  std::mt19937_64 rng_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> request_;
  bhttp::response<bhttp::string_body> response_;
  Clock::time_point started_;
  bool is_read_ = false;
  bool claimed_ = false;  // connect() claimed the first request of this connection
};

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)] / 1000.0;
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

}  // namespace

BenchKvResult run_bench_kv(const BenchKvOptions& options) {
  Shared shared;
  shared.options = &options;
  shared.value.resize(options.value_size);
  std::mt19937_64 value_rng(options.seed);
  for (auto& c : shared.value) c = static_cast<char>('a' + value_rng() % 26);
  shared.value_base64 = node::http::base64_encode(shared.value);

  const int threads = std::max(1, options.threads);
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<Stats> stats(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) loops.push_back(std::make_unique<asio::io_context>());
  const auto start = Clock::now();
  shared.deadline =
      start + std::chrono::microseconds(static_cast<std::int64_t>(options.duration_seconds * 1e6));
  for (int c = 0; c < options.connections; ++c) {
    const auto& endpoint =
        options.endpoints[static_cast<std::size_t>(c) % options.endpoints.size()];
    auto t = static_cast<std::size_t>(c % threads);
    std::make_shared<Connection>(*loops[t], shared, stats[t], endpoint,
                                 options.seed * 1000003 + static_cast<std::uint64_t>(c))
        ->start();
  }
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back([&loops, t] { loops[t]->run(); });
  loops[0]->run();
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  BenchKvResult result;
  std::vector<std::uint32_t> all;
  for (auto& s : stats) {
    all.insert(all.end(), s.latencies_us.begin(), s.latencies_us.end());
    result.errors += s.errors;
    for (const auto& [kind, n] : s.error_kinds) result.error_kinds[kind] += n;
  }
  std::sort(all.begin(), all.end());
  result.ok = all.size();
  result.elapsed_seconds = elapsed;
  result.throughput = elapsed > 0 ? static_cast<double>(result.ok) / elapsed : 0;
  result.p50 = percentile_ms(all, 0.50);
  result.p90 = percentile_ms(all, 0.90);
  result.p99 = percentile_ms(all, 0.99);
  result.p999 = percentile_ms(all, 0.999);
  result.max = all.empty() ? 0 : all.back() / 1000.0;
  double sum = 0;
  for (auto v : all) sum += v;
  result.mean = all.empty() ? 0 : sum / static_cast<double>(all.size()) / 1000.0;
  return result;
}

namespace {

int bench_kv_command(BenchKvOptions options, const std::string& endpoints,
                     const GlobalOptions& global) {
  std::string list = endpoints.empty() ? global.http_addr : endpoints;
  std::stringstream stream(list);
  for (std::string item; std::getline(stream, item, ',');) {
    if (item.rfind("http://", 0) == 0) item = item.substr(7);
    if (!item.empty() && item.back() == '/') item.pop_back();
    if (!item.empty()) options.endpoints.push_back(item);
  }
  for (const auto& e : options.endpoints) {
    if (auto hp = split_host_port(e); !hp.is_ok()) {
      std::cerr << "error: " << hp.status().message() << "\n";
      return kExitUsage;
    }
  }
  if (options.endpoints.empty() || options.connections < 1) {
    std::cerr << "error: need at least one endpoint and one connection\n";
    return kExitUsage;
  }
  const auto r = run_bench_kv(options);
  if (global.output == "json") {
    nlohmann::json out = {{"target", options.target},
                          {"mode", options.mode},
                          {"connections", options.connections},
                          {"value_size", options.value_size},
                          {"stale", options.stale},
                          {"elapsed_s", r.elapsed_seconds},
                          {"ok", r.ok},
                          {"errors", r.errors},
                          {"error_kinds", r.error_kinds},
                          {"throughput", r.throughput},
                          {"latency_ms",
                           {{"mean", r.mean},
                            {"p50", r.p50},
                            {"p90", r.p90},
                            {"p99", r.p99},
                            {"p999", r.p999},
                            {"max", r.max}}}};
    std::cout << out.dump(2) << "\n";
  } else {
    print_table(std::cout,
                {"TARGET", "MODE", "CONNS", "OK", "ERRORS", "REQ/S", "P50 MS", "P90 MS", "P99 MS",
                 "P999 MS", "MAX MS"},
                {{options.target, options.mode + (options.stale ? " (stale)" : ""),
                  std::to_string(options.connections), std::to_string(r.ok),
                  std::to_string(r.errors), fixed(r.throughput, 0), fixed(r.p50, 3),
                  fixed(r.p90, 3), fixed(r.p99, 3), fixed(r.p999, 3), fixed(r.max, 3)}});
    for (const auto& [kind, n] : r.error_kinds)
      std::cout << "  error " << kind << ": " << n << "\n";
  }
  return r.ok == 0 ? kExitError : kExitOk;
}

}  // namespace

void register_bench_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto* bench = app.add_subcommand("bench", "Load generators");
  bench->require_subcommand(1);
  auto opts = std::make_shared<BenchKvOptions>();
  auto endpoints = std::make_shared<std::string>();
  auto* kv = bench->add_subcommand("kv", "KV load against synod or etcd (closed loop)");
  kv->add_option("--target", opts->target, "synod (Consul KV API) or etcd (v3 JSON gateway)")
      ->check(CLI::IsMember({"synod", "etcd"}))
      ->capture_default_str();
  kv->add_option("--endpoints", *endpoints,
                 "Comma-separated host:port list (default: --http-addr)");
  kv->add_option("-c,--connections", opts->connections, "Connections, one request in flight each")
      ->capture_default_str();
  kv->add_option("--threads", opts->threads, "Client event-loop threads")->capture_default_str();
  kv->add_option("-d,--duration", opts->duration_seconds, "Seconds to run (without --requests)")
      ->capture_default_str();
  kv->add_option("-n,--requests", opts->requests, "Total requests (0: use --duration)")
      ->capture_default_str();
  kv->add_option("--value-size", opts->value_size, "Value bytes")->capture_default_str();
  kv->add_option("--keys", opts->keys, "Key space size")->capture_default_str();
  kv->add_option("--key-prefix", opts->key_prefix, "Key prefix")->capture_default_str();
  kv->add_option("--mode", opts->mode, "write, read or mixed")
      ->check(CLI::IsMember({"write", "read", "mixed"}))
      ->capture_default_str();
  kv->add_option("--read-ratio", opts->read_ratio, "Share of reads in mixed mode")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  kv->add_flag("--stale", opts->stale, "Stale reads (synod ?stale, etcd serializable)");
  kv->add_option("--timeout-ms", opts->timeout_ms, "Per-request timeout")->capture_default_str();
  kv->add_option("--seed", opts->seed, "Random seed")->capture_default_str();
  kv->callback([&action, &global, opts, endpoints] {
    action = [&global, opts, endpoints] { return bench_kv_command(*opts, *endpoints, global); };
  });
}

}  // namespace synod::node::cli
