// Small helpers over the RandomSource port. Internal to the engine.
#pragma once

#include <cstdint>

#include "fsm/ports.h"
#include "wire/bytes.h"

namespace l2tp::fsm {

inline wire::Bytes random_bytes(RandomSource& random, std::size_t size) {
  wire::Bytes bytes(size);
  random.fill(bytes);
  return bytes;
}

inline std::uint64_t random_u64(RandomSource& random) {
  std::uint8_t bytes[8] = {};
  random.fill(bytes);
  std::uint64_t value = 0;
  for (std::uint8_t byte : bytes) value = (value << 8) | byte;
  return value;
}

}  // namespace l2tp::fsm
