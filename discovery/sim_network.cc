#include "discovery/sim_network.h"

namespace synod::discovery {

struct SimNetwork::Node final : PacketSink {
  SimNetwork* network = nullptr;
  std::size_t index = 0;
  enum class Mode { kRunning, kPaused, kKilled } mode = Mode::kRunning;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<Memberlist> list;
  std::vector<std::pair<std::string, Bytes>> buffered;  // arrived while paused
  MonoTime next_push_pull{};

  void send_packet(const std::string& address, Bytes packet) override {
    network->send(index, address, std::move(packet));
  }
};

SimNetwork::SimNetwork(Config config)
    : config_(std::move(config)), clock_(std::chrono::seconds(1)), net_random_(config_.seed) {
  for (std::size_t i = 0; i < config_.members; ++i) {
    auto node = std::make_unique<Node>();
    node->network = this;
    node->index = i;
    node->random = std::make_unique<SeededRandom>(config_.seed * 1000003 + i);
    Options options = config_.base;
    options.name = name_of(i);
    options.id = i + 1;
    options.address = "sim:" + std::to_string(i);
    node->list = std::make_unique<Memberlist>(options, clock_, *node->random, *node);
    node->next_push_pull = clock_.now() + config_.push_pull_interval * (i + 1) / config_.members;
    node->list->set_observer([this, i](const MemberEvent& e) {
      events_.push_back(Observed{clock_.now(), i, e});
    });
    nodes_.push_back(std::move(node));
  }
}

SimNetwork::~SimNetwork() = default;

std::string SimNetwork::name_of(std::size_t i) { return "m" + std::to_string(i); }

Memberlist& SimNetwork::member(std::size_t i) { return *nodes_.at(i)->list; }

void SimNetwork::join_all() {
  joining_ = true;
  for (std::size_t i = 1; i < nodes_.size(); ++i) nodes_[i]->list->join("sim:0");
  next_rejoin_ = clock_.now() + std::chrono::seconds(1);
}

void SimNetwork::send(std::size_t from, const std::string& to, Bytes bytes) {
  if (nodes_[from]->mode != Node::Mode::kRunning) return;
  if (to.rfind("sim:", 0) != 0) return;
  const std::size_t target = std::stoul(to.substr(4));
  if (target >= nodes_.size()) return;
  if (config_.loss > 0 && net_random_.chance(config_.loss)) return;
  const auto span = static_cast<std::uint64_t>((config_.max_latency - config_.min_latency).count());
  const Duration latency = config_.min_latency + Duration(net_random_.uniform(0, span));
  in_flight_.push(Packet{clock_.now() + latency, next_order_++, target,
                         "sim:" + std::to_string(from), std::move(bytes)});
}

void SimNetwork::step() {
  clock_.advance(config_.step);
  const MonoTime now = clock_.now();
  while (!in_flight_.empty() && in_flight_.top().at <= now) {
    Packet packet = in_flight_.top();
    in_flight_.pop();
    Node& node = *nodes_[packet.to];
    if (node.mode == Node::Mode::kRunning) {
      node.list->handle_packet(packet.from, packet.bytes);
    } else if (node.mode == Node::Mode::kPaused) {
      node.buffered.emplace_back(packet.from, std::move(packet.bytes));
    }
  }
  for (auto& node : nodes_) {
    if (node->mode == Node::Mode::kRunning) node->list->tick();
  }
  // Push-pull over a reliable stream, as the node does on the peer transport.
  for (auto& node : nodes_) {
    if (node->mode != Node::Mode::kRunning || now < node->next_push_pull) continue;
    node->next_push_pull = now + config_.push_pull_interval;
    auto partner = node->list->random_live_member();
    if (!partner) continue;
    const std::size_t j = std::stoul(partner->address.substr(4));
    if (j >= nodes_.size() || nodes_[j]->mode != Node::Mode::kRunning) continue;
    (void)nodes_[j]->list->merge_push_pull(node->list->encode_push_pull(true));
    (void)node->list->merge_push_pull(nodes_[j]->list->encode_push_pull(false));
  }
  // Like the node's join with retries: a member that knows nobody retries.
  if (joining_ && now >= next_rejoin_) {
    next_rejoin_ = now + std::chrono::seconds(1);
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      Node& node = *nodes_[i];
      if (node.mode == Node::Mode::kRunning && node.list->live_count() <= 1) node.list->join("sim:0");
    }
  }
}

void SimNetwork::run_for(Duration d) {
  const MonoTime end = clock_.now() + d;
  while (clock_.now() < end) step();
}

bool SimNetwork::run_until(const std::function<bool()>& done, Duration limit) {
  const MonoTime end = clock_.now() + limit;
  while (clock_.now() < end) {
    if (done()) return true;
    step();
  }
  return done();
}

void SimNetwork::kill(std::size_t i) {
  nodes_.at(i)->mode = Node::Mode::kKilled;
  nodes_[i]->buffered.clear();
}

void SimNetwork::pause(std::size_t i) { nodes_.at(i)->mode = Node::Mode::kPaused; }

void SimNetwork::resume(std::size_t i) {
  Node& node = *nodes_.at(i);
  if (node.mode != Node::Mode::kPaused) return;
  node.mode = Node::Mode::kRunning;
  auto buffered = std::move(node.buffered);
  node.buffered.clear();
  for (auto& [from, bytes] : buffered) node.list->handle_packet(from, bytes);
}

void SimNetwork::leave(std::size_t i) {
  nodes_.at(i)->list->leave();
  nodes_[i]->mode = Node::Mode::kKilled;  // a departed process is gone
}

void SimNetwork::inject(std::size_t i, const std::string& from, Bytes bytes) {
  nodes_.at(i)->list->handle_packet(from, bytes);
}

std::optional<MemberState> SimNetwork::view(std::size_t observer, std::size_t target) const {
  const Member* m = nodes_.at(observer)->list->find(name_of(target));
  if (m == nullptr) return std::nullopt;
  return m->state;
}

bool SimNetwork::running(std::size_t i) const {
  return nodes_.at(i)->mode == Node::Mode::kRunning;
}

bool SimNetwork::all_see(std::size_t target, MemberState state) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (i == target || !running(i)) continue;
    if (view(i, target) != state) return false;
  }
  return true;
}

bool SimNetwork::converged() const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!running(i)) continue;
    for (std::size_t j = 0; j < nodes_.size(); ++j) {
      if (view(i, j) != MemberState::kAlive) return false;
    }
  }
  return true;
}

}  // namespace synod::discovery
