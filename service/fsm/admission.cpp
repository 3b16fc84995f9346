#include "fsm/admission.h"

#include <algorithm>
#include <utility>

#include "fsm/engine.h"

namespace l2tp::fsm {

CallRateLimiter::CallRateLimiter(std::uint32_t per_second)
    : interval_(std::chrono::nanoseconds(std::chrono::seconds(1)) /
                std::max<std::uint32_t>(per_second, 1)),
      burst_(std::chrono::seconds(1) - interval_) {}

bool CallRateLimiter::admit(TimePoint now) {
  // The moment the bucket would be empty again if calls kept coming at the
  // rate; a call fits while that lies at most one second (less one call)
  // ahead.
  const TimePoint arrival = std::max(theoretical_arrival_.value_or(now), now);
  if (arrival - now > burst_) return false;
  theoretical_arrival_ = arrival + interval_;
  return true;
}

std::optional<std::uint64_t> RefusalLog::admit(RefusalKind kind, TimePoint now) {
  Window& window = windows_.at(static_cast<std::size_t>(kind));
  if (window.last_line && now - *window.last_line < std::chrono::seconds(1)) {
    ++window.unlogged;
    return std::nullopt;
  }
  window.last_line = now;
  return std::exchange(window.unlogged, 0);
}

std::size_t peer_tunnel_share(const EngineLimits& limits) {
  return limits.max_tunnels > limits.reserved_local_tunnels
             ? limits.max_tunnels - limits.reserved_local_tunnels
             : 0;
}

std::size_t listener_tunnel_limit(const ListenerConfig& config, const EngineLimits& limits) {
  if (config.max_tunnels) return *config.max_tunnels;
  return std::max<std::size_t>(limits.max_tunnels / 2, 1);
}

std::size_t listener_session_limit(const ListenerConfig& config, const EngineLimits& limits) {
  if (config.max_sessions) return *config.max_sessions;
  return std::max<std::size_t>(limits.max_sessions / 2, 1);
}

}  // namespace l2tp::fsm
