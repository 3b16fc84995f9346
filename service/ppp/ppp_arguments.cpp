#include "ppp/ppp_arguments.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "ppp/ppp_record.h"

namespace l2tp::ppp {
namespace {

constexpr std::size_t kMaxNameBytes = 255;     // pppd's MAXNAMELEN - 1
constexpr std::size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1

struct Method {
  std::string_view name;
  std::string_view refuse_option;
};
// pppd's names for what the Authentication option lists.
constexpr std::array kMethods{
    Method{"pap", "refuse-pap"},       Method{"chap", "refuse-chap"},
    Method{"mschap", "refuse-mschap"}, Method{"mschap-v2", "refuse-mschap-v2"},
    Method{"eap", "refuse-eap"},
};

std::unexpected<std::string> fail(std::string message) {
  return std::unexpected(std::move(message));
}

bool is_ipv4(const std::string& text) {
  in_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool has_control_or_space(std::string_view text) {
  return std::ranges::any_of(text, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || c == ' ';
  });
}

bool is_interface_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxInterfaceName || name == "." || name == "..") return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

bool allows(const std::vector<std::string>& methods, std::string_view method) {
  return std::ranges::find(methods, method) != methods.end();
}

class Argv {
 public:
  void add(std::string_view option) { argv_.emplace_back(option); }
  void add(std::string_view option, std::string value) {
    argv_.emplace_back(option);
    argv_.push_back(std::move(value));
  }
  void add(std::string_view option, std::uint32_t value) { add(option, std::to_string(value)); }
  std::vector<std::string> take() { return std::move(argv_); }

 private:
  std::vector<std::string> argv_;
};

void add_l2tp(Argv& argv, const PppStartParams& params, const PppPaths& paths,
              const ChildFds& fds) {
  const KernelSessionParams& session = params.session;
  argv.add("plugin", paths.l2tp_plugin);
  argv.add("pppol2tp", std::to_string(fds.pppol2tp));
  if (session.lns_mode) {
    // pppol2tp.so insists on both ids in LNS mode (it hands them to its hooks).
    argv.add("pppol2tp_lns_mode");
    argv.add("pppol2tp_tunnel_id", session.tunnel_id);
    argv.add("pppol2tp_session_id", session.session_id);
  }
  if (session.sequencing == Sequencing::kSend || session.sequencing == Sequencing::kBoth) {
    argv.add("pppol2tp_send_seq");
  }
  if (session.sequencing == Sequencing::kRecv || session.sequencing == Sequencing::kBoth) {
    argv.add("pppol2tp_recv_seq");
  }
  const auto reorder_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(session.reorder_timeout).count();
  if (reorder_ms > 0) argv.add("pppol2tp_reorderto", std::to_string(reorder_ms));
}

void add_common(Argv& argv, const PppStartParams& params, const PppPaths& paths,
                const ChildFds& fds) {
  argv.add("plugin", paths.report_plugin);
  argv.add("l2tpbus-fd", std::to_string(fds.control));
  if (params.role == PppRole::kClient) argv.add("l2tpbus-client");
  // The supervisor watches the process; pppd must neither fork away nor
  // redial (/etc/ppp/options may say persist).
  argv.add("nodetach");
  argv.add("nopersist");
  argv.add("maxfail", std::uint32_t{1});
  const std::string identity =
      session_identity(params.session.tunnel_id, params.session.session_id);
  // Also what proves a leftover pppd ours after a crash (ppp_record.h).
  argv.add("linkname", session_linkname(params.session.tunnel_id, params.session.session_id));
  argv.add("ipparam", identity);
  if (params.session.mtu != 0) {
    argv.add("mtu", params.session.mtu);
    argv.add("mru", params.session.mtu);
  }
  // On stop() the kernel session usually goes at once, so no Terminate-Ack
  // can come back: pppd waits one second for it, not 3 s twice, and ends
  // within the supervisor's grace period, running its ip-down scripts.
  argv.add("lcp-restart", std::uint32_t{1});
  argv.add("lcp-max-terminate", std::uint32_t{1});
  // VJ and the dictionary compressors are useless over L2TP; pppol2tp.so
  // turns most off, and saying so keeps /etc/ppp/options from turning them on.
  argv.add("novj");
  argv.add("nodeflate");
  argv.add("nobsdcomp");
  argv.add("nopredictor1");
}

std::expected<void, std::string> add_client(Argv& argv, const PppClientOptions& client) {
  if (!client.user.empty()) {
    if (client.user.size() > kMaxNameBytes) return fail("User is longer than pppd accepts");
    // Spaces are fine in one argv element, but pppd would write them into
    // its logs and script environment unquoted.
    if (has_control_or_space(client.user)) {
      return fail("User must not contain spaces or control characters");
    }
  }
  for (const std::string& method : client.authentication) {
    if (std::ranges::none_of(kMethods, [&](const Method& m) { return m.name == method; })) {
      return fail("unknown authentication method '" + method + "'");
    }
  }
  const bool ms_chap =
      allows(client.authentication, "mschap") || allows(client.authentication, "mschap-v2");
  if ((client.mppe == Mppe::kRequired || client.mppe == Mppe::kRequired128) && !ms_chap) {
    return fail("MPPE needs mschap or mschap-v2 in Authentication");
  }

  // We authenticate to the peer; the peer need not authenticate to us
  // (Debian's /etc/ppp/options says auth).
  argv.add("noauth");
  if (!client.user.empty()) argv.add("user", client.user);
  for (const Method& method : kMethods) {
    if (!allows(client.authentication, method.name)) argv.add(method.refuse_option);
  }
  switch (client.mppe) {
    case Mppe::kOff:
      argv.add("noccp");
      break;
    case Mppe::kOptional:
      break;  // pppd accepts MPPE when the peer asks for it
    case Mppe::kRequired:
      argv.add("require-mppe");
      break;
    case Mppe::kRequired128:
      argv.add("require-mppe-128");
      break;
  }
  argv.add("noipdefault");  // the peer assigns our address
  if (client.use_peer_dns) argv.add("usepeerdns");
  argv.add(client.default_route ? "defaultroute" : "nodefaultroute");
  argv.add(client.ipv6 ? "+ipv6" : "noipv6");
  argv.add("lcp-echo-interval", client.lcp_echo_interval);
  argv.add("lcp-echo-failure", client.lcp_echo_failure);
  return {};
}

std::expected<void, std::string> add_server(Argv& argv, const PppServerOptions& server,
                                            const std::string& peer_address) {
  if (!server.local_address.empty() && !is_ipv4(server.local_address)) {
    return fail("PppLocalAddress is not an IPv4 address");
  }
  if (!peer_address.empty() && !is_ipv4(peer_address)) {
    return fail("the pool's address is not an IPv4 address");
  }
  for (const std::string& dns : server.dns) {
    if (!is_ipv4(dns)) return fail("PppDns holds a value that is not an IPv4 address");
  }
  // Without `auth` pppd lets any peer in; with it, pppd asks for whichever
  // methods its own secrets files (or a RADIUS plugin from /etc/ppp/options)
  // hold users for.
  argv.add(server.require_authentication ? "auth" : "noauth");
  argv.add("noccp");
  if (!server.local_address.empty() || !peer_address.empty()) {
    argv.add(server.local_address + ":" + peer_address);
  }
  for (const std::string& dns : server.dns) argv.add("ms-dns", dns);
  argv.add("nodefaultroute");
  // IPV6CP for the peers that ask (Session option Ipv6 on our LAC); a peer
  // without it rejects the protocol and IPv4 goes on alone.
  argv.add("+ipv6");
  argv.add("lcp-echo-interval", kServerLcpEchoInterval);
  argv.add("lcp-echo-failure", kServerLcpEchoFailure);
  return {};
}

}  // namespace

std::string session_identity(std::uint32_t tunnel_id, std::uint32_t session_id) {
  return std::to_string(tunnel_id) + "/" + std::to_string(session_id);
}

std::expected<std::vector<std::string>, std::string> ppp_arguments(
    const PppStartParams& params, const PppPaths& paths, const ChildFds& fds,
    const std::string& peer_address) {
  if (paths.pppd.empty() || paths.l2tp_plugin.empty() || paths.report_plugin.empty()) {
    return fail("pppd, pppol2tp.so or the l2tpbus plugin has no path");
  }
  Argv argv;
  argv.add(paths.pppd);
  add_l2tp(argv, params, paths, fds);
  add_common(argv, params, paths, fds);
  const std::string& interface_name = params.session.interface_name;
  if (!interface_name.empty()) {
    if (!is_interface_name(interface_name)) return fail("InterfaceName is not a valid name");
    argv.add("ifname", interface_name);
  }
  const auto role = params.role == PppRole::kClient ? add_client(argv, params.client)
                                                    : add_server(argv, params.server, peer_address);
  if (!role) return std::unexpected(role.error());
  return argv.take();
}

}  // namespace l2tp::ppp
