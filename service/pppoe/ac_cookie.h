// AC-Cookies (RFC 2516 section 5.2), stateless: the cookie of a PADO is the
// time it was made and an HMAC of that time, the host's MAC address and its
// Host-Uniq, under a secret of this process. A PADR is answered only when
// its cookie is one we made for that host within kLifetime: a flood of
// PADRs from forged addresses costs one HMAC each and holds no memory.
#pragma once

#include <cstdint>

#include "core/secret.h"
#include "core/timing.h"
#include "pppoe/discovery.h"

namespace l2tp::pppoe {

class CookieJar {
 public:
  // How long a host has from our PADO to its PADR (clients take well under
  // a second; rp-pppoe's PADR timeout is 5 s).
  static constexpr Duration kLifetime = std::chrono::seconds(60);
  static constexpr std::size_t kCookieSize = 4 + 16;  // time, truncated HMAC-SHA-256
  static constexpr std::size_t kSecretSize = 32;

  // `secret`: kSecretSize random bytes (the daemon draws them at start).
  explicit CookieJar(SecretBytes secret);

  Bytes issue(const MacAddress& host, ByteView host_uniq, TimePoint now) const;
  bool valid(ByteView cookie, const MacAddress& host, ByteView host_uniq, TimePoint now) const;

 private:
  Bytes sign(std::uint32_t stamp, const MacAddress& host, ByteView host_uniq) const;

  SecretBytes secret_;
};

// kSecretSize bytes from the system's random source (libcrypto's RAND_bytes).
SecretBytes random_cookie_secret();

}  // namespace l2tp::pppoe
