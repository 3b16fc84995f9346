// libFuzzer target: one datagram as a tunnel socket receives it, through
// every wire entry point the engine uses on received bytes.
//
// Input: byte 0 selects options, the rest is the datagram.
//   bit 0     encapsulation: 0 UDP, 1 IP (L2TPv3 over IP protocol 115)
//   bits 1-2  shared secret: 0 none, 1 "letmein", 2 empty, 3 longer than a hash block
//   bit 3     verify with the nonces swapped (the sender's view)
//   bit 4     also decode with the other protocol version
// tests/fuzz/make_seeds.py writes seeds in this format.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/header.h"
#include "wire/message.h"
#include "wire/security.h"

namespace {

using namespace l2tp::wire;

ByteView secret_for(std::uint8_t choice) {
  static constexpr std::string_view kSecrets[] = {
      "", "letmein", "",
      "a shared secret that is longer than the sixty-four byte block of MD5 and SHA-1"};
  return as_bytes(kSecrets[choice & 3]);
}

void exercise_decode(const ControlPacket& packet, ProtocolVersion version, ByteView key) {
  DecodeOptions options;
  options.version = version;
  options.hiding_key = key;
  const auto message = decode_message(packet.avps, options);
  if (!message) {
    (void)to_string(message.error());
    return;
  }
  (void)to_string(message->type);
  (void)has_required_avps(*message, version);
  // What the engine does next with a good message: answer it.
  EncodeOptions encode;
  encode.version = version;
  encode.hiding_key = key;
  encode.hide_sensitive = !key.empty();
  static constexpr std::uint8_t kRandomVector[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                                     9, 10, 11, 12, 13, 14, 15, 16};
  encode.random_vector = kRandomVector;
  const Bytes reply = encode_message(*message, encode);
  (void)frame_control(packet.header, reply, Encapsulation::kUdp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const ByteView datagram(data + 1, size - 1);
  const Encapsulation encapsulation = (flags & 1) ? Encapsulation::kIp : Encapsulation::kUdp;
  const bool has_secret = ((flags >> 1) & 3) != 0;
  const ByteView secret = secret_for(static_cast<std::uint8_t>(flags >> 1));

  const auto packet = parse_packet(datagram, encapsulation);
  if (!packet) {
    (void)to_string(packet.error());
    return 0;
  }
  if (std::holds_alternative<DataPacket>(*packet)) return 0;
  const ControlPacket& control = std::get<ControlPacket>(*packet);
  const ProtocolVersion version = control.header.version;

  exercise_decode(control, version, {});
  const Bytes key = has_secret ? hiding_key(version, secret) : Bytes{};
  exercise_decode(control, version, key);
  if (flags & 0x10) {
    const ProtocolVersion other =
        version == ProtocolVersion::kV2 ? ProtocolVersion::kV3 : ProtocolVersion::kV2;
    exercise_decode(control, other, hiding_key(other, secret));
  }

  DigestContext context;
  context.key = digest_key(secret);
  static constexpr std::uint8_t kNonceA[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                               0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
  static constexpr std::uint8_t kNonceB[20] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
                                               0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d,
                                               0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53};
  const bool swapped = flags & 0x08;
  context.local_nonce.assign(swapped ? std::begin(kNonceA) : std::begin(kNonceB),
                             swapped ? std::end(kNonceA) : std::end(kNonceB));
  context.remote_nonce.assign(swapped ? std::begin(kNonceB) : std::begin(kNonceA),
                              swapped ? std::end(kNonceB) : std::end(kNonceA));
  (void)verify_message(control, context);
  // Signing must cope with whatever a caller hands it, too.
  Bytes copy(datagram.begin(), datagram.end());
  context.type = (flags & 0x20) ? DigestType::kHmacSha1 : DigestType::kHmacMd5;
  sign_message(copy, encapsulation, context);
  return 0;
}
