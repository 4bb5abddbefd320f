#include "crypto/channel.h"

#include <deque>
#include <map>

// xchacha20poly1305, key 03 04 .. 22, epoch 1, counter 1, "hello, synod".
#define KAT_FRAME "4193a55c0c6d54511c9345041e41b67e1cc1cedded7390e1fed837ce"

#include "tests/crypto/crypto_fixture.h"

namespace synod::crypto {
namespace {
using testing::fixed_key;
using testing::hex;
using testing::params_for;
using testing::run_exchange;

SessionKeys session(Cipher cipher, bool initiator_side) {
  Keyring ring(fixed_key(1));
  auto pa = params_for(1, true, ring, 10);
  auto pb = params_for(2, false, ring, 20);
  pa.cipher = cipher;
  pa.cipher_mask = pb.cipher_mask = 0;  // offer every cipher this CPU runs
  KeyExchange a(pa), b(pb);
  EXPECT_TRUE(run_exchange(a, b).is_ok());
  return initiator_side ? a.keys() : b.keys();
}

struct Pair {
  explicit Pair(Cipher cipher = Cipher::kXChaCha20Poly1305, ChannelOptions options = {})
      : a(session(cipher, true), with_clock(options)), b(session(cipher, false), with_clock(options)) {}
  ChannelOptions with_clock(ChannelOptions o) {
    o.clock = &clock;
    return o;
  }
  ManualClock clock;
  Channel a, b;
};

FrameMeta app_frame() {
  FrameMeta meta;
  meta.type = 32;
  meta.flags = 0x01;
  return meta;
}

TEST(Channel, RoundTripEveryCipher) {
  for (Cipher cipher : {Cipher::kXChaCha20Poly1305, Cipher::kChaCha20Poly1305, Cipher::kAes256Gcm}) {
    if (!cipher_available(cipher)) continue;
    Pair p(cipher);
    for (std::size_t size : {0, 1, 64, 1024, 65536}) {
      FrameMeta meta = app_frame();
      const Bytes original(size, 'q');
      Bytes payload = original;
      ASSERT_TRUE(p.a.seal(meta, payload).is_ok());
      EXPECT_EQ(payload.size(), size + kAeadTagBytes);
      EXPECT_EQ(meta.flags, 0x11);
      ASSERT_TRUE(p.b.open(meta, payload).is_ok()) << cipher_name(cipher) << " " << size;
      EXPECT_EQ(payload, original);
      EXPECT_EQ(meta.flags, 0x01);
    }
  }
}

TEST(Channel, FramingKnownAnswer) {
  SessionKeys keys;
  keys.send_key = fixed_key(3);
  keys.receive_key = fixed_key(4);
  Channel c(keys, {});
  FrameMeta meta = app_frame();
  Bytes payload = "hello, synod";
  ASSERT_TRUE(c.seal(meta, payload).is_ok());
  EXPECT_EQ(meta.epoch, 1u);
  EXPECT_EQ(meta.counter, 1u);
  EXPECT_EQ(hex(frame_associated_data(meta)), "53011120000001000000" "0100000000000000");
  EXPECT_EQ(hex(payload), KAT_FRAME);
}

TEST(Channel, TamperedByteAnywhereIsRefused) {
  Pair p;
  FrameMeta meta = app_frame();
  Bytes sealed(100, 'z');
  ASSERT_TRUE(p.a.seal(meta, sealed).is_ok());
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Pair fresh;  // same keys: deterministic exchange
    FrameMeta m = app_frame();
    Bytes s(100, 'z');
    ASSERT_TRUE(fresh.a.seal(m, s).is_ok());
    s[i] ^= 0x40;
    EXPECT_FALSE(fresh.b.open(m, s).is_ok());
    EXPECT_EQ(fresh.b.failure_reason(), "forged");
  }
  // Header fields are authenticated too.
  for (int field = 0; field < 3; ++field) {
    Pair fresh;
    FrameMeta m = app_frame();
    Bytes s(100, 'z');
    ASSERT_TRUE(fresh.a.seal(m, s).is_ok());
    if (field == 0) m.type = 33;
    if (field == 1) m.flags ^= 0x02;
    if (field == 2) m.codec = 1;
    EXPECT_FALSE(fresh.b.open(m, s).is_ok());
    EXPECT_EQ(fresh.b.failure_reason(), "forged");
  }
}

TEST(Channel, ReplayReorderTruncationAndUnsealedAreRefused) {
  Pair p;
  FrameMeta m1 = app_frame(), m2 = app_frame();
  Bytes f1 = "one", f2 = "two";
  ASSERT_TRUE(p.a.seal(m1, f1).is_ok());
  ASSERT_TRUE(p.a.seal(m2, f2).is_ok());
  {
    Pair q;
    FrameMeta a1 = app_frame(), a2 = app_frame();
    Bytes x1 = "one", x2 = "two";
    ASSERT_TRUE(q.a.seal(a1, x1).is_ok());
    ASSERT_TRUE(q.a.seal(a2, x2).is_ok());
    EXPECT_FALSE(q.b.open(a2, x2).is_ok());
    EXPECT_EQ(q.b.failure_reason(), "reorder");
  }
  Bytes copy = f1;
  FrameMeta mcopy = m1;
  ASSERT_TRUE(p.b.open(m1, f1).is_ok());
  EXPECT_FALSE(p.b.open(mcopy, copy).is_ok());
  EXPECT_EQ(p.b.failure_reason(), "replay");

  Pair t;
  FrameMeta mt = app_frame();
  Bytes short_frame(5, 'x');
  mt.flags = 0x10;
  mt.counter = 1;
  mt.epoch = 1;
  EXPECT_FALSE(t.b.open(mt, short_frame).is_ok());
  EXPECT_EQ(t.b.failure_reason(), "truncated");
  FrameMeta plain = app_frame();
  Bytes text = "in the clear";
  EXPECT_FALSE(t.b.open(plain, text).is_ok());
  EXPECT_EQ(t.b.failure_reason(), "unsealed");
  mt.epoch = 9;
  Bytes long_frame(40, 'x');
  EXPECT_FALSE(t.b.open(mt, long_frame).is_ok());
  EXPECT_EQ(t.b.failure_reason(), "unknown_epoch");
}

// Rotation under load: a steady stream with small rekey_bytes rotates many
// times; every frame sent is delivered, in order, including those sent
// while a rekey was in flight.
TEST(Channel, RotationUnderLoadDeliversEveryFrame) {
  ChannelOptions options;
  options.rekey_bytes = 4096;
  Pair p(Cipher::kXChaCha20Poly1305, options);
  std::deque<std::pair<FrameMeta, Bytes>> a_to_b, b_to_a;
  std::uint64_t sent = 0, delivered = 0;
  auto send = [&](Channel& c, std::deque<std::pair<FrameMeta, Bytes>>& wire, FrameMeta meta,
                  Bytes payload) {
    ASSERT_TRUE(c.seal(meta, payload).is_ok());
    wire.emplace_back(meta, std::move(payload));
    if (auto offer = c.poll_rekey()) {
      FrameMeta cm;
      cm.type = offer->type;
      Bytes body = offer->payload;
      ASSERT_TRUE(c.seal(cm, body).is_ok());
      wire.emplace_back(cm, std::move(body));
    }
  };
  // Deliver with lag: the receiver handles the queue only every few sends,
  // so the sender keeps sealing under the old epoch while a rekey is in flight.
  auto deliver = [&](Channel& to, Channel& back_from,
                     std::deque<std::pair<FrameMeta, Bytes>>& wire,
                     std::deque<std::pair<FrameMeta, Bytes>>& back) {
    while (!wire.empty()) {
      auto [meta, payload] = std::move(wire.front());
      wire.pop_front();
      ASSERT_TRUE(to.open(meta, payload).is_ok()) << to.failure_reason();
      if (meta.type >= 16 && meta.type < 32) {
        std::vector<HandshakeMessage> reply;
        ASSERT_TRUE(to.on_control(meta.type, payload, reply).is_ok()) << to.failure_reason();
        for (auto& r : reply) {
          FrameMeta cm;
          cm.type = r.type;
          ASSERT_TRUE(to.seal(cm, r.payload).is_ok());
          back.emplace_back(cm, std::move(r.payload));
        }
      } else {
        EXPECT_EQ(payload, "frame " + std::to_string(delivered));
        ++delivered;
      }
    }
    (void)back_from;
  };
  for (int i = 0; i < 5000; ++i) {
    send(p.a, a_to_b, app_frame(), "frame " + std::to_string(sent++));
    if (i % 7 == 0) {
      deliver(p.b, p.a, a_to_b, b_to_a);
      // b's answers reach a (control frames only in this direction).
      while (!b_to_a.empty()) {
        auto [meta, payload] = std::move(b_to_a.front());
        b_to_a.pop_front();
        ASSERT_TRUE(p.a.open(meta, payload).is_ok()) << p.a.failure_reason();
        std::vector<HandshakeMessage> reply;
        ASSERT_TRUE(p.a.on_control(meta.type, payload, reply).is_ok()) << p.a.failure_reason();
        EXPECT_TRUE(reply.empty());
      }
    }
  }
  deliver(p.b, p.a, a_to_b, b_to_a);
  EXPECT_EQ(sent, delivered);
  EXPECT_GT(p.a.send_epoch(), 10u);
  EXPECT_EQ(p.b.receive_epoch(), p.a.send_epoch());
}

TEST(Channel, RekeyByTimeAndPreviousEpochGrace) {
  ChannelOptions options;
  options.rekey_interval = std::chrono::seconds(60);
  options.rekey_grace = std::chrono::seconds(5);
  Pair p(Cipher::kXChaCha20Poly1305, options);
  EXPECT_FALSE(p.a.poll_rekey().has_value());
  p.clock.advance(std::chrono::seconds(61));
  auto offer = p.a.poll_rekey();
  ASSERT_TRUE(offer.has_value());
  EXPECT_FALSE(p.a.poll_rekey().has_value());  // one at a time
  std::vector<HandshakeMessage> reply, none;
  ASSERT_TRUE(p.b.on_control(offer->type, offer->payload, reply).is_ok());
  ASSERT_EQ(reply.size(), 1u);
  ASSERT_TRUE(p.a.on_control(reply[0].type, reply[0].payload, none).is_ok());
  EXPECT_EQ(p.a.send_epoch(), 2u);
  FrameMeta m = app_frame();
  Bytes f = "new epoch";
  ASSERT_TRUE(p.a.seal(m, f).is_ok());
  EXPECT_EQ(m.epoch, 2u);
  EXPECT_EQ(m.counter, 1u);
  ASSERT_TRUE(p.b.open(m, f).is_ok());
  EXPECT_EQ(p.b.receive_epoch(), 2u);
  // A duplicated rekey answer is a protocol error.
  EXPECT_FALSE(p.a.on_control(reply[0].type, reply[0].payload, none).is_ok());
  EXPECT_EQ(p.a.failure_reason(), "control");
}

}  // namespace
}  // namespace synod::crypto
