#include "vici/packet.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace l2tp::vici {

bool is_named(PacketType type) {
  return type == PacketType::kCommandRequest || type == PacketType::kEventRegister ||
         type == PacketType::kEventUnregister || type == PacketType::kEvent;
}

bool has_message(PacketType type) {
  return type == PacketType::kCommandRequest || type == PacketType::kCommandResponse ||
         type == PacketType::kEvent;
}

namespace {

std::unexpected<CodecError> error(std::string what) {
  return std::unexpected(CodecError{std::move(what)});
}

bool known(std::uint8_t type) {
  return type <= static_cast<std::uint8_t>(PacketType::kEvent);
}

}  // namespace

std::expected<Blob, CodecError> encode_packet(const Packet& packet) {
  Blob segment{static_cast<std::uint8_t>(packet.type)};
  if (is_named(packet.type)) {
    const std::string& name = packet.name;
    if (name.empty() || name.size() > kMaxNameLength ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
      return error("bad packet name");
    }
    segment.push_back(static_cast<std::uint8_t>(name.size()));
    segment.insert(segment.end(), name.begin(), name.end());
  }
  if (has_message(packet.type)) {
    auto message = encode_message(packet.message);
    if (!message) return std::unexpected(message.error());
    segment.insert(segment.end(), message->begin(), message->end());
  }
  if (segment.size() > kMaxSegmentLength) return error("packet longer than 512 KiB");
  const auto length = static_cast<std::uint32_t>(segment.size());
  Blob out{static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
           static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  out.insert(out.end(), segment.begin(), segment.end());
  return out;
}

std::expected<Packet, CodecError> decode_packet(std::span<const std::uint8_t> segment) {
  if (segment.empty()) return error("empty packet");
  if (!known(segment[0])) return error("unknown packet type " + std::to_string(segment[0]));
  Packet packet;
  packet.type = static_cast<PacketType>(segment[0]);
  std::size_t at = 1;
  if (is_named(packet.type)) {
    if (segment.size() < 2) return error("truncated packet name");
    const std::size_t length = segment[1];
    if (segment.size() - 2 < length) return error("truncated packet name");
    packet.name.assign(segment.begin() + 2,
                       segment.begin() + 2 + static_cast<std::ptrdiff_t>(length));
    if (packet.name.empty() || !std::all_of(packet.name.begin(), packet.name.end(),
                                            [](char c) { return c > 0x20 && c < 0x7f; })) {
      return error("bad packet name");
    }
    at = 2 + length;
  }
  if (has_message(packet.type)) {
    auto message = decode_message(segment.subspan(at));
    if (!message) return std::unexpected(message.error());
    packet.message = std::move(*message);
  } else if (at != segment.size()) {
    return error("bytes after a packet that carries no message");
  }
  return packet;
}

void PacketReader::feed(std::span<const std::uint8_t> bytes) {
  if (broken_) return;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<std::expected<Packet, CodecError>> PacketReader::next() {
  if (broken_) return std::unexpected(*broken_);
  if (buffer_.size() < 4) return std::nullopt;
  const std::size_t length = std::size_t{buffer_[0]} << 24 | std::size_t{buffer_[1]} << 16 |
                             std::size_t{buffer_[2]} << 8 | buffer_[3];
  if (length > kMaxSegmentLength) {
    broken_ = CodecError{"a packet of " + std::to_string(length) + " bytes (at most 512 KiB)"};
    buffer_.clear();
    return std::unexpected(*broken_);
  }
  if (buffer_.size() - 4 < length) return std::nullopt;
  const std::vector<std::uint8_t> segment(
      buffer_.begin() + 4, buffer_.begin() + 4 + static_cast<std::ptrdiff_t>(length));
  buffer_.erase(buffer_.begin(), buffer_.begin() + 4 + static_cast<std::ptrdiff_t>(length));
  auto packet = decode_packet(segment);
  if (!packet) {
    broken_ = packet.error();
    buffer_.clear();
  }
  return packet;
}

}  // namespace l2tp::vici
