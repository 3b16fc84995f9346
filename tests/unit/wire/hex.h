// Hex helpers for the wire tests: vectors are written as spaced hex so each
// AVP can sit on its own line next to the RFC field it encodes.
#pragma once

#include <string>
#include <string_view>

#include "wire/bytes.h"

namespace l2tp::wire::testing {

// Reads hex digits, skipping spaces and newlines. Test input only.
inline Bytes from_hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  int high = -1;
  for (char c : text) {
    const int value = nibble(c);
    if (value < 0) continue;
    if (high < 0) {
      high = value;
    } else {
      out.push_back(static_cast<std::uint8_t>((high << 4) | value));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0F];
  }
  return out;
}

// The canonical form of a spaced vector, for readable EXPECT_EQ failures.
inline std::string hex(std::string_view spaced) {
  return to_hex(from_hex(spaced));
}

}  // namespace l2tp::wire::testing
