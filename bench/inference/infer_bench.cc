// infer_bench: inference throughput and latency for the demo models
// (docs/inference.md "Performance").
//
//   (a) direct  OpenCV DNN called in a loop in-process (one net per thread)
//   (b) http    one node over HTTP, dynamic batching off (model mlp / cnn)
//   (c) batch   the same node, dynamic batching on (mlp_batched / cnn_batched)
//   (d) forward through a second node that lacks the model and forwards it
//
//   bhttp, bbatch, bforward: (b)-(d) with Triton binary tensor data (the
//           input as raw FP32 after the JSON header, the output asked for
//           in binary), printed as rows of their own after the JSON ones
//   floor   the bbatch request's bytes sent to GET /v2/health/live: node1's
//           HTTP work alone (read, parse, route, answer) with no inference,
//           the least any HTTP mode can cost per request on this machine
//
// Usage: infer_bench [--synod PATH] [--duration-ms N] [--models mlp,cnn]
//                    [--concurrency 1,8,32,64] [--modes direct,http,batch,forward]
//                    [--repeat N]  (each row: the median of N runs)
//                    [--binary]    (adds the modes bhttp,bbatch,bforward,floor)
// Extra modes: "profile" (microseconds per request for each piece: JSON
// decode, encode, forward at batch 1 and 32) and "ceiling" (samples/s of
// batched forwards in-process, the most a batching node could reach).
// (b)-(d) start a 2-node cluster with `synod cluster up` in a temp dir and
// stop it at the end. For each model and concurrency, every mode runs once
// per round, back to back, so (a) and (c) see the same background load on a
// shared machine; each row is the median of --repeat rounds.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "inference/backend.h"
#include "inference/demo_models.h"
#include "inference/oip_json.h"
#include "inference/onnx_model.h"
#include "inference/repository.h"
#include "node/inference/load_generator.h"

namespace fs = std::filesystem;
using namespace synod;
using synod::node::inference::LoadResult;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) out.push_back(part);
  return out;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

// The demo model (mlp or cnn by prefix), checked and rewritten as a node loads it.
Result<inference::PreparedModel> demo_model(const std::string& model) {
  const bool cnn = model.rfind("cnn", 0) == 0;
  return inference::prepare_onnx_model(cnn
                                           ? inference::build_cnn_onnx(inference::demo_cnn_weights())
                                           : inference::build_mlp_onnx(inference::demo_mlp_weights()));
}

// (a): every client thread owns one cv::dnn::Net (threads 1, as a model
// instance) and calls forward() on a batch of one, back to back.
LoadResult direct(const std::string& model, int concurrency, std::chrono::milliseconds duration) {
  auto prepared = demo_model(model);
  return node::inference::run_local_load(
      [&]() -> std::function<bool()> {
        std::shared_ptr<inference::Backend> backend = inference::make_opencv_backend();
        (void)backend->load(prepared->bytes, prepared->signature, {});
        auto input = inference::demo_input(model);
        (void)backend->run({input});  // OpenCV sets the net up on the first forward
        return [backend, input] { return backend->run({input}).is_ok(); };
      },
      concurrency, duration, std::chrono::milliseconds(100));
}

// (a') a stronger in-process baseline than (a): `nets` networks (one per
// core) shared by all client threads, each call locking one, batch 1.
LoadResult direct_pool(const std::string& model, int concurrency, int nets,
                       std::chrono::milliseconds duration) {
  auto prepared = demo_model(model);
  struct Slot {
    std::mutex mutex;
    std::unique_ptr<inference::Backend> backend = inference::make_opencv_backend();
  };
  std::vector<Slot> slots(static_cast<std::size_t>(nets));
  const auto input = inference::demo_input(model);
  for (auto& slot : slots) {
    (void)slot.backend->load(prepared->bytes, prepared->signature, {});
    (void)slot.backend->run({input});
  }
  std::atomic<int> next{0};
  return node::inference::run_local_load(
      [&]() -> std::function<bool()> {
        Slot* slot = &slots[static_cast<std::size_t>(next++ % nets)];
        return [slot, &input] {
          std::lock_guard lock(slot->mutex);
          return slot->backend->run({input}).is_ok();
        };
      },
      concurrency, duration, std::chrono::milliseconds(100));
}

// Not (a): the compute ceiling of a batching server. `threads` threads each
// own one net and run batches of `rows`; throughput counts samples (rows).
LoadResult direct_batched(const std::string& model, int threads, int rows,
                          std::chrono::milliseconds duration) {
  auto prepared = demo_model(model);
  auto r = node::inference::run_local_load(
      [&]() -> std::function<bool()> {
        std::shared_ptr<inference::Backend> backend = inference::make_opencv_backend();
        (void)backend->load(prepared->bytes, prepared->signature, {});
        auto input = inference::demo_input(model, rows);
        return [backend, input] { return backend->run({input}).is_ok(); };
      },
      threads, duration, std::chrono::milliseconds(100));
  r.throughput *= rows;
  return r;
}

// Microseconds per call of `f`, over about 300 ms.
template <typename F>
double micros_per_call(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::milliseconds(300);
  long n = 0;
  while (std::chrono::steady_clock::now() < until) {
    f();
    ++n;
  }
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
             .count() /
         static_cast<double>(n);
}

// Where one request's time goes, piece by piece, on one thread.
void profile(const std::string& m) {
  auto prepared = demo_model(m);
  inference::LoadedModel model;
  model.name = m;
  model.config = inference::demo_config(true);
  model.signature = prepared->signature;
  const std::string body = inference::demo_request_json(m);
  auto backend = inference::make_opencv_backend();
  (void)backend->load(prepared->bytes, prepared->signature, {});
  const auto one = inference::demo_input(m, 1);
  const auto batch = inference::demo_input(m, 32);
  auto outputs = backend->run({one});
  std::printf("profile %s: body %zu bytes; us per request:\n", m.c_str(), body.size());
  std::printf("  nlohmann DOM parse (before)   %8.1f\n", micros_per_call([&] {
                auto doc = nlohmann::json::parse(body, nullptr, false);
                return doc.size();
              }));
  std::printf("  decode_infer_request          %8.1f\n",
              micros_per_call([&] { return inference::decode_infer_request(body, model).is_ok(); }));
  const auto binary = inference::encode_infer_request_binary({one}, true);
  std::printf("  decode, binary (%5zu bytes)   %8.1f\n", binary.body.size(), micros_per_call([&] {
                return inference::decode_infer_request(binary.body, model, binary.json_length)
                    .is_ok();
              }));
  inference::DecodedRequest binary_out;
  binary_out.binary_all = true;
  std::printf("  encode_infer_response, binary %8.1f\n", micros_per_call([&] {
                return inference::encode_infer_response(m, 1, binary_out, *outputs).body.size();
              }));
  std::printf("  encode_infer_response         %8.1f\n", micros_per_call([&] {
                return inference::encode_infer_response(m, 1, "", *outputs, {}).size();
              }));
  std::printf("  forward, batch 1              %8.1f\n",
              micros_per_call([&] { return backend->run({one}).is_ok(); }));
  std::printf("  forward, batch 32, per row    %8.1f\n",
              micros_per_call([&] { return backend->run({batch}).is_ok(); }) / 32);
  // A dynamic batcher's batches change size from one run to the next, and
  // OpenCV sets its network up again whenever the input shape changes.
  const auto b16 = inference::demo_input(m, 16), b15 = inference::demo_input(m, 15);
  std::printf("  forward, batch 16, per row    %8.1f\n",
              micros_per_call([&] { return backend->run({b16}).is_ok(); }) / 16);
  bool odd = false;
  std::printf("  forward, 16/15 in turn, /row  %8.1f\n", micros_per_call([&] {
                odd = !odd;
                return backend->run({odd ? b15 : b16}).is_ok();
              }) / 15.5);
  std::fflush(stdout);
}

// The run with the median throughput of `repeat` runs of `once` (the
// machine is shared: single runs swing with other processes' load).
template <typename F>
LoadResult median_of(int repeat, F&& once) {
  std::vector<LoadResult> runs;
  for (int i = 0; i < repeat; ++i) runs.push_back(once());
  std::sort(runs.begin(), runs.end(),
            [](const LoadResult& a, const LoadResult& b) { return a.throughput < b.throughput; });
  return runs[runs.size() / 2];
}

void print_row(const std::string& mode, const std::string& model, int c, const LoadResult& r,
               double cpu_us = 0) {
  std::printf("%-8s %-12s %5d %10.0f %9.3f %9.3f %9.0f %7llu  %s\n", mode.c_str(), model.c_str(),
              c, r.throughput, r.p50_ms, r.p99_ms, cpu_us > 0 ? cpu_us : r.caller_cpu_us,
              static_cast<unsigned long long>(r.errors),
              r.ok == 0 ? r.last_error.c_str() : r.served_by.c_str());
  std::fflush(stdout);
}

// CPU seconds a process has used (/proc/PID/stat utime + stime).
double process_cpu_seconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::stringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
    if (i == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The comma-separated list has exactly this item.
bool has(const std::string& list, const std::string& item) {
  const auto items = split(list);
  return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

int main(int argc, char** argv) {
  std::string synod = (fs::path(argv[0]).parent_path().parent_path() / "bin" / "synod").string();
  bool binary = false;
  std::vector<char*> args{argv[0]};  // without the value-less --binary
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--binary") {
      binary = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  argc = static_cast<int>(args.size());
  argv = args.data();
  int duration_ms = 1000;
  int repeat = 1;  // each row is the median (by req/s) of this many runs
  std::vector<std::string> models{"mlp", "cnn"};
  std::vector<int> levels{1, 8, 32, 64};
  std::string modes = "direct,pool,http,batch,forward";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--synod") synod = value;
    else if (flag == "--duration-ms") duration_ms = std::stoi(value);
    else if (flag == "--models") models = split(value);
    else if (flag == "--modes") modes = value;
    else if (flag == "--repeat") repeat = std::max(1, std::stoi(value));
    else if (flag == "--concurrency") {
      levels.clear();
      for (const auto& s : split(value)) levels.push_back(std::stoi(s));
    }
  }
  if (binary) modes += ",bhttp,bbatch,bforward,floor";
  const auto duration = std::chrono::milliseconds(duration_ms);
  std::printf(
      "# (a) direct: cv::dnn::Net::forward in this process, one net per client thread, batch 1\n"
      "# (a') pool: the same, but 2 nets (one per core) shared by the client threads\n"
      "# (b) http: node1 over HTTP, batching off; (c) batch: node1, dynamic batching on;\n"
      "# (d) forward: node2 forwards to node1 (batching on). Rows: median of %d round(s).\n"
      "# cpu us: CPU time per request: the forward call's thread CPU for (a)/(a'); client\n"
      "# thread CPU + the serving node processes' CPU for (b)-(d) (load-independent).\n"
      "# bhttp/bbatch/bforward: (b)-(d) with binary tensor data in and out.\n"
      "# floor: bbatch's request bytes to GET /v2/health/live (HTTP alone, no inference).\n",
      repeat);
  std::printf("%-8s %-12s %5s %10s %9s %9s %9s %7s  %s\n", "mode", "model", "conc", "req/s",
              "p50 ms", "p99 ms", "cpu us", "errors", "served by");
  if (has(modes, "profile")) {
    for (const auto& m : models) profile(m);
  }
  if (has(modes, "ceiling")) {
    // Samples/s of batched forwards (what a batching node can reach at best).
    for (const auto& m : models) {
      for (int rows : {8, 32}) {
        for (int threads : {1, 2}) {
          print_row("b" + std::to_string(rows) + "x" + std::to_string(threads), m, rows * threads,
                    direct_batched(m, threads, rows, duration));
        }
      }
    }
  }
  const std::vector<std::string> all_modes = {"direct", "pool",   "http",     "batch", "forward",
                                              "bhttp",  "bbatch", "bforward", "floor"};
  if (std::none_of(all_modes.begin() + 2, all_modes.end(),
                   [&](const std::string& mode) { return has(modes, mode); }) &&
      !has(modes, "direct")) {
    return 0;
  }

  const fs::path dir = fs::temp_directory_path() / ("synod-infer-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  if (!inference::write_demo_repository((dir / "models").string(), false).is_ok()) return 1;
  const int base = 24000 + (getpid() % 400) * 10;
  const std::string up = synod + " cluster up -n 2 --dir " + (dir / "cluster").string() +
                         " --base-port " + std::to_string(base) + " --models " +
                         (dir / "models").string() + " --timeout 60 -o json >/dev/null 2>&1";
  if (std::system(up.c_str()) != 0) {
    std::cerr << "cluster up failed: " << up << "\n";
    return 1;
  }
  auto read_pid = [&](const std::string& node) {
    std::ifstream in(dir / "cluster" / node / "agent.pid");
    std::string pid;
    in >> pid;
    return pid;
  };
  const std::string pid1 = read_pid("node1"), pid2 = read_pid("node2");
  const std::string node1 = "127.0.0.1:" + std::to_string(base);
  const std::string node2 = "127.0.0.1:" + std::to_string(base + 10);
  // node2 serves nothing itself: it forwards every model to node1.
  for (const auto& m : {"mlp", "cnn", "mlp_batched", "cnn_batched"}) {
    run("curl -s -m 30 -X POST http://" + node1 + "/v2/repository/models/" + m + "/load");
    run("curl -s -m 30 -X POST http://" + node2 + "/v2/repository/models/" + m + "/unload");
  }
  // Until node1 has every model ready and node2 has learned so from gossip.
  for (int i = 0; i < 600; ++i) {
    const auto ready = run("curl -s -m 5 http://" + node1 + "/v1/synod/inference/models");
    const auto seen = run("curl -s -m 5 http://" + node2 + "/v1/synod/inference/models");
    bool all = true;
    for (const auto& m : {"\"mlp\"", "\"cnn\"", "\"mlp_batched\"", "\"cnn_batched\""}) {
      all = all && ready.find(m) != std::string::npos && seen.find(m) != std::string::npos;
    }
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Each round runs every mode once, back to back, so (a) and (c) see the
  // same background load; a row is the median of `repeat` rounds.
  for (const auto& m : models) {
    for (int c : levels) {
      std::map<std::string, std::vector<LoadResult>> runs;
      std::map<std::string, std::vector<double>> cpu;  // HTTP modes: client + node(s)
      for (int round = 0; round < repeat; ++round) {
        for (const std::string& mode : all_modes) {
          if (!has(modes, mode)) continue;
          if (mode == "direct") {
            runs[mode].push_back(direct(m, c, duration));
            continue;
          }
          if (mode == "pool") {
            runs[mode].push_back(direct_pool(m, c, 2, duration));
            continue;
          }
          const bool floor = mode == "floor";
          const bool in_binary = (mode[0] == 'b' && mode != "batch") || floor;
          const std::string base = floor ? "batch" : in_binary ? mode.substr(1) : mode;
          node::inference::LoadOptions load;
          load.address = base == "forward" ? node2 : node1;
          load.target = "/v2/models/" + (base == "http" ? m : m + "_batched") + "/infer";
          if (floor) {
            load.method = "GET";
            load.target = "/v2/health/live";
          }
          if (in_binary) {
            auto encoded = inference::encode_infer_request_binary({inference::demo_input(m)}, true);
            load.body = std::move(encoded.body);
            load.headers = {{"Content-Type", "application/octet-stream"},
                            {"Inference-Header-Content-Length",
                             std::to_string(*encoded.json_length)}};
          } else {
            load.body = inference::demo_request_json(m);
          }
          load.concurrency = c;
          load.duration = duration;
          auto server_cpu = [&] {
            return process_cpu_seconds(pid1) + (base == "forward" ? process_cpu_seconds(pid2) : 0);
          };
          const double before = server_cpu();
          auto r = node::inference::run_http_load(load);
          const double server_us =
              r.calls ? (server_cpu() - before) * 1e6 / static_cast<double>(r.calls) : 0;
          cpu[mode].push_back(r.caller_cpu_us + server_us);
          runs[mode].push_back(std::move(r));
        }
      }
      double a = 0, batch = 0, bbatch = 0;
      for (const std::string& mode : all_modes) {
        if (!runs.count(mode)) continue;
        int i = 0;
        const auto r = median_of(repeat, [&] { return runs[mode][i++]; });
        if (mode == "direct") a = r.throughput;
        if (mode == "batch") batch = r.throughput;
        if (mode == "bbatch") bbatch = r.throughput;
        const bool batched = mode.find("batch") != std::string::npos ||
                             mode.find("forward") != std::string::npos;
        print_row(mode, mode == "floor" ? "-" : batched ? m + "_batched" : m, c, r,
                  median(cpu[mode]));
        if (mode == "forward" && a > 0 && batch > 0) {
          std::printf("  (c)/(a) = %.0f%%\n", 100 * batch / a);
        }
        if (mode == "bforward" && a > 0 && bbatch > 0) {
          std::printf("  (c)/(a) binary = %.0f%%\n", 100 * bbatch / a);
        }
      }
      if (a > 0 && batch > 0 && !runs.count("forward")) {
        std::printf("  (c)/(a) = %.0f%%\n", 100 * batch / a);
      }
      if (a > 0 && bbatch > 0 && !runs.count("bforward")) {
        std::printf("  (c)/(a) binary = %.0f%%\n", 100 * bbatch / a);
      }
    }
  }
  run(synod + " cluster down --dir " + (dir / "cluster").string() + " >/dev/null 2>&1");
  fs::remove_all(dir);
  return 0;
}
