// The data plane as the control plane sees it: what it is asked to create
// (tunnels, sessions, pppd) and the answers it gives back. The engine asks;
// the kernel data plane (or a null one) answers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/protocol.h"
#include "core/timing.h"

namespace l2tp {

enum class Pseudowire : std::uint8_t { kPpp, kEth };
enum class L2SpecificSublayer : std::uint8_t { kNone, kDefault };
enum class Sequencing : std::uint8_t { kNone, kSend, kRecv, kBoth };
enum class PppRole : std::uint8_t { kClient, kServer };
enum class Mppe : std::uint8_t { kOff, kOptional, kRequired, kRequired128 };

// The D-Bus vocabulary (doc/dbus-api.md): properties and logs use these names.
const char* to_string(Pseudowire pseudowire);
const char* to_string(L2SpecificSublayer sublayer);
const char* to_string(Sequencing sequencing);

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

struct KernelTunnelParams {
  std::uint32_t tunnel_id = 0;
  std::uint32_t peer_tunnel_id = 0;
  ProtocolVersion version = ProtocolVersion::kV2;
  Encapsulation encapsulation = Encapsulation::kUdp;
  Endpoint local;
  Endpoint peer;
  bool udp_checksum = true;
  // Managed tunnels use the control connection's socket (the daemon finds it
  // by tunnel id); static ones are created from addresses alone.
  bool managed = true;
};

struct KernelSessionParams {
  std::uint32_t tunnel_id = 0;
  std::uint32_t session_id = 0;
  std::uint32_t peer_tunnel_id = 0;
  std::uint32_t peer_session_id = 0;
  ProtocolVersion version = ProtocolVersion::kV2;
  Pseudowire pseudowire = Pseudowire::kPpp;
  std::vector<std::uint8_t> cookie;
  std::vector<std::uint8_t> peer_cookie;
  L2SpecificSublayer l2_specific_sublayer = L2SpecificSublayer::kNone;
  Sequencing sequencing = Sequencing::kNone;
  bool lns_mode = false;
  Duration reorder_timeout{0};
  std::string interface_name;  // validated by the daemon; empty: kernel's choice
  std::uint32_t mtu = 0;       // 0: default
};

struct PppStartParams {
  KernelSessionParams session;
  PppRole role = PppRole::kClient;
  PppClientOptions client;  // role kClient
  PppServerOptions server;  // role kServer (from the listener)
};

// What came of IPV6CP, as pppd knows it at once: a client waits for this
// rather than for a time that every IPv4-only peer would cost.
enum class Ip6Negotiation : std::uint8_t {
  kPending,  // IPV6CP is still negotiating
  kUp,       // the link-local addresses below are set
  kRefused,  // the peer rejected IPV6CP, or it ended before it opened
  kOff,      // IPV6CP is not enabled (Session option Ipv6 false), or no pppd
};

struct PppAddresses {
  std::string local_address;
  std::string peer_address;
  std::uint32_t prefix = 32;
  std::vector<std::string> dns;
  std::uint32_t mtu = 0;
  std::string interface_name;
  // IPV6CP (Session option Ipv6) negotiates interface identifiers only: the
  // link-local addresses they make, empty until (unless) IPV6CP is up.
  std::string local_address6;
  std::string peer_address6;
  Ip6Negotiation ip6_negotiation = Ip6Negotiation::kPending;
};

// Requests are answered later through DataPlaneEvents (never from inside the
// call, so the asker is never re-entered).
class DataPlane {
 public:
  virtual ~DataPlane() = default;
  virtual void create_tunnel(const KernelTunnelParams& params) = 0;
  virtual void delete_tunnel(std::uint32_t tunnel_id) = 0;
  virtual void create_session(const KernelSessionParams& params) = 0;
  virtual void delete_session(std::uint32_t tunnel_id, std::uint32_t session_id) = 0;
  virtual void start_ppp(const PppStartParams& params) = 0;
  virtual void stop_ppp(std::uint32_t tunnel_id, std::uint32_t session_id) = 0;
};

// The answers, which every data plane is given when it is built. The
// engine's data-plane entry points are these.
class DataPlaneEvents {
 public:
  virtual ~DataPlaneEvents() = default;
  virtual void data_plane_tunnel_ready(std::uint32_t tunnel_id) = 0;
  virtual void data_plane_tunnel_failed(std::uint32_t tunnel_id, const std::string& reason) = 0;
  virtual void data_plane_session_ready(std::uint32_t tunnel_id, std::uint32_t session_id,
                                        const std::string& interface_name) = 0;
  virtual void data_plane_session_failed(std::uint32_t tunnel_id, std::uint32_t session_id,
                                         const std::string& reason) = 0;
  virtual void ppp_network_up(std::uint32_t tunnel_id, std::uint32_t session_id,
                              const PppAddresses& addresses) = 0;
  // pppd ended; `authentication_failed` distinguishes a login failure.
  virtual void ppp_ended(std::uint32_t tunnel_id, std::uint32_t session_id, int exit_status,
                         bool authentication_failed, const std::string& message) = 0;
};

}  // namespace l2tp
