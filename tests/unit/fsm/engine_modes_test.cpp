// Static tunnels (no control protocol, L2TPv3 only) and quiescent tunnels
// (configured ids, a control channel that only keeps alive) through the
// Engine's public API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace l2tp::testing {
namespace {

using fsm::ObjectState;
using Op = RecordingDataPlane::Op;
using wire::MessageType;
using wire::ProtocolVersion;
using namespace std::chrono_literals;

std::string transport_name(const ::testing::TestParamInfo<Transport>& info) {
  return name_of(info.param);
}

class ModeTest : public ::testing::TestWithParam<Transport> {
 protected:
  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }

  fsm::TunnelConfig configured(fsm::TunnelMode mode, std::uint32_t id, std::uint32_t peer_id,
                               bool from_lns = false) const {
    fsm::TunnelConfig config = pair.tunnel_config();
    config.mode = mode;
    config.tunnel_id = id;
    config.peer_tunnel_id = peer_id;
    if (from_lns) std::swap(config.local, config.peer);
    return config;
  }
  static fsm::SessionConfig eth_session(std::uint32_t id, std::uint32_t peer_id) {
    fsm::SessionConfig config;
    config.pseudowire = fsm::Pseudowire::kEth;
    config.session_id = id;
    config.peer_session_id = peer_id;
    config.cookie = {1, 2, 3, 4};
    config.peer_cookie = {5, 6, 7, 8, 9, 10, 11, 12};
    return config;
  }

  LacLns pair{{.transport = GetParam(), .recording_data_plane = true}};
};

// ---- Static ------------------------------------------------------------------------------

class StaticTest : public ModeTest {};
INSTANTIATE_TEST_SUITE_P(V3, StaticTest, ::testing::ValuesIn(v3_transports()), transport_name);

TEST_P(StaticTest, StaticTunnelIsEstablishedAtCreationAndNeverSendsADatagram) {
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(configured(fsm::TunnelMode::kStatic, 100, 200)),
                "create_tunnel");
  EXPECT_EQ(id, 100u);
  const fsm::TunnelView view = pair.lac.tunnel(id);
  EXPECT_EQ(view.state, ObjectState::kEstablished);
  EXPECT_EQ(view.mode, fsm::TunnelMode::kStatic);
  EXPECT_EQ(view.peer_tunnel_id, 200u);
  EXPECT_EQ(pair.lac.observer().events().front().kind, EventKind::kTunnelAdded);

  pair.net.advance(0ms);
  const auto created = pair.lac.data_plane().calls_of(Op::kCreateTunnel);
  ASSERT_EQ(created.size(), 1u);
  const fsm::KernelTunnelParams& params = *created[0].tunnel;
  EXPECT_FALSE(params.managed);
  EXPECT_EQ(params.tunnel_id, 100u);
  EXPECT_EQ(params.peer_tunnel_id, 200u);
  EXPECT_EQ(params.version, ProtocolVersion::kV3);
  EXPECT_EQ(params.encapsulation, GetParam().encapsulation);
  EXPECT_EQ(params.local, pair.lac_endpoint);
  EXPECT_EQ(params.peer, pair.lns_endpoint);

  const std::uint32_t session =
      expect_ok(pair.lac.engine().create_session(id, eth_session(300, 400)), "create_session");
  EXPECT_EQ(session, 300u);
  pair.net.advance(0ms);
  const auto sessions = pair.lac.data_plane().calls_of(Op::kCreateSession);
  ASSERT_EQ(sessions.size(), 1u);
  const fsm::KernelSessionParams& ks = *sessions[0].session;
  EXPECT_EQ(ks.session_id, 300u);
  EXPECT_EQ(ks.peer_session_id, 400u);
  EXPECT_EQ(ks.peer_tunnel_id, 200u);
  EXPECT_EQ(ks.cookie, (wire::Bytes{1, 2, 3, 4}));
  EXPECT_EQ(ks.peer_cookie, (wire::Bytes{5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(ks.pseudowire, fsm::Pseudowire::kEth);
  EXPECT_EQ(pair.lac.session(id, session).state, ObjectState::kEstablished);

  expect_ok(pair.lac.engine().close_session(id, session), "close_session");
  pair.net.advance(1s);
  EXPECT_FALSE(pair.lac.engine().session(id, session));
  EXPECT_EQ(pair.lac.data_plane().calls_of(Op::kDeleteSession).size(), 1u);
  expect_ok(pair.lac.engine().close_tunnel(id), "close_tunnel");
  pair.net.advance(1s);
  EXPECT_FALSE(pair.lac.engine().tunnel(id));
  EXPECT_EQ(pair.lac.data_plane().calls_of(Op::kDeleteTunnel).size(), 1u);

  pair.net.advance(10min);
  EXPECT_TRUE(pair.net.captured().empty());
}

TEST_P(StaticTest, StaticPppSessionStartsPppAndIsUpWithTheNetworkPhase) {
  const std::uint32_t id = expect_ok(
      pair.lac.engine().create_tunnel(configured(fsm::TunnelMode::kStatic, 100, 200)), "tunnel");
  pair.lac.data_plane().ppp_answer = RecordingDataPlane::PppAnswer::kHold;
  fsm::SessionConfig config;
  config.session_id = 7;
  config.peer_session_id = 8;
  config.ppp.user = "bob";
  const std::uint32_t session = expect_ok(pair.lac.engine().create_session(id, config), "session");
  pair.net.advance(1s);
  const auto started = pair.lac.data_plane().calls_of(Op::kStartPpp);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].ppp->client.user, "bob");
  EXPECT_EQ(pair.lac.session(id, session).state, ObjectState::kConnecting);
  pair.lac.engine().ppp_network_up(id, session, {});
  EXPECT_EQ(pair.lac.session(id, session).state, ObjectState::kEstablished);
  EXPECT_TRUE(pair.net.captured().empty());
}

TEST_P(StaticTest, StaticTunnelAwaitingItsLocalAddressIsConnectingUntilTheAddressIsReady) {
  fsm::TunnelConfig config = configured(fsm::TunnelMode::kStatic, 100, 200);
  config.await_local_address = true;
  const std::uint32_t id = expect_ok(pair.lac.engine().create_tunnel(config), "create_tunnel");
  const std::uint32_t session =
      expect_ok(pair.lac.engine().create_session(id, eth_session(300, 400)), "create_session");
  pair.net.advance(10s);
  // Nothing asked of the kernel, whose sockets would not bind yet.
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kConnecting);
  EXPECT_EQ(pair.lac.session(id, session).state, ObjectState::kConnecting);
  EXPECT_TRUE(pair.lac.data_plane().calls_of(Op::kCreateTunnel).empty());
  EXPECT_TRUE(pair.lac.data_plane().calls_of(Op::kCreateSession).empty());

  pair.lac.engine().local_address_ready(id);
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kEstablished);
  pair.net.advance(0ms);
  EXPECT_EQ(pair.lac.data_plane().calls_of(Op::kCreateTunnel).size(), 1u);
  EXPECT_EQ(pair.lac.data_plane().calls_of(Op::kCreateSession).size(), 1u);
  EXPECT_EQ(pair.lac.session(id, session).state, ObjectState::kEstablished);
  // Once more changes nothing.
  pair.lac.engine().local_address_ready(id);
  pair.net.advance(0ms);
  EXPECT_EQ(pair.lac.data_plane().calls_of(Op::kCreateTunnel).size(), 1u);
  EXPECT_TRUE(pair.net.captured().empty());
}

TEST_P(StaticTest, AStaticTunnelAwaitingItsAddressClosesWithoutAKernelTunnel) {
  fsm::TunnelConfig config = configured(fsm::TunnelMode::kStatic, 100, 200);
  config.await_local_address = true;
  const std::uint32_t id = expect_ok(pair.lac.engine().create_tunnel(config), "create_tunnel");
  expect_ok(pair.lac.engine().close_tunnel(id), "close_tunnel");
  pair.net.advance(1s);
  EXPECT_FALSE(pair.lac.engine().tunnel(id));
  EXPECT_TRUE(pair.lac.data_plane().calls_of(Op::kDeleteTunnel).empty());
}

TEST_P(StaticTest, StaticTunnelsAndSessionsNeedBothIds) {
  for (const auto& [id, peer] : {std::pair{0u, 200u}, std::pair{100u, 0u}}) {
    const auto refused =
        pair.lac.engine().create_tunnel(configured(fsm::TunnelMode::kStatic, id, peer));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, fsm::ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(pair.lac.observer().count(EventKind::kTunnelAdded), 0u);
  const std::uint32_t tunnel = expect_ok(
      pair.lac.engine().create_tunnel(configured(fsm::TunnelMode::kStatic, 100, 200)), "tunnel");
  for (const auto& [id, peer] : {std::pair{0u, 400u}, std::pair{300u, 0u}}) {
    const auto refused = pair.lac.engine().create_session(tunnel, eth_session(id, peer));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, fsm::ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(pair.lac.observer().count(EventKind::kSessionAdded), 0u);
}

TEST(StaticOnV2Test, StaticL2tpv2IsRefusedAndNothingIsCreated) {
  LacLns pair({});
  fsm::TunnelConfig config = pair.tunnel_config();
  config.mode = fsm::TunnelMode::kStatic;
  config.tunnel_id = 100;
  config.peer_tunnel_id = 200;
  const auto refused = pair.lac.engine().create_tunnel(config);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().code,
              ::testing::AnyOf(fsm::ErrorCode::kInvalidArgument, fsm::ErrorCode::kNotSupported));
  EXPECT_EQ(pair.lac.observer().count(EventKind::kTunnelAdded), 0u);
  EXPECT_EQ(pair.lac.tunnel_count(), 0u);
}

// ---- Quiescent --------------------------------------------------------------------------------

class QuiescentTest : public ModeTest {
 protected:
  static constexpr Duration kHello{10000};
  fsm::TunnelConfig quiescent(std::uint32_t id, std::uint32_t peer, bool from_lns) const {
    fsm::TunnelConfig config = configured(fsm::TunnelMode::kQuiescent, id, peer, from_lns);
    config.control.channel.hello_interval = kHello;
    return config;
  }
};
INSTANTIATE_TEST_SUITE_P(AllTransports, QuiescentTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

TEST_P(QuiescentTest, QuiescentTunnelsOnlyExchangeHellosAndAcknowledgements) {
  const TimePoint t0 = pair.net.now();
  const std::uint32_t a =
      expect_ok(pair.lac.engine().create_tunnel(quiescent(100, 200, false)), "lac");
  const std::uint32_t b =
      expect_ok(pair.lns.engine().create_tunnel(quiescent(200, 100, true)), "lns");
  EXPECT_EQ(pair.lac.tunnel(a).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.tunnel(b).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lac.tunnel(a).mode, fsm::TunnelMode::kQuiescent);
  EXPECT_TRUE(pair.net.captured().empty());

  pair.net.advance(kHello);
  for (const Node* node : {&pair.lac, &pair.lns}) {
    SCOPED_TRACE(node->name());
    const auto hellos = sent_messages(pair.net, *node, MessageType::kHello);
    ASSERT_EQ(hellos.size(), 1u);
    EXPECT_EQ(at(hellos[0]->sent_at), at(t0 + kHello));
    EXPECT_EQ(decode_captured(*hellos[0]).header.tunnel_id, node == &pair.lac ? 200u : 100u);
  }
  pair.net.advance(5min);
  for (const Node* node : {&pair.lac, &pair.lns}) {
    SCOPED_TRACE(node->name());
    for (const MessageType type :
         {MessageType::kSccrq, MessageType::kSccrp, MessageType::kScccn, MessageType::kStopccn})
      EXPECT_EQ(count_sent(pair.net, *node, type), 0u) << wire::to_string(type);
  }
  for (const CapturedDatagram& c : pair.net.captured()) {
    const DecodedDatagram d = decode_captured(c);
    EXPECT_TRUE(d.is_ack() || d.is(MessageType::kHello)) << describe(d);
  }
  EXPECT_EQ(pair.lac.tunnel(a).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.tunnel(b).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lac.tunnel(a).retransmits + pair.lns.tunnel(b).retransmits, 0u);
}

TEST_P(QuiescentTest, QuiescentTunnelWithoutAnAnsweringPeerTimesOut) {
  const TimePoint t0 = pair.net.now();
  const fsm::TunnelConfig config = quiescent(100, 200, false);
  const std::uint32_t a = expect_ok(pair.lac.engine().create_tunnel(config), "create_tunnel");
  const Duration give_up = retransmission_give_up(config.control.channel);
  pair.net.advance(kHello + give_up + 1s);
  EXPECT_FALSE(pair.lac.engine().tunnel(a));
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(a, ObjectState::kClosed)),
            at(t0 + kHello + give_up));
  EXPECT_EQ(pair.lac.observer().last_tunnel(a)->last_result.result, 2);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kSccrq), 0u);
  // The LNS, which has no such tunnel, counted what it could not place.
  EXPECT_EQ(pair.lns.engine().stats().unknown_tunnel, 6u);
}

TEST_P(QuiescentTest, QuiescentTunnelsNeedBothIds) {
  for (const auto& [id, peer] : {std::pair{0u, 200u}, std::pair{100u, 0u}}) {
    const auto refused = pair.lac.engine().create_tunnel(quiescent(id, peer, false));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, fsm::ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(pair.lac.tunnel_count(), 0u);
}

TEST_P(QuiescentTest, QuiescentSessionsComeFromConfigurationWithoutCallMessages) {
  const std::uint32_t a =
      expect_ok(pair.lac.engine().create_tunnel(quiescent(100, 200, false)), "lac");
  expect_ok(pair.lns.engine().create_tunnel(quiescent(200, 100, true)), "lns");
  fsm::SessionConfig config;
  config.session_id = 7;
  config.peer_session_id = 8;
  const std::uint32_t session = expect_ok(pair.lac.engine().create_session(a, config), "session");
  EXPECT_EQ(session, 7u);
  pair.net.advance(1s);
  EXPECT_EQ(pair.lac.data_plane().calls_of(Op::kCreateSession).size(), 1u);
  EXPECT_EQ(pair.lac.session(a, session).state, ObjectState::kEstablished);
  EXPECT_TRUE(pair.net.captured().empty());
}

}  // namespace
}  // namespace l2tp::testing
