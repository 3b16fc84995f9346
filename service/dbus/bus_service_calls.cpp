// The mutating calls, each declared as its steps of the call pipeline
// (call_pipeline.h): what is validated, what is authorized against whom, and
// what is done.
#include <sdbus-c++/Error.h>

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "config/files.h"
#include "daemon/log.h"
#include "dbus/bus_service.h"
#include "dbus/errors.h"

namespace l2tp::dbus {

namespace {

using daemon::log;

using ManagerPathReply = CallReply<ManagerPathResult>;
using ManagerPathsReply = CallReply<ManagerPathsResult>;
using ManagerVoidReply = CallReply<ManagerVoidResult>;
using PathReply = CallReply<PathResult>;
using VoidReply = CallReply<VoidResult>;
// What a Close call validates: only that its object exists.
using Exists = std::expected<std::monostate, sdbus::Error>;

// Answers a Close with what the daemon did, and logs who did it.
void closed(const VoidReply& reply, const daemon::Result<void>& outcome, const std::string& object,
            uid_t uid) {
  if (!outcome) return reply.refuse(outcome.error());
  log(LogLevel::kInfo, object, "closed by uid ", uid);
  reply.succeed();
}

// A config file's NAME as Up and Down take it (InvalidArgs naming "name").
std::expected<std::string, sdbus::Error> checked_file_name(const std::string& name) {
  if (auto valid = config::check_tunnel_file_name(name); !valid)
    return std::unexpected(invalid_args(valid.error()));
  return name;
}

std::vector<sdbus::ObjectPath> object_paths(const daemon::ConfigFileObjects& objects) {
  std::vector<sdbus::ObjectPath> paths;
  for (const std::uint32_t tunnel_id : objects.tunnels) paths.emplace_back(tunnel_path(tunnel_id));
  for (const std::uint32_t listener_id : objects.listeners)
    paths.emplace_back(listener_path(listener_id));
  return paths;
}

std::string session_name(std::uint32_t tunnel_id, std::uint32_t session_id) {
  return "session " + std::to_string(tunnel_id) + "/" + std::to_string(session_id);
}

}  // namespace

OwnershipProbe BusService::tunnel_ownership(std::uint32_t tunnel_id) {
  return [this, tunnel_id](uid_t uid) -> std::optional<bool> {
    if (daemon_ == nullptr) return std::nullopt;
    const std::optional<daemon::TunnelInfo> tunnel = daemon_->tunnel(tunnel_id);
    if (!tunnel) return std::nullopt;
    return uid == tunnel->owner;
  };
}

OwnershipProbe BusService::session_ownership(std::uint32_t tunnel_id, std::uint32_t session_id) {
  // The owner of the tunnel may close it whole, so it may close a part.
  return [this, tunnel_id, session_id](uid_t uid) -> std::optional<bool> {
    if (daemon_ == nullptr) return std::nullopt;
    const std::optional<daemon::SessionInfo> session = daemon_->session(tunnel_id, session_id);
    if (!session) return std::nullopt;
    const std::optional<daemon::TunnelInfo> tunnel = daemon_->tunnel(tunnel_id);
    return uid == session->owner || (tunnel && uid == tunnel->owner);
  };
}

// ---- Manager -------------------------------------------------------------------

void BusService::create_tunnel(sd_bus_message* call, ManagerPathResult result,
                               const OptionDictionary& options) {
  pipeline_.run<config::TunnelRequest>(
      call, std::move(result),
      {.operation = Operation::kCreateTunnel,
       .validate = [&]() -> std::expected<config::TunnelRequest, sdbus::Error> {
         auto option_map = to_option_map(config::ObjectKind::kTunnel, options);
         if (!option_map) return std::unexpected(invalid_args(option_map.error()));
         auto request = config::parse_tunnel_options(*option_map, daemon_->defaults());
         config::wipe_secrets(*option_map);
         if (!request) return std::unexpected(invalid_args(request.error()));
         return std::move(*request);
       },
       .forbidden =
           [](const Caller& caller, const config::TunnelRequest& request) {
             return privileged_port_refusal(caller.uid, request.config.encapsulation,
                                            request.config.local);
           },
       .act =
           [this](const Caller& caller, const config::TunnelRequest& request,
                  const ManagerPathReply& reply) {
             daemon_->create_tunnel(
                 request, caller.uid,
                 pipeline_.while_alive(
                     [reply, uid = caller.uid](const daemon::Result<std::uint32_t>& created) {
                       if (!created) return reply.refuse(created.error());
                       log(LogLevel::kInfo, "tunnel " + std::to_string(*created), "created by uid ",
                           uid);
                       reply.succeed(sdbus::ObjectPath(tunnel_path(*created)));
                     }));
           }});
}

void BusService::listen(sd_bus_message* call, ManagerPathResult result,
                        const OptionDictionary& options) {
  pipeline_.run<fsm::ListenerConfig>(
      call, std::move(result),
      {.operation = Operation::kListen,
       .validate = [&]() -> std::expected<fsm::ListenerConfig, sdbus::Error> {
         auto option_map = to_option_map(config::ObjectKind::kListener, options);
         if (!option_map) return std::unexpected(invalid_args(option_map.error()));
         auto listener_config = config::parse_listener_options(*option_map, daemon_->defaults());
         config::wipe_secrets(*option_map);
         if (!listener_config) return std::unexpected(invalid_args(listener_config.error()));
         return std::move(*listener_config);
       },
       .forbidden =
           [](const Caller& caller, const fsm::ListenerConfig& listener_config) {
             return privileged_port_refusal(caller.uid, listener_config.encapsulation,
                                            listener_config.local);
           },
       .act =
           [this](const Caller& caller, const fsm::ListenerConfig& listener_config,
                  const ManagerPathReply& reply) {
             const daemon::Result<std::uint32_t> listening = daemon_->listen(listener_config);
             if (!listening) return reply.refuse(listening.error());
             log(LogLevel::kInfo, "listener " + std::to_string(*listening), "created by uid ",
                 caller.uid);
             reply.succeed(sdbus::ObjectPath(listener_path(*listening)));
           }});
}

// Reload, Up and Down act on the daemon's own files: no one owns them, so
// every caller but root needs org.l2tpbus1.configure.
void BusService::reload(sd_bus_message* call, ManagerVoidResult result) {
  pipeline_.run<std::monostate>(
      call, std::move(result),
      {.operation = Operation::kReload,
       .validate = []() -> Exists { return {}; },
       .act =
           [this](const Caller& caller, std::monostate, const ManagerVoidReply& reply) {
             log(LogLevel::kNotice, "config", "Reload by uid ", caller.uid,
                 ": rereading the tunnel files");
             daemon_->load_config();
             reply.succeed();
           }});
}

void BusService::config_up(const std::string& name, sd_bus_message* call,
                           ManagerPathsResult result) {
  pipeline_.run<std::string>(
      call, std::move(result),
      {.operation = Operation::kConfigUp,
       .validate = [&] { return checked_file_name(name); },
       .act =
           [this](const Caller& caller, const std::string& file, const ManagerPathsReply& reply) {
             log(LogLevel::kInfo, "config", "Up ", file, " by uid ", caller.uid);
             daemon_->bring_up(file,
                               pipeline_.while_alive(
                                   [reply](const daemon::Result<daemon::ConfigFileObjects>& up) {
                                     if (!up) return reply.refuse(up.error());
                                     reply.succeed(object_paths(*up));
                                   }));
           }});
}

void BusService::config_down(const std::string& name, sd_bus_message* call,
                             ManagerVoidResult result) {
  pipeline_.run<std::string>(
      call, std::move(result),
      {.operation = Operation::kConfigDown,
       .validate = [&] { return checked_file_name(name); },
       .act =
           [this](const Caller& caller, const std::string& file, const ManagerVoidReply& reply) {
             const daemon::Result<void> down = daemon_->put_down(file);
             if (!down) return reply.refuse(down.error());
             log(LogLevel::kInfo, "config", "Down ", file, " by uid ", caller.uid);
             reply.succeed();
           }});
}

// ---- Tunnel --------------------------------------------------------------------

void BusService::create_session(std::uint32_t tunnel_id, sd_bus_message* call, PathResult result,
                                const OptionDictionary& options) {
  // The options are judged at once for a prompt answer, and again once
  // authorized: the tunnel may be another by then.
  pipeline_.run<config::OptionMap>(
      call, std::move(result),
      {.operation = Operation::kCreateSession,
       .validate = [&]() -> std::expected<config::OptionMap, sdbus::Error> {
         const std::optional<daemon::TunnelInfo> tunnel = daemon_->tunnel(tunnel_id);
         if (!tunnel) return std::unexpected(unknown_object(tunnel_path(tunnel_id)));
         auto option_map = to_option_map(config::ObjectKind::kSession, options);
         if (!option_map) return std::unexpected(invalid_args(option_map.error()));
         auto session_config =
             config::parse_session_options(*option_map, tunnel->view.version, tunnel->view.mode);
         if (!session_config) return std::unexpected(invalid_args(session_config.error()));
         return std::move(*option_map);
       },
       .path = tunnel_path(tunnel_id),
       .owns = tunnel_ownership(tunnel_id),
       .act =
           [this, tunnel_id](const Caller& caller, const config::OptionMap& option_map,
                             const PathReply& reply) {
             const std::optional<daemon::TunnelInfo> current = daemon_->tunnel(tunnel_id);
             if (!current) return reply.refuse(unknown_object(tunnel_path(tunnel_id)));
             auto validated = config::parse_session_options(option_map, current->view.version,
                                                            current->view.mode);
             if (!validated) return reply.refuse(invalid_args(validated.error()));
             const daemon::Result<std::uint32_t> created =
                 daemon_->create_session(tunnel_id, *validated, caller.uid);
             if (!created) return reply.refuse(created.error());
             log(LogLevel::kInfo, session_name(tunnel_id, *created), "created by uid ", caller.uid);
             reply.succeed(sdbus::ObjectPath(session_path(tunnel_id, *created)));
           }});
}

void BusService::close_tunnel(std::uint32_t tunnel_id, sd_bus_message* call, VoidResult result) {
  pipeline_.run<std::monostate>(
      call, std::move(result),
      {.operation = Operation::kCloseTunnel,
       .validate = [&]() -> Exists {
         if (!daemon_->tunnel(tunnel_id))
           return std::unexpected(unknown_object(tunnel_path(tunnel_id)));
         return {};
       },
       .path = tunnel_path(tunnel_id),
       .owns = tunnel_ownership(tunnel_id),
       .act =
           [this, tunnel_id](const Caller& caller, std::monostate, const VoidReply& reply) {
             closed(reply, daemon_->close_tunnel(tunnel_id), "tunnel " + std::to_string(tunnel_id),
                    caller.uid);
           }});
}

// ---- Session -------------------------------------------------------------------

void BusService::close_session(std::uint32_t tunnel_id, std::uint32_t session_id,
                               sd_bus_message* call, VoidResult result) {
  pipeline_.run<std::monostate>(
      call, std::move(result),
      {.operation = Operation::kCloseSession,
       .validate = [&]() -> Exists {
         if (!daemon_->session(tunnel_id, session_id)) {
           return std::unexpected(unknown_object(session_path(tunnel_id, session_id)));
         }
         return {};
       },
       .path = session_path(tunnel_id, session_id),
       .owns = session_ownership(tunnel_id, session_id),
       .act =
           [this, tunnel_id, session_id](const Caller& caller, std::monostate,
                                         const VoidReply& reply) {
             closed(reply, daemon_->close_session(tunnel_id, session_id),
                    session_name(tunnel_id, session_id), caller.uid);
           }});
}

// ---- Listener ------------------------------------------------------------------

void BusService::close_listener(std::uint32_t listener_id, sd_bus_message* call,
                                VoidResult result) {
  pipeline_.run<std::monostate>(
      call, std::move(result),
      {.operation = Operation::kCloseListener,
       .validate = [&]() -> Exists {
         if (!daemon_->listener(listener_id)) {
           return std::unexpected(unknown_object(listener_path(listener_id)));
         }
         return {};
       },
       // Listeners belong to root: Listen's action, whoever asks.
       .act =
           [this, listener_id](const Caller& caller, std::monostate, const VoidReply& reply) {
             closed(reply, daemon_->close_listener(listener_id),
                    "listener " + std::to_string(listener_id), caller.uid);
           }});
}

}  // namespace l2tp::dbus
