// Who may do what (dbus-api.md, "Authorization"): uid 0 never asks polkit,
// owners close their own objects without asking, everything else asks polkit
// for one action, honouring the caller's allow-interactive flag.
#pragma once

#include <sdbus-c++/Error.h>

#include <cstdint>
#include <functional>
#include <optional>

#include "authz/authority.h"
#include "dbus/caller.h"

namespace l2tp::dbus {

enum class Operation : std::uint8_t {
  kCreateTunnel,
  kListen,
  kCreateSession,
  kCloseTunnel,
  kCloseSession,
  kCloseListener,
};

const char* to_string(Operation operation);

// The polkit action to ask for, or nullptr when the caller may go ahead.
// `caller_owns` says whether the caller's uid owns the object acted on (the
// tunnel for CreateSession; the tunnel or session for the Close calls).
const char* polkit_action(Operation operation, uid_t caller_uid, bool caller_owns);

class Authorizer {
 public:
  explicit Authorizer(authz::Authority& authority) : authority_(authority) {}

  // `done(nullopt)` when allowed, else the error to reply with. Runs `done`
  // at once when polkit need not be asked, later (from the loop) otherwise.
  using Done = std::function<void(std::optional<sdbus::Error>)>;
  void authorize(const Caller& caller, Operation operation, bool caller_owns, Done done);

 private:
  authz::Authority& authority_;
};

}  // namespace l2tp::dbus
