// Request/response (call) on top of the transport.
#include <gtest/gtest.h>

#include <optional>

#include "tests/transport/transport_fixture.h"

namespace synod::node::transport::testing {
namespace {

using std::chrono::milliseconds;

class CallTest : public TransportTest {
 protected:
  void SetUp() override {
    one_ = make(1);
    two_ = make(2);
    mesh({1, 2});
  }
  std::optional<Result<Bytes>> call_and_wait(NodeId to, Bytes payload,
                                             Duration timeout = std::chrono::seconds(10)) {
    std::optional<Result<Bytes>> result;
    one_->call(to, MessageType::kForward, std::move(payload), timeout,
               [&](Result<Bytes> response) { result.emplace(std::move(response)); });
    EXPECT_TRUE(run_until([&] { return result.has_value(); }));
    return result;
  }
  std::shared_ptr<PeerTransport> one_, two_;
};

TEST_F(CallTest, ResponseReachesTheCaller) {
  two_->set_request_handler([](NodeId from, MessageType type, std::string_view payload,
                               PeerTransport::Responder respond) {
    EXPECT_EQ(from, NodeId(1));
    EXPECT_EQ(type, MessageType::kForward);
    respond(Bytes("echo:") + Bytes(payload));
  });
  auto result = call_and_wait(NodeId(2), "hello");
  ASSERT_TRUE(result->is_ok()) << result->status();
  EXPECT_EQ(**result, "echo:hello");
  // Calls are not delivered to the one-way handler.
  EXPECT_TRUE(inbox_[2].empty());
}

TEST_F(CallTest, ManyConcurrentCallsAreMatchedById) {
  two_->set_request_handler(
      [](NodeId, MessageType, std::string_view payload, PeerTransport::Responder respond) {
        respond(Bytes(payload) + "!");
      });
  std::map<int, std::string> answers;
  for (int i = 0; i < 100; ++i) {
    one_->call(NodeId(2), MessageType::kForward, std::to_string(i), std::chrono::seconds(10),
               [&answers, i](Result<Bytes> response) {
                 answers[i] = response.is_ok() ? *response : response.status().to_string();
               });
  }
  ASSERT_TRUE(run_until([&] { return answers.size() == 100; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(answers[i], std::to_string(i) + "!");
}

TEST_F(CallTest, ErrorResponseCarriesTheStatus) {
  two_->set_request_handler(
      [](NodeId, MessageType, std::string_view, PeerTransport::Responder respond) {
        respond(Status(StatusCode::kNotLeader, "leader is node 3"));
      });
  auto result = call_and_wait(NodeId(2), "write");
  ASSERT_FALSE(result->is_ok());
  EXPECT_EQ(result->status().code(), StatusCode::kNotLeader);
  EXPECT_EQ(result->status().message(), "leader is node 3");
}

TEST_F(CallTest, DeferredResponseIsDeliveredLater) {
  PeerTransport::Responder held;
  two_->set_request_handler([&](NodeId, MessageType, std::string_view,
                                PeerTransport::Responder respond) { held = std::move(respond); });
  std::optional<Result<Bytes>> result;
  one_->call(NodeId(2), MessageType::kForward, "commit me", std::chrono::seconds(10),
             [&](Result<Bytes> response) { result.emplace(std::move(response)); });
  ASSERT_TRUE(run_until([&] { return static_cast<bool>(held); }));
  EXPECT_FALSE(result.has_value());
  held(Bytes("committed"));
  held(Bytes("twice"));  // ignored
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  EXPECT_EQ(**result, "committed");
}

TEST_F(CallTest, UnansweredCallTimesOut) {
  PeerTransport::Responder never;
  two_->set_request_handler([&](NodeId, MessageType, std::string_view,
                                PeerTransport::Responder respond) { never = std::move(respond); });
  auto result = call_and_wait(NodeId(2), "anyone?", milliseconds(100));
  ASSERT_FALSE(result->is_ok());
  EXPECT_EQ(result->status().code(), StatusCode::kTimeout);
  // A late answer after the timeout is dropped quietly.
  never(Bytes("too late"));
  ASSERT_TRUE(one_->send(NodeId(2), MessageType::kRaft, "sync").is_ok());
  ASSERT_TRUE(run_until([&] { return !inbox_[2].empty(); }));
}

TEST_F(CallTest, NodeWithoutARequestHandlerAnswersUnimplemented) {
  auto result = call_and_wait(NodeId(2), "x");
  EXPECT_EQ(result->status().code(), StatusCode::kUnimplemented);
}

TEST_F(CallTest, CallToAnUnknownPeerFailsWithoutWaiting) {
  auto result = call_and_wait(NodeId(9), "x");
  EXPECT_EQ(result->status().code(), StatusCode::kUnavailable);
}

TEST_F(CallTest, StopCancelsPendingCalls) {
  two_->set_request_handler([](NodeId, MessageType, std::string_view, PeerTransport::Responder) {});
  std::optional<Result<Bytes>> result;
  one_->call(NodeId(2), MessageType::kForward, "x", std::chrono::seconds(10),
             [&](Result<Bytes> response) { result.emplace(std::move(response)); });
  one_->stop();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace synod::node::transport::testing
