// L2TP headers (RFC 2661 §3.1, RFC 3931 §4.1): classification of received
// datagrams into control and data packets, and framing of control messages.
#pragma once

#include <cstdint>
#include <expected>
#include <variant>

#include "core/protocol.h"
#include "wire/bytes.h"
#include "wire/wire_error.h"

namespace l2tp::wire {

using l2tp::Encapsulation;
using l2tp::ProtocolVersion;

inline constexpr std::size_t kControlHeaderSize = 12;   // both versions, without the IP prefix
inline constexpr std::size_t kIpSessionPrefixSize = 4;  // the all-zero Session ID of v3 over IP

struct ControlHeader {
  ProtocolVersion version = ProtocolVersion::kV2;
  std::uint32_t tunnel_id = 0;   // v2 Tunnel ID (16 bits) or v3 Control Connection ID
  std::uint16_t session_id = 0;  // v2 only: the receiver's session for call messages
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;
};

struct ControlPacket {
  ControlHeader header;
  ByteView message;  // from the T bit to the end (what the v3 Message Digest covers)
  ByteView avps;     // the AVPs after the header; empty for a ZLB
};

// A data packet seen on a control socket (the kernel passes up packets for
// sessions it does not know yet); the engine counts and drops them.
struct DataPacket {
  ProtocolVersion version = ProtocolVersion::kV2;
  std::uint32_t tunnel_id = 0;  // v2 only
  std::uint32_t session_id = 0;
};

using Packet = std::variant<ControlPacket, DataPacket>;

// Classifies one datagram as received on a tunnel socket: the UDP payload, or
// for Encapsulation::kIp the IP payload. Views point into `datagram`.
std::expected<Packet, WireError> parse_packet(ByteView datagram, Encapsulation encapsulation);

// Frames a control message: header (with Length), then `avps`. For kIp the
// four-byte zero Session ID comes first. An empty `avps` makes a ZLB.
Bytes frame_control(const ControlHeader& header, ByteView avps, Encapsulation encapsulation);

// Offset of the control message (the T bit) inside a framed datagram.
inline std::size_t message_offset(Encapsulation encapsulation) {
  return encapsulation == Encapsulation::kIp ? kIpSessionPrefixSize : 0;
}

}  // namespace l2tp::wire
