// The registry at the state-machine level (no HTTP, no Raft): catalog
// registrations applied per second, check status changes per second,
// /v1/health/service/:s?passing answered from 10,000 services of 10
// instances each, heap bytes per service instance (each with one service
// check, on 1,000 nodes with a serfHealth check), and snapshot + restore of
// that catalog.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "common/raft_types.h"
#include "consensus/state/command_codec.h"
#include "consensus/state/registry_codec.h"
#include "consensus/state/state_store.h"

namespace synod::consensus::state {
namespace {

constexpr std::size_t kNodes = 1000;
constexpr std::size_t kServices = 10000;
constexpr std::size_t kInstancesPerService = 10;

std::string node_name(std::size_t i) { return "node-" + std::to_string(i % kNodes); }

// Instance i: service "svc-<i % kServices>", ID "<service>-<i / kServices>",
// on node i % kNodes, with one passing HTTP check.
proto::Command instance_command(std::size_t i) {
  proto::CatalogRegister reg;
  reg.mutable_node()->set_node(node_name(i));
  reg.mutable_node()->set_address("10.0." + std::to_string(i % kNodes / 250) + "." +
                                  std::to_string(i % 250));
  reg.mutable_node()->set_datacenter("dc1");
  const std::string service = "svc-" + std::to_string(i % kServices);
  const std::string id = service + "-" + std::to_string(i / kServices);
  auto* svc = reg.mutable_service();
  svc->set_service(service);
  svc->set_id(id);
  svc->set_port(static_cast<std::uint32_t>(20000 + i % 10000));
  svc->add_tags("v1");
  svc->add_tags(i % 2 == 0 ? "primary" : "secondary");
  auto* check = reg.add_checks();
  check->set_check_id("check-" + id);
  check->set_name("HTTP health of " + id);
  check->set_status(proto::HEALTH_PASSING);
  check->set_service_id(id);
  check->set_type("http");
  check->mutable_definition()->set_http("http://127.0.0.1:" + std::to_string(svc->port()) +
                                        "/health");
  check->mutable_definition()->set_interval_ms(10000);
  check->mutable_definition()->set_timeout_ms(1000);
  return make_register_command(std::move(reg));
}

proto::Command serf_command(std::size_t node) {
  proto::CatalogRegister reg;
  reg.mutable_node()->set_node(node_name(node));
  reg.mutable_node()->set_address("10.0." + std::to_string(node / 250) + "." +
                                  std::to_string(node % 250));
  reg.mutable_node()->set_datacenter("dc1");
  auto* check = reg.add_checks();
  check->set_check_id("serfHealth");
  check->set_name("Serf Health Status");
  check->set_status(proto::HEALTH_PASSING);
  check->set_type("serf");
  return make_register_command(std::move(reg));
}

Entry entry_for(const proto::Command& command, std::uint64_t index) {
  Entry entry;
  entry.index = LogIndex(index);
  entry.data = encode_command(command);
  return entry;
}

// A store holding `instances` instances (and the serfHealth node checks).
std::unique_ptr<StateStore> build_catalog(std::size_t instances, std::uint64_t* next_index) {
  auto store = std::make_unique<StateStore>();
  std::uint64_t index = 1;
  std::vector<Entry> batch;
  auto flush = [&] {
    store->apply_batch(batch);
    batch.clear();
  };
  for (std::size_t n = 0; n < kNodes; ++n) batch.push_back(entry_for(serf_command(n), index++));
  flush();
  for (std::size_t i = 0; i < instances; ++i) {
    batch.push_back(entry_for(instance_command(i), index++));
    if (batch.size() == 256) flush();
  }
  flush();
  *next_index = index;
  return store;
}

void BM_RegisterInstances(benchmark::State& state) {
  const auto batch_size = static_cast<std::size_t>(state.range(0));
  StateStore store;
  std::uint64_t index = 1;
  std::size_t next_instance = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Entry> batch;
    batch.reserve(batch_size);
    for (std::size_t i = 0; i < batch_size; ++i) {
      batch.push_back(entry_for(instance_command(next_instance++ % 100000), index++));
    }
    state.ResumeTiming();
    BatchOutcome outcome = store.apply_batch(batch);
    benchmark::DoNotOptimize(store.records_for(outcome.changes));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_size));
  state.counters["instances"] = static_cast<double>(store.catalog().instance_count());
}
BENCHMARK(BM_RegisterInstances)->Arg(1)->Arg(64)->Unit(benchmark::kMicrosecond);

void BM_CheckStatusChange(benchmark::State& state) {
  std::uint64_t index = 0;
  std::unique_ptr<StateStore> store = build_catalog(kServices * kInstancesPerService, &index);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t instance = (i * 7919) % (kServices * kInstancesPerService);
    const std::string id =
        "svc-" + std::to_string(instance % kServices) + "-" + std::to_string(instance / kServices);
    const auto status = (i++ % 2 == 0) ? proto::HEALTH_WARNING : proto::HEALTH_PASSING;
    Entry entry = entry_for(make_check_status_command({check_status_update(
                                node_name(instance), "check-" + id, status, "HTTP GET: 200 OK")}),
                            index++);
    ApplyResult result = store->apply(entry);
    benchmark::DoNotOptimize(store->records_for(store->take_changes()));
    if (!result.ok) state.SkipWithError("status update missed its check");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_CheckStatusChange)->Unit(benchmark::kMicrosecond);

void BM_ServiceHealthPassing(benchmark::State& state) {
  std::uint64_t index = 0;
  std::unique_ptr<StateStore> store = build_catalog(kServices * kInstancesPerService, &index);
  std::size_t i = 0;
  std::size_t answered = 0;
  for (auto _ : state) {
    const std::string name = "svc-" + std::to_string((i++ * 104729) % kServices);
    std::vector<ServiceHealth> health = store->catalog().service_health(name, {}, true);
    answered += health.size();
    benchmark::DoNotOptimize(health);
  }
  state.counters["instances_per_answer"] =
      static_cast<double>(answered) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ServiceHealthPassing)->Unit(benchmark::kMicrosecond);

// Heap growth (malloc'd bytes) for 100,000 instances with one check each,
// including secondary indexes and per-resource indexes.
void BM_MemoryPer100kInstances(benchmark::State& state) {
  for (auto _ : state) {
    malloc_trim(0);
    const std::size_t before = mallinfo2().uordblks;
    std::uint64_t index = 0;
    std::unique_ptr<StateStore> store = build_catalog(kServices * kInstancesPerService, &index);
    const std::size_t after = mallinfo2().uordblks;
    const double per_instance = static_cast<double>(after - before) /
                                static_cast<double>(store->catalog().instance_count());
    state.counters["bytes_per_instance"] = per_instance;
    state.counters["total_MiB"] = static_cast<double>(after - before) / (1024.0 * 1024.0);
    state.counters["snapshot_MiB"] =
        static_cast<double>(store->snapshot().size()) / (1024.0 * 1024.0);
  }
}
BENCHMARK(BM_MemoryPer100kInstances)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Snapshot100kInstances(benchmark::State& state) {
  std::uint64_t index = 0;
  std::unique_ptr<StateStore> store = build_catalog(kServices * kInstancesPerService, &index);
  for (auto _ : state) {
    Bytes snapshot = store->snapshot();
    benchmark::DoNotOptimize(snapshot);
  }
}
BENCHMARK(BM_Snapshot100kInstances)->Unit(benchmark::kMillisecond);

void BM_Restore100kInstances(benchmark::State& state) {
  std::uint64_t index = 0;
  const Bytes snapshot = build_catalog(kServices * kInstancesPerService, &index)->snapshot();
  for (auto _ : state) {
    StateStore restored;
    if (!restored.restore(snapshot).is_ok()) state.SkipWithError("restore failed");
    benchmark::DoNotOptimize(restored);
  }
}
BENCHMARK(BM_Restore100kInstances)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace synod::consensus::state

BENCHMARK_MAIN();
