// Deterministic "randomness" for tests: a seeded generator behind the port.
#pragma once

#include <random>

#include "fsm/ports.h"

namespace l2tp::testing {

class FakeRandom final : public fsm::RandomSource {
 public:
  explicit FakeRandom(std::uint32_t seed = 1) : rng_(seed) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(rng_());
  }

 private:
  std::mt19937 rng_;
};

}  // namespace l2tp::testing
