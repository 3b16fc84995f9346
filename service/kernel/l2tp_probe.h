// Does this kernel have an L2TP data plane? Asks generic netlink for the
// "l2tp" family (the kernel loads l2tp_netlink on demand if it can).
#pragma once

#include <string>

namespace l2tp::kernel {

struct L2tpSupport {
  bool netlink = false;     // the "l2tp" generic netlink family resolves
  bool ip_sockets = false;  // L2TP/IP (protocol 115) sockets can be opened
  bool ipv6 = false;        // IPv6 UDP sockets can be opened
};

L2tpSupport probe_l2tp_support();

// For messages of refused calls.
inline constexpr const char* kL2tpModules =
    "l2tp_core, l2tp_netlink, l2tp_ppp, l2tp_eth, l2tp_ip, l2tp_ip6 (and ppp_generic for PPP)";

}  // namespace l2tp::kernel
