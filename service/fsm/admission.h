// What peers may take of the engine: the call rate of a listener, the pure
// arithmetic of the defaults for the limits (engine.h, options.h), and how
// often refusals are logged. Internal to the engine.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

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

// Why a peer's tunnel or call was refused. Each kind has its own log budget.
enum class RefusalKind : std::uint8_t {
  kPeerTunnelShare,    // MaxTunnels less ReservedLocalTunnels
  kListenerTunnels,    // the listener's MaxTunnels
  kTunnelsPerPeer,     // the listener's MaxTunnelsPerPeer
  kHalfOpenPerPeer,    // MaxHalfOpenPerPeer
  kHalfOpenEvicted,    // MaxHalfOpen: the oldest half-open tunnel made room
  kNoTunnelId,         // every tunnel id in use
  kSessions,           // the daemon's MaxSessions
  kListenerSessions,   // the listener's MaxSessions
  kCallRate,           // the listener's MaxCallsPerSecond
  kOwner,              // the owner's limits (CallAdmission)
  kSessionsPerTunnel,  // EngineLimits::max_sessions_per_tunnel
  kNoSessionId,        // every session id in use
  kBadCall,            // an ICRQ/OCRQ that cannot be accepted as it is
  kCount
};
struct Refusal {
  RefusalKind kind;
  std::string reason;
};

// One log line a second per kind of refusal: the first at once, later ones
// counted and the count told with the next line of that kind.
class RefusalLog {
 public:
  // nullopt: counted, not to be logged now. Else log it, saying how many of
  // its kind went unlogged before it.
  std::optional<std::uint64_t> admit(RefusalKind kind, TimePoint now);

 private:
  struct Window {
    std::optional<TimePoint> last_line;
    std::uint64_t unlogged = 0;
  };
  std::array<Window, static_cast<std::size_t>(RefusalKind::kCount)> windows_;
};

// Tunnels peers may hold at listeners, half-open ones included.
std::size_t peer_tunnel_share(const EngineLimits& limits);
// A listener's own bounds, with the engine's defaults filled in.
std::size_t listener_tunnel_limit(const ListenerConfig& config, const EngineLimits& limits);
std::size_t listener_session_limit(const ListenerConfig& config, const EngineLimits& limits);

}  // namespace l2tp::fsm
