// The cryptography against vectors computed independently by
// tests/vectors/gen_vectors.py (Python hashlib/hmac), generated at build time.
#include "wire/security.h"

#include <gtest/gtest.h>

#include "hex.h"
#include "wire_vectors.h"

namespace l2tp::wire {
namespace {

using testing::from_hex;
using testing::to_hex;

DigestType digest_type(int value) {
  return value == 1 ? DigestType::kHmacSha1 : DigestType::kHmacMd5;
}

TEST(Md5, MatchesReference) {
  for (const auto& v : vectors::kMd5) {
    EXPECT_EQ(to_hex(md5(from_hex(v.data))), v.digest) << v.data;
  }
}

TEST(Hmac, MatchesReference) {
  for (const auto& v : vectors::kHmac) {
    EXPECT_EQ(to_hex(hmac(digest_type(v.type), from_hex(v.key), from_hex(v.data))), v.mac)
        << "type " << v.type << " key " << v.key;
  }
}

TEST(KeyDerivation, MatchesReference) {
  for (const auto& v : vectors::kKeys) {
    const Bytes secret = from_hex(v.secret);
    EXPECT_EQ(to_hex(hiding_key(ProtocolVersion::kV3, secret)), v.hiding_key_v3) << v.secret;
    EXPECT_EQ(to_hex(digest_key(secret)), v.digest_key) << v.secret;
    // RFC 2661 hides with the shared secret itself.
    EXPECT_EQ(to_hex(hiding_key(ProtocolVersion::kV2, secret)), v.secret);
  }
}

TEST(HideValue, MatchesReferenceAndUnhides) {
  for (const auto& v : vectors::kHide) {
    const Bytes key = from_hex(v.key);
    const Bytes random_vector = from_hex(v.random_vector);
    const Bytes hidden =
        hide_value(v.type, from_hex(v.value), key, random_vector, from_hex(v.padding));
    EXPECT_EQ(to_hex(hidden), v.hidden) << v.name;
    const auto plain = unhide_value(v.type, from_hex(v.hidden), key, random_vector);
    ASSERT_TRUE(plain.has_value()) << v.name;
    EXPECT_EQ(to_hex(*plain), v.value) << v.name;
  }
}

TEST(HideValue, AttributeTypeIsPartOfTheKeyStream) {
  const Bytes key = from_hex(vectors::kSecret);
  const Bytes random_vector = from_hex(vectors::kRandomVector);
  const Bytes value = from_hex("1234");
  EXPECT_NE(hide_value(14, value, key, random_vector), hide_value(9, value, key, random_vector));
  // Unhiding under the wrong type gives garbage, caught by the length check
  // or at least not the original value.
  const auto wrong = unhide_value(9, hide_value(14, value, key, random_vector), key, random_vector);
  EXPECT_TRUE(!wrong.has_value() || *wrong != value);
}

TEST(ChallengeResponse, MatchesReference) {
  for (const auto& v : vectors::kChallenge) {
    EXPECT_EQ(to_hex(challenge_response(v.type, from_hex(v.secret), from_hex(v.challenge))),
              v.response)
        << "type " << int{v.type};
  }
}

DigestContext context(DigestType type, std::string_view local_hex, std::string_view remote_hex) {
  DigestContext c;
  c.type = type;
  c.key = digest_key(from_hex(vectors::kSecret));
  c.local_nonce = from_hex(local_hex);
  c.remote_nonce = from_hex(remote_hex);
  return c;
}

const ControlPacket& as_control(const std::expected<Packet, WireError>& packet) {
  EXPECT_TRUE(packet.has_value());
  return std::get<ControlPacket>(*packet);
}

TEST(HiddenMessages, V2IcrqMatchesReference) {
  Message m;
  m.type = MessageType::kIcrq;
  m.assigned_session_id = 0x1234;
  m.call_serial_number = 7;
  m.called_number = "5551000";
  m.calling_number = "5552000";
  const Bytes secret = from_hex(vectors::kSecret);
  const Bytes random_vector = from_hex(vectors::kRandomVector);
  EncodeOptions options;
  options.hiding_key = secret;
  options.hide_sensitive = true;
  options.random_vector = random_vector;
  const Bytes datagram = frame_control({ProtocolVersion::kV2, 0x0101, 0, 1, 2},
                                       encode_message(m, options), Encapsulation::kUdp);
  EXPECT_EQ(to_hex(datagram), vectors::kV2HiddenIcrq);

  const Bytes reference = from_hex(vectors::kV2HiddenIcrq);
  const auto packet = parse_packet(reference, Encapsulation::kUdp);
  DecodeOptions decode_options;
  decode_options.hiding_key = secret;
  const auto decoded = decode_message(as_control(packet).avps, decode_options);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_TRUE(*decoded == m);
}

TEST(HiddenMessages, WithoutAKeyNothingIsHidden) {
  Message m;
  m.type = MessageType::kIcrq;
  m.assigned_session_id = 0x1234;
  EncodeOptions options;
  options.hide_sensitive = true;
  options.random_vector = from_hex(vectors::kRandomVector);
  EXPECT_EQ(to_hex(encode_message(m, options)),
            testing::hex("8008 0000 0000 000a  8008 0000 000e 1234"));
}

Message v3_hidden_icrq() {
  Message m;
  m.type = MessageType::kIcrq;
  m.call_serial_number = 9;
  m.local_session_id = 0xdeadbeef;
  m.remote_session_id = 0;
  m.assigned_cookie = from_hex("01020304");
  m.remote_end_id = from_hex("65746830");
  m.pseudowire_type = kPseudowirePpp;
  m.circuit_status = CircuitStatus{true, true};
  return m;
}

TEST(SignedMessages, V3HiddenIcrqMatchesReference) {
  const Message m = v3_hidden_icrq();
  const Bytes secret = from_hex(vectors::kSecret);
  const Bytes key = hiding_key(ProtocolVersion::kV3, secret);
  const Bytes random_vector = from_hex(vectors::kRandomVector);
  EncodeOptions options;
  options.version = ProtocolVersion::kV3;
  options.hiding_key = key;
  options.hide_sensitive = true;
  options.random_vector = random_vector;
  options.digest = DigestType::kHmacMd5;
  Bytes datagram = frame_control({ProtocolVersion::kV3, 0x01020304, 0, 3, 4},
                                 encode_message(m, options), Encapsulation::kUdp);
  EXPECT_EQ(to_hex(datagram), vectors::kV3HiddenIcrqUnsigned);

  const auto sender = context(DigestType::kHmacMd5, vectors::kLocalNonce, vectors::kRemoteNonce);
  sign_message(datagram, Encapsulation::kUdp, sender);
  EXPECT_EQ(to_hex(datagram), vectors::kV3HiddenIcrqSigned);

  const auto packet = parse_packet(datagram, Encapsulation::kUdp);
  const auto receiver = context(DigestType::kHmacMd5, vectors::kRemoteNonce, vectors::kLocalNonce);
  EXPECT_TRUE(verify_message(as_control(packet), receiver));
  // The receiver must reverse the nonces: the sender's own view does not verify.
  EXPECT_FALSE(verify_message(as_control(packet), sender));

  DecodeOptions decode_options;
  decode_options.version = ProtocolVersion::kV3;
  decode_options.hiding_key = key;
  auto decoded = decode_message(as_control(packet).avps, decode_options);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  ASSERT_EQ(decoded->digests.size(), 1u);
  EXPECT_EQ(decoded->digests[0].type, DigestType::kHmacMd5);
  EXPECT_EQ(to_hex(decoded->digests[0].digest),
            std::string(vectors::kV3HiddenIcrqSigned).substr(2 * (12 + 8 + 6 + 1), 32));
  decoded->digests.clear();
  EXPECT_TRUE(*decoded == m);
}

TEST(SignedMessages, V3SccrqOverIpWithSha1MatchesReference) {
  Message m;
  m.type = MessageType::kSccrq;
  m.host_name = "lac";
  m.router_id = 0x0a000001;
  m.assigned_connection_id = 0x11223344;
  m.pseudowire_capabilities = std::vector<std::uint16_t>{kPseudowireEthernet, kPseudowirePpp};
  m.nonce = from_hex(vectors::kLocalNonce);
  EncodeOptions options;
  options.version = ProtocolVersion::kV3;
  options.digest = DigestType::kHmacSha1;
  Bytes datagram = frame_control({ProtocolVersion::kV3, 0, 0, 0, 0}, encode_message(m, options),
                                 Encapsulation::kIp);
  EXPECT_EQ(to_hex(datagram), vectors::kV3SccrqOverIpUnsigned);

  // An SCCRQ's digest covers no nonces, whatever the context holds.
  sign_message(datagram, Encapsulation::kIp, context(DigestType::kHmacSha1, "", ""));
  EXPECT_EQ(to_hex(datagram), vectors::kV3SccrqOverIpSigned);
  const auto packet = parse_packet(datagram, Encapsulation::kIp);
  EXPECT_TRUE(verify_message(as_control(packet), context(DigestType::kHmacSha1, "", "")));
  EXPECT_TRUE(verify_message(as_control(packet),
                             context(DigestType::kHmacSha1, vectors::kRemoteNonce, "")));
}

TEST(SignedMessages, V3HelloMatchesReference) {
  Message m;
  m.type = MessageType::kHello;
  EncodeOptions options;
  options.version = ProtocolVersion::kV3;
  options.digest = DigestType::kHmacMd5;
  Bytes datagram = frame_control({ProtocolVersion::kV3, 0x63, 0, 7, 9}, encode_message(m, options),
                                 Encapsulation::kUdp);
  EXPECT_EQ(to_hex(datagram), vectors::kV3HelloUnsigned);
  sign_message(datagram, Encapsulation::kUdp,
               context(DigestType::kHmacMd5, vectors::kLocalNonce, vectors::kRemoteNonce));
  EXPECT_EQ(to_hex(datagram), vectors::kV3HelloSigned);
}

class Tampering : public ::testing::Test {
 protected:
  Bytes signed_hello = from_hex(vectors::kV3HelloSigned);
  DigestContext receiver =
      context(DigestType::kHmacMd5, vectors::kRemoteNonce, vectors::kLocalNonce);

  bool verifies(const Bytes& datagram, const DigestContext& c) {
    const auto packet = parse_packet(datagram, Encapsulation::kUdp);
    return packet.has_value() && verify_message(std::get<ControlPacket>(*packet), c);
  }
};

TEST_F(Tampering, UntouchedMessageVerifies) {
  EXPECT_TRUE(verifies(signed_hello, receiver));
}

TEST_F(Tampering, AnyChangedBitFails) {
  for (std::size_t at = 0; at < signed_hello.size(); ++at) {
    Bytes changed = signed_hello;
    changed[at] ^= 0x01;
    EXPECT_FALSE(verifies(changed, receiver)) << "byte " << at;
  }
}

TEST_F(Tampering, WrongKeyOrNoncesFail) {
  DigestContext wrong_key = receiver;
  wrong_key.key = digest_key(as_bytes("letmeout"));
  EXPECT_FALSE(verifies(signed_hello, wrong_key));
  DigestContext wrong_nonce = receiver;
  wrong_nonce.local_nonce.back() ^= 1;
  EXPECT_FALSE(verifies(signed_hello, wrong_nonce));
}

TEST_F(Tampering, MessagesWithoutDigestFail) {
  EXPECT_FALSE(verifies(from_hex("c803 0014 00000063 0007 0009 8008 0000 0000 0006"), receiver));
  EXPECT_FALSE(verifies(from_hex("c803 000c 00000063 0007 0009"), receiver));  // ZLB
}

TEST(SignedMessages, EitherOfTwoDigestsMayVerify) {
  // A key change in progress: an MD5 digest the receiver cannot check, then
  // an SHA-1 one it can. Both are zeroed for the calculation.
  Bytes datagram = from_hex(
      "c803 0046 00000063 0001 0002"
      "8008 0000 0000 0006"
      "8017 0000 003b 00 00000000000000000000000000000000"
      "801b 0000 003b 01 0000000000000000000000000000000000000000");
  const auto sender = context(DigestType::kHmacSha1, vectors::kLocalNonce, vectors::kRemoteNonce);
  sign_message(datagram, Encapsulation::kUdp, sender);
  // sign_message fills the digest of its own type; put junk in the other one.
  datagram[12 + 8 + 7] = 0x55;
  const auto receiver = context(DigestType::kHmacSha1, vectors::kRemoteNonce, vectors::kLocalNonce);
  const auto packet = parse_packet(datagram, Encapsulation::kUdp);
  EXPECT_TRUE(verify_message(as_control(packet), receiver));

  // With the good one broken, the junk one alone does not pass.
  datagram.back() ^= 0xff;
  const auto broken = parse_packet(datagram, Encapsulation::kUdp);
  EXPECT_FALSE(verify_message(as_control(broken), receiver));
}

TEST(SignedMessages, SigningShortOrOddDatagramsIsHarmless) {
  const auto c = context(DigestType::kHmacMd5, "", "");
  Bytes empty;
  sign_message(empty, Encapsulation::kUdp, c);
  EXPECT_TRUE(empty.empty());
  Bytes header_only = from_hex("c803 000c 00000001 0000 0000");
  sign_message(header_only, Encapsulation::kIp, c);
  Bytes overrun = from_hex("c803 0020 00000001 0000 0000 8008 0000 0000 0006 83ff");
  sign_message(overrun, Encapsulation::kUdp, c);
  EXPECT_EQ(to_hex(overrun), testing::hex("c803 0020 00000001 0000 0000 8008 0000 0000 0006 83ff"));
}

}  // namespace
}  // namespace l2tp::wire
