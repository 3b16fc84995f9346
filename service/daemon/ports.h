// Everything the daemon core runs on, injected: service/main.cpp builds the
// real ones (sockets, the chosen data plane, c-ares), tests build fakes
// (tests/unit/daemon). The sockets and the data plane are built by the
// daemon through the factories here, because they hand what they receive
// (datagrams, the data plane's answers) to the daemon's engine.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "core/data_plane.h"
#include "core/endpoint.h"
#include "core/ipsec.h"
#include "core/log.h"
#include "core/timing.h"
#include "dataplane/backend.h"
#include "fsm/engine.h"
#include "kernel/l2tp_probe.h"
#include "resolve/resolver.h"

namespace l2tp::daemon {

// The engine's sockets: one per listener, and one connected socket per
// tunnel (the kernel's data plane needs one socket per tunnel), created on
// its first datagram. TunnelIo on real sockets.
class TunnelSockets : public fsm::PacketSink {
 public:
  // Binds a listener socket; port 0 picks one. Returns the bound address.
  // `require_esp`: the kernel passes only datagrams that arrived under an
  // IPsec SA, to it and to the sockets of the tunnels it accepts.
  // `free_bind`: a UDP socket binds even while `local` is not on this host
  // (objects of config files); L2TPIP sockets cannot.
  virtual std::expected<fsm::Endpoint, std::string> open_listener(std::uint32_t listener_id,
                                                                  const fsm::Endpoint& local,
                                                                  wire::Encapsulation encapsulation,
                                                                  bool require_esp,
                                                                  bool free_bind) = 0;
  virtual void close_listener(std::uint32_t listener_id) = 0;
  // Datagrams the kernel dropped at the listener's socket: without IPsec
  // where it is required, or with its receive buffer full.
  virtual std::uint64_t listener_drops(std::uint32_t listener_id) const = 0;
  // Opens the socket of a tunnel about to be initiated, so that its local
  // address is known before the engine sends the SCCRQ; the engine's first
  // send() on this path adopts it.
  virtual std::expected<fsm::Endpoint, std::string> prepare_initiator(
      const fsm::Endpoint& local, const fsm::Endpoint& peer, wire::Encapsulation encapsulation,
      bool port_given, bool free_bind) = 0;
  // Drops a prepared socket the engine did not take (create_tunnel failed).
  virtual void discard_prepared(const fsm::Endpoint& local, const fsm::Endpoint& peer) = 0;
  // The tunnel's socket (created if needed): managed kernel tunnels are
  // built on it.
  virtual std::expected<int, std::string> tunnel_socket(const fsm::Path& path) = 0;

  // Whether `address` is one of this host's now and usable (the wildcard
  // always is): objects of config files wait for theirs.
  virtual bool is_local_address(const fsm::Endpoint& address) const = 0;
  // Calls `changed` from the loop, from now on, whenever this host's
  // addresses may have changed (rtnetlink); an error when it cannot follow
  // them (the daemon then looks again every few seconds).
  virtual std::expected<void, std::string> watch_addresses(std::function<void()> changed) = 0;
};

using DatagramReceiver = std::function<void(const fsm::Datagram&)>;

struct DaemonPorts {
  Clock& clock;
  AlarmFactory& alarms;
  fsm::RandomSource& random;
  // What the kernel offers (L2TP/IP sockets, IPv6), probed once.
  kernel::L2tpSupport support;
  // Built once by the daemon, with the engine's way in.
  std::function<std::unique_ptr<TunnelSockets>(DatagramReceiver receiver)> open_sockets;
  std::function<std::unique_ptr<dataplane::DataPlaneBackend>(
      DataPlaneEvents& events, TunnelSockets& sockets, Logger& logger)>
      open_data_plane;
  // Null: host names in Peer are refused (give an address).
  std::unique_ptr<resolve::Resolver> resolver;
  // The way to the IKE daemon (IPsec options are refused with NotSupported
  // while it says unavailable()). Unset: no IPsec.
  std::function<std::unique_ptr<IpsecService>(IpsecEvents& events, Logger& logger)> open_ipsec;
};

}  // namespace l2tp::daemon
