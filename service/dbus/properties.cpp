#include "dbus/properties.h"

#include <chrono>
#include <cstdint>

namespace l2tp::dbus {

std::string tunnel_path(std::uint32_t tunnel_id) {
  return std::string(kManagerPath) + "/tunnel/" + std::to_string(tunnel_id);
}

std::string session_path(std::uint32_t tunnel_id, std::uint32_t session_id) {
  return tunnel_path(tunnel_id) + "/session/" + std::to_string(session_id);
}

std::string listener_path(std::uint32_t listener_id) {
  return std::string(kManagerPath) + "/listener/" + std::to_string(listener_id);
}

std::vector<sdbus::ObjectPath> session_paths(std::uint32_t tunnel_id,
                                             const std::vector<std::uint32_t>& session_ids) {
  std::vector<sdbus::ObjectPath> paths;
  paths.reserve(session_ids.size());
  for (std::uint32_t id : session_ids) paths.emplace_back(session_path(tunnel_id, id));
  return paths;
}

std::vector<sdbus::ObjectPath> tunnel_paths(const std::vector<std::uint32_t>& tunnel_ids) {
  std::vector<sdbus::ObjectPath> paths;
  paths.reserve(tunnel_ids.size());
  for (std::uint32_t id : tunnel_ids) paths.emplace_back(tunnel_path(id));
  return paths;
}

namespace {

constexpr std::string_view kTunnelPrefix = "/org/l2tpbus1/tunnel/";
constexpr std::string_view kSessionInfix = "/session/";
constexpr std::string_view kListenerPrefix = "/org/l2tpbus1/listener/";

// A decimal id as std::to_string writes it, at the start of `text`; the
// rest is left in `text`.
std::optional<std::uint32_t> take_id(std::string_view& text) {
  std::size_t digits = 0;
  std::uint64_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9' && digits < 10) {
    value = value * 10 + static_cast<std::uint64_t>(text[digits] - '0');
    ++digits;
  }
  if (digits == 0 || (digits > 1 && text[0] == '0') || value > UINT32_MAX) return std::nullopt;
  if (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') return std::nullopt;
  text.remove_prefix(digits);
  return static_cast<std::uint32_t>(value);
}

bool take_prefix(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::optional<std::uint32_t> tunnel_id_of(std::string_view path) {
  if (!take_prefix(path, kTunnelPrefix)) return std::nullopt;
  const std::optional<std::uint32_t> id = take_id(path);
  if (!id || !path.empty()) return std::nullopt;
  return id;
}

std::optional<std::pair<std::uint32_t, std::uint32_t>> session_ids_of(std::string_view path) {
  if (!take_prefix(path, kTunnelPrefix)) return std::nullopt;
  const std::optional<std::uint32_t> tunnel_id = take_id(path);
  if (!tunnel_id || !take_prefix(path, kSessionInfix)) return std::nullopt;
  const std::optional<std::uint32_t> session_id = take_id(path);
  if (!session_id || !path.empty()) return std::nullopt;
  return std::pair{*tunnel_id, *session_id};
}

std::optional<std::uint32_t> listener_id_of(std::string_view path) {
  if (!take_prefix(path, kListenerPrefix)) return std::nullopt;
  const std::optional<std::uint32_t> id = take_id(path);
  if (!id || !path.empty()) return std::nullopt;
  return id;
}

namespace {

// Length of the well-formed UTF-8 sequence at the start of `text` (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF); 0 if there is none.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](std::size_t i) {
    return i < text.size() && (byte(i) & 0xc0) == 0x80;
  };
  const unsigned char lead = byte(0);
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xe0 && byte(1) < 0xa0) return 0;   // overlong
    if (lead == 0xed && byte(1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xf0 && byte(1) < 0x90) return 0;   // overlong
    if (lead == 0xf4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string to_bus_string(std::string_view untrusted) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(untrusted.size());
  std::size_t i = 0;
  while (i < untrusted.size()) {
    const auto c = static_cast<unsigned char>(untrusted[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(untrusted.substr(i));
      if (length != 0) {
        out.append(untrusted.substr(i, length));
        i += length;
        continue;
      }
    }
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
    ++i;
  }
  return out;
}

const char* to_property(wire::Encapsulation encapsulation) {
  switch (encapsulation) {
    case wire::Encapsulation::kUdp:
      return "udp";
    case wire::Encapsulation::kIp:
      return "ip";
  }
  return "udp";
}

std::uint32_t to_property(wire::ProtocolVersion version) {
  return static_cast<std::uint32_t>(version);
}

LastResultValue to_property(const fsm::LastResult& result) {
  return LastResultValue(std::uint32_t{result.result}, std::uint32_t{result.error},
                         to_bus_string(result.message));
}

namespace {

// IPCP gave us an address, or there is no IPv4 configuration to speak of
// (the null data plane reports the network phase without addresses).
bool has_ip4(const std::optional<fsm::PppAddresses>& ppp) {
  return ppp.has_value() && !ppp->local_address.empty();
}

}  // namespace

std::map<std::string, sdbus::Variant> ipsec_status(const IpsecStatus& status) {
  std::map<std::string, sdbus::Variant> values;
  values.emplace("state", sdbus::Variant(std::string(to_string(status.state))));
  if (status.state != IpsecState::kEstablished) return values;
  values.emplace("ike-version", sdbus::Variant(static_cast<std::uint32_t>(status.ike_version)));
  values.emplace("ike-proposal", sdbus::Variant(to_bus_string(status.ike_proposal)));
  values.emplace("esp-proposal", sdbus::Variant(to_bus_string(status.esp_proposal)));
  values.emplace("nat-traversal", sdbus::Variant(status.nat_traversal));
  return values;
}

std::map<std::string, sdbus::Variant> ip4_config(const std::optional<fsm::PppAddresses>& ppp) {
  std::map<std::string, sdbus::Variant> config;
  if (!has_ip4(ppp)) return config;
  std::vector<std::string> dns;
  dns.reserve(ppp->dns.size());
  for (const std::string& server : ppp->dns) dns.push_back(to_bus_string(server));
  config.emplace("address", sdbus::Variant(to_bus_string(ppp->local_address)));
  config.emplace("peer", sdbus::Variant(to_bus_string(ppp->peer_address)));
  config.emplace("prefix", sdbus::Variant(ppp->prefix));
  config.emplace("dns", sdbus::Variant(dns));
  config.emplace("mtu", sdbus::Variant(ppp->mtu));
  return config;
}

namespace {

bool has_ip6(const std::optional<fsm::PppAddresses>& ppp) {
  return ppp.has_value() && !ppp->local_address6.empty();
}

bool same_addresses6(const std::optional<fsm::PppAddresses>& a,
                     const std::optional<fsm::PppAddresses>& b) {
  if (has_ip6(a) != has_ip6(b)) return false;
  if (!has_ip6(a)) return true;
  return a->local_address6 == b->local_address6 && a->peer_address6 == b->peer_address6 &&
         a->mtu == b->mtu;
}

bool same_addresses(const std::optional<fsm::PppAddresses>& a,
                    const std::optional<fsm::PppAddresses>& b) {
  if (has_ip4(a) != has_ip4(b)) return false;
  if (!has_ip4(a)) return true;
  return a->local_address == b->local_address && a->peer_address == b->peer_address &&
         a->prefix == b->prefix && a->dns == b->dns && a->mtu == b->mtu;
}

// Appends `name` when the two values differ.
class Differences {
 public:
  template <typename T>
  void compare(const char* name, const T& before, const T& after) {
    if (!(before == after)) names_.emplace_back(name);
  }
  void mark(const char* name, bool differs) {
    if (differs) names_.emplace_back(name);
  }
  std::vector<std::string> take() { return std::move(names_); }

 private:
  std::vector<std::string> names_;
};

}  // namespace

std::map<std::string, sdbus::Variant> ip6_config(const std::optional<fsm::PppAddresses>& ppp) {
  std::map<std::string, sdbus::Variant> config;
  if (!has_ip6(ppp)) return config;
  config.emplace("address", sdbus::Variant(to_bus_string(ppp->local_address6)));
  config.emplace("peer", sdbus::Variant(to_bus_string(ppp->peer_address6)));
  config.emplace("prefix", sdbus::Variant(std::uint32_t{64}));
  config.emplace("mtu", sdbus::Variant(ppp->mtu));
  return config;
}

const char* ip6_negotiation(const fsm::SessionView& session) {
  if (session.pseudowire != fsm::Pseudowire::kPpp) return "off";
  if (!session.ppp) return "pending";
  switch (session.ppp->ip6_negotiation) {
    case l2tp::Ip6Negotiation::kPending:
      return "pending";
    case l2tp::Ip6Negotiation::kUp:
      return "up";
    case l2tp::Ip6Negotiation::kRefused:
      return "refused";
    case l2tp::Ip6Negotiation::kOff:
      return "off";
  }
  return "pending";
}

std::vector<std::string> changed_properties(const daemon::TunnelInfo& before,
                                            const daemon::TunnelInfo& after) {
  const fsm::TunnelView& a = before.view;
  const fsm::TunnelView& b = after.view;
  Differences differences;
  differences.compare("State", a.state, b.state);
  differences.compare("Local", a.local, b.local);
  differences.compare("Peer", a.peer, b.peer);
  differences.compare("PeerTunnelId", a.peer_tunnel_id, b.peer_tunnel_id);
  differences.compare("PeerHostName", a.peer_host_name, b.peer_host_name);
  differences.compare("PeerVendorName", a.peer_vendor_name, b.peer_vendor_name);
  differences.compare("HelloInterval", a.hello_interval, b.hello_interval);
  differences.compare("Ipsec", a.ipsec, b.ipsec);
  differences.compare("LastResult", a.last_result, b.last_result);
  return differences.take();
}

std::vector<std::string> changed_properties(const daemon::SessionInfo& before,
                                            const daemon::SessionInfo& after) {
  const fsm::SessionView& a = before.view;
  const fsm::SessionView& b = after.view;
  Differences differences;
  differences.compare("State", a.state, b.state);
  differences.compare("PeerSessionId", a.peer_session_id, b.peer_session_id);
  differences.compare("InterfaceName", a.interface_name, b.interface_name);
  differences.compare("LastResult", a.last_result, b.last_result);
  differences.mark("Ip4Config", !same_addresses(a.ppp, b.ppp));
  differences.mark("Ip6Config", !same_addresses6(a.ppp, b.ppp));
  differences.compare("Ip6Negotiation", std::string_view(ip6_negotiation(a)),
                      std::string_view(ip6_negotiation(b)));
  return differences.take();
}

ConfigFilesValue to_property(const std::vector<daemon::ConfigFileStatus>& files) {
  ConfigFilesValue value;
  value.reserve(files.size());
  for (const daemon::ConfigFileStatus& file : files) {
    value.emplace_back(to_bus_string(file.name), std::string(daemon::to_string(file.state)),
                       to_bus_string(file.message));
  }
  return value;
}

}  // namespace l2tp::dbus
