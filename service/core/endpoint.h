// A transport address as a plain value: IPv4 or IPv6 bytes and a port. The
// pure layers route by it; only the kernel room turns it into a sockaddr.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/protocol.h"

namespace l2tp {

struct Endpoint {
  enum class Family : std::uint8_t { kUnspecified, kIpv4, kIpv6 };
  Family family = Family::kUnspecified;
  std::array<std::uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  std::uint16_t port = 0;                  // 0 for L2TPIP

  static Endpoint ipv4(std::array<std::uint8_t, 4> a, std::uint16_t port);
  static Endpoint ipv6(const std::array<std::uint8_t, 16>& a, std::uint16_t port);
  // Numeric forms only: "addr", "addr:port", "[v6]", "[v6]:port", bare "v6".
  // Host names are resolved by the daemon before they reach the engine.
  static std::optional<Endpoint> parse(std::string_view text, std::uint16_t default_port);

  bool is_unspecified_address() const;  // 0.0.0.0 / :: (a wildcard listener)
  std::string to_string() const;        // "192.0.2.1:1701", "[2001:db8::1]:1701"
  Endpoint with_port(std::uint16_t p) const {
    Endpoint e = *this;
    e.port = p;
    return e;
  }
  bool operator==(const Endpoint&) const = default;
};

struct EndpointHash {
  std::size_t operator()(const Endpoint& e) const noexcept;
};

// Where a tunnel's control datagrams go. `tunnel_id` lets the daemon pick the
// tunnel's own connected socket (created on first use); the addresses say
// what to bind and connect it to.
struct Path {
  std::uint32_t tunnel_id = 0;
  Encapsulation encapsulation = Encapsulation::kUdp;
  Endpoint local;
  Endpoint peer;
};

}  // namespace l2tp
