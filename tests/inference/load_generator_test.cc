// The HTTP load generator against a tiny in-test server: the pre-built
// request carries the extra headers and the body, keep-alive connections
// are reused, and the minimal response reader takes status, body and
// X-Synod-Served-By.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "common/asio.h"
#include "node/inference/load_generator.h"

namespace synod::node::inference {
namespace {

// Answers every request on every connection with `status` (keep-alive),
// after checking it has the expected header and body; counts requests.
class FakeServer {
 public:
  explicit FakeServer(int status) : status_(status), acceptor_(io_, {asio::ip::tcp::v4(), 0}) {
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~FakeServer() {
    stopping_ = true;
    {  // wakes the blocking accept()
      asio::ip::tcp::socket wake(io_);
      error_code ec;
      wake.connect(acceptor_.local_endpoint(), ec);
      thread_.join();
    }
    for (auto& t : connections_) t.join();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int requests() const { return requests_; }
  int bad_requests() const { return bad_; }
  int connections() const { return static_cast<int>(connections_.size()); }

 private:
  void accept_loop() {
    while (!stopping_) {
      auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
      error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopping_) return;
      connections_.emplace_back([this, socket] { serve(*socket); });
    }
  }
  void serve(asio::ip::tcp::socket& socket) {
    std::string buffer;
    char chunk[4096];
    while (true) {
      std::size_t end;
      error_code ec;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        const auto n = socket.read_some(asio::buffer(chunk), ec);
        if (ec) return;
        buffer.append(chunk, n);
      }
      const std::string head = buffer.substr(0, end + 2);  // every line ends in \r\n
      const auto at = head.find("Content-Length: ");
      const std::size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
      while (buffer.size() < end + 4 + length) {
        const auto n = socket.read_some(asio::buffer(chunk), ec);
        if (ec) return;
        buffer.append(chunk, n);
      }
      const std::string body = buffer.substr(end + 4, length);
      buffer.erase(0, end + 4 + length);
      if (head.find("Inference-Header-Content-Length: 2\r\n") == std::string::npos ||
          head.find("Content-Type: application/octet-stream") == std::string::npos ||
          body != std::string("{}\x01\x00", 4)) {
        ++bad_;
      }
      ++requests_;
      const std::string answer = status_ == 200 ? "{\"ok\":1}" : "{\"error\":\"no\"}";
      const std::string reply = "HTTP/1.1 " + std::to_string(status_) +
                                " X\r\nx-synod-served-by: fake1\r\nContent-Length: " +
                                std::to_string(answer.size()) + "\r\n\r\n" + answer;
      asio::write(socket, asio::buffer(reply), ec);
      if (ec) return;
    }
  }

  int status_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::vector<std::thread> connections_;  // accept thread only, joined after it
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0}, bad_{0};
};

LoadOptions options(const FakeServer& server) {
  LoadOptions o;
  o.address = server.address();
  o.target = "/v2/models/mlp/infer";
  o.body = std::string("{}\x01\x00", 4);
  o.headers = {{"Content-Type", "application/octet-stream"},
               {"Inference-Header-Content-Length", "2"}};
  o.concurrency = 2;
  o.duration = std::chrono::milliseconds(150);
  o.warmup = std::chrono::milliseconds(20);
  return o;
}

}  // namespace

TEST(LoadGenerator, SendsThePrebuiltRequestOnKeepAliveConnections) {
  LoadResult r;
  int requests = 0, bad = 0, connections = 0;
  {
    FakeServer server(200);
    r = run_http_load(options(server));
    requests = server.requests();
    bad = server.bad_requests();
    connections = server.connections();
  }
  EXPECT_GT(r.ok, 0u);
  EXPECT_EQ(r.errors, 0u) << r.last_error;
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(static_cast<std::uint64_t>(requests), r.calls);
  EXPECT_EQ(connections, 2);  // one per worker, reused
  EXPECT_EQ(r.served_by, "fake1");
}

TEST(LoadGenerator, NonOkAnswersAreErrorsWithTheirStatusAndBody) {
  FakeServer server(400);
  auto o = options(server);
  o.concurrency = 1;
  auto r = run_http_load(o);
  EXPECT_EQ(r.ok, 0u);
  EXPECT_GT(r.errors, 0u);
  EXPECT_EQ(r.last_error, "400 {\"error\":\"no\"}");
}

}  // namespace synod::node::inference
