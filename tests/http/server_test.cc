// The HTTP server and router over real sockets: routing, errors, limits,
// keep-alive, pipelining, metrics.
#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "node/http/status_handlers.h"
#include "tests/http/fake_cluster_info.h"
#include "tests/http/http_test_util.h"

namespace synod::node::http {
namespace {

using nlohmann::json;
using testing::Client;
using testing::TestServer;

class ServerTest : public ::testing::Test {
 protected:
  void start(config::HttpSection config = {}) {
    server_ = std::make_unique<TestServer>(config);
    register_status_routes(server_->router(), cluster_);
    register_metrics_route(server_->router());
    server_->router().add("PUT", "/echo", [](HttpRequest req, Responder respond) {
      respond(HttpResponse::text(req.body));
    });
    server_->router().add("GET", "/v1/agent/service/:id", [](HttpRequest req, Responder respond) {
      respond(HttpResponse::json(json{{"id", req.param("id")}, {"route", req.route}}));
    });
    server_->router().add("GET", "/v1/agent/service/special", [](HttpRequest, Responder respond) {
      respond(HttpResponse::json("literal"));
    });
    server_->router().add("GET", "/files/*path", [](HttpRequest req, Responder respond) {
      respond(HttpResponse::json(
          json{{"path", req.param("path")}, {"q", req.query_value("q").value_or("-")}}));
    });
    server_->router().add("GET", "/drop", [](HttpRequest, Responder) {});
    server_->router().add("GET", "/throw",
                          [](HttpRequest, Responder) -> void { throw std::runtime_error("boom"); });
    server_->start();
  }

  testing::FakeClusterInfo cluster_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(ServerTest, AgentSelfHasConsulShape) {
  start();
  Client client(server_->port());
  auto res = client.request("GET", "/v1/agent/self");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "application/json");
  auto body = json::parse(res.body);
  EXPECT_EQ(body["Config"]["NodeName"], "node-1");
  EXPECT_EQ(body["Config"]["Datacenter"], "dc1");
  EXPECT_EQ(body["Config"]["NodeID"], "1");
  EXPECT_EQ(body["Member"]["Name"], "node-1");
  EXPECT_EQ(body["Member"]["Port"], 8301);
  EXPECT_EQ(body["Stats"]["raft"]["state"], "Leader");
  EXPECT_EQ(body["Synod"]["Role"], "leader");
}

TEST_F(ServerTest, StatusAndOperatorEndpoints) {
  start();
  Client client(server_->port());
  auto leader = client.request("GET", "/v1/status/leader");
  EXPECT_EQ(leader.status, 200);
  EXPECT_EQ(leader.body, "\"127.0.0.1:8300\"");
  auto peers = json::parse(client.request("GET", "/v1/status/peers").body);
  EXPECT_EQ(peers, json({"127.0.0.1:8300", "127.0.0.1:8310"}));

  auto conf = client.request("GET", "/v1/operator/raft/configuration");
  ASSERT_EQ(conf.status, 200);
  auto c = json::parse(conf.body);
  EXPECT_EQ(c["Index"], 7);
  ASSERT_EQ(c["Servers"].size(), 2u);
  EXPECT_EQ(c["Servers"][0]["ID"], "1");
  EXPECT_EQ(c["Servers"][0]["Leader"], true);
  EXPECT_EQ(c["Servers"][1]["Voter"], true);
  EXPECT_EQ(c["Servers"][1]["ProtocolVersion"], "3");

  EXPECT_EQ(client.request("DELETE", "/v1/operator/raft/peer").status, 400);
  EXPECT_EQ(client.request("DELETE", "/v1/operator/raft/peer?id=2").status, 200);
  EXPECT_EQ(cluster_.removed, "2");
  EXPECT_EQ(client.request("DELETE", "/v1/operator/raft/peer?address=127.0.0.1:8300").status, 200);
  EXPECT_EQ(cluster_.removed, "1");
  auto missing = client.request("DELETE", "/v1/operator/raft/peer?id=9");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(json::parse(missing.body).contains("error"));

  auto transfer = client.request("POST", "/v1/operator/raft/transfer-leader?id=2");
  EXPECT_EQ(transfer.status, 200);
  EXPECT_EQ(json::parse(transfer.body), json({{"Success", true}}));
  EXPECT_EQ(cluster_.transferred_to, "2");

  auto health = client.request("GET", "/v1/synod/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body)["Healthy"], true);
  cluster_.healthy = false;
  EXPECT_EQ(client.request("GET", "/v1/synod/health").status, 503);
}

TEST_F(ServerTest, UnknownRouteIs404Json) {
  start();
  Client client(server_->port());
  auto res = client.request("GET", "/v1/nope");
  EXPECT_EQ(res.status, 404);
  EXPECT_TRUE(json::parse(res.body).contains("error"));
  EXPECT_TRUE(res.keep_alive);
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  start();
  Client client(server_->port());
  auto res = client.request("DELETE", "/v1/status/leader");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.header("allow"), "GET");
  EXPECT_TRUE(json::parse(res.body).contains("error"));
}

TEST_F(ServerTest, RouterPrefersLiteralsAndFillsParams) {
  start();
  Client client(server_->port());
  auto param = json::parse(client.request("GET", "/v1/agent/service/web%201").body);
  EXPECT_EQ(param["id"], "web 1");
  EXPECT_EQ(param["route"], "/v1/agent/service/:id");
  EXPECT_EQ(client.request("GET", "/v1/agent/service/special").body, "\"literal\"");
  auto wild = json::parse(client.request("GET", "/files/a/b//c?q=x%26y").body);
  EXPECT_EQ(wild["path"], "a/b//c");
  EXPECT_EQ(wild["q"], "x&y");
  EXPECT_EQ(json::parse(client.request("GET", "/files/").body)["path"], "");
  EXPECT_EQ(client.request("GET", "/v1/status/leader/").status, 200);
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  Client client(server_->port());
  for (int i = 0; i < 20; ++i) {
    auto res = client.request("PUT", "/echo", "body-" + std::to_string(i));
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "body-" + std::to_string(i));
    EXPECT_TRUE(res.keep_alive);
  }
  EXPECT_EQ(server_->server().connection_count(), 1u);
}

// Bodies on both sides of the read buffer's sizes (8 KiB per read, up to
// 256 KiB reserved for a body, given back after a large one) arrive whole
// and in order on one connection.
TEST_F(ServerTest, BodiesOfEverySizeArriveWholeOnOneConnection) {
  start();
  Client client(server_->port());
  std::size_t n = 0;
  for (std::size_t size : {1u, 4400u, 8192u, 8193u, 16385u, 70000u, 262144u, 262145u, 1u << 20,
                           3u, 5000u}) {
    std::string body(size, '\0');
    for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>('a' + (i * 7 + n) % 26);
    auto res = client.request("PUT", "/echo", body);
    ASSERT_EQ(res.status, 200) << size;
    EXPECT_EQ(res.body.size(), size);
    EXPECT_TRUE(res.body == body) << "body of " << size << " bytes came back changed";
    ++n;
  }
  EXPECT_EQ(server_->server().connection_count(), 1u);
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrder) {
  start();
  Client client(server_->port());
  std::string pipeline;
  for (int i = 0; i < 5; ++i) {
    std::string body = "p" + std::to_string(i);
    pipeline += "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body;
  }
  client.send_raw(pipeline);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client.read_response().body, "p" + std::to_string(i));
}

TEST_F(ServerTest, MalformedRequestIs400JsonAndCloses) {
  start();
  Client client(server_->port());
  client.send_raw("THIS IS NOT HTTP\r\n\r\n");
  auto res = client.read_response();
  EXPECT_EQ(res.status, 400);
  EXPECT_TRUE(json::parse(res.body).contains("error"));
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ServerTest, BadPercentEscapeIs400) {
  start();
  Client client(server_->port());
  client.send_raw("GET /v1/kv/%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.read_response().status, 400);
}

TEST_F(ServerTest, OversizeBodyIs413) {
  config::HttpSection config;
  config.max_body_bytes = 1024;
  start(config);
  Client client(server_->port());
  auto res = client.request("PUT", "/echo", std::string(4096, 'x'));
  EXPECT_EQ(res.status, 413);
  EXPECT_TRUE(json::parse(res.body).contains("error"));
  // A chunked body over the limit is refused too.
  Client chunked(server_->port());
  std::string chunk(2000, 'y');
  chunked.send_raw("PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" +
                   chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.read_response().status, 413);
}

TEST_F(ServerTest, ExpectContinueIsHonoured) {
  start();
  Client client(server_->port());
  client.send_raw(
      "PUT /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  auto interim = client.read_response();
  EXPECT_EQ(interim.status, 100);
  client.send_raw("hello");
  auto res = client.read_response();
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "hello");
}

TEST_F(ServerTest, OversizeHeaderIs431) {
  config::HttpSection config;
  config.max_header_bytes = 1024;
  start(config);
  Client client(server_->port());
  auto res = client.request("GET", "/v1/status/leader", "", {{"X-Big", std::string(4000, 'h')}});
  EXPECT_EQ(res.status, 431);
  EXPECT_TRUE(json::parse(res.body).contains("error"));
}

TEST_F(ServerTest, IdleConnectionIsClosed) {
  config::HttpSection config;
  config.idle_timeout = std::chrono::milliseconds(100);
  start(config);
  Client client(server_->port());
  EXPECT_EQ(client.request("GET", "/v1/status/leader").status, 200);
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(ServerTest, DroppedResponderAnswers500) {
  start();
  Client client(server_->port());
  EXPECT_EQ(client.request("GET", "/drop").status, 500);
  EXPECT_EQ(client.request("GET", "/throw").status, 500);
  EXPECT_EQ(client.request("GET", "/v1/status/leader").status, 200);
}

TEST_F(ServerTest, ConnectionsBeyondLimitGet503) {
  config::HttpSection config;
  config.max_connections = 1;
  start(config);
  Client first(server_->port());
  EXPECT_EQ(first.request("GET", "/v1/status/leader").status, 200);
  Client second(server_->port());
  EXPECT_EQ(second.read_response().status, 503);
}

TEST_F(ServerTest, MetricsEndpointRendersPrometheusTextWithRouteLabels) {
  start();
  Client client(server_->port());
  EXPECT_EQ(client.request("GET", "/v1/agent/service/abc").status, 200);
  EXPECT_EQ(client.request("GET", "/nope/at/all").status, 404);
  auto res = client.request("GET", "/metrics");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res.body.find("# TYPE synod_http_requests_total counter"), std::string::npos);
  EXPECT_NE(
      res.body.find(
          "synod_http_requests_total{route=\"/v1/agent/service/:id\",method=\"GET\",code=\"200\"}"),
      std::string::npos)
      << res.body;
  EXPECT_NE(res.body.find("route=\"unmatched\""), std::string::npos);
  EXPECT_EQ(res.body.find("/v1/agent/service/abc"), std::string::npos);
  EXPECT_NE(res.body.find("# TYPE synod_http_request_duration_seconds histogram"),
            std::string::npos);
}

}  // namespace
}  // namespace synod::node::http
