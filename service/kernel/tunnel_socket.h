// Tunnel sockets: UDP (IPv4, IPv6) and L2TPIP (IP protocol 115, IPv4 and
// IPv6), as the kernel's L2TP data plane wants them: one connected socket per
// tunnel, bound to the same local address and port as the listener it came
// from. Plain socket calls; no event loop, no netlink.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <expected>
#include <span>

#include "core/endpoint.h"
#include "kernel/unique_fd.h"
#include "wire/bytes.h"
#include "wire/header.h"

namespace l2tp::kernel {

// sockaddr_in/in6 for UDP; sockaddr_l2tpip/l2tpip6 with `connection_id` for IP.
socklen_t to_sockaddr(const Endpoint& endpoint, wire::Encapsulation encapsulation,
                      std::uint32_t connection_id, sockaddr_storage& out);
std::optional<Endpoint> from_sockaddr(const sockaddr_storage& address, socklen_t length);

struct SocketSpec {
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  Endpoint local;                        // port 0: any (UDP ephemeral)
  std::optional<Endpoint> peer;          // connect() to it when set
  std::uint32_t connection_id = 0;       // L2TPIP: our tunnel id (0 for a listener)
  std::uint32_t peer_connection_id = 0;  // L2TPIP: the peer's tunnel id
  // Share the local address and port with a listener socket (SO_REUSEADDR):
  // the kernel delivers the peer's datagrams to the connected socket.
  bool share_address = false;
  bool udp_checksum = true;  // IPv4 UDP checksums on sent datagrams
  // UDP: bind even when `local` is not (yet) an address of this host
  // (IP_FREEBIND / IPV6_FREEBIND, as systemd's FreeBind=), so a daemon that
  // starts before the network is configured keeps its sockets; datagrams
  // arrive once the address does. L2TPIP sockets ignore it: the kernel's
  // l2tp_ip_bind() insists on a local address whatever the socket says.
  bool free_bind = false;
};

// Non-blocking, close-on-exec, with local-address reporting enabled so
// datagrams to a wildcard listener say where they arrived. Errors are errno.
std::expected<UniqueFd, int> open_tunnel_socket(const SocketSpec& spec);

// The address the socket is bound to (after bind with port 0, the real port).
std::expected<Endpoint, int> bound_address(int fd);

struct ReceivedDatagram {
  std::size_t length = 0;  // of the datagram as the engine sees it (see below)
  Endpoint peer;
  Endpoint local;  // where it arrived: the packet's destination address, bound port
};

// Reads one datagram into `buffer`. L2TPIP sockets deliver control messages
// without the 4-byte zero Session ID; it is put back in front so that the
// engine sees the IP payload as on the wire. Returns errno (EAGAIN when empty).
std::expected<ReceivedDatagram, int> receive_datagram(int fd, wire::Encapsulation encapsulation,
                                                      std::uint16_t local_port,
                                                      std::span<std::uint8_t> buffer);

// Sends one datagram on a connected socket, or to `peer` when given. For
// L2TPIP the leading zero Session ID is dropped: the kernel adds its own.
std::expected<void, int> send_datagram(int fd, wire::Encapsulation encapsulation,
                                       wire::ByteView datagram, const Endpoint* peer = nullptr,
                                       std::uint32_t peer_connection_id = 0);

// Sets the socket's receive buffer to `bytes`, beyond net.core.rmem_max when
// the process may (SO_RCVBUFFORCE needs CAP_NET_ADMIN), else as far as
// rmem_max lets it.
std::expected<void, int> set_receive_buffer(int fd, int bytes);
// Datagrams the kernel dropped at this socket (SO_MEMINFO's drops): a full
// receive buffer, or a per-socket IPsec policy they did not satisfy.
std::expected<std::uint32_t, int> dropped_datagrams(int fd);

// Sends one UDP datagram to `peer` from `source`'s address (IP_PKTINFO /
// IPV6_PKTINFO): from a socket bound to a wildcard address, the reply leaves
// from the address the peer's datagram arrived on.
std::expected<void, int> send_udp_datagram_from(int fd, wire::ByteView datagram,
                                                const Endpoint& peer, const Endpoint& source);

}  // namespace l2tp::kernel
