// The control messages the load generator sends as an L2TPv2 LAC, built with
// the project's wire codec. Pure: no sockets or clocks, so that a test can
// decode every one of them (bench/tests/test_lac_messages.cpp).
#pragma once

#include <cstdint>

#include "wire/bytes.h"
#include "wire/header.h"
#include "wire/message.h"

namespace l2tp::bench {

// RFC 2661 §5.8: framing and bearer capabilities we claim (sync and async).
inline constexpr std::uint32_t kCapabilities = 0x3;
inline constexpr std::uint16_t kReceiveWindow = 16;

wire::Message sccrq(std::uint16_t our_tunnel_id);
wire::Message scccn();
// Result 1: general request to clear the control connection.
wire::Message stopccn(std::uint16_t our_tunnel_id);
wire::Message icrq(std::uint16_t our_session_id, std::uint32_t call_serial);
wire::Message iccn();

// Where a datagram goes and its sequence numbers.
struct Addressing {
  std::uint16_t peer_tunnel_id = 0;   // 0 for an SCCRQ
  std::uint16_t peer_session_id = 0;  // 0 for tunnel messages and an ICRQ
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;
};

// A whole UDP payload: header and AVPs.
wire::Bytes datagram(const Addressing& to, const wire::Message& message);
// An acknowledgement without a message (Ns is not consumed).
wire::Bytes zlb(const Addressing& to);

}  // namespace l2tp::bench
