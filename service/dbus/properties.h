// Object paths and property values of the API, computed from the daemon's
// views; and which signalled properties differ between two views, so every
// change is announced once and nothing unchanged is.
#pragma once

#include <sdbus-c++/Types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/daemon.h"
#include "fsm/engine.h"

namespace l2tp::dbus {

inline constexpr const char* kBusName = "org.l2tpbus1";
inline constexpr const char* kManagerPath = "/org/l2tpbus1";
inline constexpr const char* kManagerInterface = "org.l2tpbus1.Manager";
inline constexpr const char* kTunnelInterface = "org.l2tpbus1.Tunnel";
inline constexpr const char* kSessionInterface = "org.l2tpbus1.Session";
inline constexpr const char* kListenerInterface = "org.l2tpbus1.Listener";

std::string tunnel_path(std::uint32_t tunnel_id);
std::string session_path(std::uint32_t tunnel_id, std::uint32_t session_id);
std::string listener_path(std::uint32_t listener_id);
std::vector<sdbus::ObjectPath> session_paths(std::uint32_t tunnel_id,
                                             const std::vector<std::uint32_t>& session_ids);
std::vector<sdbus::ObjectPath> tunnel_paths(const std::vector<std::uint32_t>& tunnel_ids);
// The ids in a path exactly as the functions above write it (decimal, no
// leading zero, nothing before or after); nullopt for any other path.
std::optional<std::uint32_t> tunnel_id_of(std::string_view path);
std::optional<std::pair<std::uint32_t, std::uint32_t>> session_ids_of(std::string_view path);
std::optional<std::uint32_t> listener_id_of(std::string_view path);

// D-Bus strings must be valid UTF-8 without NUL; peers send arbitrary bytes
// (host names, result messages). Valid UTF-8 passes, control characters,
// backslashes and invalid bytes become "\xNN".
std::string to_bus_string(std::string_view untrusted);

const char* to_property(wire::Encapsulation encapsulation);  // "udp", "ip"
std::uint32_t to_property(wire::ProtocolVersion version);    // 2, 3
using LastResultValue = sdbus::Struct<std::uint32_t, std::uint32_t, std::string>;
// Manager.ConfigFiles: (NAME, state, message) per file, sorted by name; the
// strings as the bus may carry them (a file name need not be UTF-8).
using ConfigFilesValue = std::vector<sdbus::Struct<std::string, std::string, std::string>>;
ConfigFilesValue to_property(const std::vector<daemon::ConfigFileStatus>& files);
LastResultValue to_property(const fsm::LastResult& result);
// PPP's IPv4 configuration: address s, peer s, prefix u, dns as, mtu u; empty
// until IPCP gave an address.
std::map<std::string, sdbus::Variant> ip4_config(const std::optional<fsm::PppAddresses>& ppp);
// Tunnel.Ipsec: state, and once established the IKE version, proposals and NAT-T.
std::map<std::string, sdbus::Variant> ipsec_status(const IpsecStatus& status);
// PPP with Ipv6: the link-local addresses IPV6CP's interface ids make.
std::map<std::string, sdbus::Variant> ip6_config(const std::optional<fsm::PppAddresses>& ppp);
// "pending", "up", "refused" or "off": IPV6CP's outcome; Ethernet has none.
const char* ip6_negotiation(const fsm::SessionView& session);

// Names of the properties that emit PropertiesChanged and differ. Constant
// properties and Statistics (read on Get only) are never listed.
std::vector<std::string> changed_properties(const daemon::TunnelInfo& before,
                                            const daemon::TunnelInfo& after);
std::vector<std::string> changed_properties(const daemon::SessionInfo& before,
                                            const daemon::SessionInfo& after);

}  // namespace l2tp::dbus
