// Encoder rules that the byte-exact vectors do not show on their own:
// which AVPs get hidden, version filtering, clamping and digest placement.
#include <gtest/gtest.h>

#include <set>

#include "hex.h"
#include "wire/message.h"

namespace l2tp::wire {
namespace {

using testing::from_hex;
using testing::to_hex;

const Bytes kKey = from_hex("6c65746d65696e");
const Bytes kRandomVector = from_hex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");

EncodeOptions hiding(ProtocolVersion version) {
  EncodeOptions options;
  options.version = version;
  options.hiding_key = kKey;
  options.hide_sensitive = true;
  options.random_vector = kRandomVector;
  return options;
}

std::vector<RawAvp> split(const Bytes& avps) {
  auto result = split_avps(avps);
  EXPECT_TRUE(result.has_value());
  return result.value_or(std::vector<RawAvp>{});
}

std::set<std::uint16_t> hidden_types(const std::vector<RawAvp>& avps) {
  std::set<std::uint16_t> types;
  for (const RawAvp& avp : avps) {
    if (avp.hidden) types.insert(avp.attribute_type);
  }
  return types;
}

TEST(EncodeHiding, V2SensitiveAvpsAreHiddenAfterOneRandomVector) {
  Message m;
  m.type = MessageType::kIccn;
  m.assigned_tunnel_id = 1;
  m.assigned_session_id = 2;
  m.host_name = "not sensitive";
  m.called_number = "1";
  m.calling_number = "2";
  m.sub_address = "3";
  m.framing_type = 1;
  m.proxy_authen_name = "alice";
  m.proxy_authen_challenge = from_hex("01");
  m.proxy_authen_id = 7;
  m.proxy_authen_response = from_hex("02");
  m.private_group_id = from_hex("03");
  const Bytes encoded = encode_message(m, hiding(ProtocolVersion::kV2));
  const auto avps = split(encoded);
  EXPECT_EQ(hidden_types(avps), (std::set<std::uint16_t>{9, 14, 21, 22, 23, 30, 31, 32, 33, 37}));

  // Message Type, Host Name (7), then the Random Vector right before the
  // first hidden AVP (9), and no second one.
  ASSERT_GE(avps.size(), 4u);
  EXPECT_EQ(avps[0].attribute_type, 0u);
  EXPECT_EQ(avps[1].attribute_type, 7u);
  EXPECT_EQ(avps[2].attribute_type, 36u);
  EXPECT_TRUE(avps[2].mandatory);
  EXPECT_FALSE(avps[2].hidden);
  EXPECT_EQ(to_hex(avps[2].value), to_hex(kRandomVector));
  EXPECT_EQ(avps[3].attribute_type, 9u);
  int random_vectors = 0;
  for (const RawAvp& avp : avps) random_vectors += avp.attribute_type == 36;
  EXPECT_EQ(random_vectors, 1);

  DecodeOptions decode_options;
  decode_options.hiding_key = kKey;
  const auto decoded = decode_message(encoded, decode_options);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_TRUE(*decoded == m);
}

TEST(EncodeHiding, V3SensitiveAvpsAreHidden) {
  Message m;
  m.type = MessageType::kIcrq;
  m.assigned_connection_id = 5;
  m.local_session_id = 6;
  m.remote_session_id = 7;
  m.assigned_cookie = from_hex("0102030405060708");
  m.pseudowire_type = kPseudowireEthernet;
  m.remote_end_id = from_hex("6574");
  const Bytes encoded = encode_message(m, hiding(ProtocolVersion::kV3));
  EXPECT_EQ(hidden_types(split(encoded)), (std::set<std::uint16_t>{61, 63, 64, 65}));
  DecodeOptions decode_options;
  decode_options.version = ProtocolVersion::kV3;
  decode_options.hiding_key = kKey;
  const auto decoded = decode_message(encoded, decode_options);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_TRUE(*decoded == m);
}

TEST(EncodeHiding, NothingIsHiddenWithoutAKeyOrWithoutTheOption) {
  Message m;
  m.type = MessageType::kIcrq;
  m.assigned_session_id = 0x1234;
  EncodeOptions no_key = hiding(ProtocolVersion::kV2);
  no_key.hiding_key = {};
  EncodeOptions not_asked = hiding(ProtocolVersion::kV2);
  not_asked.hide_sensitive = false;
  for (const EncodeOptions& options : {no_key, not_asked}) {
    EXPECT_EQ(to_hex(encode_message(m, options)),
              testing::hex("8008 0000 0000 000a 8008 0000 000e 1234"));
  }
}

TEST(EncodeVersions, FieldsOfTheOtherVersionAreLeftOut) {
  Message m;
  m.type = MessageType::kIcrq;
  m.assigned_session_id = 1;  // v2
  m.local_session_id = 2;     // v3
  m.accm = Accm{1, 2};        // v2
  m.pseudowire_type = 5;      // v3
  EncodeOptions v2;
  EXPECT_EQ(to_hex(encode_message(m, v2)), testing::hex("8008 0000 0000 000a  8008 0000 000e 0001"
                                                        "8010 0000 0023 0000 00000001 00000002"));
  EncodeOptions v3;
  v3.version = ProtocolVersion::kV3;
  EXPECT_EQ(to_hex(encode_message(m, v3)),
            testing::hex("8008 0000 0000 000a  800a 0000 003f 00000002  8008 0000 0044 0005"));
}

TEST(EncodeVersions, ConnectSpeedsUseThirtyTwoBitsInV2And64InV3) {
  Message m;
  m.type = MessageType::kIccn;
  m.tx_connect_speed = 0x1'0000'0000;  // does not fit in 32 bits
  EncodeOptions v2;
  EXPECT_EQ(to_hex(encode_message(m, v2)),
            testing::hex("8008 0000 0000 000c  800a 0000 0018 ffffffff"));
  EncodeOptions v3;
  v3.version = ProtocolVersion::kV3;
  EXPECT_EQ(to_hex(encode_message(m, v3)),
            testing::hex("8008 0000 0000 000c  000e 0000 004a 0000000100000000"));
}

TEST(EncodeDigest, PlaceholderFollowsMessageTypeInV3Only) {
  Message m;
  m.type = MessageType::kHello;
  EncodeOptions v3;
  v3.version = ProtocolVersion::kV3;
  v3.digest = DigestType::kHmacSha1;
  EXPECT_EQ(to_hex(encode_message(m, v3)),
            testing::hex(
                "8008 0000 0000 0006  801b 0000 003b 01 0000000000000000000000000000000000000000"));
  EncodeOptions v2;
  v2.digest = DigestType::kHmacMd5;
  EXPECT_EQ(to_hex(encode_message(m, v2)), testing::hex("8008 0000 0000 0006"));
}

TEST(EncodeDigest, DigestComesBeforeTheRandomVector) {
  Message m;
  m.type = MessageType::kCdn;
  m.local_session_id = 1;
  EncodeOptions options = hiding(ProtocolVersion::kV3);
  options.digest = DigestType::kHmacMd5;
  const auto avps = split(encode_message(m, options));
  ASSERT_EQ(avps.size(), 4u);
  EXPECT_EQ(avps[1].attribute_type, 59u);
  EXPECT_EQ(avps[2].attribute_type, 36u);
  EXPECT_TRUE(avps[3].hidden);
}

TEST(EncodeClamping, OverlongValuesStayWellFormed) {
  Message m;
  m.type = MessageType::kSccrq;
  m.host_name = std::string(5000, 'h');
  m.pseudowire_capabilities = std::vector<std::uint16_t>(600, kPseudowirePpp);
  m.calling_number = std::string(1017, 'c');  // ICRQ field, only here to be hidden
  const Bytes encoded = encode_message(m, hiding(ProtocolVersion::kV3));
  const auto avps = split(encoded);
  for (const RawAvp& avp : avps) EXPECT_LE(avp.value.size(), kMaxAvpLength - kAvpHeaderSize);
  DecodeOptions decode_options;
  decode_options.version = ProtocolVersion::kV3;
  decode_options.hiding_key = kKey;
  const auto decoded = decode_message(encoded, decode_options);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_EQ(decoded->host_name->size(), 1017u);
  EXPECT_EQ(decoded->pseudowire_capabilities->size(), 508u);

  const Bytes v2 = encode_message(m, hiding(ProtocolVersion::kV2));
  DecodeOptions v2_options;
  v2_options.hiding_key = kKey;
  const auto v2_decoded = decode_message(v2, v2_options);
  ASSERT_TRUE(v2_decoded.has_value()) << to_string(v2_decoded.error());
  EXPECT_EQ(v2_decoded->calling_number->size(), 1015u);  // hidden: two bytes for the length
}

}  // namespace
}  // namespace l2tp::wire
