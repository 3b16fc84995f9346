// The call pipeline: validate, authorize, act, reply. Nothing is created when
// any step fails; each step refuses with the error of dbus-api.md.
#include <sdbus-c++/Error.h>

#include <memory>
#include <string_view>
#include <utility>

#include "daemon/log.h"
#include "dbus/bus_service.h"
#include "dbus/errors.h"

namespace l2tp::dbus {

namespace {

using daemon::log;

// Marks the path whose call is being dispatched, for make_room_for().
class DispatchGuard {
 public:
  DispatchGuard(std::string& slot, std::string path) : slot_(slot) { slot_ = std::move(path); }
  ~DispatchGuard() { slot_.clear(); }
  DispatchGuard(const DispatchGuard&) = delete;
  DispatchGuard& operator=(const DispatchGuard&) = delete;

 private:
  std::string& slot_;
};

// What a refusal looks like in the log: the call, who made it (once known),
// and the error; option values never appear, so no secret can.
std::string describe(Operation operation, const Caller* caller) {
  std::string text = to_string(operation);
  if (caller != nullptr) {
    text += " by uid " + std::to_string(caller->uid) + " (" + caller->sender + ")";
  }
  return text;
}

template <typename Result>
void refuse(const Result& result, Operation operation, const Caller* caller,
            const sdbus::Error& error) {
  const bool refused_by_policy = error.getName() == kErrorAccessDenied ||
                                 error.getName() == kErrorInteractiveAuthorizationRequired;
  log(refused_by_policy ? LogLevel::kNotice : LogLevel::kInfo, "bus", describe(operation, caller),
      " refused: ", error.getName(), ": ", daemon::printable(error.getMessage()));
  try {
    result.returnError(error);
  } catch (const sdbus::Error& send_error) {
    log(LogLevel::kWarning, "bus", "cannot reply to ", describe(operation, caller), ": ",
        send_error.getMessage());
  }
}

template <typename Result, typename... Values>
void succeed(const Result& result, Operation operation, const Caller& caller,
             const Values&... values) {
  try {
    result.returnResults(values...);
  } catch (const sdbus::Error& send_error) {
    log(LogLevel::kWarning, "bus", "cannot reply to ", describe(operation, &caller), ": ",
        send_error.getMessage());
  }
}

sdbus::Error not_ready() {
  return failed("the daemon is still starting; try again");
}

sdbus::Error shutting_down() {
  return failed("the daemon is shutting down");
}

sdbus::Error unknown_object(const std::string& path) {
  return sdbus::Error(kErrorUnknownObject, "no object " + path);
}

}  // namespace

void BusService::identify(const sdbus::Message& call, std::function<void(const Caller&)> next,
                          std::function<void(const sdbus::Error&)> reject) {
  callers_.identify(call, while_alive([next = std::move(next), reject = std::move(reject)](
                                          std::expected<Caller, sdbus::Error> caller) {
                      if (caller) {
                        next(*caller);
                      } else {
                        reject(caller.error());
                      }
                    }));
}

void BusService::authorize_current(const Caller& caller, Operation operation,
                                   const std::string& path, OwnershipProbe owns,
                                   Authorizer::Done done, int rechecks_left) {
  const std::optional<bool> owned = owns();
  if (!owned) return done(unknown_object(path));
  const char* granted = polkit_action(operation, caller.uid, *owned);
  authorizer_.authorize_action(
      caller, granted,
      while_alive([this, caller, operation, path, owns, done, rechecks_left,
                   granted](std::optional<sdbus::Error> denied) {
        if (denied) return done(std::move(denied));
        // While polkit was deciding, the object may have gone and its id
        // been given to another owner's object: what was granted must still
        // be what the object now asks for.
        const std::optional<bool> owned_now = owns();
        if (!owned_now) return done(unknown_object(path));
        const char* needed = polkit_action(operation, caller.uid, *owned_now);
        if (needed == nullptr || (granted != nullptr && std::string_view(needed) == granted)) {
          return done(std::nullopt);
        }
        if (rechecks_left == 0) return done(failed(path + " changed while being authorized"));
        authorize_current(caller, operation, path, owns, done, rechecks_left - 1);
      }));
}

BusService::OwnershipProbe BusService::tunnel_owned_by(std::uint32_t tunnel_id, uid_t uid) {
  return [this, tunnel_id, uid]() -> std::optional<bool> {
    if (daemon_ == nullptr) return std::nullopt;
    const std::optional<daemon::TunnelInfo> tunnel = daemon_->tunnel(tunnel_id);
    if (!tunnel) return std::nullopt;
    return uid == tunnel->owner;
  };
}

// ---- Manager -------------------------------------------------------------------

void BusService::create_tunnel(const sdbus::Message& call, PathResult result,
                               const OptionDictionary& options) {
  const DispatchGuard guard(dispatching_path_, kManagerPath);
  constexpr Operation kOperation = Operation::kCreateTunnel;
  auto reply = std::make_shared<PathResult>(std::move(result));
  const auto reject = [reply](const sdbus::Error& error) {
    refuse(*reply, kOperation, nullptr, error);
  };
  if (daemon_ == nullptr) return reject(not_ready());

  auto option_map = to_option_map(config::ObjectKind::kTunnel, options);
  if (!option_map) return reject(invalid_args(option_map.error()));
  auto request = config::parse_tunnel_options(*option_map, daemon_->defaults());
  if (!request) return reject(invalid_args(request.error()));

  identify(
      call,
      [this, reply, request = std::move(*request)](const Caller& caller) {
        if (auto refusal = privileged_port_refusal(caller.uid, request.config.encapsulation,
                                                   request.config.local)) {
          return refuse(*reply, kOperation, &caller, sdbus::Error(kErrorAccessDenied, *refusal));
        }
        authorizer_.authorize(
            caller, kOperation, false,
            while_alive([this, reply, caller, request](std::optional<sdbus::Error> denied) {
              if (denied) return refuse(*reply, kOperation, &caller, *denied);
              if (daemon_ == nullptr) return refuse(*reply, kOperation, &caller, shutting_down());
              daemon_->create_tunnel(
                  request, caller.uid,
                  while_alive([reply, caller](const daemon::Result<std::uint32_t>& created) {
                    if (!created)
                      return refuse(*reply, kOperation, &caller, to_dbus_error(created.error()));
                    log(LogLevel::kInfo, "tunnel " + std::to_string(*created), "created by uid ",
                        caller.uid);
                    succeed(*reply, kOperation, caller, sdbus::ObjectPath(tunnel_path(*created)));
                  }));
            }));
      },
      reject);
}

void BusService::listen(const sdbus::Message& call, PathResult result,
                        const OptionDictionary& options) {
  const DispatchGuard guard(dispatching_path_, kManagerPath);
  constexpr Operation kOperation = Operation::kListen;
  auto reply = std::make_shared<PathResult>(std::move(result));
  const auto reject = [reply](const sdbus::Error& error) {
    refuse(*reply, kOperation, nullptr, error);
  };
  if (daemon_ == nullptr) return reject(not_ready());

  auto option_map = to_option_map(config::ObjectKind::kListener, options);
  if (!option_map) return reject(invalid_args(option_map.error()));
  auto listener_config = config::parse_listener_options(*option_map, daemon_->defaults());
  if (!listener_config) return reject(invalid_args(listener_config.error()));

  identify(
      call,
      [this, reply, listener_config = std::move(*listener_config)](const Caller& caller) {
        if (auto refusal = privileged_port_refusal(caller.uid, listener_config.encapsulation,
                                                   listener_config.local)) {
          return refuse(*reply, kOperation, &caller, sdbus::Error(kErrorAccessDenied, *refusal));
        }
        authorizer_.authorize(
            caller, kOperation, false,
            while_alive([this, reply, caller, listener_config](std::optional<sdbus::Error> denied) {
              if (denied) return refuse(*reply, kOperation, &caller, *denied);
              if (daemon_ == nullptr) return refuse(*reply, kOperation, &caller, shutting_down());
              const daemon::Result<std::uint32_t> listening = daemon_->listen(listener_config);
              if (!listening)
                return refuse(*reply, kOperation, &caller, to_dbus_error(listening.error()));
              log(LogLevel::kInfo, "listener " + std::to_string(*listening), "created by uid ",
                  caller.uid);
              succeed(*reply, kOperation, caller, sdbus::ObjectPath(listener_path(*listening)));
            }));
      },
      reject);
}

// ---- Tunnel --------------------------------------------------------------------

void BusService::create_session(std::uint32_t tunnel_id, const sdbus::Message& call,
                                PathResult result, const OptionDictionary& options) {
  const DispatchGuard guard(dispatching_path_, tunnel_path(tunnel_id));
  constexpr Operation kOperation = Operation::kCreateSession;
  auto reply = std::make_shared<PathResult>(std::move(result));
  const auto reject = [reply](const sdbus::Error& error) {
    refuse(*reply, kOperation, nullptr, error);
  };
  if (daemon_ == nullptr) return reject(not_ready());

  const std::optional<daemon::TunnelInfo> tunnel = daemon_->tunnel(tunnel_id);
  if (!tunnel) return reject(unknown_object(tunnel_path(tunnel_id)));
  auto option_map = to_option_map(config::ObjectKind::kSession, options);
  if (!option_map) return reject(invalid_args(option_map.error()));
  // Judged now for a prompt answer, and again once authorized: the tunnel
  // may be another by then.
  auto session_config =
      config::parse_session_options(*option_map, tunnel->view.version, tunnel->view.mode);
  if (!session_config) return reject(invalid_args(session_config.error()));

  identify(
      call,
      [this, reply, tunnel_id, option_map = std::move(*option_map)](const Caller& caller) {
        authorize_current(
            caller, kOperation, tunnel_path(tunnel_id), tunnel_owned_by(tunnel_id, caller.uid),
            [this, reply, caller, tunnel_id, option_map](std::optional<sdbus::Error> denied) {
              if (denied) return refuse(*reply, kOperation, &caller, *denied);
              if (daemon_ == nullptr) return refuse(*reply, kOperation, &caller, shutting_down());
              const std::optional<daemon::TunnelInfo> current = daemon_->tunnel(tunnel_id);
              if (!current)
                return refuse(*reply, kOperation, &caller, unknown_object(tunnel_path(tunnel_id)));
              auto validated = config::parse_session_options(option_map, current->view.version,
                                                             current->view.mode);
              if (!validated)
                return refuse(*reply, kOperation, &caller, invalid_args(validated.error()));
              const daemon::Result<std::uint32_t> created =
                  daemon_->create_session(tunnel_id, *validated, caller.uid);
              if (!created)
                return refuse(*reply, kOperation, &caller, to_dbus_error(created.error()));
              log(LogLevel::kInfo,
                  "session " + std::to_string(tunnel_id) + "/" + std::to_string(*created),
                  "created by uid ", caller.uid);
              succeed(*reply, kOperation, caller,
                      sdbus::ObjectPath(session_path(tunnel_id, *created)));
            });
      },
      reject);
}

void BusService::close_tunnel(std::uint32_t tunnel_id, const sdbus::Message& call,
                              VoidResult result) {
  const DispatchGuard guard(dispatching_path_, tunnel_path(tunnel_id));
  constexpr Operation kOperation = Operation::kCloseTunnel;
  auto reply = std::make_shared<VoidResult>(std::move(result));
  const auto reject = [reply](const sdbus::Error& error) {
    refuse(*reply, kOperation, nullptr, error);
  };
  if (daemon_ == nullptr) return reject(not_ready());
  if (!daemon_->tunnel(tunnel_id)) return reject(unknown_object(tunnel_path(tunnel_id)));

  identify(
      call,
      [this, reply, tunnel_id](const Caller& caller) {
        authorize_current(
            caller, kOperation, tunnel_path(tunnel_id), tunnel_owned_by(tunnel_id, caller.uid),
            [this, reply, caller, tunnel_id](std::optional<sdbus::Error> denied) {
              if (denied) return refuse(*reply, kOperation, &caller, *denied);
              if (daemon_ == nullptr) return refuse(*reply, kOperation, &caller, shutting_down());
              const daemon::Result<void> closed = daemon_->close_tunnel(tunnel_id);
              if (!closed)
                return refuse(*reply, kOperation, &caller, to_dbus_error(closed.error()));
              log(LogLevel::kInfo, "tunnel " + std::to_string(tunnel_id), "closed by uid ",
                  caller.uid);
              succeed(*reply, kOperation, caller);
            });
      },
      reject);
}

// ---- Session -------------------------------------------------------------------

void BusService::close_session(std::uint32_t tunnel_id, std::uint32_t session_id,
                               const sdbus::Message& call, VoidResult result) {
  const DispatchGuard guard(dispatching_path_, session_path(tunnel_id, session_id));
  constexpr Operation kOperation = Operation::kCloseSession;
  auto reply = std::make_shared<VoidResult>(std::move(result));
  const auto reject = [reply](const sdbus::Error& error) {
    refuse(*reply, kOperation, nullptr, error);
  };
  if (daemon_ == nullptr) return reject(not_ready());
  if (!daemon_->session(tunnel_id, session_id)) {
    return reject(unknown_object(session_path(tunnel_id, session_id)));
  }

  identify(
      call,
      [this, reply, tunnel_id, session_id](const Caller& caller) {
        // The owner of the tunnel may close it whole, so it may close a part.
        const auto owns = [this, tunnel_id, session_id, uid = caller.uid]() -> std::optional<bool> {
          if (daemon_ == nullptr) return std::nullopt;
          const std::optional<daemon::SessionInfo> session =
              daemon_->session(tunnel_id, session_id);
          if (!session) return std::nullopt;
          const std::optional<daemon::TunnelInfo> tunnel = daemon_->tunnel(tunnel_id);
          return uid == session->owner || (tunnel && uid == tunnel->owner);
        };
        authorize_current(
            caller, kOperation, session_path(tunnel_id, session_id), owns,
            [this, reply, caller, tunnel_id, session_id](std::optional<sdbus::Error> denied) {
              if (denied) return refuse(*reply, kOperation, &caller, *denied);
              if (daemon_ == nullptr) return refuse(*reply, kOperation, &caller, shutting_down());
              const daemon::Result<void> closed = daemon_->close_session(tunnel_id, session_id);
              if (!closed)
                return refuse(*reply, kOperation, &caller, to_dbus_error(closed.error()));
              log(LogLevel::kInfo,
                  "session " + std::to_string(tunnel_id) + "/" + std::to_string(session_id),
                  "closed by uid ", caller.uid);
              succeed(*reply, kOperation, caller);
            });
      },
      reject);
}

// ---- Listener ------------------------------------------------------------------

void BusService::close_listener(std::uint32_t listener_id, const sdbus::Message& call,
                                VoidResult result) {
  const DispatchGuard guard(dispatching_path_, listener_path(listener_id));
  constexpr Operation kOperation = Operation::kCloseListener;
  auto reply = std::make_shared<VoidResult>(std::move(result));
  const auto reject = [reply](const sdbus::Error& error) {
    refuse(*reply, kOperation, nullptr, error);
  };
  if (daemon_ == nullptr) return reject(not_ready());
  if (!daemon_->listener(listener_id)) return reject(unknown_object(listener_path(listener_id)));

  identify(
      call,
      [this, reply, listener_id](const Caller& caller) {
        authorizer_.authorize(
            caller, kOperation, false,
            while_alive([this, reply, caller, listener_id](std::optional<sdbus::Error> denied) {
              if (denied) return refuse(*reply, kOperation, &caller, *denied);
              if (daemon_ == nullptr) return refuse(*reply, kOperation, &caller, shutting_down());
              const daemon::Result<void> closed = daemon_->close_listener(listener_id);
              if (!closed)
                return refuse(*reply, kOperation, &caller, to_dbus_error(closed.error()));
              log(LogLevel::kInfo, "listener " + std::to_string(listener_id), "closed by uid ",
                  caller.uid);
              succeed(*reply, kOperation, caller);
            }));
      },
      reject);
}

}  // namespace l2tp::dbus
