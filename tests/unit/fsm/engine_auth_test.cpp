// Shared secrets through the Engine's public API: L2TPv2 tunnel
// authentication (Challenge / Challenge Response, RFC 2661 §4.2), the L2TPv3
// Message Digest (RFC 3931 §4.3), and hidden AVPs (RFC 2661 §4.3, RFC 3931
// §5.3) checked on the wire with the codec.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_harness.h"
#include "wire/avp.h"
#include "wire/security.h"

namespace l2tp::testing {
namespace {

using fsm::ObjectState;
using wire::Bytes;
using wire::MessageType;
using wire::ProtocolVersion;
using namespace std::chrono_literals;

constexpr Duration kDelay{10};

std::string transport_name(const ::testing::TestParamInfo<Transport>& info) {
  return name_of(info.param);
}

Bytes secret_of(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

class SecretTest : public ::testing::TestWithParam<Transport> {
 protected:
  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }

  fsm::TunnelConfig tunnel(const std::string& secret, bool hide = false) const {
    fsm::TunnelConfig config = pair.tunnel_config();
    config.control.secret = secret_of(secret);
    config.control.hide_avps = hide;
    return config;
  }
  fsm::ListenerConfig listener(const std::string& secret, bool hide = false) const {
    fsm::ListenerConfig config = pair.listener_config();
    config.control.secret = secret_of(secret);
    config.control.hide_avps = hide;
    return config;
  }
  DecodedDatagram only(const Node& from, MessageType type, const Bytes& secret = {}) const {
    const auto sent = sent_messages(pair.net, from, type, secret);
    if (sent.size() != 1)
      throw HarnessError(from.name() + " sent " + std::to_string(sent.size()) + " " +
                         wire::to_string(type));
    return decode_captured(*sent[0], secret);
  }

  LacLns pair{{.transport = GetParam()}};
};

// ---- L2TPv2 tunnel authentication ---------------------------------------------------

class V2SecretTest : public SecretTest {};
INSTANTIATE_TEST_SUITE_P(V2, V2SecretTest, ::testing::ValuesIn(v2_transports()), transport_name);

TEST_P(V2SecretTest, ChallengesAreAnsweredBothWaysWithTheSharedSecret) {
  const Bytes secret = secret_of("correct horse");
  const TunnelPair tunnels = pair.establish(tunnel("correct horse"), listener("correct horse"));
  const DecodedDatagram sccrq = only(pair.lac, MessageType::kSccrq);
  const DecodedDatagram sccrp = only(pair.lns, MessageType::kSccrp);
  const DecodedDatagram scccn = only(pair.lac, MessageType::kScccn);
  ASSERT_TRUE(sccrq.message->challenge);
  ASSERT_TRUE(sccrp.message->challenge);
  ASSERT_TRUE(sccrp.message->challenge_response);
  ASSERT_TRUE(scccn.message->challenge_response);
  EXPECT_EQ(*sccrp.message->challenge_response,
            wire::challenge_response(2, secret, *sccrq.message->challenge));
  EXPECT_EQ(*scccn.message->challenge_response,
            wire::challenge_response(3, secret, *sccrp.message->challenge));
  EXPECT_NE(*sccrq.message->challenge, *sccrp.message->challenge);
  EXPECT_EQ(pair.lac.engine().stats().authentication_failures, 0u);
  EXPECT_EQ(pair.lns.engine().stats().authentication_failures, 0u);
  pair.open_session(tunnels, {});
}

TEST_P(V2SecretTest, MismatchedSecretsEndBothTunnelsWithResultFour) {
  pair.listen(listener("lns secret"));
  const std::uint32_t lac_id =
      expect_ok(pair.lac.engine().create_tunnel(tunnel("lac secret")), "create_tunnel");
  pair.net.advance(2s);
  const std::uint32_t lns_id = pair.accepted_tunnel();
  // The initiator finds the SCCRP's response wrong and stops the tunnel.
  const DecodedDatagram stop = only(pair.lac, MessageType::kStopccn);
  ASSERT_TRUE(stop.message->result_code);
  EXPECT_EQ(stop.message->result_code->result, 4);
  EXPECT_EQ(pair.lac.engine().stats().authentication_failures, 1u);
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
  EXPECT_EQ(pair.lac.observer().last_tunnel(lac_id)->last_result.result, 4);
  EXPECT_EQ(pair.lns.observer().last_tunnel(lns_id)->last_result.result, 4);
  EXPECT_FALSE(pair.lac.observer().tunnel_reached(lac_id, ObjectState::kEstablished));
  EXPECT_FALSE(pair.lns.observer().tunnel_reached(lns_id, ObjectState::kEstablished));
}

TEST_P(V2SecretTest, ASecretOnOneSideOnlyNeverEstablishes) {
  for (const bool secret_on_lac : {true, false}) {
    SCOPED_TRACE(secret_on_lac ? "only the LAC has a secret" : "only the LNS has a secret");
    LacLns fresh({.transport = GetParam()});
    fresh.listen(secret_on_lac ? fresh.listener_config() : listener("lns secret"));
    fsm::TunnelConfig config = secret_on_lac ? tunnel("lac secret") : fresh.tunnel_config();
    const std::uint32_t lac_id =
        expect_ok(fresh.lac.engine().create_tunnel(config), "create_tunnel");
    fresh.net.advance(40s);
    EXPECT_EQ(fresh.lac.tunnel_count() + fresh.lns.tunnel_count(), 0u);
    EXPECT_EQ(fresh.lac.observer().last_tunnel(lac_id)->last_result.result, 4);
    // The responder may refuse before it accepts anything; what it accepted ends with 4.
    for (const std::uint32_t lns_id : fresh.lns.observer().tunnels_added()) {
      EXPECT_EQ(fresh.lns.observer().last_tunnel(lns_id)->last_result.result, 4);
      EXPECT_FALSE(fresh.lns.observer().tunnel_reached(lns_id, ObjectState::kEstablished));
    }
    // On a perfect link the one StopCCN is acknowledged at once: never repeated.
    EXPECT_EQ(count_sent(fresh.net, fresh.lac, MessageType::kStopccn) +
                  count_sent(fresh.net, fresh.lns, MessageType::kStopccn),
              1u);
    EXPECT_EQ(fresh.net.problems(), "");
  }
}

// ---- L2TPv3 Message Digest -----------------------------------------------------------

class V3SecretTest : public SecretTest {};
INSTANTIATE_TEST_SUITE_P(V3, V3SecretTest, ::testing::ValuesIn(v3_transports()), transport_name);

TEST_P(V3SecretTest, EveryMessageCarriesAMessageDigest) {
  for (const wire::DigestType type : {wire::DigestType::kHmacMd5, wire::DigestType::kHmacSha1}) {
    SCOPED_TRACE(type == wire::DigestType::kHmacMd5 ? "HMAC-MD5" : "HMAC-SHA1");
    LacLns fresh({.transport = GetParam()});
    fsm::TunnelConfig config = fresh.tunnel_config();
    config.control.secret = secret_of("digest secret");
    config.control.digest_type = type;
    config.control.channel.hello_interval = 5s;
    fsm::ListenerConfig listening = fresh.listener_config();
    listening.control.secret = secret_of("digest secret");
    listening.control.digest_type = type;
    const TunnelPair tunnels = fresh.establish(config, listening);
    const SessionPair session = fresh.open_session(tunnels, {});
    fresh.net.advance(12s);  // HELLOs and their acknowledgements
    expect_ok(fresh.lac.engine().close_session(tunnels.lac, session.lac), "close_session");
    fresh.net.advance(1s);
    expect_ok(fresh.lns.engine().close_tunnel(tunnels.lns), "close_tunnel");
    fresh.net.advance(1s);

    const std::size_t digest_size = type == wire::DigestType::kHmacMd5 ? 16 : 20;
    std::size_t hellos = 0;
    for (const CapturedDatagram& c : fresh.net.captured()) {
      const DecodedDatagram d = decode_captured(c);
      SCOPED_TRACE(describe(d));
      ASSERT_TRUE(d.message) << "a ZLB is not allowed with a secret (RFC 3931 §6.15)";
      ASSERT_EQ(d.message->digests.size(), 1u);
      EXPECT_EQ(d.message->digests[0].type, type);
      EXPECT_EQ(d.message->digests[0].digest.size(), digest_size);
      // Right after Message Type (RFC 3931 §5.4.1).
      ASSERT_GE(d.attribute_types.size(), 2u);
      EXPECT_EQ(d.attribute_types[1], 59);
      if (d.is(MessageType::kHello)) ++hellos;
    }
    EXPECT_GE(hellos, 1u);
    EXPECT_EQ(fresh.lac.engine().stats().authentication_failures, 0u);
    EXPECT_EQ(fresh.lns.engine().stats().authentication_failures, 0u);
    EXPECT_EQ(fresh.lac.tunnel_count() + fresh.lns.tunnel_count(), 0u);
    EXPECT_EQ(fresh.net.problems(), "");
  }
}

TEST_P(V3SecretTest, MessageWithAWrongDigestIsDroppedAndCounted) {
  const TunnelPair tunnels = pair.establish(tunnel("digest secret"), listener("digest secret"));
  bool corrupted = false;
  pair.net.set_tamper([&](const CapturedDatagram& c) -> std::vector<Bytes> {
    if (corrupted || c.from != &pair.lac || !decode_captured(c).is(MessageType::kIcrq))
      return {c.bytes};
    corrupted = true;
    // Flip the last digest byte: the Message Digest AVP follows Message Type.
    auto packet = wire::parse_packet(c.bytes, c.path.encapsulation);
    const auto& control = std::get<wire::ControlPacket>(*packet);
    const auto avps = wire::split_avps(control.avps);
    const wire::RawAvp& digest = avps->at(1);
    Bytes forged = c.bytes;
    forged[static_cast<std::size_t>(digest.value.data() - c.bytes.data()) + digest.value.size() -
           1] ^= 0x01;
    return {forged};
  });
  const TimePoint t1 = pair.net.now();
  const std::uint32_t id = expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create");
  pair.net.advance(kDelay);
  ASSERT_TRUE(corrupted);
  EXPECT_EQ(pair.lns.engine().stats().authentication_failures, 1u);
  EXPECT_TRUE(pair.lns.observer().sessions_added(tunnels.lns).empty());
  // The retransmission (sent unmodified) gets through a second later.
  pair.net.advance(2s);
  const std::uint32_t answer = LacLns::newest_session(pair.lns, tunnels.lns);
  ASSERT_NE(answer, 0u);
  EXPECT_EQ(pair.lns.observer().sessions_added(tunnels.lns).size(), 1u);
  EXPECT_EQ(at(pair.lns.observer().session_reached(tunnels.lns, answer, ObjectState::kEstablished)),
            at(t1 + 1s + 3 * kDelay));
  EXPECT_EQ(pair.lac.session(tunnels.lac, id).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.engine().stats().authentication_failures, 1u);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
}

TEST_P(V3SecretTest, LostSccrpMakesNoAuthenticationFailureOfTheLegitimatePeer) {
  // The initiator repeats its SCCRQ; whatever the responder answers must be
  // something the initiator can check (it has no responder nonce yet), or a
  // lossy link would count its own peer as an attacker.
  pair.listen(listener("digest secret"));
  int dropped = 0;  // the SCCRP and its first retransmission
  pair.net.set_tamper([&](const CapturedDatagram& c) -> std::vector<Bytes> {
    if (dropped < 2 && c.from == &pair.lns && decode_captured(c).is(MessageType::kSccrp)) {
      ++dropped;
      return {};
    }
    return {c.bytes};
  });
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(tunnel("digest secret")), "create_tunnel");
  pair.net.advance(5s);
  ASSERT_EQ(dropped, 2);
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lac.engine().stats().authentication_failures, 0u);
  EXPECT_EQ(pair.lns.engine().stats().authentication_failures, 0u);
}

TEST_P(V3SecretTest, MismatchedSecretsLeaveTheInitiatorTimingOutWithResultTwo) {
  pair.listen(listener("lns secret"));
  const TimePoint t0 = pair.net.now();
  const fsm::TunnelConfig config = tunnel("lac secret");
  const std::uint32_t lac_id = expect_ok(pair.lac.engine().create_tunnel(config), "create_tunnel");
  const Duration give_up = retransmission_give_up(config.control.channel);
  pair.net.advance(give_up + 1s);
  EXPECT_EQ(pair.lns.observer().count(EventKind::kTunnelAdded), 0u);
  EXPECT_EQ(pair.lns.engine().stats().authentication_failures, 6u);  // every SCCRQ copy
  EXPECT_FALSE(pair.lac.engine().tunnel(lac_id));
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(lac_id, ObjectState::kClosed)), at(t0 + give_up));
  EXPECT_EQ(pair.lac.observer().last_tunnel(lac_id)->last_result.result, 2);
}

// ---- Hidden AVPs ------------------------------------------------------------------------

INSTANTIATE_TEST_SUITE_P(AllTransports, SecretTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

std::uint32_t senders_session(const wire::Message& m) {
  if (m.assigned_session_id) return *m.assigned_session_id;
  if (m.local_session_id) return *m.local_session_id;
  return 0;
}

TEST_P(SecretTest, HiddenAvpsAreReallyHiddenOnTheWireAndTunnelsStillEstablish) {
  const Bytes secret = secret_of("hide me");
  const TunnelPair tunnels = pair.establish(tunnel("hide me", true), listener("hide me", true));
  const SessionPair session = pair.open_session(tunnels, {});

  // SCCRQ and SCCRP stay clear: a peer may choose the secret by the Host Name
  // they carry (xl2tpd does), so it could unhide nothing in them.
  for (const auto& [from, type] :
       {std::pair<const Node*, MessageType>{&pair.lac, MessageType::kSccrq},
        {&pair.lns, MessageType::kSccrp}}) {
    SCOPED_TRACE(wire::to_string(type));
    const auto sent = sent_messages(pair.net, *from, type, secret);
    ASSERT_EQ(sent.size(), 1u);
    const DecodedDatagram without_key = decode_captured(*sent[0]);
    EXPECT_FALSE(without_key.hidden_avps);
    EXPECT_TRUE(without_key.message);
  }

  struct Expectation {
    const Node& from;
    MessageType type;
    std::uint32_t id;  // the hidden session id the sender put in
  };
  for (const Expectation& e : {Expectation{pair.lac, MessageType::kIcrq, session.lac},
                               Expectation{pair.lns, MessageType::kIcrp, session.lns}}) {
    SCOPED_TRACE(wire::to_string(e.type));
    const auto sent = sent_messages(pair.net, e.from, e.type, secret);
    ASSERT_EQ(sent.size(), 1u);
    const DecodedDatagram without_key = decode_captured(*sent[0]);
    EXPECT_TRUE(without_key.hidden_avps);
    EXPECT_EQ(without_key.message_error, wire::WireError::kHiddenNoSecret);
    // A Random Vector comes before the first hidden AVP.
    EXPECT_THAT(without_key.attribute_types, ::testing::Contains(36));

    const DecodedDatagram wrong_key = decode_captured(*sent[0], secret_of("not the secret"));
    if (wrong_key.message) {
      EXPECT_NE(senders_session(*wrong_key.message), e.id);
    }
    const DecodedDatagram right_key = decode_captured(*sent[0], secret);
    ASSERT_TRUE(right_key.message) << wire::to_string(*right_key.message_error);
    EXPECT_EQ(senders_session(*right_key.message), e.id);
  }
}

}  // namespace
}  // namespace l2tp::testing
