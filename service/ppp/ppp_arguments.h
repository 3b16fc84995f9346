// The pppd command line for one session, built only from validated options.
// Every value is one argv element handed to execv(), never a shell or an
// options file, and each is checked again here (a second line of defence
// behind the config validators): a string from a D-Bus caller must not turn
// into a second pppd option.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "core/data_plane.h"

namespace l2tp::ppp {

struct PppPaths {
  std::string pppd = "/usr/sbin/pppd";
  std::string l2tp_plugin = "pppol2tp.so";  // Debian's, found in pppd's plugin dir
  std::string report_plugin;                // our l2tpbus-pppd.so, absolute path
};

// Descriptor numbers as pppd sees them after exec.
struct ChildFds {
  int pppol2tp = 3;
  int control = 4;  // our plugin's socket: password in, reports out
};

// LCP echo for server sessions, which have no options of their own: a silent
// peer ends its session within two minutes.
inline constexpr std::uint32_t kServerLcpEchoInterval = 30;
inline constexpr std::uint32_t kServerLcpEchoFailure = 4;

// argv[0] is paths.pppd. `peer_address` is the pool's address for a server
// session (empty: none to hand out, or a client session).
std::expected<std::vector<std::string>, std::string> ppp_arguments(const PppStartParams& params,
                                                                   const PppPaths& paths,
                                                                   const ChildFds& fds,
                                                                   const std::string& peer_address);

// "tunnel/session", the identity pppd carries as linkname and ipparam.
std::string session_identity(std::uint32_t tunnel_id, std::uint32_t session_id);

}  // namespace l2tp::ppp
