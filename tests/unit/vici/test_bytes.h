// Byte strings written as in the VICI README's examples: small integers and
// characters, one per byte.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "vici/message.h"

namespace l2tp::vici::testing {

using Bytes = Blob;  // what the codec produces, wiped when freed

inline Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int value : values) out.push_back(static_cast<std::uint8_t>(value));
  return out;
}

}  // namespace l2tp::vici::testing
