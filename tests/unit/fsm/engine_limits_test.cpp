// What peers may take of an engine (EngineLimits, ListenerConfig): tunnels
// peers open stop short of the part reserved for create_tunnel; a listener
// and one source address hold a bounded number of established tunnels; calls
// are bounded engine-wide, per listener and in rate, and refused with CDN
// result 4; the listener counts every refusal.
#include <gtest/gtest.h>

#include "engine_harness.h"
#include "fsm/admission.h"

namespace l2tp::testing {
namespace {

using fsm::ObjectState;
using wire::MessageType;
using namespace std::chrono_literals;

std::string transport_name(const ::testing::TestParamInfo<Transport>& info) {
  return name_of(info.param);
}

class LimitsTest : public ::testing::TestWithParam<Transport> {
 protected:
  explicit LimitsTest(fsm::EngineLimits limits = {})
      : pair({.transport = GetParam(), .lns_limits = limits}) {}
  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }

  // `count` tunnels from the LAC at once, then a second for the handshakes.
  std::vector<std::uint32_t> open_tunnels(std::size_t count, Node& from) {
    fsm::TunnelConfig config = pair.tunnel_config();
    config.local = from.name() == "lac" ? pair.lac_endpoint : second_endpoint();
    std::vector<std::uint32_t> ids;
    for (std::size_t i = 0; i < count; ++i)
      ids.push_back(expect_ok(from.engine().create_tunnel(config), "create_tunnel"));
    pair.net.advance(1s);
    return ids;
  }
  std::vector<std::uint32_t> open_tunnels(std::size_t count) {
    return open_tunnels(count, pair.lac);
  }
  // One after another, each handshake done before the next begins.
  std::vector<std::uint32_t> open_tunnels_one_by_one(std::size_t count) {
    std::vector<std::uint32_t> ids;
    for (std::size_t i = 0; i < count; ++i) {
      const auto more = open_tunnels(1);
      ids.insert(ids.end(), more.begin(), more.end());
    }
    return ids;
  }
  std::size_t established(const Node& node, const std::vector<std::uint32_t>& ids) const {
    std::size_t count = 0;
    for (std::uint32_t id : ids)
      if (node.tunnel_state(id) == ObjectState::kEstablished) ++count;
    return count;
  }
  fsm::Endpoint second_endpoint() const { return endpoint_for(GetParam(), 3); }
  Node& second_lac() {
    return pair.net.add_node({.name = "lac2", .addresses = {second_endpoint()}, .seed = 77});
  }
  fsm::ListenerView listener(std::uint32_t id) const { return *pair.lns.engine().listener(id); }
  // A listener whose own bounds (MaxTunnels, MaxTunnelsPerPeer) are `room`.
  std::uint32_t listen_with_room(std::uint32_t room) {
    fsm::ListenerConfig config = pair.listener_config();
    config.max_tunnels = room;
    config.max_tunnels_per_peer = room;
    return pair.listen(config);
  }
  // Of the LAC's `ids`, `count` ended with the LNS's StopCCN {2, 4}
  // (insufficient resources); every other one is established.
  void expect_refused(const std::vector<std::uint32_t>& ids, std::size_t count) const {
    std::size_t refused = 0;
    for (std::uint32_t id : ids) {
      if (pair.lac.tunnel_state(id) == ObjectState::kEstablished) continue;
      const auto last = pair.lac.observer().last_tunnel(id);
      ASSERT_TRUE(last.has_value()) << "tunnel " << id;
      EXPECT_EQ(last->state, ObjectState::kClosed) << "tunnel " << id;
      EXPECT_EQ(last->last_result.result, 2u) << "tunnel " << id;
      EXPECT_EQ(last->last_result.error, 4u) << "tunnel " << id;
      ++refused;
    }
    EXPECT_EQ(refused, count);
  }

  LacLns pair;
};

INSTANTIATE_TEST_SUITE_P(UdpTransports, LimitsTest, ::testing::ValuesIn(udp_transports()),
                         transport_name);

// ---- Tunnels ------------------------------------------------------------------------

class ReserveTest : public LimitsTest {
 protected:
  ReserveTest() : LimitsTest({.max_tunnels = 10, .reserved_local_tunnels = 3}) {}
};
INSTANTIATE_TEST_SUITE_P(UdpTransports, ReserveTest, ::testing::ValuesIn(udp_transports()),
                         transport_name);

class SmallTableTest : public LimitsTest {
 protected:
  SmallTableTest() : LimitsTest({.max_tunnels = 10, .reserved_local_tunnels = 0}) {}
};
INSTANTIATE_TEST_SUITE_P(UdpTransports, SmallTableTest, ::testing::ValuesIn(udp_transports()),
                         transport_name);

class OneSessionTest : public LimitsTest {
 protected:
  OneSessionTest() : LimitsTest({.max_sessions = 1}) {}
};
INSTANTIATE_TEST_SUITE_P(UdpTransports, OneSessionTest, ::testing::ValuesIn(udp_transports()),
                         transport_name);

TEST_P(ReserveTest, PeersStopShortOfTheReserveAndLocalCreatorsStillGetTheirs) {
  const std::uint32_t id = listen_with_room(100);
  const auto ids = open_tunnels_one_by_one(10);
  EXPECT_EQ(established(pair.lac, ids), 7u);
  EXPECT_EQ(pair.lns.tunnel_count(), 7u);
  expect_refused(ids, 3);
  EXPECT_EQ(listener(id).tunnels_refused, 3u);
  // The three left are for create_tunnel alone.
  fsm::TunnelConfig local = pair.tunnel_config();
  local.local = pair.lns_endpoint.with_port(1702);
  local.peer = pair.lac_endpoint;
  for (int i = 0; i < 3; ++i) expect_ok(pair.lns.engine().create_tunnel(local), "create_tunnel");
  const auto full = pair.lns.engine().create_tunnel(local);
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, fsm::ErrorCode::kLimitExceeded);
}

TEST_P(SmallTableTest, AListenerHoldsHalfOfMaxTunnelsByDefault) {
  const std::uint32_t id = pair.listen();
  const auto ids = open_tunnels_one_by_one(8);
  EXPECT_EQ(established(pair.lac, ids), 5u);
  EXPECT_EQ(listener(id).established_tunnels, 5u);
  expect_refused(ids, 3);
  EXPECT_EQ(listener(id).tunnels_refused, 3u);
  // Room again once one is gone.
  expect_ok(pair.lac.engine().close_tunnel(ids.front()), "close_tunnel");
  pair.net.advance(100ms);
  EXPECT_EQ(listener(id).established_tunnels, 4u);
  EXPECT_EQ(established(pair.lac, open_tunnels(1)), 1u);
  EXPECT_EQ(listener(id).established_tunnels, 5u);
}

TEST_P(LimitsTest, OneSourceGetsMaxTunnelsPerPeerAndAnotherStillGetsIn) {
  fsm::ListenerConfig config = pair.listener_config();
  config.max_tunnels_per_peer = 2;
  const std::uint32_t id = pair.listen(config);
  const auto ids = open_tunnels_one_by_one(4);
  EXPECT_EQ(established(pair.lac, ids), 2u);
  // Each refused SCCRQ is answered once, and makes no tunnel at the LNS.
  expect_refused(ids, 2);
  EXPECT_EQ(listener(id).tunnels_refused, 2u);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kStopccn), 2u);
  EXPECT_EQ(pair.lns.observer().tunnels_added().size(), 2u);
  Node& other = second_lac();
  EXPECT_EQ(established(other, open_tunnels(2, other)), 2u);
  EXPECT_EQ(listener(id).established_tunnels, 4u);
}

TEST_P(LimitsTest, FiveHundredHandshakesFromOneAddressAllEndUpOrRefused) {
  const std::uint32_t id = listen_with_room(1000);
  const auto ids = open_tunnels(500);
  pair.net.advance(60s);
  const std::size_t up = established(pair.lac, ids);
  const std::size_t refused = 500 - up;
  // One source may hold max_half_open_per_source handshakes at once; the
  // rest hear why at once instead of pushing earlier ones out.
  EXPECT_GE(up, fsm::EngineLimits{}.max_half_open_per_source);
  EXPECT_GT(refused, 0u);
  expect_refused(ids, refused);
  EXPECT_EQ(listener(id).tunnels_refused, refused);
  EXPECT_EQ(listener(id).established_tunnels, up);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kStopccn), refused);
  EXPECT_EQ(pair.lns.engine().stats().half_open_evicted, 0u);
  EXPECT_EQ(pair.lns.engine().stats().refusals_unanswered, 0u);
}

TEST_P(LimitsTest, HalfOpenTunnelsCompletingTogetherAreBoundAtTheScccn) {
  fsm::ListenerConfig config = pair.listener_config();
  config.max_tunnels_per_peer = 1;
  const std::uint32_t id = pair.listen(config);
  // Both SCCRQs arrive before either SCCCN: the SCCCN decides.
  const auto ids = open_tunnels(2);
  EXPECT_EQ(established(pair.lac, ids), 1u);
  EXPECT_EQ(listener(id).established_tunnels, 1u);
  EXPECT_EQ(listener(id).tunnels_refused, 1u);
  const std::uint32_t refused =
      pair.lac.tunnel_state(ids[0]) == ObjectState::kEstablished ? ids[1] : ids[0];
  const auto last = pair.lac.observer().last_tunnel(refused);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->last_result.result, 2);
  EXPECT_EQ(last->last_result.error, 4);
  EXPECT_NE(last->last_result.message.find("MaxTunnelsPerPeer"), std::string::npos)
      << last->last_result.message;
}

TEST_P(LimitsTest, TunnelsOutliveTheirListenerAndCountAgainstNoneThen) {
  fsm::ListenerConfig config = pair.listener_config();
  config.max_tunnels = 1;
  const std::uint32_t first = pair.listen(config);
  const auto ids = open_tunnels(1);
  expect_ok(pair.lns.engine().close_listener(first), "close_listener");
  const std::uint32_t second = pair.listen(config);
  EXPECT_EQ(established(pair.lac, open_tunnels(1)), 1u);
  EXPECT_EQ(listener(second).established_tunnels, 1u);
  expect_ok(pair.lac.engine().close_tunnel(ids.front()), "close_tunnel");
  pair.net.advance(1s);
  EXPECT_EQ(listener(second).established_tunnels, 1u);
}

// ---- Calls ----------------------------------------------------------------------------

// A session the LAC creates and the LNS refuses: its final LastResult.
fsm::LastResult refused_call(LacLns& pair, const TunnelPair& tunnels) {
  const std::uint32_t session =
      expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create_session");
  pair.net.advance(1s);
  if (pair.lac.session_state(tunnels.lac, session))
    throw HarnessError("the refused session is still there");
  const auto last = pair.lac.observer().last_session(tunnels.lac, session);
  if (!last) throw HarnessError("no snapshot of the refused session");
  return last->last_result;
}

TEST_P(LimitsTest, CallsPastTheListenerSessionLimitGetCdnResult4) {
  fsm::ListenerConfig config = pair.listener_config();
  config.max_sessions = 2;
  const TunnelPair tunnels = pair.establish(pair.tunnel_config(), config);
  const std::uint32_t id = pair.lns.tunnel(tunnels.lns).listener_id;
  const SessionPair first = pair.open_session(tunnels, {});
  pair.open_session(tunnels, {});
  const fsm::LastResult result = refused_call(pair, tunnels);
  EXPECT_EQ(result.result, 4);
  EXPECT_EQ(result.error, 0);
  EXPECT_NE(result.message.find("temporarily out of resources"), std::string::npos)
      << result.message;
  EXPECT_NE(result.message.find("MaxSessions"), std::string::npos) << result.message;
  EXPECT_EQ(listener(id).calls_refused, 1u);
  EXPECT_EQ(listener(id).sessions, 2u);
  // A session that ends makes room.
  expect_ok(pair.lac.engine().close_session(tunnels.lac, first.lac), "close_session");
  pair.net.advance(1s);
  EXPECT_EQ(listener(id).sessions, 1u);
  pair.open_session(tunnels, {});
}

TEST_P(OneSessionTest, CallsPastTheEngineSessionLimitAreRefusedEitherWay) {
  const TunnelPair tunnels = pair.establish();
  pair.open_session(tunnels, {});
  const fsm::LastResult result = refused_call(pair, tunnels);
  EXPECT_EQ(result.result, 4);
  EXPECT_NE(result.message.find("MaxSessions"), std::string::npos) << result.message;
  const auto local = pair.lns.engine().create_session(tunnels.lns, {});
  ASSERT_FALSE(local.has_value());
  EXPECT_EQ(local.error().code, fsm::ErrorCode::kLimitExceeded);
  EXPECT_NE(local.error().message.find("MaxSessions"), std::string::npos);
}

TEST_P(LimitsTest, CallsPastTheRateAreRefusedUntilASecondHasPassed) {
  fsm::ListenerConfig config = pair.listener_config();
  config.max_calls_per_second = 2;
  const TunnelPair tunnels = pair.establish(pair.tunnel_config(), config);
  const std::uint32_t id = pair.lns.tunnel(tunnels.lns).listener_id;
  std::vector<std::uint32_t> sessions;
  for (int i = 0; i < 3; ++i)
    sessions.push_back(expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "session"));
  pair.net.advance(1s);
  std::size_t alive = 0;
  for (std::uint32_t session : sessions)
    if (pair.lac.session_state(tunnels.lac, session) == ObjectState::kEstablished) ++alive;
  EXPECT_EQ(alive, 2u);
  EXPECT_EQ(listener(id).calls_refused, 1u);
  const auto last = pair.lac.observer().last_session(tunnels.lac, sessions[2]);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->last_result.result, 4);
  EXPECT_NE(last->last_result.message.find("MaxCallsPerSecond"), std::string::npos);
  pair.open_session(tunnels, {});
}

// ---- The rate limiter -------------------------------------------------------------------

TEST(CallRateLimiterTest, AdmitsTheRateAtOnceThenOneEveryInterval) {
  fsm::CallRateLimiter limiter(4);
  const TimePoint t0{std::chrono::seconds(100)};
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.admit(t0)) << i;
  EXPECT_FALSE(limiter.admit(t0));
  EXPECT_FALSE(limiter.admit(t0 + 249ms));
  EXPECT_TRUE(limiter.admit(t0 + 250ms));
  EXPECT_FALSE(limiter.admit(t0 + 250ms));
  // A quiet while refills the whole burst, and no more.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.admit(t0 + 10s)) << i;
  EXPECT_FALSE(limiter.admit(t0 + 10s));
}

TEST(CallRateLimiterTest, RefusalsDoNotCount) {
  fsm::CallRateLimiter limiter(1);
  const TimePoint t0{std::chrono::seconds(5)};
  EXPECT_TRUE(limiter.admit(t0));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.admit(t0 + 500ms));
  EXPECT_TRUE(limiter.admit(t0 + 1s));
}

TEST(AdmissionDefaultsTest, ListenerLimitsDefaultToHalfOfTheEngines) {
  const fsm::EngineLimits limits{.max_tunnels = 41, .reserved_local_tunnels = 4, .max_sessions = 9};
  fsm::ListenerConfig config;
  EXPECT_EQ(fsm::listener_tunnel_limit(config, limits), 20u);
  EXPECT_EQ(fsm::listener_session_limit(config, limits), 4u);
  EXPECT_EQ(fsm::peer_tunnel_share(limits), 37u);
  config.max_tunnels = 7;
  config.max_sessions = 3;
  EXPECT_EQ(fsm::listener_tunnel_limit(config, limits), 7u);
  EXPECT_EQ(fsm::listener_session_limit(config, limits), 3u);
  EXPECT_EQ(fsm::peer_tunnel_share({.max_tunnels = 1, .reserved_local_tunnels = 5}), 0u);
  EXPECT_EQ(fsm::listener_tunnel_limit({}, {.max_tunnels = 1}), 1u);
}

}  // namespace
}  // namespace l2tp::testing
