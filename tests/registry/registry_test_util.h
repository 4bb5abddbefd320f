// Test harness for the registry endpoints: the real StateStore applied
// in-process (LocalPort) behind the real RegistryService and handlers,
// served by a real HTTP server on 127.0.0.1:0.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "../http/http_test_util.h"
#include "consensus/state/command_codec.h"
#include "consensus/state/state_store.h"
#include "node/registry/registry_handlers.h"
#include "node/registry/registry_service.h"

namespace synod::node::registry::testing {

// Applies every proposal to a local StateStore at the next index, on the
// loop (posted, like a real commit), then reports the batch's changes.
class LocalPort final : public ConsensusPort {
 public:
  explicit LocalPort(asio::io_context& io) : io_(io) {}

  void propose(proto::Command command, ApplyCallback done) override {
    asio::post(io_, [this, command = std::move(command), done = std::move(done)]() mutable {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      auto bytes =
          consensus::state::prepare_command(std::move(command), static_cast<std::uint64_t>(now));
      if (!bytes.is_ok()) return done(bytes.status());
      Entry entry;
      entry.term = Term(term_);
      entry.index = LogIndex(++index_);
      entry.data = std::move(*bytes);
      auto result = store_.apply(entry);
      auto changes = store_.take_changes();
      ++proposals_;
      if (on_changes) on_changes(changes, index_);
      done(std::move(result));
    });
  }
  void read_barrier(std::function<void(Status)> done) override {
    asio::post(io_, [done = std::move(done)] { done(Status::ok()); });
  }
  [[nodiscard]] const consensus::state::StateStore& state() const override { return store_; }
  [[nodiscard]] bool is_leader() const override { return leader_; }
  [[nodiscard]] std::uint64_t term() const override { return term_; }
  [[nodiscard]] http::LeaderView leader_view() const override {
    return http::LeaderView{leader_, 0};
  }

  void set_leader(bool leader, std::uint64_t term) {
    leader_ = leader;
    term_ = term;
  }
  [[nodiscard]] std::uint64_t proposals() const { return proposals_; }

  std::function<void(const consensus::state::ChangeSet&, std::uint64_t)> on_changes;

 private:
  asio::io_context& io_;
  consensus::state::StateStore store_;
  std::uint64_t index_ = 0;
  std::uint64_t term_ = 1;
  bool leader_ = true;
  std::uint64_t proposals_ = 0;
};

inline RegistryOptions test_options() {
  RegistryOptions options;
  options.agent = AgentNode{"node-a", "11111111-2222-3333-4444-555555555555", "127.0.0.1", "dc1"};
  options.leader_poll = std::chrono::milliseconds(20);
  return options;
}

// A registry behind a running HTTP server.
class RegistryServer {
 public:
  explicit RegistryServer(RegistryOptions options = test_options()) {
    hub_ = std::make_unique<http::WatchHub>(server_.io());
    port_ = std::make_unique<LocalPort>(server_.io());
    service_ = std::make_unique<RegistryService>(server_.io(), *port_, *hub_, std::move(options));
    port_->on_changes = [this](const auto& changes, std::uint64_t index) {
      service_->on_applied(changes, index);
    };
    register_registry_routes(server_.router(), *service_, *hub_);
    server_.start();
    on_loop([this] { service_->start(); });
  }
  ~RegistryServer() {
    on_loop([this] { service_->stop(); });
    server_.stop();
  }

  // Runs `fn` on the loop thread and waits for it.
  template <typename Fn>
  auto on_loop(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(server_.io(), [&task] { task(); });
    return result.get();
  }

  // Waits (bounded) until `predicate` holds on the loop thread.
  template <typename Pred>
  bool eventually(Pred predicate, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (on_loop([&] { return predicate(); })) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  http::testing::ClientResponse call(const std::string& method, const std::string& target,
                                     const std::string& body = "") {
    http::testing::Client client(server_.port());
    return client.request(method, target, body);
  }
  nlohmann::json get_json(const std::string& target) {
    auto response = call("GET", target);
    EXPECT_EQ(response.status, 200) << target << ": " << response.body;
    return nlohmann::json::parse(response.body, nullptr, false);
  }

  std::uint16_t port() const { return server_.port(); }
  RegistryService& service() { return *service_; }
  LocalPort& consensus() { return *port_; }
  http::WatchHub& hub() { return *hub_; }
  http::Router& router() { return server_.router(); }

 private:
  http::testing::TestServer server_;
  std::unique_ptr<http::WatchHub> hub_;
  std::unique_ptr<LocalPort> port_;
  std::unique_ptr<RegistryService> service_;
};

}  // namespace synod::node::registry::testing
