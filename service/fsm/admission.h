// What peers may take of the engine: the call rate of a listener, and the
// pure arithmetic of the defaults for the limits (engine.h, options.h).
// Internal to the engine.
#pragma once

#include <cstdint>
#include <optional>

#include "core/timing.h"

namespace l2tp::fsm {

struct EngineLimits;
struct ListenerConfig;

// `per_second` calls a second and as many at once (GCRA, the token bucket
// without a timer): a burst of ICRQs after an outage gets through at that
// pace, a flood cannot start pppds faster.
class CallRateLimiter {
 public:
  explicit CallRateLimiter(std::uint32_t per_second);
  bool admit(TimePoint now);  // true: counted; false: over the rate, not counted

 private:
  std::chrono::nanoseconds interval_;
  std::chrono::nanoseconds burst_;
  std::optional<TimePoint> theoretical_arrival_;
};

// Tunnels peers may hold at listeners, half-open ones included.
std::size_t peer_tunnel_share(const EngineLimits& limits);
// A listener's own bounds, with the engine's defaults filled in.
std::size_t listener_tunnel_limit(const ListenerConfig& config, const EngineLimits& limits);
std::size_t listener_session_limit(const ListenerConfig& config, const EngineLimits& limits);

}  // namespace l2tp::fsm
