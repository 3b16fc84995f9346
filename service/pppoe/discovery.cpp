#include "pppoe/discovery.h"

#include <algorithm>

namespace l2tp::pppoe {

namespace {

bool known_code(std::uint8_t code) {
  switch (static_cast<Code>(code)) {
    case Code::kPadi:
    case Code::kPado:
    case Code::kPadr:
    case Code::kPads:
    case Code::kPadt:
      return true;
  }
  return false;
}

std::size_t count(const DiscoveryPacket& packet, TagType type) {
  return static_cast<std::size_t>(std::ranges::count_if(packet.tags, [type](const Tag& tag) {
    return tag.type == static_cast<std::uint16_t>(type);
  }));
}

// RFC 2516 section 5: which tags each packet carries, and tags whose repeats
// would leave "which one counts" to the reader (for a cookie or a Host-Uniq,
// a way to smuggle a second value past a check of the first).
std::optional<DiscoveryError> check_tags(const DiscoveryPacket& packet) {
  const std::size_t service_names = count(packet, TagType::kServiceName);
  for (TagType unique :
       {TagType::kAcName, TagType::kHostUniq, TagType::kAcCookie, TagType::kRelaySessionId}) {
    if (count(packet, unique) > 1) return DiscoveryError::kDuplicateTag;
  }
  switch (packet.code) {
    case Code::kPadi:
    case Code::kPadr:
      if (service_names == 0) return DiscoveryError::kMissingServiceName;
      if (service_names > 1) return DiscoveryError::kDuplicateTag;
      break;
    case Code::kPado:
      if (service_names == 0) return DiscoveryError::kMissingServiceName;
      if (count(packet, TagType::kAcName) == 0) return DiscoveryError::kMissingAcName;
      break;
    case Code::kPads:
      if (service_names == 0 && count(packet, TagType::kServiceNameError) == 0) {
        return DiscoveryError::kMissingServiceName;
      }
      break;
    case Code::kPadt:
      break;
  }
  return std::nullopt;
}

bool session_id_fits(Code code, std::uint16_t session_id) {
  switch (code) {
    case Code::kPadi:
    case Code::kPado:
    case Code::kPadr:
      return session_id == 0;
    case Code::kPads:
      // A PADS that refuses (Service-Name-Error) carries 0; decode_discovery
      // lets that through and the host side judges it.
      return true;
    case Code::kPadt:
      return session_id != 0;
  }
  return false;
}

}  // namespace

const Tag* DiscoveryPacket::find(TagType type) const {
  const auto it = std::ranges::find_if(
      tags, [type](const Tag& tag) { return tag.type == static_cast<std::uint16_t>(type); });
  return it == tags.end() ? nullptr : &*it;
}

void DiscoveryPacket::add(TagType type, ByteView value) {
  tags.push_back(Tag{static_cast<std::uint16_t>(type), Bytes(value.begin(), value.end())});
}

std::string_view to_string(DiscoveryError error) {
  switch (error) {
    case DiscoveryError::kTruncated:
      return "truncated";
    case DiscoveryError::kBadVersionType:
      return "bad version or type";
    case DiscoveryError::kUnknownCode:
      return "unknown code";
    case DiscoveryError::kTooLarge:
      return "too large";
    case DiscoveryError::kTagOverrun:
      return "tag overrun";
    case DiscoveryError::kTooManyTags:
      return "too many tags";
    case DiscoveryError::kBadSessionId:
      return "bad session id";
    case DiscoveryError::kMissingServiceName:
      return "missing Service-Name";
    case DiscoveryError::kDuplicateTag:
      return "duplicate tag";
    case DiscoveryError::kMissingAcName:
      return "missing AC-Name";
  }
  return "unknown";
}

std::expected<DiscoveryPacket, DiscoveryError> decode_discovery(ByteView frame) {
  wire::ByteReader reader(frame);
  const auto version_type = reader.u8();
  const auto code = reader.u8();
  const auto session_id = reader.u16();
  const auto length = reader.u16();
  if (reader.failed()) return std::unexpected(DiscoveryError::kTruncated);
  if (*version_type != 0x11) return std::unexpected(DiscoveryError::kBadVersionType);
  if (!known_code(*code)) return std::unexpected(DiscoveryError::kUnknownCode);
  if (kHeaderSize + *length > kMaxDiscoverySize) return std::unexpected(DiscoveryError::kTooLarge);
  const auto payload = reader.take(*length);
  if (!payload) return std::unexpected(DiscoveryError::kTruncated);

  DiscoveryPacket packet;
  packet.code = static_cast<Code>(*code);
  packet.session_id = *session_id;
  if (!session_id_fits(packet.code, packet.session_id)) {
    return std::unexpected(DiscoveryError::kBadSessionId);
  }
  wire::ByteReader tags(*payload);
  while (!tags.empty()) {
    const auto type = tags.u16();
    const auto tag_length = tags.u16();
    if (tags.failed()) return std::unexpected(DiscoveryError::kTagOverrun);
    const auto value = tags.take(*tag_length);
    if (!value) return std::unexpected(DiscoveryError::kTagOverrun);
    if (*type == static_cast<std::uint16_t>(TagType::kEndOfList)) break;
    if (packet.tags.size() == kMaxTags) return std::unexpected(DiscoveryError::kTooManyTags);
    packet.tags.push_back(Tag{*type, Bytes(value->begin(), value->end())});
  }
  if (const auto error = check_tags(packet)) return std::unexpected(*error);
  return packet;
}

Bytes encode_discovery(const DiscoveryPacket& packet) {
  wire::ByteWriter writer;
  writer.u8(0x11);
  writer.u8(static_cast<std::uint8_t>(packet.code));
  writer.u16(packet.session_id);
  writer.u16(0);  // LENGTH, patched below
  for (const Tag& tag : packet.tags) {
    writer.u16(tag.type);
    writer.u16(static_cast<std::uint16_t>(tag.value.size()));
    writer.bytes(tag.value);
  }
  writer.patch_u16(4, static_cast<std::uint16_t>(writer.size() - kHeaderSize));
  return writer.take();
}

std::string to_string(const MacAddress& mac) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i > 0) text += ':';
    text += kDigits[mac[i] >> 4];
    text += kDigits[mac[i] & 0x0f];
  }
  return text;
}

std::optional<MacAddress> parse_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  MacAddress mac{};
  for (std::size_t i = 0; i < mac.size(); ++i) {
    const std::size_t at = i * 3;
    const int high = nibble(text[at]);
    const int low = nibble(text[at + 1]);
    if (high < 0 || low < 0 || (i + 1 < mac.size() && text[at + 2] != ':')) return std::nullopt;
    mac[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return mac;
}

bool is_unicast(const MacAddress& mac) {
  return (mac[0] & 0x01) == 0 && std::ranges::any_of(mac, [](std::uint8_t b) { return b != 0; });
}

}  // namespace l2tp::pppoe
