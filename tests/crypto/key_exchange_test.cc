#include <sodium.h>

#include "crypto/key_exchange.h"
#include "tests/crypto/crypto_fixture.h"

// Known answers (recorded from this implementation; see docs/crypto.md).
#define KAT_HELLO                                                                      \
  "01010000000000000004746573740e3132372e302e302e313a38303031eb4622c9cb46365d41bd7016f52a93bc" \
  "dc674e2f4ab0512444817caf0ab7722ef973c10120827b67147900cf4f110b0ff84987492fae6435acdf9be47a" \
  "1ba2090175122fe397bf716e0106011f"
#define KAT_TRANSCRIPT "6a7ea61d7d791808e966acb77e1d05ebcc502b316dcfec35fb77826e95ceae65"
#define KAT_SEND_KEY "6685ac31fee76544c8e61bd5cb08dc25412cde265bdc3e0494834de0df9d165c"
#define KAT_RECEIVE_KEY "b446c6dc6ea9b03b5d6e598f07e52a9c0e77a70f82119e783c13769a165bd64e"

namespace synod::crypto {
namespace {
using testing::fixed_key;
using testing::hex;
using testing::params_for;
using testing::run_exchange;

TEST(KeyExchange, BothSidesDeriveMirroredKeys) {
  Keyring ring(fixed_key(1));
  KeyExchange a(params_for(1, true, ring, 10));
  KeyExchange b(params_for(2, false, ring, 20));
  ASSERT_TRUE(run_exchange(a, b).is_ok());
  ASSERT_TRUE(a.done() && b.done());
  EXPECT_TRUE(a.keys().send_key.equals(b.keys().receive_key));
  EXPECT_TRUE(a.keys().receive_key.equals(b.keys().send_key));
  EXPECT_TRUE(a.keys().send_chain.equals(b.keys().receive_chain));
  EXPECT_FALSE(a.keys().send_key.equals(a.keys().receive_key));
  EXPECT_EQ(a.keys().peer_id, 2u);
  EXPECT_EQ(b.keys().peer_id, 1u);
  EXPECT_EQ(b.keys().peer_address, "127.0.0.1:8001");
  EXPECT_EQ(a.keys().send_codec, 1);
}

// Fixed static keys, ephemeral seeds and cluster key give fixed session keys:
// any change to the key schedule or the Hello layout shows up here.
TEST(KeyExchange, KnownAnswer) {
  Keyring ring(fixed_key(1));
  KeyExchange a(params_for(1, true, ring, 10));
  KeyExchange b(params_for(2, false, ring, 20));
  std::vector<HandshakeMessage> first;
  ASSERT_TRUE(a.start(first).is_ok());
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].type, kHelloMessage);
  EXPECT_EQ(hex(first[0].payload), KAT_HELLO);
  ASSERT_TRUE(run_exchange(a, b).is_ok());
  EXPECT_EQ(hex(a.keys().transcript.view()), KAT_TRANSCRIPT);
  EXPECT_EQ(hex(a.keys().send_key.view()), KAT_SEND_KEY);
  EXPECT_EQ(hex(a.keys().receive_key.view()), KAT_RECEIVE_KEY);
}

TEST(KeyExchange, DifferentEphemeralKeysGiveDifferentSessions) {
  Keyring ring(fixed_key(1));
  auto pa = params_for(1, true, ring, 10);
  auto pb = params_for(2, false, ring, 20);
  KeyExchange a1(pa), b1(pb);
  ASSERT_TRUE(run_exchange(a1, b1).is_ok());
  pa.ephemeral_seed.reset();
  pb.ephemeral_seed.reset();
  KeyExchange a2(pa), b2(pb);
  ASSERT_TRUE(run_exchange(a2, b2).is_ok());
  EXPECT_FALSE(a1.keys().send_key.equals(a2.keys().send_key));
}

TEST(KeyExchange, WrongClusterKeyIsRefused) {
  KeyExchange a(params_for(1, true, Keyring(fixed_key(1)), 10));
  KeyExchange b(params_for(2, false, Keyring(fixed_key(2)), 20));
  Status s = run_exchange(a, b);
  EXPECT_FALSE(s.is_ok());
  EXPECT_TRUE(a.failure_reason() == "unknown_key" || b.failure_reason() == "unknown_key");
  // The error never carries key material.
  EXPECT_EQ(s.message().find(base64_encode(fixed_key(1).view())), std::string::npos);
}

// A peer that forges a Hello naming our key id but holds another key fails
// the Finish MAC.
TEST(KeyExchange, ForgedKeyIdFailsAuthentication) {
  Keyring good(fixed_key(1));
  KeyExchange a(params_for(1, true, good, 10));
  KeyExchange b(params_for(2, false, good, 20));
  std::vector<HandshakeMessage> to_b, to_a, next_a, next_b;
  ASSERT_TRUE(a.start(to_b).is_ok());
  ASSERT_TRUE(b.start(to_a).is_ok());
  ASSERT_TRUE(b.on_message(to_b[0].type, to_b[0].payload, next_a).is_ok());
  ASSERT_TRUE(a.on_message(to_a[0].type, to_a[0].payload, next_b).is_ok());
  // Flip one byte of b's Finish MAC.
  ASSERT_EQ(next_a[0].type, kFinishMessage);
  next_a[0].payload[5] ^= 1;
  std::vector<HandshakeMessage> ignored;
  EXPECT_FALSE(a.on_message(next_a[0].type, next_a[0].payload, ignored).is_ok());
  EXPECT_EQ(a.failure_reason(), "bad_auth");
}

TEST(KeyExchange, AnyInstalledKeyIsAccepted) {
  Keyring initiator(fixed_key(7));  // switched primary to key 7 ...
  initiator.install(fixed_key(1));
  Keyring responder(fixed_key(1));  // ... the responder still only has key 1
  KeyExchange a(params_for(1, true, initiator, 10));
  KeyExchange b(params_for(2, false, responder, 20));
  ASSERT_TRUE(run_exchange(a, b).is_ok());
  EXPECT_TRUE(a.keys().send_key.equals(b.keys().receive_key));
}

TEST(KeyExchange, AllowListRefusesOtherStaticKeys) {
  Keyring ring(fixed_key(1));
  auto pb = params_for(2, false, ring, 20);
  pb.allowed_peers.push_back(NodeKey::from_secret(fixed_key(99)).public_key);
  KeyExchange a(params_for(1, true, ring, 10));
  KeyExchange b(pb);
  EXPECT_FALSE(run_exchange(a, b).is_ok());
  EXPECT_EQ(b.failure_reason(), "not_allowed");

  pb.allowed_peers.push_back(NodeKey::from_secret(fixed_key(10)).public_key);
  KeyExchange a2(params_for(1, true, ring, 10));
  KeyExchange b2(pb);
  EXPECT_TRUE(run_exchange(a2, b2).is_ok());
}

TEST(KeyExchange, WrongClusterNameAndIdsAreRefused) {
  Keyring ring(fixed_key(1));
  auto pb = params_for(2, false, ring, 20);
  pb.cluster_name = "other";
  KeyExchange a(params_for(1, true, ring, 10)), b(pb);
  EXPECT_FALSE(run_exchange(a, b).is_ok());
  EXPECT_EQ(b.failure_reason(), "wrong_cluster");

  auto pa = params_for(1, true, ring, 10);
  pa.expected_peer = 3;
  KeyExchange a2(pa), b2(params_for(2, false, ring, 20));
  EXPECT_FALSE(run_exchange(a2, b2).is_ok());
  EXPECT_EQ(a2.failure_reason(), "unexpected_peer");
}

TEST(KeyExchange, GarbageIsMalformedNeverACrash) {
  Keyring ring(fixed_key(1));
  std::vector<HandshakeMessage> out;
  for (std::size_t len : {0, 1, 9, 50, 107, 108, 300}) {
    KeyExchange b(params_for(2, false, ring, 20));
    ASSERT_TRUE(b.start(out).is_ok());
    Bytes garbage(len, '\x5a');
    EXPECT_FALSE(b.on_message(kHelloMessage, garbage, out).is_ok());
    EXPECT_EQ(b.failure_reason(), "malformed") << len;
  }
  KeyExchange b(params_for(2, false, ring, 20));
  ASSERT_TRUE(b.start(out).is_ok());
  EXPECT_FALSE(b.on_message(kFinishMessage, Bytes(32, 'x'), out).is_ok());
  EXPECT_EQ(b.failure_reason(), "unexpected_frame");
}

}  // namespace
}  // namespace synod::crypto
