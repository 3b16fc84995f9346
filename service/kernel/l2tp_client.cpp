#include "kernel/l2tp_client.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

namespace l2tp::kernel {

namespace {

// The kernel answers within the request; this only bounds a broken kernel.
constexpr timeval kReceiveTimeout{2, 0};
constexpr std::size_t kReceiveBuffer = 64 * 1024;

std::unexpected<NetlinkError> failure(int error, std::string message) {
  return std::unexpected(NetlinkError{error, std::move(message)});
}

std::string errno_text(int error) {
  return std::strerror(error);
}

// Why the kernel refused, in its own words when it gave some.
std::string reason(const NetlinkError& error) {
  return error.message.empty() ? errno_text(error.error) : error.message;
}

void prepare_socket(nl_sock* sock) {
  const int fd = nl_socket_get_fd(sock);
  fcntl(fd, F_SETFD, FD_CLOEXEC);  // pppd children must not inherit it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &kReceiveTimeout, sizeof kReceiveTimeout);
  const int on = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
}

std::string tunnel_name(std::uint32_t tunnel_id) {
  return "kernel tunnel " + std::to_string(tunnel_id);
}
std::string session_name(std::uint32_t tunnel_id, std::uint32_t session_id) {
  return "kernel session " + std::to_string(tunnel_id) + "/" + std::to_string(session_id);
}

// Puts the action in front and, for a missing module, what to load.
NetlinkError explain(NetlinkError error, const std::string& action, const std::string& hint) {
  std::string text = action + ": " + reason(error);
  if (error.error == EPROTONOSUPPORT && !hint.empty())
    text += " (the kernel lacks a module: load " + hint + ")";
  return {error.error, std::move(text)};
}

}  // namespace

std::string missing_module_hint(const KernelTunnelParams& params) {
  if (params.encapsulation == wire::Encapsulation::kIp)
    return params.local.family == Endpoint::Family::kIpv6 ? "l2tp_ip6" : "l2tp_ip";
  return "l2tp_core and l2tp_netlink";
}

std::string missing_module_hint(const KernelSessionParams& params) {
  return params.pseudowire == Pseudowire::kEth ? "l2tp_eth" : "l2tp_ppp and ppp_generic";
}

std::expected<std::unique_ptr<GenlL2tpClient>, NetlinkError> GenlL2tpClient::open() {
  nl_sock* genl = nl_socket_alloc();
  nl_sock* route = nl_socket_alloc();
  auto give_up = [&](NetlinkError error) {
    if (genl != nullptr) nl_socket_free(genl);
    if (route != nullptr) nl_socket_free(route);
    return std::unexpected(std::move(error));
  };
  if (genl == nullptr || route == nullptr) return give_up({ENOMEM, "no memory for netlink"});
  if (const int r = genl_connect(genl); r < 0)
    return give_up({EIO, std::string("generic netlink: ") + nl_geterror(r)});
  const int family = genl_ctrl_resolve(genl, l2tp_nl::kFamilyName);
  if (family < 0)
    return give_up(
        {ENOENT, "the kernel has no \"l2tp\" generic netlink family: load l2tp_netlink"});
  if (const int r = nl_connect(route, NETLINK_ROUTE); r < 0)
    return give_up({EIO, std::string("route netlink: ") + nl_geterror(r)});
  prepare_socket(genl);
  prepare_socket(route);
  return std::unique_ptr<GenlL2tpClient>(
      new GenlL2tpClient(genl, route, static_cast<std::uint16_t>(family)));
}

GenlL2tpClient::GenlL2tpClient(nl_sock* genl, nl_sock* route, std::uint16_t family)
    : genl_(genl), route_(route), family_(family) {}

GenlL2tpClient::~GenlL2tpClient() {
  nl_socket_free(genl_);
  nl_socket_free(route_);
}

std::expected<std::vector<NetlinkBytes>, NetlinkError> GenlL2tpClient::transact(
    nl_sock* sock, NetlinkBytes request, bool dump) {
  const std::uint32_t sequence = nl_socket_use_seq(sock);
  set_sequence(request, sequence);
  const int fd = nl_socket_get_fd(sock);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0)
    return failure(errno, "cannot send to the kernel: " + errno_text(errno));

  std::vector<NetlinkBytes> data;
  std::vector<std::uint8_t> buffer(kReceiveBuffer);
  for (;;) {
    const ssize_t received = recv(fd, buffer.data(), buffer.size(), 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      const int error = errno == EAGAIN ? ETIMEDOUT : errno;
      return failure(error, "no answer from the kernel: " + errno_text(error));
    }
    auto replies = split_replies({buffer.data(), static_cast<std::size_t>(received)});
    if (!replies) return failure(EBADMSG, replies.error());
    for (const Reply& reply : *replies) {
      // Left over from an earlier request that timed out: not ours.
      if (reply.sequence != sequence) continue;
      switch (reply.kind) {
        case ReplyKind::kData:
          data.emplace_back(reply.bytes.begin(), reply.bytes.end());
          break;
        case ReplyKind::kAck:
          if (!dump) return data;
          break;
        case ReplyKind::kError:
          return failure(reply.error, reply.error_message);
        case ReplyKind::kDone:
          if (reply.error != 0) return failure(reply.error, reply.error_message);
          return data;
        case ReplyKind::kOther:
          break;
      }
    }
  }
}

std::expected<void, NetlinkError> GenlL2tpClient::create_tunnel(const KernelTunnelParams& params,
                                                                std::optional<int> fd) {
  auto answer = transact(genl_, build_tunnel_create(family_, params, fd), false);
  if (!answer)
    return std::unexpected(explain(answer.error(), "cannot create " + tunnel_name(params.tunnel_id),
                                   missing_module_hint(params)));
  return {};
}

std::expected<void, NetlinkError> GenlL2tpClient::delete_tunnel(std::uint32_t tunnel_id) {
  auto answer = transact(genl_, build_tunnel_delete(family_, tunnel_id), false);
  if (!answer)
    return std::unexpected(explain(answer.error(), "cannot delete " + tunnel_name(tunnel_id), ""));
  return {};
}

std::expected<KernelTunnel, NetlinkError> GenlL2tpClient::get_tunnel(std::uint32_t tunnel_id) {
  auto answer = transact(genl_, build_tunnel_get(family_, tunnel_id), false);
  if (!answer)
    return std::unexpected(explain(answer.error(), "cannot read " + tunnel_name(tunnel_id), ""));
  if (answer->empty()) return failure(ENOENT, tunnel_name(tunnel_id) + ": no answer");
  auto tunnel = parse_tunnel(answer->front());
  if (!tunnel) return failure(EBADMSG, tunnel.error());
  return *tunnel;
}

std::expected<std::vector<KernelTunnel>, NetlinkError> GenlL2tpClient::dump_tunnels() {
  auto answer = transact(genl_, build_tunnel_dump(family_), true);
  if (!answer) return std::unexpected(explain(answer.error(), "cannot list kernel tunnels", ""));
  std::vector<KernelTunnel> tunnels;
  for (const NetlinkBytes& message : *answer) {
    auto tunnel = parse_tunnel(message);
    if (!tunnel) return failure(EBADMSG, tunnel.error());
    tunnels.push_back(*tunnel);
  }
  return tunnels;
}

std::expected<void, NetlinkError> GenlL2tpClient::create_session(
    const KernelSessionParams& params) {
  auto answer = transact(genl_, build_session_create(family_, params), false);
  if (!answer)
    return std::unexpected(explain(
        answer.error(), "cannot create " + session_name(params.tunnel_id, params.session_id),
        missing_module_hint(params)));
  return {};
}

std::expected<void, NetlinkError> GenlL2tpClient::delete_session(std::uint32_t tunnel_id,
                                                                 std::uint32_t session_id) {
  auto answer = transact(genl_, build_session_delete(family_, tunnel_id, session_id), false);
  if (!answer)
    return std::unexpected(
        explain(answer.error(), "cannot delete " + session_name(tunnel_id, session_id), ""));
  return {};
}

std::expected<KernelSession, NetlinkError> GenlL2tpClient::get_session(std::uint32_t tunnel_id,
                                                                       std::uint32_t session_id) {
  auto answer = transact(genl_, build_session_get(family_, tunnel_id, session_id), false);
  if (!answer)
    return std::unexpected(
        explain(answer.error(), "cannot read " + session_name(tunnel_id, session_id), ""));
  if (answer->empty()) return failure(ENOENT, session_name(tunnel_id, session_id) + ": no answer");
  auto session = parse_session(answer->front());
  if (!session) return failure(EBADMSG, session.error());
  return *session;
}

std::expected<std::vector<KernelSession>, NetlinkError> GenlL2tpClient::dump_sessions() {
  auto answer = transact(genl_, build_session_dump(family_), true);
  if (!answer) return std::unexpected(explain(answer.error(), "cannot list kernel sessions", ""));
  std::vector<KernelSession> sessions;
  for (const NetlinkBytes& message : *answer) {
    auto session = parse_session(message);
    if (!session) return failure(EBADMSG, session.error());
    sessions.push_back(*session);
  }
  return sessions;
}

std::expected<void, NetlinkError> GenlL2tpClient::set_link_up(const std::string& interface_name,
                                                              std::uint32_t mtu) {
  auto answer = transact(route_, build_link_up(interface_name, mtu), false);
  if (!answer)
    return std::unexpected(explain(answer.error(), "cannot set " + interface_name + " up", ""));
  return {};
}

}  // namespace l2tp::kernel
