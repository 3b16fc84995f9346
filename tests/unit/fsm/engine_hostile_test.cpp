// Hostile and unusual input through Engine::receive: the bug classes of
// architecture.md ("Hostile input") and what real peers send that strict
// implementations refuse. The engine must count, drop or answer as the RFCs
// say, and change nothing else.
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
using wire::WireError;
using namespace std::chrono_literals;

constexpr Duration kDelay{10};
constexpr std::uint16_t kUnknownIetfAttribute = 1000;  // unassigned in both RFCs

std::string transport_name(const ::testing::TestParamInfo<Transport>& info) {
  return name_of(info.param);
}

std::uint64_t wire_errors(const fsm::Engine& engine, WireError error) {
  return engine.stats().wire_errors[static_cast<int>(error)];
}

class HostileTest : public ::testing::TestWithParam<Transport> {
 protected:
  void TearDown() override { EXPECT_EQ(pair.net.problems(), ""); }
  bool v2() const { return GetParam().version == ProtocolVersion::kV2; }

  // A message as the LAC's next in order would look on the LNS's tunnel.
  Bytes next_from_lac(const TunnelPair& tunnels, Bytes avps, std::uint16_t session_id = 0) {
    const SequenceNumbers seq =
        next_sequence(pair.net, pair.lac, tunnels.lac, pair.lns, tunnels.lns);
    return frame(GetParam().version, GetParam().encapsulation, tunnels.lns, session_id, seq, avps);
  }
  void inject_at_lns(wire::ByteView bytes) {
    pair.net.inject(pair.lns, bytes, pair.lns_endpoint, pair.lac_endpoint,
                    GetParam().encapsulation);
  }
  // Drop-in replacement of one datagram of `from` carrying `type` by `rewrite`.
  void tamper_first(const Node& from, MessageType type,
                    std::function<Bytes(const CapturedDatagram&)> rewrite) {
    auto done = std::make_shared<bool>(false);
    pair.net.set_tamper([&from, type, rewrite, done](const CapturedDatagram& c) {
      if (*done || c.from != &from || !decode_captured(c).is(type))
        return std::vector<Bytes>{c.bytes};
      *done = true;
      return std::vector<Bytes>{rewrite(c)};
    });
  }

  LacLns pair{{.transport = GetParam()}};
};

INSTANTIATE_TEST_SUITE_P(AllTransports, HostileTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

// ---- Data packets on the control path ------------------------------------------------

TEST_P(HostileTest, DataPacketsOnTheControlPathAreCountedAndChangeNothing) {
  const TunnelPair tunnels = pair.establish();
  const SessionPair session = pair.open_session(tunnels, {});
  const Bytes payload{0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04};
  Bytes data;
  if (v2()) {
    // T=0, L=0, Ver=2; Tunnel ID; Session ID (RFC 2661 §3.1).
    data = concat({u16_value(0x0002), u16_value(static_cast<std::uint16_t>(tunnels.lns)),
                   u16_value(static_cast<std::uint16_t>(session.lns)), payload});
  } else if (GetParam().encapsulation == wire::Encapsulation::kUdp) {
    // T=0, Ver=3, reserved; Session ID (RFC 3931 §4.1.2.1).
    data = concat({u16_value(0x0003), u16_value(0), u32_value(session.lns), payload});
  } else {
    data = concat({u32_value(session.lns), payload});  // a non-zero Session ID (§4.1.1.1)
  }
  const std::size_t datagrams = pair.net.captured().size();
  const fsm::EngineStats before = pair.lns.engine().stats();
  for (int i = 0; i < 3; ++i) inject_at_lns(data);
  EXPECT_EQ(pair.lns.engine().stats().data_packets, before.data_packets + 3);
  EXPECT_EQ(pair.lns.engine().stats().malformed, before.malformed);
  EXPECT_EQ(pair.net.captured().size(), datagrams);
  pair.net.advance(5s);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.session(tunnels.lns, session.lns).state, ObjectState::kEstablished);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kStopccn), 0u);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kCdn), 0u);
}

// ---- Unknown mandatory AVPs (RFC 2661 §4.1, RFC 3931 §5.2) ---------------------------

TEST_P(HostileTest, UnknownMandatoryAvpInACallMessageGetsCdnTwoEight) {
  const TunnelPair tunnels = pair.establish();
  for (const std::uint16_t vendor : {0, 9}) {
    SCOPED_TRACE(vendor == 0 ? "IETF attribute" : "vendor attribute");
    tamper_first(pair.lac, MessageType::kIcrq, [&](const CapturedDatagram& c) {
      return append_avp(c.bytes, c.path.encapsulation,
                        avp(kUnknownIetfAttribute, wire::as_bytes("x"), true, vendor));
    });
    const std::uint32_t id =
        expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create_session");
    pair.net.advance(2s);
    EXPECT_FALSE(pair.lac.engine().session(tunnels.lac, id));
    const fsm::LastResult result = pair.lac.observer().last_session(tunnels.lac, id)->last_result;
    EXPECT_EQ(result.result, 2) << describe(result);
    EXPECT_EQ(result.error, 8) << describe(result);
    const auto cdns = sent_messages(pair.net, pair.lns, MessageType::kCdn);
    ASSERT_FALSE(cdns.empty());
    const DecodedDatagram cdn = decode_captured(*cdns.back());
    ASSERT_TRUE(cdn.message->result_code);
    EXPECT_EQ(cdn.message->result_code->result, 2);
    EXPECT_EQ(cdn.message->result_code->error, 8);
    EXPECT_TRUE(pair.lns.tunnel(tunnels.lns).sessions.empty());
    EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
    EXPECT_EQ(pair.lac.tunnel(tunnels.lac).state, ObjectState::kEstablished);
  }
}

TEST_P(HostileTest, UnknownMandatoryAvpInAnSccrqGetsStopccnTwoEight) {
  pair.listen();
  tamper_first(pair.lac, MessageType::kSccrq, [](const CapturedDatagram& c) {
    return append_avp(c.bytes, c.path.encapsulation,
                      avp(kUnknownIetfAttribute, wire::as_bytes("x"), true));
  });
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(2s);
  EXPECT_FALSE(pair.lac.engine().tunnel(id));
  const fsm::LastResult result = pair.lac.observer().last_tunnel(id)->last_result;
  EXPECT_EQ(result.result, 2) << describe(result);
  EXPECT_EQ(result.error, 8) << describe(result);
  EXPECT_EQ(pair.lns.tunnel_count(ObjectState::kEstablished), 0u);
}

TEST_P(HostileTest, UnknownMandatoryAvpInAnEstablishedTunnelGetsStopccnTwoEight) {
  fsm::TunnelConfig config = pair.tunnel_config();
  config.control.channel.hello_interval = 5s;  // the LAC's HELLO carries the AVP
  const TunnelPair tunnels = pair.establish(config, pair.listener_config());
  tamper_first(pair.lac, MessageType::kHello, [](const CapturedDatagram& c) {
    return append_avp(c.bytes, c.path.encapsulation,
                      avp(kUnknownIetfAttribute, wire::as_bytes("x"), true));
  });
  pair.net.advance(10s);
  const auto stops = sent_messages(pair.net, pair.lns, MessageType::kStopccn);
  ASSERT_EQ(stops.size(), 1u);
  const DecodedDatagram stop = decode_captured(*stops[0]);
  ASSERT_TRUE(stop.message->result_code);
  EXPECT_EQ(stop.message->result_code->result, 2);
  EXPECT_EQ(stop.message->result_code->error, 8);
  EXPECT_EQ(pair.lac.tunnel_count() + pair.lns.tunnel_count(), 0u);
  const fsm::LastResult lac = pair.lac.observer().last_tunnel(tunnels.lac)->last_result;
  EXPECT_EQ(lac.result, 2) << describe(lac);
  EXPECT_EQ(lac.error, 8) << describe(lac);
}

TEST_P(HostileTest, UnknownAvpWithoutTheMandatoryBitIsIgnored) {
  pair.listen();
  tamper_first(pair.lac, MessageType::kSccrq, [](const CapturedDatagram& c) {
    return append_avp(c.bytes, c.path.encapsulation,
                      avp(kUnknownIetfAttribute, wire::as_bytes("x"), false));
  });
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(1s);
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kEstablished);
}

// ---- Malformed datagrams ------------------------------------------------------------------

struct Malformed {
  std::string name;
  Bytes bytes;
  std::optional<WireError> error;  // which stats().wire_errors bucket, where unambiguous
};

class MalformedTest : public HostileTest {
 protected:
  void expect_counted(const Malformed& c) {
    const std::uint64_t malformed = pair.lns.engine().stats().malformed;
    const std::uint64_t bucket = c.error ? wire_errors(pair.lns.engine(), *c.error) : 0;
    inject_at_lns(c.bytes);
    EXPECT_EQ(pair.lns.engine().stats().malformed, malformed + 1);
    if (c.error) {
      EXPECT_EQ(wire_errors(pair.lns.engine(), *c.error), bucket + 1) << wire::to_string(*c.error);
    }
  }
};
INSTANTIATE_TEST_SUITE_P(AllTransports, MalformedTest, ::testing::ValuesIn(all_transports()),
                         transport_name);
class HiddenMalformedTest : public MalformedTest {};
INSTANTIATE_TEST_SUITE_P(V2, HiddenMalformedTest, ::testing::ValuesIn(v2_transports()),
                         transport_name);

TEST_P(MalformedTest, MalformedDatagramsAreCountedAndChangeNothing) {
  const TunnelPair tunnels = pair.establish();
  const Bytes hello = message_type_avp(MessageType::kHello);
  const auto with = [&](Bytes bad_avp) { return next_from_lac(tunnels, concat({hello, bad_avp})); };
  std::vector<Malformed> cases = {
      {"AVP length 3", with(raw_avp(3, 0, 22, {})), WireError::kAvpTooShort},
      {"AVP length 0", with(raw_avp(0, 0, 22, wire::as_bytes("12345"))), WireError::kAvpTooShort},
      {"AVP overruns the message", with(raw_avp(200, 0, 22, wire::as_bytes("0123456789"))),
       WireError::kAvpOverrun},
      {"no Message Type first", next_from_lac(tunnels, avp(22, wire::as_bytes("5551234"), false)),
       WireError::kMissingMessageType},
  };
  // Header-level damage.
  Bytes zero_length = next_from_lac(tunnels, hello);
  const std::size_t start = wire::message_offset(GetParam().encapsulation);
  zero_length[start + 2] = 0;
  zero_length[start + 3] = 0;
  cases.push_back({"header Length 0", zero_length, std::nullopt});
  Bytes truncated = next_from_lac(tunnels, hello);
  truncated.resize(start + 7);
  cases.push_back({"truncated header", truncated, std::nullopt});

  const std::size_t datagrams = pair.net.captured().size();
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.name);
    expect_counted(c);
    EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
  }
  pair.net.advance(1s);
  EXPECT_EQ(pair.net.captured().size(), datagrams);  // not even acknowledged

  // No sequence number was consumed: the LAC's next message is taken in order.
  const TimePoint t1 = pair.net.now();
  const std::uint32_t id = expect_ok(pair.lac.engine().create_session(tunnels.lac, {}), "create");
  pair.net.advance(1s);
  const std::uint32_t answer = LacLns::newest_session(pair.lns, tunnels.lns);
  ASSERT_NE(answer, 0u);
  EXPECT_EQ(at(pair.lns.observer().session_reached(tunnels.lns, answer, ObjectState::kEstablished)),
            at(t1 + 3 * kDelay));
  EXPECT_EQ(pair.lac.session(tunnels.lac, id).state, ObjectState::kEstablished);
}

// L2TPv3 with a secret signs every message, so forged hidden AVPs would fail
// the digest first; L2TPv2 reaches the unhiding code.
TEST_P(HiddenMalformedTest, BrokenHiddenAvpsAreCountedAndChangeNothing) {
  const Bytes secret{'s', 'e', 'c', 'r', 'e', 't'};
  fsm::TunnelConfig config = pair.tunnel_config();
  config.control.secret = secret;
  fsm::ListenerConfig listener = pair.listener_config();
  listener.control.secret = secret;
  const TunnelPair tunnels = pair.establish(config, listener);

  const Bytes random_vector(16, 0x5a);
  const Bytes hidden = wire::hide_value(22, wire::as_bytes("5551234"), secret, random_vector);
  // Flip the decrypted length prefix from 7 to 0xffff: the XOR stream is the same.
  Bytes wrapped = hidden;
  wrapped[0] ^= 0xff;
  wrapped[1] ^= 0x07 ^ 0xff;
  const Bytes rv_avp = avp(36, random_vector, true);
  const Bytes hello = message_type_avp(MessageType::kHello);
  const std::vector<Malformed> cases = {
      {"hidden length wraps",
       next_from_lac(tunnels, concat({hello, rv_avp, avp(22, wrapped, false, 0, true)})),
       WireError::kHiddenLengthMismatch},
      {"hidden without Random Vector",
       next_from_lac(tunnels, concat({hello, avp(22, hidden, false, 0, true)})),
       WireError::kHiddenWithoutRandomVector},
  };
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.name);
    expect_counted(c);
  }
  pair.open_session(tunnels, {});  // and the tunnel still works in order
}

TEST_P(HostileTest, GarbageAtAListenerCreatesNothing) {
  pair.listen();
  const fsm::Endpoint stranger =
      GetParam().ipv6 ? ipv6(77, pair.lac_endpoint.port) : ipv4(77, pair.lac_endpoint.port);
  const std::vector<Bytes> garbage = {{}, {0x00}, {0xc8, 0x02}, Bytes(11, 0xc8), Bytes(400, 0xff)};
  for (const Bytes& g : garbage)
    pair.net.inject(pair.lns, g, pair.lns_endpoint, stranger, GetParam().encapsulation);
  // Over IP a datagram starting with a non-zero Session ID is a data packet.
  const bool ip = GetParam().encapsulation == wire::Encapsulation::kIp;
  EXPECT_EQ(pair.lns.engine().stats().malformed, ip ? 3u : 5u);
  EXPECT_EQ(pair.lns.engine().stats().data_packets, ip ? 2u : 0u);
  EXPECT_EQ(pair.lns.observer().count(EventKind::kTunnelAdded), 0u);
  EXPECT_TRUE(pair.net.captured().empty());
}

// ---- Long strings and vendor AVPs ------------------------------------------------------

TEST_P(HostileTest, CallingNumberOfTheLargestAvpSizeIsHandled) {
  const TunnelPair tunnels = pair.establish();
  fsm::SessionConfig config;
  config.calling_number = std::string(1017, '7');  // 1023 - 6: the largest AVP value
  config.called_number = std::string(1017, '8');
  pair.open_session(tunnels, config);
  const auto icrq = sent_messages(pair.net, pair.lac, MessageType::kIcrq);
  ASSERT_EQ(icrq.size(), 1u);
  const DecodedDatagram d = decode_captured(*icrq[0]);
  if (v2()) {
    EXPECT_EQ(d.message->calling_number, config.calling_number);
  }
}

TEST_P(HostileTest, VendorAvpWithTheHostNameNumberDoesNotSetTheHostName) {
  pair.listen();
  const Bytes spoof = avp(7, wire::as_bytes("spoofed.example"), false, /*vendor=*/9);
  pair.net.set_tamper([&](const CapturedDatagram& c) {
    const DecodedDatagram d = decode_captured(c);
    if (d.is(MessageType::kSccrq) || d.is(MessageType::kSccrp))
      return std::vector<Bytes>{append_avp(c.bytes, c.path.encapsulation, spoof)};
    return std::vector<Bytes>{c.bytes};
  });
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(1s);
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lac.tunnel(id).peer_host_name, "lns.example");
  EXPECT_EQ(pair.lns.tunnel(pair.accepted_tunnel()).peer_host_name, "lac.example");
  EXPECT_EQ(pair.lns.tunnel(pair.accepted_tunnel()).state, ObjectState::kEstablished);
}

// ---- WEN and SLI (sent by Cisco equipment) ----------------------------------------------

TEST_P(HostileTest, WenAndSliOnAnEstablishedSessionAreAcceptedAndAcknowledged) {
  fsm::TunnelConfig config = pair.tunnel_config();
  config.control.channel.hello_interval = 5s;  // the LAC's HELLOs become WEN and SLI
  const TunnelPair tunnels = pair.establish(config, pair.listener_config());
  const SessionPair session = pair.open_session(tunnels, {});

  wire::Message wen;
  wen.type = MessageType::kWen;
  wen.call_errors = wire::CallErrors{1, 2, 3, 4, 5, 6};
  wire::Message sli;
  sli.type = MessageType::kSli;
  if (v2()) {
    sli.accm = wire::Accm{0xffffffff, 0xffffffff};
  } else {
    for (wire::Message* m : {&wen, &sli}) {
      m->local_session_id = session.lac;
      m->remote_session_id = session.lns;
    }
    sli.circuit_status = wire::CircuitStatus{true, false};
  }
  const wire::EncodeOptions options{.version = GetParam().version};
  std::vector<Bytes> replacements = {wire::encode_message(wen, options),
                                     wire::encode_message(sli, options)};
  std::vector<std::size_t> replaced;
  pair.net.set_tamper([&](const CapturedDatagram& c) {
    if (c.from != &pair.lac || replaced.size() == replacements.size() ||
        !decode_captured(c).is(MessageType::kHello))
      return std::vector<Bytes>{c.bytes};
    Bytes out = replace_avps(c.bytes, c.path.encapsulation, replacements[replaced.size()]);
    if (v2()) {  // the header names the receiver's session
      out[6] = static_cast<std::uint8_t>(session.lns >> 8);
      out[7] = static_cast<std::uint8_t>(session.lns);
    }
    replaced.push_back(c.index);
    return std::vector<Bytes>{out};
  });
  pair.net.advance(30s);
  ASSERT_EQ(replaced.size(), 2u);
  for (std::size_t index : replaced) {
    const std::uint16_t ns = decode_captured(pair.net.captured()[index]).header.ns;
    bool acknowledged = false;
    for (const CapturedDatagram& c : pair.net.captured())
      if (c.index > index && c.from == &pair.lns &&
          decode_captured(c).header.nr == static_cast<std::uint16_t>(ns + 1))
        acknowledged = true;
    EXPECT_TRUE(acknowledged) << "message " << index;
  }
  pair.net.advance(2min);
  EXPECT_EQ(pair.lns.tunnel(tunnels.lns).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.session(tunnels.lns, session.lns).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lac.session(tunnels.lac, session.lac).state, ObjectState::kEstablished);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kStopccn), 0u);
  EXPECT_EQ(count_sent(pair.net, pair.lns, MessageType::kCdn), 0u);
}

// ---- Half-open flood ------------------------------------------------------------------------

fsm::Endpoint spoofed_source(const Transport& t, std::uint32_t i) {
  // Distinct addresses from the benchmarking ranges (198.18.0.0/15, 2001:2::/48).
  const std::uint16_t port = t.encapsulation == wire::Encapsulation::kUdp
                                 ? static_cast<std::uint16_t>(1024 + i % 60000)
                                 : 0;
  if (!t.ipv6)
    return fsm::Endpoint::ipv4({198, static_cast<std::uint8_t>(18 + (i >> 16)),
                                static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)},
                               port);
  std::array<std::uint8_t, 16> a{0x20, 0x01, 0x00, 0x02};
  a[12] = static_cast<std::uint8_t>(i >> 24);
  a[13] = static_cast<std::uint8_t>(i >> 16);
  a[14] = static_cast<std::uint8_t>(i >> 8);
  a[15] = static_cast<std::uint8_t>(i);
  return fsm::Endpoint::ipv6(a, port);
}

TEST_P(HostileTest, SpoofedSccrqFloodIsBoundedAndALegitimatePeerStillGetsIn) {
  constexpr std::uint32_t kFlood = 20000;
  constexpr std::uint32_t kPerMillisecond = 10;
  const fsm::EngineLimits limits;
  pair.listen();
  pair.net.set_capture(false);
  const TimePoint t0 = pair.net.now();
  std::uint32_t lac_id = 0;
  std::size_t worst_half_open = 0;
  for (std::uint32_t sent = 0; sent < kFlood; sent += kPerMillisecond) {
    if (pair.net.now() == t0 + 500ms)
      lac_id = expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
    for (std::uint32_t i = sent; i < sent + kPerMillisecond; ++i) {
      const Bytes request = sccrq(GetParam().version, GetParam().encapsulation, 1 + i % 65000,
                                  "flood" + std::to_string(i));
      pair.net.inject(pair.lns, request, pair.lns_endpoint, spoofed_source(GetParam(), i),
                      GetParam().encapsulation);
    }
    if (sent % 500 == 0)
      worst_half_open = std::max(worst_half_open, pair.lns.tunnel_count(ObjectState::kConnecting));
    pair.net.advance(1ms);
  }
  EXPECT_LE(worst_half_open, limits.max_half_open);
  EXPECT_EQ(pair.lns.tunnel_count(ObjectState::kConnecting), limits.max_half_open);
  EXPECT_EQ(pair.lns.tunnel_count(), limits.max_half_open + 1);
  EXPECT_EQ(pair.lns.engine().stats().half_open_evicted, kFlood - limits.max_half_open);
  ASSERT_NE(lac_id, 0u);
  EXPECT_EQ(at(pair.lac.observer().tunnel_reached(lac_id, ObjectState::kEstablished)),
            at(t0 + 500ms + 2 * kDelay));
  EXPECT_EQ(pair.lac.tunnel(lac_id).state, ObjectState::kEstablished);
  EXPECT_EQ(pair.lns.tunnel_count(ObjectState::kEstablished), 1u);
}

TEST_P(HostileTest, OneSourceBeyondItsShareOfHalfOpenTunnelsIsRefusedAndOthersGetIn) {
  const fsm::EngineLimits limits;
  const std::uint32_t listener = pair.listen();
  const fsm::Endpoint source = spoofed_source(GetParam(), 1);
  for (std::uint32_t i = 0; i < 100; ++i) {
    const fsm::Endpoint from =
        source.port == 0 ? source : source.with_port(static_cast<std::uint16_t>(2000 + i));
    pair.net.inject(pair.lns, sccrq(GetParam().version, GetParam().encapsulation, 100 + i, "one"),
                    pair.lns_endpoint, from, GetParam().encapsulation);
  }
  const std::size_t refused = 100 - limits.max_half_open_per_source;
  EXPECT_EQ(pair.lns.tunnel_count(), limits.max_half_open_per_source);
  EXPECT_EQ(pair.lns.engine().stats().half_open_evicted, 0u);
  EXPECT_EQ(pair.lns.engine().listener(listener)->tunnels_refused, refused);
  const auto stops = sent_messages(pair.net, pair.lns, wire::MessageType::kStopccn);
  ASSERT_EQ(stops.size(), refused);
  for (const auto* stop : stops) {
    const DecodedDatagram decoded = decode_captured(*stop);
    ASSERT_TRUE(decoded.message.has_value());
    ASSERT_TRUE(decoded.message->result_code.has_value());
    EXPECT_EQ(decoded.message->result_code->result, 2u);
    EXPECT_EQ(decoded.message->result_code->error, 4u);
    EXPECT_EQ(stop->path.peer.with_port(0), source.with_port(0));
  }
  // Another peer is not affected.
  const std::uint32_t id =
      expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  pair.net.advance(1s);
  EXPECT_EQ(pair.lac.tunnel(id).state, ObjectState::kEstablished);
}

class SmallHalfOpenTest : public ::testing::TestWithParam<Transport> {
 protected:
  void TearDown() override { EXPECT_EQ(lns_pair.net.problems(), ""); }
  LacLns lns_pair{
      {.transport = GetParam(), .lns_limits = {.max_half_open = 4, .max_half_open_per_source = 4}}};
};
INSTANTIATE_TEST_SUITE_P(AllTransports, SmallHalfOpenTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

TEST_P(SmallHalfOpenTest, AnEvictedHandshakeGetsOneStopccnAndLeavesNothingBehind) {
  const std::uint32_t listener = lns_pair.listen();
  for (std::uint32_t i = 0; i < 6; ++i) {
    lns_pair.net.inject(
        lns_pair.lns, sccrq(GetParam().version, GetParam().encapsulation, 100 + i, "evict"),
        lns_pair.lns_endpoint, spoofed_source(GetParam(), i), GetParam().encapsulation);
  }
  EXPECT_EQ(lns_pair.lns.engine().stats().half_open_evicted, 2u);
  EXPECT_EQ(lns_pair.lns.engine().listener(listener)->tunnels_evicted, 2u);
  EXPECT_EQ(lns_pair.lns.tunnel_count(), 4u);
  const auto stops = sent_messages(lns_pair.net, lns_pair.lns, MessageType::kStopccn);
  ASSERT_EQ(stops.size(), 2u);
  // The oldest two, each told once with insufficient resources.
  for (std::uint32_t i = 0; i < 2; ++i) {
    EXPECT_EQ(stops[i]->path.peer, spoofed_source(GetParam(), i));
    const DecodedDatagram decoded = decode_captured(*stops[i]);
    ASSERT_TRUE(decoded.message && decoded.message->result_code);
    EXPECT_EQ(decoded.message->result_code->result, 2u);
    EXPECT_EQ(decoded.message->result_code->error, 4u);
  }
  // Never sent again: nothing of an evicted tunnel is kept to retransmit.
  lns_pair.net.advance(60s);
  std::size_t to_evicted = 0;
  for (const auto* stop : sent_messages(lns_pair.net, lns_pair.lns, MessageType::kStopccn)) {
    if (stop->path.peer == spoofed_source(GetParam(), 0) ||
        stop->path.peer == spoofed_source(GetParam(), 1))
      ++to_evicted;
  }
  EXPECT_EQ(to_evicted, 2u);
}

class RefusalBudgetTest : public ::testing::TestWithParam<Transport> {
 protected:
  void TearDown() override { EXPECT_EQ(lns_pair.net.problems(), ""); }
  LacLns lns_pair{{.transport = GetParam(),
                   .lns_limits = {.max_half_open_per_source = 1, .refusals_per_second = 2}}};
};
INSTANTIATE_TEST_SUITE_P(AllTransports, RefusalBudgetTest, ::testing::ValuesIn(all_transports()),
                         transport_name);

// Past the refusals a second, a refused SCCRQ gets no StopCCN (a flood
// cannot turn the LNS into an amplifier), and the listener counts it apart.
TEST_P(RefusalBudgetTest, RefusalsPastTheBudgetAreCountedUnanswered) {
  const std::uint32_t listener = lns_pair.listen();
  const fsm::Endpoint source = spoofed_source(GetParam(), 1);
  for (std::uint32_t i = 0; i < 6; ++i) {
    const fsm::Endpoint from =
        source.port == 0 ? source : source.with_port(static_cast<std::uint16_t>(2000 + i));
    lns_pair.net.inject(lns_pair.lns,
                        sccrq(GetParam().version, GetParam().encapsulation, 100 + i, "budget"),
                        lns_pair.lns_endpoint, from, GetParam().encapsulation);
  }
  const auto view = lns_pair.lns.engine().listener(listener);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->tunnels_refused, 5u);
  EXPECT_EQ(view->refusals_unanswered, 3u);
  EXPECT_EQ(lns_pair.lns.engine().stats().refusals_unanswered, 3u);
  EXPECT_EQ(sent_messages(lns_pair.net, lns_pair.lns, MessageType::kStopccn).size(), 2u);
  EXPECT_EQ(lns_pair.lns.tunnel_count(), 1u);
}

}  // namespace
}  // namespace l2tp::testing
