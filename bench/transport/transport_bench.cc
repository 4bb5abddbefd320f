// Peer transport throughput over loopback: two PeerTransports in one process
// on one io_context (so sender, receiver and both kernels' socket work share
// one thread). Reports messages/s (items_per_second) and MB/s
// (bytes_per_second, payload bytes only) for 64 B, 1 KiB and 64 KiB payloads.
//
//   ninja -C build transport_bench && build/bench/transport_bench
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "common/random.h"
#include "node/transport/peer_transport.h"

namespace synod::node::transport {
namespace {

struct Pair {
  Pair() {
    spdlog::set_level(spdlog::level::warn);
    config::TransportSection limits;
    PeerTransportOptions a_options{NodeId(1), "bench", "127.0.0.1:0", "", limits, nullptr};
    PeerTransportOptions b_options{NodeId(2), "bench", "127.0.0.1:0", "", limits, nullptr};
    a = PeerTransport::create(io, a_options, random);
    b = PeerTransport::create(io, b_options, random);
    if (!a->start().is_ok() || !b->start().is_ok()) std::abort();
    b->set_handler([this](NodeId, MessageType, std::string_view payload) {
      ++received;
      received_bytes += payload.size();
    });
    a->add_peer(NodeId(2), b->listen_address());
    b->add_peer(NodeId(1), a->listen_address());
    run_until([&] {
      auto ab = a->stats(NodeId(2));
      auto ba = b->stats(NodeId(1));
      return ab->connected && ba->connected && !ab->dialing && !ba->dialing &&
             ab->active_outbound != ba->active_outbound;
    });
  }
  ~Pair() {
    a->stop();
    b->stop();
    io.run_for(std::chrono::milliseconds(20));
  }
  template <typename Predicate>
  void run_until(Predicate done) {
    while (!done()) io.run_one_for(std::chrono::milliseconds(10));
  }

  asio::io_context io;
  SeededRandom random{1};
  std::shared_ptr<PeerTransport> a, b;
  std::uint64_t received = 0;
  std::uint64_t received_bytes = 0;
};

// One-way stream: keep `window` messages in flight, refill as they land.
void BM_OneWay(benchmark::State& state) {
  static Pair pair;
  const std::size_t size = static_cast<std::size_t>(state.range(0));
  const std::uint64_t window = size >= 65536 ? 64 : 1024;
  const Bytes payload(size, 'p');
  std::uint64_t sent = pair.received;
  const std::uint64_t start_received = pair.received;
  const auto before = *pair.a->stats(NodeId(2));
  for (auto _ : state) {
    // One iteration = one window of messages delivered.
    const std::uint64_t target = pair.received + window;
    while (pair.received < target) {
      while (sent < target && sent - pair.received < 2 * window) {
        if (!pair.a->send(NodeId(2), MessageType::kTest, payload).is_ok()) std::abort();
        ++sent;
      }
      pair.io.run_one_for(std::chrono::milliseconds(10));
    }
  }
  pair.run_until([&] { return pair.received >= sent; });
  const auto messages = static_cast<std::int64_t>(pair.received - start_received);
  state.SetItemsProcessed(messages);
  state.SetBytesProcessed(messages * static_cast<std::int64_t>(size));
  const auto after = *pair.a->stats(NodeId(2));
  state.counters["frames_per_write"] =
      static_cast<double>(after.frames_sent - before.frames_sent) /
      static_cast<double>(std::max<std::uint64_t>(1, after.writes - before.writes));
}
BENCHMARK(BM_OneWay)->Arg(64)->Arg(1024)->Arg(64 * 1024)->UseRealTime()->MinTime(1.0);

// Request/response round trips, one at a time: latency-bound.
void BM_CallRoundTrip(benchmark::State& state) {
  static Pair pair;
  static bool handler_set = false;
  if (!handler_set) {
    pair.b->set_request_handler([](NodeId, MessageType, std::string_view payload,
                                   PeerTransport::Responder respond) { respond(Bytes(payload)); });
    handler_set = true;
  }
  const Bytes payload(static_cast<std::size_t>(state.range(0)), 'c');
  for (auto _ : state) {
    bool done = false;
    pair.a->call(NodeId(2), MessageType::kForward, payload, std::chrono::seconds(5),
                 [&](Result<Bytes> response) {
                   if (!response.is_ok()) std::abort();
                   done = true;
                 });
    pair.run_until([&] { return done; });
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_CallRoundTrip)->Arg(64)->UseRealTime()->MinTime(1.0);

}  // namespace
}  // namespace synod::node::transport

BENCHMARK_MAIN();
