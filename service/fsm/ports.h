// Everything the engine needs from the world, injected. Only main.cpp (and
// tests) name the concrete classes behind these interfaces.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fsm/endpoint.h"
#include "fsm/options.h"
#include "transport/timing.h"
#include "wire/bytes.h"
#include "wire/header.h"

namespace l2tp::fsm {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;  // cryptographically random
};

// Where a control datagram goes. `tunnel_id` lets the daemon pick the
// tunnel's own connected socket (created on first use); the addresses say
// what to bind and connect it to.
struct Path {
  std::uint32_t tunnel_id = 0;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  Endpoint local;
  Endpoint peer;
};

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void send(const Path& path, wire::ByteView datagram) = 0;
  // The tunnel is gone for good (after any StopCCN hold period): nothing more
  // is sent on its path, so its socket can close.
  virtual void release(std::uint32_t tunnel_id) { static_cast<void>(tunnel_id); }
};

// ---- The data plane (kernel, or null) --------------------------------------

struct KernelTunnelParams {
  std::uint32_t tunnel_id = 0;
  std::uint32_t peer_tunnel_id = 0;
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
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
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  Pseudowire pseudowire = Pseudowire::kPpp;
  wire::Bytes cookie;
  wire::Bytes peer_cookie;
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
};

// Requests are answered later through Engine's data-plane entry points
// (never from inside the call, so the engine is never re-entered).
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

// ---- Logging ------------------------------------------------------------------

enum class LogLevel : std::uint8_t { kDebug, kInfo, kNotice, kWarning, kError };
const char* to_string(LogLevel level);

// Optional (Environment::logger). `object` names the subject ("tunnel 4711",
// "session 4711/17", "listener 2"); the engine never puts a secret, password
// or cookie into a message.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view object, std::string_view message) = 0;
};

}  // namespace l2tp::fsm
