// Talks to the kernel's L2TP family: one request, then its answer, at once
// (the kernel answers within the call, so blocking here is bounded). The
// interface lets the data plane's logic be tested with a fake.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/data_plane.h"
#include "kernel/l2tp_messages.h"

struct nl_sock;

namespace l2tp::kernel {

struct NetlinkError {
  int error = 0;        // positive errno: EEXIST, ENOENT, EPROTONOSUPPORT, ...
  std::string message;  // for a person: what failed, why, what to load
};

class L2tpControl {
 public:
  virtual ~L2tpControl() = default;
  // fd: the managed tunnel's connected socket; nullopt for a static tunnel.
  virtual std::expected<void, NetlinkError> create_tunnel(const KernelTunnelParams& params,
                                                          std::optional<int> fd) = 0;
  virtual std::expected<void, NetlinkError> delete_tunnel(std::uint32_t tunnel_id) = 0;
  virtual std::expected<KernelTunnel, NetlinkError> get_tunnel(std::uint32_t tunnel_id) = 0;
  virtual std::expected<std::vector<KernelTunnel>, NetlinkError> dump_tunnels() = 0;
  virtual std::expected<void, NetlinkError> create_session(const KernelSessionParams& params) = 0;
  virtual std::expected<void, NetlinkError> delete_session(std::uint32_t tunnel_id,
                                                           std::uint32_t session_id) = 0;
  virtual std::expected<KernelSession, NetlinkError> get_session(std::uint32_t tunnel_id,
                                                                 std::uint32_t session_id) = 0;
  virtual std::expected<std::vector<KernelSession>, NetlinkError> dump_sessions() = 0;
  // Sets a network interface up (and its MTU, unless 0).
  virtual std::expected<void, NetlinkError> set_link_up(const std::string& interface_name,
                                                        std::uint32_t mtu) = 0;
};

// What to load when the kernel answers EPROTONOSUPPORT (or the family is
// missing) for this request.
std::string missing_module_hint(const KernelTunnelParams& params);
std::string missing_module_hint(const KernelSessionParams& params);

// The real thing: a generic netlink socket for L2TP and a route socket for
// links. Blocking sockets with a receive timeout, so a kernel that never
// answers cannot hang the daemon for long.
class GenlL2tpClient final : public L2tpControl {
 public:
  static std::expected<std::unique_ptr<GenlL2tpClient>, NetlinkError> open();
  ~GenlL2tpClient() override;
  GenlL2tpClient(const GenlL2tpClient&) = delete;
  GenlL2tpClient& operator=(const GenlL2tpClient&) = delete;

  std::expected<void, NetlinkError> create_tunnel(const KernelTunnelParams& params,
                                                  std::optional<int> fd) override;
  std::expected<void, NetlinkError> delete_tunnel(std::uint32_t tunnel_id) override;
  std::expected<KernelTunnel, NetlinkError> get_tunnel(std::uint32_t tunnel_id) override;
  std::expected<std::vector<KernelTunnel>, NetlinkError> dump_tunnels() override;
  std::expected<void, NetlinkError> create_session(const KernelSessionParams& params) override;
  std::expected<void, NetlinkError> delete_session(std::uint32_t tunnel_id,
                                                   std::uint32_t session_id) override;
  std::expected<KernelSession, NetlinkError> get_session(std::uint32_t tunnel_id,
                                                         std::uint32_t session_id) override;
  std::expected<std::vector<KernelSession>, NetlinkError> dump_sessions() override;
  std::expected<void, NetlinkError> set_link_up(const std::string& interface_name,
                                                std::uint32_t mtu) override;

  std::uint16_t family() const { return family_; }

 private:
  GenlL2tpClient(nl_sock* genl, nl_sock* route, std::uint16_t family);
  // Sends `request` and collects the data messages of its answer until the
  // acknowledgement (or NLMSG_DONE for dumps).
  std::expected<std::vector<NetlinkBytes>, NetlinkError> transact(nl_sock* sock,
                                                                  NetlinkBytes request, bool dump);

  nl_sock* genl_;
  nl_sock* route_;
  std::uint16_t family_;
};

}  // namespace l2tp::kernel
