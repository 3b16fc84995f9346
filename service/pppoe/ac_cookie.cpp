#include "pppoe/ac_cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace l2tp::pppoe {

namespace {

constexpr std::size_t kHmacPart = CookieJar::kCookieSize - 4;

// Seconds on the steady clock, as the cookie carries them: wrapping at 2^32
// is harmless, as only differences of at most kLifetime are compared.
std::uint32_t stamp_of(TimePoint time) {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count());
}

}  // namespace

CookieJar::CookieJar(SecretBytes secret) : secret_(std::move(secret)) {
  if (secret_.size() < 16) throw std::invalid_argument("AC-Cookie secret shorter than 16 bytes");
}

Bytes CookieJar::sign(std::uint32_t stamp, const MacAddress& host, ByteView host_uniq) const {
  wire::ByteWriter input;
  input.u32(stamp);
  input.bytes(host);
  input.bytes(host_uniq);
  Bytes digest(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), input.data().data(),
            input.size(), digest.data(), &length) ||
      length < kHmacPart) {
    // No cookie at all is safer than a predictable one: valid() then fails.
    return {};
  }
  digest.resize(kHmacPart);
  return digest;
}

Bytes CookieJar::issue(const MacAddress& host, ByteView host_uniq, TimePoint now) const {
  const std::uint32_t stamp = stamp_of(now);
  wire::ByteWriter cookie;
  cookie.u32(stamp);
  cookie.bytes(sign(stamp, host, host_uniq));
  return cookie.take();
}

bool CookieJar::valid(ByteView cookie, const MacAddress& host, ByteView host_uniq,
                      TimePoint now) const {
  if (cookie.size() != kCookieSize) return false;
  wire::ByteReader reader(cookie);
  const std::uint32_t stamp = *reader.u32();
  const std::uint32_t age = stamp_of(now) - stamp;
  const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(kLifetime).count();
  if (age > static_cast<std::uint32_t>(lifetime)) return false;
  const Bytes expected = sign(stamp, host, host_uniq);
  return expected.size() == kHmacPart &&
         CRYPTO_memcmp(expected.data(), cookie.data() + 4, kHmacPart) == 0;
}

SecretBytes random_cookie_secret() {
  SecretBytes secret(CookieJar::kSecretSize);
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    throw std::runtime_error("no random bytes for the AC-Cookie secret");
  }
  return secret;
}

}  // namespace l2tp::pppoe
