#include "wire/header.h"

namespace l2tp::wire {
namespace {

constexpr std::uint16_t kFlagType = 0x8000;
constexpr std::uint16_t kFlagLength = 0x4000;
constexpr std::uint16_t kFlagSequence = 0x0800;
constexpr std::uint16_t kFlagOffset = 0x0200;
constexpr std::uint16_t kFlagPriority = 0x0100;
constexpr std::uint16_t kVersionMask = 0x000F;

// Parses a control header whose first 16 bits are already read. `message`
// starts at the T bit. The version decides the width of the tunnel id.
std::expected<Packet, WireError> parse_control(ByteView message, std::uint16_t flags,
                                               ProtocolVersion version) {
  if (!(flags & kFlagLength) || !(flags & kFlagSequence))
    return std::unexpected(WireError::kBadHeader);
  // RFC 3931 §3.2.1 turns O and P into reserved bits that a receiver ignores.
  if (version == ProtocolVersion::kV2 && (flags & (kFlagOffset | kFlagPriority))) {
    return std::unexpected(WireError::kBadHeader);
  }
  if (message.size() < kControlHeaderSize) return std::unexpected(WireError::kTruncated);

  ByteReader reader(message);
  reader.u16();  // flags and version, already inspected
  const std::uint16_t length = *reader.u16();
  if (length > message.size()) return std::unexpected(WireError::kTruncated);
  if (length < kControlHeaderSize) return std::unexpected(WireError::kLengthMismatch);

  ControlPacket packet;
  packet.header.version = version;
  if (version == ProtocolVersion::kV2) {
    packet.header.tunnel_id = *reader.u16();
    packet.header.session_id = *reader.u16();
  } else {
    packet.header.tunnel_id = *reader.u32();
  }
  packet.header.ns = *reader.u16();
  packet.header.nr = *reader.u16();
  // Bytes after Length belong to the link layer (padding), not to the message.
  packet.message = message.first(length);
  packet.avps = packet.message.subspan(kControlHeaderSize);
  return packet;
}

std::expected<Packet, WireError> parse_v2_data(ByteView datagram, std::uint16_t flags) {
  ByteReader reader(datagram);
  reader.u16();
  if (flags & kFlagLength) reader.u16();
  DataPacket packet;
  packet.version = ProtocolVersion::kV2;
  const auto tunnel_id = reader.u16();
  const auto session_id = reader.u16();
  if (flags & kFlagSequence) {
    reader.u16();
    reader.u16();
  }
  if (flags & kFlagOffset) {
    const auto offset_size = reader.u16();
    if (offset_size) reader.take(*offset_size);
  }
  if (reader.failed()) return std::unexpected(WireError::kTruncated);
  packet.tunnel_id = *tunnel_id;
  packet.session_id = *session_id;
  return packet;
}

std::expected<Packet, WireError> parse_v3_udp_data(ByteView datagram) {
  ByteReader reader(datagram);
  reader.u16();
  reader.u16();  // reserved
  const auto session_id = reader.u32();
  if (!session_id) return std::unexpected(WireError::kTruncated);
  DataPacket packet;
  packet.version = ProtocolVersion::kV3;
  packet.session_id = *session_id;
  return packet;
}

std::expected<Packet, WireError> parse_udp(ByteView datagram) {
  ByteReader reader(datagram);
  const auto flags = reader.u16();
  if (!flags) return std::unexpected(WireError::kTruncated);
  // RFC 3931 §4.1.2.1: look at Ver before any other bit, their meaning differs.
  switch (*flags & kVersionMask) {
    case 2:
      if (*flags & kFlagType) return parse_control(datagram, *flags, ProtocolVersion::kV2);
      return parse_v2_data(datagram, *flags);
    case 3:
      if (*flags & kFlagType) return parse_control(datagram, *flags, ProtocolVersion::kV3);
      return parse_v3_udp_data(datagram);
    default:
      return std::unexpected(WireError::kUnsupportedVersion);
  }
}

// RFC 3931 §4.1.1: a non-zero Session ID is data; zero introduces a control header.
std::expected<Packet, WireError> parse_ip(ByteView datagram) {
  ByteReader reader(datagram);
  const auto session_id = reader.u32();
  if (!session_id) return std::unexpected(WireError::kTruncated);
  if (*session_id != 0) {
    DataPacket packet;
    packet.version = ProtocolVersion::kV3;
    packet.session_id = *session_id;
    return packet;
  }
  const ByteView message = datagram.subspan(kIpSessionPrefixSize);
  ByteReader header(message);
  const auto flags = header.u16();
  if (!flags) return std::unexpected(WireError::kTruncated);
  if ((*flags & kVersionMask) != 3) return std::unexpected(WireError::kUnsupportedVersion);
  if (!(*flags & kFlagType)) return std::unexpected(WireError::kBadHeader);
  return parse_control(message, *flags, ProtocolVersion::kV3);
}

}  // namespace

std::expected<Packet, WireError> parse_packet(ByteView datagram, Encapsulation encapsulation) {
  if (encapsulation == Encapsulation::kIp) return parse_ip(datagram);
  return parse_udp(datagram);
}

Bytes frame_control(const ControlHeader& header, ByteView avps, Encapsulation encapsulation) {
  ByteWriter out;
  if (encapsulation == Encapsulation::kIp) out.u32(0);
  const auto version = static_cast<std::uint16_t>(header.version);
  out.u16(static_cast<std::uint16_t>(kFlagType | kFlagLength | kFlagSequence | version));
  out.u16(static_cast<std::uint16_t>(kControlHeaderSize + avps.size()));
  if (header.version == ProtocolVersion::kV2) {
    out.u16(static_cast<std::uint16_t>(header.tunnel_id));
    out.u16(header.session_id);
  } else {
    out.u32(header.tunnel_id);
  }
  out.u16(header.ns);
  out.u16(header.nr);
  out.bytes(avps);
  return out.take();
}

}  // namespace l2tp::wire
