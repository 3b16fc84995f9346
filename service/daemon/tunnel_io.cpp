#include "daemon/tunnel_io.h"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>

#include "daemon/log.h"
#include "kernel/tunnel_socket.h"
#include "kernel/xfrm_socket_policy.h"

namespace l2tp::daemon {

namespace {

constexpr std::uint16_t kL2tpPort = 1701;
// Large enough for any control message (the Length field is 16 bits).
constexpr std::size_t kBufferSize = 65536 + wire::kIpSessionPrefixSize;
// Datagrams read per wake-up before other sockets get their turn. A
// listener's socket has its turn after every tunnel's own socket (sd-event
// priority), so tunnels the kernel carries keep their control traffic
// flowing under a flood of SCCRQs. It also carries every handshake in
// order (SCCRQ, then that tunnel's SCCCN) and the control messages of
// tunnels without a socket of their own, so it is read as many at a time.
constexpr int kTunnelReadBudget = 64;
constexpr int kListenerReadBudget = 64;
constexpr std::int64_t kTunnelPriority = 0;  // sd-event's default, like the bus
constexpr std::int64_t kListenerPriority = 1;
// A LAC bringing up its sessions after an outage sends thousands of ICRQs
// at once to the listener's one socket; the default buffer (about 200
// KiB, some 300 datagrams) would drop most of them.
constexpr int kListenerReceiveBuffer = 4 << 20;

std::string error_text(int error) {
  return std::strerror(error);
}

}  // namespace

TunnelIo::TunnelIo(loop::EventLoop& loop, Receiver receiver)
    : loop_(loop), receiver_(std::move(receiver)), buffer_(kBufferSize) {}

TunnelIo::~TunnelIo() = default;

std::string TunnelIo::path_key(const fsm::Endpoint& local, const fsm::Endpoint& peer) {
  return local.to_string() + ">" + peer.to_string();
}

std::expected<TunnelIo::SocketPtr, std::string> TunnelIo::open_socket(
    const fsm::Endpoint& local, const fsm::Endpoint* peer, wire::Encapsulation encapsulation,
    std::uint32_t connection_id, bool share_address, bool free_bind) {
  kernel::SocketSpec spec{
      .encapsulation = encapsulation,
      .local = local,
      .peer = peer ? std::optional(*peer) : std::nullopt,
      .connection_id = connection_id,
      .share_address = share_address,
      .free_bind = free_bind,
  };
  auto fd = kernel::open_tunnel_socket(spec);
  if (!fd) return std::unexpected(error_text(fd.error()));
  auto socket = std::make_unique<Socket>();
  socket->encapsulation = encapsulation;
  socket->free_bind = free_bind;
  auto bound = kernel::bound_address(fd->get());
  socket->local = bound ? *bound : local;
  if (peer) socket->peer = *peer;
  socket->fd = std::move(*fd);
  return socket;
}

void TunnelIo::watch(Socket& socket, bool listener) {
  socket.read_budget = listener ? kListenerReadBudget : kTunnelReadBudget;
  auto watch =
      loop_.watch_fd(socket.fd.get(), EPOLLIN, [this, &socket](std::uint32_t) { drain(socket); });
  if (!watch) {
    log(LogLevel::kError, "io", "cannot watch socket: ", error_text(-watch.error()));
    return;
  }
  socket.watch = std::move(*watch);
  socket.watch->set_priority(listener ? kListenerPriority : kTunnelPriority);
}

void TunnelIo::drain(Socket& socket) {
  // The receiver may close this very socket (a tunnel torn down by the
  // datagram): stop as soon as it is gone.
  const std::weak_ptr<bool> alive = socket.alive;
  const int fd = socket.fd.get();
  const wire::Encapsulation encapsulation = socket.encapsulation;
  const std::uint16_t port = socket.local.port;
  for (int i = 0; i < socket.read_budget; ++i) {
    auto received = kernel::receive_datagram(fd, encapsulation, port, buffer_);
    if (!received) {
      if (received.error() == EAGAIN || received.error() == EWOULDBLOCK) return;
      // ICMP errors on connected UDP sockets surface here (ECONNREFUSED):
      // the transport's retransmissions decide the tunnel's fate, not this.
      ++stats_.receive_errors;
      if (received.error() == ECONNREFUSED || received.error() == EMSGSIZE) continue;
      log(LogLevel::kDebug, "io", "receive failed: ", error_text(received.error()));
      return;
    }
    ++stats_.received;
    fsm::Datagram datagram{
        .bytes = wire::ByteView(buffer_.data(), received->length),
        .local = received->local,
        .peer = received->peer,
        .encapsulation = encapsulation,
    };
    receiver_(datagram);
    if (alive.expired()) return;
  }
}

bool TunnelIo::listener_holds(const fsm::Endpoint& local, wire::Encapsulation encapsulation) const {
  for (const auto& [id, listener] : listeners_) {
    if (listener->encapsulation != encapsulation || listener->local.port != local.port ||
        listener->local.family != local.family)
      continue;
    if (listener->local.is_unspecified_address() || listener->local == local) return true;
  }
  return false;
}

TunnelIo::Socket* TunnelIo::udp_listener_for(const fsm::Endpoint& local) {
  for (auto& [id, listener] : listeners_) {
    if (listener->encapsulation != wire::Encapsulation::kUdp ||
        listener->local.port != local.port || listener->local.family != local.family)
      continue;
    if (listener->local.is_unspecified_address() || listener->local == local) return listener.get();
  }
  return nullptr;
}

std::expected<fsm::Endpoint, std::string> TunnelIo::open_listener(std::uint32_t listener_id,
                                                                  const fsm::Endpoint& local,
                                                                  wire::Encapsulation encapsulation,
                                                                  bool require_esp,
                                                                  bool free_bind) {
  auto socket = open_socket(local, nullptr, encapsulation, 0, /*share_address=*/true, free_bind);
  if (!socket) return std::unexpected(socket.error());
  if (require_esp) {
    if (auto required = kernel::require_esp((*socket)->fd.get(), local.family); !required) {
      return std::unexpected("cannot require IPsec on it: " + error_text(required.error()));
    }
    (*socket)->requires_esp = true;
  }
  // A second listener on the same address would silently split the SCCRQs.
  for (const auto& [id, other] : listeners_) {
    if (other->encapsulation == encapsulation && other->local == (*socket)->local)
      return std::unexpected("address already has a listener");
  }
  const fsm::Endpoint bound = (*socket)->local;
  if (auto enlarged = kernel::set_receive_buffer((*socket)->fd.get(), kListenerReceiveBuffer);
      !enlarged) {
    log(LogLevel::kNotice, "io", "listener ", bound.to_string(),
        ": cannot enlarge its receive buffer: ", error_text(enlarged.error()));
  }
  watch(**socket, /*listener=*/true);
  listeners_[listener_id] = std::move(*socket);
  return bound;
}

void TunnelIo::close_listener(std::uint32_t listener_id) {
  listeners_.erase(listener_id);
}

std::uint64_t TunnelIo::listener_drops(std::uint32_t listener_id) const {
  const auto it = listeners_.find(listener_id);
  if (it == listeners_.end()) return 0;
  const auto drops = kernel::dropped_datagrams(it->second->fd.get());
  return drops ? *drops : 0;
}

std::expected<fsm::Endpoint, std::string> TunnelIo::prepare_initiator(
    const fsm::Endpoint& local, const fsm::Endpoint& peer, wire::Encapsulation encapsulation,
    bool port_given, bool free_bind) {
  std::expected<SocketPtr, std::string> socket = std::unexpected("");
  if (port_given) {
    socket = open_socket(local, &peer, encapsulation, 0, listener_holds(local, encapsulation),
                         free_bind);
  } else {
    // RFC 2661 §8.1: source port 1701 is customary; peers such as xl2tpd
    // expect it. Our own listener on 1701 may share it; anyone else's may not.
    const fsm::Endpoint preferred = local.with_port(kL2tpPort);
    socket = open_socket(preferred, &peer, encapsulation, 0,
                         listener_holds(preferred, encapsulation), free_bind);
    if (!socket)
      socket = open_socket(local.with_port(0), &peer, encapsulation, 0, false, free_bind);
  }
  if (!socket) return std::unexpected(socket.error());
  const fsm::Endpoint bound = (*socket)->local;
  prepared_[path_key(bound, peer)] = std::move(*socket);
  return bound;
}

void TunnelIo::discard_prepared(const fsm::Endpoint& local, const fsm::Endpoint& peer) {
  prepared_.erase(path_key(local, peer));
}

std::expected<int, std::string> TunnelIo::tunnel_socket(const fsm::Path& path) {
  if (auto it = tunnels_.find(path.tunnel_id); it != tunnels_.end()) {
    Socket& socket = *it->second;
    if (socket.peer != path.peer) {
      // The peer answered from another address or port (RFC 2661 §8.1 lets
      // an LNS reply from a port of its choosing): follow it.
      sockaddr_storage address;
      const socklen_t length = kernel::to_sockaddr(path.peer, path.encapsulation, 0, address);
      if (connect(socket.fd.get(), reinterpret_cast<sockaddr*>(&address), length) < 0)
        return std::unexpected(error_text(errno));
      socket.peer = path.peer;
    }
    return socket.fd.get();
  }

  SocketPtr socket;
  if (auto prepared = prepared_.find(path_key(path.local, path.peer));
      prepared != prepared_.end()) {
    socket = std::move(prepared->second);
    prepared_.erase(prepared);
  } else {
    // A responder's tunnel (bound to the listener's address, which it
    // shares), or an L2TPIP tunnel, whose socket is bound to its own
    // connection id and so only exists once the id is known.
    const bool ip = path.encapsulation == wire::Encapsulation::kIp;
    const Socket* listener = ip ? nullptr : udp_listener_for(path.local);
    auto opened = open_socket(path.local, &path.peer, path.encapsulation, ip ? path.tunnel_id : 0,
                              /*share_address=*/!ip, listener != nullptr && listener->free_bind);
    if (!opened) return std::unexpected(opened.error());
    // The accepted tunnel's own socket shares the listener's address, and
    // takes over its peer's datagrams: it must be as strict.
    if (listener != nullptr && listener->requires_esp) {
      if (auto required = kernel::require_esp((*opened)->fd.get(), path.local.family); !required) {
        return std::unexpected("cannot require IPsec: " + error_text(required.error()));
      }
    }
    socket = std::move(*opened);
  }
  const int fd = socket->fd.get();
  watch(*socket, /*listener=*/false);
  tunnels_[path.tunnel_id] = std::move(socket);
  return fd;
}

TunnelIo::Socket* TunnelIo::listener_speaking_for(const fsm::Path& path) {
  if (path.encapsulation != wire::Encapsulation::kUdp || tunnels_.contains(path.tunnel_id) ||
      prepared_.contains(path_key(path.local, path.peer)))
    return nullptr;
  return udp_listener_for(path.local);
}

void TunnelIo::send(const fsm::Path& path, wire::ByteView datagram) {
  std::expected<void, int> sent;
  if (Socket* listener = listener_speaking_for(path)) {
    sent = kernel::send_udp_datagram_from(listener->fd.get(), datagram, path.peer, path.local);
  } else {
    auto fd = tunnel_socket(path);
    if (!fd) {
      ++stats_.send_errors;
      log(LogLevel::kWarning, "tunnel " + std::to_string(path.tunnel_id), "no socket to ",
          path.peer.to_string(), ": ", fd.error());
      return;
    }
    sent = kernel::send_datagram(*fd, path.encapsulation, datagram);
  }
  if (!sent) {
    // Lost like any datagram: the transport retransmits.
    ++stats_.send_errors;
    log(LogLevel::kDebug, "tunnel " + std::to_string(path.tunnel_id),
        "send failed: ", error_text(sent.error()));
    return;
  }
  ++stats_.sent;
}

void TunnelIo::release(std::uint32_t tunnel_id) {
  tunnels_.erase(tunnel_id);
}

bool TunnelIo::is_local_address(const fsm::Endpoint& address) const {
  return kernel::is_local_address(address);
}

std::expected<void, std::string> TunnelIo::watch_addresses(std::function<void()> changed) {
  if (address_watch_) return std::unexpected("addresses are watched already");
  auto events = kernel::AddressEvents::open();
  if (!events) return std::unexpected(events.error());
  address_events_ = std::move(*events);
  auto watch = loop_.watch_fd(address_events_->fd(), EPOLLIN,
                              [this, changed = std::move(changed)](std::uint32_t) {
                                if (address_events_->drain()) changed();
                              });
  if (!watch) {
    address_events_.reset();
    return std::unexpected("cannot watch rtnetlink: " + error_text(-watch.error()));
  }
  address_watch_ = std::move(*watch);
  return {};
}

}  // namespace l2tp::daemon
