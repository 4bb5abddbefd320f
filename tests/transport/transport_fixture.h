// Shared scaffolding for the socket tests: transports on 127.0.0.1 with
// ephemeral ports, all on one io_context run by the test thread until a
// condition holds (never a sleep).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "node/transport/peer_transport.h"

namespace synod::node::transport::testing {

struct Received {
  NodeId from;
  MessageType type;
  std::string payload;
};

class TransportTest : public ::testing::Test {
 protected:
  ~TransportTest() override {
    for (auto& [id, transport] : transports_) transport->stop();
    io_.run_for(std::chrono::milliseconds(50));  // let aborted handlers finish
  }

  static config::TransportSection fast_limits() {
    config::TransportSection limits;
    limits.reconnect_min = std::chrono::milliseconds(5);
    limits.reconnect_max = std::chrono::milliseconds(50);
    limits.connect_timeout = std::chrono::milliseconds(2000);
    return limits;
  }

  // A started transport with node id `id`; its inbox records what it gets.
  std::shared_ptr<PeerTransport> make(std::uint64_t id, std::string cluster = "test",
                                      config::TransportSection limits = fast_limits(),
                                      std::string listen = "127.0.0.1:0",
                                      std::shared_ptr<HandshakeFactory> handshake = nullptr) {
    PeerTransportOptions options;
    options.self = NodeId(id);
    options.cluster_name = std::move(cluster);
    options.listen_address = std::move(listen);
    options.limits = limits;
    options.handshake = std::move(handshake);
    auto transport = PeerTransport::create(io_, options, random_);
    EXPECT_TRUE(transport->start().is_ok());
    transport->set_handler([this, id](NodeId from, MessageType type, std::string_view payload) {
      inbox_[id].push_back({from, type, std::string(payload)});
    });
    transports_[id] = transport;
    return transport;
  }

  // Runs the loop until `done` holds; false after a generous deadline.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // True when a and b are connected over one connection they agree on and no
  // dial that could still replace it is under way.
  bool settled(std::uint64_t a, std::uint64_t b) {
    auto ab = transports_[a]->stats(NodeId(b));
    auto ba = transports_[b]->stats(NodeId(a));
    return ab && ba && ab->connected && ba->connected &&
           ab->active_outbound != ba->active_outbound && !ab->dialing && !ba->dialing;
  }

  // Connects every pair among `ids` both ways and waits for all links.
  void mesh(const std::vector<std::uint64_t>& ids) {
    for (auto a : ids) {
      for (auto b : ids) {
        if (a != b) transports_[a]->add_peer(NodeId(b), transports_[b]->listen_address());
      }
    }
    ASSERT_TRUE(run_until([&] {
      for (auto a : ids) {
        for (auto b : ids) {
          if (a != b && !settled(a, b)) return false;
        }
      }
      return true;
    }));
  }

  asio::io_context io_;
  SeededRandom random_{42};
  std::map<std::uint64_t, std::shared_ptr<PeerTransport>> transports_;
  std::map<std::uint64_t, std::vector<Received>> inbox_;
};

}  // namespace synod::node::transport::testing
