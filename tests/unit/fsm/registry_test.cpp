// White-box tests of the engine's registry: id spaces, listener lookup, the
// responder and tie-breaker indexes, and the half-open bound.
#include "fsm/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "fake_random.h"

namespace l2tp::fsm {
namespace {

using ::testing::ElementsAre;
using wire::Encapsulation;
using wire::ProtocolVersion;

Endpoint host(std::uint8_t last, std::uint16_t port = 1701) {
  return Endpoint::ipv4({192, 0, 2, last}, port);
}

// A source that always returns the same bytes: every draw collides.
class StuckRandom final : public RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = 0x42;
  }
};

TEST(PickFreeIdTest, FindsTheLastFreeIdEvenWhenEveryDrawCollides) {
  StuckRandom random;
  std::set<std::uint32_t> used;
  for (std::uint32_t id = 1; id <= 1000; ++id) used.insert(id);
  used.erase(777);
  auto id = pick_free_id(random, 1000, used.size(),
                         [&](std::uint32_t candidate) { return used.contains(candidate); });
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 777u);
  used.insert(777);
  EXPECT_FALSE(pick_free_id(random, 1000, used.size(),
                            [&](std::uint32_t candidate) { return used.contains(candidate); }));
}

TEST(RegistryTest, TunnelIdsAreUniqueNonZeroAndInRangeAcrossVersions) {
  testing::FakeRandom random(7);
  Registry registry(16, 4);
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 5000; ++i) {
    const auto version = i % 2 ? ProtocolVersion::kV2 : ProtocolVersion::kV3;
    auto id = registry.allocate_tunnel_id(version, random);
    ASSERT_TRUE(id);
    EXPECT_NE(*id, 0u);
    if (version == ProtocolVersion::kV2) {
      EXPECT_LE(*id, 0xFFFFu);
    }
    EXPECT_TRUE(seen.insert(*id).second) << *id;
  }
  EXPECT_FALSE(registry.claim_tunnel_id(*seen.begin()));
  EXPECT_FALSE(registry.claim_tunnel_id(0));
  registry.release_tunnel_id(*seen.begin());
  EXPECT_TRUE(registry.claim_tunnel_id(*seen.begin()));
}

TEST(RegistryTest, FullV2SpaceIsReportedNotLoopedOn) {
  testing::FakeRandom random(3);
  Registry registry(16, 4);
  for (std::uint32_t id = 1; id <= 0xFFFF; ++id) ASSERT_TRUE(registry.claim_tunnel_id(id));
  EXPECT_FALSE(registry.allocate_tunnel_id(ProtocolVersion::kV2, random));
  auto v3 = registry.allocate_tunnel_id(ProtocolVersion::kV3, random);
  ASSERT_TRUE(v3);
  EXPECT_GT(*v3, 0xFFFFu);
}

TEST(RegistryTest, V3SessionIdsAreOneSpace) {
  testing::FakeRandom random(1);
  Registry registry(16, 4);
  EXPECT_TRUE(registry.claim_v3_session_id(10));
  EXPECT_FALSE(registry.claim_v3_session_id(10));
  EXPECT_FALSE(registry.claim_v3_session_id(0));
  std::set<std::uint32_t> seen{10};
  for (int i = 0; i < 1000; ++i) {
    auto id = registry.allocate_v3_session_id(random);
    ASSERT_TRUE(id);
    EXPECT_TRUE(seen.insert(*id).second);
  }
  registry.release_v3_session_id(10);
  EXPECT_TRUE(registry.claim_v3_session_id(10));
}

TEST(RegistryTest, ListenerLookupPrefersTheExactAddressThenTheWildcard) {
  Registry registry(16, 4);
  const Endpoint wildcard = Endpoint::ipv4({0, 0, 0, 0}, 1701);
  ASSERT_TRUE(registry.add_listener({Encapsulation::kUdp, ProtocolVersion::kV2, wildcard}, 1));
  ASSERT_TRUE(registry.add_listener({Encapsulation::kUdp, ProtocolVersion::kV2, host(5)}, 2));
  EXPECT_FALSE(registry.add_listener({Encapsulation::kUdp, ProtocolVersion::kV2, host(5)}, 3));
  // v3 may share the port: the header's version tells them apart.
  ASSERT_TRUE(registry.add_listener({Encapsulation::kUdp, ProtocolVersion::kV3, wildcard}, 4));

  EXPECT_EQ(registry.find_listener(Encapsulation::kUdp, ProtocolVersion::kV2, host(5)), 2u);
  EXPECT_EQ(registry.find_listener(Encapsulation::kUdp, ProtocolVersion::kV2, host(6)), 1u);
  EXPECT_EQ(registry.find_listener(Encapsulation::kUdp, ProtocolVersion::kV3, host(5)), 4u);
  EXPECT_FALSE(registry.find_listener(Encapsulation::kUdp, ProtocolVersion::kV2, host(5, 1702)));
  EXPECT_FALSE(registry.find_listener(Encapsulation::kIp, ProtocolVersion::kV3, host(5, 0)));
  // Another family's wildcard does not answer.
  EXPECT_FALSE(
      registry.find_listener(Encapsulation::kUdp, ProtocolVersion::kV2, Endpoint::ipv6({1}, 1701)));

  registry.remove_listener({Encapsulation::kUdp, ProtocolVersion::kV2, host(5)});
  EXPECT_EQ(registry.find_listener(Encapsulation::kUdp, ProtocolVersion::kV2, host(5)), 1u);
}

TEST(RegistryTest, RespondersAreFoundByPeerEndpointAndItsId) {
  Registry registry(16, 4);
  registry.add_responder(host(1, 5000), 77, 1001);
  EXPECT_EQ(registry.find_responder(host(1, 5000), 77), 1001u);
  EXPECT_FALSE(registry.find_responder(host(1, 5001), 77));
  EXPECT_FALSE(registry.find_responder(host(1, 5000), 78));
  registry.remove_responder(host(1, 5000), 77);
  EXPECT_FALSE(registry.find_responder(host(1, 5000), 77));
}

TEST(RegistryTest, ConnectingTunnelsAreFoundByPeerAddressLowestTieBreakerFirst) {
  Registry registry(16, 4);
  const auto key = [](std::uint8_t last, std::uint16_t port) {
    return ListenerKey{Encapsulation::kUdp, ProtocolVersion::kV2, host(last, port)};
  };
  registry.add_connecting(key(2, 1701), {900, 5});
  registry.add_connecting(key(2, 1701), {300, 6});
  registry.add_connecting(key(3, 1701), {100, 7});
  registry.add_connecting({Encapsulation::kUdp, ProtocolVersion::kV3, host(2)}, {1, 8});
  // Any port of the host; only the same version and transport.
  ASSERT_TRUE(registry.lowest_connecting(key(2, 40000)));
  EXPECT_EQ(registry.lowest_connecting(key(2, 40000))->tunnel_id, 6u);
  EXPECT_EQ(registry.lowest_connecting(key(2, 40000))->tie_breaker, 300u);
  EXPECT_THAT(registry.connecting_to(key(2, 1)), ElementsAre(6, 5));
  registry.remove_connecting(key(2, 1701), {300, 6});
  EXPECT_EQ(registry.lowest_connecting(key(2, 1))->tunnel_id, 5u);
  registry.remove_connecting(key(2, 1701), {900, 5});
  EXPECT_FALSE(registry.lowest_connecting(key(2, 1701)));
  EXPECT_TRUE(registry.connecting_to(key(2, 1701)).empty());
  EXPECT_FALSE(registry.lowest_connecting(key(4, 1701)));
}

TEST(TunnelIdSpaceTest, FindsTheLastFreeV2IdsAndSaysWhenNoneIsLeft) {
  TunnelIdSpace ids;
  testing::FakeRandom random(7);
  // Every v2 id but three, and a v3 id above them that must not count.
  for (std::uint32_t id = 1; id <= TunnelIdSpace::kMaxV2Id; ++id) {
    if (id == 1 || id == 4000 || id == 0xFFFF) continue;
    ASSERT_TRUE(ids.insert(id));
  }
  ASSERT_TRUE(ids.insert(0x10000));
  EXPECT_FALSE(ids.insert(0));
  EXPECT_FALSE(ids.insert(17));
  EXPECT_EQ(ids.size(), 0xFFFFu - 3 + 1);
  std::set<std::uint32_t> found;
  for (int i = 0; i < 3; ++i) {
    const auto id = ids.pick(random, TunnelIdSpace::kMaxV2Id);
    ASSERT_TRUE(id.has_value());
    EXPECT_FALSE(ids.contains(*id));
    found.insert(*id);
    ASSERT_TRUE(ids.insert(*id));
  }
  EXPECT_EQ(found, (std::set<std::uint32_t>{1, 4000, 0xFFFF}));
  EXPECT_FALSE(ids.pick(random, TunnelIdSpace::kMaxV2Id).has_value());
  // v3 ids still come from the 32-bit space.
  const auto v3 = ids.pick(random, 0xFFFFFFFF);
  ASSERT_TRUE(v3.has_value());
  EXPECT_FALSE(ids.contains(*v3));
  ids.erase(4000);
  EXPECT_EQ(ids.pick(random, TunnelIdSpace::kMaxV2Id), 4000u);
  EXPECT_TRUE(ids.contains(0x10000));
  ids.erase(0x10000);
  EXPECT_FALSE(ids.contains(0x10000));
}

TEST(HalfOpenTrackerTest, RefusesASourceAtItsBoundAndKeepsItsEarlierHandshakes) {
  HalfOpenTracker tracker(100, 3);
  for (std::uint32_t id = 1; id <= 3; ++id) EXPECT_TRUE(tracker.admit(id, host(1, id)).admitted);
  EXPECT_TRUE(tracker.admit(10, host(2)).admitted);
  EXPECT_EQ(tracker.count_from(host(1, 9)), 3u);

  auto admission = tracker.admit(4, host(1));
  EXPECT_FALSE(admission.admitted);
  EXPECT_FALSE(admission.evicted);
  EXPECT_FALSE(tracker.contains(4));
  EXPECT_THAT(tracker.in_age_order(), ElementsAre(1, 2, 3, 10));
  // Room again once one of them completes; removing from the middle keeps
  // both orders intact.
  tracker.remove(2);
  admission = tracker.admit(5, host(1));
  EXPECT_TRUE(admission.admitted);
  EXPECT_FALSE(admission.evicted);
  EXPECT_FALSE(tracker.admit(6, host(1)).admitted);
  EXPECT_THAT(tracker.in_age_order(), ElementsAre(1, 3, 10, 5));
  EXPECT_EQ(tracker.count_from(host(2)), 1u);
}

TEST(HalfOpenTrackerTest, EvictsTheOldestOverallAtTheGlobalBound) {
  HalfOpenTracker tracker(3, 3);
  EXPECT_TRUE(tracker.admit(1, host(1)).admitted);
  EXPECT_TRUE(tracker.admit(2, host(2)).admitted);
  EXPECT_TRUE(tracker.admit(3, host(3)).admitted);
  auto admission = tracker.admit(4, host(4));
  EXPECT_TRUE(admission.admitted);
  EXPECT_EQ(admission.evicted, 1u);
  EXPECT_EQ(tracker.size(), 3u);
  EXPECT_EQ(tracker.count_from(host(1)), 0u);
  EXPECT_FALSE(tracker.contains(1));
  EXPECT_THAT(tracker.in_age_order(), ElementsAre(2, 3, 4));
}

TEST(HalfOpenTrackerTest, AFloodFromOneSourceNeverDisplacesOthers) {
  HalfOpenTracker tracker(10, 2);
  EXPECT_TRUE(tracker.admit(1000, host(9)).admitted);
  for (std::uint32_t id = 1; id <= 500; ++id)
    tracker.admit(id, host(1, static_cast<std::uint16_t>(id)));
  EXPECT_TRUE(tracker.contains(1000));
  EXPECT_EQ(tracker.count_from(host(1)), 2u);
  EXPECT_THAT(tracker.in_age_order(), ElementsAre(1000, 1, 2));
}

TEST(HalfOpenTrackerTest, ZeroBoundsAdmitNothing) {
  HalfOpenTracker none(0, 8);
  EXPECT_FALSE(none.admit(1, host(1)).admitted);
  HalfOpenTracker none_per_source(8, 0);
  EXPECT_FALSE(none_per_source.admit(1, host(1)).admitted);
  EXPECT_EQ(none.size() + none_per_source.size(), 0u);
}

}  // namespace
}  // namespace l2tp::fsm
