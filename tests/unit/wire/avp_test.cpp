#include "wire/avp.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "hex.h"

namespace l2tp::wire {
namespace {

using testing::from_hex;
using testing::hex;
using testing::to_hex;

TEST(SplitAvps, SplitsFlagsVendorTypeAndValue) {
  const Bytes list = from_hex(
      "8008 0000 0000 0001"      // M, Message Type SCCRQ
      "c00a 0009 0007 01020304"  // M H, vendor 9, type 7
      "0006 0000 0027");         // no value
  const auto avps = split_avps(list);
  ASSERT_TRUE(avps.has_value());
  ASSERT_EQ(avps->size(), 3u);
  EXPECT_TRUE((*avps)[0].mandatory);
  EXPECT_FALSE((*avps)[0].hidden);
  EXPECT_EQ(to_hex((*avps)[0].value), "0001");
  EXPECT_EQ((*avps)[0].offset, 0u);
  EXPECT_TRUE((*avps)[1].hidden);
  EXPECT_EQ((*avps)[1].vendor_id, 9u);
  EXPECT_EQ((*avps)[1].attribute_type, 7u);
  EXPECT_EQ(to_hex((*avps)[1].value), "01020304");
  EXPECT_EQ((*avps)[1].offset, 8u);
  EXPECT_FALSE((*avps)[2].mandatory);
  EXPECT_TRUE((*avps)[2].value.empty());
  EXPECT_EQ((*avps)[2].attribute_type, 39u);
}

TEST(SplitAvps, EmptyListIsEmpty) {
  const auto avps = split_avps({});
  ASSERT_TRUE(avps.has_value());
  EXPECT_TRUE(avps->empty());
}

// xl2tpd looped forever on a zero length; accel-ppp overflowed on short ones.
TEST(SplitAvps, LengthZeroIsRefusedNotLoopedOn) {
  EXPECT_EQ(split_avps(from_hex("8008 0000 0000 0001 8000 0000 0000 0000")).error(),
            WireError::kAvpTooShort);
  EXPECT_EQ(split_avps(from_hex("0000 0000 0000")).error(), WireError::kAvpTooShort);
}

TEST(SplitAvps, LengthBelowSixIsRefused) {
  for (int length = 1; length < 6; ++length) {
    Bytes list = from_hex("8000 0000 0000 0000 0000");
    list[1] = static_cast<std::uint8_t>(length);
    EXPECT_EQ(split_avps(list).error(), WireError::kAvpTooShort) << "length " << length;
  }
}

TEST(SplitAvps, LengthPastTheEndIsRefused) {
  EXPECT_EQ(split_avps(from_hex("8009 0000 0000 0001")).error(), WireError::kAvpOverrun);
  EXPECT_EQ(split_avps(from_hex("83ff 0000 0000 0001")).error(), WireError::kAvpOverrun);
  // A last AVP whose header itself is cut off.
  EXPECT_EQ(split_avps(from_hex("8008 0000 0000 0001 80")).error(), WireError::kAvpOverrun);
  EXPECT_EQ(split_avps(from_hex("8008 0000 0000 0001 8008 0000")).error(), WireError::kAvpOverrun);
}

TEST(SplitAvps, ReservedBitsDoNotChangeTheLength) {
  // All four reserved bits set: Length is still the low 10 bits.
  const Bytes list = from_hex("bc08 0000 0000 0006");
  const auto avps = split_avps(list);
  ASSERT_TRUE(avps.has_value());
  ASSERT_EQ(avps->size(), 1u);
  EXPECT_EQ((*avps)[0].reserved_flags, 0x0F);
  EXPECT_TRUE((*avps)[0].mandatory);
  EXPECT_FALSE((*avps)[0].hidden);
  EXPECT_EQ(to_hex((*avps)[0].value), "0006");
}

TEST(SplitAvps, LargestAvpFits) {
  Bytes list = from_hex("83ff 0000 0016");
  list.resize(kMaxAvpLength, 'x');
  const auto avps = split_avps(list);
  ASSERT_TRUE(avps.has_value());
  ASSERT_EQ(avps->size(), 1u);
  EXPECT_EQ((*avps)[0].value.size(), kMaxAvpLength - kAvpHeaderSize);
}

TEST(WriteAvp, WritesHeaderAndValue) {
  ByteWriter out;
  const Bytes value = from_hex("0102");
  write_avp(out, AttributeType::kAssignedTunnelId, value, true);
  write_avp(out, AttributeType::kFirmwareRevision, value, false);
  write_avp(out, AttributeType::kCallingNumber, value, true, true);
  write_avp(out, AttributeType::kHostName, value, false, false, 9);
  EXPECT_EQ(to_hex(out.data()), hex("8008 0000 0009 0102"
                                    "0008 0000 0006 0102"
                                    "c008 0000 0016 0102"
                                    "0008 0009 0007 0102"));
}

TEST(WriteAvp, ClampsValuesThatCannotBeFramed) {
  ByteWriter out;
  const Bytes value(2000, 'a');
  write_avp(out, AttributeType::kHostName, value, true);
  ASSERT_EQ(out.size(), kMaxAvpLength);
  EXPECT_EQ(to_hex(ByteView(out.data()).first(6)), "83ff00000007");
}

TEST(MessageTypeNames, EveryTypeHasADistinctName) {
  std::set<std::string> names;
  int known = 0;
  for (int value = 0; value < 64; ++value) {
    if (!is_known_message_type(static_cast<std::uint16_t>(value))) continue;
    ++known;
    names.insert(to_string(static_cast<MessageType>(value)));
  }
  EXPECT_EQ(known, 15);
  EXPECT_EQ(names.size(), 15u);
  EXPECT_STREQ(to_string(MessageType::kStopccn), "StopCCN");
  EXPECT_STREQ(to_string(MessageType::kAck), "ACK");
  EXPECT_FALSE(is_known_message_type(0));
  EXPECT_FALSE(is_known_message_type(5));
  EXPECT_FALSE(is_known_message_type(13));
  EXPECT_FALSE(is_known_message_type(17));
}

TEST(WireErrorNames, EveryErrorHasADistinctName) {
  std::set<std::string_view> names;
  const int count = static_cast<int>(WireError::kDigestMismatch) + 1;
  for (int value = 0; value < count; ++value) {
    const std::string_view name = to_string(static_cast<WireError>(value));
    EXPECT_FALSE(name.empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(count));
}

}  // namespace
}  // namespace l2tp::wire
