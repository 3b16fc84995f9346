#include "core/endpoint.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace l2tp {

namespace {

// inet_pton wants a NUL-terminated string; addresses are short, so a fixed
// buffer avoids an allocation and bounds what we hand to libc.
constexpr std::size_t kMaxAddressText = 64;

bool parse_ipv4(std::string_view text, std::array<std::uint8_t, 16>& out) {
  if (text.empty() || text.size() >= kMaxAddressText) return false;
  char buffer[kMaxAddressText] = {};
  std::memcpy(buffer, text.data(), text.size());
  std::array<std::uint8_t, 4> bytes{};
  if (inet_pton(AF_INET, buffer, bytes.data()) != 1) return false;
  out = {};
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return true;
}

bool parse_ipv6(std::string_view text, std::array<std::uint8_t, 16>& out) {
  if (text.empty() || text.size() >= kMaxAddressText) return false;
  char buffer[kMaxAddressText] = {};
  std::memcpy(buffer, text.data(), text.size());
  return inet_pton(AF_INET6, buffer, out.data()) == 1;
}

// Decimal digits only: no sign, no spaces, no hex; 0..65535.
std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Endpoint Endpoint::ipv4(std::array<std::uint8_t, 4> a, std::uint16_t port) {
  Endpoint e;
  e.family = Family::kIpv4;
  std::memcpy(e.address.data(), a.data(), a.size());
  e.port = port;
  return e;
}

Endpoint Endpoint::ipv6(const std::array<std::uint8_t, 16>& a, std::uint16_t port) {
  Endpoint e;
  e.family = Family::kIpv6;
  e.address = a;
  e.port = port;
  return e;
}

std::optional<Endpoint> Endpoint::parse(std::string_view text, std::uint16_t default_port) {
  Endpoint e;
  e.port = default_port;
  if (text.empty()) return std::nullopt;

  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    if (!parse_ipv6(text.substr(1, close - 1), e.address)) return std::nullopt;
    e.family = Family::kIpv6;
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return e;
    if (rest.front() != ':') return std::nullopt;
    const auto port = parse_port(rest.substr(1));
    if (!port) return std::nullopt;
    e.port = *port;
    return e;
  }

  const std::size_t first_colon = text.find(':');
  if (first_colon == std::string_view::npos) {
    if (!parse_ipv4(text, e.address)) return std::nullopt;
    e.family = Family::kIpv4;
    return e;
  }
  if (text.find(':', first_colon + 1) != std::string_view::npos) {
    // More than one colon: a bare IPv6 address, which cannot carry a port.
    if (!parse_ipv6(text, e.address)) return std::nullopt;
    e.family = Family::kIpv6;
    return e;
  }
  if (!parse_ipv4(text.substr(0, first_colon), e.address)) return std::nullopt;
  const auto port = parse_port(text.substr(first_colon + 1));
  if (!port) return std::nullopt;
  e.family = Family::kIpv4;
  e.port = *port;
  return e;
}

bool Endpoint::is_unspecified_address() const {
  const std::size_t length = family == Family::kIpv4 ? 4 : 16;
  for (std::size_t i = 0; i < length; ++i) {
    if (address[i] != 0) return false;
  }
  return true;
}

std::string Endpoint::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  std::string text;
  switch (family) {
    case Family::kUnspecified:
      text = "any";
      break;
    case Family::kIpv4:
      if (inet_ntop(AF_INET, address.data(), buffer, sizeof buffer) != nullptr) text = buffer;
      break;
    case Family::kIpv6:
      if (inet_ntop(AF_INET6, address.data(), buffer, sizeof buffer) != nullptr) {
        text = "[" + std::string(buffer) + "]";
      }
      break;
  }
  if (port != 0) text += ":" + std::to_string(port);
  return text;
}

std::size_t EndpointHash::operator()(const Endpoint& e) const noexcept {
  // FNV-1a over the fields that take part in equality.
  std::uint64_t hash = 1469598103934665603ull;
  const auto mix = [&hash](std::uint8_t byte) {
    hash ^= byte;
    hash *= 1099511628211ull;
  };
  mix(static_cast<std::uint8_t>(e.family));
  for (std::uint8_t byte : e.address) mix(byte);
  mix(static_cast<std::uint8_t>(e.port >> 8));
  mix(static_cast<std::uint8_t>(e.port));
  return static_cast<std::size_t>(hash);
}

}  // namespace l2tp
