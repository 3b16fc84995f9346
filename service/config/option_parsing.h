// Building blocks of the option validator: typed access to an OptionMap whose
// vocabulary was checked, and the readers that tunnels, sessions and listeners
// share. Internal to the config library.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"
#include "core/endpoint.h"
#include "fsm/options.h"

namespace l2tp::config::detail {

using Failure = std::unexpected<OptionError>;
Failure fail(std::string_view key, std::string message);

// Every key known for `kind`, every value of its key's type, and every string
// (also inside lists) free of control characters and valid UTF-8. Checked
// before anything else, in key order, so the first problem is reported the
// same way each time.
std::expected<void, OptionError> check_vocabulary(const OptionMap& options, ObjectKind kind);

// Typed lookups after check_vocabulary: a present key has its key's type.
class OptionReader {
 public:
  explicit OptionReader(const OptionMap& options) : options_(options) {}

  bool has(std::string_view key) const { return options_.contains(key); }
  const std::string* string(std::string_view key) const;
  std::optional<std::uint32_t> uint32(std::string_view key) const;
  bool boolean(std::string_view key, bool fallback) const;
  const std::vector<std::uint8_t>* bytes(std::string_view key) const;
  const std::vector<std::string>* string_list(std::string_view key) const;

 private:
  template <typename T>
  const T* find(std::string_view key) const;

  const OptionMap& options_;
};

template <typename Enum>
struct Choice {
  std::string_view name;
  Enum value;
};

inline constexpr std::array kPseudowireChoices{
    Choice<fsm::Pseudowire>{"ppp", fsm::Pseudowire::kPpp},
    Choice<fsm::Pseudowire>{"eth", fsm::Pseudowire::kEth},
};

// The names of `choices`, for completion and help.
template <typename Enum, std::size_t N>
std::vector<std::string_view> choice_names(const std::array<Choice<Enum>, N>& choices) {
  std::vector<std::string_view> names;
  for (const Choice<Enum>& choice : choices) names.push_back(choice.name);
  return names;
}

// The enumerated values of the keys that tunnels, sessions and listeners
// share (Version, Encapsulation, Pseudowire(s)), and of session keys
// (session_options.cpp); empty for any other key.
std::vector<std::string_view> shared_choices(std::string_view key);
std::vector<std::string_view> session_choices(std::string_view key);

// "expected a, b or c"
std::string expected_one_of(const std::vector<std::string_view>& names);

template <typename Enum, std::size_t N>
std::optional<Enum> find_choice(const std::array<Choice<Enum>, N>& choices, std::string_view name) {
  for (const auto& choice : choices) {
    if (choice.name == name) return choice.value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string expected_choice(const std::array<Choice<Enum>, N>& choices) {
  std::vector<std::string_view> names;
  for (const auto& choice : choices) names.push_back(choice.name);
  return expected_one_of(names);
}

template <typename Enum, std::size_t N>
std::expected<Enum, OptionError> read_choice(const OptionReader& reader, std::string_view key,
                                             const std::array<Choice<Enum>, N>& choices,
                                             Enum fallback) {
  const std::string* text = reader.string(key);
  if (text == nullptr) return fallback;
  if (auto value = find_choice(choices, *text)) return *value;
  return fail(key, expected_choice(choices));
}

// A u in min..max, or `fallback` when absent.
std::expected<std::uint32_t, OptionError> read_in_range(const OptionReader& reader,
                                                        std::string_view key, std::uint32_t min,
                                                        std::uint32_t max, std::uint32_t fallback);

// Tunnel, session and control connection ids: 16 bits in v2, 32 in v3; 0 is
// reserved in both.
std::uint32_t max_id(wire::ProtocolVersion version);
// An id key that static and quiescent tunnels need, dynamic ones choose or learn.
// `peer_side`: the peer's id, which a dynamic tunnel learns and may not be given.
std::expected<std::uint32_t, OptionError> read_id(const OptionReader& reader, std::string_view key,
                                                  wire::ProtocolVersion version,
                                                  fsm::TunnelMode mode, bool peer_side);

std::expected<wire::ProtocolVersion, OptionError> read_version(const OptionReader& reader);
std::expected<wire::Encapsulation, OptionError> read_encapsulation(const OptionReader& reader,
                                                                   wire::ProtocolVersion version);

// HostName, Secret, HideAvps, HelloInterval, RetransmitTimeout,
// MaxRetransmitTimeout, MaxRetransmits, ReceiveWindow.
std::expected<fsm::ControlSettings, OptionError> read_control_settings(const OptionReader& reader,
                                                                       const Defaults& defaults);

// "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address, split
// without judging the host.
struct HostPort {
  std::string_view host;
  std::optional<std::string_view> port;
  bool bracketed = false;
  bool bare_ipv6 = false;  // two or more colons without brackets
};
std::optional<HostPort> split_host_port(std::string_view text);
std::optional<std::uint16_t> parse_port(std::string_view text);  // decimal 1..65535

// Local of tunnels and listeners: numeric only. Without a port the endpoint
// gets `default_port`; with Encapsulation ip a port is refused.
struct LocalAddress {
  Endpoint endpoint;
  bool port_given = false;
};
std::expected<LocalAddress, OptionError> parse_local_address(std::string_view key,
                                                             std::string_view text,
                                                             wire::Encapsulation encapsulation,
                                                             std::uint16_t default_port);

// A dotted-quad IPv4 literal (what inet_pton accepts), as four bytes.
std::optional<std::array<std::uint8_t, 4>> parse_ipv4_literal(std::string_view text);

}  // namespace l2tp::config::detail
