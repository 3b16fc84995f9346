// What the engine shows of its objects: the snapshots its events carry and
// its queries answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/timing.h"
#include "fsm/options.h"
#include "fsm/ports.h"
#include "wire/header.h"

namespace l2tp::fsm {

enum class ObjectState : std::uint8_t { kConnecting, kEstablished, kClosing, kClosed };
const char* to_string(ObjectState state);

// (result code, error code, message); zeros while none.
struct LastResult {
  std::uint16_t result = 0;
  std::uint16_t error = 0;
  std::string message;
  bool operator==(const LastResult&) const = default;
};

struct TunnelView {
  std::uint32_t tunnel_id = 0;
  std::uint32_t peer_tunnel_id = 0;
  ObjectState state = ObjectState::kConnecting;
  TunnelMode mode = TunnelMode::kDynamic;
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  Role role = Role::kInitiator;
  Endpoint local;
  Endpoint peer;
  std::string peer_host_name;
  std::string peer_vendor_name;
  Duration hello_interval{0};
  LastResult last_result;
  std::vector<std::uint32_t> sessions;
  std::uint32_t listener_id = 0;  // 0: created by create_tunnel
  IpsecStatus ipsec;              // state kNone: no IPsec
  std::uint64_t control_tx = 0;
  std::uint64_t control_rx = 0;
  std::uint64_t retransmits = 0;
  std::uint64_t hello_tx = 0;
};

struct SessionView {
  std::uint32_t tunnel_id = 0;
  std::uint32_t session_id = 0;
  std::uint32_t peer_session_id = 0;
  ObjectState state = ObjectState::kConnecting;
  Pseudowire pseudowire = Pseudowire::kPpp;
  CallType call_type = CallType::kIncoming;
  bool initiated_locally = true;
  std::string interface_name;
  LastResult last_result;
  std::optional<PppAddresses> ppp;  // after the PPP network phase
};

struct ListenerView {
  std::uint32_t listener_id = 0;
  Endpoint local;
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  std::vector<std::uint32_t> tunnels;
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  // Turned away by a limit (also counted in rejected for SCCRQs): SCCRQs and
  // SCCCNs past the tunnel limits, ICRQs/OCRQs past the session and rate ones.
  std::uint64_t tunnels_refused = 0;
  std::uint64_t calls_refused = 0;
  // Of tunnels_refused, those past the refusals a second (or with no tunnel
  // id free) that got no StopCCN; and handshakes ended by MaxHalfOpen, each
  // with a StopCCN (EngineStats counts both for the whole engine).
  std::uint64_t refusals_unanswered = 0;
  std::uint64_t tunnels_evicted = 0;
  std::size_t established_tunnels = 0;
  std::size_t sessions = 0;
};

}  // namespace l2tp::fsm
