#include "dbus/bus_service.h"

#include <sdbus-c++/Error.h>

#include <algorithm>
#include <utility>

#include "daemon/log.h"

namespace l2tp::dbus {

namespace {

using config::LogLevel;
using daemon::log;

std::string tunnel_name(std::uint32_t tunnel_id) {
  return "tunnel " + std::to_string(tunnel_id);
}
std::string session_name(std::uint32_t tunnel_id, std::uint32_t session_id) {
  return "session " + std::to_string(tunnel_id) + "/" + std::to_string(session_id);
}
std::string listener_name(std::uint32_t listener_id) {
  return "listener " + std::to_string(listener_id);
}

}  // namespace

BusService::BusService(sdbus::IConnection& bus, AlarmFactory& alarms, authz::Authority& authority,
                       CallerIdentifier& callers, std::string version)
    : bus_(bus),
      pipeline_(alarms, authority, callers, [this] { return daemon_ != nullptr; }),
      version_(std::move(version)) {
  graveyard_alarm_ = alarms.create([this] { graveyard_.clear(); });
  manager_ = std::make_unique<ManagerObject>(bus_, backend());
}

BusService::~BusService() {
  // Children before the ObjectManager they hang below.
  sessions_.clear();
  tunnels_.clear();
  listeners_.clear();
  graveyard_.clear();
  manager_.reset();
}

void BusService::attach(daemon::Daemon& daemon) {
  daemon_ = &daemon;
}

// ---- Tunnels -------------------------------------------------------------------

void BusService::tunnel_added(std::uint32_t tunnel_id) {
  if (daemon_ == nullptr) return;
  if (tunnels_.contains(tunnel_id)) {
    refresh_tunnel(tunnel_id);
    return;
  }
  const std::optional<daemon::TunnelInfo> info = tunnel_view(tunnel_id);
  if (!info) {
    log(LogLevel::kWarning, tunnel_name(tunnel_id), "added, but the daemon has no view of it");
    return;
  }
  try {
    make_room_for(tunnel_path(tunnel_id));
    auto object = std::make_unique<TunnelObject>(bus_, backend(), *info);
    object->announce();
    tunnels_.emplace(tunnel_id, std::move(object));
    log(LogLevel::kDebug, tunnel_name(tunnel_id), "on the bus (owner ", info->owner, ")");
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, tunnel_name(tunnel_id), "cannot be put on the bus: ", error.getMessage());
  }
  if (info->view.listener_id != 0) refresh_listener(info->view.listener_id);
}

void BusService::tunnel_changed(std::uint32_t tunnel_id) {
  if (!tunnels_.contains(tunnel_id)) {
    tunnel_added(tunnel_id);
    return;
  }
  refresh_tunnel(tunnel_id);
}

void BusService::refresh_tunnel(std::uint32_t tunnel_id) {
  const auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end() || daemon_ == nullptr) return;
  const std::optional<daemon::TunnelInfo> info = tunnel_view(tunnel_id);
  if (!info) return;  // going; tunnel_removed() sends the final values
  try {
    it->second->update(*info);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, tunnel_name(tunnel_id), "cannot signal a change: ", error.getMessage());
  }
}

void BusService::tunnel_removed(std::uint32_t tunnel_id) {
  const auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return;
  // A client never sees a session outlive its tunnel.
  for (auto session = sessions_.lower_bound({tunnel_id, 0});
       session != sessions_.end() && session->first.first == tunnel_id;) {
    const SessionKey key = (session++)->first;
    remove_session_object(key);
  }
  TunnelObject& object = *it->second;
  daemon::TunnelInfo final_info = object.info();
  if (daemon_ != nullptr) {
    if (std::optional<daemon::TunnelInfo> info = tunnel_view(tunnel_id)) final_info = *info;
  }
  keep_announced(final_info.view.sessions, tunnel_id);
  final_info.view.state = fsm::ObjectState::kClosed;
  try {
    object.finish(final_info);
    object.withdraw();
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, tunnel_name(tunnel_id),
        "cannot signal its removal: ", error.getMessage());
  }
  const std::uint32_t listener_id = final_info.view.listener_id;
  bury(tunnel_path(tunnel_id), std::shared_ptr<void>(std::move(it->second)));
  tunnels_.erase(it);
  log(LogLevel::kDebug, tunnel_name(tunnel_id), "off the bus");
  if (listener_id != 0) refresh_listener(listener_id);
}

// ---- Sessions ------------------------------------------------------------------

void BusService::session_added(std::uint32_t tunnel_id, std::uint32_t session_id) {
  if (daemon_ == nullptr) return;
  const SessionKey key{tunnel_id, session_id};
  if (!sessions_.contains(key)) {
    const std::optional<daemon::SessionInfo> info = daemon_->session(tunnel_id, session_id);
    if (!info) {
      log(LogLevel::kWarning, session_name(tunnel_id, session_id),
          "added, but the daemon has no view of it");
      return;
    }
    try {
      make_room_for(session_path(tunnel_id, session_id));
      auto object = std::make_unique<SessionObject>(bus_, backend(), *info);
      object->announce();
      sessions_.emplace(key, std::move(object));
      log(LogLevel::kDebug, session_name(tunnel_id, session_id), "on the bus (owner ", info->owner,
          ")");
    } catch (const sdbus::Error& error) {
      log(LogLevel::kError, session_name(tunnel_id, session_id),
          "cannot be put on the bus: ", error.getMessage());
    }
  } else {
    session_changed(tunnel_id, session_id);
  }
  refresh_tunnel(tunnel_id);  // its Sessions
}

void BusService::session_changed(std::uint32_t tunnel_id, std::uint32_t session_id) {
  const auto it = sessions_.find({tunnel_id, session_id});
  if (it == sessions_.end()) {
    session_added(tunnel_id, session_id);
    return;
  }
  if (daemon_ == nullptr) return;
  const std::optional<daemon::SessionInfo> info = daemon_->session(tunnel_id, session_id);
  if (!info) return;
  try {
    it->second->update(*info);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, session_name(tunnel_id, session_id),
        "cannot signal a change: ", error.getMessage());
  }
}

void BusService::session_removed(std::uint32_t tunnel_id, std::uint32_t session_id) {
  remove_session_object({tunnel_id, session_id});
  refresh_tunnel(tunnel_id);
}

void BusService::remove_session_object(const SessionKey& key) {
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  SessionObject& object = *it->second;
  daemon::SessionInfo final_info = object.info();
  if (daemon_ != nullptr) {
    if (std::optional<daemon::SessionInfo> info = daemon_->session(key.first, key.second)) {
      final_info = *info;
    }
  }
  final_info.view.state = fsm::ObjectState::kClosed;
  try {
    object.finish(final_info);
    object.withdraw();
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, session_name(key.first, key.second),
        "cannot signal its removal: ", error.getMessage());
  }
  bury(session_path(key.first, key.second), std::shared_ptr<void>(std::move(it->second)));
  sessions_.erase(it);
  log(LogLevel::kDebug, session_name(key.first, key.second), "off the bus");
}

// ---- Listeners -----------------------------------------------------------------

void BusService::listener_added(std::uint32_t listener_id) {
  if (daemon_ == nullptr) return;
  if (listeners_.contains(listener_id)) {
    refresh_listener(listener_id);
    return;
  }
  const std::optional<fsm::ListenerView> view = listener_view(listener_id);
  if (!view) {
    log(LogLevel::kWarning, listener_name(listener_id), "added, but the daemon has no view of it");
    return;
  }
  try {
    make_room_for(listener_path(listener_id));
    auto object = std::make_unique<ListenerObject>(bus_, backend(), *view);
    object->announce();
    listeners_.emplace(listener_id, std::move(object));
    log(LogLevel::kDebug, listener_name(listener_id), "on the bus");
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, listener_name(listener_id),
        "cannot be put on the bus: ", error.getMessage());
  }
}

void BusService::listener_changed(std::uint32_t listener_id) {
  if (!listeners_.contains(listener_id)) {
    listener_added(listener_id);
    return;
  }
  refresh_listener(listener_id);
}

void BusService::refresh_listener(std::uint32_t listener_id) {
  const auto it = listeners_.find(listener_id);
  if (it == listeners_.end() || daemon_ == nullptr) return;
  const std::optional<fsm::ListenerView> view = listener_view(listener_id);
  if (!view) return;
  try {
    it->second->update(*view);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, listener_name(listener_id),
        "cannot signal a change: ", error.getMessage());
  }
}

void BusService::listener_removed(std::uint32_t listener_id) {
  const auto it = listeners_.find(listener_id);
  if (it == listeners_.end()) return;
  try {
    if (daemon_ != nullptr) {
      if (std::optional<fsm::ListenerView> view = listener_view(listener_id)) {
        it->second->update(*view);
      }
    }
    it->second->withdraw();
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, listener_name(listener_id),
        "cannot signal its removal: ", error.getMessage());
  }
  bury(listener_path(listener_id), std::shared_ptr<void>(std::move(it->second)));
  listeners_.erase(it);
  log(LogLevel::kDebug, listener_name(listener_id), "off the bus");
}

// ---- Removed objects -----------------------------------------------------------

void BusService::bury(std::string path, std::shared_ptr<void> object) {
  graveyard_.emplace_back(std::move(path), std::move(object));
  graveyard_alarm_->arm(Duration::zero());
}

void BusService::make_room_for(const std::string& path) {
  // An id used again before the graveyard was emptied: the old object still
  // holds the path. It can go now: no call acts from inside its dispatch.
  std::erase_if(graveyard_, [&path](const auto& grave) { return grave.first == path; });
}

// ---- Views as announced ----------------------------------------------------------

// Sessions and Tunnels list the objects a client can see: the daemon's view
// may still hold an object while reporting its removal (the engine drops it
// once *_removed returns), and no later change would correct the list.
void BusService::keep_announced(std::vector<std::uint32_t>& session_ids,
                                std::uint32_t tunnel_id) const {
  std::erase_if(session_ids, [&](std::uint32_t session_id) {
    return !sessions_.contains({tunnel_id, session_id});
  });
}

std::optional<daemon::TunnelInfo> BusService::tunnel_view(std::uint32_t tunnel_id) const {
  std::optional<daemon::TunnelInfo> info = daemon_->tunnel(tunnel_id);
  if (info) keep_announced(info->view.sessions, tunnel_id);
  return info;
}

std::optional<fsm::ListenerView> BusService::listener_view(std::uint32_t listener_id) const {
  std::optional<fsm::ListenerView> view = daemon_->listener(listener_id);
  if (view) {
    std::erase_if(view->tunnels,
                  [this](std::uint32_t tunnel_id) { return !tunnels_.contains(tunnel_id); });
  }
  return view;
}

// ---- Reads ---------------------------------------------------------------------

std::string BusService::data_plane() const {
  return daemon_ != nullptr ? daemon_->data_plane() : "unavailable";
}

std::vector<std::string> BusService::features() const {
  return daemon_ != nullptr ? daemon_->features() : std::vector<std::string>{};
}

daemon::Statistics BusService::tunnel_statistics(std::uint32_t tunnel_id) const {
  return daemon_ != nullptr ? daemon_->tunnel_statistics(tunnel_id) : daemon::Statistics{};
}

daemon::Statistics BusService::session_statistics(std::uint32_t tunnel_id,
                                                  std::uint32_t session_id) const {
  return daemon_ != nullptr ? daemon_->session_statistics(tunnel_id, session_id)
                            : daemon::Statistics{};
}

daemon::Statistics BusService::listener_statistics(std::uint32_t listener_id) const {
  if (daemon_ == nullptr) return {};
  const std::optional<fsm::ListenerView> view = daemon_->listener(listener_id);
  if (!view) return {};
  return {{"accepted", view->accepted},
          {"rejected", view->rejected},
          {"tunnels-refused", view->tunnels_refused},
          {"calls-refused", view->calls_refused}};
}

}  // namespace l2tp::dbus
