// The PPPoL2TP socket of a PPP session: pppd's channel into the kernel
// session that netlink created. connect() names the tunnel socket and the
// four ids; the address structure depends on the version (16- or 32-bit ids)
// and the tunnel's address family.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <expected>

#include "core/endpoint.h"
#include "kernel/unique_fd.h"
#include "wire/header.h"

namespace l2tp::kernel {

struct PppSocketParams {
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  int tunnel_fd = -1;  // the tunnel's UDP or L2TPIP socket
  std::uint32_t tunnel_id = 0;
  std::uint32_t session_id = 0;
  std::uint32_t peer_tunnel_id = 0;
  std::uint32_t peer_session_id = 0;
  Endpoint peer;  // its family picks the structure
};

// sockaddr_pppol2tp / pppol2tpin6 (v2) or sockaddr_pppol2tpv3 / pppol2tpv3in6
// (v3) in `out`; returns its length.
socklen_t pppol2tp_address(const PppSocketParams& params, sockaddr_storage& out);

// A close-on-exec PF_PPPOX/PX_PROTO_OL2TP socket connected to the session.
// Errors are errno (EPROTONOSUPPORT / EAFNOSUPPORT: l2tp_ppp is missing).
std::expected<UniqueFd, int> open_pppol2tp_socket(const PppSocketParams& params);

}  // namespace l2tp::kernel
