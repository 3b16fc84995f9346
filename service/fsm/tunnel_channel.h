// What a tunnel's control channel carries: each message encoded once on its
// way out and decoded once on its way in. The header (Ns, Nr, the peer's
// tunnel id) and the v3 Message Digest change per (re)transmission, so
// Tunnel::transmit frames them each time.
#pragma once

#include <cstdint>

#include "transport/control_channel.h"
#include "wire/bytes.h"
#include "wire/message.h"

namespace l2tp::fsm {

struct OutgoingMessage {
  std::uint16_t header_session_id = 0;  // v2: the peer's session id, in the header
  // Encoded at send time: the Random Vector of hidden AVPs stays the same
  // across retransmissions.
  wire::Bytes avps;
};

struct IncomingMessage {
  std::uint16_t header_session_id = 0;  // v2: our session id, from the header
  wire::Message message;
};

using TunnelChannel = transport::ControlChannel<OutgoingMessage, IncomingMessage>;

}  // namespace l2tp::fsm

// Instantiated once, in tunnel_channel.cpp, rather than in every user.
namespace l2tp::transport {
extern template class ControlChannel<fsm::OutgoingMessage, fsm::IncomingMessage>;
}  // namespace l2tp::transport
