// Session options (dbus-api.md, Session table); the bounds are listed in
// options.cpp's header comment. The PPP keys end up in pppd's option channel,
// so what passes here must be safe to write there without quoting tricks.
#include <algorithm>
#include <array>

#include "config/option_parsing.h"
#include "config/options.h"

namespace l2tp::config {

namespace {

using detail::Choice;
using detail::fail;
using detail::OptionReader;

constexpr std::size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1
constexpr std::uint32_t kMaxReorderTimeoutMs = 60000;
constexpr std::uint32_t kMinMtu = 68;  // the IPv4 minimum (RFC 791)
constexpr std::uint32_t kMaxMtu = 65535;
constexpr std::uint32_t kDefaultPppMtu = 1400;
constexpr std::size_t kMaxNumberBytes = 64;
constexpr std::size_t kMaxUserBytes = 255;      // pppd's MAXNAMELEN - 1
constexpr std::size_t kMaxPasswordBytes = 255;  // pppd's MAXSECRETLEN - 1
constexpr std::uint32_t kMaxLcpEchoInterval = 3600;
constexpr std::uint32_t kMaxLcpEchoFailure = 100;

// What an eth session has no use for: refused rather than silently ignored.
constexpr std::array<std::string_view, 9> kPppOnlyKeys{
    "User", "Password",        "Authentication", "Mppe",         "UsePeerDns",
    "Ipv6", "LcpEchoInterval", "LcpEchoFailure", "DefaultRoute",
};

constexpr std::array kSublayers{
    Choice<fsm::L2SpecificSublayer>{"none", fsm::L2SpecificSublayer::kNone},
    Choice<fsm::L2SpecificSublayer>{"default", fsm::L2SpecificSublayer::kDefault},
};
constexpr std::array kSequencings{
    Choice<fsm::Sequencing>{"none", fsm::Sequencing::kNone},
    Choice<fsm::Sequencing>{"send", fsm::Sequencing::kSend},
    Choice<fsm::Sequencing>{"recv", fsm::Sequencing::kRecv},
    Choice<fsm::Sequencing>{"both", fsm::Sequencing::kBoth},
};
constexpr std::array kMppeModes{
    Choice<fsm::Mppe>{"off", fsm::Mppe::kOff},
    Choice<fsm::Mppe>{"optional", fsm::Mppe::kOptional},
    Choice<fsm::Mppe>{"required", fsm::Mppe::kRequired},
    Choice<fsm::Mppe>{"required-128", fsm::Mppe::kRequired128},
};
constexpr std::array<std::string_view, 5> kAuthenticationMethods{"pap", "chap", "mschap",
                                                                 "mschap-v2", "eap"};

bool is_interface_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::expected<void, OptionError> check_interface_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxInterfaceName) {
    return fail("InterfaceName", "expected 1..15 characters");
  }
  if (!std::ranges::all_of(name, is_interface_name_char)) {
    return fail("InterfaceName", "expected only letters, digits, '_', '.' and '-'");
  }
  if (name == "." || name == "..") return fail("InterfaceName", "must not be . or ..");
  return {};
}

std::expected<wire::Bytes, OptionError> read_cookie(const OptionReader& reader,
                                                    std::string_view key,
                                                    wire::ProtocolVersion version) {
  const auto* cookie = reader.bytes(key);
  if (cookie == nullptr) return wire::Bytes{};
  if (version != wire::ProtocolVersion::kV3) return fail(key, "only for L2TPv3 tunnels");
  if (cookie->size() != 0 && cookie->size() != 4 && cookie->size() != 8) {
    return fail(key, "expected 0, 4 or 8 bytes");
  }
  return wire::Bytes(cookie->begin(), cookie->end());
}

std::expected<std::string, OptionError> read_number(const OptionReader& reader,
                                                    std::string_view key) {
  const std::string* number = reader.string(key);
  if (number == nullptr) return std::string();
  if (number->empty()) return fail(key, "must not be empty (omit it for none)");
  if (number->size() > kMaxNumberBytes) return fail(key, "must be at most 64 bytes");
  return *number;
}

std::expected<std::vector<std::string>, OptionError> read_authentication(
    const OptionReader& reader, std::vector<std::string> fallback) {
  const std::vector<std::string>* methods = reader.string_list("Authentication");
  if (methods == nullptr) return fallback;
  if (methods->empty()) return fail("Authentication", "must allow at least one method");
  for (std::size_t i = 0; i < methods->size(); ++i) {
    const std::string& method = (*methods)[i];
    if (std::ranges::find(kAuthenticationMethods, method) == kAuthenticationMethods.end()) {
      return fail("Authentication", "unknown method " + shown_in_error(method) + "; " +
                                        detail::expected_one_of({kAuthenticationMethods.begin(),
                                                                 kAuthenticationMethods.end()}));
    }
    if (std::find(methods->begin(), methods->begin() + static_cast<std::ptrdiff_t>(i), method) !=
        methods->begin() + static_cast<std::ptrdiff_t>(i)) {
      return fail("Authentication", "names " + method + " twice");
    }
  }
  return *methods;
}

std::expected<fsm::PppClientOptions, OptionError> read_ppp_client_options(
    const OptionReader& reader) {
  fsm::PppClientOptions ppp;

  if (const std::string* user = reader.string("User")) {
    if (user->empty()) return fail("User", "must not be empty (omit it for none)");
    if (user->size() > kMaxUserBytes) return fail("User", "must be at most 255 bytes");
    // The name reaches pppd as one argv element, never through an options
    // file, so a backslash stays a backslash (Windows' DOMAIN\user names).
    // Spaces and quotes are refused all the same: pppd's secrets files, where
    // an LNS looks the name up, split words on them.
    if (user->find_first_of(" \"'") != std::string::npos) {
      return fail("User", "must not contain spaces or quotes");
    }
    ppp.user = *user;
  }
  if (const std::string* password = reader.string("Password")) {
    if (password->size() > kMaxPasswordBytes) return fail("Password", "must be at most 255 bytes");
    ppp.password = *password;
  }

  auto methods = read_authentication(reader, ppp.authentication);
  if (!methods) return std::unexpected(methods.error());
  ppp.authentication = std::move(*methods);

  auto mppe = detail::read_choice(reader, "Mppe", kMppeModes, fsm::Mppe::kOff);
  if (!mppe) return std::unexpected(mppe.error());
  // MPPE keys come out of MS-CHAP; without it pppd cannot encrypt at all.
  const auto allows = [&ppp](std::string_view method) {
    return std::ranges::find(ppp.authentication, method) != ppp.authentication.end();
  };
  if (*mppe != fsm::Mppe::kOff && !allows("mschap") && !allows("mschap-v2")) {
    return fail("Mppe", "needs mschap or mschap-v2 in Authentication");
  }
  ppp.mppe = *mppe;

  ppp.use_peer_dns = reader.boolean("UsePeerDns", ppp.use_peer_dns);
  ppp.ipv6 = reader.boolean("Ipv6", ppp.ipv6);
  ppp.default_route = reader.boolean("DefaultRoute", ppp.default_route);

  auto echo_interval = detail::read_in_range(reader, "LcpEchoInterval", 0, kMaxLcpEchoInterval,
                                             ppp.lcp_echo_interval);
  if (!echo_interval) return std::unexpected(echo_interval.error());
  ppp.lcp_echo_interval = *echo_interval;
  auto echo_failure =
      detail::read_in_range(reader, "LcpEchoFailure", 0, kMaxLcpEchoFailure, ppp.lcp_echo_failure);
  if (!echo_failure) return std::unexpected(echo_failure.error());
  ppp.lcp_echo_failure = *echo_failure;
  return ppp;
}

}  // namespace

std::vector<std::string_view> detail::session_choices(std::string_view key) {
  if (key == "L2SpecificSublayer") return detail::choice_names(kSublayers);
  if (key == "Sequencing") return detail::choice_names(kSequencings);
  if (key == "Mppe") return detail::choice_names(kMppeModes);
  if (key == "Authentication")
    return {kAuthenticationMethods.begin(), kAuthenticationMethods.end()};
  return detail::shared_choices(key);
}

std::expected<fsm::SessionConfig, OptionError> parse_session_options(const OptionMap& options,
                                                                     wire::ProtocolVersion version,
                                                                     fsm::TunnelMode mode) {
  if (auto vocabulary = detail::check_vocabulary(options, ObjectKind::kSession); !vocabulary) {
    return std::unexpected(vocabulary.error());
  }
  const OptionReader reader(options);
  fsm::SessionConfig config;

  auto pseudowire =
      detail::read_choice(reader, "Pseudowire", detail::kPseudowireChoices, fsm::Pseudowire::kPpp);
  if (!pseudowire) return std::unexpected(pseudowire.error());
  if (*pseudowire == fsm::Pseudowire::kEth && version != wire::ProtocolVersion::kV3) {
    return fail("Pseudowire", "eth needs an L2TPv3 tunnel");
  }
  config.pseudowire = *pseudowire;
  const bool is_ppp = config.pseudowire == fsm::Pseudowire::kPpp;
  if (!is_ppp) {
    for (std::string_view key : kPppOnlyKeys) {
      if (reader.has(key)) return fail(key, "only for ppp sessions");
    }
  }

  auto session_id = detail::read_id(reader, "SessionId", version, mode, false);
  if (!session_id) return std::unexpected(session_id.error());
  config.session_id = *session_id;
  auto peer_session_id = detail::read_id(reader, "PeerSessionId", version, mode, true);
  if (!peer_session_id) return std::unexpected(peer_session_id.error());
  config.peer_session_id = *peer_session_id;

  if (const std::string* name = reader.string("InterfaceName")) {
    if (auto checked = check_interface_name(*name); !checked) {
      return std::unexpected(checked.error());
    }
    config.interface_name = *name;
  }

  auto cookie = read_cookie(reader, "Cookie", version);
  if (!cookie) return std::unexpected(cookie.error());
  config.cookie = std::move(*cookie);
  auto peer_cookie = read_cookie(reader, "PeerCookie", version);
  if (!peer_cookie) return std::unexpected(peer_cookie.error());
  config.peer_cookie = std::move(*peer_cookie);

  const auto default_sublayer =
      is_ppp ? fsm::L2SpecificSublayer::kNone : fsm::L2SpecificSublayer::kDefault;
  auto sublayer = detail::read_choice(reader, "L2SpecificSublayer", kSublayers, default_sublayer);
  if (!sublayer) return std::unexpected(sublayer.error());
  if (*sublayer == fsm::L2SpecificSublayer::kDefault && version != wire::ProtocolVersion::kV3) {
    return fail("L2SpecificSublayer", "default needs an L2TPv3 tunnel");
  }
  config.l2_specific_sublayer = *sublayer;

  auto sequencing = detail::read_choice(reader, "Sequencing", kSequencings, fsm::Sequencing::kNone);
  if (!sequencing) return std::unexpected(sequencing.error());
  config.sequencing = *sequencing;

  auto reorder = detail::read_in_range(reader, "ReorderTimeout", 0, kMaxReorderTimeoutMs, 0);
  if (!reorder) return std::unexpected(reorder.error());
  config.reorder_timeout = Duration(*reorder);

  // 0 leaves an eth device at the kernel's choice.
  auto mtu = detail::read_in_range(reader, "Mtu", kMinMtu, kMaxMtu, is_ppp ? kDefaultPppMtu : 0);
  if (!mtu) return std::unexpected(mtu.error());
  config.mtu = *mtu;

  auto calling = read_number(reader, "CallingNumber");
  if (!calling) return std::unexpected(calling.error());
  config.calling_number = std::move(*calling);
  auto called = read_number(reader, "CalledNumber");
  if (!called) return std::unexpected(called.error());
  config.called_number = std::move(*called);

  if (is_ppp) {
    auto ppp = read_ppp_client_options(reader);
    if (!ppp) return std::unexpected(ppp.error());
    config.ppp = std::move(*ppp);
  }
  return config;
}

}  // namespace l2tp::config
