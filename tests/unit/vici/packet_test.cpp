// VICI packets and the stream: the 32-bit length prefix, packet types with
// and without names and messages, and reassembly from whatever a
// non-blocking read returns.
#include "vici/packet.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_bytes.h"

namespace l2tp::vici {
namespace {

using testing::Bytes;
using testing::bytes;

TEST(ViciPacket, CommandRequestWithAnEmptyMessage) {
  const auto encoded = encode_packet({PacketType::kCommandRequest, "version", {}});
  ASSERT_TRUE(encoded.has_value()) << encoded.error().what;
  EXPECT_EQ(*encoded, bytes({0, 0, 0, 9, 0, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n'}));
}

TEST(ViciPacket, EveryTypeCarriesWhatItShould) {
  Section message;
  message.add("success", "yes");
  const Bytes message_bytes = encode_message(message).value();
  for (const Packet& packet :
       {Packet{PacketType::kCommandRequest, "load-conn", message},
        Packet{PacketType::kCommandResponse, "", message},
        Packet{PacketType::kCommandUnknown, "", {}},
        Packet{PacketType::kEventRegister, "child-updown", {}},
        Packet{PacketType::kEventUnregister, "child-updown", {}},
        Packet{PacketType::kEventConfirm, "", {}}, Packet{PacketType::kEventUnknown, "", {}},
        Packet{PacketType::kEvent, "ike-updown", message}}) {
    const auto encoded = encode_packet(packet);
    ASSERT_TRUE(encoded.has_value()) << encoded.error().what;
    Bytes expected{static_cast<std::uint8_t>(packet.type)};
    if (is_named(packet.type)) {
      expected.push_back(static_cast<std::uint8_t>(packet.name.size()));
      expected.insert(expected.end(), packet.name.begin(), packet.name.end());
    }
    if (has_message(packet.type))
      expected.insert(expected.end(), message_bytes.begin(), message_bytes.end());
    ASSERT_EQ(encoded->size(), 4 + expected.size());
    EXPECT_EQ(Bytes(encoded->begin() + 4, encoded->end()), expected);
    const auto decoded = decode_packet(expected);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().what;
    EXPECT_EQ(*decoded, packet);
  }
}

TEST(ViciPacket, NamesAreChecked) {
  EXPECT_FALSE(encode_packet({PacketType::kCommandRequest, "", {}}).has_value());
  EXPECT_FALSE(encode_packet({PacketType::kEventRegister, "two words", {}}).has_value());
  EXPECT_FALSE(encode_packet({PacketType::kEvent, std::string(256, 'e'), {}}).has_value());
}

TEST(ViciPacket, MalformedSegmentsAreRefused) {
  for (const Bytes& segment :
       {Bytes{}, bytes({8}), bytes({0xff}), bytes({0}), bytes({0, 5, 'a'}), bytes({3, 0}),
        bytes({3, 2, 'a', '\n'}), bytes({5, 0}), bytes({2, 1, 2, 3}), bytes({1, 9})}) {
    EXPECT_FALSE(decode_packet(segment).has_value()) << ::testing::PrintToString(segment);
  }
}

TEST(ViciPacket, TooLongToSend) {
  Packet packet{PacketType::kCommandRequest, "load-cert", {}};
  for (int i = 0; i < 10; ++i) packet.message.add("k" + std::to_string(i), std::string(60000, 'v'));
  EXPECT_FALSE(encode_packet(packet).has_value());
}

TEST(ViciReader, ReassemblesFromSingleBytesAndSplitsJoinedPackets) {
  Section message;
  message.add("success", "no").add("errmsg", "unknown peer");
  const Bytes first = encode_packet({PacketType::kCommandResponse, "", message}).value();
  const Bytes second = encode_packet({PacketType::kEventConfirm, "", {}}).value();
  PacketReader reader;
  for (std::size_t i = 0; i + 1 < first.size(); ++i) {
    reader.feed(std::span(first).subspan(i, 1));
    EXPECT_FALSE(reader.next().has_value()) << "at byte " << i;
  }
  Bytes rest{first.back()};
  rest.insert(rest.end(), second.begin(), second.end());
  reader.feed(rest);
  const auto response = reader.next();
  ASSERT_TRUE(response.has_value() && response->has_value());
  EXPECT_EQ((*response)->message.text("errmsg"), "unknown peer");
  const auto confirm = reader.next();
  ASSERT_TRUE(confirm.has_value() && confirm->has_value());
  EXPECT_EQ((*confirm)->type, PacketType::kEventConfirm);
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_EQ(reader.pending(), 0u);
}

TEST(ViciReader, AnOversizedLengthBreaksTheStreamForGood) {
  PacketReader reader;
  reader.feed(bytes({0, 8, 0, 1}));  // 512 KiB + 1
  const auto first = reader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->has_value());
  // Nothing buffered for it, and nothing after it is believed.
  EXPECT_EQ(reader.pending(), 0u);
  reader.feed(encode_packet({PacketType::kEventConfirm, "", {}}).value());
  const auto later = reader.next();
  ASSERT_TRUE(later.has_value());
  EXPECT_FALSE(later->has_value());
}

TEST(ViciReader, AMalformedPacketBreaksTheStream) {
  PacketReader reader;
  reader.feed(bytes({0, 0, 0, 2, 1, 7}));  // a response whose message has type 7
  const auto broken = reader.next();
  ASSERT_TRUE(broken.has_value());
  EXPECT_FALSE(broken->has_value());
  reader.feed(encode_packet({PacketType::kEventConfirm, "", {}}).value());
  EXPECT_FALSE(reader.next()->has_value());
}

TEST(ViciReader, TheLargestPacketPasses) {
  PacketReader reader;
  Bytes segment{static_cast<std::uint8_t>(PacketType::kCommandResponse)};
  // Key/values of 65,535-byte values up to exactly 512 KiB.
  std::size_t left = kMaxSegmentLength - 1;
  for (int i = 0; left > 0; ++i) {
    const std::string name = "k" + std::to_string(i);
    const std::size_t overhead = 1 + 1 + name.size() + 2;
    const std::size_t value = std::min<std::size_t>(65535, left - overhead);
    segment.push_back(3);
    segment.push_back(static_cast<std::uint8_t>(name.size()));
    segment.insert(segment.end(), name.begin(), name.end());
    segment.push_back(static_cast<std::uint8_t>(value >> 8));
    segment.push_back(static_cast<std::uint8_t>(value));
    segment.insert(segment.end(), value, 'v');
    left -= overhead + value;
  }
  ASSERT_EQ(segment.size(), kMaxSegmentLength);
  const Bytes prefix{0, 8, 0, 0};
  reader.feed(prefix);
  reader.feed(segment);
  const auto packet = reader.next();
  ASSERT_TRUE(packet.has_value() && packet->has_value());
}

}  // namespace
}  // namespace l2tp::vici
