// Following the daemon's signals: `monitor`, and `--wait` after a call.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bus/bus_connection.h"
#include "lib/monitor_events.h"

namespace l2tp::ctl {

// Subscribes to everything l2tpbusd signals below /org/l2tpbus1 and hands
// each change over as a BusEvent. Subscribe before a call, so that nothing
// the call causes is missed.
void follow_events(BusConnection& bus, std::function<void(const BusEvent&)> on_event);

// Waits until each object in `paths` is established, or one fails (State
// closed, or gone), or `timeout` passes. `events` must have been recording
// since before the call that made them. Throws CtlError (kFailure with the
// LastResult, kTimeout) when they do not come up.
class StateTracker {
 public:
  void record(const BusEvent& event);
  void wait_established(BusConnection& bus, const std::vector<std::string>& paths,
                        std::chrono::seconds timeout);

 private:
  struct Seen {
    std::string state;
    nlohmann::json last_result;
    bool removed = false;
  };
  std::map<std::string, Seen> seen_;
};

// SIGINT and SIGTERM interrupt waiting on the bus rather than end the
// process, so that monitor and --wait end cleanly.
void interrupt_waits_on_signals();

}  // namespace l2tp::ctl
