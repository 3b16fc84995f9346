// Asks polkit (org.freedesktop.PolicyKit1.Authority.CheckAuthorization) whether
// the sender of a D-Bus call may perform an action. Asynchronous: the daemon
// never blocks on polkit, and a polkit that never answers stalls only the
// call that waits for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace sdbus {
class IConnection;
}

namespace l2tp::authz {

inline constexpr const char* kActionCreateTunnel = "org.l2tpbus1.create-tunnel";
inline constexpr const char* kActionManageTunnels = "org.l2tpbus1.manage-tunnels";
inline constexpr const char* kActionListen = "org.l2tpbus1.listen";
inline constexpr const char* kActionConfigure = "org.l2tpbus1.configure";

enum class Decision {
  kAllowed,
  kDenied,
  kInteractionRequired,  // polkit would ask, but the caller did not allow interaction
  kFailed,               // polkit unreachable, timed out, or answered nonsense
};

struct Verdict {
  Decision decision = Decision::kFailed;
  std::string message;  // for kFailed: what went wrong, for a person to act on
};

// How long one check may wait for polkit. Interactive authentication waits
// for a person typing a password, so that is generous; without interaction
// polkit answers from its rules at once, so a check that waits long is stuck
// and must not hold a pending reply on the daemon's connection for minutes.
struct CheckTimeouts {
  std::chrono::milliseconds interactive = std::chrono::minutes(5);
  std::chrono::milliseconds non_interactive = std::chrono::seconds(15);
};

// Names one check, for cancel().
using CheckId = std::uint64_t;

class Authority {
 public:
  // `bus` is the connection the daemon serves on (polkit lives on the same bus).
  // It must outlive the Authority. Destroying the Authority drops the checks
  // still waiting: their callbacks never run. Do not destroy it from inside
  // one of its own callbacks.
  static std::unique_ptr<Authority> create(sdbus::IConnection& bus, CheckTimeouts timeouts = {});
  virtual ~Authority() = default;

  // Subject: ("system-bus-name", {"name": sender}). The callback runs from the
  // bus's event processing, never from inside check(). check() queues a call
  // with a deadline on `bus`, so whatever drives `bus` must take its poll data
  // (events, timeout) afresh before it next sleeps. Each check carries its
  // own cancellation id, so polkit can drop it (and its authentication
  // dialog) when cancel() is called.
  virtual CheckId check(const std::string& sender, const std::string& action_id,
                        bool allow_interaction, std::function<void(Verdict)> done) = 0;
  // For a caller that left the bus: polkit is told to drop the check
  // (CancelCheckAuthorization) and its `done` never runs. Ids that are
  // unknown or already answered are ignored.
  virtual void cancel(CheckId id) = 0;
};

}  // namespace l2tp::authz
