// Validated configuration of tunnels, sessions and listeners: the D-Bus option
// vocabulary (dbus-api.md) as typed values. The daemon validates strings from
// callers and config files before they become these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fsm/endpoint.h"
#include "transport/control_channel.h"
#include "wire/bytes.h"
#include "wire/header.h"
#include "wire/message.h"

namespace l2tp::fsm {

enum class TunnelMode : std::uint8_t { kDynamic, kQuiescent, kStatic };
enum class Pseudowire : std::uint8_t { kPpp, kEth };
enum class L2SpecificSublayer : std::uint8_t { kNone, kDefault };
enum class Sequencing : std::uint8_t { kNone, kSend, kRecv, kBoth };
enum class Role : std::uint8_t { kInitiator, kResponder };
enum class PppRole : std::uint8_t { kClient, kServer };
enum class Mppe : std::uint8_t { kOff, kOptional, kRequired, kRequired128 };

const char* to_string(TunnelMode mode);
const char* to_string(Pseudowire pseudowire);
const char* to_string(L2SpecificSublayer sublayer);
const char* to_string(Sequencing sequencing);
const char* to_string(Role role);

// Everything pppd may be asked as a client, exactly the Session options table.
struct PppClientOptions {
  std::string user;
  std::string password;  // secret: never logged, never on a command line
  std::vector<std::string> authentication{"pap", "chap", "mschap-v2"};
  Mppe mppe = Mppe::kOff;
  // Off: a peer's DNS servers would rewrite the host's resolv.conf through
  // the distribution's ip-up hooks (usepeerdns); callers opt in.
  bool use_peer_dns = false;
  bool ipv6 = false;
  std::uint32_t lcp_echo_interval = 30;
  std::uint32_t lcp_echo_failure = 4;
  bool default_route = false;
};

// What an LNS listener offers PPP peers.
struct PppServerOptions {
  std::string local_address;
  std::string address_pool;  // "first-last"
  std::vector<std::string> dns;
  bool require_authentication = true;
};

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
};

}  // namespace l2tp::fsm
