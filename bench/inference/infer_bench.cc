// infer_bench: inference throughput and latency for the demo models
// (docs/inference.md "Performance").
//
//   (a) direct  OpenCV DNN called in a loop in-process (one net per thread)
//   (b) http    one node over HTTP, dynamic batching off (model mlp / cnn)
//   (c) batch   the same node, dynamic batching on (mlp_batched / cnn_batched)
//   (d) forward through a second node that lacks the model and forwards it
//
// Usage: infer_bench [--synod PATH] [--duration-ms N] [--models mlp,cnn]
//                    [--concurrency 1,8,32,64]
// (b)-(d) start a 2-node cluster with `synod cluster up` in a temp dir and
// stop it at the end.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "inference/backend.h"
#include "inference/demo_models.h"
#include "inference/onnx_model.h"
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

bool is_cnn(const std::string& model) { return model.rfind("cnn", 0) == 0; }

std::vector<float> sample_input(const std::string& model) {
  const int n = is_cnn(model) ? 64 : 16;
  std::vector<float> x;
  for (int i = 0; i < n; ++i) x.push_back(static_cast<float>((i * 7) % 11) / 10.0f - 0.5f);
  return x;
}

std::string request_body(const std::string& model) {
  auto x = sample_input(model);
  std::string data;
  for (float v : x) data += (data.empty() ? "" : ",") + std::to_string(v);
  return std::string(R"({"inputs":[{"name":")") + (is_cnn(model) ? "image" : "input") +
         R"(","datatype":"FP32","shape":)" + (is_cnn(model) ? "[1,1,8,8]" : "[1,16]") +
         R"(,"data":[)" + data + "]}]}";
}

LoadResult direct(const std::string& model, int concurrency, std::chrono::milliseconds duration) {
  const std::string bytes = is_cnn(model) ? inference::build_cnn_onnx(inference::demo_cnn_weights())
                                          : inference::build_mlp_onnx(inference::demo_mlp_weights());
  auto prepared = inference::prepare_onnx_model(bytes);
  return node::inference::run_local_load(
      [&]() -> std::function<bool()> {
        std::shared_ptr<inference::Backend> backend = inference::make_opencv_backend();
        (void)backend->load(prepared->bytes, prepared->signature, {});
        inference::Tensor t;
        t.name = is_cnn(model) ? "image" : "input";
        t.shape = is_cnn(model) ? inference::Shape{1, 1, 8, 8} : inference::Shape{1, 16};
        t.data = sample_input(model);
        return [backend, t] { return backend->run({t}).is_ok(); };
      },
      concurrency, duration, std::chrono::milliseconds(100));
}

void print_row(const std::string& mode, const std::string& model, int c, const LoadResult& r) {
  std::printf("%-8s %-12s %5d %10.0f %9.3f %9.3f %7llu  %s\n", mode.c_str(), model.c_str(), c,
              r.throughput, r.p50_ms, r.p99_ms, static_cast<unsigned long long>(r.errors),
              r.ok == 0 ? r.last_error.c_str() : r.served_by.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string synod = (fs::path(argv[0]).parent_path().parent_path() / "bin" / "synod").string();
  int duration_ms = 1000;
  std::vector<std::string> models{"mlp", "cnn"};
  std::vector<int> levels{1, 8, 32, 64};
  std::string modes = "direct,http,batch,forward";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--synod") synod = value;
    else if (flag == "--duration-ms") duration_ms = std::stoi(value);
    else if (flag == "--models") models = split(value);
    else if (flag == "--modes") modes = value;
    else if (flag == "--concurrency") {
      levels.clear();
      for (const auto& s : split(value)) levels.push_back(std::stoi(s));
    }
  }
  const auto duration = std::chrono::milliseconds(duration_ms);
  std::printf("%-8s %-12s %5s %10s %9s %9s %7s  %s\n", "mode", "model", "conc", "req/s",
              "p50 ms", "p99 ms", "errors", "served by");
  if (modes.find("direct") != std::string::npos) {
    for (const auto& m : models) {
      for (int c : levels) print_row("direct", m, c, direct(m, c, duration));
    }
  }
  if (modes == "direct") return 0;

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
  const std::string node1 = "127.0.0.1:" + std::to_string(base);
  const std::string node2 = "127.0.0.1:" + std::to_string(base + 10);
  // node2 serves nothing itself: it forwards every model to node1.
  for (const auto& m : {"mlp", "cnn", "mlp_batched", "cnn_batched"}) {
    run("curl -s -m 30 -X POST http://" + node1 + "/v2/repository/models/" + m + "/load");
    run("curl -s -m 30 -X POST http://" + node2 + "/v2/repository/models/" + m + "/unload");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // one status round
  for (const auto& m : models) {
    for (const std::string mode : {"http", "batch", "forward"}) {
      if (modes.find(mode) == std::string::npos) continue;
      const std::string model = mode == "http" ? m : m + "_batched";
      for (int c : levels) {
        node::inference::LoadOptions load;
        load.address = mode == "forward" ? node2 : node1;
        load.target = "/v2/models/" + model + "/infer";
        load.body = request_body(m);
        load.concurrency = c;
        load.duration = duration;
        print_row(mode, model, c, node::inference::run_http_load(load));
      }
    }
  }
  run(synod + " cluster down --dir " + (dir / "cluster").string() + " >/dev/null 2>&1");
  fs::remove_all(dir);
  return 0;
}
