#include "wire/avp.h"

#include <algorithm>

namespace l2tp::wire {
namespace {

constexpr std::uint16_t kAvpLengthMask = 0x03FF;
constexpr std::uint16_t kAvpReservedMask = 0x3C00;
constexpr std::size_t kMaxAvpValue = kMaxAvpLength - kAvpHeaderSize;

}  // namespace

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::kSccrq:
      return "SCCRQ";
    case MessageType::kSccrp:
      return "SCCRP";
    case MessageType::kScccn:
      return "SCCCN";
    case MessageType::kStopccn:
      return "StopCCN";
    case MessageType::kHello:
      return "HELLO";
    case MessageType::kOcrq:
      return "OCRQ";
    case MessageType::kOcrp:
      return "OCRP";
    case MessageType::kOccn:
      return "OCCN";
    case MessageType::kIcrq:
      return "ICRQ";
    case MessageType::kIcrp:
      return "ICRP";
    case MessageType::kIccn:
      return "ICCN";
    case MessageType::kCdn:
      return "CDN";
    case MessageType::kWen:
      return "WEN";
    case MessageType::kSli:
      return "SLI";
    case MessageType::kAck:
      return "ACK";
  }
  return "unknown";
}

bool is_known_message_type(std::uint16_t value) {
  switch (static_cast<MessageType>(value)) {
    case MessageType::kSccrq:
    case MessageType::kSccrp:
    case MessageType::kScccn:
    case MessageType::kStopccn:
    case MessageType::kHello:
    case MessageType::kOcrq:
    case MessageType::kOcrp:
    case MessageType::kOccn:
    case MessageType::kIcrq:
    case MessageType::kIcrp:
    case MessageType::kIccn:
    case MessageType::kCdn:
    case MessageType::kWen:
    case MessageType::kSli:
    case MessageType::kAck:
      return true;
  }
  return false;
}

std::expected<std::vector<RawAvp>, WireError> split_avps(ByteView avps) {
  std::vector<RawAvp> result;
  // Every AVP takes at least 6 bytes, so this bounds the allocation.
  result.reserve(avps.size() / kAvpHeaderSize);
  ByteReader reader(avps);
  while (!reader.empty()) {
    const std::size_t offset = reader.offset();
    const auto bits = reader.u16();
    if (!bits) return std::unexpected(WireError::kAvpOverrun);
    const std::size_t length = *bits & kAvpLengthMask;
    // Checked before anything else: a zero length must never be taken as a
    // step of zero bytes (the xl2tpd endless loop).
    if (length < kAvpHeaderSize) return std::unexpected(WireError::kAvpTooShort);
    if (length - 2 > reader.remaining()) return std::unexpected(WireError::kAvpOverrun);
    RawAvp avp;
    avp.mandatory = *bits & kAvpFlagMandatory;
    avp.hidden = *bits & kAvpFlagHidden;
    avp.reserved_flags = static_cast<std::uint8_t>((*bits & kAvpReservedMask) >> 10);
    avp.vendor_id = *reader.u16();
    avp.attribute_type = *reader.u16();
    avp.value = *reader.take(length - kAvpHeaderSize);
    avp.offset = offset;
    result.push_back(avp);
  }
  return result;
}

void write_avp(ByteWriter& out, AttributeType type, ByteView value, bool mandatory, bool hidden,
               std::uint16_t vendor_id) {
  // A longer value cannot be framed; the encoder clamps strings before this.
  const ByteView framed = value.first(std::min(value.size(), kMaxAvpValue));
  std::uint16_t bits = static_cast<std::uint16_t>(kAvpHeaderSize + framed.size());
  if (mandatory) bits |= kAvpFlagMandatory;
  if (hidden) bits |= kAvpFlagHidden;
  out.u16(bits);
  out.u16(vendor_id);
  out.u16(static_cast<std::uint16_t>(type));
  out.bytes(framed);
}

}  // namespace l2tp::wire
