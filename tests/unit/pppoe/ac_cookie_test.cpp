// Stateless AC-Cookies: a cookie is good for the host and Host-Uniq it was
// made for, for kLifetime, under the secret that made it; nothing else.
#include "pppoe/ac_cookie.h"

#include <gtest/gtest.h>

namespace l2tp::pppoe {
namespace {

using std::chrono::seconds;

SecretBytes secret_of(std::uint8_t fill) {
  return SecretBytes(CookieJar::kSecretSize, fill);
}

const MacAddress kHost = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
const MacAddress kOtherHost = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
const Bytes kHostUniq = {0xde, 0xad, 0xbe, 0xef};
const TimePoint kNow = TimePoint(seconds(1'000'000));

TEST(AcCookie, GoodForItsHostWithinItsLifetime) {
  const CookieJar jar(secret_of(7));
  const Bytes cookie = jar.issue(kHost, kHostUniq, kNow);
  EXPECT_EQ(cookie.size(), CookieJar::kCookieSize);
  EXPECT_TRUE(jar.valid(cookie, kHost, kHostUniq, kNow));
  EXPECT_TRUE(jar.valid(cookie, kHost, kHostUniq, kNow + CookieJar::kLifetime));
  EXPECT_FALSE(jar.valid(cookie, kHost, kHostUniq, kNow + CookieJar::kLifetime + seconds(1)));
  // Made "in the future" (a forged time): the age wraps and is refused.
  EXPECT_FALSE(jar.valid(cookie, kHost, kHostUniq, kNow - seconds(1)));
}

TEST(AcCookie, RefusedForAnotherHostHostUniqOrSecret) {
  const CookieJar jar(secret_of(7));
  const Bytes cookie = jar.issue(kHost, kHostUniq, kNow);
  EXPECT_FALSE(jar.valid(cookie, kOtherHost, kHostUniq, kNow));
  EXPECT_FALSE(jar.valid(cookie, kHost, Bytes{0xde, 0xad}, kNow));
  EXPECT_FALSE(jar.valid(cookie, kHost, {}, kNow));
  EXPECT_FALSE(CookieJar(secret_of(8)).valid(cookie, kHost, kHostUniq, kNow));
  // Without a Host-Uniq the cookie binds the host alone.
  const Bytes bare = jar.issue(kHost, {}, kNow);
  EXPECT_TRUE(jar.valid(bare, kHost, {}, kNow));
  EXPECT_FALSE(jar.valid(bare, kHost, kHostUniq, kNow));
}

TEST(AcCookie, EveryAlteredByteAndLengthIsRefused) {
  const CookieJar jar(secret_of(7));
  const Bytes cookie = jar.issue(kHost, kHostUniq, kNow);
  for (std::size_t i = 0; i < cookie.size(); ++i) {
    Bytes altered = cookie;
    altered[i] ^= 0x01;
    EXPECT_FALSE(jar.valid(altered, kHost, kHostUniq, kNow)) << "byte " << i;
  }
  for (std::size_t size : {std::size_t{0}, std::size_t{4}, cookie.size() - 1}) {
    EXPECT_FALSE(jar.valid(wire::ByteView(cookie).first(size), kHost, kHostUniq, kNow)) << size;
  }
  Bytes longer = cookie;
  longer.push_back(0);
  EXPECT_FALSE(jar.valid(longer, kHost, kHostUniq, kNow));
}

TEST(AcCookie, SecretsAreRandomAndLongEnough) {
  const SecretBytes first = random_cookie_secret();
  const SecretBytes second = random_cookie_secret();
  EXPECT_EQ(first.size(), CookieJar::kSecretSize);
  EXPECT_NE(first, second);
  EXPECT_THROW(CookieJar(SecretBytes(15, 1)), std::invalid_argument);
}

}  // namespace
}  // namespace l2tp::pppoe
