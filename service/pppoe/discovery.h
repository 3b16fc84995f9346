// PPPoE discovery packets (RFC 2516 section 5): PADI, PADO, PADR, PADS and
// PADT, as the payload of an Ethernet frame of type 0x8863 (a packet socket
// of type SOCK_DGRAM hands over exactly that, the source address apart).
// Bytes in, values out; the access concentrator decides what they mean.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire/bytes.h"

namespace l2tp::pppoe {

using wire::Bytes;
using wire::ByteView;

inline constexpr std::uint16_t kEthertypeDiscovery = 0x8863;
inline constexpr std::uint16_t kEthertypeSession = 0x8864;
// The PPPoE header: VER/TYPE, CODE, SESSION_ID, LENGTH.
inline constexpr std::size_t kHeaderSize = 6;
// RFC 2516 5.1: a PADI (header and payload) is at most 1484 bytes, so a relay
// can add a Relay-Session-Id; nothing we send is larger either.
inline constexpr std::size_t kMaxDiscoverySize = 1484;
// More tags than any client sends; a bound on the work one frame can cause.
inline constexpr std::size_t kMaxTags = 32;

enum class Code : std::uint8_t {
  kPadi = 0x09,  // initiation: a host looks for concentrators (broadcast)
  kPado = 0x07,  // offer: a concentrator answers
  kPadr = 0x19,  // request: the host picks one
  kPads = 0x65,  // session-confirmation: the session id
  kPadt = 0xa7,  // terminate: either side ends the session
};

enum class TagType : std::uint16_t {
  kEndOfList = 0x0000,
  kServiceName = 0x0101,
  kAcName = 0x0102,
  kHostUniq = 0x0103,
  kAcCookie = 0x0104,
  kVendorSpecific = 0x0105,
  kRelaySessionId = 0x0110,
  kPppMaxPayload = 0x0120,  // RFC 4638
  kServiceNameError = 0x0201,
  kAcSystemError = 0x0202,
  kGenericError = 0x0203,
};

struct Tag {
  std::uint16_t type = 0;
  Bytes value;

  bool operator==(const Tag&) const = default;
};

struct DiscoveryPacket {
  Code code = Code::kPadi;
  std::uint16_t session_id = 0;
  std::vector<Tag> tags;  // in the order sent; End-Of-List is never kept

  // The first tag of `type`, if any.
  const Tag* find(TagType type) const;
  void add(TagType type, ByteView value);
  void add(TagType type, std::string_view text) { add(type, wire::as_bytes(text)); }

  bool operator==(const DiscoveryPacket&) const = default;
};

// Why a discovery frame was dropped; the concentrator counts each.
enum class DiscoveryError : std::uint8_t {
  kTruncated,           // shorter than the header, or than its LENGTH
  kBadVersionType,      // VER or TYPE not 1
  kUnknownCode,         // not one of the five discovery codes
  kTooLarge,            // more than kMaxDiscoverySize bytes of header and payload
  kTagOverrun,          // a tag's length runs past the payload
  kTooManyTags,         // more than kMaxTags
  kBadSessionId,        // non-zero before PADS, zero in PADS or PADT
  kMissingServiceName,  // PADI, PADO, PADR and PADS carry one (PADS: or an error)
  kDuplicateTag,        // a tag that must be unique is repeated (Service-Name in PADI/PADR,
                        // AC-Name, Host-Uniq, AC-Cookie, Relay-Session-Id)
  kMissingAcName,       // a PADO without one
};

std::string_view to_string(DiscoveryError error);

// The PPPoE header and payload of a discovery frame. Bytes after LENGTH (an
// Ethernet minimum-size pad) are ignored.
std::expected<DiscoveryPacket, DiscoveryError> decode_discovery(ByteView frame);

// The header and tags, End-Of-List left out (RFC 2516 makes it optional).
// The caller keeps the result within kMaxDiscoverySize (tag values it
// copies from a peer are bounded by the decode).
Bytes encode_discovery(const DiscoveryPacket& packet);

using MacAddress = std::array<std::uint8_t, 6>;

// "02:00:5e:10:00:01"
std::string to_string(const MacAddress& mac);
// Six colon-separated hex octets; nullopt otherwise.
std::optional<MacAddress> parse_mac(std::string_view text);
// Unicast, not all zeros: where a PADO or PADS may go.
bool is_unicast(const MacAddress& mac);

}  // namespace l2tp::pppoe
