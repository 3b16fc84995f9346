// What the engine refuses in a configuration, named by the D-Bus option key
// (dbus-api.md) so that the daemon can pass the message on unchanged.
#include <algorithm>

#include "fsm/engine_impl.h"

namespace l2tp::fsm {

namespace {

constexpr std::uint32_t kMaxV2TunnelId = 0xFFFF;

std::unexpected<Error> invalid(std::string message) {
  return std::unexpected(Error{ErrorCode::kInvalidArgument, std::move(message)});
}

bool has_control_characters(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

std::expected<void, Error> validate_control(const ControlSettings& control,
                                            wire::ProtocolVersion version) {
  if (control.host_name.empty()) return invalid("HostName: must not be empty");
  if (control.host_name.size() > 255 || has_control_characters(control.host_name)) {
    return invalid("HostName: at most 255 printable characters");
  }
  if (control.hide_avps && control.secret.empty()) return invalid("HideAvps: needs a Secret");
  if (control.secret.size() > 255) return invalid("Secret: at most 255 bytes");
  const transport::ChannelConfig& channel = control.channel;
  if (channel.receive_window == 0) return invalid("ReceiveWindow: must be 1..65535");
  if (channel.retransmit_timeout <= Duration::zero()) {
    return invalid("RetransmitTimeout: must be at least 1 ms");
  }
  if (channel.max_retransmit_timeout < channel.retransmit_timeout) {
    return invalid("MaxRetransmitTimeout: must not be below RetransmitTimeout");
  }
  if (channel.hello_interval < Duration::zero())
    return invalid("HelloInterval: must not be negative");
  if (channel.ack_delay < Duration::zero()) return invalid("ack delay must not be negative");
  if (version == wire::ProtocolVersion::kV3 && control.digest_type != wire::DigestType::kHmacMd5 &&
      control.digest_type != wire::DigestType::kHmacSha1) {
    return invalid("digest type must be HMAC-MD5 or HMAC-SHA-1");
  }
  return {};
}

std::expected<void, Error> validate_version(wire::ProtocolVersion version,
                                            wire::Encapsulation encapsulation) {
  if (version != wire::ProtocolVersion::kV2 && version != wire::ProtocolVersion::kV3) {
    return invalid("Version: must be 2 or 3");
  }
  if (encapsulation != wire::Encapsulation::kUdp && encapsulation != wire::Encapsulation::kIp) {
    return invalid("Encapsulation: must be udp or ip");
  }
  if (encapsulation == wire::Encapsulation::kIp && version != wire::ProtocolVersion::kV3) {
    return invalid("Encapsulation: ip needs Version 3");
  }
  return {};
}

}  // namespace

std::expected<void, Error> validate_tunnel_config(const TunnelConfig& config) {
  if (auto valid = validate_version(config.version, config.encapsulation); !valid) return valid;
  const bool v2 = config.version == wire::ProtocolVersion::kV2;
  if (config.mode == TunnelMode::kStatic && v2) return invalid("Mode: static needs Version 3");
  if (config.peer.family == Endpoint::Family::kUnspecified) return invalid("Peer: required");
  if (config.peer.is_unspecified_address()) return invalid("Peer: must be a unicast address");
  if (config.local.family != Endpoint::Family::kUnspecified &&
      config.local.family != config.peer.family) {
    return invalid("Local: must be of the same address family as Peer");
  }
  if (config.encapsulation == wire::Encapsulation::kUdp && config.peer.port == 0) {
    return invalid("Peer: needs a UDP port");
  }
  if (v2 && config.tunnel_id > kMaxV2TunnelId) return invalid("TunnelId: L2TPv2 ids are 1..65535");
  if (v2 && config.peer_tunnel_id > kMaxV2TunnelId) {
    return invalid("PeerTunnelId: L2TPv2 ids are 1..65535");
  }
  if (config.mode == TunnelMode::kDynamic) {
    if (config.peer_tunnel_id != 0) {
      return invalid("PeerTunnelId: learned from the peer in dynamic tunnels");
    }
  } else {
    if (config.tunnel_id == 0) return invalid("TunnelId: required in static and quiescent tunnels");
    if (config.peer_tunnel_id == 0) {
      return invalid("PeerTunnelId: required in static and quiescent tunnels");
    }
  }
  if (!v2 && config.mode == TunnelMode::kDynamic && config.pseudowires.empty()) {
    return invalid("Pseudowires: at least one is needed for L2TPv3");
  }
  // The IPsec step precedes the SCCRQ, and its selectors name UDP ports.
  if (config.ipsec && config.mode != TunnelMode::kDynamic) {
    return invalid("Ipsec: needs Mode dynamic");
  }
  if (config.ipsec && config.encapsulation != wire::Encapsulation::kUdp) {
    return invalid("Ipsec: needs Encapsulation udp");
  }
  return validate_control(config.control, config.version);
}

std::expected<void, Error> validate_listener_config(const ListenerConfig& config) {
  if (auto valid = validate_version(config.version, config.encapsulation); !valid) return valid;
  if (config.local.family == Endpoint::Family::kUnspecified) {
    return invalid("Local: an IPv4 or IPv6 address is needed");
  }
  if (config.encapsulation == wire::Encapsulation::kUdp && config.local.port == 0) {
    return invalid("Local: needs a UDP port");
  }
  if (config.pseudowires.empty()) return invalid("Pseudowires: at least one is needed");
  // Zero would make a listener that accepts nothing: a mistake, not a policy.
  if (config.max_tunnels == 0u) return invalid("MaxTunnels: must be at least 1");
  if (config.max_tunnels_per_peer == 0) return invalid("MaxTunnelsPerPeer: must be at least 1");
  if (config.max_sessions == 0u) return invalid("MaxSessions: must be at least 1");
  if (config.max_calls_per_second == 0) return invalid("MaxCallsPerSecond: must be at least 1");
  return validate_control(config.control, config.version);
}

}  // namespace l2tp::fsm
