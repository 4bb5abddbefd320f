// Health transitions of each check kind against real local listeners.
#include "node/registry/check_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/beast.h"

namespace synod::node::registry {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

// A tiny HTTP server answering every request with `status` (changeable).
class StatusServer {
 public:
  explicit StatusServer(asio::io_context& io)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/health";
  }
  std::atomic<int> status{200};
  std::atomic<int> requests{0};
  std::string last_method;

 private:
  void accept() {
    acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
      if (ec) return;
      auto s = std::make_shared<tcp::socket>(std::move(socket));
      auto buffer = std::make_shared<beast::flat_buffer>();
      auto req = std::make_shared<beast::http::request<beast::http::string_body>>();
      beast::http::async_read(
          *s, *buffer, *req, [this, s, buffer, req](error_code ec2, std::size_t) {
            if (ec2) return;
            ++requests;
            last_method = std::string(req->method_string());
            auto res = std::make_shared<beast::http::response<beast::http::string_body>>(
                static_cast<beast::http::status>(status.load()), 11);
            res->body() = std::string(5000, 'x');  // longer than the output limit
            res->prepare_payload();
            beast::http::async_write(*s, *res, [s, res](error_code, std::size_t) {});
          });
      accept();
    });
  }
  tcp::acceptor acceptor_;
};

struct Reported {
  std::string status;
  std::string output;
  int count = 0;
};

class CheckRunnerTest : public ::testing::Test {
 protected:
  CheckRunner make(bool scripts = false) {
    return CheckRunner(
        io, scripts,
        {[this](const std::string& id, const std::string& status, const std::string& output) {
           auto& r = reported[id];
           r.status = status;
           r.output = output;
           ++r.count;
         },
         [this](const std::string& service, const std::string&) {
           deregistered.push_back(service);
         }});
  }
  // Runs the loop until `pred` or a generous limit.
  template <typename Pred>
  bool run_until(Pred pred, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      io.run_for(5ms);
      io.restart();
    }
    return pred();
  }
  asio::io_context io;
  std::map<std::string, Reported> reported;
  std::vector<std::string> deregistered;
};

CheckSpec http_spec(const std::string& url) {
  CheckSpec spec;
  spec.check_id = "web-http";
  spec.service_id = "web";
  spec.kind = CheckKind::kHttp;
  spec.http.url = url;
  spec.interval = 20ms;
  spec.timeout = 2s;
  return spec;
}

TEST_F(CheckRunnerTest, HttpCheckFollowsTheStatusCode) {
  StatusServer backend(io);
  auto runner = make();
  ASSERT_TRUE(runner.add(http_spec(backend.url()), "critical").is_ok());
  ASSERT_TRUE(run_until([&] { return reported["web-http"].status == "passing"; }));
  EXPECT_NE(reported["web-http"].output.find("HTTP GET " + backend.url() + ": 200 OK"),
            std::string::npos);
  EXPECT_LE(reported["web-http"].output.size(), kMaxCheckOutput + 32) << "output truncated";
  const int before = reported["web-http"].count;
  const int requests = backend.requests.load();
  ASSERT_TRUE(run_until([&] { return backend.requests.load() >= requests + 3; }));
  EXPECT_EQ(reported["web-http"].count, before) << "a steady status is not re-reported";
  backend.status = 429;
  ASSERT_TRUE(run_until([&] { return reported["web-http"].status == "warning"; }));
  backend.status = 503;
  ASSERT_TRUE(run_until([&] { return reported["web-http"].status == "critical"; }));
  backend.status = 202;
  ASSERT_TRUE(run_until([&] { return reported["web-http"].status == "passing"; }));
}

TEST_F(CheckRunnerTest, HttpCheckUsesTheConfiguredMethod) {
  StatusServer backend(io);
  auto runner = make();
  auto spec = http_spec(backend.url());
  spec.http.method = "POST";
  ASSERT_TRUE(runner.add(spec, "critical").is_ok());
  ASSERT_TRUE(run_until([&] { return reported["web-http"].status == "passing"; }));
  EXPECT_EQ(backend.last_method, "POST");
}

TEST_F(CheckRunnerTest, HttpCheckAgainstAClosedPortIsCritical) {
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = probe.local_endpoint().port();
  probe.close();
  auto runner = make();
  ASSERT_TRUE(
      runner.add(http_spec("http://127.0.0.1:" + std::to_string(port) + "/"), "passing").is_ok());
  ASSERT_TRUE(run_until([&] { return reported["web-http"].status == "critical"; }));
}

TEST_F(CheckRunnerTest, TcpCheckPassesWhileSomeoneListens) {
  auto acceptor =
      std::make_unique<tcp::acceptor>(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor->local_endpoint().port();
  auto runner = make();
  CheckSpec spec;
  spec.check_id = "db-tcp";
  spec.kind = CheckKind::kTcp;
  spec.tcp = "127.0.0.1:" + std::to_string(port);
  spec.interval = 20ms;
  spec.timeout = 1s;
  ASSERT_TRUE(runner.add(spec, "critical").is_ok());
  ASSERT_TRUE(run_until([&] { return reported["db-tcp"].status == "passing"; }));
  EXPECT_NE(reported["db-tcp"].output.find("Success"), std::string::npos);
  acceptor.reset();
  ASSERT_TRUE(run_until([&] { return reported["db-tcp"].status == "critical"; }));
}

TEST_F(CheckRunnerTest, TtlExpiresWithoutUpdatesAndUpdatesRestartIt) {
  auto runner = make();
  CheckSpec spec;
  spec.check_id = "app-ttl";
  spec.service_id = "app";
  spec.kind = CheckKind::kTtl;
  spec.ttl = 100ms;
  ASSERT_TRUE(runner.add(spec, "critical").is_ok());
  ASSERT_TRUE(runner.update_ttl("app-ttl", "passing", "fine").is_ok());
  EXPECT_EQ(reported["app-ttl"].status, "passing");
  EXPECT_EQ(reported["app-ttl"].output, "fine");
  ASSERT_TRUE(run_until([&] { return reported["app-ttl"].status == "critical"; }));
  EXPECT_EQ(reported["app-ttl"].output, "TTL expired");
  EXPECT_EQ(runner.update_ttl("missing", "passing", "").code(), StatusCode::kNotFound);
}

TEST_F(CheckRunnerTest, CriticalForTooLongDeregistersTheService) {
  auto runner = make();
  CheckSpec spec;
  spec.check_id = "app-ttl";
  spec.service_id = "app";
  spec.kind = CheckKind::kTtl;
  spec.ttl = 10s;
  spec.deregister_after = 50ms;
  ASSERT_TRUE(runner.add(spec, "critical").is_ok());
  ASSERT_TRUE(run_until([&] { return !deregistered.empty(); }));
  EXPECT_EQ(deregistered.front(), "app");
}

TEST_F(CheckRunnerTest, ScriptChecksNeedTheSwitchAndMapExitCodes) {
  CheckSpec spec;
  spec.check_id = "script";
  spec.kind = CheckKind::kScript;
  spec.args = {"/bin/sh", "-c", "echo hello; exit 1"};
  spec.interval = 20ms;
  spec.timeout = 5s;
  {
    auto disabled = make(false);
    EXPECT_EQ(disabled.add(spec, "critical").code(), StatusCode::kInvalidArgument);
  }
  auto runner = make(true);
  ASSERT_TRUE(runner.add(spec, "critical").is_ok());
  ASSERT_TRUE(run_until([&] { return reported["script"].status == "warning"; }));
  EXPECT_NE(reported["script"].output.find("hello"), std::string::npos);
  spec.args = {"/bin/sh", "-c", "exit 0"};
  ASSERT_TRUE(runner.add(spec, "warning").is_ok());
  ASSERT_TRUE(run_until([&] { return reported["script"].status == "passing"; }));
  spec.args = {"/bin/sh", "-c", "sleep 5"};
  spec.timeout = 100ms;
  ASSERT_TRUE(runner.add(spec, "passing").is_ok());
  ASSERT_TRUE(run_until([&] { return reported["script"].status == "critical"; }));
  EXPECT_NE(reported["script"].output.find("Timed out"), std::string::npos);
}

TEST(CheckDuration, ParsesConsulForms) {
  EXPECT_EQ(parse_check_duration("10s").value(), 10s);
  EXPECT_EQ(parse_check_duration("1m30s").value(), 90s);
  EXPECT_EQ(parse_check_duration("2000000000").value(), 2s);
  EXPECT_FALSE(parse_check_duration("ten").is_ok());
}

}  // namespace
}  // namespace synod::node::registry
