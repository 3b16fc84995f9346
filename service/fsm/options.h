// Validated configuration of tunnels, sessions and listeners: the D-Bus option
// vocabulary (dbus-api.md) as typed values. The daemon validates strings from
// callers and config files before they become these.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/data_plane.h"
#include "core/endpoint.h"
#include "core/ipsec.h"
#include "transport/control_channel.h"
#include "wire/bytes.h"
#include "wire/header.h"
#include "wire/message.h"

namespace l2tp::fsm {

// The session options the data plane needs too live in core; the engine's
// users name them as fsm's.
using l2tp::Endpoint;
using l2tp::EndpointHash;
using l2tp::L2SpecificSublayer;
using l2tp::Mppe;
using l2tp::PppClientOptions;
using l2tp::PppRole;
using l2tp::PppServerOptions;
using l2tp::Pseudowire;
using l2tp::Sequencing;
using l2tp::to_string;

enum class TunnelMode : std::uint8_t { kDynamic, kQuiescent, kStatic };
enum class Role : std::uint8_t { kInitiator, kResponder };

const char* to_string(TunnelMode mode);
const char* to_string(Role role);

// Secret-bearing settings shared by tunnels and listeners.
struct ControlSettings {
  std::string host_name = "l2tpbus";
  wire::Bytes secret;  // empty: no authentication, digest or hiding
  bool hide_avps = false;
  wire::DigestType digest_type = wire::DigestType::kHmacMd5;  // v3 Message Digest
  transport::ChannelConfig channel;
};

struct TunnelConfig {
  TunnelMode mode = TunnelMode::kDynamic;
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  Endpoint local;  // port 0: the daemon chose one already or will
  Endpoint peer;
  std::uint32_t tunnel_id = 0;       // 0: random unique; required for static/quiescent
  std::uint32_t peer_tunnel_id = 0;  // required for static/quiescent
  ControlSettings control;
  bool udp_checksum = true;
  std::vector<Pseudowire> pseudowires{Pseudowire::kPpp, Pseudowire::kEth};  // v3 capabilities
  // Set: the SCCRQ waits until Environment::ipsec protected the path. The
  // engine only hands the settings over; it never reads the keys.
  std::shared_ptr<const IpsecSettings> ipsec;
  // Static and quiescent: stay connecting (nothing asked of the kernel, whose
  // sockets would not bind) until Engine::local_address_ready(). The daemon
  // sets it for tunnels of config files whose Local is not on this host yet.
  bool await_local_address = false;
};

enum class CallType : std::uint8_t {
  kIncoming,  // we send ICRQ (a LAC, or any v3 LCCE)
  kOutgoing,  // we send OCRQ (an LNS asking the LAC to place a call)
};

struct SessionConfig {
  Pseudowire pseudowire = Pseudowire::kPpp;
  CallType call_type = CallType::kIncoming;
  std::uint32_t session_id = 0;       // 0: random unique; required for static/quiescent
  std::uint32_t peer_session_id = 0;  // required for static/quiescent
  std::string interface_name;
  wire::Bytes cookie;       // 0, 4 or 8 bytes (v3): what we expect to receive
  wire::Bytes peer_cookie;  // what we send
  std::optional<L2SpecificSublayer> l2_specific_sublayer;  // default by pseudowire
  Sequencing sequencing = Sequencing::kNone;
  Duration reorder_timeout{0};
  std::uint32_t mtu = 0;
  std::string calling_number;
  std::string called_number;
  PppClientOptions ppp;
};

struct ListenerConfig {
  Endpoint local;
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  ControlSettings control;
  std::vector<Pseudowire> pseudowires{Pseudowire::kPpp};
  PppServerOptions ppp;
  // What peers may take through this listener (l2tpbus.tunnel(5) explains
  // the defaults). Unset: half of EngineLimits::max_tunnels / max_sessions,
  // so that one listener, say one without a Secret, cannot take it all.
  std::optional<std::uint32_t> max_tunnels;   // established tunnels at once
  std::uint32_t max_tunnels_per_peer = 64;    // established tunnels from one address
  std::optional<std::uint32_t> max_sessions;  // sessions in its tunnels at once
  std::uint32_t max_calls_per_second = 20;    // ICRQs and OCRQs; as many at once
  // The daemon's, for charon and the socket's policy; the engine ignores it.
  std::shared_ptr<const IpsecSettings> ipsec;
};

}  // namespace l2tp::fsm
