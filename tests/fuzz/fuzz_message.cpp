// libFuzzer target for the codec's round-trip property: any AVP list that
// decodes re-encodes (with or without hiding and a digest) to bytes that
// decode to the same Message. A difference is a bug and aborts.
//
// Input: byte 0 selects options, the rest is an AVP list (a control body).
//   bit 0     protocol version: 0 v2, 1 v3
//   bit 1     hiding key from the secret "letmein" (v2: itself, v3: HMAC_MD5(secret, 1))
//   bit 2     re-encode with the sensitive AVPs hidden (needs bit 1)
//   bits 3-4  re-encode with a Message Digest: 0 none, 1 HMAC-MD5, 2 HMAC-SHA-1, 3 none
// tests/fuzz/make_seeds.py writes seeds in this format.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wire/message.h"
#include "wire/security.h"

namespace {

using namespace l2tp::wire;

// What a round trip cannot carry: digests are made by EncodeOptions, and
// unrecognised AVPs are reported, not kept.
void forget_unkept(Message& m) {
  m.digests.clear();
  m.unknown_mandatory_attribute.reset();
  m.unknown_mandatory_vendor.reset();
}

// A hidden AVP spends two bytes of its 1017 on the original length, so a
// value longer than 1015 bytes cannot be hidden (the encoder would clamp it).
bool fits_when_hidden(const Message& m) {
  constexpr std::size_t kLimit = kMaxAvpLength - kAvpHeaderSize - 2;
  auto fits = [](const auto& field) { return !field || field->size() <= kLimit; };
  return fits(m.called_number) && fits(m.calling_number) && fits(m.sub_address) &&
         fits(m.proxy_authen_name) && fits(m.proxy_authen_challenge) &&
         fits(m.proxy_authen_response) && fits(m.private_group_id);
}

[[noreturn]] void property_violated() {
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const ByteView avps(data + 1, size - 1);
  const ProtocolVersion version = (flags & 1) ? ProtocolVersion::kV3 : ProtocolVersion::kV2;
  const Bytes key = (flags & 2) ? hiding_key(version, as_bytes("letmein")) : Bytes{};

  DecodeOptions decode_options;
  decode_options.version = version;
  decode_options.hiding_key = key;
  auto first = decode_message(avps, decode_options);
  if (!first) return 0;
  (void)has_required_avps(*first, version);
  forget_unkept(*first);

  static constexpr std::uint8_t kRandomVector[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                                     0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab,
                                                     0xac, 0xad, 0xae, 0xaf};
  EncodeOptions encode_options;
  encode_options.version = version;
  encode_options.hiding_key = key;
  encode_options.hide_sensitive = (flags & 4) && fits_when_hidden(*first);
  encode_options.random_vector = kRandomVector;
  switch ((flags >> 3) & 3) {
    case 1:
      encode_options.digest = DigestType::kHmacMd5;
      break;
    case 2:
      encode_options.digest = DigestType::kHmacSha1;
      break;
    default:
      break;
  }
  const Bytes encoded = encode_message(*first, encode_options);

  auto second = decode_message(encoded, decode_options);
  if (!second) property_violated();
  forget_unkept(*second);
  if (!(*first == *second)) property_violated();

  // Encoding is deterministic: the same Message gives the same bytes.
  if (encode_message(*second, encode_options) != encoded) property_violated();
  return 0;
}
