#include "wire/header.h"

#include <gtest/gtest.h>

#include "hex.h"

namespace l2tp::wire {
namespace {

using testing::from_hex;
using testing::hex;
using testing::to_hex;

std::expected<Packet, WireError> parse(std::string_view spaced,
                                       Encapsulation encapsulation = Encapsulation::kUdp) {
  // Kept alive for the views in the result: tests only look at them in scope.
  static thread_local Bytes storage;
  storage = from_hex(spaced);
  return parse_packet(storage, encapsulation);
}

const ControlPacket& control(const std::expected<Packet, WireError>& packet) {
  EXPECT_TRUE(packet.has_value());
  EXPECT_TRUE(std::holds_alternative<ControlPacket>(*packet));
  return std::get<ControlPacket>(*packet);
}

const DataPacket& data(const std::expected<Packet, WireError>& packet) {
  EXPECT_TRUE(packet.has_value());
  EXPECT_TRUE(std::holds_alternative<DataPacket>(*packet));
  return std::get<DataPacket>(*packet);
}

TEST(ParsePacket, V2ControlHeaderFields) {
  // T L S, Ver 2, Length 20, Tunnel 0x1234, Session 0x5678, Ns 3, Nr 4, HELLO.
  const auto packet = parse("c802 0014 1234 5678 0003 0004  8008 0000 0000 0006");
  const ControlPacket& c = control(packet);
  EXPECT_EQ(c.header.version, ProtocolVersion::kV2);
  EXPECT_EQ(c.header.tunnel_id, 0x1234u);
  EXPECT_EQ(c.header.session_id, 0x5678u);
  EXPECT_EQ(c.header.ns, 3u);
  EXPECT_EQ(c.header.nr, 4u);
  EXPECT_EQ(to_hex(c.message), hex("c802 0014 1234 5678 0003 0004 8008 0000 0000 0006"));
  EXPECT_EQ(to_hex(c.avps), hex("8008 0000 0000 0006"));
}

TEST(ParsePacket, ZeroLengthBodyHasNoAvps) {
  const auto packet = parse("c802 000c 0001 0000 0005 0007");
  EXPECT_TRUE(control(packet).avps.empty());
  EXPECT_EQ(control(packet).header.nr, 7u);
}

TEST(ParsePacket, LengthBoundsTheMessageAndTrailingBytesAreIgnored) {
  const auto packet = parse("c802 000c 0001 0000 0000 0000  deadbeef");
  EXPECT_EQ(control(packet).message.size(), 12u);
  EXPECT_TRUE(control(packet).avps.empty());
}

TEST(ParsePacket, LengthBeyondDatagramIsTruncated) {
  EXPECT_EQ(parse("c802 0015 0001 0000 0000 0000 8008 0000 0000 0006").error(),
            WireError::kTruncated);
  EXPECT_EQ(parse("c802 ffff 0001 0000 0000 0000").error(), WireError::kTruncated);
}

TEST(ParsePacket, LengthBelowHeaderIsRefused) {
  EXPECT_EQ(parse("c802 0000 0001 0000 0000 0000").error(), WireError::kLengthMismatch);
  EXPECT_EQ(parse("c802 000b 0001 0000 0000 0000").error(), WireError::kLengthMismatch);
}

TEST(ParsePacket, ShortDatagramsAreTruncated) {
  EXPECT_EQ(parse("").error(), WireError::kTruncated);
  EXPECT_EQ(parse("c8").error(), WireError::kTruncated);
  EXPECT_EQ(parse("c802 000c 0001 0000 0000").error(), WireError::kTruncated);
  EXPECT_EQ(parse("c803 000c 0000 0001 0000").error(), WireError::kTruncated);
}

TEST(ParsePacket, V2ControlNeedsLengthAndSequenceAndForbidsOffsetAndPriority) {
  EXPECT_EQ(parse("8802 000c 0001 0000 0000 0000").error(), WireError::kBadHeader);  // no L
  EXPECT_EQ(parse("c002 000c 0001 0000 0000 0000").error(), WireError::kBadHeader);  // no S
  EXPECT_EQ(parse("ca02 000c 0001 0000 0000 0000").error(), WireError::kBadHeader);  // O
  EXPECT_EQ(parse("c902 000c 0001 0000 0000 0000").error(), WireError::kBadHeader);  // P
}

TEST(ParsePacket, ReservedHeaderBitsAreIgnored) {
  // x bits 2, 3, 5 and 8-11 set: RFC 2661 §3.1 says ignore them on receipt.
  EXPECT_TRUE(parse("fcf2 000c 0001 0000 0000 0000").has_value());
}

TEST(ParsePacket, V3ControlOverUdp) {
  const auto packet = parse("c803 0014 a1b2c3d4 0001 0002  8008 0000 0000 0014");
  const ControlPacket& c = control(packet);
  EXPECT_EQ(c.header.version, ProtocolVersion::kV3);
  EXPECT_EQ(c.header.tunnel_id, 0xa1b2c3d4u);
  EXPECT_EQ(c.header.session_id, 0u);
  EXPECT_EQ(c.header.ns, 1u);
  EXPECT_EQ(c.header.nr, 2u);
  EXPECT_EQ(to_hex(c.avps), hex("8008 0000 0000 0014"));
}

TEST(ParsePacket, V3TreatsOffsetAndPriorityBitsAsReserved) {
  EXPECT_TRUE(parse("cb03 000c 00000001 0000 0000").has_value());
  EXPECT_EQ(parse("8803 000c 00000001 0000 0000").error(), WireError::kBadHeader);
}

TEST(ParsePacket, UnknownVersionsAreUnsupported) {
  EXPECT_EQ(parse("c801 000c 0001 0000 0000 0000").error(), WireError::kUnsupportedVersion);
  EXPECT_EQ(parse("c800 000c 0001 0000 0000 0000").error(), WireError::kUnsupportedVersion);
  EXPECT_EQ(parse("c804 000c 0001 0000 0000 0000").error(), WireError::kUnsupportedVersion);
  EXPECT_EQ(parse("c80f 000c 0001 0000 0000 0000").error(), WireError::kUnsupportedVersion);
  EXPECT_EQ(parse("0001").error(), WireError::kUnsupportedVersion);
}

// Data packets reach the control socket before the kernel knows the session;
// they are classified, never mistaken for control messages.
TEST(ParsePacket, V2DataPacketMinimal) {
  const auto packet = parse("0002 0007 0009 ff03c021");
  EXPECT_EQ(data(packet).version, ProtocolVersion::kV2);
  EXPECT_EQ(data(packet).tunnel_id, 7u);
  EXPECT_EQ(data(packet).session_id, 9u);
}

TEST(ParsePacket, V2DataPacketWithLengthSequenceAndOffset) {
  // L S O: Length, Tunnel 0x0102, Session 0x0304, Ns, Nr, Offset Size 3 + pad.
  const auto packet = parse("4a02 0014 0102 0304 0000 0000 0003 aabbcc ff03c021");
  EXPECT_EQ(data(packet).tunnel_id, 0x0102u);
  EXPECT_EQ(data(packet).session_id, 0x0304u);
}

TEST(ParsePacket, V2DataPacketWithPriorityBit) {
  EXPECT_EQ(data(parse("0102 0001 0002")).session_id, 2u);
}

TEST(ParsePacket, V2DataPacketTruncatedFieldsAreRefused) {
  EXPECT_EQ(parse("0002 0007").error(), WireError::kTruncated);
  EXPECT_EQ(parse("0802 0007 0009 0000").error(), WireError::kTruncated);       // S: no Nr
  EXPECT_EQ(parse("0202 0007 0009 0010 aabb").error(), WireError::kTruncated);  // pad past end
  EXPECT_EQ(parse("0202 0007 0009 ffff").error(), WireError::kTruncated);
}

TEST(ParsePacket, V3DataPacketOverUdp) {
  const auto packet = parse("0003 0000 12345678 deadbeef");
  EXPECT_EQ(data(packet).version, ProtocolVersion::kV3);
  EXPECT_EQ(data(packet).session_id, 0x12345678u);
  EXPECT_EQ(parse("0003 0000 1234").error(), WireError::kTruncated);
}

TEST(ParsePacketOverIp, NonZeroSessionIdIsData) {
  const auto packet = parse("0000abcd 11223344 45000014", Encapsulation::kIp);
  EXPECT_EQ(data(packet).version, ProtocolVersion::kV3);
  EXPECT_EQ(data(packet).session_id, 0xabcdu);
}

TEST(ParsePacketOverIp, ZeroSessionIdPrefixIntroducesControl) {
  const auto packet =
      parse("00000000  c803 0014 00000042 0001 0000  8008 0000 0000 0006", Encapsulation::kIp);
  const ControlPacket& c = control(packet);
  EXPECT_EQ(c.header.tunnel_id, 0x42u);
  // The message (what the digest covers) starts at the T bit, after the prefix.
  EXPECT_EQ(to_hex(c.message), hex("c803 0014 00000042 0001 0000 8008 0000 0000 0006"));
  EXPECT_EQ(to_hex(c.avps), hex("8008 0000 0000 0006"));
}

TEST(ParsePacketOverIp, LengthExcludesThePrefix) {
  EXPECT_EQ(parse("00000000 c803 0015 00000042 0001 0000 8008 0000 0000 0006", Encapsulation::kIp)
                .error(),
            WireError::kTruncated);
}

TEST(ParsePacketOverIp, V2IsUnsupported) {
  EXPECT_EQ(parse("00000000 c802 000c 0001 0000 0000 0000", Encapsulation::kIp).error(),
            WireError::kUnsupportedVersion);
}

TEST(ParsePacketOverIp, DataHeaderAfterZeroSessionIsBad) {
  EXPECT_EQ(parse("00000000 0003 0000 00000001", Encapsulation::kIp).error(),
            WireError::kBadHeader);
}

TEST(ParsePacketOverIp, ShortDatagramsAreTruncated) {
  EXPECT_EQ(parse("", Encapsulation::kIp).error(), WireError::kTruncated);
  EXPECT_EQ(parse("000000", Encapsulation::kIp).error(), WireError::kTruncated);
  EXPECT_EQ(parse("00000000", Encapsulation::kIp).error(), WireError::kTruncated);
  EXPECT_EQ(parse("00000000 c803 000c 0000", Encapsulation::kIp).error(), WireError::kTruncated);
}

TEST(FrameControl, V2Header) {
  const ControlHeader header{ProtocolVersion::kV2, 0x1234, 0x5678, 1, 2};
  const Bytes avps = from_hex("8008 0000 0000 0006");
  EXPECT_EQ(to_hex(frame_control(header, avps, Encapsulation::kUdp)),
            hex("c802 0014 1234 5678 0001 0002 8008 0000 0000 0006"));
}

TEST(FrameControl, V3HeaderOverUdpAndIp) {
  const ControlHeader header{ProtocolVersion::kV3, 0xa1b2c3d4, 0, 0x0102, 0x0304};
  EXPECT_EQ(to_hex(frame_control(header, {}, Encapsulation::kUdp)),
            hex("c803 000c a1b2c3d4 0102 0304"));
  EXPECT_EQ(to_hex(frame_control(header, {}, Encapsulation::kIp)),
            hex("00000000 c803 000c a1b2c3d4 0102 0304"));
}

TEST(FrameControl, RoundTripsThroughParse) {
  const ControlHeader header{ProtocolVersion::kV3, 77, 0, 9, 10};
  const Bytes avps = from_hex("8008 0000 0000 0006");
  for (auto encapsulation : {Encapsulation::kUdp, Encapsulation::kIp}) {
    const Bytes datagram = frame_control(header, avps, encapsulation);
    const auto packet = parse_packet(datagram, encapsulation);
    ASSERT_TRUE(packet.has_value());
    const auto& c = std::get<ControlPacket>(*packet);
    EXPECT_EQ(c.header.tunnel_id, 77u);
    EXPECT_EQ(c.header.ns, 9u);
    EXPECT_EQ(c.header.nr, 10u);
    EXPECT_EQ(to_hex(c.avps), to_hex(avps));
    EXPECT_EQ(c.message.data(), datagram.data() + message_offset(encapsulation));
  }
}

}  // namespace
}  // namespace l2tp::wire
