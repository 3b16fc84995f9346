// Shared vocabulary of the option tests: value builders, one-change cases and
// the contract's key tables (copied from dbus-api.md, not from the code, so a
// key that drifts in the implementation fails here).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/options.h"

namespace l2tp::config::cases {

inline OptionValue s(std::string text) {
  return OptionValue(std::move(text));
}
inline OptionValue u(std::uint32_t number) {
  return OptionValue(number);
}
inline OptionValue b(bool flag) {
  return OptionValue(flag);
}
inline OptionValue ay(std::vector<std::uint8_t> bytes) {
  return OptionValue(std::move(bytes));
}
inline OptionValue ay_of_size(std::size_t size) {
  return OptionValue(std::vector<std::uint8_t>(size, 0x5a));
}
inline OptionValue as(std::vector<std::string> list) {
  return OptionValue(std::move(list));
}

// One change to a good base map: set `key` to `value`, or remove it.
struct Change {
  std::string key;
  std::optional<OptionValue> value;  // nullopt: remove the key
};

inline OptionMap changed(OptionMap base, const Change& change) {
  if (change.value) {
    base.insert_or_assign(change.key, *change.value);
  } else {
    base.erase(change.key);
  }
  return base;
}

inline Change removed(std::string key) {
  return Change{std::move(key), std::nullopt};
}

// A refused change: which key the error must name, and a piece of its message.
template <typename Base>
struct BadCase {
  std::string name;  // the test's name: letters, digits, underscores
  Base base;
  Change change;
  std::string error_key;
  std::string message_part;
};

template <typename Base>
std::string case_name(const ::testing::TestParamInfo<BadCase<Base>>& info) {
  return info.param.name;
}

// Asserts what every refusal must look like.
inline void expect_refusal(const OptionError& error, const std::string& key,
                           const std::string& message_part) {
  EXPECT_EQ(error.key, key) << error.to_string();
  EXPECT_NE(error.message.find(message_part), std::string::npos)
      << "message '" << error.message << "' lacks '" << message_part << "'";
  EXPECT_EQ(error.to_string(), error.key + ": " + error.message);
}

struct ContractKey {
  const char* key;
  OptionType type;
};

// The IPsec keys tunnels and listeners share (dbus-api.md, "IPsec options").
inline const std::vector<ContractKey> kIpsecContractKeys{
    {"IpsecPsk", OptionType::kBytes},
    {"IpsecCertificate", OptionType::kBytes},
    {"IpsecPrivateKey", OptionType::kBytes},
    {"IpsecCa", OptionType::kBytes},
    {"IpsecLocalId", OptionType::kString},
    {"IpsecIkeVersion", OptionType::kUint32},
    {"IpsecIkeProposals", OptionType::kStringList},
    {"IpsecEspProposals", OptionType::kStringList},
    {"IpsecForceEncapsulation", OptionType::kBool},
    {"IpsecIkeLifetime", OptionType::kUint32},
    {"IpsecSaLifetime", OptionType::kUint32},
    {"IpsecPfs", OptionType::kBool},
    {"IpsecAggressive", OptionType::kBool},
};

inline std::vector<ContractKey> with_ipsec_keys(std::vector<ContractKey> keys) {
  keys.insert(keys.end(), kIpsecContractKeys.begin(), kIpsecContractKeys.end());
  return keys;
}

inline const std::vector<ContractKey>& contract_keys(ObjectKind kind) {
  static const std::vector<ContractKey> tunnel = with_ipsec_keys({
      {"Mode", OptionType::kString},
      {"Version", OptionType::kUint32},
      {"Encapsulation", OptionType::kString},
      {"Peer", OptionType::kString},
      {"Local", OptionType::kString},
      {"TunnelId", OptionType::kUint32},
      {"PeerTunnelId", OptionType::kUint32},
      {"HostName", OptionType::kString},
      {"Secret", OptionType::kBytes},
      {"HideAvps", OptionType::kBool},
      {"HelloInterval", OptionType::kUint32},
      {"RetransmitTimeout", OptionType::kUint32},
      {"MaxRetransmitTimeout", OptionType::kUint32},
      {"MaxRetransmits", OptionType::kUint32},
      {"ReceiveWindow", OptionType::kUint32},
      {"UdpChecksum", OptionType::kBool},
      {"IpsecRemoteId", OptionType::kString},
  });
  static const std::vector<ContractKey> session{
      {"Pseudowire", OptionType::kString},
      {"SessionId", OptionType::kUint32},
      {"PeerSessionId", OptionType::kUint32},
      {"InterfaceName", OptionType::kString},
      {"Cookie", OptionType::kBytes},
      {"PeerCookie", OptionType::kBytes},
      {"L2SpecificSublayer", OptionType::kString},
      {"Sequencing", OptionType::kString},
      {"ReorderTimeout", OptionType::kUint32},
      {"Mtu", OptionType::kUint32},
      {"CallingNumber", OptionType::kString},
      {"CalledNumber", OptionType::kString},
      {"User", OptionType::kString},
      {"Password", OptionType::kString},
      {"Authentication", OptionType::kStringList},
      {"Mppe", OptionType::kString},
      {"UsePeerDns", OptionType::kBool},
      {"Ipv6", OptionType::kBool},
      {"LcpEchoInterval", OptionType::kUint32},
      {"LcpEchoFailure", OptionType::kUint32},
      {"DefaultRoute", OptionType::kBool},
  };
  static const std::vector<ContractKey> listener = with_ipsec_keys({
      {"Local", OptionType::kString},
      {"Version", OptionType::kUint32},
      {"Encapsulation", OptionType::kString},
      {"HostName", OptionType::kString},
      {"Secret", OptionType::kBytes},
      {"HideAvps", OptionType::kBool},
      {"HelloInterval", OptionType::kUint32},
      {"RetransmitTimeout", OptionType::kUint32},
      {"MaxRetransmitTimeout", OptionType::kUint32},
      {"MaxRetransmits", OptionType::kUint32},
      {"ReceiveWindow", OptionType::kUint32},
      {"Pseudowires", OptionType::kStringList},
      {"PppLocalAddress", OptionType::kString},
      {"PppAddressPool", OptionType::kString},
      {"PppDns", OptionType::kStringList},
      {"PppRequireAuthentication", OptionType::kBool},
      {"MaxTunnels", OptionType::kUint32},
      {"MaxTunnelsPerPeer", OptionType::kUint32},
      {"MaxSessions", OptionType::kUint32},
      {"MaxCallsPerSecond", OptionType::kUint32},
      {"IpsecRequired", OptionType::kBool},
  });
  switch (kind) {
    case ObjectKind::kTunnel:
      return tunnel;
    case ObjectKind::kSession:
      return session;
    case ObjectKind::kListener:
      return listener;
  }
  return tunnel;
}

// A value of every type but `type`, to prove each key refuses the others.
inline std::vector<OptionValue> values_of_other_types(OptionType type) {
  std::vector<OptionValue> values;
  if (type != OptionType::kString) values.push_back(s("2"));
  if (type != OptionType::kUint32) values.push_back(u(2));
  if (type != OptionType::kBool) values.push_back(b(true));
  if (type != OptionType::kBytes) values.push_back(ay({'2'}));
  if (type != OptionType::kStringList) values.push_back(as({"2"}));
  return values;
}

// Strings every s and as key must refuse, whatever the key means.
inline std::vector<std::string> hostile_strings() {
  return {
      std::string("a\nb"),         std::string("a\rb"),    std::string("a\tb"),
      std::string("a\x7f"),        std::string("a\0b", 3), std::string("\x1b[31m"),
      std::string("a\xff"),         // not UTF-8
      std::string("\xc0\xaf"),      // overlong '/'
      std::string("\xed\xa0\x80"),  // a surrogate
  };
}

}  // namespace l2tp::config::cases
