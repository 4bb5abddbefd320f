// registry_bench: the issue-6 figures, in-process (real StateStore, real
// RegistryService and handlers, real HTTP server for the query latency):
//   1. registrations/s (JSON body -> command -> apply -> watcher wake-ups);
//   2. GET /v1/health/service/:s?passing latency with 10,000 services x 10
//      instances (over HTTP, keep-alive, one client);
//   3. wake-up latency from one write to all 5,000 blocked watchers of that
//      service answered (handlers called through the router, no sockets);
//   4. resident memory per 100,000 instances.
// Usage: registry_bench [--services N] [--instances M] [--watchers W]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "../../tests/http/http_test_util.h"
#include "../../tests/registry/registry_test_util.h"
#include "consensus/state/registry_codec.h"

namespace synod::node::registry {
namespace {

using Clock = std::chrono::steady_clock;
using testing::RegistryServer;

double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  return v[i];
}

std::string registration(int service, int instance) {
  return R"({"Node":"n)" + std::to_string(instance) + R"(","Address":"10.0.)" +
         std::to_string(instance) + R"(.1","Service":{"Service":"svc-)" + std::to_string(service) +
         R"(","ID":"svc-)" + std::to_string(service) + R"(","Port":8080,"Tags":["v1"]},
         "Check":{"CheckID":"svc-)" +
         std::to_string(service) + R"(","Name":"alive","ServiceID":"svc-)" +
         std::to_string(service) + R"(","Status":"passing"}})";
}

// Applies catalog registrations straight through the service on the loop,
// `batch` at a time, returning when all applied.
void register_all(RegistryServer& server, int services, int instances) {
  const int total = services * instances;
  for (int start = 0; start < total; start += 1000) {
    server.on_loop([&, start] {
      for (int k = start; k < std::min(total, start + 1000); ++k) {
        auto body = nlohmann::ordered_json::parse(registration(k / instances, k % instances));
        auto reg = parse_catalog_register(body);
        server.service().write(consensus::state::make_register_command(std::move(*reg)),
                               [](Result<consensus::state::ApplyResult>) {});
      }
      return 0;
    });
    server.on_loop([] { return 0; });  // let the posted applies run
  }
}

int run(int services, int instances, int watchers) {
  std::printf("registry_bench: %d services x %d instances, %d watchers\n", services, instances,
              watchers);
  auto options = testing::test_options();
  RegistryServer server(options);
  const double rss_before = rss_mb();

  // 1 + 4: registrations per second and memory.
  const auto t0 = Clock::now();
  register_all(server, services, instances);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const int total = services * instances;
  const double rss_after = rss_mb();
  const std::size_t applied =
      server.on_loop([&] { return server.service().state().catalog().instance_count(); });

  // 2: health query latency.
  std::vector<double> query_us;
  {
    http::testing::Client client(server.port());
    for (int i = 0; i < 2000; ++i) {
      const std::string target =
          "/v1/health/service/svc-" + std::to_string((i * 7919) % services) + "?passing";
      const auto q0 = Clock::now();
      auto response = client.request("GET", target);
      query_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - q0).count());
      if (response.status != 200) {
        std::fprintf(stderr, "query failed: %d %s\n", response.status, response.body.c_str());
        return 1;
      }
    }
  }

  // 3: wake-up latency of `watchers` parked blocking queries on one service.
  std::vector<double> wake_us(static_cast<std::size_t>(watchers), -1);
  std::atomic<int> answered{0};
  std::promise<void> all_answered;
  Clock::time_point write_at;
  server.on_loop([&] {
    const auto index = server.service().state().catalog().index("service:svc-0");
    for (int w = 0; w < watchers; ++w) {
      http::HttpRequest request;
      request.method = "GET";
      request.path = "/v1/health/service/svc-0";
      request.query.emplace("index", std::to_string(index));
      request.query.emplace("wait", "5m");
      auto match = server.router().match(request);
      (*match.handler)(std::move(request), [&, w](http::HttpResponse) {
        wake_us[static_cast<std::size_t>(w)] =
            std::chrono::duration<double, std::micro>(Clock::now() - write_at).count();
        if (answered.fetch_add(1) + 1 == watchers) all_answered.set_value();
      });
    }
    return 0;
  });
  server.on_loop([] { return 0; });
  const auto parked = server.hub().parked();
  server.on_loop([&] {
    write_at = Clock::now();
    auto body = nlohmann::ordered_json::parse(registration(0, instances + 1));
    server.service().write(consensus::state::make_register_command(*parse_catalog_register(body)),
                           [](Result<consensus::state::ApplyResult>) {});
    return 0;
  });
  all_answered.get_future().wait();
  const double all_ms = *std::max_element(wake_us.begin(), wake_us.end()) / 1000.0;

  std::printf("\n%-52s %14s\n", "measure", "value");
  std::printf("%-52s %14zu\n", "instances applied", applied);
  std::printf("%-52s %14.0f\n", "registrations/s (catalog register, applied)", total / seconds);
  std::printf("%-52s %14.1f\n", "health/service?passing p50 (us), 10 instances",
              percentile(query_us, 50));
  std::printf("%-52s %14.1f\n", "health/service?passing p99 (us)", percentile(query_us, 99));
  std::printf("%-52s %14zu\n", "watchers parked on one service", parked);
  std::printf("%-52s %14.2f\n", "wake-up p50 (ms, write -> watcher answered)",
              percentile(wake_us, 50) / 1000);
  std::printf("%-52s %14.2f\n", "wake-up p99 (ms)", percentile(wake_us, 99) / 1000);
  std::printf("%-52s %14.2f\n", "wake-up all answered (ms)", all_ms);
  std::printf("%-52s %14.1f\n", "RSS growth (MB)", rss_after - rss_before);
  std::printf("%-52s %14.1f\n", "memory per 100,000 instances (MB)",
              (rss_after - rss_before) * 100000.0 / total);
  return 0;
}

}  // namespace
}  // namespace synod::node::registry

int main(int argc, char** argv) {
  int services = 10000, instances = 10, watchers = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--services") == 0) services = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--instances") == 0) instances = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--watchers") == 0) watchers = std::atoi(argv[i + 1]);
  }
  return synod::node::registry::run(services, instances, watchers);
}
