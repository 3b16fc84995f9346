// Decoder behaviour beyond the happy path: the hostile-input bug classes
// that hit other L2TP implementations, version rules, unknown AVPs and the
// leniency real peers need.
#include "wire/message.h"

#include <gtest/gtest.h>

#include <string>

#include "hex.h"
#include "wire/security.h"

namespace l2tp::wire {
namespace {

using testing::from_hex;
using testing::to_hex;

constexpr std::string_view kSecret = "letmein";
const Bytes kRandomVector = from_hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");

std::expected<Message, WireError> decode(std::string_view spaced_hex,
                                         ProtocolVersion version = ProtocolVersion::kV2,
                                         ByteView hiding_key = {}) {
  const Bytes avps = from_hex(spaced_hex);
  DecodeOptions options;
  options.version = version;
  options.hiding_key = hiding_key;
  return decode_message(avps, options);
}

// One AVP from its parts, so hostile lengths and flags are easy to write.
Bytes avp(std::uint16_t type, ByteView value, bool mandatory = true, bool hidden = false,
          std::uint16_t vendor = 0) {
  ByteWriter out;
  std::uint16_t bits = static_cast<std::uint16_t>(kAvpHeaderSize + value.size());
  if (mandatory) bits |= kAvpFlagMandatory;
  if (hidden) bits |= kAvpFlagHidden;
  out.u16(bits);
  out.u16(vendor);
  out.u16(type);
  out.bytes(value);
  return out.take();
}

Bytes join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

std::expected<Message, WireError> decode_bytes(const Bytes& avps,
                                               ProtocolVersion version = ProtocolVersion::kV2,
                                               ByteView hiding_key = {}) {
  DecodeOptions options;
  options.version = version;
  options.hiding_key = hiding_key;
  return decode_message(avps, options);
}

const Bytes kIcrqType = from_hex("8008 0000 0000 000a");

// --- Bug class: AVP lengths (accel-ppp CVE-2020-15173, xl2tpd endless loop)

TEST(HostileAvps, LengthBelowSixIsRefused) {
  EXPECT_EQ(decode("8008 0000 0000 0006  8005 0000 0000 00").error(), WireError::kAvpTooShort);
}

TEST(HostileAvps, LengthZeroIsRefusedWithoutLooping) {
  EXPECT_EQ(decode("8008 0000 0000 0006  8000 0000 0000").error(), WireError::kAvpTooShort);
  EXPECT_EQ(decode("0000 0000 0000 0000").error(), WireError::kAvpTooShort);
}

TEST(HostileAvps, LengthRunningPastTheMessageIsRefused) {
  EXPECT_EQ(decode("8008 0000 0000 0006  8040 0000 0007 6c6e73").error(), WireError::kAvpOverrun);
  EXPECT_EQ(decode("8008 0000 0000 0006  83ff 0000 0007").error(), WireError::kAvpOverrun);
}

// --- Bug class: hidden AVPs whose decrypted length is trusted

// A hidden value whose decrypted length prefix is `prefix`, followed by `rest`.
Bytes forge_hidden(std::uint16_t type, std::uint16_t prefix, ByteView rest) {
  const Bytes key(kSecret.begin(), kSecret.end());
  Bytes plain{static_cast<std::uint8_t>(prefix >> 8), static_cast<std::uint8_t>(prefix)};
  plain.insert(plain.end(), rest.begin(), rest.end());
  // First block only (the tests keep `rest` under 14 bytes): c1 = p1 ^ MD5(type + key + RV).
  Bytes seed{static_cast<std::uint8_t>(type >> 8), static_cast<std::uint8_t>(type)};
  seed.insert(seed.end(), key.begin(), key.end());
  seed.insert(seed.end(), kRandomVector.begin(), kRandomVector.end());
  const Bytes pad = md5(seed);
  for (std::size_t i = 0; i < plain.size(); ++i) plain[i] ^= pad[i];
  return plain;
}

TEST(HostileHidden, DecryptedLengthFFFFIsRefused) {
  const Bytes key(kSecret.begin(), kSecret.end());
  const Bytes hidden = forge_hidden(22, 0xFFFF, from_hex("3132"));
  EXPECT_EQ(unhide_value(22, hidden, key, kRandomVector).error(), WireError::kHiddenLengthMismatch);
  const Bytes list = join({kIcrqType, avp(36, kRandomVector), avp(22, hidden, true, true)});
  EXPECT_EQ(decode_bytes(list, ProtocolVersion::kV2, key).error(),
            WireError::kHiddenLengthMismatch);
}

TEST(HostileHidden, DecryptedLengthLargerThanTheDataIsRefused) {
  const Bytes key(kSecret.begin(), kSecret.end());
  const Bytes hidden = forge_hidden(14, 3, from_hex("0001"));  // says 3, has 2
  EXPECT_EQ(unhide_value(14, hidden, key, kRandomVector).error(), WireError::kHiddenLengthMismatch);
  const Bytes list = join({kIcrqType, avp(36, kRandomVector), avp(14, hidden, true, true)});
  EXPECT_EQ(decode_bytes(list, ProtocolVersion::kV2, key).error(),
            WireError::kHiddenLengthMismatch);
}

TEST(HostileHidden, ValueTooShortForALengthPrefixIsRefused) {
  const Bytes key(kSecret.begin(), kSecret.end());
  EXPECT_EQ(unhide_value(14, from_hex("aa"), key, kRandomVector).error(),
            WireError::kHiddenLengthMismatch);
  EXPECT_EQ(unhide_value(14, {}, key, kRandomVector).error(), WireError::kHiddenLengthMismatch);
}

TEST(HostileHidden, PaddingAfterTheValueIsAccepted) {
  const Bytes key(kSecret.begin(), kSecret.end());
  const Bytes hidden = forge_hidden(14, 2, from_hex("1234 ffffffff"));
  const auto value = unhide_value(14, hidden, key, kRandomVector);
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(to_hex(*value), "1234");
}

TEST(HostileHidden, HiddenAvpWithoutRandomVectorIsRefused) {
  const Bytes key(kSecret.begin(), kSecret.end());
  const Bytes hidden = hide_value(14, from_hex("0007"), key, kRandomVector);
  const Bytes list = join({kIcrqType, avp(14, hidden, true, true), avp(36, kRandomVector)});
  EXPECT_EQ(decode_bytes(list, ProtocolVersion::kV2, key).error(),
            WireError::kHiddenWithoutRandomVector);
}

TEST(HostileHidden, HiddenAvpWithoutSecretIsRefused) {
  const Bytes key(kSecret.begin(), kSecret.end());
  const Bytes hidden = hide_value(14, from_hex("0007"), key, kRandomVector);
  const Bytes list = join({kIcrqType, avp(36, kRandomVector), avp(14, hidden, true, true)});
  EXPECT_EQ(decode_bytes(list).error(), WireError::kHiddenNoSecret);
}

TEST(HostileHidden, AttributesThatMustNeverBeHiddenAreRefused) {
  const Bytes key(kSecret.begin(), kSecret.end());
  // A hidden Random Vector.
  EXPECT_EQ(
      decode_bytes(join({kIcrqType, avp(36, kRandomVector), avp(36, kRandomVector, true, true)}),
                   ProtocolVersion::kV2, key)
          .error(),
      WireError::kHiddenNotAllowed);
  // A second, hidden Message Type.
  EXPECT_EQ(
      decode_bytes(join({kIcrqType, avp(36, kRandomVector), avp(0, from_hex("0001"), true, true)}),
                   ProtocolVersion::kV2, key)
          .error(),
      WireError::kHiddenNotAllowed);
  // v3 Message Digest and Nonce.
  const Bytes digest = from_hex("00 00000000000000000000000000000000");
  EXPECT_EQ(decode_bytes(join({kIcrqType, avp(36, kRandomVector), avp(59, digest, true, true)}),
                         ProtocolVersion::kV3, key)
                .error(),
            WireError::kHiddenNotAllowed);
  EXPECT_EQ(
      decode_bytes(join({kIcrqType, avp(36, kRandomVector), avp(73, kRandomVector, true, true)}),
                   ProtocolVersion::kV3, key)
          .error(),
      WireError::kHiddenNotAllowed);
}

TEST(HostileHidden, HiddenFirstMessageTypeIsNotAMessageType) {
  EXPECT_EQ(decode("c008 0000 0000 000a").error(), WireError::kMissingMessageType);
}

TEST(HiddenAvps, EachHiddenAvpUsesTheLastRandomVectorBeforeIt) {
  const Bytes key(kSecret.begin(), kSecret.end());
  const Bytes second_vector = from_hex("0102030405060708");
  const Bytes list =
      join({kIcrqType, avp(36, kRandomVector),
            avp(14, hide_value(14, from_hex("0007"), key, kRandomVector), true, true),
            avp(36, second_vector),
            avp(22, hide_value(22, as_bytes("5550100"), key, second_vector), true, true)});
  const auto m = decode_bytes(list, ProtocolVersion::kV2, key);
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->assigned_session_id, 7u);
  EXPECT_EQ(m->calling_number, "5550100");
}

// --- Bug class: strings copied into small fixed buffers

TEST(HostileStrings, CallingNumberOfMaximumLengthIsDecodedIntact) {
  std::string number(kMaxAvpLength - kAvpHeaderSize, '0');
  for (std::size_t i = 0; i < number.size(); ++i) number[i] = static_cast<char>('0' + i % 10);
  const Bytes calling = avp(22, as_bytes(number));
  ASSERT_EQ(calling.size(), kMaxAvpLength);
  ASSERT_EQ(calling[0] & 0x03, 0x03);  // Length 1023 uses all ten bits
  const auto m = decode_bytes(join({kIcrqType, calling}));
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->calling_number.has_value());
  EXPECT_EQ(m->calling_number->size(), 1017u);
  EXPECT_EQ(*m->calling_number, number);
}

TEST(HostileStrings, LongHiddenCallingNumberSurvivesARoundTrip) {
  const Bytes key(kSecret.begin(), kSecret.end());
  Message m;
  m.type = MessageType::kIcrq;
  m.calling_number = std::string(1015, 'n');  // the most a hidden AVP can carry
  m.host_name = std::string(1017, 'h');       // not defined for ICRQ, still decoded
  EncodeOptions options;
  options.hiding_key = key;
  options.hide_sensitive = true;
  options.random_vector = kRandomVector;
  const auto decoded = decode_bytes(encode_message(m, options), ProtocolVersion::kV2, key);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_TRUE(*decoded == m);
}

TEST(HostileStrings, EveryStringFieldTakesAnyBytes) {
  // NUL, control characters and 8-bit bytes are carried, not truncated.
  const Bytes odd = from_hex("00 0a 0d ff 41");
  const auto m =
      decode_bytes(join({from_hex("8008 0000 0000 0001"), avp(7, odd), avp(8, odd, false)}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->host_name, to_string(odd));
  EXPECT_EQ(m->vendor_name, to_string(odd));
  EXPECT_EQ(m->host_name->size(), 5u);
}

// --- Bug class: vendor AVPs parsed as IETF ones

TEST(VendorAvps, VendorNineTypeSevenIsNotHostName) {
  const auto m = decode_bytes(
      join({from_hex("8008 0000 0000 0001"), avp(7, as_bytes("evil"), false, false, 9)}));
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->host_name.has_value());
  EXPECT_FALSE(m->unknown_mandatory_attribute.has_value());
}

TEST(VendorAvps, VendorAvpNeverOverridesTheIetfOne) {
  const auto m =
      decode_bytes(join({from_hex("8008 0000 0000 0001"), avp(7, as_bytes("evil"), false, false, 9),
                         avp(7, as_bytes("good"))}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->host_name, "good");
}

TEST(VendorAvps, UnknownMandatoryVendorAvpIsReported) {
  const auto m =
      decode_bytes(join({from_hex("8008 0000 0000 0001"), avp(7, as_bytes("evil"), true, false, 9),
                         avp(100, {}, true, false, 311)}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->unknown_mandatory_attribute, 7u);
  EXPECT_EQ(m->unknown_mandatory_vendor, 9u);
  EXPECT_FALSE(m->host_name.has_value());
}

TEST(VendorAvps, HiddenVendorAvpNeedsNoSecretToBeSkipped) {
  const auto m = decode_bytes(join({kIcrqType, avp(1, from_hex("aabbcc"), false, true, 9)}));
  ASSERT_TRUE(m.has_value());
}

TEST(VendorAvps, V3ExtendedVendorIdIsReportedWithItsThirtyTwoBitVendor) {
  const Bytes value = from_hex("00012345 0007 6c6e73");  // vendor 0x12345, its type 7
  const auto ignored = decode_bytes(join({kIcrqType, avp(58, value, false)}), ProtocolVersion::kV3);
  ASSERT_TRUE(ignored.has_value());
  EXPECT_FALSE(ignored->unknown_mandatory_attribute.has_value());
  EXPECT_FALSE(ignored->host_name.has_value());

  const auto reported = decode_bytes(join({kIcrqType, avp(58, value, true)}), ProtocolVersion::kV3);
  ASSERT_TRUE(reported.has_value());
  EXPECT_EQ(reported->unknown_mandatory_attribute, 7u);
  EXPECT_EQ(reported->unknown_mandatory_vendor, 0x12345u);
}

TEST(UnknownAvps, UnknownIetfAttributeWithoutMIsIgnoredWithMIsReported) {
  const auto ignored = decode_bytes(join({kIcrqType, avp(200, from_hex("01"), false)}));
  ASSERT_TRUE(ignored.has_value());
  EXPECT_FALSE(ignored->unknown_mandatory_attribute.has_value());

  const auto reported = decode_bytes(
      join({kIcrqType, avp(200, from_hex("01"), true), avp(201, from_hex("01"), true)}));
  ASSERT_TRUE(reported.has_value());
  EXPECT_EQ(reported->unknown_mandatory_attribute, 200u);  // the first one
  EXPECT_FALSE(reported->unknown_mandatory_vendor.has_value());
}

TEST(UnknownAvps, AttributesOfTheOtherVersionAreUnrecognised) {
  // v3 Local Session ID in a v2 message; v2 Assigned Session ID in v3.
  const auto v2 = decode_bytes(join({kIcrqType, avp(63, from_hex("00000001"))}));
  ASSERT_TRUE(v2.has_value());
  EXPECT_FALSE(v2->local_session_id.has_value());
  EXPECT_EQ(v2->unknown_mandatory_attribute, 63u);

  const auto v3 = decode_bytes(join({kIcrqType, avp(14, from_hex("0001"))}), ProtocolVersion::kV3);
  ASSERT_TRUE(v3.has_value());
  EXPECT_FALSE(v3->assigned_session_id.has_value());
  EXPECT_EQ(v3->unknown_mandatory_attribute, 14u);

  // v2's 32-bit Tx Connect Speed (24) is not v3's (74), and the reverse.
  const auto v3_speed =
      decode_bytes(join({kIcrqType, avp(24, from_hex("00000001"), false)}), ProtocolVersion::kV3);
  ASSERT_TRUE(v3_speed.has_value());
  EXPECT_FALSE(v3_speed->tx_connect_speed.has_value());
}

TEST(UnknownAvps, ReservedFlagBitsMakeAV2AvpUnrecognisedButNotAV3One) {
  Bytes host = avp(7, as_bytes("lns"));
  host[0] |= 0x04;  // one reserved bit
  const auto v2 = decode_bytes(join({from_hex("8008 0000 0000 0001"), host}));
  ASSERT_TRUE(v2.has_value());
  EXPECT_FALSE(v2->host_name.has_value());
  EXPECT_EQ(v2->unknown_mandatory_attribute, 7u);

  const auto v3 = decode_bytes(join({from_hex("8008 0000 0000 0001"), host}), ProtocolVersion::kV3);
  ASSERT_TRUE(v3.has_value());
  EXPECT_EQ(v3->host_name, "lns");
}

// --- Bug class: over-strict checks that break real peers

TEST(Leniency, ResultCodeWithOnlyTheResultIsValid) {
  const auto m = decode("8008 0000 0000 0004  8008 0000 0001 0001");
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->result_code.has_value());
  EXPECT_EQ(m->result_code->result, 1u);
  EXPECT_FALSE(m->result_code->error.has_value());
  EXPECT_TRUE(m->result_code->message.empty());
  EXPECT_TRUE(has_required_avps(*m, ProtocolVersion::kV2));  // no Assigned Tunnel ID either
}

TEST(Leniency, ResultCodeWithErrorButNoMessageIsValid) {
  const auto m = decode("8008 0000 0000 000e  800a 0000 0001 0002 0004  8008 0000 000e 0003");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->result_code, (ResultCode{2, 4, ""}));
  EXPECT_TRUE(has_required_avps(*m, ProtocolVersion::kV2));
}

TEST(Leniency, ResultCodeOfThreeBytesIsMalformed) {
  EXPECT_EQ(decode("8008 0000 0000 0004  8009 0000 0001 0001 00").error(),
            WireError::kAvpBadLength);
  EXPECT_EQ(decode("8008 0000 0000 0004  8007 0000 0001 01").error(), WireError::kAvpBadLength);
}

TEST(Leniency, CiscoStyleWenDecodes) {
  // A WEN as Cisco LACs send it: vendor 9 AVPs around the Call Errors, and
  // non-zero reserved bytes, which a receiver ignores.
  const auto m = decode(
      "8008 0000 0000 000f"
      "000a 0009 0001 00000005"  // Cisco vendor AVP, M=0
      "8020 0000 0022 ffff 00000001 00000000 00000000 00000002 00000000 00000003"
      "0008 0009 0015 0001");
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->type, MessageType::kWen);
  EXPECT_EQ(m->call_errors, (CallErrors{1, 0, 0, 2, 0, 3}));
  EXPECT_TRUE(has_required_avps(*m, ProtocolVersion::kV2));
  EXPECT_FALSE(m->unknown_mandatory_attribute.has_value());
}

TEST(Leniency, CiscoStyleSliDecodes) {
  const auto m = decode(
      "8008 0000 0000 0010"
      "8010 0000 0023 0000 00000000 000a0000"  // ACCM
      "000b 0009 0064 636973636f");            // vendor AVP, M=0
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->accm, (Accm{0, 0x000a0000}));
  EXPECT_TRUE(has_required_avps(*m, ProtocolVersion::kV2));
}

TEST(Leniency, HiddenAccmDecodes) {
  const Bytes key(kSecret.begin(), kSecret.end());
  const Bytes accm = from_hex("0000 ffffffff ffffffff");
  const Bytes list = join({from_hex("8008 0000 0000 0010"), avp(36, kRandomVector),
                           avp(35, hide_value(35, accm, key, kRandomVector), true, true)});
  const auto m = decode_bytes(list, ProtocolVersion::kV2, key);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->accm, (Accm{0xffffffff, 0xffffffff}));
}

TEST(Leniency, MalformedAvpWithoutMandatoryBitIsIgnored) {
  // RFC 3931 §7.1's own example: a 4-byte Rx Connect Speed in v3.
  const auto m = decode("8008 0000 0000 000c  000a 0000 004b 00002580", ProtocolVersion::kV3);
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->rx_connect_speed.has_value());
  EXPECT_EQ(decode("8008 0000 0000 000c  800a 0000 004b 00002580", ProtocolVersion::kV3).error(),
            WireError::kAvpBadLength);
}

TEST(Leniency, CdnNeedsOnlyResultCodeAndSessionIds) {
  Message cdn;
  cdn.type = MessageType::kCdn;
  cdn.result_code = ResultCode{1, std::nullopt, ""};
  EXPECT_FALSE(has_required_avps(cdn, ProtocolVersion::kV2));
  cdn.assigned_session_id = 4;
  EXPECT_TRUE(has_required_avps(cdn, ProtocolVersion::kV2));
  cdn.local_session_id = 9;
  EXPECT_FALSE(has_required_avps(cdn, ProtocolVersion::kV3));
  cdn.remote_session_id = 0;  // not yet known to the sender: still a valid CDN
  EXPECT_TRUE(has_required_avps(cdn, ProtocolVersion::kV3));
  cdn.result_code.reset();
  EXPECT_FALSE(has_required_avps(cdn, ProtocolVersion::kV3));
}

TEST(RequiredAvps, ControlConnectionMessages) {
  Message sccrq;
  sccrq.type = MessageType::kSccrq;
  sccrq.protocol_version = 0x0100;
  sccrq.framing_capabilities = 3;
  sccrq.assigned_tunnel_id = 1;
  EXPECT_FALSE(has_required_avps(sccrq, ProtocolVersion::kV2));  // no Host Name
  sccrq.host_name = "lac";
  EXPECT_TRUE(has_required_avps(sccrq, ProtocolVersion::kV2));
  EXPECT_FALSE(has_required_avps(sccrq, ProtocolVersion::kV3));
  sccrq.router_id = 1;
  sccrq.assigned_connection_id = 2;
  sccrq.pseudowire_capabilities = std::vector<std::uint16_t>{kPseudowirePpp};
  EXPECT_TRUE(has_required_avps(sccrq, ProtocolVersion::kV3));

  for (auto type : {MessageType::kScccn, MessageType::kHello, MessageType::kAck}) {
    Message bare;
    bare.type = type;
    EXPECT_TRUE(has_required_avps(bare, ProtocolVersion::kV2));
    EXPECT_TRUE(has_required_avps(bare, ProtocolVersion::kV3));
  }
  Message stop;
  stop.type = MessageType::kStopccn;
  EXPECT_FALSE(has_required_avps(stop, ProtocolVersion::kV3));
}

TEST(RequiredAvps, SessionMessages) {
  Message icrq;
  icrq.type = MessageType::kIcrq;
  icrq.assigned_session_id = 1;
  EXPECT_FALSE(has_required_avps(icrq, ProtocolVersion::kV2));
  icrq.call_serial_number = 1;
  EXPECT_TRUE(has_required_avps(icrq, ProtocolVersion::kV2));
  icrq.local_session_id = 1;
  icrq.remote_session_id = 0;
  EXPECT_FALSE(has_required_avps(icrq, ProtocolVersion::kV3));  // no Pseudowire Type
  icrq.pseudowire_type = kPseudowireEthernet;
  EXPECT_TRUE(has_required_avps(icrq, ProtocolVersion::kV3));

  Message iccn;
  iccn.type = MessageType::kIccn;
  iccn.framing_type = 1;
  EXPECT_FALSE(has_required_avps(iccn, ProtocolVersion::kV2));
  iccn.tx_connect_speed = 1;
  EXPECT_TRUE(has_required_avps(iccn, ProtocolVersion::kV2));

  Message wen;
  wen.type = MessageType::kWen;
  EXPECT_FALSE(has_required_avps(wen, ProtocolVersion::kV2));
  Message sli;
  sli.type = MessageType::kSli;
  sli.local_session_id = 1;
  sli.remote_session_id = 2;
  EXPECT_FALSE(has_required_avps(sli, ProtocolVersion::kV2));  // v2 needs ACCM
  EXPECT_TRUE(has_required_avps(sli, ProtocolVersion::kV3));
}

// --- Message Type

TEST(MessageTypeAvp, MustComeFirst) {
  EXPECT_EQ(decode("").error(), WireError::kMissingMessageType);
  EXPECT_EQ(decode("8009 0000 0007 6c6e73  8008 0000 0000 0001").error(),
            WireError::kMissingMessageType);
  EXPECT_EQ(decode("8008 0009 0000 0001").error(), WireError::kMissingMessageType);  // vendor
}

TEST(MessageTypeAvp, UnknownValuesAreRefused) {
  for (const char* value : {"0000", "0005", "000d", "0011", "0013", "ffff"}) {
    EXPECT_EQ(decode(std::string("8008 0000 0000 ") + value).error(),
              WireError::kUnknownMessageType)
        << value;
  }
  // ACK exists in v3 only.
  EXPECT_EQ(decode("8008 0000 0000 0014").error(), WireError::kUnknownMessageType);
  EXPECT_TRUE(decode("8008 0000 0000 0014", ProtocolVersion::kV3).has_value());
}

TEST(MessageTypeAvp, WrongLengthIsMalformed) {
  EXPECT_EQ(decode("8009 0000 0000 0001 00").error(), WireError::kAvpBadLength);
  EXPECT_EQ(decode("8006 0000 0000").error(), WireError::kAvpBadLength);
}

TEST(MessageTypeAvp, ARepeatedMessageTypeIsIgnored) {
  const auto m = decode("8008 0000 0000 0006  8008 0000 0000 0001");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, MessageType::kHello);
}

// --- Value lengths

TEST(ValueLengths, FixedSizeAttributesAreCheckedExactly) {
  struct Case {
    const char* name;
    const char* avps;
    ProtocolVersion version;
  };
  const Case cases[] = {
      {"protocol version 3 bytes", "8009 0000 0002 010000", ProtocolVersion::kV2},
      {"framing caps 2 bytes", "8008 0000 0003 0001", ProtocolVersion::kV2},
      {"tie breaker 7 bytes", "800d 0000 0005 01020304050607", ProtocolVersion::kV2},
      {"empty host name", "8006 0000 0007", ProtocolVersion::kV2},
      {"tunnel id 4 bytes", "800a 0000 0009 00000001", ProtocolVersion::kV2},
      {"empty challenge", "8006 0000 000b", ProtocolVersion::kV2},
      {"q931 2 bytes", "8008 0000 000c 0010", ProtocolVersion::kV2},
      {"challenge response 15", "8015 0000 000d 000102030405060708090a0b0c0d0e",
       ProtocolVersion::kV2},
      {"call errors 25 bytes",
       "801f 0000 0022 0000 00000000 00000000 00000000 00000000 00000000 000000",
       ProtocolVersion::kV2},
      {"accm 8 bytes", "800e 0000 0023 00000000 00000000", ProtocolVersion::kV2},
      {"sequencing required with a value", "8007 0000 0027 00", ProtocolVersion::kV2},
      {"router id 2 bytes", "8008 0000 003c 0001", ProtocolVersion::kV3},
      {"pw caps odd", "8009 0000 003e 000500", ProtocolVersion::kV3},
      {"pw caps empty", "8006 0000 003e", ProtocolVersion::kV3},
      {"cookie 5 bytes", "800b 0000 0041 0102030405", ProtocolVersion::kV3},
      {"local session id 2", "8008 0000 003f 0001", ProtocolVersion::kV3},
      {"circuit status 4", "800a 0000 0047 00000001", ProtocolVersion::kV3},
      {"digest md5 15 bytes", "8016 0000 003b 00 000102030405060708090a0b0c0d0e",
       ProtocolVersion::kV3},
      {"digest sha1 16 bytes", "8017 0000 003b 01 000102030405060708090a0b0c0d0e0f",
       ProtocolVersion::kV3},
      {"tx speed 4 bytes", "800a 0000 004a 00000001", ProtocolVersion::kV3},
  };
  for (const Case& c : cases) {
    const auto m = decode(std::string("8008 0000 0000 0001 ") + c.avps, c.version);
    ASSERT_FALSE(m.has_value()) << c.name;
    EXPECT_EQ(m.error(), WireError::kAvpBadLength) << c.name;
  }
}

TEST(ValueLengths, DigestOfUnknownTypeIsABadValue) {
  EXPECT_EQ(decode("8008 0000 0000 0006  8017 0000 003b 02 000102030405060708090a0b0c0d0e0f",
                   ProtocolVersion::kV3)
                .error(),
            WireError::kAvpBadValue);
}

TEST(ValueLengths, CookieMayBeEmptyFourOrEightBytes) {
  for (const char* cookie :
       {"8006 0000 0041", "800a 0000 0041 01020304", "800e 0000 0041 0102030405060708"}) {
    const auto m = decode(std::string("8008 0000 0000 000a ") + cookie, ProtocolVersion::kV3);
    ASSERT_TRUE(m.has_value()) << cookie;
    EXPECT_TRUE(m->assigned_cookie.has_value());
  }
}

// --- Duplicates and digests

TEST(Duplicates, FirstOneWins) {
  const auto m = decode(
      "8008 0000 0000 0001"
      "8009 0000 0007 6f6e65"  // Host Name "one"
      "8009 0000 0007 74776f"  // Host Name "two"
      "8008 0000 0009 0001 8008 0000 0009 0002");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->host_name, "one");
  EXPECT_EQ(m->assigned_tunnel_id, 1u);
}

TEST(Digests, UpToTwoAreCollected) {
  const auto m = decode(
      "8008 0000 0000 0006"
      "8017 0000 003b 00 00000000000000000000000000000001"
      "801b 0000 003b 01 0000000000000000000000000000000000000002"
      "8017 0000 003b 00 00000000000000000000000000000003",
      ProtocolVersion::kV3);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->digests.size(), 2u);
  EXPECT_EQ(m->digests[0].type, DigestType::kHmacMd5);
  EXPECT_EQ(m->digests[0].digest.size(), 16u);
  EXPECT_EQ(m->digests[1].type, DigestType::kHmacSha1);
  EXPECT_EQ(m->digests[1].digest.back(), 2u);
}

}  // namespace
}  // namespace l2tp::wire
