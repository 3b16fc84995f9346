// The cryptography of L2TP, on OpenSSL's libcrypto: AVP hiding (RFC 2661
// §4.3, RFC 3931 §5.3), v2 tunnel authentication (RFC 2661 §4.2, §4.4.3) and
// the v3 Message Digest (RFC 3931 §4.3, §5.4.1).
#pragma once

#include <cstdint>

#include "wire/bytes.h"
#include "wire/header.h"
#include "wire/message.h"

namespace l2tp::wire {

Bytes md5(ByteView data);
Bytes hmac(DigestType type, ByteView key, ByteView data);

// v2: the shared secret itself; v3: HMAC_MD5(secret, 0x01).
Bytes hiding_key(ProtocolVersion version, ByteView secret);
// v3 Control Message Authentication key: HMAC_MD5(secret, 0x02).
Bytes digest_key(ByteView secret);

// Hidden AVP value for attribute `type`: original length (2 bytes), value, and
// `padding`, XORed with the MD5 chain seeded by type + key + random vector.
Bytes hide_value(std::uint16_t attribute_type, ByteView value, ByteView key,
                 ByteView random_vector, ByteView padding = {});
// Reverses hide_value. Fails with kHiddenLengthMismatch when the decrypted
// length prefix exceeds the hidden data (never trusted, never wraps).
std::expected<Bytes, WireError> unhide_value(std::uint16_t attribute_type, ByteView hidden,
                                             ByteView key, ByteView random_vector);

// v2 Challenge Response: MD5(message type octet + secret + challenge), where
// the octet is 2 for the SCCRP's response and 3 for the SCCCN's.
Bytes challenge_response(std::uint8_t message_type, ByteView secret, ByteView challenge);

// v3 Message Digest over a framed datagram whose zeroed Message Digest AVP
// sits right after Message Type (EncodeOptions::digest). `local_nonce` and
// `remote_nonce` are empty for an SCCRQ. Fills the digest in place.
struct DigestContext {
  DigestType type = DigestType::kHmacMd5;
  Bytes key;  // digest_key(secret)
  Bytes local_nonce;
  Bytes remote_nonce;
};
void sign_message(Bytes& datagram, Encapsulation encapsulation, const DigestContext& context);
// Checks the digest of a received control message (`packet.message`), with
// the nonces in the receiver's order. Accepts the message if any digest AVP
// verifies (RFC 3931 allows two during a key change).
bool verify_message(const ControlPacket& packet, const DigestContext& context);

}  // namespace l2tp::wire
