// PPPoE discovery from bytes: vectors written by hand from RFC 2516's
// figures (one tag a line), never produced by the encoder under test.
#include "pppoe/discovery.h"

#include <gtest/gtest.h>

#include "../wire/hex.h"

namespace l2tp::pppoe {
namespace {

using wire::testing::from_hex;

// What rp-pppoe's client sends first: an empty Service-Name (any service)
// and a Host-Uniq to match the answers to this client.
const Bytes kPadi = from_hex(
    "11 09 0000 000c"     // VER/TYPE 1/1, PADI, session 0, LENGTH 12
    "0101 0000"           // Service-Name: empty
    "0103 0004 deadbeef"  // Host-Uniq
);

TEST(DiscoveryDecode, PadiWithServiceNameAndHostUniq) {
  const auto packet = decode_discovery(kPadi);
  ASSERT_TRUE(packet.has_value()) << to_string(packet.error());
  EXPECT_EQ(packet->code, Code::kPadi);
  EXPECT_EQ(packet->session_id, 0);
  ASSERT_EQ(packet->tags.size(), 2u);
  EXPECT_EQ(packet->tags[0], (Tag{0x0101, {}}));
  ASSERT_NE(packet->find(TagType::kHostUniq), nullptr);
  EXPECT_EQ(packet->find(TagType::kHostUniq)->value, from_hex("deadbeef"));
  EXPECT_EQ(packet->find(TagType::kAcCookie), nullptr);
}

TEST(DiscoveryDecode, EthernetPaddingAfterLengthIsIgnored) {
  Bytes padded = kPadi;
  padded.resize(46, 0);  // the Ethernet minimum payload
  const auto packet = decode_discovery(padded);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->tags.size(), 2u);
}

TEST(DiscoveryDecode, EndOfListEndsTheTags) {
  const auto packet =
      decode_discovery(from_hex("11 19 0000 0010"
                                "0101 0003 697370"  // Service-Name "isp"
                                "0000 0000"         // End-Of-List
                                "0103 0001 01"));   // after the end: not read
  ASSERT_TRUE(packet.has_value());
  ASSERT_EQ(packet->tags.size(), 1u);
  EXPECT_EQ(wire::to_string(packet->tags[0].value), "isp");
}

TEST(DiscoveryDecode, PadsPadoAndPadt) {
  const auto pads =
      decode_discovery(from_hex("11 65 1234 0007"
                                "0101 0003 697370"));
  ASSERT_TRUE(pads.has_value());
  EXPECT_EQ(pads->code, Code::kPads);
  EXPECT_EQ(pads->session_id, 0x1234);

  // A PADS that refuses: Service-Name-Error and session id 0.
  const auto refused =
      decode_discovery(from_hex("11 65 0000 0004"
                                "0201 0000"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->find(TagType::kServiceNameError), nullptr);

  const auto pado =
      decode_discovery(from_hex("11 07 0000 000f"
                                "0102 0007 6c327470627573"  // AC-Name "l2tpbus"
                                "0101 0000"));
  ASSERT_TRUE(pado.has_value());
  EXPECT_EQ(wire::to_string(pado->find(TagType::kAcName)->value), "l2tpbus");

  const auto padt = decode_discovery(from_hex("11 a7 0001 0000"));
  ASSERT_TRUE(padt.has_value());
  EXPECT_EQ(padt->code, Code::kPadt);
  EXPECT_TRUE(padt->tags.empty());
}

TEST(DiscoveryDecode, EveryTagTypeRoundTrips) {
  DiscoveryPacket packet{Code::kPadr, 0, {}};
  packet.add(TagType::kServiceName, "isp");
  packet.add(TagType::kAcName, "l2tpbus");
  packet.add(TagType::kHostUniq, from_hex("01020304"));
  packet.add(TagType::kAcCookie, from_hex("00112233445566778899aabbccddeeff00112233"));
  packet.add(TagType::kVendorSpecific, from_hex("00000de9 0102"));
  packet.add(TagType::kRelaySessionId, from_hex("0a0b0c"));
  packet.add(TagType::kPppMaxPayload, from_hex("05dc"));
  packet.add(TagType::kServiceNameError, "");
  packet.add(TagType::kAcSystemError, "out of sessions");
  packet.add(TagType::kGenericError, "no");
  const auto decoded = decode_discovery(encode_discovery(packet));
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_EQ(*decoded, packet);
}

TEST(DiscoveryEncode, PadsBytes) {
  DiscoveryPacket pads{Code::kPads, 0x0042, {}};
  pads.add(TagType::kServiceName, "isp");
  pads.add(TagType::kHostUniq, from_hex("deadbeef"));
  EXPECT_EQ(wire::testing::to_hex(encode_discovery(pads)),
            wire::testing::to_hex(from_hex("11 65 0042 000f"
                                           "0101 0003 697370"
                                           "0103 0004 deadbeef")));
}

struct Refusal {
  const char* name;
  const char* hex;
  DiscoveryError error;
};

class DiscoveryRefusal : public ::testing::TestWithParam<Refusal> {};

TEST_P(DiscoveryRefusal, IsDroppedWithItsReason) {
  const auto packet = decode_discovery(from_hex(GetParam().hex));
  ASSERT_FALSE(packet.has_value());
  EXPECT_EQ(packet.error(), GetParam().error) << to_string(packet.error());
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, DiscoveryRefusal,
    ::testing::Values(
        Refusal{"Empty", "", DiscoveryError::kTruncated},
        Refusal{"HalfAHeader", "11 09 0000 00", DiscoveryError::kTruncated},
        Refusal{"LengthPastTheFrame", "11 09 0000 0010 0101 0000", DiscoveryError::kTruncated},
        Refusal{"Version2", "21 09 0000 0004 0101 0000", DiscoveryError::kBadVersionType},
        Refusal{"Type2", "12 09 0000 0004 0101 0000", DiscoveryError::kBadVersionType},
        Refusal{"SessionCode", "11 00 0001 0000", DiscoveryError::kUnknownCode},
        Refusal{"LengthOverTheLimit", "11 09 0000 05d7", DiscoveryError::kTooLarge},
        Refusal{"TagHeaderCut", "11 09 0000 0003 010100", DiscoveryError::kTagOverrun},
        Refusal{"TagValueOverrun", "11 09 0000 0006 0101 0005 6973", DiscoveryError::kTagOverrun},
        Refusal{"PadiWithSession", "11 09 0001 0004 0101 0000", DiscoveryError::kBadSessionId},
        Refusal{"PadrWithSession", "11 19 0007 0004 0101 0000", DiscoveryError::kBadSessionId},
        Refusal{"PadtWithoutSession", "11 a7 0000 0000", DiscoveryError::kBadSessionId},
        Refusal{"PadiWithoutServiceName", "11 09 0000 0008 0103 0004 deadbeef",
                DiscoveryError::kMissingServiceName},
        Refusal{"PadrWithTwoServiceNames", "11 19 0000 0008 0101 0000 0101 0000",
                DiscoveryError::kDuplicateTag},
        Refusal{"TwoHostUniqs", "11 09 0000 0010 0101 0000 0103 0002 0102 0103 0002 0304",
                DiscoveryError::kDuplicateTag},
        Refusal{"TwoCookies", "11 19 0000 000e 0101 0000 0104 0001 01 0104 0001 02",
                DiscoveryError::kDuplicateTag},
        Refusal{"PadoWithoutAcName", "11 07 0000 0004 0101 0000", DiscoveryError::kMissingAcName},
        Refusal{"PadsWithNeitherNameNorError", "11 65 0001 0000",
                DiscoveryError::kMissingServiceName}),
    [](const ::testing::TestParamInfo<Refusal>& refusal) {
      return std::string(refusal.param.name);
    });

TEST(DiscoveryDecode, TooManyTags) {
  DiscoveryPacket packet{Code::kPadi, 0, {}};
  packet.add(TagType::kServiceName, "");
  for (std::size_t i = 0; i < kMaxTags; ++i) packet.add(TagType::kVendorSpecific, "x");
  const auto decoded = decode_discovery(encode_discovery(packet));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error(), DiscoveryError::kTooManyTags);
  packet.tags.pop_back();
  EXPECT_TRUE(decode_discovery(encode_discovery(packet)).has_value());
}

TEST(DiscoveryDecode, EveryPrefixOfAValidPacketIsRefusedNotRead) {
  const Bytes pado = from_hex(
      "11 07 0000 000f"
      "0102 0007 6c327470627573"
      "0101 0000");
  for (std::size_t size = 0; size < pado.size(); ++size) {
    EXPECT_FALSE(decode_discovery(wire::ByteView(pado).first(size)).has_value()) << size;
  }
}

TEST(MacAddress, ParsesFormatsAndTellsUnicast) {
  const auto mac = parse_mac("02:00:5E:10:00:01");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(to_string(*mac), "02:00:5e:10:00:01");
  EXPECT_TRUE(is_unicast(*mac));
  EXPECT_FALSE(is_unicast(*parse_mac("ff:ff:ff:ff:ff:ff")));
  EXPECT_FALSE(is_unicast(*parse_mac("01:00:5e:00:00:01")));
  EXPECT_FALSE(is_unicast(*parse_mac("00:00:00:00:00:00")));
  for (const char* bad : {"", "02:00:5e:10:00", "02:00:5e:10:00:01:02", "02-00-5e-10-00-01",
                          "02:00:5e:10:00:0g", "2:00:5e:10:00:011"}) {
    EXPECT_FALSE(parse_mac(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace l2tp::pppoe
