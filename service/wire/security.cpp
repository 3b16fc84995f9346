#include "wire/security.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <initializer_list>
#include <memory>

namespace l2tp::wire {
namespace {

constexpr std::size_t kMd5Size = 16;
constexpr std::size_t kHidingBlock = kMd5Size;

struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// MD5 over several pieces without first copying them together.
Bytes md5_of(std::initializer_list<ByteView> pieces) {
  std::unique_ptr<EVP_MD_CTX, MdContextDeleter> context(EVP_MD_CTX_new());
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  bool ok = context && EVP_DigestInit_ex(context.get(), EVP_md5(), nullptr) == 1;
  for (ByteView piece : pieces) {
    ok = ok && EVP_DigestUpdate(context.get(), piece.data(), piece.size()) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(context.get(), out.data(), &length) == 1;
  // Only allocation failure gets here; an all-zero hash then fails every check.
  out.resize(ok ? length : kMd5Size, 0);
  return out;
}

const EVP_MD* digest_algorithm(DigestType type) {
  return type == DigestType::kHmacSha1 ? EVP_sha1() : EVP_md5();
}

std::size_t digest_size(DigestType type) {
  return type == DigestType::kHmacSha1 ? 20 : 16;
}

Bytes concat(std::initializer_list<ByteView> pieces) {
  Bytes out;
  for (ByteView piece : pieces) out.insert(out.end(), piece.begin(), piece.end());
  return out;
}

Bytes attribute_type_bytes(std::uint16_t attribute_type) {
  return {static_cast<std::uint8_t>(attribute_type >> 8),
          static_cast<std::uint8_t>(attribute_type)};
}

// RFC 2661 §4.3 / RFC 3931 §5.3: b1 = MD5(type + key + RV), b(i) = MD5(key +
// c(i-1)). XOR is its own inverse, so hiding and unhiding differ only in
// which side of the XOR feeds the next block.
enum class Direction { kHide, kUnhide };
Bytes md5_chain_xor(std::uint16_t attribute_type, ByteView input, ByteView key,
                    ByteView random_vector, Direction direction) {
  Bytes output(input.begin(), input.end());
  const Bytes type_bytes = attribute_type_bytes(attribute_type);
  Bytes block_hash = md5_of({type_bytes, key, random_vector});
  for (std::size_t start = 0; start < output.size(); start += kHidingBlock) {
    const std::size_t block = std::min(kHidingBlock, output.size() - start);
    for (std::size_t i = 0; i < block; ++i) output[start + i] ^= block_hash[i];
    const ByteView ciphertext = direction == Direction::kHide
                                    ? ByteView(output).subspan(start, block)
                                    : input.subspan(start, block);
    block_hash = md5_of({key, ciphertext});
  }
  return output;
}

struct DigestAvp {
  std::size_t value_offset = 0;  // inside the control message (from the T bit)
  std::size_t value_size = 0;    // type octet included
};

// The Message Digest AVPs (at most two, RFC 3931 §5.4.1) of a control
// message, and whether it is an SCCRQ, whose digest covers no nonces.
struct DigestLayout {
  std::vector<DigestAvp> digests;
  bool is_sccrq = false;
};

DigestLayout find_digests(ByteView message) {
  DigestLayout layout;
  if (message.size() < kControlHeaderSize) return layout;
  const auto avps = split_avps(message.subspan(kControlHeaderSize));
  if (!avps || avps->empty()) return layout;
  const RawAvp& first = avps->front();
  layout.is_sccrq = first.vendor_id == 0 && first.attribute_type == 0 && first.value.size() == 2 &&
                    first.value[0] == 0 &&
                    first.value[1] == static_cast<std::uint8_t>(MessageType::kSccrq);
  for (const RawAvp& avp : *avps) {
    if (layout.digests.size() == 2) break;
    if (avp.vendor_id != 0 || avp.hidden ||
        avp.attribute_type != static_cast<std::uint16_t>(AttributeType::kMessageDigest) ||
        avp.value.empty()) {
      continue;
    }
    layout.digests.push_back({kControlHeaderSize + avp.offset + kAvpHeaderSize, avp.value.size()});
  }
  return layout;
}

void zero_digests(std::span<std::uint8_t> message, const DigestLayout& layout) {
  for (const DigestAvp& digest : layout.digests) {
    std::fill_n(message.begin() + static_cast<std::ptrdiff_t>(digest.value_offset + 1),
                digest.value_size - 1, 0);
  }
}

}  // namespace

Bytes md5(ByteView data) {
  return md5_of({data});
}

Bytes hmac(DigestType type, ByteView key, ByteView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  // OpenSSL reads a null key as "keep the previous key"; an empty secret is a
  // real (if weak) key, so point at something even when it has no bytes.
  static constexpr std::uint8_t kNoKey = 0;
  const void* key_bytes = key.empty() ? &kNoKey : key.data();
  if (!HMAC(digest_algorithm(type), key_bytes, static_cast<int>(key.size()), data.data(),
            data.size(), out.data(), &length)) {
    length = 0;
  }
  out.resize(length ? length : digest_size(type), 0);
  return out;
}

Bytes hiding_key(ProtocolVersion version, ByteView secret) {
  if (version == ProtocolVersion::kV2) return Bytes(secret.begin(), secret.end());
  static constexpr std::uint8_t kHidingLabel[] = {0x01};
  return hmac(DigestType::kHmacMd5, secret, kHidingLabel);
}

Bytes digest_key(ByteView secret) {
  static constexpr std::uint8_t kDigestLabel[] = {0x02};
  return hmac(DigestType::kHmacMd5, secret, kDigestLabel);
}

Bytes hide_value(std::uint16_t attribute_type, ByteView value, ByteView key, ByteView random_vector,
                 ByteView padding) {
  ByteWriter subformat;
  subformat.u16(static_cast<std::uint16_t>(value.size()));
  subformat.bytes(value);
  subformat.bytes(padding);
  return md5_chain_xor(attribute_type, subformat.data(), key, random_vector, Direction::kHide);
}

std::expected<Bytes, WireError> unhide_value(std::uint16_t attribute_type, ByteView hidden,
                                             ByteView key, ByteView random_vector) {
  if (hidden.size() < 2) return std::unexpected(WireError::kHiddenLengthMismatch);
  const Bytes subformat =
      md5_chain_xor(attribute_type, hidden, key, random_vector, Direction::kUnhide);
  // The prefix is attacker-controlled until checked: compare it with what is
  // really there, in size_t, so 0xFFFF cannot wrap or reach past the buffer.
  const std::size_t original_length = (std::size_t{subformat[0]} << 8) | subformat[1];
  if (original_length > subformat.size() - 2) {
    return std::unexpected(WireError::kHiddenLengthMismatch);
  }
  return Bytes(subformat.begin() + 2,
               subformat.begin() + 2 + static_cast<std::ptrdiff_t>(original_length));
}

Bytes challenge_response(std::uint8_t message_type, ByteView secret, ByteView challenge) {
  const std::uint8_t id[] = {message_type};
  return md5_of({id, secret, challenge});
}

void sign_message(Bytes& datagram, Encapsulation encapsulation, const DigestContext& context) {
  const std::size_t start = message_offset(encapsulation);
  if (datagram.size() < start + kControlHeaderSize) return;
  const std::size_t declared = (std::size_t{datagram[start + 2]} << 8) | datagram[start + 3];
  const std::span<std::uint8_t> message =
      std::span(datagram).subspan(start, std::min(declared, datagram.size() - start));

  const DigestLayout layout = find_digests(message);
  zero_digests(message, layout);
  for (const DigestAvp& digest : layout.digests) {
    const auto declared_type = static_cast<DigestType>(message[digest.value_offset]);
    if (declared_type != context.type || digest.value_size - 1 != digest_size(context.type)) {
      continue;
    }
    const Bytes signed_part = layout.is_sccrq
                                  ? Bytes(message.begin(), message.end())
                                  : concat({context.local_nonce, context.remote_nonce, message});
    const Bytes value = hmac(context.type, context.key, signed_part);
    std::copy(value.begin(), value.end(),
              message.begin() + static_cast<std::ptrdiff_t>(digest.value_offset + 1));
    return;
  }
}

bool verify_message(const ControlPacket& packet, const DigestContext& context) {
  const DigestLayout layout = find_digests(packet.message);
  if (layout.digests.empty()) return false;

  Bytes zeroed(packet.message.begin(), packet.message.end());
  zero_digests(zeroed, layout);
  // The sender put its own nonce first; seen from here that is the remote one.
  const Bytes signed_part =
      layout.is_sccrq ? zeroed : concat({context.remote_nonce, context.local_nonce, zeroed});
  for (const DigestAvp& digest : layout.digests) {
    const std::uint8_t type_octet = packet.message[digest.value_offset];
    if (type_octet > static_cast<std::uint8_t>(DigestType::kHmacSha1)) continue;
    // Each AVP names its own algorithm (two may differ during a switchover).
    const auto type = static_cast<DigestType>(type_octet);
    if (digest.value_size - 1 != digest_size(type)) continue;
    const Bytes expected = hmac(type, context.key, signed_part);
    const std::uint8_t* received = packet.message.data() + digest.value_offset + 1;
    if (CRYPTO_memcmp(expected.data(), received, expected.size()) == 0) return true;
  }
  return false;
}

}  // namespace l2tp::wire
