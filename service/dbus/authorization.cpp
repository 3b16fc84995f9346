#include "dbus/authorization.h"

#include <utility>

#include "dbus/errors.h"

namespace l2tp::dbus {

const char* to_string(Operation operation) {
  switch (operation) {
    case Operation::kCreateTunnel:
      return "CreateTunnel";
    case Operation::kListen:
      return "Listen";
    case Operation::kCreateSession:
      return "CreateSession";
    case Operation::kCloseTunnel:
      return "Tunnel.Close";
    case Operation::kCloseSession:
      return "Session.Close";
    case Operation::kCloseListener:
      return "Listener.Close";
  }
  return "call";
}

const char* polkit_action(Operation operation, uid_t caller_uid, bool caller_owns) {
  if (caller_uid == 0) return nullptr;
  switch (operation) {
    case Operation::kCreateTunnel:
      return authz::kActionCreateTunnel;
    case Operation::kListen:
    case Operation::kCloseListener:
      return authz::kActionListen;
    case Operation::kCreateSession:
      return caller_owns ? authz::kActionCreateTunnel : authz::kActionManageTunnels;
    case Operation::kCloseTunnel:
    case Operation::kCloseSession:
      return caller_owns ? nullptr : authz::kActionManageTunnels;
  }
  return authz::kActionManageTunnels;
}

void Authorizer::authorize(const Caller& caller, Operation operation, bool caller_owns, Done done) {
  const char* action = polkit_action(operation, caller.uid, caller_owns);
  if (action == nullptr) {
    done(std::nullopt);
    return;
  }
  authority_.check(caller.sender, action, caller.allow_interaction,
                   [done = std::move(done)](const authz::Verdict& verdict) {
                     if (verdict.decision == authz::Decision::kAllowed) {
                       done(std::nullopt);
                     } else {
                       done(authorization_error(verdict));
                     }
                   });
}

}  // namespace l2tp::dbus
