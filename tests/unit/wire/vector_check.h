// Checks one hand-written datagram against the codec in both directions:
// framing + encoding must produce it byte for byte, and parsing + decoding it
// must give back the same header and Message.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "hex.h"
#include "wire/header.h"
#include "wire/message.h"

namespace l2tp::wire::testing {

inline void expect_vector(const ControlHeader& header, const Message& message,
                          std::string_view spaced_hex,
                          Encapsulation encapsulation = Encapsulation::kUdp) {
  const Bytes expected = from_hex(spaced_hex);

  EncodeOptions encode_options;
  encode_options.version = header.version;
  const Bytes built = frame_control(header, encode_message(message, encode_options), encapsulation);
  EXPECT_EQ(to_hex(built), to_hex(expected)) << "encoding " << to_string(message.type);

  const auto packet = parse_packet(expected, encapsulation);
  ASSERT_TRUE(packet.has_value()) << to_string(packet.error());
  ASSERT_TRUE(std::holds_alternative<ControlPacket>(*packet));
  const auto& control = std::get<ControlPacket>(*packet);
  EXPECT_EQ(control.header.version, header.version);
  EXPECT_EQ(control.header.tunnel_id, header.tunnel_id);
  EXPECT_EQ(control.header.session_id, header.session_id);
  EXPECT_EQ(control.header.ns, header.ns);
  EXPECT_EQ(control.header.nr, header.nr);

  DecodeOptions decode_options;
  decode_options.version = header.version;
  const auto decoded = decode_message(control.avps, decode_options);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_TRUE(*decoded == message) << "decoding " << to_string(message.type);
  EXPECT_TRUE(has_required_avps(*decoded, header.version)) << to_string(message.type);
}

inline ControlHeader v2_header(std::uint16_t tunnel, std::uint16_t session, std::uint16_t ns,
                               std::uint16_t nr) {
  return {ProtocolVersion::kV2, tunnel, session, ns, nr};
}

inline ControlHeader v3_header(std::uint32_t connection, std::uint16_t ns, std::uint16_t nr) {
  return {ProtocolVersion::kV3, connection, 0, ns, nr};
}

inline Bytes bytes_of(std::string_view spaced_hex) {
  return from_hex(spaced_hex);
}

}  // namespace l2tp::wire::testing
