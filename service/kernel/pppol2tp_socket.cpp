#include "kernel/pppol2tp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
// After <netinet/in.h>, so that the kernel's <linux/in.h> steps aside.
#include <linux/if_pppox.h>

#include <cerrno>
#include <cstring>

namespace l2tp::kernel {

namespace {

sockaddr_in ipv4_of(const Endpoint& endpoint) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  std::memcpy(&address.sin_addr, endpoint.address.data(), 4);
  address.sin_port = htons(endpoint.port);
  return address;
}

sockaddr_in6 ipv6_of(const Endpoint& endpoint) {
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  std::memcpy(&address.sin6_addr, endpoint.address.data(), 16);
  address.sin6_port = htons(endpoint.port);
  return address;
}

// The outer structures are packed: their inner address is filled apart
// (no reference can bind to a packed member), then copied in.
template <typename Address, typename Inner>
socklen_t fill(const PppSocketParams& params, sockaddr_storage& out, auto set_rest) {
  static_assert(sizeof(Address) <= sizeof(sockaddr_storage));
  Inner inner;
  std::memset(&inner, 0, sizeof inner);
  inner.pid = 0;  // the fd is ours
  inner.fd = params.tunnel_fd;
  set_rest(inner);
  Address address;
  std::memset(&address, 0, sizeof address);
  address.sa_family = AF_PPPOX;
  address.sa_protocol = PX_PROTO_OL2TP;
  address.pppol2tp = inner;
  std::memset(&out, 0, sizeof out);
  std::memcpy(&out, &address, sizeof address);
  return sizeof address;
}

}  // namespace

socklen_t pppol2tp_address(const PppSocketParams& params, sockaddr_storage& out) {
  const bool v6 = params.peer.family == Endpoint::Family::kIpv6;
  if (params.version == wire::ProtocolVersion::kV2) {
    // L2TPv2 ids are 16 bits; the engine never hands out larger ones.
    auto ids = [&params](auto& a) {
      a.s_tunnel = static_cast<std::uint16_t>(params.tunnel_id);
      a.s_session = static_cast<std::uint16_t>(params.session_id);
      a.d_tunnel = static_cast<std::uint16_t>(params.peer_tunnel_id);
      a.d_session = static_cast<std::uint16_t>(params.peer_session_id);
    };
    if (v6)
      return fill<sockaddr_pppol2tpin6, pppol2tpin6_addr>(params, out, [&](pppol2tpin6_addr& a) {
        ids(a);
        a.addr = ipv6_of(params.peer);
      });
    return fill<sockaddr_pppol2tp, pppol2tp_addr>(params, out, [&](pppol2tp_addr& a) {
      ids(a);
      a.addr = ipv4_of(params.peer);
    });
  }
  auto ids = [&params](auto& a) {
    a.s_tunnel = params.tunnel_id;
    a.s_session = params.session_id;
    a.d_tunnel = params.peer_tunnel_id;
    a.d_session = params.peer_session_id;
  };
  if (v6)
    return fill<sockaddr_pppol2tpv3in6, pppol2tpv3in6_addr>(params, out,
                                                            [&](pppol2tpv3in6_addr& a) {
                                                              ids(a);
                                                              a.addr = ipv6_of(params.peer);
                                                            });
  return fill<sockaddr_pppol2tpv3, pppol2tpv3_addr>(params, out, [&](pppol2tpv3_addr& a) {
    ids(a);
    a.addr = ipv4_of(params.peer);
  });
}

std::expected<UniqueFd, int> open_pppol2tp_socket(const PppSocketParams& params) {
  UniqueFd fd(socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP));
  if (!fd.valid()) return std::unexpected(errno);
  sockaddr_storage address;
  const socklen_t length = pppol2tp_address(params, address);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) < 0)
    return std::unexpected(errno);
  return fd;
}

}  // namespace l2tp::kernel
