// The option vocabulary of dbus-api.md, shared by D-Bus calls and config
// files: untyped values in, validated fsm configs out. One validator for both
// paths, so nothing a client sends reaches the engine, a file or a pppd
// command line unchecked.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fsm/options.h"

namespace l2tp::config {

// The D-Bus types of the vocabulary: s, u, b, ay, as.
enum class OptionType : std::uint8_t { kString, kUint32, kBool, kBytes, kStringList };
const char* dbus_signature(OptionType type);  // "s", "u", "b", "ay", "as"

using OptionValue = std::variant<std::string, std::uint32_t, bool, std::vector<std::uint8_t>,
                                 std::vector<std::string>>;
using OptionMap = std::map<std::string, OptionValue, std::less<>>;

// What was wrong, and with which key. `message` reads as a sentence after the
// key: to_string() gives "Peer: expected host, host:port or [v6addr]:port".
struct OptionError {
  std::string key;
  std::string message;
  std::string to_string() const { return key + ": " + message; }
};

// Text a client or a file gave (an unknown key, an unknown name) as an error
// shows it: as is when it is 1..64 printable ASCII characters other than space,
// quotes and backslash, else in double quotes with every other byte as \xHH, cut
// after 64 bytes ("..." and the full size follow). A reply or a log line then
// never carries control characters or megabytes, whatever an a{sv} held.
std::string shown_in_error(std::string_view untrusted);

enum class ObjectKind : std::uint8_t { kTunnel, kSession, kListener };
// The type of `key` for that kind of object; nullopt for an unknown key.
std::optional<OptionType> option_type(ObjectKind kind, std::string_view key);

// Peer as given: a host name (resolved later, without blocking) or a numeric
// address, and the port (1701 unless given).
struct PeerAddress {
  std::string host;
  std::uint16_t port = 1701;
  bool is_numeric = false;
};

struct TunnelRequest {
  fsm::TunnelConfig config;  // config.peer is set only when peer.is_numeric
  PeerAddress peer;
  bool local_port_given = false;  // else: 1701 when free, an ephemeral port otherwise
};

struct Defaults {
  std::string host_name = "l2tpbus";  // the system host name, or l2tpbusd.conf's HostName
};

// Zeroes every byte-array value (Secret, IpsecPsk, IpsecPrivateKey, ...)
// and Password in place: a caller's copy of the options should not keep
// secrets in freed memory once they are parsed.
void wipe_secrets(OptionMap& options);

// Each refuses unknown keys, wrong types, out-of-range and malformed values,
// strings with control characters, and combinations the protocol forbids
// (e.g. Mode=static with Version=2, HideAvps without Secret, Encapsulation=ip
// with Version=2), naming the key.
std::expected<TunnelRequest, OptionError> parse_tunnel_options(const OptionMap& options,
                                                               const Defaults& defaults);
std::expected<fsm::SessionConfig, OptionError> parse_session_options(const OptionMap& options,
                                                                     wire::ProtocolVersion version,
                                                                     fsm::TunnelMode mode);
std::expected<fsm::ListenerConfig, OptionError> parse_listener_options(const OptionMap& options,
                                                                       const Defaults& defaults);

}  // namespace l2tp::config
