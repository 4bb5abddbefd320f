#include "node/inference/inference_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "inference/oip_json.h"
#include "node/version.h"

namespace synod::node::inference {
namespace inf = synod::inference;
using metrics::Counter;
using metrics::Histogram;
using metrics::Labels;
using metrics::Registry;
using nlohmann::json;

namespace {

constexpr auto kPollInterval = std::chrono::seconds(1);
constexpr auto kPollTimeout = std::chrono::milliseconds(900);
// Bodies up to this size are decoded on the loop thread (about 20 us at
// most, see docs/inference.md); larger ones on the codec pool. Binary
// tensor data counts an eighth: it is copied, not parsed.
constexpr std::size_t kInlineDecodeBytes = 16 * 1024;
constexpr std::size_t kBinaryBytesPerJsonByte = 8;
constexpr std::string_view kJsonLengthHeader = "Inference-Header-Content-Length";
constexpr std::size_t kMaxAttempts = 2;
// "load" and "inflight" tags: every this many ticks (2 s).
constexpr unsigned kLoadEveryTicks = 2;  // the first node and one retry elsewhere
// A node a forward to failed (unreachable, timeout) is not picked again for
// this long (gossip's failure detector takes a few seconds to agree).
constexpr auto kFailedHold = std::chrono::seconds(2);

// The body's decode cost in JSON bytes (kInlineDecodeBytes' unit).
std::size_t decode_cost(std::size_t body_size, std::optional<std::size_t> json_length) {
  if (!json_length || *json_length >= body_size) return body_size;  // (a bad length: decode says so)
  return *json_length + (body_size - *json_length) / kBinaryBytesPerJsonByte;
}

// Marks a response whose body ends in binary tensor data (Triton's binary
// tensor data extension: the JSON's length in a header, octet-stream).
void set_json_length(http::HttpResponse& r, std::optional<std::size_t> json_length) {
  if (!json_length) return;
  r.content_type = "application/octet-stream";
  r.set_header(std::string(kJsonLengthHeader), std::to_string(*json_length));
}

// The Inference-Header-Content-Length a (local) response carries, if any.
std::optional<std::uint32_t> json_length_of(const http::HttpResponse& r) {
  for (const auto& [name, value] : r.headers) {
    if (name == kJsonLengthHeader) {
      return static_cast<std::uint32_t>(std::strtoul(value.c_str(), nullptr, 10));
    }
  }
  return std::nullopt;
}

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= text.size()) {
    const auto to = std::min(text.find(sep, from), text.size());
    if (to > from) out.push_back(text.substr(from, to - from));
    from = to + 1;
  }
  return out;
}

MonoTime mono_now() { return MonoTime(std::chrono::steady_clock::now().time_since_epoch()); }

std::string node_id_text(NodeId id) { return id.to_string(); }

}  // namespace

// One client request being routed (loop thread only).
struct InferenceService::Attempt {
  ModelOp op = ModelOp::kInfer;
  std::string model;
  std::string version;
  std::string body;
  // Binary tensor data: the request's Inference-Header-Content-Length, and
  // whether the request may carry or ask for binary (set when forwarded:
  // sent as op 4).
  std::optional<std::size_t> json_length;
  bool binary = false;
  bool force_cluster = false;
  std::shared_ptr<std::atomic<bool>> cancelled;
  Respond respond;
  std::vector<std::string> tried;  // endpoint ids
  std::string last_error;
};

InferenceService::InferenceService(asio::io_context& io, const config::NodeConfig& config,
                                   std::shared_ptr<transport::PeerTransport> transport,
                                   Random& random)
    : io_(io),
      config_(config),
      transport_(std::move(transport)),
      random_(random),
      node_name_(config.node.name),
      codec_pool_(2),
      admin_pool_(1),
      poll_timer_(io) {
  inf::RepositoryOptions options;
  options.max_queue = config.inference.max_queue;
  options.default_timeout = config.inference.default_timeout;
  options.max_threads = config.inference.threads;
  repository_ =
      std::make_unique<inf::ModelRepository>(config.inference.model_repository, options);
}

InferenceService::~InferenceService() { stop(); }

void InferenceService::start() {
  transport_->set_type_request_handler(
      transport::MessageType::kInfer,
      [this](NodeId from, transport::MessageType, std::string_view payload,
             transport::PeerTransport::Responder respond) {
        on_peer_request(from, payload, std::move(respond));
      });
  if (config_.inference.enabled) {
    asio::post(admin_pool_, [this] {
      const auto n = repository_->load_all();
      if (!config_.inference.model_repository.empty()) {
        spdlog::info("inference: {} model(s) ready from {}", n,
                     config_.inference.model_repository);
      }
      loaded_ = true;
      asio::post(io_, [this] { publish_models(); });
    });
  } else {
    loaded_ = true;
  }
  tick();
}

void InferenceService::set_gossip(MetaPublisher publish, MemberView members) {
  publish_ = std::move(publish);
  members_ = std::move(members);
}

void InferenceService::stop() {
  if (stopped_) return;
  stopped_ = true;
  poll_timer_.cancel();
  admin_pool_.join();
  repository_->unload_all();
  codec_pool_.join();
}

// ---------------------------------------------------------------- routes

void InferenceService::register_routes(http::Router& router) {
  router.add("GET", "/v2", [](http::HttpRequest, http::Responder respond) {
    respond(http::HttpResponse::json(
        {{"name", "synod"},
         {"version", kVersion},
         {"extensions",
          json::array({"model_repository", "binary_tensor_data", "synod_cluster_routing"})}}));
  });
  router.add("GET", "/v2/health/live", [](http::HttpRequest, http::Responder respond) {
    respond(http::HttpResponse::json({{"live", true}}));
  });
  router.add("GET", "/v2/health/ready", [this](http::HttpRequest, http::Responder respond) {
    if (!config_.inference.enabled) {
      return respond(http::HttpResponse::error(503, "inference is disabled on this node"));
    }
    if (!loaded_) {
      return respond(http::HttpResponse::json({{"ready", false}, {"error", "models loading"}},
                                              503));
    }
    respond(http::HttpResponse::json({{"ready", true}}));
  });
  auto model_route = [this](ModelOp op) {
    return [this, op](http::HttpRequest request, http::Responder respond) {
      handle_model(op, std::move(request), std::move(respond));
    };
  };
  for (const std::string base : {"/v2/models/:m", "/v2/models/:m/versions/:v"}) {
    router.add("GET", base, model_route(ModelOp::kMetadata));
    router.add("GET", base + "/ready", model_route(ModelOp::kReady));
    router.add("POST", base + "/infer", model_route(ModelOp::kInfer));
  }
  router.add("POST", "/v2/repository/index", [this](http::HttpRequest, http::Responder respond) {
    asio::post(admin_pool_, [this, respond = std::move(respond)] {
      json out = json::array();
      for (const auto& e : repository_->index()) {
        json entry = {{"name", e.name}, {"state", e.state}};
        if (!e.version.empty()) entry["version"] = e.version;
        if (!e.reason.empty()) entry["reason"] = e.reason;
        out.push_back(std::move(entry));
      }
      respond(http::HttpResponse::json(out));
    });
  });
  auto admin = [this](bool load) {
    return [this, load](http::HttpRequest request, http::Responder respond) {
      if (!config_.inference.enabled) {
        return respond(http::HttpResponse::error(503, "inference is disabled on this node"));
      }
      asio::post(admin_pool_, [this, load, model = request.param("m"),
                               respond = std::move(respond)] {
        Status s = load ? repository_->load(model) : repository_->unload(model);
        asio::post(io_, [this] { publish_models(); });
        respond(s.is_ok() ? http::HttpResponse::json(json::object())
                          : http::HttpResponse::from_status(s));
      });
    };
  };
  router.add("POST", "/v2/repository/models/:m/load", admin(true));
  router.add("POST", "/v2/repository/models/:m/unload", admin(false));
  router.add("GET", "/v1/synod/inference/models",
             [this](http::HttpRequest, http::Responder respond) {
               refresh_from_gossip();
               json peers = json::object();
               for (const auto& [id, remote] : remotes_) {
                 json models = json::array();
                 for (const auto& [name, strategy] : remote.models) models.push_back(name);
                 peers[remote.name.empty() ? node_id_text(id) : remote.name] = models;
               }
               const bool gossip = members_ && members_();
               respond(http::HttpResponse::json({{"node", node_name_},
                                                 {"ready", repository_->ready_models()},
                                                 {"peers", peers},
                                                 {"source", gossip ? "gossip" : "poll"}}));
             });
}

void InferenceService::handle_model(ModelOp op, http::HttpRequest request,
                                    http::Responder respond) {
  if (!config_.inference.enabled) {
    return respond(http::HttpResponse::error(503, "inference is disabled on this node"));
  }
  auto attempt = std::make_shared<Attempt>();
  attempt->op = op;
  attempt->model = request.param("m");
  attempt->version = request.param("v");
  attempt->body = std::move(request.body);
  if (op == ModelOp::kInfer) {
    if (auto header = request.header(kJsonLengthHeader)) {
      auto length = inf::parse_json_length(*header, attempt->body.size());
      if (!length.is_ok()) {
        record(attempt->model, 400, 0, 0, 0);
        return respond(http::HttpResponse::from_status(length.status()));
      }
      attempt->json_length = *length;
    }
  }
  attempt->force_cluster = request.header("x-synod-route").value_or("") == "cluster";
  attempt->cancelled = std::make_shared<std::atomic<bool>>(false);
  request.client_gone->on_gone([flag = attempt->cancelled] { flag->store(true); });
  attempt->respond = std::move(respond);
  route(std::move(attempt));
}

// --------------------------------------------------------------- routing

loadbalance::Strategy& InferenceService::strategy_for(const std::string& model) {
  auto it = strategies_.find(model);
  if (it != strategies_.end()) return *it->second;
  std::string name = config_.loadbalance.default_strategy;
  if (auto local = repository_->find(model); local && !local->config.load_balancing.empty()) {
    name = local->config.load_balancing;
  } else {
    for (const auto& [id, remote] : remotes_) {
      if (auto m = remote.models.find(model); m != remote.models.end() && !m->second.empty()) {
        name = m->second;
        break;
      }
    }
  }
  if (auto s = config_.loadbalance.services.find(model); s != config_.loadbalance.services.end()) {
    name = s->second;
  }
  auto made = loadbalance::make_strategy(name, random_);
  if (!made.is_ok()) {
    spdlog::warn("inference: model {}: strategy {}: {}; using p2c_ewma", model, name,
                 made.status().message());
    made = loadbalance::make_strategy("p2c_ewma", random_);
  }
  return *strategies_.emplace(model, std::move(*made)).first->second;
}

void InferenceService::route(std::shared_ptr<Attempt> attempt) {
  auto local = repository_->find(attempt->model, attempt->version);
  const bool cluster_route = config_.inference.route == "cluster" || attempt->force_cluster;
  if (local && !cluster_route && attempt->tried.empty()) {
    return run_local(attempt->op, attempt->model, attempt->version, std::move(attempt->body),
                     attempt->json_length, attempt->cancelled, std::move(attempt->respond));
  }
  const std::string self = node_id_text(transport_->self());
  refresh_from_gossip();
  std::vector<loadbalance::Endpoint> endpoints;
  if (local) endpoints.push_back({self, node_name_, 1, true});
  const MonoTime now = mono_now();
  for (const auto& [id, remote] : remotes_) {
    if (!remote.models.count(attempt->model)) continue;
    if (!attempt->version.empty()) {
      auto v = remote.versions.find(attempt->model);
      if (v != remote.versions.end() && !v->second.count(attempt->version)) continue;
    }
    if (auto f = failed_.find(id); f != failed_.end()) {
      if (now < f->second) continue;
      failed_.erase(f);
    }
    endpoints.push_back({node_id_text(id), remote.name, 1, transport_->connected(id)});
  }
  if (endpoints.empty()) {
    if (!attempt->tried.empty()) {
      return attempt->respond(http::HttpResponse::error(
          503, "model " + attempt->model + ": the serving node failed (" + attempt->last_error +
                   ") and no other node has it ready"));
    }
    // Nobody has it: the local path gives the precise 404.
    return run_local(attempt->op, attempt->model, attempt->version, std::move(attempt->body),
                     attempt->json_length, attempt->cancelled, std::move(attempt->respond));
  }
  auto& strategy = strategy_for(attempt->model);
  strategy.set_endpoints(endpoints);
  std::vector<std::size_t> exclude;
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    for (const auto& t : attempt->tried) {
      if (endpoints[i].id == t) exclude.push_back(i);
    }
  }
  loadbalance::PickRequest pick;
  pick.exclude = exclude;
  auto index = strategy.pick(pick);
  if (!index) {
    return attempt->respond(http::HttpResponse::error(
        503, "model " + attempt->model + ": no reachable node has it ready" +
                 (attempt->last_error.empty() ? "" : " (" + attempt->last_error + ")")));
  }
  const auto endpoint = endpoints[*index];
  if (endpoint.id == self) {
    return run_local(attempt->op, attempt->model, attempt->version, std::move(attempt->body),
                     attempt->json_length, attempt->cancelled, std::move(attempt->respond));
  }
  attempt->tried.push_back(endpoint.id);
  const NodeId peer{std::stoull(endpoint.id)};
  ForwardRequest forward;
  forward.op = attempt->op;
  forward.model = attempt->model;
  forward.version = attempt->version;
  forward.body = attempt->body;  // kept for a retry
  // Binary outputs can be asked for in a plain JSON body too; such requests
  // go to peers as op 4, whose answer carries the header length. (Decided
  // here, not per request: a locally served request never needs the scan.)
  attempt->binary =
      attempt->op == ModelOp::kInfer &&
      forward_as_binary(attempt->body, attempt->json_length.has_value());
  forward.binary = attempt->binary;
  if (attempt->json_length) forward.json_length = static_cast<std::uint32_t>(*attempt->json_length);
  strategy.on_start(*index);
  const MonoTime started = mono_now();
  static auto& forwarded = Registry::global().counter(
      "synod_inference_forwarded_total", "Inference requests forwarded to another node",
      {{"node", node_name_}});
  forwarded.inc();
  transport_->call(
      peer, transport::MessageType::kInfer, encode_forward_request(forward),
      config_.inference.default_timeout,
      [this, attempt, peer, id = endpoint.id, started](Result<Bytes> reply) {
        if (stopped_) return;
        auto& strategy = strategy_for(attempt->model);
        const auto latency = mono_now() - started;
        Result<ForwardResponse> response = reply.is_ok()
                                               ? decode_forward_response(*reply, attempt->binary)
                                               : Result<ForwardResponse>(reply.status());
        const bool failed = !response.is_ok() || response->status == 503;
        for (std::size_t i = 0; i < strategy.endpoints().size(); ++i) {
          if (strategy.endpoints()[i].id == id) strategy.on_finish(i, latency, !failed);
        }
        if (failed) {
          attempt->last_error = response.is_ok() ? "node " + id + " answered 503"
                                                 : response.status().message();
          if (!response.is_ok()) {
            // The node is unreachable: skip it for a while (gossip's failure
            // detector will soon say so too), and with polling forget its
            // models until its next status.
            failed_[peer] = mono_now() + kFailedHold;
            if (!members_ || !members_()) remotes_.erase(peer);
          }
          if (attempt->tried.size() < kMaxAttempts && !attempt->cancelled->load()) {
            return route(attempt);
          }
          if (!response.is_ok()) {
            const int code = response.status().code() == StatusCode::kTimeout ? 504 : 503;
            return attempt->respond(http::HttpResponse::error(
                code, "model " + attempt->model + ": forwarding failed: " + attempt->last_error));
          }
        }
        http::HttpResponse out;
        out.status = response->status;
        out.body = std::move(response->body);
        out.set_header("X-Synod-Served-By", response->served_by);
        set_json_length(out, response->json_length);
        attempt->respond(std::move(out));
      });
}

// ----------------------------------------------------------- local serving

void InferenceService::run_local(ModelOp op, const std::string& model_name,
                                 const std::string& version, std::string body,
                                 std::optional<std::size_t> json_length,
                                 std::shared_ptr<std::atomic<bool>> cancelled, Respond done) {
  auto finish = [this, done](http::HttpResponse r) {
    r.set_header("X-Synod-Served-By", node_name_);
    done(std::move(r));
  };
  auto model = repository_->find(model_name, version);
  if (!model) {
    if (op == ModelOp::kInfer) record(model_name, 404, 0, 0, 0);
    return finish(http::HttpResponse::error(
        404, "model '" + model_name + "'" + (version.empty() ? "" : " version " + version) +
                 " is not ready on any node"));
  }
  switch (op) {
    case ModelOp::kMetadata:
      return finish(
          http::HttpResponse::json(inf::model_metadata(*model, repository_->versions(model_name))));
    case ModelOp::kReady:
      return finish(http::HttpResponse::json({{"name", model_name}, {"ready", true}}));
    case ModelOp::kInfer: {
      // In flight (queued or running) here until answered: the "inflight" tag.
      inflight_.fetch_add(1, std::memory_order_relaxed);
      Respond tracked = [this, finish](http::HttpResponse r) {
        inflight_.fetch_sub(1, std::memory_order_relaxed);
        finish(std::move(r));
      };
      if (decode_cost(body.size(), json_length) <= kInlineDecodeBytes) {
        // Decoding a small body costs less than the hop to the codec pool.
        return run_infer(std::move(model), std::move(body), json_length, std::move(cancelled),
                         tracked);
      }
      asio::post(codec_pool_, [this, model = std::move(model), body = std::move(body),
                               json_length, cancelled = std::move(cancelled), tracked]() mutable {
        run_infer(std::move(model), std::move(body), json_length, std::move(cancelled), tracked);
      });
      return;
    }
  }
}

void InferenceService::run_infer(std::shared_ptr<inf::LoadedModel> model, std::string body,
                                 std::optional<std::size_t> json_length,
                                 std::shared_ptr<std::atomic<bool>> cancelled, Respond done) {
  auto decoded = inf::decode_infer_request(body, *model, json_length);
  if (!decoded.is_ok()) {
    record(model->name, 400, 0, 0, 0);
    return done(http::HttpResponse::from_status(decoded.status()));
  }
  inf::InferRequest request;
  request.inputs = std::move(decoded->inputs);
  request.rows = decoded->rows;
  request.deadline = mono_now() + model->config.timeout;
  request.cancelled = std::move(cancelled);
  // The callback captures no LoadedModel: the last reference must never
  // drop on an instance thread (its destructor joins those threads).
  // What the response needs of the request (id, outputs, binary flags).
  decoded->inputs.clear();
  request.done = [this, name = model->name, version = model->version,
                  format = std::move(*decoded), done](Result<inf::InferOutcome> outcome) {
    if (!outcome.is_ok()) {
      auto response = http::HttpResponse::from_status(outcome.status());
      record(name, response.status, 0, 0, 0);
      return done(std::move(response));
    }
    record(name, 200, outcome->queue_seconds, outcome->compute_seconds, outcome->batch_size);
    // Encoded right here on the instance thread: a few microseconds for the
    // demo outputs, less than another thread hop would cost.
    http::HttpResponse response;
    auto encoded = inf::encode_infer_response(name, version, format, outcome->outputs);
    response.body = std::move(encoded.body);
    set_json_length(response, encoded.json_length);
    done(std::move(response));
  };
  auto on_error = request.done;
  if (auto s = model->scheduler->submit(std::move(request)); !s.is_ok()) {
    on_error(s);
  }
}

// ------------------------------------------------------------ peer channel

void InferenceService::on_peer_request(NodeId, std::string_view payload,
                                       transport::PeerTransport::Responder respond) {
  auto request = decode_forward_request(payload);
  if (!request.is_ok()) return respond(request.status());
  if (request->kind == ForwardKind::kStatus) return respond(Bytes(status_json()));
  if (!config_.inference.enabled) {
    return respond(encode_forward_response({503, node_name_, R"({"error":"inference disabled"})"}));
  }
  // A forwarded request is served here or refused: never forwarded again.
  run_local(request->op, request->model, request->version, std::move(request->body),
            request->json_length, nullptr,
            [this, binary = request->binary, respond = std::move(respond)](http::HttpResponse r) {
              asio::post(io_, [this, binary, respond, r = std::move(r)]() mutable {
                if (stopped_) return;
                const auto json_length = json_length_of(r);
                respond(encode_forward_response(
                    {r.status, node_name_, std::move(r.body), json_length}, binary));
              });
            });
}

std::string InferenceService::status_json() const {
  json models = json::array();
  if (config_.inference.enabled) {
    for (const auto& name : repository_->ready_models()) {
      auto m = repository_->find(name);
      models.push_back({{"name", name}, {"strategy", m ? m->config.load_balancing : ""}});
    }
  }
  return json{{"node", node_name_}, {"models", models}}.dump();
}

void InferenceService::tick() {
  if (stopped_) return;
  publish_models();
  if (++ticks_ % kLoadEveryTicks == 0) publish_load();
  if (!members_ || !members_()) poll_peers();  // no gossip: ask every peer
  poll_timer_.expires_after(kPollInterval);
  poll_timer_.async_wait([this](error_code ec) {
    if (!ec) tick();
  });
}

synod::discovery::Meta InferenceService::models_meta(const std::vector<ReadyModel>& models) {
  std::string names, versions, strategies;
  for (const auto& m : models) {
    names += (names.empty() ? "" : ",") + m.name;
    for (auto v : m.versions) {
      versions += (versions.empty() ? "" : ",") + m.name + "@" + std::to_string(v);
    }
    if (!m.strategy.empty()) {
      strategies += (strategies.empty() ? "" : ",") + m.name + "=" + m.strategy;
    }
  }
  return {{synod::discovery::kMetaModels, names},
          {"model_versions", versions},
          {"model_lb", strategies}};
}

void InferenceService::publish_models() {
  if (stopped_ || !publish_) return;
  std::vector<ReadyModel> ready;
  if (config_.inference.enabled) {
    for (const auto& name : repository_->ready_models()) {
      ReadyModel m{name, repository_->versions(name), ""};
      if (auto loaded = repository_->find(name)) m.strategy = loaded->config.load_balancing;
      ready.push_back(std::move(m));
    }
  }
  auto meta = models_meta(ready);
  if (!publish_changed(meta)) return;
  spdlog::info("inference: advertising models [{}] in gossip", meta[synod::discovery::kMetaModels]);
}

bool InferenceService::publish_changed(const synod::discovery::Meta& meta) {
  bool changed = false;
  for (const auto& [key, value] : meta) {
    auto [it, inserted] = published_.try_emplace(key, value);
    if (!inserted && it->second == value) continue;
    it->second = value;
    publish_(key, value);
    changed = true;
  }
  return changed;
}

void InferenceService::publish_load() {
  if (!publish_) return;
  double avg[1] = {0};
  char load[32] = "";
  if (getloadavg(avg, 1) == 1) std::snprintf(load, sizeof load, "%.2f", avg[0]);
  synod::discovery::Meta meta{
      {synod::discovery::kMetaInflight, std::to_string(inflight_.load(std::memory_order_relaxed))}};
  if (load[0] != '\0') meta.emplace(synod::discovery::kMetaLoad, load);
  publish_changed(meta);
}

void InferenceService::refresh_from_gossip() {
  if (!members_) return;
  auto members = members_();
  if (!members) return;
  using synod::discovery::MemberState;
  std::map<NodeId, RemoteNode> view;
  for (const auto& m : *members) {
    const NodeId id{m.id};
    if (id == transport_->self()) continue;
    if (m.state != MemberState::kAlive && m.state != MemberState::kSuspect) continue;
    auto models = m.meta.find(synod::discovery::kMetaModels);
    if (models == m.meta.end() || models->second.empty()) continue;
    RemoteNode node;
    node.name = m.name;
    for (auto& name : split_list(models->second, ',')) node.models.emplace(std::move(name), "");
    if (auto lb = m.meta.find("model_lb"); lb != m.meta.end()) {
      for (const auto& entry : split_list(lb->second, ',')) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos) continue;
        if (auto it = node.models.find(entry.substr(0, eq)); it != node.models.end()) {
          it->second = entry.substr(eq + 1);
        }
      }
    }
    if (auto vs = m.meta.find("model_versions"); vs != m.meta.end()) {
      for (const auto& entry : split_list(vs->second, ',')) {
        const auto at = entry.rfind('@');
        if (at != std::string::npos) node.versions[entry.substr(0, at)].insert(entry.substr(at + 1));
      }
    }
    view.emplace(id, std::move(node));
  }
  remotes_ = std::move(view);
}

void InferenceService::poll_peers() {
  if (stopped_) return;
  const auto peers = transport_->peers();
  for (auto it = remotes_.begin(); it != remotes_.end();) {
    it = std::find(peers.begin(), peers.end(), it->first) == peers.end() ? remotes_.erase(it)
                                                                          : std::next(it);
  }
  for (NodeId peer : peers) {
    if (peer == transport_->self()) continue;
    if (!transport_->connected(peer)) {
      remotes_.erase(peer);
      continue;
    }
    ForwardRequest status;
    status.kind = ForwardKind::kStatus;
    transport_->call(peer, transport::MessageType::kInfer, encode_forward_request(status),
                     kPollTimeout, [this, peer](Result<Bytes> reply) {
                       if (stopped_) return;
                       if (!reply.is_ok()) {
                         remotes_.erase(peer);
                         return;
                       }
                       json doc = json::parse(*reply, nullptr, false);
                       if (doc.is_discarded() || !doc.is_object()) return;
                       RemoteNode node;
                       node.name = doc.value("node", "");
                       if (doc.contains("models") && doc["models"].is_array()) {
                         for (const auto& m : doc["models"]) {
                           if (m.is_object() && m.contains("name") && m["name"].is_string()) {
                             node.models[m["name"].get<std::string>()] = m.value("strategy", "");
                           }
                         }
                       }
                       remotes_[peer] = std::move(node);
                     });
  }
}

// ----------------------------------------------------------------- metrics

void InferenceService::record(const std::string& model, int status, double queue_s,
                              double compute_s, std::size_t batch) {
  struct ModelMetrics {
    Counter* requests;
    Histogram* queue;
    Histogram* compute;
    Histogram* batch;
  };
  static std::mutex mutex;
  static std::map<std::string, ModelMetrics> cache;
  ModelMetrics* m = nullptr;
  {
    std::lock_guard lock(mutex);
    auto it = cache.find(model);
    if (it == cache.end()) {
      auto& registry = Registry::global();
      const Labels labels{{"model", model}, {"node", node_name_}};
      ModelMetrics made{
          &registry.counter("synod_inference_requests_total", "Inference requests served here",
                            labels),
          &registry.histogram("synod_inference_queue_seconds", "Time in the model queue", labels),
          &registry.histogram("synod_inference_compute_seconds",
                              "Backend run time of the batch", labels),
          &registry.histogram("synod_inference_batch_size", "Rows per executed batch", labels,
                              metrics::size_buckets())};
      it = cache.emplace(model, made).first;
    }
    m = &it->second;
  }
  m->requests->inc();
  if (status != 200) {
    Registry::global()
        .counter("synod_inference_errors_total", "Inference requests answered with an error",
                 {{"model", model}, {"node", node_name_}, {"code", std::to_string(status)}})
        .inc();
    return;
  }
  m->queue->observe(queue_s);
  m->compute->observe(compute_s);
  m->batch->observe(static_cast<double>(batch));
}

}  // namespace synod::node::inference
