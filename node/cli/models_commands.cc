// `synod models list|load|unload|demo`, `synod infer` and `synod bench
// infer` (docs/inference.md).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "inference/demo_models.h"
#include "inference/oip_json.h"
#include "node/cli/table.h"
#include "node/cli/tool_commands.h"
#include "node/inference/load_generator.h"

namespace synod::node::cli {
namespace {

using nlohmann::json;

struct ModelsOptions {
  std::string name;
  std::string dir;
  std::string input = "-";
  std::string version;
  bool batching = false;
  std::string model = "mlp";
  std::string forward_addr;
  std::vector<int> concurrency{1, 8, 32, 64};
  double duration_seconds = 2;
  bool binary = false;  // bench infer: binary tensor data in and out
};

int fail(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return kExitError;
}

// Shape of a nested JSON array ([[1,2],[3,4]] -> [2,2]); flat -> [1, n].
json shape_of(const json& data) {
  json shape = json::array();
  const json* level = &data;
  while (level->is_array()) {
    shape.push_back(level->size());
    if (level->empty()) break;
    level = &(*level)[0];
  }
  if (shape.size() == 1) shape.insert(shape.begin(), 1);
  return shape;
}

int list_models(const GlobalOptions& global) {
  auto index = api_call("POST", global.http_addr, "/v2/repository/index", "{}");
  if (!index.is_ok()) return fail(index.status());
  auto cluster = api_call("GET", global.http_addr, "/v1/synod/inference/models");
  json doc = json::parse(index->body, nullptr, false);
  json peers = cluster.is_ok() ? json::parse(cluster->body, nullptr, false) : json();
  if (global.output == "json") {
    std::cout << json{{"local", doc}, {"cluster", peers}}.dump(2) << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : doc) {
    std::string nodes;
    if (peers.is_object() && peers.contains("peers")) {
      for (const auto& [node, models] : peers["peers"].items()) {
        for (const auto& name : models) {
          if (name == m.value("name", "")) nodes += (nodes.empty() ? "" : ",") + node;
        }
      }
    }
    rows.push_back({m.value("name", ""), m.value("version", ""), m.value("state", ""),
                    nodes.empty() ? "-" : nodes, m.value("reason", "")});
  }
  print_table(std::cout, {"NAME", "VERSION", "STATE", "ALSO ON", "REASON"}, rows);
  return kExitOk;
}

int infer(const GlobalOptions& global, const ModelsOptions& opts) {
  std::string text;
  if (opts.input == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(opts.input);
    if (!in) return fail(not_found("cannot read " + opts.input));
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string base = "/v2/models/" + encode_key(opts.name) +
                           (opts.version.empty() ? "" : "/versions/" + opts.version);
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return fail(invalid_argument("the input is not JSON"));
  if (doc.is_array()) {
    // A bare array: the model's first input, shape from the nesting.
    auto meta = api_call("GET", global.http_addr, base);
    if (!meta.is_ok()) return fail(meta.status());
    json m = json::parse(meta->body, nullptr, false);
    if (m.is_discarded() || !m.contains("inputs") || m["inputs"].empty()) {
      return fail(invalid_argument("model metadata has no inputs"));
    }
    const auto& in = m["inputs"][0];
    doc = json{{"inputs", json::array({{{"name", in["name"]},
                                        {"datatype", in["datatype"]},
                                        {"shape", shape_of(doc)},
                                        {"data", doc}}})}};
  }
  auto reply = api_call("POST", global.http_addr, base + "/infer", doc.dump(),
                        std::chrono::seconds(60));
  if (!reply.is_ok()) return fail(reply.status());
  json out = json::parse(reply->body, nullptr, false);
  if (global.output == "json" || out.is_discarded()) {
    std::cout << reply->body << "\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : out["outputs"]) {
    std::string data = o["data"].dump();
    if (data.size() > 120) data = data.substr(0, 117) + "...";
    rows.push_back({o.value("name", ""), o.value("datatype", ""), o["shape"].dump(), data});
  }
  print_table(std::cout, {"OUTPUT", "DATATYPE", "SHAPE", "DATA"}, rows);
  if (auto it = reply->headers.find("x-synod-served-by"); it != reply->headers.end()) {
    std::cout << "served by " << it->second << "\n";
  }
  return kExitOk;
}

// One request body for a demo model (batch 1, fixed values).
std::string demo_request(const std::string& model) {
  return synod::inference::demo_request_json(model);
}

int bench_infer(const GlobalOptions& global, const ModelsOptions& opts) {
  std::vector<std::vector<std::string>> rows;
  json results = json::array();
  for (int c : opts.concurrency) {
    node::inference::LoadOptions load;
    load.address = opts.forward_addr.empty() ? global.http_addr : opts.forward_addr;
    load.target = "/v2/models/" + opts.model + "/infer";
    if (opts.binary) {
      auto encoded = synod::inference::encode_infer_request_binary(
          {synod::inference::demo_input(opts.model)}, true);
      load.body = std::move(encoded.body);
      load.headers = {{"Content-Type", "application/octet-stream"},
                      {"Inference-Header-Content-Length", std::to_string(*encoded.json_length)}};
    } else {
      load.body = demo_request(opts.model);
    }
    load.concurrency = c;
    load.duration = std::chrono::milliseconds(static_cast<int>(opts.duration_seconds * 1000));
    auto r = node::inference::run_http_load(load);
    char buf[64];
    std::vector<std::string> row{opts.model, std::to_string(c)};
    std::snprintf(buf, sizeof buf, "%.0f", r.throughput);
    row.push_back(buf);
    std::snprintf(buf, sizeof buf, "%.3f", r.p50_ms);
    row.push_back(buf);
    std::snprintf(buf, sizeof buf, "%.3f", r.p99_ms);
    row.push_back(buf);
    row.push_back(std::to_string(r.errors));
    row.push_back(r.served_by);
    rows.push_back(row);
    results.push_back({{"model", opts.model}, {"concurrency", c}, {"throughput", r.throughput},
                       {"p50_ms", r.p50_ms}, {"p99_ms", r.p99_ms}, {"errors", r.errors},
                       {"served_by", r.served_by}, {"last_error", r.last_error}});
    if (r.ok == 0 && !r.last_error.empty()) std::cerr << "last error: " << r.last_error << "\n";
  }
  if (global.output == "json") {
    std::cout << results.dump(2) << "\n";
  } else {
    print_table(std::cout, {"MODEL", "CONC", "REQ/S", "P50 MS", "P99 MS", "ERRORS", "SERVED BY"},
                rows);
  }
  return kExitOk;
}

}  // namespace

void register_models_commands(CLI::App& app, GlobalOptions& global, Action& action) {
  auto opts = std::make_shared<ModelsOptions>();
  auto* models = app.add_subcommand("models", "Model repository of a node (inference)");
  models->require_subcommand(1);
  models->add_subcommand("list", "Models in the node's repository and which nodes serve them")
      ->callback([&global, &action] { action = [&global] { return list_models(global); }; });
  for (const bool load : {true, false}) {
    auto* cmd = models->add_subcommand(load ? "load" : "unload",
                                       load ? "Load or reload a model" : "Unload a model");
    cmd->add_option("name", opts->name, "Model name")->required();
    cmd->callback([&global, &action, opts, load] {
      action = [&global, opts, load] {
        auto r = api_call("POST", global.http_addr,
                          "/v2/repository/models/" + encode_key(opts->name) +
                              (load ? "/load" : "/unload"),
                          "{}", std::chrono::seconds(120));
        if (!r.is_ok()) return fail(r.status());
        std::cout << (load ? "loaded " : "unloaded ") << opts->name << "\n";
        return kExitOk;
      };
    });
  }
  auto* demo = models->add_subcommand("demo", "Write the demo models (mlp, cnn) into DIR");
  demo->add_option("dir", opts->dir, "Repository directory")->required();
  demo->add_flag("--batching", opts->batching, "Turn dynamic batching on for mlp and cnn");
  demo->callback([&action, opts] {
    action = [opts] {
      auto s = synod::inference::write_demo_repository(opts->dir, opts->batching);
      if (!s.is_ok()) return fail(s);
      for (const std::string model : {"mlp", "cnn"}) {
        std::ofstream(opts->dir + "/" + model + "/example_request.json") << demo_request(model)
                                                                       << "\n";
      }
      std::cout << "wrote mlp, cnn" << (opts->batching ? "" : ", mlp_batched, cnn_batched")
                << " to " << opts->dir << " (example requests: <model>/example_request.json)\n";
      return kExitOk;
    };
  });

  auto* infer_cmd = app.add_subcommand("infer", "Run one inference request and print the outputs");
  infer_cmd->add_option("model", opts->name, "Model name")->required();
  infer_cmd->add_option("--input", opts->input,
                        "OIP request JSON, or a bare (nested) array for the first input; - is "
                        "stdin")
      ->capture_default_str();
  infer_cmd->add_option("--model-version", opts->version, "Model version (default: latest)");
  infer_cmd->callback([&global, &action, opts] {
    action = [&global, opts] { return infer(global, *opts); };
  });

  CLI::App* bench = nullptr;
  try {
    bench = app.get_subcommand("bench");
  } catch (const CLI::OptionNotFound&) {
    bench = app.add_subcommand("bench", "Load generators");
  }
  auto* bi = bench->add_subcommand("infer", "Inference throughput and latency over HTTP");
  bi->add_option("--model", opts->model, "Model (demo input: mlp*, cnn*)")->capture_default_str();
  bi->add_option("--via", opts->forward_addr, "Send to this node instead of --http-addr");
  bi->add_option("-c,--concurrency", opts->concurrency, "Concurrency levels")
      ->delimiter(',')
      ->capture_default_str();
  bi->add_option("-d,--duration", opts->duration_seconds, "Seconds per level")
      ->capture_default_str();
  bi->add_flag("--binary", opts->binary,
               "Send the input and ask for the output as binary tensor data");
  bi->callback([&global, &action, opts] {
    action = [&global, opts] { return bench_infer(global, *opts); };
  });
}

}  // namespace synod::node::cli
