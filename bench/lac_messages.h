// The control messages the load generator sends as a LAC (L2TPv2, RFC 2661)
// or an LCCE opening incoming calls (L2TPv3 over UDP, RFC 3931), built with
// the project's wire codec. Pure: no sockets or clocks, so that a test can
// decode every one of them (bench/tests/test_lac_messages.cpp).
#pragma once

#include <cstdint>

#include "wire/bytes.h"
#include "wire/header.h"
#include "wire/message.h"

namespace l2tp::bench {

using wire::ProtocolVersion;

// RFC 2661 §5.8: framing and bearer capabilities we claim (sync and async).
inline constexpr std::uint32_t kCapabilities = 0x3;
inline constexpr std::uint16_t kReceiveWindow = 16;

// v2: our Assigned Tunnel ID; v3: our Assigned Control Connection ID (and
// Router ID), offering both pseudowires our listener speaks.
wire::Message sccrq(ProtocolVersion version, std::uint32_t our_tunnel_id);
wire::Message scccn();
// Result 1: general request to clear the control connection.
wire::Message stopccn(ProtocolVersion version, std::uint32_t our_tunnel_id);

// v2 ICRQ: our Assigned Session ID.
wire::Message icrq(std::uint16_t our_session_id, std::uint32_t call_serial);
wire::Message iccn();
// v3 ICRQ and ICCN (RFC 3931 §6.6.1, §6.6.3): both session ids in every
// message, the peer's zero until its ICRP; `pseudowire` is
// wire::kPseudowirePpp or wire::kPseudowireEthernet.
wire::Message icrq_v3(std::uint32_t our_session_id, std::uint32_t call_serial,
                      std::uint16_t pseudowire);
wire::Message iccn_v3(std::uint32_t our_session_id, std::uint32_t peer_session_id);

// Where a datagram goes, in which version, and its sequence numbers.
struct Addressing {
  ProtocolVersion version = ProtocolVersion::kV2;
  std::uint32_t peer_tunnel_id = 0;   // 0 for an SCCRQ; v3: the Control Connection ID
  std::uint16_t peer_session_id = 0;  // v2 only: 0 for tunnel messages and an ICRQ
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;
};

// A whole UDP payload: header and AVPs, encoded for to.version.
wire::Bytes datagram(const Addressing& to, const wire::Message& message);
// An acknowledgement without a message (Ns is not consumed).
wire::Bytes zlb(const Addressing& to);

// Where Nr sits in a datagram of either version over UDP (flags, length, a
// 16-bit tunnel and session id or a 32-bit connection id, Ns): the generator
// patches it in place when it retransmits.
inline constexpr std::size_t kNrOffset = 10;

}  // namespace l2tp::bench
