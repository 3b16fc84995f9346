// Whole scenarios over a link that loses, duplicates and reorders: a tunnel,
// several sessions, a session teardown and the tunnel teardown must reach the
// same end states as on a perfect link. Each seed replays exactly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace l2tp::testing {
namespace {

using fsm::ObjectState;
using namespace std::chrono_literals;

struct LossCase {
  Transport transport;
  double loss;
  std::uint32_t seed;
};

std::vector<LossCase> loss_cases() {
  std::vector<LossCase> out;
  const std::vector<Transport> transports = {
      {wire::ProtocolVersion::kV2, wire::Encapsulation::kUdp, false},
      {wire::ProtocolVersion::kV2, wire::Encapsulation::kUdp, true},
      {wire::ProtocolVersion::kV3, wire::Encapsulation::kUdp, false},
      {wire::ProtocolVersion::kV3, wire::Encapsulation::kIp, true}};
  for (const Transport& t : transports)
    for (std::uint32_t seed = 1; seed <= 4; ++seed)
      out.push_back({t, seed % 2 == 0 ? 0.3 : 0.2, seed});
  return out;
}

std::string loss_case_name(const ::testing::TestParamInfo<LossCase>& param) {
  return name_of(param.param.transport) + "_loss" +
         std::to_string(static_cast<int>(param.param.loss * 100)) + "_seed" +
         std::to_string(param.param.seed);
}

class LossTest : public ::testing::TestWithParam<LossCase> {
 protected:
  static LinkImpairment impairment() {
    LinkImpairment link;
    link.loss = GetParam().loss;
    link.duplicate = 0.1;
    link.reorder = 0.2;
    link.delay = Duration{10};
    link.reorder_extra = Duration{50};
    return link;
  }
  // Ten retransmissions instead of five: with 30% loss each way a message and
  // its acknowledgement both survive one try with p = 0.49, so six tries fail
  // together with p ≈ 1.8% per message, which would make the end states a
  // matter of luck rather than of the engine.
  static transport::ChannelConfig patient() {
    transport::ChannelConfig channel;
    channel.max_retransmits = 10;
    return channel;
  }

  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }

  LacLns pair{
      {.transport = GetParam().transport, .seed = GetParam().seed, .impairment = impairment()}};
};

INSTANTIATE_TEST_SUITE_P(Lossy, LossTest, ::testing::ValuesIn(loss_cases()), loss_case_name);

TEST_P(LossTest, TunnelSessionsAndTeardownReachTheLossFreeEndStates) {
  const bool v3 = GetParam().transport.version == wire::ProtocolVersion::kV3;
  fsm::TunnelConfig config = pair.tunnel_config();
  config.control.channel = patient();
  fsm::ListenerConfig listener = pair.listener_config();
  listener.control.channel = patient();
  if (v3) {
    config.control.secret = {'l', 'o', 's', 's', 'y'};
    listener.control.secret = config.control.secret;
  }
  pair.listen(listener);

  // Sessions asked for while the tunnel is still connecting, from the LAC;
  // two more from the LNS once it is up.
  const std::uint32_t lac_tunnel =
      expect_ok(pair.lac.engine().create_tunnel(config), "create_tunnel");
  std::vector<std::uint32_t> lac_sessions;
  for (int i = 0; i < 3; ++i) {
    fsm::SessionConfig session;
    if (v3 && i == 1) {
      session.pseudowire = fsm::Pseudowire::kEth;
      session.cookie = {0xc0, 0x0c, 0x1e, 0x00};
    }
    if (i == 2) session.call_type = fsm::CallType::kOutgoing;
    lac_sessions.push_back(
        expect_ok(pair.lac.engine().create_session(lac_tunnel, session), "create_session"));
  }
  pair.net.advance(3min);
  ASSERT_EQ(pair.lac.tunnel(lac_tunnel).state, ObjectState::kEstablished);
  const std::uint32_t lns_tunnel = pair.lac.tunnel(lac_tunnel).peer_tunnel_id;
  ASSERT_EQ(pair.lns.tunnel_state(lns_tunnel), ObjectState::kEstablished);
  // Duplicated and late SCCRQs must not make more tunnels.
  EXPECT_EQ(pair.lns.observer().count(EventKind::kTunnelAdded), 1u);
  for (int i = 0; i < 2; ++i)
    expect_ok(pair.lns.engine().create_session(lns_tunnel, {}), "create_session on the LNS");
  pair.net.advance(3min);

  // Every session up on both sides, paired crosswise, none twice.
  const auto lac_ids = pair.lac.tunnel(lac_tunnel).sessions;
  const auto lns_ids = pair.lns.tunnel(lns_tunnel).sessions;
  ASSERT_EQ(lac_ids.size(), 5u);
  ASSERT_EQ(lns_ids.size(), 5u);
  for (const std::uint32_t id : lac_ids) {
    const fsm::SessionView a = pair.lac.session(lac_tunnel, id);
    EXPECT_EQ(a.state, ObjectState::kEstablished) << "LAC session " << id;
    const fsm::SessionView b = pair.lns.session(lns_tunnel, a.peer_session_id);
    EXPECT_EQ(b.state, ObjectState::kEstablished) << "LNS session " << b.session_id;
    EXPECT_EQ(b.peer_session_id, id);
    EXPECT_EQ(a.pseudowire, b.pseudowire);
  }

  // One session closed by the LNS.
  const fsm::SessionView victim = pair.lac.session(lac_tunnel, lac_sessions[0]);
  expect_ok(pair.lns.engine().close_session(lns_tunnel, victim.peer_session_id), "close_session");
  pair.net.advance(3min);
  EXPECT_FALSE(pair.lac.engine().session(lac_tunnel, victim.session_id));
  EXPECT_FALSE(pair.lns.engine().session(lns_tunnel, victim.peer_session_id));
  EXPECT_EQ(pair.lac.observer().last_session(lac_tunnel, victim.session_id)->last_result.result, 3);
  EXPECT_EQ(
      pair.lns.observer().last_session(lns_tunnel, victim.peer_session_id)->last_result.result, 3);
  EXPECT_EQ(pair.lac.tunnel(lac_tunnel).sessions.size(), 4u);
  EXPECT_EQ(pair.lns.tunnel(lns_tunnel).sessions.size(), 4u);

  // The tunnel closed by the LAC.
  expect_ok(pair.lac.engine().close_tunnel(lac_tunnel), "close_tunnel");
  pair.net.advance(3min);
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
  EXPECT_EQ(pair.lac.observer().last_tunnel(lac_tunnel)->last_result.result, 1);
  EXPECT_EQ(pair.lns.observer().last_tunnel(lns_tunnel)->last_result.result, 1);
  EXPECT_EQ(pair.lac.observer().count(EventKind::kSessionRemoved), 5u);
  EXPECT_EQ(pair.lns.observer().count(EventKind::kSessionRemoved), 5u);
  EXPECT_EQ(pair.lac.engine().stats().authentication_failures +
                pair.lns.engine().stats().authentication_failures,
            0u);
}

}  // namespace
}  // namespace l2tp::testing
