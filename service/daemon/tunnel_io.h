// The engine's PacketSink over real sockets, and the way datagrams reach the
// engine: listener sockets accept SCCRQs. A tunnel we initiate has its own
// connected socket from the start. A tunnel accepted at a UDP listener
// speaks through the listener's socket until the kernel's data plane asks
// for a socket of its own (tunnel_socket(), once it is established): each
// such socket is bound to the listener's address and port, and the kernel
// walks every socket on that port to bind one, so a handshake that never
// needs one (a refusal, a control-only daemon) must not pay for it.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/endpoint.h"
#include "daemon/ports.h"
#include "fsm/engine.h"
#include "fsm/ports.h"
#include "kernel/local_addresses.h"
#include "kernel/unique_fd.h"
#include "loop/event_loop.h"
#include "wire/header.h"

namespace l2tp::daemon {

struct SocketStats {
  std::uint64_t received = 0;
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t receive_errors = 0;
};

class TunnelIo final : public TunnelSockets {
 public:
  using Receiver = std::function<void(const fsm::Datagram&)>;
  TunnelIo(loop::EventLoop& loop, Receiver receiver);
  ~TunnelIo() override;

  // Binds a listener socket; port 0 picks one. Returns the bound address.
  std::expected<fsm::Endpoint, std::string> open_listener(std::uint32_t listener_id,
                                                          const fsm::Endpoint& local,
                                                          wire::Encapsulation encapsulation,
                                                          bool require_esp,
                                                          bool free_bind) override;
  void close_listener(std::uint32_t listener_id) override;
  std::uint64_t listener_drops(std::uint32_t listener_id) const override;

  // Opens the socket of a tunnel we are about to initiate, so that its local
  // address is known before the engine sends the SCCRQ: the requested port,
  // else 1701 when free (or shared with our own listener), else an ephemeral
  // one. The engine's first send() on this path adopts the socket.
  std::expected<fsm::Endpoint, std::string> prepare_initiator(const fsm::Endpoint& local,
                                                              const fsm::Endpoint& peer,
                                                              wire::Encapsulation encapsulation,
                                                              bool port_given,
                                                              bool free_bind) override;
  // Drops a prepared socket the engine did not take (create_tunnel failed).
  void discard_prepared(const fsm::Endpoint& local, const fsm::Endpoint& peer) override;

  void send(const fsm::Path& path, wire::ByteView datagram) override;

  // The tunnel's socket (created if needed): the kernel's managed tunnels are
  // built on it.
  std::expected<int, std::string> tunnel_socket(const fsm::Path& path) override;
  // The tunnel is gone from the engine for good: close its socket.
  void release(std::uint32_t tunnel_id) override;

  bool is_local_address(const fsm::Endpoint& address) const override;
  // rtnetlink's address events on the loop.
  std::expected<void, std::string> watch_addresses(std::function<void()> changed) override;

  const SocketStats& stats() const { return stats_; }
  std::size_t open_tunnel_sockets() const { return tunnels_.size(); }

 private:
  struct Socket {
    kernel::UniqueFd fd;
    wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
    fsm::Endpoint local;
    fsm::Endpoint peer;  // connected sockets
    std::unique_ptr<loop::IoWatch> watch;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // expires with the socket
    int read_budget = 1;                                         // datagrams per wake-up
    bool requires_esp = false;  // a listener whose tunnels take only IPsec-protected datagrams
    bool free_bind = false;     // bound whether or not its address is here (and its tunnels' too)
  };
  using SocketPtr = std::unique_ptr<Socket>;

  std::expected<SocketPtr, std::string> open_socket(const fsm::Endpoint& local,
                                                    const fsm::Endpoint* peer,
                                                    wire::Encapsulation encapsulation,
                                                    std::uint32_t connection_id, bool share_address,
                                                    bool free_bind);
  void watch(Socket& socket, bool listener);
  void drain(Socket& socket);
  bool listener_holds(const fsm::Endpoint& local, wire::Encapsulation encapsulation) const;
  // The UDP listener socket that receives on `local`, if any.
  Socket* udp_listener_for(const fsm::Endpoint& local);
  // The listener socket `path` is sent through: a UDP tunnel with no socket
  // of its own (nor one prepared for it) at a listener's address.
  Socket* listener_speaking_for(const fsm::Path& path);
  static std::string path_key(const fsm::Endpoint& local, const fsm::Endpoint& peer);

  loop::EventLoop& loop_;
  Receiver receiver_;
  std::unordered_map<std::uint32_t, SocketPtr> listeners_;
  std::unordered_map<std::uint32_t, SocketPtr> tunnels_;
  std::unordered_map<std::string, SocketPtr> prepared_;
  std::vector<std::uint8_t> buffer_;
  SocketStats stats_;
  std::optional<kernel::AddressEvents> address_events_;
  std::unique_ptr<loop::IoWatch> address_watch_;
};

}  // namespace l2tp::daemon
