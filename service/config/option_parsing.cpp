#include "config/option_parsing.h"

#include <algorithm>

#include "config/text_checks.h"

namespace l2tp::config::detail {

namespace {

// Bounds of the settings tunnels and listeners share; options.cpp's header
// comment lists every bound of the vocabulary.
constexpr std::size_t kMaxSecretBytes = 255;
constexpr std::uint32_t kMaxHelloIntervalSeconds = 3600;
constexpr std::uint32_t kMinRetransmitTimeoutMs = 100;
constexpr std::uint32_t kMaxRetransmitTimeoutMs = 60000;
constexpr std::uint32_t kRetransmitCapLimitMs = 300000;
constexpr std::uint32_t kMaxRetransmits = 64;
constexpr std::uint32_t kMaxReceiveWindow = 65535;
constexpr std::uint32_t kMaxIdV2 = 65535;
constexpr std::uint32_t kMaxIdV3 = 0xffffffff;

constexpr std::array kVersions{
    Choice<wire::ProtocolVersion>{"2", wire::ProtocolVersion::kV2},
    Choice<wire::ProtocolVersion>{"3", wire::ProtocolVersion::kV3},
};
constexpr std::array kEncapsulations{
    Choice<wire::Encapsulation>{"udp", wire::Encapsulation::kUdp},
    Choice<wire::Encapsulation>{"ip", wire::Encapsulation::kIp},
};

std::optional<OptionError> string_problem(std::string_view key, std::string_view text) {
  if (has_control_characters(text))
    return OptionError{std::string(key), "contains control characters"};
  if (!is_valid_utf8(text)) return OptionError{std::string(key), "is not valid UTF-8"};
  return std::nullopt;
}

std::string range_text(std::uint32_t min, std::uint32_t max) {
  return std::to_string(min) + ".." + std::to_string(max);
}

}  // namespace

std::vector<std::string_view> shared_choices(std::string_view key) {
  if (key == "Version") return choice_names(kVersions);
  if (key == "Encapsulation") return choice_names(kEncapsulations);
  if (key == "Pseudowire" || key == "Pseudowires") return choice_names(kPseudowireChoices);
  return {};
}

Failure fail(std::string_view key, std::string message) {
  return std::unexpected(OptionError{std::string(key), std::move(message)});
}

std::expected<void, OptionError> check_vocabulary(const OptionMap& options, ObjectKind kind) {
  for (const auto& [key, value] : options) {
    const std::optional<OptionType> type = option_type(kind, key);
    if (!type) return fail(key, "unknown option");
    // OptionValue's alternatives are declared in OptionType's order.
    if (value.index() != static_cast<std::size_t>(*type)) {
      return fail(key, std::string("expected type ") + dbus_signature(*type));
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
      if (auto problem = string_problem(key, *text)) return std::unexpected(*problem);
    }
    if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
      for (const std::string& element : *list) {
        if (auto problem = string_problem(key, element)) return std::unexpected(*problem);
      }
    }
  }
  return {};
}

template <typename T>
const T* OptionReader::find(std::string_view key) const {
  const auto it = options_.find(key);
  if (it == options_.end()) return nullptr;
  return std::get_if<T>(&it->second);
}

const std::string* OptionReader::string(std::string_view key) const {
  return find<std::string>(key);
}

std::optional<std::uint32_t> OptionReader::uint32(std::string_view key) const {
  const auto* value = find<std::uint32_t>(key);
  if (value == nullptr) return std::nullopt;
  return *value;
}

bool OptionReader::boolean(std::string_view key, bool fallback) const {
  const auto* value = find<bool>(key);
  return value == nullptr ? fallback : *value;
}

const std::vector<std::uint8_t>* OptionReader::bytes(std::string_view key) const {
  return find<std::vector<std::uint8_t>>(key);
}

const std::vector<std::string>* OptionReader::string_list(std::string_view key) const {
  return find<std::vector<std::string>>(key);
}

std::string expected_one_of(const std::vector<std::string_view>& names) {
  std::string text = "expected ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += names[i];
  }
  return text;
}

std::expected<std::uint32_t, OptionError> read_in_range(const OptionReader& reader,
                                                        std::string_view key, std::uint32_t min,
                                                        std::uint32_t max, std::uint32_t fallback) {
  const std::optional<std::uint32_t> value = reader.uint32(key);
  if (!value) return fallback;
  if (*value < min || *value > max) return fail(key, "expected " + range_text(min, max));
  return *value;
}

std::uint32_t max_id(wire::ProtocolVersion version) {
  return version == wire::ProtocolVersion::kV2 ? kMaxIdV2 : kMaxIdV3;
}

std::expected<std::uint32_t, OptionError> read_id(const OptionReader& reader, std::string_view key,
                                                  wire::ProtocolVersion version,
                                                  fsm::TunnelMode mode, bool peer_side) {
  const bool configured_data_plane = mode != fsm::TunnelMode::kDynamic;
  if (!reader.has(key)) {
    if (configured_data_plane) return fail(key, "required for static and quiescent tunnels");
    return 0;
  }
  if (peer_side && !configured_data_plane) {
    return fail(key, "only for static and quiescent tunnels (dynamic tunnels learn it)");
  }
  return read_in_range(reader, key, 1, max_id(version), 0);
}

std::expected<wire::ProtocolVersion, OptionError> read_version(const OptionReader& reader) {
  const std::optional<std::uint32_t> number = reader.uint32("Version");
  if (!number) return wire::ProtocolVersion::kV2;
  if (auto version = find_choice(kVersions, std::to_string(*number))) return *version;
  return fail("Version", expected_choice(kVersions));
}

std::expected<wire::Encapsulation, OptionError> read_encapsulation(const OptionReader& reader,
                                                                   wire::ProtocolVersion version) {
  auto encapsulation =
      read_choice(reader, "Encapsulation", kEncapsulations, wire::Encapsulation::kUdp);
  if (!encapsulation) return encapsulation;
  if (*encapsulation == wire::Encapsulation::kIp && version != wire::ProtocolVersion::kV3) {
    return fail("Encapsulation", "ip needs Version 3");
  }
  return encapsulation;
}

std::expected<fsm::ControlSettings, OptionError> read_control_settings(const OptionReader& reader,
                                                                       const Defaults& defaults) {
  fsm::ControlSettings control;

  control.host_name = defaults.host_name;
  if (const std::string* host_name = reader.string("HostName")) {
    if (auto problem = host_name_avp_problem(*host_name)) return fail("HostName", *problem);
    control.host_name = *host_name;
  }

  if (const auto* secret = reader.bytes("Secret")) {
    if (secret->empty()) return fail("Secret", "must not be empty (omit it for no secret)");
    if (secret->size() > kMaxSecretBytes) return fail("Secret", "must be at most 255 bytes");
    control.secret.assign(secret->begin(), secret->end());
  }
  control.hide_avps = reader.boolean("HideAvps", false);
  if (control.hide_avps && control.secret.empty()) return fail("HideAvps", "needs Secret");

  transport::ChannelConfig& channel = control.channel;
  const auto default_hello_seconds =
      static_cast<std::uint32_t>(channel.hello_interval.count() / 1000);
  auto hello_seconds =
      read_in_range(reader, "HelloInterval", 0, kMaxHelloIntervalSeconds, default_hello_seconds);
  if (!hello_seconds) return std::unexpected(hello_seconds.error());
  channel.hello_interval = std::chrono::seconds(*hello_seconds);

  auto first_timeout =
      read_in_range(reader, "RetransmitTimeout", kMinRetransmitTimeoutMs, kMaxRetransmitTimeoutMs,
                    static_cast<std::uint32_t>(channel.retransmit_timeout.count()));
  if (!first_timeout) return std::unexpected(first_timeout.error());
  channel.retransmit_timeout = Duration(*first_timeout);

  // A longer first timeout alone raises the default cap with it rather than
  // making the caller restate the cap.
  const auto default_cap =
      std::max(static_cast<std::uint32_t>(channel.max_retransmit_timeout.count()), *first_timeout);
  const std::optional<std::uint32_t> cap = reader.uint32("MaxRetransmitTimeout");
  if (cap && *cap < *first_timeout) {
    return fail("MaxRetransmitTimeout",
                "must be at least RetransmitTimeout (" + std::to_string(*first_timeout) + " ms)");
  }
  auto checked_cap = read_in_range(reader, "MaxRetransmitTimeout", *first_timeout,
                                   kRetransmitCapLimitMs, default_cap);
  if (!checked_cap) return std::unexpected(checked_cap.error());
  channel.max_retransmit_timeout = Duration(*checked_cap);

  auto retransmits = read_in_range(reader, "MaxRetransmits", 1, kMaxRetransmits,
                                   static_cast<std::uint32_t>(channel.max_retransmits));
  if (!retransmits) return std::unexpected(retransmits.error());
  channel.max_retransmits = *retransmits;

  auto window = read_in_range(reader, "ReceiveWindow", 1, kMaxReceiveWindow,
                              static_cast<std::uint32_t>(channel.receive_window));
  if (!window) return std::unexpected(window.error());
  channel.receive_window = static_cast<std::uint16_t>(*window);

  return control;
}

std::optional<HostPort> split_host_port(std::string_view text) {
  HostPort split;
  if (text.empty()) return std::nullopt;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    split.host = text.substr(1, close - 1);
    split.bracketed = true;
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return split;
    if (rest.front() != ':') return std::nullopt;
    split.port = rest.substr(1);
    return split;
  }
  const std::size_t first_colon = text.find(':');
  if (first_colon == std::string_view::npos) {
    split.host = text;
    return split;
  }
  if (text.find(':', first_colon + 1) != std::string_view::npos) {
    split.host = text;
    split.bare_ipv6 = true;
    return split;
  }
  split.host = text.substr(0, first_colon);
  split.port = text.substr(first_colon + 1);
  return split;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  const std::optional<std::uint32_t> value = parse_decimal_u32(text);
  if (!value || *value < 1 || *value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*value);
}

std::expected<LocalAddress, OptionError> parse_local_address(std::string_view key,
                                                             std::string_view text,
                                                             wire::Encapsulation encapsulation,
                                                             std::uint16_t default_port) {
  const std::string expected = "expected a numeric address: addr, addr:port or [v6addr]:port";
  const std::optional<HostPort> split = split_host_port(text);
  if (!split || split->host.empty()) return fail(key, expected);
  LocalAddress local;
  std::uint16_t port = default_port;
  if (split->port) {
    if (encapsulation == wire::Encapsulation::kIp) {
      return fail(key, "takes no port with Encapsulation ip");
    }
    const std::optional<std::uint16_t> given = parse_port(*split->port);
    if (!given) return fail(key, "expected a port 1..65535");
    port = *given;
    local.port_given = true;
  }
  const std::string address =
      split->bracketed ? "[" + std::string(split->host) + "]" : std::string(split->host);
  const std::optional<Endpoint> endpoint = Endpoint::parse(address, port);
  if (!endpoint) return fail(key, expected);
  local.endpoint = *endpoint;
  return local;
}

std::optional<std::array<std::uint8_t, 4>> parse_ipv4_literal(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return std::nullopt;
  const std::optional<Endpoint> endpoint = Endpoint::parse(text, 0);
  if (!endpoint || endpoint->family != Endpoint::Family::kIpv4) return std::nullopt;
  return std::array<std::uint8_t, 4>{endpoint->address[0], endpoint->address[1],
                                     endpoint->address[2], endpoint->address[3]};
}

}  // namespace l2tp::config::detail
