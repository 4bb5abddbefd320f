// The node side of the replicated keyring (node/transport/keyring_handlers.h)
// over a fake consensus port that applies ops to a real KeyringTable at
// once: /v1/operator/keyring shapes and errors, seeding an unmigrated
// cluster, and the local keyring + keyring.json following the table.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "consensus/state/keyring_table.h"
#include "node/transport/keyring_handlers.h"

namespace synod::node::transport {
namespace {

namespace state = consensus::state;

// Applies every proposal to a KeyringTable immediately, as a one-node
// cluster would, and tells the ClusterKeyring when the table changed.
class FakePort final : public KeyringPort {
 public:
  void propose(proto::KeyringVerb verb, std::string key, std::vector<std::string> others,
               Done done) override {
    ++proposals;
    proto::KeyringOp op;
    op.set_verb(verb);
    op.set_key(std::move(key));
    for (auto& other : others) op.add_others(std::move(other));
    state::ChangeSet changes;
    Result<bool> result = table_.apply(op, ++index_, changes);
    if (keyring != nullptr && state::keyring_changed(changes)) keyring->on_table_changed();
    done(std::move(result));
  }
  [[nodiscard]] ReplicatedKeyring table() const override {
    ReplicatedKeyring out;
    out.keys = table_.keys();
    if (!table_.empty()) out.primary = table_.primary();
    out.index = table_.index();
    return out;
  }
  [[nodiscard]] bool is_leader() const override { return leader; }
  [[nodiscard]] std::size_t num_nodes() const override { return 3; }

  ClusterKeyring* keyring = nullptr;
  bool leader = false;
  int proposals = 0;

 private:
  state::KeyringTable table_;
  std::uint64_t index_ = 0;
};

std::string b64(const crypto::Key32& key) { return crypto::base64_encode(key.view()); }

class KeyringServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("synod-keyring-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = crypto::keyring_path(dir_.string());
    ASSERT_TRUE(crypto::save_keyring(path_, crypto::Keyring(old_)).is_ok());
    local_ = std::make_shared<crypto::KeyringStore>(crypto::Keyring(old_));
    local_->follow_file(path_);
    keyring_ = std::make_unique<ClusterKeyring>(io_, port_, local_, "dc1");
    port_.keyring = keyring_.get();
    keyring_->register_routes(router_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  http::HttpResponse call(const std::string& method, const std::string& body = "") {
    http::HttpRequest request;
    request.method = method;
    request.path = "/v1/operator/keyring";
    request.body = body;
    auto match = router_.match(request);
    EXPECT_NE(match.handler, nullptr);
    std::optional<http::HttpResponse> out;
    (*match.handler)(request, [&](http::HttpResponse response) { out = std::move(response); });
    EXPECT_TRUE(out.has_value()) << "the fake port answers synchronously";
    return out.value_or(http::HttpResponse{});
  }
  http::HttpResponse call_key(const std::string& method, const crypto::Key32& key) {
    return call(method, nlohmann::json{{"Key", b64(key)}}.dump());
  }
  crypto::Keyring on_disk() { return crypto::load_keyring(path_).value(); }

  asio::io_context io_;
  FakePort port_;
  http::Router router_;
  crypto::Key32 old_ = crypto::random_key();
  crypto::Key32 new_ = crypto::random_key();
  std::filesystem::path dir_;
  std::string path_;
  std::shared_ptr<crypto::KeyringStore> local_;
  std::unique_ptr<ClusterKeyring> keyring_;
};

TEST_F(KeyringServiceTest, AWriteOnAnUnseededClusterSeedsTheLocalKeyringFirst) {
  ASSERT_EQ(call_key("POST", new_).status, 200);
  EXPECT_EQ(port_.proposals, 2) << "seed, then install";
  const auto ring = local_->snapshot();
  ASSERT_EQ(ring->keys().size(), 2u);
  EXPECT_TRUE(ring->primary().equals(old_)) << "the key nodes used so far stays primary";
  EXPECT_TRUE(ring->contains(new_));
  EXPECT_TRUE(on_disk().same_as(*ring)) << "keyring.json follows the table";
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(KeyringServiceTest, RotationThroughTheApiMovesTheLocalKeyring) {
  ASSERT_EQ(call_key("POST", new_).status, 200);
  ASSERT_EQ(call_key("PUT", new_).status, 200);
  ASSERT_EQ(call_key("DELETE", old_).status, 200);
  const auto ring = local_->snapshot();
  ASSERT_EQ(ring->keys().size(), 1u);
  EXPECT_TRUE(ring->primary().equals(new_));
  EXPECT_TRUE(on_disk().same_as(*ring));
  // The store remembers its own write: no reload of the same file.
  EXPECT_FALSE(local_->reload_if_changed().value());
}

TEST_F(KeyringServiceTest, RefusedOpsAnswer400WithoutTheKey) {
  ASSERT_EQ(call_key("POST", new_).status, 200);
  const auto unknown = crypto::random_key();
  auto use = call_key("PUT", unknown);
  EXPECT_EQ(use.status, 400);
  EXPECT_NE(use.body.find("not installed"), std::string::npos) << use.body;
  EXPECT_EQ(use.body.find(b64(unknown)), std::string::npos);
  auto remove_primary = call_key("DELETE", old_);
  EXPECT_EQ(remove_primary.status, 400);
  EXPECT_NE(remove_primary.body.find("primary"), std::string::npos) << remove_primary.body;
  EXPECT_EQ(call("PUT", "{\"Key\": 5}").status, 400);
  EXPECT_EQ(call("PUT", "{\"Key\": \"c2hvcnQ=\"}").status, 400) << "not 32 bytes";
  EXPECT_EQ(local_->snapshot()->keys().size(), 2u);
}

TEST_F(KeyringServiceTest, ListHasConsulsShapeWithMemberCounts) {
  ASSERT_EQ(call_key("POST", new_).status, 200);
  auto response = call("GET");
  ASSERT_EQ(response.status, 200);
  auto body = nlohmann::json::parse(response.body);
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 1u);
  const auto& pool = body[0];
  EXPECT_EQ(pool["Datacenter"], "dc1");
  EXPECT_EQ(pool["WAN"], false);
  EXPECT_EQ(pool["NumNodes"], 3);
  EXPECT_EQ(pool["Keys"][b64(old_)], 3);
  EXPECT_EQ(pool["Keys"][b64(new_)], 3);
  EXPECT_EQ(pool["PrimaryKeys"].size(), 1u);
  EXPECT_EQ(pool["PrimaryKeys"][b64(old_)], 3);
  bool has_index = false;
  for (const auto& [name, value] : response.headers) {
    has_index = has_index || (name == "X-Consul-Index" && value != "0");
  }
  EXPECT_TRUE(has_index);
}

TEST_F(KeyringServiceTest, TheLeaderSeedsAnEmptyTableOnce) {
  port_.leader = true;
  keyring_->start();
  for (int i = 0; i < 100 && port_.table().keys.empty(); ++i) {
    io_.run_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(port_.table().keys.size(), 1u);
  EXPECT_EQ(port_.table().primary, std::string(old_.view()));
  const int after_seed = port_.proposals;
  io_.run_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(port_.proposals, after_seed) << "a filled table is never seeded again";
  keyring_->stop();
}

TEST_F(KeyringServiceTest, AnEmptyTableNeverEmptiesTheLocalKeyring) {
  keyring_->on_table_changed();
  ASSERT_EQ(local_->snapshot()->keys().size(), 1u);
  EXPECT_TRUE(local_->snapshot()->primary().equals(old_));
}

TEST(KeyringServiceDisabled, EveryCallAnswers400) {
  asio::io_context io;
  FakePort port;
  http::Router router;
  ClusterKeyring keyring(io, port, nullptr, "dc1");
  keyring.register_routes(router);
  http::HttpRequest request;
  request.method = "GET";
  request.path = "/v1/operator/keyring";
  auto match = router.match(request);
  ASSERT_NE(match.handler, nullptr);
  int status = 0;
  (*match.handler)(request, [&](http::HttpResponse response) { status = response.status; });
  EXPECT_EQ(status, 400);
  EXPECT_EQ(port.proposals, 0);
}

}  // namespace
}  // namespace synod::node::transport
