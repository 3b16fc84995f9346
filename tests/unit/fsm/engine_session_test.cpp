// Sessions through the Engine's public API: incoming and outgoing calls from
// either side, teardown in every reachable state, and the data plane port
// (what is asked of the kernel and pppd, in which order, and what the engine
// does with the answers).
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

constexpr Duration kDelay{10};

std::string transport_name(const ::testing::TestParamInfo<Transport>& info) {
  return name_of(info.param);
}

// The session id a call message names as the sender's own.
std::uint32_t senders_session(const wire::Message& m) {
  if (m.assigned_session_id) return *m.assigned_session_id;
  if (m.local_session_id) return *m.local_session_id;
  return 0;
}

class SessionTest : public ::testing::TestWithParam<Transport> {
 protected:
  explicit SessionTest(bool recording = false)
      : pair({.transport = GetParam(), .recording_data_plane = recording}) {}
  void SetUp() override { tunnels = pair.establish(); }
  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }

  bool v2() const { return GetParam().version == ProtocolVersion::kV2; }

  // The receiver's session id as the header (v2) or Remote Session ID (v3) names it.
  std::uint32_t addressed_session(const DecodedDatagram& d) const {
    if (v2()) return d.header.session_id;
    return d.message && d.message->remote_session_id ? *d.message->remote_session_id : 0;
  }

  // When `node` received the acknowledgement of the message at `index`.
  std::optional<TimePoint> acknowledged_at(std::size_t index) const {
    const CapturedDatagram& message = pair.net.captured().at(index);
    const std::uint16_t ns = decode_captured(message).header.ns;
    for (const CapturedDatagram& c : pair.net.captured()) {
      if (c.index <= index || c.from != message.to || c.path.peer != message.path.local) continue;
      const std::int16_t ahead = static_cast<std::int16_t>(decode_captured(c).header.nr - ns);
      if (ahead > 0) return c.sent_at + kDelay;
    }
    return std::nullopt;
  }

  LacLns pair;
  TunnelPair tunnels;
};

INSTANTIATE_TEST_SUITE_P(AllTransports, SessionTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

TEST_P(SessionTest, IncomingCallIsIcrqIcrpIccnAndEstablishesBothSides) {
  const TimePoint t1 = pair.net.now();
  const std::size_t before = pair.net.captured().size();
  const std::uint32_t lac_session =
      expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create_session");
  EXPECT_EQ(pair.lac.observer().sessions_added(tunnels.lac),
            std::vector<std::uint32_t>{lac_session});
  const fsm::SessionView connecting = pair.lac.session(tunnels.lac, lac_session);
  EXPECT_EQ(connecting.state, ObjectState::kConnecting);
  EXPECT_EQ(connecting.call_type, fsm::CallType::kIncoming);
  EXPECT_EQ(connecting.pseudowire, fsm::Pseudowire::kPpp);
  EXPECT_TRUE(connecting.initiated_locally);
  EXPECT_EQ(connecting.tunnel_id, tunnels.lac);
  EXPECT_NE(lac_session, 0u);
  if (v2()) {
    EXPECT_LE(lac_session, 65535u);
  }

  ASSERT_EQ(pair.net.captured().size(), before + 1);
  const DecodedDatagram icrq = decode_captured(pair.net.captured().back());
  ASSERT_TRUE(icrq.is(MessageType::kIcrq)) << describe(icrq);
  EXPECT_EQ(icrq.header.tunnel_id, tunnels.lns);
  EXPECT_EQ(icrq.header.session_id, 0);
  EXPECT_TRUE(wire::has_required_avps(*icrq.message, GetParam().version)) << describe(icrq);
  EXPECT_EQ(senders_session(*icrq.message), lac_session);
  if (!v2()) {
    EXPECT_EQ(icrq.message->pseudowire_type, wire::kPseudowirePpp);
  }

  pair.net.advance(1s);
  const std::uint32_t lns_session = LacLns::newest_session(pair.lns, tunnels.lns);
  ASSERT_NE(lns_session, 0u);
  const fsm::SessionView lac = pair.lac.session(tunnels.lac, lac_session);
  const fsm::SessionView lns = pair.lns.session(tunnels.lns, lns_session);
  EXPECT_EQ(lac.state, ObjectState::kEstablished);
  EXPECT_EQ(lns.state, ObjectState::kEstablished);
  EXPECT_EQ(lac.peer_session_id, lns_session);
  EXPECT_EQ(lns.peer_session_id, lac_session);
  EXPECT_FALSE(lns.initiated_locally);
  EXPECT_EQ(lns.call_type, fsm::CallType::kIncoming);
  EXPECT_EQ(lns.pseudowire, fsm::Pseudowire::kPpp);
  EXPECT_THAT(pair.lac.tunnel(tunnels.lac).sessions, ::testing::ElementsAre(lac_session));
  EXPECT_THAT(pair.lns.tunnel(tunnels.lns).sessions, ::testing::ElementsAre(lns_session));
  EXPECT_EQ(
      at(pair.lac.observer().session_reached(tunnels.lac, lac_session, ObjectState::kEstablished)),
      at(t1 + 2 * kDelay));
  EXPECT_EQ(
      at(pair.lns.observer().session_reached(tunnels.lns, lns_session, ObjectState::kEstablished)),
      at(t1 + 3 * kDelay));

  const auto icrp = sent_messages(pair.net, pair.lns, MessageType::kIcrp);
  ASSERT_EQ(icrp.size(), 1u);
  const DecodedDatagram reply = decode_captured(*icrp[0]);
  EXPECT_EQ(reply.header.tunnel_id, tunnels.lac);
  EXPECT_EQ(addressed_session(reply), lac_session);
  EXPECT_EQ(senders_session(*reply.message), lns_session);
  EXPECT_TRUE(wire::has_required_avps(*reply.message, GetParam().version)) << describe(reply);
  const auto iccn = sent_messages(pair.net, pair.lac, MessageType::kIccn);
  ASSERT_EQ(iccn.size(), 1u);
  const DecodedDatagram connected = decode_captured(*iccn[0]);
  EXPECT_EQ(connected.header.tunnel_id, tunnels.lns);
  EXPECT_EQ(addressed_session(connected), lns_session);
  EXPECT_TRUE(wire::has_required_avps(*connected.message, GetParam().version))
      << describe(connected);
}

// The ICRP carries the ICRQ's acknowledgement; nothing of the answerer's
// follows the ICCN, so it is acknowledged at once rather than after the
// delayed-ack timer (which held every session 200 ms).
TEST_P(SessionTest, TheIccnIsAcknowledgedAtOnceAndTheIcrqByItsReply) {
  const std::size_t icrq_index = pair.net.captured().size();
  expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create_session");
  pair.net.advance(1s);
  const auto icrp = sent_messages(pair.net, pair.lns, MessageType::kIcrp);
  const auto iccn = sent_messages(pair.net, pair.lac, MessageType::kIccn);
  ASSERT_EQ(icrp.size(), 1u);
  ASSERT_EQ(iccn.size(), 1u);
  EXPECT_EQ(at(acknowledged_at(icrq_index)), at(icrp[0]->sent_at + kDelay));
  EXPECT_EQ(at(acknowledged_at(iccn[0]->index)), at(iccn[0]->sent_at + 2 * kDelay));
  std::size_t answerer_acks = 0;
  for (const CapturedDatagram& c : pair.net.captured()) {
    if (c.index > icrq_index && c.from == &pair.lns && decode_captured(c).is_ack()) ++answerer_acks;
  }
  EXPECT_EQ(answerer_acks, 1u);  // the ICCN's, and only that
}

TEST_P(SessionTest, IncomingCallFromTheResponderSide) {
  const SessionPair s = pair.open_session(tunnels, {}, /*from_lns=*/true);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kIcrq), 1u);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kIcrp), 1u);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kIccn), 1u);
  EXPECT_EQ(pair.lac.session(tunnels.lac, s.lac).peer_session_id, s.lns);
  EXPECT_EQ(pair.lns.session(tunnels.lns, s.lns).peer_session_id, s.lac);
  EXPECT_FALSE(pair.lac.session(tunnels.lac, s.lac).initiated_locally);
}

TEST_P(SessionTest, OutgoingCallIsOcrqOcrpOccnFromEitherSide) {
  fsm::SessionConfig outgoing;
  outgoing.call_type = fsm::CallType::kOutgoing;
  outgoing.called_number = "5551234";
  for (const bool from_lns : {false, true}) {
    SCOPED_TRACE(from_lns ? "from the LNS" : "from the LAC");
    const Node& asker = from_lns ? pair.lns : pair.lac;
    const Node& placer = from_lns ? pair.lac : pair.lns;
    const SessionPair s = pair.open_session(tunnels, outgoing, from_lns);
    const auto ocrq = sent_messages(pair.net, asker, MessageType::kOcrq);
    const auto ocrp = sent_messages(pair.net, placer, MessageType::kOcrp);
    const auto occn = sent_messages(pair.net, placer, MessageType::kOccn);
    ASSERT_EQ(ocrq.size(), 1u);
    ASSERT_EQ(ocrp.size(), 1u);
    ASSERT_EQ(occn.size(), 1u);
    EXPECT_LT(ocrq[0]->index, ocrp[0]->index);
    EXPECT_LT(ocrp[0]->index, occn[0]->index);
    for (const auto* c : {ocrq[0], ocrp[0], occn[0]}) {
      const DecodedDatagram d = decode_captured(*c);
      EXPECT_TRUE(wire::has_required_avps(*d.message, GetParam().version)) << describe(d);
    }
    EXPECT_EQ(pair.lac.session(tunnels.lac, s.lac).call_type, fsm::CallType::kOutgoing);
    EXPECT_EQ(pair.lns.session(tunnels.lns, s.lns).call_type, fsm::CallType::kOutgoing);
    EXPECT_EQ(pair.lac.session(tunnels.lac, s.lac).peer_session_id, s.lns);
    EXPECT_EQ(pair.lns.session(tunnels.lns, s.lns).peer_session_id, s.lac);
    expect_ok(pair.lac.engine().close_session(tunnels.lac, s.lac), "close_session");
    pair.net.advance(1s);
  }
}

TEST_P(SessionTest, SeveralSessionsGetDistinctIds) {
  std::set<std::uint32_t> lac_ids, lns_ids;
  for (int i = 0; i < 20; ++i) {
    const SessionPair s = pair.open_session(tunnels, {}, i % 2 == 1);
    lac_ids.insert(s.lac);
    lns_ids.insert(s.lns);
  }
  EXPECT_EQ(lac_ids.size(), 20u);
  EXPECT_EQ(lns_ids.size(), 20u);
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).sessions.size(), 20u);
}

TEST_P(SessionTest, EthernetIsRefusedOnL2tpv2AndCarriedByL2tpv3) {
  if (!v2()) {
    // L2TPv3 carries Ethernet: the same request works.
    fsm::SessionConfig eth;
    eth.pseudowire = fsm::Pseudowire::kEth;
    const SessionPair s = pair.open_session(tunnels, eth);
    EXPECT_EQ(pair.lns.session(tunnels.lns, s.lns).pseudowire, fsm::Pseudowire::kEth);
    return;
  }
  const std::size_t datagrams = pair.net.captured().size();
  fsm::SessionConfig eth;
  eth.pseudowire = fsm::Pseudowire::kEth;
  const auto refused = pair.lac.engine().create_session(tunnels.lac, eth);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, fsm::ErrorCode::kNotSupported);
  EXPECT_EQ(pair.lac.observer().count(EventKind::kSessionAdded), 0u);
  EXPECT_EQ(pair.net.captured().size(), datagrams);
  EXPECT_TRUE(pair.lac.tunnel(tunnels.lac).sessions.empty());
}

TEST_P(SessionTest, SessionsOnUnknownOrClosingTunnelsAreRefused) {
  const auto unknown = pair.lac.engine().create_session(tunnels.lac + 1, {});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, fsm::ErrorCode::kNotFound);
  pair.net.cut(pair.lac, pair.lns);  // keep the tunnel closing
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "close_tunnel");
  const auto closing = pair.lac.engine().create_session(tunnels.lac, {});
  ASSERT_FALSE(closing.has_value());
  EXPECT_EQ(closing.error().code, fsm::ErrorCode::kWrongState);
  EXPECT_EQ(pair.lac.observer().count(EventKind::kSessionAdded), 0u);
}

// ---- Teardown ----------------------------------------------------------------------

TEST_P(SessionTest, CloseFromEitherSideSendsCdnResultThreeAndBothSidesEnd) {
  for (const bool from_lns : {false, true}) {
    SCOPED_TRACE(from_lns ? "closed by the LNS" : "closed by the LAC");
    const SessionPair s = pair.open_session(tunnels, {});
    Node& closer = from_lns ? pair.lns : pair.lac;
    Node& peer = from_lns ? pair.lac : pair.lns;
    const std::uint32_t closer_tunnel = from_lns ? tunnels.lns : tunnels.lac;
    const std::uint32_t peer_tunnel = from_lns ? tunnels.lac : tunnels.lns;
    const std::uint32_t closer_session = from_lns ? s.lns : s.lac;
    const std::uint32_t peer_session = from_lns ? s.lac : s.lns;

    const TimePoint t1 = pair.net.now();
    expect_ok(closer.engine().close_session(closer_tunnel, closer_session), "close_session");
    EXPECT_EQ(closer.session_state(closer_tunnel, closer_session), ObjectState::kClosing);
    const CapturedDatagram& sent = pair.net.captured().back();
    const DecodedDatagram cdn = decode_captured(sent);
    ASSERT_TRUE(cdn.is(MessageType::kCdn)) << describe(cdn);
    EXPECT_EQ(cdn.header.tunnel_id, peer_tunnel);
    EXPECT_EQ(addressed_session(cdn), peer_session);
    EXPECT_EQ(senders_session(*cdn.message), closer_session);
    EXPECT_TRUE(wire::has_required_avps(*cdn.message, GetParam().version)) << describe(cdn);
    ASSERT_TRUE(cdn.message->result_code);
    EXPECT_EQ(cdn.message->result_code->result, 3);

    pair.net.advance(kDelay);
    EXPECT_FALSE(peer.engine().session(peer_tunnel, peer_session));
    EXPECT_EQ(at(peer.observer().session_reached(peer_tunnel, peer_session, ObjectState::kClosed)),
              at(t1 + kDelay));
    EXPECT_EQ(peer.observer().last_session(peer_tunnel, peer_session)->last_result.result, 3);

    pair.net.advance(1s);
    const auto acked = acknowledged_at(sent.index);
    ASSERT_TRUE(acked);
    EXPECT_EQ(
        at(closer.observer().session_reached(closer_tunnel, closer_session, ObjectState::kClosed)),
        at(*acked));
    EXPECT_FALSE(closer.engine().session(closer_tunnel, closer_session));
    EXPECT_EQ(closer.observer().last_session(closer_tunnel, closer_session)->last_result.result, 3);
    EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
    EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
    EXPECT_TRUE(pair.lac.tunnel(tunnels.lac).sessions.empty());
    EXPECT_TRUE(pair.lns.tunnel(tunnels.lns).sessions.empty());
  }
}

TEST_P(SessionTest, CreatorClosingBeforeTheReplyLeavesNoSessionAnywhere) {
  const std::uint32_t id = expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create");
  expect_ok(pair.lac.engine().close_session(tunnels.lac, id), "close_session");
  EXPECT_EQ(pair.lac.session_state(tunnels.lac, id), ObjectState::kClosing);
  pair.net.advance(10s);
  EXPECT_FALSE(pair.lac.engine().session(tunnels.lac, id));
  EXPECT_EQ(pair.lac.observer().last_session(tunnels.lac, id)->last_result.result, 3);
  EXPECT_TRUE(pair.lac.tunnel(tunnels.lac).sessions.empty());
  // Whatever the ICRQ made on the LNS must not linger half-open.
  EXPECT_TRUE(pair.lns.tunnel(tunnels.lns).sessions.empty());
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
}

TEST_P(SessionTest, AnswererClosingBeforeTheIccnEndsBothSides) {
  const std::uint32_t id = expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create");
  pair.net.advance(kDelay + kDelay / 2);  // ICRP on its way, ICCN not yet back
  const std::uint32_t answer = LacLns::newest_session(pair.lns, tunnels.lns);
  ASSERT_NE(answer, 0u);
  ASSERT_EQ(pair.lns.session(tunnels.lns, answer).state, ObjectState::kConnecting);
  expect_ok(pair.lns.engine().close_session(tunnels.lns, answer), "close_session");
  pair.net.advance(5s);
  EXPECT_FALSE(pair.lac.engine().session(tunnels.lac, id));
  EXPECT_FALSE(pair.lns.engine().session(tunnels.lns, answer));
  EXPECT_EQ(pair.lac.observer().last_session(tunnels.lac, id)->last_result.result, 3);
  EXPECT_EQ(pair.lns.observer().last_session(tunnels.lns, answer)->last_result.result, 3);
  EXPECT_FALSE(pair.lns.observer().session_reached(tunnels.lns, answer, ObjectState::kEstablished));
}

TEST_P(SessionTest, CdnsCrossingEndBothSides) {
  const SessionPair s = pair.open_session(tunnels, {});
  expect_ok(pair.lac.engine().close_session(tunnels.lac, s.lac), "close lac");
  expect_ok(pair.lns.engine().close_session(tunnels.lns, s.lns), "close lns");
  pair.net.advance(2s);
  EXPECT_FALSE(pair.lac.engine().session(tunnels.lac, s.lac));
  EXPECT_FALSE(pair.lns.engine().session(tunnels.lns, s.lns));
  EXPECT_EQ(pair.lac.observer().last_session(tunnels.lac, s.lac)->last_result.result, 3);
  EXPECT_EQ(pair.lns.observer().last_session(tunnels.lns, s.lns)->last_result.result, 3);
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
}

TEST_P(SessionTest, ClosingAClosingSessionIsANoOpAndUnknownOnesAreNotFound) {
  const SessionPair s = pair.open_session(tunnels, {});
  pair.net.cut(pair.lac, pair.lns);
  expect_ok(pair.lac.engine().close_session(tunnels.lac, s.lac), "first close");
  const std::size_t datagrams = pair.net.captured().size();
  const auto again = pair.lac.engine().close_session(tunnels.lac, s.lac);
  EXPECT_TRUE(again.has_value()) << to_string(again.error());
  EXPECT_EQ(pair.net.captured().size(), datagrams);
  const auto unknown = pair.lac.engine().close_session(tunnels.lac, s.lac + 1);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, fsm::ErrorCode::kNotFound);
}

TEST_P(SessionTest, SessionRequestedOnAConnectingTunnelWaitsForIt) {
  const std::uint32_t tunnel =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  const std::uint32_t session =
      expect_ok(pair.lac.engine().create_session(tunnel, {}), "create_session");
  const auto sccrq = pair.net.captured().back();
  EXPECT_TRUE(decode_captured(sccrq).is(MessageType::kSccrq));
  pair.net.advance(1s);
  const auto scccn = sent_messages(pair.net, pair.lac, MessageType::kScccn);
  const auto icrq = sent_messages(pair.net, pair.lac, MessageType::kIcrq);
  ASSERT_EQ(scccn.size(), 2u);  // the first tunnel's and this one's
  ASSERT_EQ(icrq.size(), 1u);
  EXPECT_GT(icrq[0]->index, scccn[1]->index);
  EXPECT_EQ(pair.lac.session(tunnel, session).state, ObjectState::kEstablished);
  const std::uint32_t lns_tunnel = pair.accepted_tunnel();
  EXPECT_EQ(pair.lns.tunnel(lns_tunnel).sessions.size(), 1u);
}

// ---- Data plane ------------------------------------------------------------------------

class DataPlaneTest : public SessionTest {
 protected:
  DataPlaneTest() : SessionTest(/*recording=*/true) {}
  RecordingDataPlane& lac_plane() { return pair.lac.data_plane(); }
  RecordingDataPlane& lns_plane() { return pair.lns.data_plane(); }
};

INSTANTIATE_TEST_SUITE_P(AllTransports, DataPlaneTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

std::vector<Op> ops(const std::vector<RecordingDataPlane::Call>& calls) {
  std::vector<Op> out;
  for (const auto& c : calls) out.push_back(c.op);
  return out;
}

TEST_P(DataPlaneTest, PppCallCreatesKernelTunnelThenSessionThenPppWithTheRightRoles) {
  lac_plane().ppp_answer = RecordingDataPlane::PppAnswer::kHold;
  lns_plane().ppp_answer = RecordingDataPlane::PppAnswer::kHold;
  fsm::SessionConfig config;
  config.ppp.user = "alice";
  const std::uint32_t lac_session =
      expect_ok(pair.lac.engine().create_session(tunnels.lac, config), "create_session");
  pair.net.advance(1s);
  const std::uint32_t lns_session = LacLns::newest_session(pair.lns, tunnels.lns);
  ASSERT_NE(lns_session, 0u);

  struct Side {
    RecordingDataPlane& plane;
    std::uint32_t tunnel, peer_tunnel, session, peer_session;
    fsm::PppRole role;
  };
  for (const Side& side : {Side{lac_plane(), tunnels.lac, tunnels.lns, lac_session, lns_session,
                                fsm::PppRole::kClient},
                           Side{lns_plane(), tunnels.lns, tunnels.lac, lns_session, lac_session,
                                fsm::PppRole::kServer}}) {
    SCOPED_TRACE(side.role == fsm::PppRole::kClient ? "LAC" : "LNS");
    const auto calls = side.plane.calls_for(side.tunnel);
    ASSERT_THAT(ops(calls),
                ::testing::ElementsAre(Op::kCreateTunnel, Op::kCreateSession, Op::kStartPpp));
    const fsm::KernelTunnelParams& kt = *calls[0].tunnel;
    EXPECT_TRUE(kt.managed);
    EXPECT_EQ(kt.peer_tunnel_id, side.peer_tunnel);
    EXPECT_EQ(kt.version, GetParam().version);
    EXPECT_EQ(kt.encapsulation, GetParam().encapsulation);
    const fsm::KernelSessionParams& ks = *calls[1].session;
    EXPECT_EQ(ks.tunnel_id, side.tunnel);
    EXPECT_EQ(ks.session_id, side.session);
    EXPECT_EQ(ks.peer_tunnel_id, side.peer_tunnel);
    EXPECT_EQ(ks.peer_session_id, side.peer_session);
    EXPECT_EQ(ks.version, GetParam().version);
    EXPECT_EQ(ks.pseudowire, fsm::Pseudowire::kPpp);
    const fsm::PppStartParams& ppp = *calls[2].ppp;
    EXPECT_EQ(ppp.role, side.role);
    EXPECT_EQ(ppp.session.session_id, side.session);
    if (side.role == fsm::PppRole::kClient) {
      EXPECT_EQ(ppp.client.user, "alice");
    } else {
      EXPECT_EQ(ppp.server.local_address, "10.0.0.1");
      EXPECT_EQ(ppp.server.address_pool, "10.0.0.10-10.0.0.99");
    }
  }
  // The call is up but PPP is not: still connecting on both sides.
  EXPECT_EQ(pair.lac.session(tunnels.lac, lac_session).state, ObjectState::kConnecting);
  EXPECT_EQ(pair.lns.session(tunnels.lns, lns_session).state, ObjectState::kConnecting);

  fsm::PppAddresses addresses;
  addresses.local_address = "10.0.0.10";
  addresses.peer_address = "10.0.0.1";
  addresses.dns = {"192.0.2.53"};
  addresses.interface_name = "ppp0";
  pair.lac.engine().ppp_network_up(tunnels.lac, lac_session, addresses);
  const fsm::SessionView up = pair.lac.session(tunnels.lac, lac_session);
  EXPECT_EQ(up.state, ObjectState::kEstablished);
  ASSERT_TRUE(up.ppp);
  EXPECT_EQ(up.ppp->local_address, "10.0.0.10");
  EXPECT_EQ(up.ppp->peer_address, "10.0.0.1");
  EXPECT_EQ(up.ppp->dns, std::vector<std::string>{"192.0.2.53"});
  EXPECT_EQ(pair.lns.session(tunnels.lns, lns_session).state, ObjectState::kConnecting);
  pair.lns.engine().ppp_network_up(tunnels.lns, lns_session, {});
  EXPECT_EQ(pair.lns.session(tunnels.lns, lns_session).state, ObjectState::kEstablished);

  // A second session reuses the kernel tunnel.
  lac_plane().ppp_answer = RecordingDataPlane::PppAnswer::kNetworkUp;
  lns_plane().ppp_answer = RecordingDataPlane::PppAnswer::kNetworkUp;
  pair.open_session(tunnels, {});
  EXPECT_EQ(lac_plane().calls_of(Op::kCreateTunnel).size(), 1u);
  EXPECT_EQ(lns_plane().calls_of(Op::kCreateTunnel).size(), 1u);
  EXPECT_EQ(lac_plane().calls_of(Op::kCreateSession).size(), 2u);
}

TEST_P(DataPlaneTest, KernelSessionFailureSendsCdnAndClosesBothSides) {
  lac_plane().session_answer = RecordingDataPlane::Answer::kFail;
  const std::uint32_t id = expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create");
  pair.net.advance(2s);
  EXPECT_FALSE(pair.lac.engine().session(tunnels.lac, id));
  EXPECT_NE(pair.lac.observer().last_session(tunnels.lac, id)->last_result.result, 0);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kCdn), 1u);
  EXPECT_TRUE(pair.lns.tunnel(tunnels.lns).sessions.empty());
  EXPECT_EQ(pair.lac.observer().count(EventKind::kSessionRemoved), 1u);
  EXPECT_EQ(pair.lns.observer().count(EventKind::kSessionRemoved), 1u);
  EXPECT_FALSE(pair.lac.observer().session_reached(tunnels.lac, id, ObjectState::kEstablished));
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
}

TEST_P(DataPlaneTest, PppAuthenticationFailureIsDistinguishableFromOtherPppEnds) {
  lac_plane().ppp_message = "pppd exited";
  lac_plane().ppp_exit_status = 19;
  lac_plane().ppp_answer = RecordingDataPlane::PppAnswer::kEndedAuthenticationFailed;
  const std::uint32_t login = expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "1");
  pair.net.advance(2s);
  lac_plane().ppp_answer = RecordingDataPlane::PppAnswer::kEnded;
  const std::uint32_t other = expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "2");
  pair.net.advance(2s);

  for (const std::uint32_t id : {login, other}) {
    EXPECT_FALSE(pair.lac.engine().session(tunnels.lac, id));
    EXPECT_FALSE(pair.lac.observer().session_reached(tunnels.lac, id, ObjectState::kEstablished));
  }
  const fsm::LastResult auth = pair.lac.observer().last_session(tunnels.lac, login)->last_result;
  const fsm::LastResult ended = pair.lac.observer().last_session(tunnels.lac, other)->last_result;
  EXPECT_NE(auth.result, 0);
  EXPECT_NE(ended.result, 0);
  EXPECT_NE(auth, ended) << describe(auth) << " vs " << describe(ended);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kCdn), 2u);
  EXPECT_TRUE(pair.lns.tunnel(tunnels.lns).sessions.empty());
}

TEST_P(DataPlaneTest, ClosingReleasesKernelObjects) {
  const SessionPair s = pair.open_session(tunnels, {});
  expect_ok(pair.lac.engine().close_session(tunnels.lac, s.lac), "close_session");
  pair.net.advance(1s);
  for (RecordingDataPlane* plane : {&lac_plane(), &lns_plane()}) {
    const std::uint32_t session = plane == &lac_plane() ? s.lac : s.lns;
    const auto deletes = plane->calls_of(Op::kDeleteSession);
    ASSERT_EQ(deletes.size(), 1u);
    EXPECT_EQ(deletes[0].session_id, session);
  }
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "close_tunnel");
  pair.net.advance(1s);
  for (RecordingDataPlane* plane : {&lac_plane(), &lns_plane()}) {
    const std::uint32_t tunnel = plane == &lac_plane() ? tunnels.lac : tunnels.lns;
    const auto deletes = plane->calls_of(Op::kDeleteTunnel);
    ASSERT_EQ(deletes.size(), 1u);
    EXPECT_EQ(deletes[0].tunnel_id, tunnel);
  }
}

// ---- L2TPv3 Ethernet pseudowires -------------------------------------------------------

struct CookieCase {
  Transport transport;
  std::size_t cookie_size;
};

class EthernetTest : public ::testing::TestWithParam<CookieCase> {
 protected:
  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }
  LacLns pair{{.transport = GetParam().transport, .recording_data_plane = true}};
};

std::vector<CookieCase> cookie_cases() {
  std::vector<CookieCase> out;
  for (const Transport& t : v3_transports())
    for (std::size_t size : {0u, 4u, 8u}) out.push_back({t, size});
  return out;
}

std::string cookie_case_name(const ::testing::TestParamInfo<CookieCase>& param) {
  return name_of(param.param.transport) + "_cookie" + std::to_string(param.param.cookie_size);
}

INSTANTIATE_TEST_SUITE_P(V3, EthernetTest, ::testing::ValuesIn(cookie_cases()), cookie_case_name);

TEST_P(EthernetTest, CookiesCrossOverAndTheSessionIsUpWhenTheKernelIs) {
  const TunnelPair tunnels = pair.establish();
  pair.lac.data_plane().session_answer = RecordingDataPlane::Answer::kHold;
  pair.lns.data_plane().session_answer = RecordingDataPlane::Answer::kHold;
  fsm::SessionConfig config;
  config.pseudowire = fsm::Pseudowire::kEth;
  for (std::size_t i = 0; i < GetParam().cookie_size; ++i)
    config.cookie.push_back(static_cast<std::uint8_t>(0xa0 + i));
  const std::uint32_t lac_session =
      expect_ok(pair.lac.engine().create_session(tunnels.lac, config), "create_session");
  const DecodedDatagram icrq = decode_captured(pair.net.captured().back());
  ASSERT_TRUE(icrq.is(MessageType::kIcrq)) << describe(icrq);
  EXPECT_EQ(icrq.message->pseudowire_type, wire::kPseudowireEthernet);
  if (GetParam().cookie_size > 0) {
    EXPECT_EQ(icrq.message->assigned_cookie, config.cookie);
  }
  pair.net.advance(1s);
  const std::uint32_t lns_session = LacLns::newest_session(pair.lns, tunnels.lns);
  ASSERT_NE(lns_session, 0u);

  const auto lac_sessions = pair.lac.data_plane().calls_of(Op::kCreateSession);
  const auto lns_sessions = pair.lns.data_plane().calls_of(Op::kCreateSession);
  ASSERT_EQ(lac_sessions.size(), 1u);
  ASSERT_EQ(lns_sessions.size(), 1u);
  const fsm::KernelSessionParams& a = *lac_sessions[0].session;
  const fsm::KernelSessionParams& b = *lns_sessions[0].session;
  EXPECT_EQ(a.pseudowire, fsm::Pseudowire::kEth);
  EXPECT_EQ(b.pseudowire, fsm::Pseudowire::kEth);
  EXPECT_EQ(a.cookie, config.cookie);
  EXPECT_EQ(a.cookie, b.peer_cookie);
  EXPECT_EQ(a.peer_cookie, b.cookie);
  EXPECT_EQ(a.l2_specific_sublayer, fsm::L2SpecificSublayer::kDefault);
  EXPECT_EQ(a.session_id, lac_session);
  EXPECT_EQ(a.peer_session_id, lns_session);
  EXPECT_EQ(b.peer_session_id, lac_session);
  EXPECT_TRUE(pair.lac.data_plane().calls_of(Op::kStartPpp).empty());
  EXPECT_TRUE(pair.lns.data_plane().calls_of(Op::kStartPpp).empty());
  // Kernel tunnel first, once.
  EXPECT_THAT(ops(pair.lac.data_plane().calls_for(tunnels.lac)),
              ::testing::ElementsAre(Op::kCreateTunnel, Op::kCreateSession));
  EXPECT_THAT(ops(pair.lns.data_plane().calls_for(tunnels.lns)),
              ::testing::ElementsAre(Op::kCreateTunnel, Op::kCreateSession));

  // Up only when the kernel session is.
  EXPECT_EQ(pair.lac.session(tunnels.lac, lac_session).state, ObjectState::kConnecting);
  pair.lac.engine().data_plane_session_ready(tunnels.lac, lac_session, "l2tpeth7");
  EXPECT_EQ(pair.lac.session(tunnels.lac, lac_session).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lac.session(tunnels.lac, lac_session).interface_name, "l2tpeth7");
  EXPECT_EQ(pair.lns.session(tunnels.lns, lns_session).state, ObjectState::kConnecting);
  pair.lns.engine().data_plane_session_ready(tunnels.lns, lns_session, "l2tpeth0");
  EXPECT_EQ(pair.lns.session(tunnels.lns, lns_session).state, ObjectState::kEstablished);
}

TEST_P(EthernetTest, ListenerWithoutEthernetRefusesTheCall) {
  fsm::ListenerConfig ppp_only = pair.listener_config();
  ppp_only.pseudowires = {fsm::Pseudowire::kPpp};
  const TunnelPair tunnels = pair.establish(pair.tunnel_config(), ppp_only);
  fsm::SessionConfig config;
  config.pseudowire = fsm::Pseudowire::kEth;
  const std::uint32_t id = expect_ok(pair.lac.engine().create_session(tunnels.lac, config), "eth");
  pair.net.advance(2s);
  // Refused by the LNS with a CDN, or by the LAC itself from the SCCRP's
  // Pseudowire Capabilities List: either way the call fails on both sides.
  EXPECT_FALSE(pair.lac.engine().session(tunnels.lac, id));
  EXPECT_FALSE(pair.lac.observer().session_reached(tunnels.lac, id, ObjectState::kEstablished));
  EXPECT_TRUE(pair.lns.tunnel(tunnels.lns).sessions.empty());
  EXPECT_TRUE(pair.lns.data_plane().calls_of(Op::kCreateSession).empty());
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
}

}  // namespace
}  // namespace l2tp::testing
