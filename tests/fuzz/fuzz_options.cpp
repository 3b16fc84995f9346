// libFuzzer target: an a{sv} option dictionary as a D-Bus client sends it to
// CreateTunnel, CreateSession or CreateListener, through the daemon's own path:
// sdbus::Variant values, to_option_map(), then parse_*_options().
//
// Input: byte 0 selects the call, the rest is a list of entries.
//   bits 0-1  0 CreateTunnel, 1 and 3 CreateSession, 2 CreateListener
//   bit 2     the session's tunnel: 0 L2TPv2, 1 L2TPv3
//   bits 3-4  the session's tunnel mode: 0 dynamic, 1 quiescent, 2 static
//   bit 5     the daemon's host name (Defaults): 0 "l2tpbus", 1 64 bytes long
// An entry is a key byte, a type byte and the value:
//   key    < number of vocabulary keys: that key (kKeys below); otherwise a
//          raw key, as a text
//   type   modulo 9: 0 s, 1 u, 2 b, 3 ay, 4 as, 5 i, 6 d, 7 au, 8 empty variant
//   value  s, ay: a text; u, i: 4 bytes little endian; b: 1 byte; d: 8 bytes;
//          as: count byte (mod 8), then each element as a text; au: count
//          byte (mod 8), then 4 bytes each.
// A text is a length byte 0..254 and its bytes, or 255, a 16-bit
// little-endian count and one byte repeated that often: strings of up to
// 64 KiB, as a client may send, from a short input.
// Missing bytes read as zeros. A string the bus could not carry (invalid
// UTF-8, a NUL byte) makes the input uninteresting, as sd-bus refuses it.
// tests/fuzz/make_option_seeds.py writes seeds in this format.
#include <sdbus-c++/Error.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/options.h"
#include "dbus/option_dictionary.h"

namespace {

using namespace l2tp;

// The whole vocabulary of dbus-api.md, every kind's keys in one list, so a
// key of the wrong kind is tried as often as a right one.
constexpr std::array<std::string_view, 42> kKeys{
    "HostName",
    "Secret",
    "HideAvps",
    "HelloInterval",
    "RetransmitTimeout",
    "MaxRetransmitTimeout",
    "MaxRetransmits",
    "ReceiveWindow",
    "Mode",
    "Version",
    "Encapsulation",
    "Peer",
    "Local",
    "TunnelId",
    "PeerTunnelId",
    "UdpChecksum",
    "Pseudowire",
    "SessionId",
    "PeerSessionId",
    "InterfaceName",
    "Cookie",
    "PeerCookie",
    "L2SpecificSublayer",
    "Sequencing",
    "ReorderTimeout",
    "Mtu",
    "CallingNumber",
    "CalledNumber",
    "User",
    "Password",
    "Authentication",
    "Mppe",
    "UsePeerDns",
    "Ipv6",
    "LcpEchoInterval",
    "LcpEchoFailure",
    "DefaultRoute",
    "Pseudowires",
    "PppLocalAddress",
    "PppAddressPool",
    "PppDns",
    "PppRequireAuthentication",
};

class Reader {
 public:
  // A text's length byte 255: a 16-bit count and one byte repeated that often.
  static constexpr std::size_t kRepeated = 255;

  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return offset_ >= size_; }
  std::uint8_t byte() { return offset_ < size_ ? data_[offset_++] : 0; }
  template <typename T>
  T little_endian() {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= std::uint64_t{byte()} << (8 * i);
    T out{};
    std::memcpy(&out, &value, sizeof(T));
    return out;
  }
  std::string text() {
    const std::size_t length = byte();
    if (length == kRepeated) {
      const std::size_t count = little_endian<std::uint16_t>();
      return std::string(count, static_cast<char>(byte()));
    }
    std::string out;
    for (std::size_t i = 0; i < length && !done(); ++i) out.push_back(static_cast<char>(byte()));
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t offset_ = 0;
};

// What a D-Bus string can be: sd-bus refuses the rest before the daemon sees it.
bool bus_can_carry(const std::string& text) {
  return text.find('\0') == std::string::npos;  // UTF-8 is sd-bus's own check
}

std::optional<sdbus::Variant> read_value(Reader& reader) {
  switch (reader.byte() % 9) {
    case 0: {
      std::string text = reader.text();
      if (!bus_can_carry(text)) return std::nullopt;
      return sdbus::Variant(text);
    }
    case 1:
      return sdbus::Variant(reader.little_endian<std::uint32_t>());
    case 2:
      return sdbus::Variant((reader.byte() & 1) != 0);
    case 3: {
      const std::string text = reader.text();
      return sdbus::Variant(std::vector<std::uint8_t>(text.begin(), text.end()));
    }
    case 4: {
      std::vector<std::string> list(reader.byte() % 8);
      for (std::string& element : list) {
        element = reader.text();
        if (!bus_can_carry(element)) return std::nullopt;
      }
      return sdbus::Variant(list);
    }
    case 5:
      return sdbus::Variant(reader.little_endian<std::int32_t>());
    case 6:
      return sdbus::Variant(reader.little_endian<double>());
    case 7: {
      std::vector<std::uint32_t> list(reader.byte() % 8);
      for (std::uint32_t& element : list) element = reader.little_endian<std::uint32_t>();
      return sdbus::Variant(list);
    }
    default:
      return sdbus::Variant();
  }
}

// The caller sees "Key: message" in the reply and the daemon logs it: it must
// name a key, say something, and stay short and printable whatever the
// client sent (an a{sv} may carry any key and any string).
void check_error(const config::OptionError& error) {
  constexpr std::size_t kMaxErrorBytes = 512;
  const std::string text = error.to_string();
  if (error.key.empty() || error.message.empty() || text.size() > kMaxErrorBytes) std::abort();
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) std::abort();
  }
}

// The daemon's path for one call: the dictionary's types, then its values.
template <typename Parse>
void parse(config::ObjectKind kind, const dbus::OptionDictionary& dictionary, Parse parse_options) {
  auto options = dbus::to_option_map(kind, dictionary);
  if (!options) {
    check_error(options.error());
    return;
  }
  auto parsed = parse_options(*options);
  if (!parsed) check_error(parsed.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  Reader reader(data, size);
  const std::uint8_t flags = reader.byte();
  dbus::OptionDictionary dictionary;
  try {
    while (!reader.done()) {
      const std::uint8_t key_choice = reader.byte();
      std::string key = key_choice < kKeys.size() ? std::string(kKeys[key_choice]) : reader.text();
      if (!bus_can_carry(key)) return 0;
      std::optional<sdbus::Variant> value = read_value(reader);
      if (!value) return 0;
      // sd-bus hands a repeated key of an a{sv} to std::map as emplace does.
      dictionary.emplace(std::move(key), std::move(*value));
    }
  } catch (const sdbus::Error&) {
    return 0;  // not valid UTF-8: no D-Bus message carries it
  }

  config::Defaults defaults;
  if ((flags & 0x20) != 0) defaults.host_name = std::string(64, 'h');
  const auto version =
      (flags & 0x04) != 0 ? wire::ProtocolVersion::kV3 : wire::ProtocolVersion::kV2;
  static constexpr fsm::TunnelMode kModes[] = {fsm::TunnelMode::kDynamic,
                                               fsm::TunnelMode::kQuiescent,
                                               fsm::TunnelMode::kStatic, fsm::TunnelMode::kDynamic};
  const fsm::TunnelMode mode = kModes[(flags >> 3) & 3];

  switch (flags & 3) {
    case 0:
      parse(config::ObjectKind::kTunnel, dictionary, [&](const config::OptionMap& options) {
        return config::parse_tunnel_options(options, defaults);
      });
      break;
    case 2:
      parse(config::ObjectKind::kListener, dictionary, [&](const config::OptionMap& options) {
        return config::parse_listener_options(options, defaults);
      });
      break;
    default:
      parse(config::ObjectKind::kSession, dictionary, [&](const config::OptionMap& options) {
        return config::parse_session_options(options, version, mode);
      });
      break;
  }
  return 0;
}
