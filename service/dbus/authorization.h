// Who may do what (dbus-api.md, "Authorization"): uid 0 never asks polkit,
// owners close their own objects without asking, everything else asks polkit
// for one action, honouring the caller's allow-interactive flag. Checks
// waiting for polkit are bounded per uid and in all, so that one user cannot
// fill the daemon's pending replies on the bus (the bus daemon allows 128)
// and make everyone else's checks fail; a caller that leaves the bus has its
// checks cancelled.
#pragma once

#include <sdbus-c++/Error.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "authz/authority.h"
#include "core/endpoint.h"
#include "dbus/caller.h"
#include "wire/header.h"

namespace l2tp::dbus {

enum class Operation : std::uint8_t {
  kCreateTunnel,
  kListen,
  kCreateSession,
  kCloseTunnel,
  kCloseSession,
  kCloseListener,
  kReload,      // Manager.Reload
  kConfigUp,    // Manager.Up
  kConfigDown,  // Manager.Down
};

const char* to_string(Operation operation);

// The polkit action to ask for, or nullptr when the caller may go ahead.
// `caller_owns` says whether the caller's uid owns the object acted on (the
// tunnel for CreateSession; the tunnel or session for the Close calls).
const char* polkit_action(Operation operation, uid_t caller_uid, bool caller_owns);

// Why a non-root caller may not have root bind this local UDP port, or
// nullopt. Root binds tunnel sockets with SO_REUSEADDR (static tunnels share
// addresses), so a user could otherwise take over another service's
// privileged port; 1701 is L2TP's own.
std::optional<std::string> privileged_port_refusal(uid_t caller_uid,
                                                   wire::Encapsulation encapsulation,
                                                   const Endpoint& local);

class Authorizer {
 public:
  // Checks one uid may have waiting for polkit: a person answers one
  // dialog at a time, and a desktop makes a call or two at once.
  static constexpr std::size_t kMaxChecksPerUid = 4;
  // Checks waiting in all: well below the bus daemon's 128 pending replies
  // per connection, so the daemon's own calls to the bus still fit.
  static constexpr std::size_t kMaxChecks = 64;

  explicit Authorizer(authz::Authority& authority) : authority_(authority) {}
  // Checks still waiting are cancelled; their `done` never runs.
  ~Authorizer();
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // `done(nullopt)` when allowed, else the error to reply with. Runs `done`
  // at once when polkit need not be asked or the caller has too many checks
  // waiting (LimitExceeded), later (from the loop) otherwise.
  using Done = std::function<void(std::optional<sdbus::Error>)>;
  void authorize(const Caller& caller, Operation operation, bool caller_owns, Done done);
  // The same for an action already chosen (nullptr: allowed at once).
  void authorize_action(const Caller& caller, const char* action, Done done);

  // The caller's connection is gone: its checks are cancelled at polkit and
  // answered at once with Failed (the reply reaches no one).
  void caller_departed(const std::string& sender);

  std::size_t waiting() const { return checks_.size(); }

 private:
  struct Waiting {
    std::string sender;
    uid_t uid = 0;
    authz::CheckId check = 0;
    Done done;
  };
  std::optional<Waiting> take(std::uint64_t key);

  authz::Authority& authority_;
  std::uint64_t last_key_ = 0;
  std::map<std::uint64_t, Waiting> checks_;
  std::map<uid_t, std::size_t> per_uid_;
};

}  // namespace l2tp::dbus
