// The engine's randomness from the kernel (getrandom): tunnel and session ids,
// tie breakers, challenges, nonces and random vectors.
#pragma once

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

#include "fsm/ports.h"

namespace l2tp::daemon {

class SystemRandom final : public fsm::RandomSource {
 public:
  void fill(std::span<std::uint8_t> out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        // Without randomness every id and challenge would be predictable:
        // better to stop than to run insecurely.
        std::abort();
      }
      done += static_cast<std::size_t>(n);
    }
  }
};

}  // namespace l2tp::daemon
