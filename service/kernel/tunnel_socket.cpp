#include "kernel/tunnel_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/l2tp.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace l2tp::kernel {

namespace {

// glibc's <netinet/in.h> does not name L2TP's IP protocol number (RFC 3931 §4.1.1).
constexpr int kIpProtocolL2tp = 115;

int family_of(const Endpoint& endpoint) {
  return endpoint.family == Endpoint::Family::kIpv6 ? AF_INET6 : AF_INET;
}

std::unexpected<int> last_error() {
  return std::unexpected(errno);
}

int set_flag(int fd, int level, int option) {
  const int on = 1;
  return setsockopt(fd, level, option, &on, sizeof on);
}

}  // namespace

socklen_t to_sockaddr(const Endpoint& endpoint, wire::Encapsulation encapsulation,
                      std::uint32_t connection_id, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  const bool ip = encapsulation == wire::Encapsulation::kIp;
  if (endpoint.family == Endpoint::Family::kIpv6) {
    if (ip) {
      auto* a = reinterpret_cast<sockaddr_l2tpip6*>(&out);
      a->l2tp_family = AF_INET6;
      std::memcpy(&a->l2tp_addr, endpoint.address.data(), 16);
      a->l2tp_conn_id = connection_id;
      return sizeof *a;
    }
    auto* a = reinterpret_cast<sockaddr_in6*>(&out);
    a->sin6_family = AF_INET6;
    std::memcpy(&a->sin6_addr, endpoint.address.data(), 16);
    a->sin6_port = htons(endpoint.port);
    return sizeof *a;
  }
  if (ip) {
    auto* a = reinterpret_cast<sockaddr_l2tpip*>(&out);
    a->l2tp_family = AF_INET;
    std::memcpy(&a->l2tp_addr, endpoint.address.data(), 4);
    a->l2tp_conn_id = connection_id;
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&out);
  a->sin_family = AF_INET;
  std::memcpy(&a->sin_addr, endpoint.address.data(), 4);
  a->sin_port = htons(endpoint.port);
  return sizeof *a;
}

std::optional<Endpoint> from_sockaddr(const sockaddr_storage& address, socklen_t length) {
  // The port sits at the same offset in sockaddr_l2tpip(6) (as l2tp_unused, zero).
  if (address.ss_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&address);
    std::array<std::uint8_t, 4> bytes;
    std::memcpy(bytes.data(), &a->sin_addr, 4);
    return Endpoint::ipv4(bytes, ntohs(a->sin_port));
  }
  if (address.ss_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&address);
    std::array<std::uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &a->sin6_addr, 16);
    return Endpoint::ipv6(bytes, ntohs(a->sin6_port));
  }
  return std::nullopt;
}

std::expected<UniqueFd, int> open_tunnel_socket(const SocketSpec& spec) {
  const int family = family_of(spec.local);
  const bool ip = spec.encapsulation == wire::Encapsulation::kIp;
  UniqueFd fd(socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     ip ? kIpProtocolL2tp : IPPROTO_UDP));
  if (!fd.valid()) return last_error();

  if (spec.share_address && set_flag(fd.get(), SOL_SOCKET, SO_REUSEADDR) < 0) return last_error();
  if (spec.free_bind && !ip) {
    const bool v6 = family == AF_INET6;
    if (set_flag(fd.get(), v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_FREEBIND : IP_FREEBIND) < 0)
      return last_error();
  }
  if (family == AF_INET6) {
    // An IPv6 socket speaks IPv6 only, so an IPv4 listener on the same port can coexist.
    // (L2TPIP6 sockets are IPv6 only already, and refuse the option with EINVAL.)
    if (!ip && set_flag(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY) < 0) return last_error();
    if (set_flag(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO) < 0) return last_error();
  } else {
    if (set_flag(fd.get(), IPPROTO_IP, IP_PKTINFO) < 0) return last_error();
    if (!ip && !spec.udp_checksum) {
      const int on = 1;
      if (setsockopt(fd.get(), SOL_SOCKET, SO_NO_CHECK, &on, sizeof on) < 0) return last_error();
    }
  }

  sockaddr_storage address;
  socklen_t length = to_sockaddr(spec.local, spec.encapsulation, spec.connection_id, address);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) < 0) return last_error();

  if (spec.peer) {
    length = to_sockaddr(*spec.peer, spec.encapsulation, spec.peer_connection_id, address);
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), length) < 0) return last_error();
  }
  return fd;
}

std::expected<Endpoint, int> bound_address(int fd) {
  sockaddr_storage address;
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) return last_error();
  auto endpoint = from_sockaddr(address, length);
  if (!endpoint) return std::unexpected(EAFNOSUPPORT);
  return *endpoint;
}

std::expected<ReceivedDatagram, int> receive_datagram(int fd, wire::Encapsulation encapsulation,
                                                      std::uint16_t local_port,
                                                      std::span<std::uint8_t> buffer) {
  const bool ip = encapsulation == wire::Encapsulation::kIp;
  const std::size_t prefix = ip ? wire::kIpSessionPrefixSize : 0;
  if (buffer.size() <= prefix) return std::unexpected(ENOBUFS);

  sockaddr_storage peer;
  alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))];
  iovec iov{buffer.data() + prefix, buffer.size() - prefix};
  msghdr message{};
  message.msg_name = &peer;
  message.msg_namelen = sizeof peer;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;

  const ssize_t n = recvmsg(fd, &message, MSG_DONTWAIT);
  if (n < 0) return last_error();
  if (message.msg_flags & MSG_TRUNC) return std::unexpected(EMSGSIZE);

  ReceivedDatagram received;
  auto peer_endpoint = from_sockaddr(peer, message.msg_namelen);
  if (!peer_endpoint) return std::unexpected(EAFNOSUPPORT);
  received.peer = *peer_endpoint;
  if (ip) received.peer.port = 0;

  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      std::array<std::uint8_t, 4> bytes;
      std::memcpy(bytes.data(), &info.ipi_addr, 4);
      received.local = Endpoint::ipv4(bytes, local_port);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      std::array<std::uint8_t, 16> bytes;
      std::memcpy(bytes.data(), &info.ipi6_addr, 16);
      received.local = Endpoint::ipv6(bytes, local_port);
    }
  }
  if (received.local.family == Endpoint::Family::kUnspecified) {
    auto bound = bound_address(fd);
    if (bound) received.local = bound->with_port(local_port);
  }
  if (ip) std::memset(buffer.data(), 0, prefix);
  received.length = static_cast<std::size_t>(n) + prefix;
  return received;
}

std::expected<void, int> send_datagram(int fd, wire::Encapsulation encapsulation,
                                       wire::ByteView datagram, const Endpoint* peer,
                                       std::uint32_t peer_connection_id) {
  if (encapsulation == wire::Encapsulation::kIp) {
    if (datagram.size() < wire::kIpSessionPrefixSize) return std::unexpected(EINVAL);
    datagram = datagram.subspan(wire::kIpSessionPrefixSize);
  }
  ssize_t n;
  if (peer != nullptr) {
    sockaddr_storage address;
    const socklen_t length = to_sockaddr(*peer, encapsulation, peer_connection_id, address);
    n = sendto(fd, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
               reinterpret_cast<sockaddr*>(&address), length);
  } else {
    n = send(fd, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  if (n < 0) return last_error();
  return {};
}

std::expected<void, int> set_receive_buffer(int fd, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) return {};
  if (errno != EPERM) return last_error();
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0) return last_error();
  return {};
}

std::expected<std::uint32_t, int> dropped_datagrams(int fd) {
  std::array<std::uint32_t, SK_MEMINFO_VARS> meminfo{};
  socklen_t length = sizeof meminfo;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo.data(), &length) < 0) return last_error();
  if (length < (SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t)) return std::unexpected(EPROTO);
  return meminfo[SK_MEMINFO_DROPS];
}

std::expected<void, int> send_udp_datagram_from(int fd, wire::ByteView datagram,
                                                const Endpoint& peer, const Endpoint& source) {
  sockaddr_storage address;
  const socklen_t length = to_sockaddr(peer, wire::Encapsulation::kUdp, 0, address);
  iovec data{const_cast<std::uint8_t*>(datagram.data()), datagram.size()};
  alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
  msghdr message{};
  message.msg_name = &address;
  message.msg_namelen = length;
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  cmsghdr* header = reinterpret_cast<cmsghdr*>(control);
  if (source.family == Endpoint::Family::kIpv6) {
    in6_pktinfo info{};
    std::memcpy(&info.ipi6_addr, source.address.data(), 16);
    header->cmsg_level = IPPROTO_IPV6;
    header->cmsg_type = IPV6_PKTINFO;
    header->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(header), &info, sizeof(info));
    message.msg_controllen = CMSG_SPACE(sizeof(info));
  } else {
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, source.address.data(), 4);
    header->cmsg_level = IPPROTO_IP;
    header->cmsg_type = IP_PKTINFO;
    header->cmsg_len = CMSG_LEN(sizeof(info));
    std::memcpy(CMSG_DATA(header), &info, sizeof(info));
    message.msg_controllen = CMSG_SPACE(sizeof(info));
  }
  if (sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) return last_error();
  return {};
}

}  // namespace l2tp::kernel
