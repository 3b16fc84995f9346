#include "kernel/l2tp_probe.h"

#include <netinet/in.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace l2tp::kernel {

namespace {

bool can_open(int family, int type, int protocol) {
  const int fd = socket(family, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) return false;
  close(fd);
  return true;
}

bool l2tp_family_resolves() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return false;
  bool found = false;
  if (genl_connect(sock) == 0) found = genl_ctrl_resolve(sock, "l2tp") >= 0;
  nl_socket_free(sock);
  return found;
}

}  // namespace

L2tpSupport probe_l2tp_support() {
  constexpr int kIpProtocolL2tp = 115;
  return {
      .netlink = l2tp_family_resolves(),
      .ip_sockets = can_open(AF_INET, SOCK_DGRAM, kIpProtocolL2tp),
      .ipv6 = can_open(AF_INET6, SOCK_DGRAM, IPPROTO_UDP),
  };
}

}  // namespace l2tp::kernel
