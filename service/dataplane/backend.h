// A data plane as the daemon holds it: the engine's DataPlane port, what it
// can carry (so calls it cannot serve are refused up front, naming what to
// install), and what an earlier run left in the kernel. service/main.cpp
// chooses one (backends.h); tests give the daemon a fake.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/data_plane.h"
#include "kernel/l2tp_messages.h"

namespace l2tp::dataplane {

// The static tunnels and sessions the config files create (they always name
// their ids).
struct StaticObjects {
  std::set<std::uint32_t> tunnels;
  std::set<std::pair<std::uint32_t, std::uint32_t>> sessions;
};

class DataPlaneBackend {
 public:
  virtual ~DataPlaneBackend() = default;

  virtual DataPlane& port() = 0;
  // Manager.DataPlane: "kernel", "null" or "unavailable".
  virtual std::string name() const = 0;
  // Why it carries nothing at all (static and quiescent tunnels and sessions
  // are then refused with it), or nullopt.
  virtual std::optional<std::string> unavailable() const = 0;
  // Why sessions of `pseudowire` cannot be carried, or nullopt.
  virtual std::optional<std::string> refuse(Pseudowire pseudowire) const = 0;
  // Once the daemon is the one instance serving (its first loop turn, after
  // the config files were applied): what an earlier run left and the files
  // no longer create goes, with that run's pppd.
  virtual void reconcile(const StaticObjects& configured) { static_cast<void>(configured); }
  // The kernel's counters of a session; nullopt when it has none.
  virtual std::optional<kernel::SessionCounters> session_counters(std::uint32_t tunnel_id,
                                                                  std::uint32_t session_id) const {
    static_cast<void>(tunnel_id);
    static_cast<void>(session_id);
    return std::nullopt;
  }
};

}  // namespace l2tp::dataplane
