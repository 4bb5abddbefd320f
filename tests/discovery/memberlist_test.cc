// The gossip protocol on a simulated network (discovery/sim_network.h): the
// scenarios of issue 7 plus the incarnation and Lifeguard rules in isolation.
#include "discovery/memberlist.h"

#include <gtest/gtest.h>

#include "common/metrics.h"
#include "discovery/sim_network.h"

namespace synod::discovery {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

SimNetwork::Config seven(std::uint64_t seed = 1) {
  SimNetwork::Config c;
  c.members = 7;
  c.seed = seed;
  return c;
}

bool ever_seen(const SimNetwork& net, std::size_t target, MemberState state) {
  for (const auto& e : net.events()) {
    if (e.event.member.name == SimNetwork::name_of(target) && e.event.new_state == state &&
        e.event.kind == MemberEvent::Kind::kStateChanged) {
      return true;
    }
  }
  return false;
}

TEST(GossipSim, SevenMembersConverge) {
  SimNetwork net(seven());
  net.join_all();
  ASSERT_TRUE(net.run_until([&] { return net.converged(); }, seconds(5)));
  net.run_for(seconds(10));
  EXPECT_TRUE(net.converged()) << "a healthy cluster must not suspect anyone";
  for (std::size_t i = 0; i < net.size(); ++i) EXPECT_EQ(net.member(i).stats().deaths, 0u);
}

TEST(GossipSim, KilledMemberIsDetectedByEveryone) {
  for (std::uint64_t seed : {1, 2, 3}) {
    SimNetwork net(seven(seed));
    net.join_all();
    ASSERT_TRUE(net.run_until([&] { return net.converged(); }, seconds(5)));
    net.kill(4);
    ASSERT_TRUE(net.run_until([&] { return net.all_see(4, MemberState::kDead); }, seconds(10)))
        << "seed " << seed;
    for (std::size_t i = 0; i < net.size(); ++i) {
      if (i == 4) continue;
      EXPECT_FALSE(ever_seen(net, i, MemberState::kDead)) << "false positive: m" << i;
    }
  }
}

TEST(GossipSim, PausedMemberThatResumesRefutesSuspicion) {
  SimNetwork net(seven());
  net.join_all();
  ASSERT_TRUE(net.run_until([&] { return net.converged(); }, seconds(5)));
  const std::uint32_t before = net.member(2).local().incarnation;
  net.pause(2);
  auto suspected = [&] {
    for (std::size_t i = 0; i < net.size(); ++i) {
      if (i != 2 && net.view(i, 2) == MemberState::kSuspect) return true;
    }
    return false;
  };
  ASSERT_TRUE(net.run_until(suspected, seconds(3)));
  net.resume(2);
  ASSERT_TRUE(net.run_until([&] { return net.converged(); }, seconds(5)));
  EXPECT_GT(net.member(2).local().incarnation, before);
  EXPECT_GE(net.member(2).stats().refutations, 1u);
  EXPECT_FALSE(ever_seen(net, 2, MemberState::kDead));
}

TEST(GossipSim, DepartedMemberStaysGone) {
  SimNetwork net(seven());
  net.join_all();
  ASSERT_TRUE(net.run_until([&] { return net.converged(); }, seconds(5)));
  const Alive stale = {net.member(5).local().incarnation, SimNetwork::name_of(5), 6, "sim:5", {}};
  net.leave(5);
  ASSERT_TRUE(net.run_until([&] { return net.all_see(5, MemberState::kLeft); }, seconds(3)));
  // An old alive message still circulating must not bring it back.
  net.inject(0, "sim:1", encode_packet({encode_message(stale)}));
  net.run_for(seconds(10));
  EXPECT_TRUE(net.all_see(5, MemberState::kLeft));
  EXPECT_FALSE(ever_seen(net, 5, MemberState::kDead)) << "a leave is not a failure";
}

TEST(GossipSim, MetadataSpreads) {
  SimNetwork net(seven());
  net.join_all();
  ASSERT_TRUE(net.run_until([&] { return net.converged(); }, seconds(5)));
  net.member(3).set_local_meta(kMetaModels, "resnet50,bert");
  auto spread = [&] {
    for (std::size_t i = 0; i < net.size(); ++i) {
      const Member* m = net.member(i).find("m3");
      if (m == nullptr || m->meta.count(kMetaModels) == 0) return false;
    }
    return true;
  };
  EXPECT_TRUE(net.run_until(spread, seconds(3)));
}

TEST(GossipSim, ConvergesDespitePacketLossWithoutFalseDeaths) {
  SimNetwork::Config c = seven(9);
  c.loss = 0.05;
  SimNetwork net(c);
  net.join_all();
  // Updates lost more often than retransmitted are repaired by push-pull.
  ASSERT_TRUE(net.run_until([&] { return net.converged(); }, seconds(40)));
  net.run_for(seconds(20));
  for (std::size_t i = 0; i < net.size(); ++i) EXPECT_FALSE(ever_seen(net, i, MemberState::kDead));
}

TEST(GossipSim, BadPacketsAreRejectedAndCounted) {
  SimNetwork net(seven());
  net.join_all();
  ASSERT_TRUE(net.run_until([&] { return net.converged(); }, seconds(5)));
  auto& metric = metrics::Registry::global().counter(
      "synod_gossip_bad_packets_total", "", {{"reason", "decode"}});
  const double before = metric.value();
  net.inject(1, "sim:9", "garbage");
  net.inject(1, "sim:9", Bytes("G\x01\x01\x05\xff\xff\xff\x7f", 8));
  EXPECT_EQ(net.member(1).stats().bad_packets, 2u);
  EXPECT_EQ(metric.value(), before + 2);
  net.run_for(seconds(2));
  EXPECT_TRUE(net.converged());
}

// ------------------------------------------------------------ one member

struct Outbox final : PacketSink {
  std::vector<std::pair<std::string, Bytes>> sent;
  void send_packet(const std::string& address, Bytes packet) override {
    sent.emplace_back(address, std::move(packet));
  }
  // Every message of a kind sent so far.
  template <typename T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& [to, bytes] : sent) {
      auto decoded = decode_packet(bytes);
      if (!decoded.is_ok()) continue;
      for (auto& m : *decoded) {
        if (auto* t = std::get_if<T>(&m)) out.push_back(*t);
      }
    }
    return out;
  }
};

class OneMember : public ::testing::Test {
 protected:
  OneMember() : random_(7), list_(make_options(), clock_, random_, outbox_) {}
  static Options make_options() {
    Options o;
    o.name = "me";
    o.id = 1;
    o.address = "me:1";
    return o;
  }
  void deliver(const Message& m) { list_.handle_packet("x:1", encode_packet({encode_message(m)})); }
  void add_peers(int n) {
    for (int i = 0; i < n; ++i) {
      deliver(Alive{1, "p" + std::to_string(i), 10u + i, "p:" + std::to_string(i), {}});
    }
  }

  ManualClock clock_{seconds(1)};
  SeededRandom random_;
  Outbox outbox_;
  Memberlist list_;
};

TEST_F(OneMember, NewerIncarnationWinsOlderIsIgnored) {
  deliver(Alive{2, "p", 5, "p:1", {{"k", "v1"}}});
  ASSERT_NE(list_.find("p"), nullptr);
  deliver(Alive{2, "p", 5, "p:1", {{"k", "v2"}}});
  EXPECT_EQ(list_.find("p")->meta.at("k"), "v1") << "same incarnation must not override";
  deliver(Suspect{1, "p", "q"});
  EXPECT_EQ(list_.find("p")->state, MemberState::kAlive) << "older suspicion ignored";
  deliver(Suspect{2, "p", "q"});
  EXPECT_EQ(list_.find("p")->state, MemberState::kSuspect);
  deliver(Alive{3, "p", 5, "p:1", {{"k", "v3"}}});
  EXPECT_EQ(list_.find("p")->state, MemberState::kAlive) << "refuted by a newer incarnation";
  EXPECT_EQ(list_.find("p")->meta.at("k"), "v3");
  deliver(Dead{3, "p", "q"});
  EXPECT_EQ(list_.find("p")->state, MemberState::kDead);
  deliver(Alive{3, "p", 5, "p:1", {}});
  EXPECT_EQ(list_.find("p")->state, MemberState::kDead) << "dead needs a higher incarnation";
  deliver(Alive{4, "p", 5, "p:1", {}});
  EXPECT_EQ(list_.find("p")->state, MemberState::kAlive);
}

TEST_F(OneMember, RefutesSuspicionAndDeathOfItself) {
  add_peers(3);
  deliver(Suspect{0, "me", "p0"});
  EXPECT_EQ(list_.local().incarnation, 1u);
  EXPECT_EQ(list_.local().state, MemberState::kAlive);
  EXPECT_EQ(list_.stats().refutations, 1u);
  deliver(Dead{5, "me", "p1"});
  EXPECT_EQ(list_.local().incarnation, 6u);
  deliver(Alive{9, "me", 1, "elsewhere:1", {}});
  EXPECT_EQ(list_.local().incarnation, 10u) << "an alive we did not send is refuted";
  clock_.advance(milliseconds(1));
  list_.tick();  // gossip round carries the refutation
  bool refuted = false;
  for (const auto& a : outbox_.all<Alive>()) refuted |= a.name == "me" && a.incarnation == 10;
  EXPECT_TRUE(refuted);
}

TEST_F(OneMember, StaleSuspicionIsAnsweredToTheSuspecterWithTheNewerAlive) {
  // p0 suspects p1 but missed p1's refutation (incarnation 3): without an
  // answer its suspicion would time out and declare a live member dead.
  add_peers(3);
  deliver(Alive{3, "p1", 11, "p:1", {}});
  outbox_.sent.clear();
  deliver(Suspect{2, "p1", "p0"});
  EXPECT_EQ(list_.find("p1")->state, MemberState::kAlive);
  EXPECT_EQ(list_.stats().stale_suspicions, 1u);
  bool answered = false;
  for (const auto& [to, bytes] : outbox_.sent) {
    auto decoded = decode_packet(bytes);
    if (to != "p:0" || !decoded.is_ok()) continue;
    for (const auto& m : *decoded) {
      if (const auto* a = std::get_if<Alive>(&m)) answered |= a->name == "p1" && a->incarnation == 3;
    }
  }
  EXPECT_TRUE(answered) << "the newer alive goes straight to the suspecter";

  // The same for a stale suspicion of this node: answered, not refuted again.
  deliver(Suspect{0, "me", "p0"});
  ASSERT_EQ(list_.local().incarnation, 1u);
  outbox_.sent.clear();
  deliver(Suspect{0, "me", "p2"});
  EXPECT_EQ(list_.local().incarnation, 1u) << "a stale suspicion needs no new incarnation";
  EXPECT_EQ(list_.stats().refutations, 1u);
  EXPECT_EQ(list_.stats().stale_suspicions, 2u);
  bool to_p2 = false;
  for (const auto& [to, bytes] : outbox_.sent) to_p2 |= to == "p:2";
  EXPECT_TRUE(to_p2);
}

TEST_F(OneMember, LeftMemberIgnoresOlderNews) {
  add_peers(1);
  deliver(Dead{1, "p0", "p0"});
  EXPECT_EQ(list_.find("p0")->state, MemberState::kLeft);
  deliver(Suspect{1, "p0", "x"});
  deliver(Dead{1, "p0", "x"});
  EXPECT_EQ(list_.find("p0")->state, MemberState::kLeft);
}

// Lifeguard local health: probes that fail without the helpers' nacks raise
// the score, which stretches the probe interval; acks lower it again.
TEST_F(OneMember, MissingNacksRaiseHealthScoreAndStretchProbes) {
  add_peers(4);
  list_.tick();  // first probe starts
  ASSERT_EQ(outbox_.all<Ping>().size(), 1u);
  clock_.advance(milliseconds(100));
  list_.tick();  // no ack: indirect probes through 3 helpers
  EXPECT_EQ(outbox_.all<IndirectPing>().size(), 3u);
  clock_.advance(milliseconds(100));
  list_.tick();  // interval over: no ack, no nacks
  EXPECT_EQ(list_.health_score(), 3u);
  EXPECT_EQ(list_.stats().suspicions, 1u);
  // The next probe went out now; the one after waits (3 + 1) x 200 ms.
  const auto pings = outbox_.all<Ping>().size();
  clock_.advance(milliseconds(700));
  list_.tick();
  EXPECT_EQ(outbox_.all<Ping>().size(), pings);
  // An ack to the current probe lowers the score.
  const Ping last = outbox_.all<Ping>().back();
  deliver(Ack{last.seq, last.target});
  EXPECT_EQ(list_.health_score(), 2u);
}

TEST_F(OneMember, NackedProbeFailureDoesNotBlameItself) {
  add_peers(4);
  list_.tick();
  clock_.advance(milliseconds(100));
  list_.tick();
  for (const auto& ip : outbox_.all<IndirectPing>()) deliver(Nack{ip.seq});
  clock_.advance(milliseconds(100));
  list_.tick();
  EXPECT_EQ(list_.health_score(), 0u);
}

TEST_F(OneMember, SuspicionTimeoutFollowsLifeguard) {
  add_peers(9);  // 10 members: min = 4 x 1 x 200 ms, max = 3 x min
  EXPECT_EQ(list_.suspicion_min(), milliseconds(800));
  EXPECT_EQ(list_.suspicion_max(), milliseconds(2400));
  deliver(Suspect{1, "p0", "p1"});
  clock_.advance(milliseconds(2399));
  list_.tick();
  EXPECT_EQ(list_.find("p0")->state, MemberState::kSuspect) << "one suspecter: full timeout";
  clock_.advance(milliseconds(2));
  list_.tick();
  EXPECT_EQ(list_.find("p0")->state, MemberState::kDead);

  deliver(Suspect{1, "p2", "p1"});
  for (const char* from : {"p3", "p4", "p5"}) deliver(Suspect{1, "p2", from});
  clock_.advance(milliseconds(801));
  list_.tick();
  EXPECT_EQ(list_.find("p2")->state, MemberState::kDead) << "three confirmations: minimum";
}

TEST_F(OneMember, ForceLeaveOnlyForFailedMembers) {
  add_peers(2);
  EXPECT_EQ(list_.force_leave("p0", false).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(list_.force_leave("nobody", false).code(), StatusCode::kNotFound);
  deliver(Dead{1, "p0", "p1"});
  ASSERT_TRUE(list_.force_leave("p0", false).is_ok());
  EXPECT_EQ(list_.find("p0")->state, MemberState::kLeft);
  ASSERT_TRUE(list_.force_leave("p0", true).is_ok());
  EXPECT_EQ(list_.find("p0"), nullptr);
}

struct RejectingSealer final : PacketSealer {
  std::string name() const override { return "reject"; }
  bool protects() const override { return true; }
  Result<Bytes> seal(ByteView p) override { return Bytes(p); }
  Result<Bytes> open(ByteView) override { return permission_denied("bad tag"); }
};

TEST(GossipSealer, PacketsThatDoNotOpenAreDroppedAndCounted) {
  ManualClock clock;
  SeededRandom random(1);
  Outbox outbox;
  Options o;
  o.name = "me";
  o.address = "me:1";
  Memberlist list(o, clock, random, outbox, std::make_shared<RejectingSealer>());
  list.handle_packet("x:1", encode_packet({encode_message(Alive{1, "p", 2, "p:1", {}})}));
  EXPECT_EQ(list.find("p"), nullptr);
  EXPECT_EQ(list.stats().bad_packets, 1u);
}

}  // namespace
}  // namespace synod::discovery
