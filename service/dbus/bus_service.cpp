#include "dbus/bus_service.h"

#include <sdbus-c++/Error.h>

#include <algorithm>
#include <utility>

#include "daemon/log.h"

namespace l2tp::dbus {

namespace {

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
      raw_bus_(raw_bus(bus)),
      pipeline_(alarms, authority, callers, [this] { return daemon_ != nullptr; }),
      version_(std::move(version)) {
  manager_ = std::make_unique<ManagerObject>(bus_, backend());
  register_object_tree();
}

BusService::~BusService() {
  // Children before the ObjectManager they hang below.
  for (sd_bus_slot* slot : tree_slots_) sd_bus_slot_unref(slot);
  sessions_.clear();
  tunnels_.clear();
  listeners_.clear();
  manager_.reset();
}

void BusService::attach(daemon::Daemon& daemon) {
  daemon_ = &daemon;
}

// ---- Tunnels -------------------------------------------------------------------

void BusService::tunnel_added(const daemon::TunnelInfo& tunnel) {
  const std::uint32_t tunnel_id = tunnel.view.tunnel_id;
  if (tunnels_.contains(tunnel_id)) {
    publish_tunnel(tunnel_id, tunnel);
    return;
  }
  // Found through the fallback vtable from here on, so announce() can read it.
  TunnelObject& object =
      *tunnels_.emplace(tunnel_id, std::make_unique<TunnelObject>(raw_bus_, backend(), tunnel))
           .first->second;
  try {
    object.announce();
    log(LogLevel::kDebug, tunnel_name(tunnel_id), "on the bus (owner ", tunnel.owner, ")");
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, tunnel_name(tunnel_id), "cannot be put on the bus: ", error.getMessage());
    tunnels_.erase(tunnel_id);
    return;
  }
  if (const std::uint32_t listener_id = tunnel.view.listener_id; listener_id != 0) {
    tunnels_by_listener_[listener_id].insert(tunnel_id);
  }
}

void BusService::tunnel_changed(const daemon::TunnelInfo& tunnel) {
  publish_tunnel(tunnel.view.tunnel_id, tunnel);
}

void BusService::publish_tunnel(std::uint32_t tunnel_id, const daemon::TunnelInfo& tunnel) {
  // Absent when it could not be put on the bus.
  const auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return;
  try {
    it->second->update(tunnel);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, tunnel_name(tunnel_id), "cannot signal a change: ", error.getMessage());
  }
}

void BusService::tunnel_removed(const daemon::TunnelInfo& tunnel) {
  const std::uint32_t tunnel_id = tunnel.view.tunnel_id;
  const auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return;
  // A client never sees a session outlive its tunnel.
  for (const std::uint32_t session_id : sessions_on_bus(tunnel_id))
    remove_session_object({tunnel_id, session_id}, nullptr);
  daemon::TunnelInfo final_info = tunnel;
  final_info.view.state = fsm::ObjectState::kClosed;
  try {
    it->second->finish(final_info);
    it->second->withdraw();
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, tunnel_name(tunnel_id),
        "cannot signal its removal: ", error.getMessage());
  }
  pipeline_.release_after_act(std::shared_ptr<void>(std::move(it->second)));
  tunnels_.erase(it);
  log(LogLevel::kDebug, tunnel_name(tunnel_id), "off the bus");
  const std::uint32_t listener_id = tunnel.view.listener_id;
  if (auto accepted = tunnels_by_listener_.find(listener_id);
      accepted != tunnels_by_listener_.end()) {
    accepted->second.erase(tunnel_id);
  }
}

// ---- Sessions ------------------------------------------------------------------

void BusService::session_added(const daemon::SessionInfo& session) {
  const SessionKey key{session.view.tunnel_id, session.view.session_id};
  if (sessions_.contains(key)) {
    session_changed(session);
    return;
  }
  SessionObject& object =
      *sessions_.emplace(key, std::make_unique<SessionObject>(raw_bus_, backend(), session))
           .first->second;
  try {
    object.announce();
    log(LogLevel::kDebug, session_name(key.first, key.second), "on the bus (owner ", session.owner,
        ")");
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, session_name(key.first, key.second),
        "cannot be put on the bus: ", error.getMessage());
    sessions_.erase(key);
  }
}

void BusService::session_changed(const daemon::SessionInfo& session) {
  const auto it = sessions_.find({session.view.tunnel_id, session.view.session_id});
  if (it == sessions_.end()) return;
  try {
    it->second->update(session);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, session_name(session.view.tunnel_id, session.view.session_id),
        "cannot signal a change: ", error.getMessage());
  }
}

void BusService::session_removed(const daemon::SessionInfo& session) {
  remove_session_object({session.view.tunnel_id, session.view.session_id}, &session);
}

void BusService::remove_session_object(const SessionKey& key,
                                       const daemon::SessionInfo* final_view) {
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  SessionObject& object = *it->second;
  // Ended with its tunnel: the last values announced, closed.
  daemon::SessionInfo final_info = final_view != nullptr ? *final_view : object.info();
  final_info.view.state = fsm::ObjectState::kClosed;
  try {
    object.finish(final_info);
    object.withdraw();
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, session_name(key.first, key.second),
        "cannot signal its removal: ", error.getMessage());
  }
  pipeline_.release_after_act(std::shared_ptr<void>(std::move(it->second)));
  sessions_.erase(it);
  log(LogLevel::kDebug, session_name(key.first, key.second), "off the bus");
}

// ---- Listeners -----------------------------------------------------------------

void BusService::listener_added(const daemon::ListenerInfo& listener) {
  const std::uint32_t listener_id = listener.view.listener_id;
  if (listeners_.contains(listener_id)) return;
  daemon::ListenerInfo info = listener;
  info.view.tunnels.clear();  // none accepted yet; tunnel_added() lists them
  ListenerObject& object =
      *listeners_.emplace(listener_id, std::make_unique<ListenerObject>(raw_bus_, backend(), info))
           .first->second;
  try {
    object.announce();
    log(LogLevel::kDebug, listener_name(listener_id), "on the bus");
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, listener_name(listener_id),
        "cannot be put on the bus: ", error.getMessage());
    listeners_.erase(listener_id);
  }
}

void BusService::listener_changed(const daemon::ListenerInfo& listener) {
  const auto it = listeners_.find(listener.view.listener_id);
  if (it == listeners_.end()) return;
  try {
    it->second->update(listener);
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, listener_name(listener.view.listener_id),
        "cannot signal a change: ", error.getMessage());
  }
}

void BusService::listener_removed(std::uint32_t listener_id) {
  // Accepted tunnels outlive their listener, and no longer count for it.
  tunnels_by_listener_.erase(listener_id);
  const auto it = listeners_.find(listener_id);
  if (it == listeners_.end()) return;
  try {
    it->second->withdraw();
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, listener_name(listener_id),
        "cannot signal its removal: ", error.getMessage());
  }
  pipeline_.release_after_act(std::shared_ptr<void>(std::move(it->second)));
  listeners_.erase(it);
  log(LogLevel::kDebug, listener_name(listener_id), "off the bus");
}

// ---- Config files --------------------------------------------------------------

void BusService::config_files_changed(const std::vector<daemon::ConfigFileStatus>& files) {
  if (files == config_files_) return;
  config_files_ = files;
  try {
    manager_->config_files_changed();
  } catch (const sdbus::Error& error) {
    log(LogLevel::kError, "config", "cannot signal ConfigFiles: ", error.getMessage());
  }
}

// ---- Children ------------------------------------------------------------------

std::vector<std::uint32_t> BusService::sessions_on_bus(std::uint32_t tunnel_id) const {
  std::vector<std::uint32_t> ids;
  for (auto it = sessions_.lower_bound({tunnel_id, 0});
       it != sessions_.end() && it->first.first == tunnel_id; ++it) {
    ids.push_back(it->first.second);
  }
  return ids;
}

std::vector<std::uint32_t> BusService::tunnel_sessions(std::uint32_t tunnel_id) const {
  return sessions_on_bus(tunnel_id);
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

std::vector<std::uint32_t> BusService::listener_tunnels(std::uint32_t listener_id) const {
  const auto accepted = tunnels_by_listener_.find(listener_id);
  if (accepted == tunnels_by_listener_.end()) return {};
  std::vector<std::uint32_t> ids(accepted->second.begin(), accepted->second.end());
  std::sort(ids.begin(), ids.end());
  return ids;
}

daemon::Statistics BusService::listener_statistics(std::uint32_t listener_id) const {
  return daemon_ != nullptr ? daemon_->listener_statistics(listener_id) : daemon::Statistics{};
}

}  // namespace l2tp::dbus
