// channel_bench: throughput of the secure channel's pieces and the whole
// pipeline, per payload size (docs/crypto.md has the measured table).
//
//   raw AEAD           libsodium XChaCha20-Poly1305 seal + open, nothing else
//   raw <codec>        compression of the payload, nothing else
//   pipeline <codec>   SecureSealer::seal on the sender + open on the receiver
//                      (compress, encrypt, header AD, counters, decrypt,
//                      decompress): the work a frame costs end to end
//   handshake          a full key exchange between two in-memory sides
//
// Payloads are log-entry-like text (compressible about 3-4x with lz4).
// Usage: channel_bench [seconds per row, default 0.3]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "compression/codec.h"
#include "compression/compressor.h"
#include "crypto/aead.h"
#include "crypto/channel.h"
#include "crypto/key_exchange.h"
#include "node/transport/secure_channel.h"

using namespace synod;
using BenchClock = std::chrono::steady_clock;

namespace {

double g_seconds = 0.3;

Bytes payload(std::size_t size) {
  Bytes out;
  std::uint64_t i = 0;
  while (out.size() < size) {
    out += "{\"op\":\"set\",\"key\":\"service/web-" + std::to_string(i % 97) +
           "/instance\",\"value\":\"10.0." + std::to_string(i % 251) + "." +
           std::to_string((i * 7) % 253) + ":8080\",\"index\":" + std::to_string(1000 + i) + "}";
    ++i;
  }
  out.resize(size);
  return out;
}

// Runs `op` repeatedly for g_seconds; returns operations per second.
double rate(const std::function<void()>& op) {
  std::uint64_t n = 0;
  const auto start = BenchClock::now();
  auto now = start;
  do {
    for (int i = 0; i < 16; ++i) op();
    n += 16;
    now = BenchClock::now();
  } while (now - start < std::chrono::duration<double>(g_seconds));
  return static_cast<double>(n) / std::chrono::duration<double>(now - start).count();
}

void row(const std::string& name, std::size_t size, double ops) {
  std::printf("| %-22s | %6zu | %10.1f | %12.0f |\n", name.c_str(), size,
              ops * static_cast<double>(size) / 1e6, ops);
}

crypto::Key32 key(unsigned char fill) {
  crypto::Key32 k;
  k.bytes.fill(fill);
  return k;
}

crypto::ExchangeParams params(std::uint64_t id, bool initiator,
                              std::shared_ptr<const crypto::Keyring> ring,
                              compression::CodecId codec = compression::CodecId::kNone) {
  crypto::ExchangeParams p;
  p.codec = static_cast<std::uint8_t>(codec);
  p.self_id = id;
  p.cluster_name = "bench";
  p.initiator = initiator;
  p.node_key = std::make_shared<const crypto::NodeKey>(crypto::NodeKey::generate());
  p.keyring = std::move(ring);
  return p;
}

void exchange(crypto::KeyExchange& a, crypto::KeyExchange& b) {
  std::vector<crypto::HandshakeMessage> to_b, to_a, next_a, next_b, none;
  (void)a.start(to_b);
  (void)b.start(to_a);
  (void)b.on_message(to_b[0].type, to_b[0].payload, next_a);
  (void)a.on_message(to_a[0].type, to_a[0].payload, next_b);
  (void)b.on_message(next_b[0].type, next_b[0].payload, none);
  (void)a.on_message(next_a[0].type, next_a[0].payload, none);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_seconds = std::atof(argv[1]);
  crypto::ensure_sodium();
  auto ring = std::make_shared<const crypto::Keyring>(key(1));
  std::printf("| %-22s | %6s | %10s | %12s |\n", "path", "bytes", "MB/s", "msgs/s");
  std::printf("|%s|%s|%s|%s|\n", std::string(24, '-').c_str(), std::string(8, '-').c_str(),
              std::string(12, '-').c_str(), std::string(14, '-').c_str());
  const crypto::Key32 k = key(3);
  for (std::size_t size : {64, 1024, 65536}) {
    const Bytes data = payload(size);
    Bytes out, back;
    std::uint64_t counter = 0;
    const double aead = rate([&] {
      ++counter;
      crypto::aead_seal(crypto::Cipher::kXChaCha20Poly1305, k, 1, counter, "ad", data, &out);
      (void)crypto::aead_open(crypto::Cipher::kXChaCha20Poly1305, k, 1, counter, "ad", out, &back);
    });
    row("raw AEAD seal+open", size, aead);
    for (auto id : {compression::CodecId::kLz4, compression::CodecId::kZstd,
                    compression::CodecId::kSnappy, compression::CodecId::kGzip}) {
      auto codec = compression::make_codec(id);
      row("raw " + std::string(compression::codec_name(id)), size,
          rate([&] { (void)codec->compress(data, &out); }));
    }
    for (auto id : {compression::CodecId::kNone, compression::CodecId::kLz4,
                    compression::CodecId::kZstd}) {
      crypto::KeyExchange a(params(1, true, ring, id)), b(params(2, false, ring, id));
      exchange(a, b);
      compression::CompressorOptions copts;
      copts.codec = id;
      auto compressor = std::make_shared<compression::Compressor>(copts);
      crypto::ChannelOptions options;
      node::transport::SecureSealer sender(crypto::Channel(a.keys(), options), compressor, 2);
      node::transport::SecureSealer receiver(crypto::Channel(b.keys(), options), compressor, 1);
      Bytes frame;
      const double ops = rate([&] {
        node::transport::FrameHeader header;
        header.type = node::transport::MessageType::kRaft;
        frame = data;
        (void)sender.seal(header, frame);
        (void)receiver.open(header, frame);
      });
      row("pipeline " + std::string(compression::codec_name(id)), size, ops);
      if (id == compression::CodecId::kLz4 && size == 65536) {
        std::printf("| %-22s | %6zu | %9.0f%% | %12s |\n", "pipeline lz4 / AEAD", size,
                    100.0 * ops / aead, "(target 80%)");
      }
    }
  }
  const double hs = rate([&] {
    crypto::KeyExchange a(params(1, true, ring)), b(params(2, false, ring));
    exchange(a, b);
  });
  std::printf("\nhandshake (both sides, incl. node key generation): %.0f/s, %.1f us each\n", hs,
              1e6 / hs);
  return 0;
}
