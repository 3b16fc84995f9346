#include "kernel/local_addresses.h"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include "kernel/tunnel_socket.h"
#include "kernel/unique_fd.h"

namespace l2tp::kernel {

namespace {

// Datagrams read per wake-up: a burst of address changes (an interface
// coming up with many addresses) is a few of them; the loop calls again
// while more wait.
constexpr int kMaxReadsPerDrain = 64;

// An address change, or a route of the local table coming or going. The
// kernel announces a new IPv4 address (RTM_NEWADDR) before it adds the
// address's local route, and bind() looks at that route: a daemon woken by
// the address event alone may look too early and then never hear again. The
// local route's own event comes once the address is usable.
int note_address_change(nl_msg* message, void* changed) {
  const nlmsghdr* header = nlmsg_hdr(message);
  switch (header->nlmsg_type) {
    case RTM_NEWADDR:
    case RTM_DELADDR:
      *static_cast<bool*>(changed) = true;
      break;
    case RTM_NEWROUTE:
    case RTM_DELROUTE:
      if (nlmsg_datalen(header) >= static_cast<int>(sizeof(rtmsg)) &&
          static_cast<const rtmsg*>(nlmsg_data(header))->rtm_table == RT_TABLE_LOCAL)
        *static_cast<bool*>(changed) = true;
      break;
    default:
      break;
  }
  return NL_OK;
}

}  // namespace

bool is_local_address(const Endpoint& address) {
  if (address.family == Endpoint::Family::kUnspecified || address.is_unspecified_address())
    return true;
  const int family = address.family == Endpoint::Family::kIpv6 ? AF_INET6 : AF_INET;
  const UniqueFd probe(socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return false;
  sockaddr_storage storage;
  const socklen_t length = to_sockaddr(address.with_port(0), wire::Encapsulation::kUdp, 0, storage);
  return bind(probe.get(), reinterpret_cast<sockaddr*>(&storage), length) == 0;
}

void AddressEvents::SocketFree::operator()(nl_sock* sock) const {
  nl_socket_free(sock);
}

AddressEvents::AddressEvents(std::unique_ptr<nl_sock, SocketFree> sock) : sock_(std::move(sock)) {}
AddressEvents::AddressEvents(AddressEvents&&) noexcept = default;
AddressEvents& AddressEvents::operator=(AddressEvents&&) noexcept = default;
AddressEvents::~AddressEvents() = default;

std::expected<AddressEvents, std::string> AddressEvents::open() {
  std::unique_ptr<nl_sock, SocketFree> sock(nl_socket_alloc());
  if (!sock) return std::unexpected("cannot allocate a netlink socket");
  // Events carry no sequence number of ours.
  nl_socket_disable_seq_check(sock.get());
  if (int error = nl_connect(sock.get(), NETLINK_ROUTE); error < 0)
    return std::unexpected(std::string("cannot open rtnetlink: ") + nl_geterror(error));
  if (int error = nl_socket_add_memberships(sock.get(), RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                            RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, 0);
      error < 0)
    return std::unexpected(std::string("cannot follow address changes: ") + nl_geterror(error));
  if (int error = nl_socket_set_nonblocking(sock.get()); error < 0)
    return std::unexpected(std::string("cannot make rtnetlink non-blocking: ") +
                           nl_geterror(error));
  fcntl(nl_socket_get_fd(sock.get()), F_SETFD, FD_CLOEXEC);  // pppd must not inherit it
  return AddressEvents(std::move(sock));
}

int AddressEvents::fd() const {
  return nl_socket_get_fd(sock_.get());
}

bool AddressEvents::drain() {
  bool changed = false;
  nl_socket_modify_cb(sock_.get(), NL_CB_VALID, NL_CB_CUSTOM, note_address_change, &changed);
  for (int read = 0; read < kMaxReadsPerDrain; ++read) {
    const int result = nl_recvmsgs_default(sock_.get());
    if (result >= 0) continue;
    // ENOBUFS: the kernel dropped events; what they said is unknown.
    if (result == -NLE_NOMEM) {
      changed = true;
      continue;
    }
    break;  // NLE_AGAIN: all read
  }
  return changed;
}

}  // namespace l2tp::kernel
