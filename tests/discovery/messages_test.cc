#include "discovery/messages.h"

#include <gtest/gtest.h>

namespace synod::discovery {
namespace {

TEST(GossipMessages, PacketRoundTripsEveryKind) {
  Alive alive{7, "n1", 42, "10.0.0.1:8301", {{"role", "leader"}, {"http", "10.0.0.1:8500"}}};
  Sync sync{true, "n1", {{alive, MemberState::kSuspect}}};
  std::vector<Message> in{Ping{1, "n2", "n1"}, IndirectPing{2, "n3", "a:1", "n1"}, Ack{3, "n2"},
                          Nack{4}, alive, Suspect{8, "n2", "n1"}, Dead{9, "n2", "n2"}, sync};
  std::vector<Bytes> encoded;
  for (const auto& m : in) encoded.push_back(encode_message(m));
  auto out = decode_packet(encode_packet(encoded));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), in.size());
  EXPECT_EQ(std::get<Ping>((*out)[0]).target, "n2");
  EXPECT_EQ(std::get<IndirectPing>((*out)[1]).target_address, "a:1");
  EXPECT_EQ(std::get<Nack>((*out)[3]).seq, 4u);
  const auto& a = std::get<Alive>((*out)[4]);
  EXPECT_EQ(a.incarnation, 7u);
  EXPECT_EQ(a.id, 42u);
  EXPECT_EQ(a.meta.at("role"), "leader");
  EXPECT_EQ(std::get<Dead>((*out)[6]).from, "n2");
  const auto& s = std::get<Sync>((*out)[7]);
  EXPECT_TRUE(s.request);
  ASSERT_EQ(s.members.size(), 1u);
  EXPECT_EQ(s.members[0].state, MemberState::kSuspect);
}

TEST(GossipMessages, MalformedPacketsAreRejected) {
  const Bytes good = encode_packet({encode_message(Ping{1, "n2", "n1"})});
  EXPECT_FALSE(decode_packet("").is_ok());
  EXPECT_FALSE(decode_packet("hello world").is_ok());
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(decode_packet(good.substr(0, cut)).is_ok()) << "cut at " << cut;
  }
  EXPECT_FALSE(decode_packet(good + "x").is_ok());
  Bytes bad_version = good;
  bad_version[1] = 99;
  EXPECT_FALSE(decode_packet(bad_version).is_ok());
  Bytes bad_kind = good;
  bad_kind[3] = 77;
  EXPECT_FALSE(decode_packet(bad_kind).is_ok());
}

TEST(GossipMessages, SyncRoundTripsAndRejectsGarbage) {
  Sync sync{false, "n1", {{Alive{1, "n1", 1, "a:1", {}}, MemberState::kLeft}}};
  auto out = decode_sync(encode_sync(sync));
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(out->members[0].state, MemberState::kLeft);
  Bytes bad = encode_sync(sync);
  bad[bad.size() / 2] = '\xff';
  bad.resize(bad.size() - 1);
  EXPECT_FALSE(decode_sync(bad).is_ok());
}

}  // namespace
}  // namespace synod::discovery
