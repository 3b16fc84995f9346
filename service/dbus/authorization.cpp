#include "dbus/authorization.h"

#include <utility>
#include <vector>

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
    case Operation::kReload:
      return "Reload";
    case Operation::kConfigUp:
      return "Up";
    case Operation::kConfigDown:
      return "Down";
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
    case Operation::kReload:
    case Operation::kConfigUp:
    case Operation::kConfigDown:
      return authz::kActionConfigure;
  }
  return authz::kActionManageTunnels;
}

std::optional<std::string> privileged_port_refusal(uid_t caller_uid,
                                                   wire::Encapsulation encapsulation,
                                                   const fsm::Endpoint& local) {
  constexpr std::uint16_t kL2tpPort = 1701;
  constexpr std::uint16_t kFirstUnprivilegedPort = 1024;
  if (caller_uid == 0 || encapsulation != wire::Encapsulation::kUdp) return std::nullopt;
  if (local.port == 0 || local.port >= kFirstUnprivilegedPort || local.port == kL2tpPort) {
    return std::nullopt;
  }
  return "Local: port " + std::to_string(local.port) +
         " is below 1024, and only root may use such ports other than 1701";
}

Authorizer::~Authorizer() {
  for (const auto& [key, waiting] : checks_) authority_.cancel(waiting.check);
}

void Authorizer::authorize(const Caller& caller, Operation operation, bool caller_owns, Done done) {
  authorize_action(caller, polkit_action(operation, caller.uid, caller_owns), std::move(done));
}

void Authorizer::authorize_action(const Caller& caller, const char* action, Done done) {
  if (action == nullptr) {
    done(std::nullopt);
    return;
  }
  std::size_t& uid_checks = per_uid_[caller.uid];
  if (uid_checks >= kMaxChecksPerUid || checks_.size() >= kMaxChecks) {
    const bool uid_full = uid_checks >= kMaxChecksPerUid;
    if (uid_checks == 0) per_uid_.erase(caller.uid);
    done(sdbus::Error(kErrorLimitExceeded,
                      uid_full ? "uid " + std::to_string(caller.uid) + " already has " +
                                     std::to_string(kMaxChecksPerUid) +
                                     " calls waiting for polkit; try again when they are answered"
                               : "too many calls are waiting for polkit; try again later"));
    return;
  }
  ++uid_checks;
  // The verdict comes from the loop, never from inside check(), so the
  // check is on record before it can be answered.
  const std::uint64_t key = ++last_key_;
  const authz::CheckId check = authority_.check(
      caller.sender, action, caller.allow_interaction, [this, key](const authz::Verdict& verdict) {
        std::optional<Waiting> waiting = take(key);
        if (!waiting) return;
        if (verdict.decision == authz::Decision::kAllowed) {
          waiting->done(std::nullopt);
        } else {
          waiting->done(authorization_error(verdict));
        }
      });
  checks_.emplace(key, Waiting{caller.sender, caller.uid, check, std::move(done)});
}

std::optional<Authorizer::Waiting> Authorizer::take(std::uint64_t key) {
  const auto it = checks_.find(key);
  if (it == checks_.end()) return std::nullopt;
  Waiting waiting = std::move(it->second);
  checks_.erase(it);
  const auto count = per_uid_.find(waiting.uid);
  if (count != per_uid_.end() && --count->second == 0) per_uid_.erase(count);
  return waiting;
}

void Authorizer::caller_departed(const std::string& sender) {
  std::vector<std::uint64_t> keys;
  for (const auto& [key, waiting] : checks_) {
    if (waiting.sender == sender) keys.push_back(key);
  }
  for (const std::uint64_t key : keys) {
    std::optional<Waiting> waiting = take(key);
    authority_.cancel(waiting->check);
    waiting->done(failed("the caller left the bus before polkit answered"));
  }
}

}  // namespace l2tp::dbus
