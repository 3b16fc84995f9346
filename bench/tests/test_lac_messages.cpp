// Every message the load generator sends, in L2TPv2 and L2TPv3, decoded with
// the project's codec: the header is what the LNS expects, the AVPs decode and
// the RFC's mandatory ones are there.
#include <gtest/gtest.h>

#include <variant>
#include <vector>

#include "lac_messages.h"

namespace l2tp::bench {
namespace {

struct Decoded {
  wire::ControlHeader header;
  wire::Message message;
};

Decoded decode(const wire::Bytes& bytes, ProtocolVersion version = ProtocolVersion::kV2) {
  auto packet = wire::parse_packet(bytes, wire::Encapsulation::kUdp);
  EXPECT_TRUE(packet.has_value());
  if (!packet) return {};
  const auto* control = std::get_if<wire::ControlPacket>(&*packet);
  EXPECT_NE(control, nullptr);
  if (control == nullptr) return {};
  EXPECT_EQ(control->header.version, version);
  auto message = wire::decode_message(control->avps, wire::DecodeOptions{.version = version});
  EXPECT_TRUE(message.has_value());
  if (!message) return {control->header, {}};
  EXPECT_TRUE(wire::has_required_avps(*message, version));
  EXPECT_FALSE(message->unknown_mandatory_attribute.has_value());
  return {control->header, *message};
}

TEST(LacMessages, SccrqAssignsOurTunnelAndIsSentToTunnelZero) {
  auto got = decode(datagram({.peer_tunnel_id = 0, .peer_session_id = 0, .ns = 0, .nr = 0},
                             sccrq(ProtocolVersion::kV2, 4711)));
  EXPECT_EQ(got.header.version, wire::ProtocolVersion::kV2);
  EXPECT_EQ(got.header.tunnel_id, 0u);
  EXPECT_EQ(got.header.ns, 0);
  EXPECT_EQ(got.message.type, wire::MessageType::kSccrq);
  EXPECT_EQ(got.message.assigned_tunnel_id, 4711);
  EXPECT_EQ(got.message.protocol_version, 0x0100);
  EXPECT_EQ(got.message.framing_capabilities, kCapabilities);
  EXPECT_EQ(got.message.host_name, "l2tpbus-bench");
  EXPECT_EQ(got.message.receive_window_size, kReceiveWindow);
}

TEST(LacMessages, ScccnCarriesTheSequenceNumbersGiven) {
  auto got =
      decode(datagram({.peer_tunnel_id = 9, .peer_session_id = 0, .ns = 1, .nr = 1}, scccn()));
  EXPECT_EQ(got.header.tunnel_id, 9u);
  EXPECT_EQ(got.header.ns, 1);
  EXPECT_EQ(got.header.nr, 1);
  EXPECT_EQ(got.message.type, wire::MessageType::kScccn);
}

TEST(LacMessages, StopccnClearsTheConnectionWithResultOne) {
  auto got = decode(datagram({.peer_tunnel_id = 9, .peer_session_id = 0, .ns = 5, .nr = 3},
                             stopccn(ProtocolVersion::kV2, 4711)));
  EXPECT_EQ(got.message.type, wire::MessageType::kStopccn);
  EXPECT_EQ(got.message.assigned_tunnel_id, 4711);
  ASSERT_TRUE(got.message.result_code.has_value());
  EXPECT_EQ(got.message.result_code->result, 1);
}

TEST(LacMessages, IcrqAssignsOurSessionWithASerialNumber) {
  auto got =
      decode(datagram({.peer_tunnel_id = 9, .peer_session_id = 0, .ns = 2, .nr = 2}, icrq(3, 77)));
  EXPECT_EQ(got.header.session_id, 0);
  EXPECT_EQ(got.message.type, wire::MessageType::kIcrq);
  EXPECT_EQ(got.message.assigned_session_id, 3);
  EXPECT_EQ(got.message.call_serial_number, 77u);
}

TEST(LacMessages, IccnGoesToThePeersSession) {
  auto got =
      decode(datagram({.peer_tunnel_id = 9, .peer_session_id = 12, .ns = 3, .nr = 3}, iccn()));
  EXPECT_EQ(got.header.session_id, 12);
  EXPECT_EQ(got.message.type, wire::MessageType::kIccn);
  EXPECT_TRUE(got.message.tx_connect_speed.has_value());
  EXPECT_TRUE(got.message.framing_type.has_value());
}

TEST(LacMessages, ZlbIsAHeaderWithoutAvps) {
  const auto bytes = zlb({.peer_tunnel_id = 9, .peer_session_id = 0, .ns = 4, .nr = 6});
  auto packet = wire::parse_packet(bytes, wire::Encapsulation::kUdp);
  ASSERT_TRUE(packet.has_value());
  const auto& control = std::get<wire::ControlPacket>(*packet);
  EXPECT_TRUE(control.avps.empty());
  EXPECT_EQ(control.header.ns, 4);
  EXPECT_EQ(control.header.nr, 6);
}

// The generator patches Nr in place on retransmission.
TEST(LacMessages, NrIsAtNrOffset) {
  auto bytes =
      datagram({.peer_tunnel_id = 9, .peer_session_id = 0, .ns = 1, .nr = 0x1234}, scccn());
  EXPECT_EQ(bytes[kNrOffset], 0x12);
  EXPECT_EQ(bytes[kNrOffset + 1], 0x34);
}

// L2TPv3 over UDP (RFC 3931): the same exchange with 32-bit ids.
constexpr auto kV3 = ProtocolVersion::kV3;

TEST(LacMessagesV3, SccrqAssignsOurControlConnectionAndOffersBothPseudowires) {
  auto got = decode(
      datagram({.version = kV3, .peer_tunnel_id = 0, .ns = 0, .nr = 0}, sccrq(kV3, 65535)), kV3);
  EXPECT_EQ(got.header.tunnel_id, 0u);
  EXPECT_EQ(got.message.type, wire::MessageType::kSccrq);
  EXPECT_EQ(got.message.assigned_connection_id, 65535u);
  EXPECT_EQ(got.message.router_id, 65535u);
  EXPECT_FALSE(got.message.assigned_tunnel_id.has_value());
  EXPECT_FALSE(got.message.protocol_version.has_value());
  const std::vector<std::uint16_t> both{wire::kPseudowirePpp, wire::kPseudowireEthernet};
  EXPECT_EQ(got.message.pseudowire_capabilities, both);
  EXPECT_EQ(got.message.receive_window_size, kReceiveWindow);
}

TEST(LacMessagesV3, ScccnGoesToThePeersControlConnection) {
  auto got = decode(
      datagram({.version = kV3, .peer_tunnel_id = 0x12345678, .ns = 1, .nr = 1}, scccn()), kV3);
  EXPECT_EQ(got.header.tunnel_id, 0x12345678u);
  EXPECT_EQ(got.header.ns, 1);
  EXPECT_EQ(got.message.type, wire::MessageType::kScccn);
}

TEST(LacMessagesV3, StopccnNamesOurControlConnection) {
  auto got = decode(
      datagram({.version = kV3, .peer_tunnel_id = 9, .ns = 5, .nr = 3}, stopccn(kV3, 4711)), kV3);
  EXPECT_EQ(got.message.type, wire::MessageType::kStopccn);
  EXPECT_EQ(got.message.assigned_connection_id, 4711u);
  ASSERT_TRUE(got.message.result_code.has_value());
  EXPECT_EQ(got.message.result_code->result, 1);
}

TEST(LacMessagesV3, IcrqCarriesOurSessionAndThePseudowire) {
  for (const std::uint16_t pseudowire : {wire::kPseudowirePpp, wire::kPseudowireEthernet}) {
    auto got = decode(datagram({.version = kV3, .peer_tunnel_id = 9, .ns = 2, .nr = 2},
                               icrq_v3(0x00070001, 77, pseudowire)),
                      kV3);
    EXPECT_EQ(got.message.type, wire::MessageType::kIcrq);
    EXPECT_EQ(got.message.local_session_id, 0x00070001u);
    EXPECT_EQ(got.message.remote_session_id, 0u);
    EXPECT_EQ(got.message.call_serial_number, 77u);
    EXPECT_EQ(got.message.pseudowire_type, pseudowire);
  }
}

TEST(LacMessagesV3, IccnCarriesBothSessionIds) {
  auto got = decode(datagram({.version = kV3, .peer_tunnel_id = 9, .ns = 3, .nr = 3},
                             iccn_v3(0x00070001, 0xdeadbeef)),
                    kV3);
  EXPECT_EQ(got.message.type, wire::MessageType::kIccn);
  EXPECT_EQ(got.message.local_session_id, 0x00070001u);
  EXPECT_EQ(got.message.remote_session_id, 0xdeadbeefu);
}

TEST(LacMessagesV3, ZlbAndNrOffset) {
  const auto bytes = zlb({.version = kV3, .peer_tunnel_id = 0x01020304, .ns = 4, .nr = 0x1234});
  auto packet = wire::parse_packet(bytes, wire::Encapsulation::kUdp);
  ASSERT_TRUE(packet.has_value());
  const auto& control = std::get<wire::ControlPacket>(*packet);
  EXPECT_EQ(control.header.version, kV3);
  EXPECT_EQ(control.header.tunnel_id, 0x01020304u);
  EXPECT_TRUE(control.avps.empty());
  EXPECT_EQ(bytes[kNrOffset], 0x12);
  EXPECT_EQ(bytes[kNrOffset + 1], 0x34);
}

}  // namespace
}  // namespace l2tp::bench
