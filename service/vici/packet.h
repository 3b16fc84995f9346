// VICI packets and the stream that carries them: each packet is a segment
// with a 32-bit length in network order; its first byte is the packet type,
// named types carry an 8-bit-length name, and requests, responses and events
// a message (message.h). PacketReader reassembles packets from whatever the
// socket returns, so the I/O around it can read without blocking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <optional>
#include <span>
#include <string>

#include "vici/message.h"

namespace l2tp::vici {

enum class PacketType : std::uint8_t {
  kCommandRequest = 0,   // named, with a message
  kCommandResponse = 1,  // with a message
  kCommandUnknown = 2,
  kEventRegister = 3,    // named
  kEventUnregister = 4,  // named
  kEventConfirm = 5,
  kEventUnknown = 6,
  kEvent = 7,  // named, with a message
};

// charon's limit on a segment; a peer announcing more is broken or hostile.
inline constexpr std::size_t kMaxSegmentLength = 512 * 1024;

struct Packet {
  PacketType type = PacketType::kCommandRequest;
  std::string name;  // for the named types only
  Section message;   // for requests, responses and events only
  friend bool operator==(const Packet&, const Packet&) = default;
};

bool is_named(PacketType type);
bool has_message(PacketType type);

// The segment, length prefix included, or why it cannot be sent.
std::expected<Blob, CodecError> encode_packet(const Packet& packet);

// One segment's bytes (without the length prefix) as a packet.
std::expected<Packet, CodecError> decode_packet(std::span<const std::uint8_t> segment);

class PacketReader {
 public:
  // Takes bytes as they came from the stream.
  void feed(std::span<const std::uint8_t> bytes);
  // The next whole packet, an error, or nullopt until more bytes come. After
  // an error the stream cannot be trusted again: every later call returns it.
  std::optional<std::expected<Packet, CodecError>> next();
  // Bytes held for a packet not yet complete.
  std::size_t pending() const { return buffer_.size(); }

 private:
  std::deque<std::uint8_t> buffer_;
  std::optional<CodecError> broken_;
};

}  // namespace l2tp::vici
