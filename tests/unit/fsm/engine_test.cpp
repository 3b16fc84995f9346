// Tunnel life cycle through the Engine's public API only: handshake,
// teardown from either side in every reachable state, dead peers, HELLO,
// tie breaking, duplicate requests, ids and listeners. Every scenario runs
// over v2 and v3, UDP and IP, IPv4 and IPv6 (engine_harness.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "engine_harness.h"

namespace l2tp::testing {
namespace {

using fsm::ObjectState;
using wire::MessageType;
using wire::ProtocolVersion;
using namespace std::chrono_literals;

constexpr Duration kDelay{10};  // one-way latency of the harness link

std::uint32_t assigned_id(const wire::Message& m) {
  if (m.assigned_tunnel_id) return *m.assigned_tunnel_id;
  if (m.assigned_connection_id) return *m.assigned_connection_id;
  return 0;
}

std::size_t index_of(const std::vector<ObservedEvent>& events, EventKind kind, std::uint32_t id) {
  for (std::size_t i = 0; i < events.size(); ++i)
    if (events[i].kind == kind && events[i].tunnel_id == id) return i;
  return events.size();
}

std::string transport_name(const ::testing::TestParamInfo<Transport>& info) {
  return name_of(info.param);
}

class TunnelTest : public ::testing::TestWithParam<Transport> {
 protected:
  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }

  // The datagrams `from` sent at or after `since`, decoded.
  std::vector<DecodedDatagram> sent_since(const Node& from, TimePoint since) const {
    std::vector<DecodedDatagram> out;
    for (const CapturedDatagram& c : pair.net.captured())
      if (c.from == &from && c.sent_at >= since) out.push_back(decode_captured(c));
    return out;
  }

  LacLns pair{{.transport = GetParam()}};
  const transport::ChannelConfig channel{};  // every tunnel here runs the defaults
};

INSTANTIATE_TEST_SUITE_P(AllTransports, TunnelTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

TEST_P(TunnelTest, HandshakeCarriesTheRightIdsAndEndsInOneAndAHalfRoundTrips) {
  const Transport t = GetParam();
  const std::uint32_t listener = pair.listen();
  const TimePoint t0 = pair.net.now();
  const std::uint32_t lac_id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");

  // Before any time passes: added, connecting, and the SCCRQ already sent.
  const auto& lac_events = pair.lac.observer().events();
  ASSERT_FALSE(lac_events.empty());
  EXPECT_EQ(lac_events.front().kind, EventKind::kTunnelAdded);
  EXPECT_EQ(lac_events.front().tunnel_id, lac_id);
  const fsm::TunnelView connecting = pair.lac.tunnel(lac_id);
  EXPECT_EQ(connecting.state, ObjectState::kConnecting);
  EXPECT_EQ(connecting.role, fsm::Role::kInitiator);
  EXPECT_EQ(connecting.mode, fsm::TunnelMode::kDynamic);
  EXPECT_EQ(connecting.version, t.version);
  EXPECT_EQ(connecting.encapsulation, t.encapsulation);
  EXPECT_EQ(connecting.local, pair.lac_endpoint);
  EXPECT_EQ(connecting.peer, pair.lns_endpoint);
  EXPECT_EQ(connecting.listener_id, 0u);
  EXPECT_EQ(connecting.peer_tunnel_id, 0u);
  ASSERT_EQ(pair.net.captured().size(), 1u);
  const CapturedDatagram& first = pair.net.captured()[0];
  EXPECT_EQ(first.path.tunnel_id, lac_id);
  EXPECT_EQ(first.path.local, pair.lac_endpoint);
  EXPECT_EQ(first.path.peer, pair.lns_endpoint);
  EXPECT_EQ(first.path.encapsulation, t.encapsulation);
  const DecodedDatagram sccrq = decode_captured(first);
  ASSERT_TRUE(sccrq.is(MessageType::kSccrq)) << describe(sccrq);
  EXPECT_EQ(sccrq.header.version, t.version);
  EXPECT_EQ(sccrq.header.tunnel_id, 0u);
  EXPECT_EQ(sccrq.header.ns, 0);
  EXPECT_EQ(sccrq.header.nr, 0);
  EXPECT_TRUE(wire::has_required_avps(*sccrq.message, t.version)) << describe(sccrq);
  EXPECT_EQ(sccrq.message->host_name, "lac.example");
  EXPECT_EQ(assigned_id(*sccrq.message), lac_id);

  pair.net.advance(1s);

  ASSERT_EQ(pair.lns.observer().accepted().size(), 1u);
  const auto [accepted_by, lns_id] = pair.lns.observer().accepted().front();
  EXPECT_EQ(accepted_by, listener);
  const auto& lns_events = pair.lns.observer().events();
  EXPECT_EQ(index_of(lns_events, EventKind::kTunnelAdded, lns_id), 0u);
  EXPECT_LT(index_of(lns_events, EventKind::kTunnelAdded, lns_id),
            index_of(lns_events, EventKind::kListenerAccepted, lns_id));

  // The initiator is up once it sends SCCCN, the responder once it receives it.
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(lac_id, ObjectState::kEstablished)),
            at(t0 + 2 * kDelay));
  EXPECT_EQ(at(pair.lns.observer().tunnel_reached(lns_id, ObjectState::kEstablished)),
            at(t0 + 3 * kDelay));

  const fsm::TunnelView lac = pair.lac.tunnel(lac_id);
  const fsm::TunnelView lns = pair.lns.tunnel(lns_id);
  EXPECT_EQ(lac.state, ObjectState::kEstablished);
  EXPECT_EQ(lac.peer_tunnel_id, lns_id);
  EXPECT_EQ(lac.peer_host_name, "lns.example");
  EXPECT_EQ(lac.peer, pair.lns_endpoint);
  EXPECT_EQ(lns.state, ObjectState::kEstablished);
  EXPECT_EQ(lns.role, fsm::Role::kResponder);
  EXPECT_EQ(lns.listener_id, listener);
  EXPECT_EQ(lns.peer_tunnel_id, lac_id);
  EXPECT_EQ(lns.peer_host_name, "lac.example");
  EXPECT_EQ(lns.local, pair.lns_endpoint);
  EXPECT_EQ(lns.peer, pair.lac_endpoint);
  EXPECT_EQ(lns.version, t.version);
  EXPECT_EQ(lns.encapsulation, t.encapsulation);

  // Exactly SCCRQ, SCCRP, SCCCN and the responder's acknowledgement, at once:
  // nothing of the responder's follows an SCCCN to carry it (each reply
  // before carried its acknowledgement, so no other ZLB or ACK went out).
  const auto& wire = pair.net.captured();
  ASSERT_EQ(wire.size(), 4u);
  const DecodedDatagram sccrp = decode_captured(wire[1]);
  ASSERT_TRUE(sccrp.is(MessageType::kSccrp)) << describe(sccrp);
  EXPECT_EQ(wire[1].from, &pair.lns);
  EXPECT_EQ(at(wire[1].sent_at), at(t0 + kDelay));
  EXPECT_EQ(wire[1].path.tunnel_id, lns_id);
  EXPECT_EQ(wire[1].path.local, pair.lns_endpoint);
  EXPECT_EQ(wire[1].path.peer, pair.lac_endpoint);
  EXPECT_EQ(sccrp.header.tunnel_id, lac_id);
  EXPECT_EQ(sccrp.header.ns, 0);
  EXPECT_EQ(sccrp.header.nr, 1);
  EXPECT_TRUE(wire::has_required_avps(*sccrp.message, t.version)) << describe(sccrp);
  EXPECT_EQ(assigned_id(*sccrp.message), lns_id);
  EXPECT_EQ(sccrp.message->host_name, "lns.example");

  const DecodedDatagram scccn = decode_captured(wire[2]);
  ASSERT_TRUE(scccn.is(MessageType::kScccn)) << describe(scccn);
  EXPECT_EQ(wire[2].from, &pair.lac);
  EXPECT_EQ(at(wire[2].sent_at), at(t0 + 2 * kDelay));
  EXPECT_EQ(wire[2].path.tunnel_id, lac_id);
  EXPECT_EQ(scccn.header.tunnel_id, lns_id);
  EXPECT_EQ(scccn.header.ns, 1);
  EXPECT_EQ(scccn.header.nr, 1);

  const DecodedDatagram ack = decode_captured(wire[3]);
  EXPECT_TRUE(ack.is_ack()) << describe(ack);
  EXPECT_EQ(wire[3].from, &pair.lns);
  EXPECT_EQ(at(wire[3].sent_at), at(t0 + 3 * kDelay));
  EXPECT_EQ(ack.header.tunnel_id, lac_id);
  EXPECT_EQ(ack.header.nr, 2);

  const auto listener_view = pair.lns.engine().listener(listener);
  ASSERT_TRUE(listener_view);
  EXPECT_THAT(listener_view->tunnels, ::testing::ElementsAre(lns_id));
  EXPECT_EQ(listener_view->accepted, 1u);
  EXPECT_EQ(listener_view->rejected, 0u);
  EXPECT_THAT(pair.lac.engine().tunnel_ids(), ::testing::ElementsAre(lac_id));
  EXPECT_THAT(pair.lns.engine().tunnel_ids(), ::testing::ElementsAre(lns_id));
}

// L2TPIP has no ports, so only UDP can learn one.
class UdpTunnelTest : public TunnelTest {};
INSTANTIATE_TEST_SUITE_P(UdpTransports, UdpTunnelTest, ::testing::ValuesIn(udp_transports()),
                         transport_name);

TEST_P(UdpTunnelTest, InitiatorLearnsThePeerEndpointFromTheSccrp) {
  // The LNS answers from another port, as a port-translating box makes it.
  pair.net.translate_port(pair.lns, 1701, 40000);
  const TunnelPair tunnels = pair.establish();
  const fsm::Endpoint answered_from = pair.lns_endpoint.with_port(40000);
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).peer, answered_from);
  const auto scccn = sent_messages(pair.net, pair.lac, MessageType::kScccn);
  ASSERT_EQ(scccn.size(), 1u);
  EXPECT_EQ(scccn[0]->path.peer, answered_from);
}

TEST_P(TunnelTest, SecondTunnelToTheSamePeerIsIndependent) {
  const TunnelPair first = pair.establish();
  const std::uint32_t second =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(1s);
  EXPECT_NE(second, first.lac);
  EXPECT_EQ(pair.lac.tunnel_count(ObjectState::kEstablished), 2u);
  EXPECT_EQ(pair.lns.tunnel_count(ObjectState::kEstablished), 2u);
  EXPECT_EQ(pair.lac.tunnel(first.lac).state, ObjectState::kEstablished);
}

TEST_P(TunnelTest, WildcardListenerAnswersFromTheAddressTheRequestArrivedOn) {
  fsm::ListenerConfig config = pair.listener_config();
  config.local = GetParam().ipv6 ? fsm::Endpoint::ipv6({}, pair.lns_endpoint.port)
                                 : fsm::Endpoint::ipv4({0, 0, 0, 0}, pair.lns_endpoint.port);
  const TunnelPair tunnels = pair.establish(pair.tunnel_config(), config);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).local, pair.lns_endpoint);
  const auto sccrp = sent_messages(pair.net, pair.lns, MessageType::kSccrp);
  ASSERT_EQ(sccrp.size(), 1u);
  EXPECT_EQ(sccrp[0]->path.local, pair.lns_endpoint);
}

// ---- Teardown ----------------------------------------------------------------------

TEST_P(TunnelTest, CloseFromInitiatorSendsStopccnAndBothSidesEnd) {
  const TunnelPair tunnels = pair.establish();
  const std::size_t before = pair.net.captured().size();
  const TimePoint t1 = pair.net.now();
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "close_tunnel");

  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kClosing);
  ASSERT_EQ(pair.net.captured().size(), before + 1);
  const DecodedDatagram stop = decode_captured(pair.net.captured().back());
  ASSERT_TRUE(stop.is(MessageType::kStopccn)) << describe(stop);
  EXPECT_EQ(stop.header.tunnel_id, tunnels.lns);
  EXPECT_TRUE(wire::has_required_avps(*stop.message, GetParam().version));
  ASSERT_TRUE(stop.message->result_code);
  EXPECT_EQ(stop.message->result_code->result, 1);
  EXPECT_EQ(assigned_id(*stop.message), tunnels.lac);

  pair.net.advance(kDelay);
  // The receiver ends at once.
  EXPECT_FALSE(pair.lns.engine().tunnel(tunnels.lns));
  EXPECT_EQ(pair.lns.observer().count(EventKind::kTunnelRemoved, tunnels.lns), 1u);
  EXPECT_EQ(at(pair.lns.observer().tunnel_reached(tunnels.lns, ObjectState::kClosed)),
            at(t1 + kDelay));
  const auto lns_final = pair.lns.observer().last_tunnel(tunnels.lns);
  ASSERT_TRUE(lns_final);
  EXPECT_EQ(lns_final->last_result.result, 1) << describe(lns_final->last_result);
  // ...but keeps its path to acknowledge retransmitted StopCCNs for a while.
  EXPECT_THAT(pair.lns.released_tunnels(), ::testing::IsEmpty());

  // The sender once the acknowledgement is back.
  pair.net.advance(kDelay);
  EXPECT_FALSE(pair.lac.engine().tunnel(tunnels.lac));
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(tunnels.lac, ObjectState::kClosed)),
            at(t1 + 2 * kDelay));
  EXPECT_EQ(pair.lac.observer().count(EventKind::kTunnelRemoved, tunnels.lac), 1u);
  const auto lac_final = pair.lac.observer().last_tunnel(tunnels.lac);
  ASSERT_TRUE(lac_final);
  EXPECT_EQ(lac_final->last_result.result, 1) << describe(lac_final->last_result);
  const auto states = pair.lac.observer().tunnel_states(tunnels.lac);
  ASSERT_GE(states.size(), 3u);
  EXPECT_THAT(std::vector(states.end() - 3, states.end()),
              ::testing::ElementsAre(ObjectState::kEstablished, ObjectState::kClosing,
                                     ObjectState::kClosed));

  pair.net.advance(2min);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kStopccn), 1u);
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
  // Both let go of their paths (the daemon closes the sockets then), the
  // receiver after its hold period.
  EXPECT_THAT(pair.lac.released_tunnels(), ::testing::ElementsAre(tunnels.lac));
  EXPECT_THAT(pair.lns.released_tunnels(), ::testing::ElementsAre(tunnels.lns));
}

TEST_P(TunnelTest, CloseFromResponderSendsStopccnAndBothSidesEnd) {
  const TunnelPair tunnels = pair.establish();
  const TimePoint t1 = pair.net.now();
  expect_ok(pair.lns.engine().close_tunnel(tunnels.lns), "close_tunnel");
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kClosing);
  const DecodedDatagram stop = decode_captured(pair.net.captured().back());
  ASSERT_TRUE(stop.is(MessageType::kStopccn)) << describe(stop);
  EXPECT_EQ(stop.header.tunnel_id, tunnels.lac);
  ASSERT_TRUE(stop.message->result_code);
  EXPECT_EQ(stop.message->result_code->result, 1);
  EXPECT_EQ(assigned_id(*stop.message), tunnels.lns);

  pair.net.advance(2 * kDelay);
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(tunnels.lac, ObjectState::kClosed)),
            at(t1 + kDelay));
  EXPECT_EQ(at(pair.lns.observer().tunnel_reached(tunnels.lns, ObjectState::kClosed)),
            at(t1 + 2 * kDelay));
  EXPECT_EQ(pair.lac.observer().last_tunnel(tunnels.lac)->last_result.result, 1);
  EXPECT_EQ(pair.lns.observer().last_tunnel(tunnels.lns)->last_result.result, 1);
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
}

TEST_P(TunnelTest, StopccnsCrossingEndBothSides) {
  const TunnelPair tunnels = pair.establish();
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "close_tunnel lac");
  expect_ok(pair.lns.engine().close_tunnel(tunnels.lns), "close_tunnel lns");
  pair.net.advance(1s);
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
  EXPECT_EQ(pair.lac.observer().last_tunnel(tunnels.lac)->last_result.result, 1);
  EXPECT_EQ(pair.lns.observer().last_tunnel(tunnels.lns)->last_result.result, 1);
  EXPECT_EQ(pair.lac.observer().count(EventKind::kTunnelRemoved), 1u);
  EXPECT_EQ(pair.lns.observer().count(EventKind::kTunnelRemoved), 1u);
}

TEST_P(TunnelTest, CloseOfAClosingTunnelIsANoOp) {
  const TunnelPair tunnels = pair.establish();
  pair.net.cut(pair.lac, pair.lns);  // keep it closing
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "first close");
  const std::size_t before = pair.net.captured().size();
  const auto second = pair.lac.engine().close_tunnel(tunnels.lac);
  EXPECT_TRUE(second.has_value()) << to_string(second.error());
  EXPECT_EQ(pair.net.captured().size(), before);
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kClosing);
}

TEST_P(TunnelTest, CloseOfAnUnknownTunnelIsNotFound) {
  const auto answer = pair.lac.engine().close_tunnel(12345);
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().code, fsm::ErrorCode::kNotFound);
}

TEST_P(TunnelTest, InitiatorClosingBeforeTheSccrpLeavesNothingOnEitherSide) {
  pair.listen();
  const std::uint32_t lac_id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  expect_ok(pair.lac.engine().close_tunnel(lac_id), "close_tunnel");
  EXPECT_EQ(pair.lac.tunnel(lac_id).state, ObjectState::kClosing);
  // Whatever the responder made of the SCCRQ ends within its own give-up time.
  pair.net.advance(retransmission_give_up(channel) + 1s);
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
  const auto final_view = pair.lac.observer().last_tunnel(lac_id);
  ASSERT_TRUE(final_view);
  EXPECT_EQ(final_view->state, ObjectState::kClosed);
  EXPECT_EQ(final_view->last_result.result, 1) << describe(final_view->last_result);
  EXPECT_FALSE(pair.lac.observer().tunnel_reached(lac_id, ObjectState::kEstablished));
}

TEST_P(TunnelTest, ResponderClosingBeforeTheScccnEndsBothSides) {
  pair.listen();
  const std::uint32_t lac_id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  // The SCCRP is on its way, the SCCCN not yet back.
  pair.net.advance(kDelay + kDelay / 2);
  const std::uint32_t lns_id = pair.accepted_tunnel();
  ASSERT_EQ(pair.lns.tunnel(lns_id).state, ObjectState::kConnecting);
  expect_ok(pair.lns.engine().close_tunnel(lns_id), "close_tunnel");
  EXPECT_EQ(pair.lns.tunnel(lns_id).state, ObjectState::kClosing);
  pair.net.advance(10s);
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
  EXPECT_EQ(pair.lns.observer().last_tunnel(lns_id)->last_result.result, 1);
  EXPECT_EQ(pair.lac.observer().last_tunnel(lac_id)->last_result.result, 1);
  EXPECT_FALSE(pair.lns.observer().tunnel_reached(lns_id, ObjectState::kEstablished));
}

TEST_P(TunnelTest, ClosingATunnelRemovesItsSessionsFirstWithoutCdns) {
  const TunnelPair tunnels = pair.establish();
  const SessionPair one = pair.open_session(tunnels, {});
  const SessionPair two = pair.open_session(tunnels, {});
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "close_tunnel");
  pair.net.advance(1s);
  // A StopCCN clears the sessions implicitly (RFC 2661 §6.4, RFC 3931 §6.4).
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kCdn), 0u);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kCdn), 0u);
  for (const SessionPair& s : {one, two}) {
    EXPECT_TRUE(pair.lac.observer().session_removed_seen(tunnels.lac, s.lac));
    EXPECT_TRUE(pair.lns.observer().session_removed_seen(tunnels.lns, s.lns));
  }
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
  // The order (sessions before their tunnel) is checked by problems() in TearDown.
}

// ---- Dead peers ------------------------------------------------------------------

TEST_P(TunnelTest, UnansweredSccrqEndsWithResultTwoAfterTheRetransmissionSchedule) {
  pair.listen();
  pair.net.cut(pair.lac, pair.lns);
  const TimePoint t0 = pair.net.now();
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  const Duration give_up = retransmission_give_up(channel);
  ASSERT_EQ(give_up, 31s);
  pair.net.advance(give_up - 1ms);
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kConnecting);
  std::vector<Duration> sent_after;
  for (const CapturedDatagram* c : sent_messages(pair.net, pair.lac, MessageType::kSccrq))
    sent_after.push_back(std::chrono::duration_cast<Duration>(c->sent_at - t0));
  EXPECT_THAT(sent_after, ::testing::ElementsAre(0s, 1s, 3s, 7s, 15s, 23s));

  pair.net.advance(1ms);
  EXPECT_FALSE(pair.lac.engine().tunnel(id));
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(id, ObjectState::kClosed)), at(t0 + give_up));
  const auto final_view = pair.lac.observer().last_tunnel(id);
  ASSERT_TRUE(final_view);
  EXPECT_EQ(final_view->last_result.result, 2) << describe(final_view->last_result);
  EXPECT_EQ(final_view->retransmits, 5u);
}

TEST_P(TunnelTest, PeerLostWhileEstablishedEndsTheTunnelWithResultTwo) {
  const TunnelPair tunnels = pair.establish();
  pair.net.cut(pair.lac, pair.lns);
  const TimePoint t1 = pair.net.now();
  expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create_session");
  const Duration give_up = retransmission_give_up(channel);
  pair.net.advance(give_up - 1ms);
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kIcrq), 6u);
  pair.net.advance(1ms);
  EXPECT_FALSE(pair.lac.engine().tunnel(tunnels.lac));
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(tunnels.lac, ObjectState::kClosed)),
            at(t1 + give_up));
  EXPECT_EQ(pair.lac.observer().last_tunnel(tunnels.lac)->last_result.result, 2);
  EXPECT_EQ(pair.lac.observer().count(EventKind::kSessionRemoved), 1u);
}

TEST_P(TunnelTest, PeerLostWhileClosingEndsTheTunnelAfterTheRetransmissionSchedule) {
  const TunnelPair tunnels = pair.establish();
  pair.net.cut(pair.lac, pair.lns);
  const TimePoint t1 = pair.net.now();
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "close_tunnel");
  const Duration give_up = retransmission_give_up(channel);
  pair.net.advance(give_up - 1ms);
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kClosing);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kStopccn), 6u);
  pair.net.advance(1ms);
  EXPECT_FALSE(pair.lac.engine().tunnel(tunnels.lac));
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(tunnels.lac, ObjectState::kClosed)),
            at(t1 + give_up));
}

// ---- HELLO ------------------------------------------------------------------------

class HelloTest : public TunnelTest {
 protected:
  static constexpr Duration kHello{10000};
  TunnelPair establish_with_hello() {
    fsm::TunnelConfig config = pair.tunnel_config();
    config.control.channel.hello_interval = kHello;
    fsm::ListenerConfig listener = pair.listener_config();
    listener.control.channel.hello_interval = kHello;
    t0 = pair.net.now();
    return pair.establish(config, listener);
  }
  TimePoint t0{};
};

INSTANTIATE_TEST_SUITE_P(AllTransports, HelloTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

TEST_P(HelloTest, ResponderSendsHelloAfterTheIdleIntervalAndItIsAcknowledged) {
  const TunnelPair tunnels = establish_with_hello();
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).hello_interval, kHello);
  // The responder last heard from the initiator when the SCCCN arrived.
  pair.net.advance(kHello);
  const auto hellos = sent_messages(pair.net, pair.lns, MessageType::kHello);
  ASSERT_EQ(hellos.size(), 1u);
  EXPECT_EQ(at(hellos[0]->sent_at), at(t0 + 3 * kDelay + kHello));
  const DecodedDatagram hello = decode_captured(*hellos[0]);
  EXPECT_EQ(hello.header.tunnel_id, tunnels.lac);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).hello_tx, 1u);

  pair.net.advance(1s);
  // The initiator acknowledged it (a ZLB/ACK or a piggybacked Nr).
  bool acknowledged = false;
  for (const CapturedDatagram& c : pair.net.captured())
    if (c.from == &pair.lac && c.sent_at > hellos[0]->sent_at &&
        decode_captured(c).header.nr == static_cast<std::uint16_t>(hello.header.ns + 1))
      acknowledged = true;
  EXPECT_TRUE(acknowledged);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).retransmits, 0u);

  // Ten quiet minutes later both are still up, and the counters match the wire.
  pair.net.advance(10min);
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).hello_tx,
            count_sent(pair.net, pair.lns, MessageType::kHello));
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).hello_tx,
            count_sent(pair.net, pair.lac, MessageType::kHello));
  EXPECT_GE(pair.lns.tunnel(tunnels.lns).hello_tx + pair.lac.tunnel(tunnels.lac).hello_tx, 1u);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kStopccn) +
                count_sent(pair.net, pair.lns, MessageType::kStopccn),
            0u);
}

TEST_P(HelloTest, UnansweredHelloTearsTheTunnelDownWithResultTwo) {
  const TunnelPair tunnels = establish_with_hello();
  pair.net.cut(pair.lac, pair.lns);
  const Duration give_up = retransmission_give_up(pair.tunnel_config().control.channel);
  pair.net.advance(kHello + give_up + 1s);
  for (Node* node : {&pair.lac, &pair.lns}) {
    const std::uint32_t id = node == &pair.lac ? tunnels.lac : tunnels.lns;
    SCOPED_TRACE(node->name());
    const auto hellos = sent_messages(pair.net, *node, MessageType::kHello);
    ASSERT_FALSE(hellos.empty());
    EXPECT_FALSE(node->engine().tunnel(id));
    EXPECT_EQ(at(node->observer().tunnel_reached(id, ObjectState::kClosed)),
              at(hellos.front()->sent_at + give_up));
    EXPECT_EQ(node->observer().last_tunnel(id)->last_result.result, 2);
  }
  EXPECT_EQ(at(sent_messages(pair.net, pair.lns, MessageType::kHello).front()->sent_at),
            at(t0 + 3 * kDelay + kHello));
}

// ---- Tie breaking -------------------------------------------------------------------

TEST_P(TunnelTest, SimultaneousSccrqsLeaveExactlyOneTunnelEstablishedOnEachSide) {
  pair.listen();
  fsm::ListenerConfig lac_listener = pair.listener_config();
  lac_listener.local = pair.lac_endpoint;
  expect_ok(pair.lac.engine().listen(lac_listener), "listen on the LAC");
  fsm::TunnelConfig reverse = pair.tunnel_config();
  reverse.local = pair.lns_endpoint;
  reverse.peer = pair.lac_endpoint;

  const std::uint32_t from_lac =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel lac");
  const std::uint32_t from_lns =
      expect_ok(pair.lns.engine().create_tunnel(reverse), "create_tunnel lns");
  pair.net.advance(5s);

  ASSERT_EQ(pair.lac.tunnel_count(), 1u);
  ASSERT_EQ(pair.lns.tunnel_count(), 1u);
  const fsm::TunnelView a = pair.lac.tunnel(pair.lac.engine().tunnel_ids()[0]);
  const fsm::TunnelView b = pair.lns.tunnel(pair.lns.engine().tunnel_ids()[0]);
  EXPECT_EQ(a.state, ObjectState::kEstablished);
  EXPECT_EQ(b.state, ObjectState::kEstablished);
  EXPECT_EQ(a.peer_tunnel_id, b.tunnel_id);
  EXPECT_EQ(b.peer_tunnel_id, a.tunnel_id);
  // One initiated tunnel won; the other side's own attempt is closed and gone.
  const bool lac_won = a.tunnel_id == from_lac;
  EXPECT_EQ(lac_won, b.tunnel_id != from_lns);
  EXPECT_EQ(a.role, lac_won ? fsm::Role::kInitiator : fsm::Role::kResponder);
  EXPECT_EQ(b.role, lac_won ? fsm::Role::kResponder : fsm::Role::kInitiator);
  const Node& loser = lac_won ? pair.lns : pair.lac;
  const std::uint32_t lost = lac_won ? from_lns : from_lac;
  EXPECT_TRUE(loser.observer().tunnel_removed_seen(lost));
  EXPECT_EQ(loser.observer().last_tunnel(lost)->state, ObjectState::kClosed);

  pair.net.advance(3min);  // and it stays that way
  EXPECT_EQ(pair.lac.tunnel(a.tunnel_id).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.tunnel(b.tunnel_id).state, ObjectState::kEstablished);
}

// ---- Duplicates -----------------------------------------------------------------------

TEST_P(TunnelTest, DuplicatedSccrqCreatesOneTunnel) {
  pair.listen();
  bool duplicated = false;
  pair.net.set_tamper([&](const CapturedDatagram& c) -> std::vector<wire::Bytes> {
    if (!duplicated && c.from == &pair.lac && decode_captured(c).is(MessageType::kSccrq)) {
      duplicated = true;
      return {c.bytes, c.bytes};
    }
    return {c.bytes};
  });
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(2s);
  ASSERT_TRUE(duplicated);
  EXPECT_EQ(pair.lns.observer().count(EventKind::kTunnelAdded), 1u);
  EXPECT_EQ(pair.lns.observer().accepted().size(), 1u);
  EXPECT_EQ(pair.lns.tunnel_count(ObjectState::kEstablished), 1u);
  EXPECT_EQ(pair.lns.tunnel_count(), 1u);
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kEstablished);
}

TEST_P(TunnelTest, LateCopyOfTheSccrqCreatesNoSecondTunnel) {
  // A copy delayed by the network past the whole handshake (seen in the lossy
  // scenarios): the tunnel it asks for already exists.
  const TunnelPair tunnels = pair.establish();
  const CapturedDatagram& sccrq = pair.net.captured().front();
  ASSERT_TRUE(decode_captured(sccrq).is(MessageType::kSccrq));
  pair.net.inject(pair.lns, sccrq.bytes, pair.lns_endpoint, pair.lac_endpoint,
                  GetParam().encapsulation);
  pair.net.advance(1s);
  EXPECT_EQ(pair.lns.observer().count(EventKind::kTunnelAdded), 1u);
  EXPECT_EQ(pair.lns.tunnel_count(), 1u);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kSccrp), 1u);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
}

TEST_P(TunnelTest, RetransmittedSccrqCreatesOneTunnel) {
  pair.listen();
  bool dropped = false;
  pair.net.set_tamper([&](const CapturedDatagram& c) -> std::vector<wire::Bytes> {
    if (!dropped && c.from == &pair.lns && decode_captured(c).is(MessageType::kSccrp)) {
      dropped = true;
      return {};
    }
    return {c.bytes};
  });
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(3s);
  ASSERT_TRUE(dropped);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kSccrq), 2u);
  EXPECT_EQ(pair.lns.observer().count(EventKind::kTunnelAdded), 1u);
  EXPECT_EQ(pair.lns.tunnel_count(), 1u);
  EXPECT_EQ(pair.lns.tunnel_count(ObjectState::kEstablished), 1u);
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kEstablished);
}

// ---- Ids, limits and listeners -------------------------------------------------------

TEST_P(TunnelTest, CreateTunnelWithAnIdInUseIsRefusedWithExists) {
  fsm::TunnelConfig config = pair.tunnel_config();
  config.tunnel_id = 4242;
  EXPECT_EQ(expect_ok(pair.lac.engine().create_tunnel(config), "first"), 4242u);
  const auto again = pair.lac.engine().create_tunnel(config);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, fsm::ErrorCode::kExists);
  EXPECT_EQ(pair.lac.observer().count(EventKind::kTunnelAdded), 1u);
  EXPECT_EQ(pair.lac.tunnel_count(), 1u);
}

TEST_P(TunnelTest, GeneratedTunnelIdsAreUniqueAndInRange) {
  // The peer never answers; only the ids matter. 3000 random 16-bit ids
  // collide many times over (birthday bound), so collisions must be handled.
  fsm::TunnelConfig config = pair.tunnel_config();
  config.peer = GetParam().ipv6 ? ipv6(200, pair.lns_endpoint.port)
                                : fsm::Endpoint::ipv4({198, 51, 100, 1}, pair.lns_endpoint.port);
  std::set<std::uint32_t> ids;
  for (int i = 0; i < 3000; ++i) {
    const std::uint32_t id = expect_ok(pair.lac.engine().create_tunnel(config), "create_tunnel");
    EXPECT_NE(id, 0u);
    if (GetParam().version == ProtocolVersion::kV2) {
      EXPECT_LE(id, 65535u);
    }
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 3000u);
  EXPECT_EQ(pair.lac.tunnel_count(), 3000u);
}

TEST_P(TunnelTest, TunnelsBeyondTheLimitAreRefused) {
  fsm::EngineLimits limits;
  limits.max_tunnels = 3;
  Node& node = pair.net.add_node({"limited", {ipv4(9, 0), ipv6(9, 0)}, 9, limits});
  fsm::TunnelConfig config = pair.tunnel_config();
  config.local = endpoint_for(GetParam(), 9);
  for (int i = 0; i < 3; ++i) expect_ok(node.engine().create_tunnel(config), "create_tunnel");
  const auto refused = node.engine().create_tunnel(config);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, fsm::ErrorCode::kLimitExceeded);
  EXPECT_EQ(node.tunnel_count(), 3u);
}

TEST_P(TunnelTest, SecondListenerOnTheSameEndpointIsRefusedWithExists) {
  pair.listen();
  const auto again = pair.lns.engine().listen(pair.listener_config());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, fsm::ErrorCode::kExists);
  EXPECT_EQ(pair.lns.engine().listener_ids().size(), 1u);
}

TEST_P(TunnelTest, ClosedListenerKeepsItsTunnelsAndAcceptsNoMore) {
  const TunnelPair tunnels = pair.establish();
  const std::uint32_t listener = pair.lns.engine().listener_ids().at(0);
  expect_ok(pair.lns.engine().close_listener(listener), "close_listener");
  EXPECT_FALSE(pair.lns.engine().listener(listener));
  EXPECT_TRUE(pair.lns.engine().listener_ids().empty());
  const std::uint64_t unknown_before = pair.lns.engine().stats().unknown_tunnel;

  const std::uint32_t late =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(1500ms);  // the SCCRQ and its first retransmission arrived
  EXPECT_EQ(pair.lns.engine().stats().unknown_tunnel, unknown_before + 2);
  EXPECT_EQ(pair.lns.tunnel_count(), 1u);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lac.tunnel(late).state, ObjectState::kConnecting);
  const auto close_again = pair.lns.engine().close_listener(listener);
  ASSERT_FALSE(close_again.has_value());
  EXPECT_EQ(close_again.error().code, fsm::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace l2tp::testing
