// The option vocabulary of dbus-api.md. Every value a D-Bus caller or a config
// file gives passes through here before it becomes an fsm config, so the
// bounds below are the daemon's only line of defence against values the
// engine, the kernel or pppd would choke on.
//
// Everywhere: unknown keys and wrong types are refused; strings must be valid
// UTF-8 without control characters (< 0x20, 0x7f); nothing is applied unless
// every key passes.
//
// | key                        | accepted                                  | default            |
// |----------------------------|-------------------------------------------|--------------------|
// | Mode                       | dynamic, quiescent, static (static: v3)   | dynamic            |
// | Version                    | 2, 3                                      | 2                  |
// | Encapsulation              | udp, ip (ip: v3; no ports then)           | udp                |
// | Peer                       | host name (RFC 1123, <= 253) or numeric;  | required           |
// |                            | port 1..65535                             | port 1701          |
// | Local (tunnel)             | numeric; port 1..65535; family of Peer    | any, port chosen   |
// | Local (listener)           | numeric; port 1..65535                    | 0.0.0.0:1701       |
// | TunnelId, PeerTunnelId     | v2 1..65535, v3 1..4294967295             | random / learned   |
// | SessionId, PeerSessionId   | v2 1..65535, v3 1..4294967295             | random / learned   |
// | HostName                   | 1..255 bytes                              | Defaults.host_name |
// | Secret                     | 1..255 bytes                              | none               |
// | HideAvps                   | needs Secret                              | false              |
// | HelloInterval              | 0..3600 s (0 disables)                    | 60                 |
// | RetransmitTimeout          | 100..60000 ms                             | 1000               |
// | MaxRetransmitTimeout       | RetransmitTimeout..300000 ms              | max(8000, first)   |
// | MaxRetransmits             | 1..64                                     | 5                  |
// | ReceiveWindow              | 1..65535                                  | 16                 |
// | Pseudowire                 | ppp, eth (eth: v3)                        | ppp                |
// | InterfaceName              | 1..15 of [A-Za-z0-9_.-], not . or ..      | kernel's           |
// | Cookie, PeerCookie         | 0, 4 or 8 bytes; v3 only                  | none               |
// | L2SpecificSublayer         | none, default (default: v3)               | eth default, else none
// | | Sequencing                 | none, send, recv, both                    | none               |
// | ReorderTimeout             | 0..60000 ms                               | 0                  |
// | Mtu                        | 68..65535                                 | ppp 1400, eth 0    |
// | CallingNumber, CalledNumber| 1..64 bytes                               | none               |
// | User (ppp)                 | 1..255 bytes, no space or quote           | none               |
// | Password (ppp)             | 0..255 bytes                              | none               |
// | Authentication (ppp)       | non-empty set of pap, chap, mschap,       | pap, chap,         |
// |                            | mschap-v2, eap                            | mschap-v2          |
// | Mppe (ppp)                 | off, optional, required, required-128;    | off                |
// |                            | not off needs mschap or mschap-v2         |                    |
// | LcpEchoInterval (ppp)      | 0..3600 s                                 | 30                 |
// | LcpEchoFailure (ppp)       | 0..100                                    | 4                  |
// | Pseudowires                | non-empty set of ppp, eth (eth: v3)       | ppp                |
// | PppLocalAddress            | IPv4 literal, not 0.0.0.0                 | none               |
// | PppAddressPool             | a.b.c.d-e.f.g.h, first <= last,           | none               |
// |                            | <= 65536 addresses, not containing        |                    |
// |                            | PppLocalAddress                           |                    |
// | PppDns                     | 1..2 IPv4 literals (what IPCP can offer)  | none               |
// | MaxTunnels (listener)      | 1..1048576 established tunnels            | daemon's MaxTunnels/2
// | MaxTunnelsPerPeer          | 1..1048576, from one source address       | 64                 |
// | MaxSessions (listener)     | 1..1048576, in its tunnels together       | daemon's MaxSessions/2
// | MaxCallsPerSecond          | 1..1000000 ICRQs/OCRQs a second (as many  | 20                 |
// |                            | at once)                                  |                    |
//
// The Ipsec* keys of tunnels and listeners: ipsec_options.cpp.
//
// Session keys marked (ppp) are refused for eth sessions; listener keys
// starting with Ppp are refused when Pseudowires lacks ppp.
#include "config/options.h"

#include <algorithm>
#include <array>
#include <type_traits>

#include "config/ipsec_options.h"
#include "config/option_parsing.h"
#include "config/option_text.h"
#include "config/text_checks.h"
#include "core/ipsec.h"

namespace l2tp::config {

namespace {

using detail::Choice;
using detail::fail;
using detail::OptionReader;

// check_vocabulary compares a value's alternative index with its key's type.
template <OptionType type, typename T>
constexpr bool kHeldAt =
    std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(type), OptionValue>, T>;
static_assert(kHeldAt<OptionType::kString, std::string> &&
              kHeldAt<OptionType::kUint32, std::uint32_t> && kHeldAt<OptionType::kBool, bool> &&
              kHeldAt<OptionType::kBytes, std::vector<std::uint8_t>> &&
              kHeldAt<OptionType::kStringList, std::vector<std::string>>);

struct KeyType {
  std::string_view key;
  OptionType type;
};

// The control connection's settings, the same for tunnels and the tunnels a
// listener accepts (ControlSettings).
constexpr std::array kControlKeys{
    KeyType{"HostName", OptionType::kString},
    KeyType{"Secret", OptionType::kBytes},
    KeyType{"HideAvps", OptionType::kBool},
    KeyType{"HelloInterval", OptionType::kUint32},
    KeyType{"RetransmitTimeout", OptionType::kUint32},
    KeyType{"MaxRetransmitTimeout", OptionType::kUint32},
    KeyType{"MaxRetransmits", OptionType::kUint32},
    KeyType{"ReceiveWindow", OptionType::kUint32},
};

constexpr std::array kTunnelKeys{
    KeyType{"Mode", OptionType::kString},          KeyType{"Version", OptionType::kUint32},
    KeyType{"Encapsulation", OptionType::kString}, KeyType{"Peer", OptionType::kString},
    KeyType{"Local", OptionType::kString},         KeyType{"TunnelId", OptionType::kUint32},
    KeyType{"PeerTunnelId", OptionType::kUint32},  KeyType{"UdpChecksum", OptionType::kBool},
};

constexpr std::array kSessionKeys{
    KeyType{"Pseudowire", OptionType::kString},
    KeyType{"SessionId", OptionType::kUint32},
    KeyType{"PeerSessionId", OptionType::kUint32},
    KeyType{"InterfaceName", OptionType::kString},
    KeyType{"Cookie", OptionType::kBytes},
    KeyType{"PeerCookie", OptionType::kBytes},
    KeyType{"L2SpecificSublayer", OptionType::kString},
    KeyType{"Sequencing", OptionType::kString},
    KeyType{"ReorderTimeout", OptionType::kUint32},
    KeyType{"Mtu", OptionType::kUint32},
    KeyType{"CallingNumber", OptionType::kString},
    KeyType{"CalledNumber", OptionType::kString},
    KeyType{"User", OptionType::kString},
    KeyType{"Password", OptionType::kString},
    KeyType{"Authentication", OptionType::kStringList},
    KeyType{"Mppe", OptionType::kString},
    KeyType{"UsePeerDns", OptionType::kBool},
    KeyType{"Ipv6", OptionType::kBool},
    KeyType{"LcpEchoInterval", OptionType::kUint32},
    KeyType{"LcpEchoFailure", OptionType::kUint32},
    KeyType{"DefaultRoute", OptionType::kBool},
};

constexpr std::array kListenerKeys{
    KeyType{"Local", OptionType::kString},
    KeyType{"Version", OptionType::kUint32},
    KeyType{"Encapsulation", OptionType::kString},
    KeyType{"Pseudowires", OptionType::kStringList},
    KeyType{"PppLocalAddress", OptionType::kString},
    KeyType{"PppAddressPool", OptionType::kString},
    KeyType{"PppDns", OptionType::kStringList},
    KeyType{"PppRequireAuthentication", OptionType::kBool},
    KeyType{"MaxTunnels", OptionType::kUint32},
    KeyType{"MaxTunnelsPerPeer", OptionType::kUint32},
    KeyType{"MaxSessions", OptionType::kUint32},
    KeyType{"MaxCallsPerSecond", OptionType::kUint32},
};

template <std::size_t N>
std::optional<OptionType> lookup(const std::array<KeyType, N>& table, std::string_view key) {
  for (const KeyType& entry : table) {
    if (entry.key == key) return entry.type;
  }
  return std::nullopt;
}

constexpr std::array kModes{
    Choice<fsm::TunnelMode>{"dynamic", fsm::TunnelMode::kDynamic},
    Choice<fsm::TunnelMode>{"quiescent", fsm::TunnelMode::kQuiescent},
    Choice<fsm::TunnelMode>{"static", fsm::TunnelMode::kStatic},
};

constexpr std::uint16_t kL2tpPort = 1701;
// IPCP carries a primary and a secondary DNS server (RFC 1877) and nothing
// more; a third would be dropped without a word.
constexpr std::size_t kMaxPppDns = 2;
constexpr std::uint64_t kMaxPoolAddresses = 65536;

struct ParsedPeer {
  PeerAddress address;
  std::optional<Endpoint> endpoint;  // for numeric addresses
};

std::expected<ParsedPeer, OptionError> parse_peer(std::string_view text,
                                                  wire::Encapsulation encapsulation) {
  const std::string expected = "expected host, host:port or [v6addr]:port";
  const std::optional<detail::HostPort> split = detail::split_host_port(text);
  if (!split || split->host.empty()) return fail("Peer", expected);

  PeerAddress peer;
  // L2TP over IP has no ports; 0 is what Endpoint uses for it.
  peer.port = encapsulation == wire::Encapsulation::kIp ? 0 : kL2tpPort;
  if (split->port) {
    if (encapsulation == wire::Encapsulation::kIp) {
      return fail("Peer", "takes no port with Encapsulation ip");
    }
    const std::optional<std::uint16_t> port = detail::parse_port(*split->port);
    if (!port) return fail("Peer", "expected a port 1..65535");
    peer.port = *port;
  }
  peer.host = std::string(split->host);

  const std::string address = split->bracketed ? "[" + peer.host + "]" : peer.host;
  if (const std::optional<Endpoint> endpoint = Endpoint::parse(address, peer.port)) {
    peer.is_numeric = true;
    return ParsedPeer{peer, endpoint};
  }
  if (split->bracketed || split->bare_ipv6) return fail("Peer", "malformed IPv6 address");
  if (!detail::is_dns_host_name(peer.host)) {
    return fail("Peer", "expected an IP address or a host name (RFC 1123, at most 253 chars)");
  }
  return ParsedPeer{peer, std::nullopt};
}

std::expected<std::vector<fsm::Pseudowire>, OptionError> read_pseudowire_set(
    const OptionReader& reader, std::string_view key, wire::ProtocolVersion version) {
  const std::vector<std::string>* names = reader.string_list(key);
  if (names == nullptr) return std::vector<fsm::Pseudowire>{fsm::Pseudowire::kPpp};
  if (names->empty()) return fail(key, "must name at least one of ppp, eth");
  std::vector<fsm::Pseudowire> pseudowires;
  for (const std::string& name : *names) {
    const std::optional<fsm::Pseudowire> pseudowire =
        detail::find_choice(detail::kPseudowireChoices, name);
    if (!pseudowire) {
      return fail(key, "unknown pseudowire " + shown_in_error(name) + "; expected ppp or eth");
    }
    if (std::ranges::find(pseudowires, *pseudowire) != pseudowires.end()) {
      return fail(key, "names " + name + " twice");
    }
    if (*pseudowire == fsm::Pseudowire::kEth && version != wire::ProtocolVersion::kV3) {
      return fail(key, "eth needs Version 3");
    }
    pseudowires.push_back(*pseudowire);
  }
  return pseudowires;
}

std::uint32_t ipv4_number(const std::array<std::uint8_t, 4>& address) {
  return (std::uint32_t{address[0]} << 24) | (std::uint32_t{address[1]} << 16) |
         (std::uint32_t{address[2]} << 8) | std::uint32_t{address[3]};
}

std::expected<fsm::PppServerOptions, OptionError> read_ppp_server_options(
    const OptionReader& reader, bool accepts_ppp) {
  if (!accepts_ppp) {
    for (std::string_view key :
         {"PppLocalAddress", "PppAddressPool", "PppDns", "PppRequireAuthentication"}) {
      if (reader.has(key)) return fail(key, "needs ppp in Pseudowires");
    }
  }
  fsm::PppServerOptions ppp;

  std::optional<std::uint32_t> local_number;
  if (const std::string* local = reader.string("PppLocalAddress")) {
    const auto address = detail::parse_ipv4_literal(*local);
    if (!address) return fail("PppLocalAddress", "expected an IPv4 address");
    local_number = ipv4_number(*address);
    if (*local_number == 0) return fail("PppLocalAddress", "must not be 0.0.0.0");
    ppp.local_address = *local;
  }

  if (const std::string* pool = reader.string("PppAddressPool")) {
    const std::size_t dash = pool->find('-');
    const std::string expected = "expected first-last IPv4 addresses, e.g. 192.0.2.10-192.0.2.99";
    if (dash == std::string::npos) return fail("PppAddressPool", expected);
    const auto first = detail::parse_ipv4_literal(std::string_view(*pool).substr(0, dash));
    const auto last = detail::parse_ipv4_literal(std::string_view(*pool).substr(dash + 1));
    if (!first || !last) return fail("PppAddressPool", expected);
    const std::uint32_t first_number = ipv4_number(*first);
    const std::uint32_t last_number = ipv4_number(*last);
    if (first_number > last_number) return fail("PppAddressPool", "first address is after last");
    if (std::uint64_t{last_number} - first_number + 1 > kMaxPoolAddresses) {
      return fail("PppAddressPool", "must hold at most 65536 addresses");
    }
    if (local_number && *local_number >= first_number && *local_number <= last_number) {
      return fail("PppAddressPool", "contains PppLocalAddress");
    }
    ppp.address_pool = *pool;
  }

  if (const auto* servers = reader.string_list("PppDns")) {
    if (servers->empty()) return fail("PppDns", "must not be empty (omit it for none)");
    if (servers->size() > kMaxPppDns) {
      return fail("PppDns", "at most 2 servers (IPCP offers a primary and a secondary)");
    }
    for (const std::string& server : *servers) {
      if (!detail::parse_ipv4_literal(server)) {
        return fail("PppDns", "expected IPv4 addresses (IPCP offers no others)");
      }
    }
    ppp.dns = *servers;
  }
  ppp.require_authentication = reader.boolean("PppRequireAuthentication", true);
  return ppp;
}

// What peers may take through the listener (fsm::ListenerConfig). The
// bounds are l2tpbusd.conf's for MaxTunnels and MaxSessions; a listener's
// limit above the daemon's is allowed and means "the daemon's".
std::expected<void, OptionError> read_listener_limits(const OptionReader& reader,
                                                      fsm::ListenerConfig& config) {
  constexpr std::uint32_t kMaxCount = 1 << 20;
  // An LNS without pppd (the null data plane, or a LAC's pseudowires)
  // takes well over 10,000 calls a second; the bound only catches a typo.
  constexpr std::uint32_t kMaxCallRate = 1000000;
  for (auto [key, field] : {std::pair{"MaxTunnels", &config.max_tunnels},
                            std::pair{"MaxSessions", &config.max_sessions}}) {
    if (!reader.has(key)) continue;
    auto value = detail::read_in_range(reader, key, 1, kMaxCount, 0);
    if (!value) return std::unexpected(value.error());
    *field = *value;
  }
  auto per_peer =
      detail::read_in_range(reader, "MaxTunnelsPerPeer", 1, kMaxCount, config.max_tunnels_per_peer);
  if (!per_peer) return std::unexpected(per_peer.error());
  config.max_tunnels_per_peer = *per_peer;
  auto rate = detail::read_in_range(reader, "MaxCallsPerSecond", 1, kMaxCallRate,
                                    config.max_calls_per_second);
  if (!rate) return std::unexpected(rate.error());
  config.max_calls_per_second = *rate;
  return {};
}

}  // namespace

void wipe_secrets(OptionMap& options) {
  for (auto& [key, value] : options) {
    if (auto* bytes = std::get_if<std::vector<std::uint8_t>>(&value)) {
      wipe(bytes->data(), bytes->size());
    } else if (auto* text = std::get_if<std::string>(&value);
               text != nullptr && key == "Password") {
      wipe(text->data(), text->size());
    }
  }
}

const char* dbus_signature(OptionType type) {
  switch (type) {
    case OptionType::kString:
      return "s";
    case OptionType::kUint32:
      return "u";
    case OptionType::kBool:
      return "b";
    case OptionType::kBytes:
      return "ay";
    case OptionType::kStringList:
      return "as";
  }
  return "?";
}

std::vector<std::string_view> option_keys(ObjectKind kind) {
  std::vector<std::string_view> keys;
  const auto add = [&keys](const auto& table) {
    for (const KeyType& entry : table) keys.push_back(entry.key);
  };
  switch (kind) {
    case ObjectKind::kTunnel:
      add(kTunnelKeys);
      add(kControlKeys);
      break;
    case ObjectKind::kSession:
      add(kSessionKeys);
      break;
    case ObjectKind::kListener:
      add(kListenerKeys);
      add(kControlKeys);
      break;
  }
  for (std::string_view key : detail::ipsec_option_keys(kind)) keys.push_back(key);
  return keys;
}

std::vector<std::string_view> option_choices(ObjectKind kind, std::string_view key) {
  const std::optional<OptionType> type = option_type(kind, key);
  if (!type) return {};
  if (*type == OptionType::kBool) return {"true", "false"};
  if (kind == ObjectKind::kTunnel && key == "Mode") return detail::choice_names(kModes);
  if (kind == ObjectKind::kSession) return detail::session_choices(key);
  return detail::shared_choices(key);
}

std::optional<OptionType> option_type(ObjectKind kind, std::string_view key) {
  switch (kind) {
    case ObjectKind::kTunnel:
      if (auto type = lookup(kControlKeys, key)) return type;
      if (auto type = detail::ipsec_option_type(kind, key)) return type;
      return lookup(kTunnelKeys, key);
    case ObjectKind::kSession:
      return lookup(kSessionKeys, key);
    case ObjectKind::kListener:
      if (auto type = lookup(kControlKeys, key)) return type;
      if (auto type = detail::ipsec_option_type(kind, key)) return type;
      return lookup(kListenerKeys, key);
  }
  return std::nullopt;
}

std::expected<TunnelRequest, OptionError> parse_tunnel_options(const OptionMap& options,
                                                               const Defaults& defaults) {
  if (auto vocabulary = detail::check_vocabulary(options, ObjectKind::kTunnel); !vocabulary) {
    return std::unexpected(vocabulary.error());
  }
  const OptionReader reader(options);
  TunnelRequest request;
  fsm::TunnelConfig& config = request.config;

  auto version = detail::read_version(reader);
  if (!version) return std::unexpected(version.error());
  config.version = *version;

  auto mode = detail::read_choice(reader, "Mode", kModes, fsm::TunnelMode::kDynamic);
  if (!mode) return std::unexpected(mode.error());
  if (*mode == fsm::TunnelMode::kStatic && config.version != wire::ProtocolVersion::kV3) {
    return fail("Mode", "static needs Version 3");
  }
  config.mode = *mode;

  auto encapsulation = detail::read_encapsulation(reader, config.version);
  if (!encapsulation) return std::unexpected(encapsulation.error());
  config.encapsulation = *encapsulation;

  const std::string* peer_text = reader.string("Peer");
  if (peer_text == nullptr) return fail("Peer", "required");
  auto peer = parse_peer(*peer_text, config.encapsulation);
  if (!peer) return std::unexpected(peer.error());
  request.peer = peer->address;
  if (peer->endpoint) config.peer = *peer->endpoint;

  if (const std::string* local_text = reader.string("Local")) {
    auto local = detail::parse_local_address("Local", *local_text, config.encapsulation, 0);
    if (!local) return std::unexpected(local.error());
    if (request.peer.is_numeric && local->endpoint.family != config.peer.family) {
      return fail("Local", "address family differs from Peer's");
    }
    config.local = local->endpoint;
    request.local_port_given = local->port_given;
  }

  auto tunnel_id = detail::read_id(reader, "TunnelId", config.version, config.mode, false);
  if (!tunnel_id) return std::unexpected(tunnel_id.error());
  config.tunnel_id = *tunnel_id;
  auto peer_tunnel_id = detail::read_id(reader, "PeerTunnelId", config.version, config.mode, true);
  if (!peer_tunnel_id) return std::unexpected(peer_tunnel_id.error());
  config.peer_tunnel_id = *peer_tunnel_id;

  auto control = detail::read_control_settings(reader, defaults);
  if (!control) return std::unexpected(control.error());
  config.control = std::move(*control);
  config.udp_checksum = reader.boolean("UdpChecksum", true);

  auto ipsec = detail::read_ipsec_settings(reader, ObjectKind::kTunnel);
  if (!ipsec) return std::unexpected(ipsec.error());
  if (*ipsec) {
    // The IPsec step runs before the SCCRQ and its selectors name UDP ports.
    const char* credential = (*ipsec)->uses_certificate() ? "IpsecCertificate" : "IpsecPsk";
    if (config.mode != fsm::TunnelMode::kDynamic) return fail(credential, "needs Mode dynamic");
    if (config.encapsulation != wire::Encapsulation::kUdp) {
      return fail(credential, "needs Encapsulation udp");
    }
    config.ipsec = std::move(*ipsec);
  }
  return request;
}

std::expected<fsm::ListenerConfig, OptionError> parse_listener_options(const OptionMap& options,
                                                                       const Defaults& defaults) {
  if (auto vocabulary = detail::check_vocabulary(options, ObjectKind::kListener); !vocabulary) {
    return std::unexpected(vocabulary.error());
  }
  const OptionReader reader(options);
  fsm::ListenerConfig config;

  auto version = detail::read_version(reader);
  if (!version) return std::unexpected(version.error());
  config.version = *version;
  auto encapsulation = detail::read_encapsulation(reader, config.version);
  if (!encapsulation) return std::unexpected(encapsulation.error());
  config.encapsulation = *encapsulation;

  const std::uint16_t default_port =
      config.encapsulation == wire::Encapsulation::kIp ? 0 : kL2tpPort;
  const std::string* local_text = reader.string("Local");
  const std::string wildcard = "0.0.0.0";
  auto local = detail::parse_local_address("Local", local_text != nullptr ? *local_text : wildcard,
                                           config.encapsulation, default_port);
  if (!local) return std::unexpected(local.error());
  config.local = local->endpoint;

  auto control = detail::read_control_settings(reader, defaults);
  if (!control) return std::unexpected(control.error());
  config.control = std::move(*control);

  auto pseudowires = read_pseudowire_set(reader, "Pseudowires", config.version);
  if (!pseudowires) return std::unexpected(pseudowires.error());
  config.pseudowires = std::move(*pseudowires);

  const bool accepts_ppp =
      std::ranges::find(config.pseudowires, fsm::Pseudowire::kPpp) != config.pseudowires.end();
  auto ppp = read_ppp_server_options(reader, accepts_ppp);
  if (!ppp) return std::unexpected(ppp.error());
  config.ppp = std::move(*ppp);
  if (auto limits = read_listener_limits(reader, config); !limits) {
    return std::unexpected(limits.error());
  }

  auto ipsec = detail::read_ipsec_settings(reader, ObjectKind::kListener);
  if (!ipsec) return std::unexpected(ipsec.error());
  if (*ipsec && config.encapsulation != wire::Encapsulation::kUdp) {
    return fail((*ipsec)->uses_certificate() ? "IpsecCertificate" : "IpsecPsk",
                "needs Encapsulation udp");
  }
  config.ipsec = std::move(*ipsec);
  return config;
}

}  // namespace l2tp::config
