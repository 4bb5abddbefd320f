// InferenceService: the node side of issue 9 (docs/inference.md).
//
// - Serves the model repository (inference/) through the Open Inference
//   Protocol over HTTP (/v2/...) and Triton's repository extension.
// - Small request bodies (<= 16 KiB of JSON, ~20 us; binary tensor data
//   counts an eighth) are decoded on the loop thread, larger ones on a
//   small codec pool; the models run on their
//   schedulers' instance threads, which also encode the responses: the loop
//   thread never runs a model, so heartbeats never wait behind inference.
// - Across the cluster: publishes the models ready here in this node's
//   gossip metadata ("models", "model_versions", "model_lb"; at most once a
//   second and only when they change), plus "load" and "inflight" every 2 s
//   when changed, and takes the candidates for a
//   request from the gossip view (members alive or suspect, with the model
//   in their metadata). With gossip off, it falls back to asking every peer
//   once a second over MessageType::kInfer. It forwards a request for a
//   model this node lacks (or any request when inference.route is
//   "cluster") to a node chosen by the model's load-balancing strategy,
//   retries once on another node, and names the serving node in
//   X-Synod-Served-By.
//
// Threading: constructed, started and stopped on the loop thread; routes
// and the peer handler run there; completions hop back to it via post().
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/clock.h"
#include "common/random.h"
#include "config/node_config.h"
#include "discovery/member.h"
#include "inference/repository.h"
#include "loadbalance/strategy.h"
#include "node/http/router.h"
#include "node/inference/forward_codec.h"
#include "node/transport/peer_transport.h"

namespace synod::node::inference {

class InferenceService {
 public:
  InferenceService(asio::io_context& io, const config::NodeConfig& config,
                   std::shared_ptr<transport::PeerTransport> transport, Random& random);
  ~InferenceService();
  InferenceService(const InferenceService&) = delete;
  InferenceService& operator=(const InferenceService&) = delete;

  // Gossip hooks (call before start()): `publish` sets one of this node's
  // gossip metadata keys (DiscoveryService::set_local_meta); `members`
  // returns the gossip member list (loop thread), or nullopt when gossip is
  // off, in which case peers are polled over kInfer instead.
  using MetaPublisher = std::function<void(std::string key, std::string value)>;
  using MemberView = std::function<std::optional<std::vector<synod::discovery::Member>>()>;
  void set_gossip(MetaPublisher publish, MemberView members);

  // The gossip metadata for a set of ready models (exposed for tests):
  // {"models": "a,b", "model_versions": "a@1,b@1,b@2", "model_lb": "a=p2c_ewma"}.
  struct ReadyModel {
    std::string name;
    std::vector<std::int64_t> versions;
    std::string strategy;
  };
  static synod::discovery::Meta models_meta(const std::vector<ReadyModel>& models);

  void register_routes(http::Router& router);
  // Loads the repository in the background, installs the kInfer handler and
  // starts exchanging model lists with peers.
  void start();
  // Stops the timer, unloads every model (queued requests get 503) and
  // joins the pools. Idempotent.
  void stop();

 private:
  using Respond = std::function<void(http::HttpResponse)>;
  struct RemoteNode {
    std::string name;
    std::map<std::string, std::string> models;  // name -> strategy
    std::map<std::string, std::set<std::string>> versions;  // empty: unknown (poll)
  };
  struct Attempt;

  void handle_model(ModelOp op, http::HttpRequest request, http::Responder respond);
  // Runs op on this node; `done` is called from any thread.
  // `json_length`: the Inference-Header-Content-Length of a body with
  // binary tensor data (nullopt: all JSON).
  void run_local(ModelOp op, const std::string& model, const std::string& version,
                 std::string body, std::optional<std::size_t> json_length,
                 std::shared_ptr<std::atomic<bool>> cancelled, Respond done);
  void run_infer(std::shared_ptr<synod::inference::LoadedModel> model, std::string body,
                 std::optional<std::size_t> json_length,
                 std::shared_ptr<std::atomic<bool>> cancelled, Respond done);
  void route(std::shared_ptr<Attempt> attempt);
  void on_peer_request(NodeId from, std::string_view payload,
                       transport::PeerTransport::Responder respond);
  // Once a second: publish this node's models, poll peers without gossip.
  void tick();
  void poll_peers();
  void publish_models();
  // The "load" (1-minute load average) and "inflight" (inference requests
  // queued or running here) tags, every 2 s when changed.
  void publish_load();
  // Publishes the tags of `meta` whose value differs from what was last
  // published (gossip broadcasts every change); true when any did.
  bool publish_changed(const synod::discovery::Meta& meta);
  // remotes_ from the gossip view (no-op without gossip).
  void refresh_from_gossip();
  std::string status_json() const;
  loadbalance::Strategy& strategy_for(const std::string& model);
  void record(const std::string& model, int status, double queue_s, double compute_s,
              std::size_t batch);

  asio::io_context& io_;
  const config::NodeConfig& config_;
  std::shared_ptr<transport::PeerTransport> transport_;
  Random& random_;
  const std::string node_name_;
  std::unique_ptr<synod::inference::ModelRepository> repository_;
  asio::thread_pool codec_pool_;
  asio::thread_pool admin_pool_;
  asio::steady_timer poll_timer_;
  MetaPublisher publish_;
  MemberView members_;
  std::atomic<bool> loaded_{false};
  bool stopped_ = false;

  // Loop thread only.
  std::map<NodeId, RemoteNode> remotes_;
  std::map<NodeId, MonoTime> failed_;  // forward failed: skipped until then
  synod::discovery::Meta published_;  // every tag this service set, as last sent
  unsigned ticks_ = 0;
  std::atomic<std::uint64_t> inflight_{0};
  std::map<std::string, std::unique_ptr<loadbalance::Strategy>> strategies_;
};

}  // namespace synod::node::inference
