// Whether an address is one of this host's, and the rtnetlink events that
// say when that may have changed: objects from config files wait for their
// local address (l2tpbusd may start before the network is configured) and
// are tried again when addresses come and go. Plain socket calls and libnl;
// no event loop.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "core/endpoint.h"

struct nl_sock;

namespace l2tp::kernel {

// True when a UDP socket binds to the address without IP_FREEBIND: the
// address is configured here and usable (an IPv6 address still in duplicate
// address detection, "tentative", is not). The wildcard address always is.
// With net.ipv4.ip_nonlocal_bind (or its IPv6 twin) set, every address is.
bool is_local_address(const Endpoint& address);

// An rtnetlink socket subscribed to IPv4 and IPv6 address changes
// (RTM_NEWADDR, RTM_DELADDR: also an IPv6 address leaving its tentative
// state) and to routes, of which only the local table's count (an address
// becomes usable for bind() when its local route is in), non-blocking, for
// a loop to watch.
class AddressEvents {
 public:
  static std::expected<AddressEvents, std::string> open();
  AddressEvents(AddressEvents&&) noexcept;
  AddressEvents& operator=(AddressEvents&&) noexcept;
  ~AddressEvents();

  int fd() const;
  // Reads what has arrived. True when an address or a local route came or
  // went, or when the kernel dropped events because the socket's buffer was
  // full (something may have changed: look again).
  bool drain();

 private:
  struct SocketFree {
    void operator()(nl_sock* sock) const;
  };
  explicit AddressEvents(std::unique_ptr<nl_sock, SocketFree> sock);
  std::unique_ptr<nl_sock, SocketFree> sock_;
};

}  // namespace l2tp::kernel
