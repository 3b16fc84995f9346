#include "fakes.h"

#include <algorithm>

namespace l2tp::dbus::testing {

Deferrer::Deferrer(AlarmFactory& alarms) {
  alarm_ = alarms.create([this] {
    std::deque<std::function<void()>> due;
    due.swap(queue_);
    for (auto& work : due) work();
  });
}

void Deferrer::defer(std::function<void()> work) {
  queue_.push_back(std::move(work));
  alarm_->arm(Duration::zero());
}

// ---- FakeDaemon ----------------------------------------------------------------

FakeDaemon::FakeDaemon(AlarmFactory& alarms, daemon::DaemonObserver& observer)
    : deferrer_(alarms), observer_(observer) {}

std::optional<daemon::Failure> FakeDaemon::take_failure() {
  std::optional<daemon::Failure> failure = std::move(fail_next);
  fail_next.reset();
  return failure;
}

void FakeDaemon::create_tunnel(const config::TunnelRequest& request, uid_t owner,
                               std::function<void(daemon::Result<std::uint32_t>)> done) {
  ++create_tunnel_calls;
  acting();
  last_tunnel_request = request;
  last_owner = owner;
  // Like the real daemon (which resolves Peer first), the answer comes later.
  deferrer_.defer([this, request, owner, done = std::move(done), failure = take_failure()] {
    if (failure) return done(std::unexpected(*failure));
    daemon::TunnelInfo info;
    info.owner = owner;
    info.view.tunnel_id = next_tunnel_id_++;
    if (reuse_tunnel_ids) {
      info.view.tunnel_id = 4711;
      while (tunnels_.contains(info.view.tunnel_id)) ++info.view.tunnel_id;
    }
    info.view.mode = request.config.mode;
    info.view.version = request.config.version;
    info.view.encapsulation = request.config.encapsulation;
    info.view.local = request.config.local;
    info.view.peer = request.config.peer;
    info.view.hello_interval = std::chrono::seconds(60);
    info.view.state = request.config.mode == fsm::TunnelMode::kStatic
                          ? fsm::ObjectState::kEstablished
                          : fsm::ObjectState::kConnecting;
    add_tunnel(info);
    done(info.view.tunnel_id);
  });
}

daemon::Result<std::uint32_t> FakeDaemon::create_session(std::uint32_t tunnel_id,
                                                         const fsm::SessionConfig& config,
                                                         uid_t owner) {
  ++create_session_calls;
  acting();
  last_session_config = config;
  last_owner = owner;
  if (auto failure = take_failure()) return std::unexpected(*failure);
  const auto tunnel = tunnels_.find(tunnel_id);
  if (tunnel == tunnels_.end()) {
    return std::unexpected(daemon::Failure{daemon::FailureKind::kNotFound, "no such tunnel"});
  }
  daemon::SessionInfo info;
  info.owner = owner;
  info.view.tunnel_id = tunnel_id;
  info.view.session_id = config.session_id != 0 ? config.session_id : next_session_id_++;
  info.view.pseudowire = config.pseudowire;
  info.view.interface_name = config.interface_name;
  sessions_[{tunnel_id, info.view.session_id}] = info;
  tunnel->second.view.sessions.push_back(info.view.session_id);
  observer_.session_added(info);
  return info.view.session_id;
}

daemon::Result<std::uint32_t> FakeDaemon::listen(const fsm::ListenerConfig& config) {
  ++listen_calls;
  acting();
  if (auto failure = take_failure()) return std::unexpected(*failure);
  daemon::ListenerInfo info;
  info.view.listener_id = next_listener_id_++;
  info.view.local = config.local;
  info.view.version = config.version;
  info.view.encapsulation = config.encapsulation;
  listeners_[info.view.listener_id] = info;
  observer_.listener_added(info);
  return info.view.listener_id;
}

void FakeDaemon::bring_up(const std::string& name,
                          std::function<void(daemon::Result<daemon::ConfigFileObjects>)> done) {
  ++up_calls;
  acting();
  // Like the real daemon (a tunnel's Peer resolves first), the answer comes later.
  deferrer_.defer([this, name, done = std::move(done), failure = take_failure()] {
    if (failure) return done(std::unexpected(*failure));
    const auto known = file_objects.find(name);
    if (known == file_objects.end())
      return done(std::unexpected(daemon::Failure{daemon::FailureKind::kNotFound,
                                                  "no config file " + name + ".tunnel in /etc"}));
    done(known->second);
  });
}

daemon::Result<void> FakeDaemon::put_down(const std::string& name) {
  ++down_calls;
  acting();
  if (auto failure = take_failure()) return std::unexpected(*failure);
  if (!file_objects.contains(name))
    return std::unexpected(daemon::Failure{daemon::FailureKind::kNotFound,
                                           "no config file " + name + ".tunnel in /etc"});
  files_put_down.push_back(name);
  return {};
}

void FakeDaemon::change_listener_state(std::uint32_t listener_id, daemon::ListenerState state) {
  daemon::ListenerInfo& info = listeners_.at(listener_id);
  info.state = state;
  observer_.listener_changed(info);
}

void FakeDaemon::announce_files(const std::vector<daemon::ConfigFileStatus>& now) {
  files = now;
  observer_.config_files_changed(files);
}

daemon::Result<void> FakeDaemon::close_tunnel(std::uint32_t tunnel_id) {
  ++close_calls;
  acting();
  if (auto failure = take_failure()) return std::unexpected(*failure);
  if (!tunnels_.contains(tunnel_id)) {
    return std::unexpected(daemon::Failure{daemon::FailureKind::kNotFound, "no such tunnel"});
  }
  if (close_removes_at_once) {
    remove_tunnel(tunnel_id, {1, 0, "closed by request"});
  } else {
    change_tunnel(tunnel_id,
                  [](fsm::TunnelView& view) { view.state = fsm::ObjectState::kClosing; });
  }
  return {};
}

daemon::Result<void> FakeDaemon::close_session(std::uint32_t tunnel_id, std::uint32_t session_id) {
  ++close_calls;
  acting();
  if (auto failure = take_failure()) return std::unexpected(*failure);
  if (!sessions_.contains({tunnel_id, session_id})) {
    return std::unexpected(daemon::Failure{daemon::FailureKind::kNotFound, "no such session"});
  }
  if (close_removes_at_once) {
    remove_session(tunnel_id, session_id, {3, 0, "closed by request"});
  } else {
    change_session(tunnel_id, session_id,
                   [](fsm::SessionView& view) { view.state = fsm::ObjectState::kClosing; });
  }
  return {};
}

daemon::Result<void> FakeDaemon::close_listener(std::uint32_t listener_id) {
  ++close_calls;
  acting();
  if (auto failure = take_failure()) return std::unexpected(*failure);
  if (!listeners_.contains(listener_id)) {
    return std::unexpected(daemon::Failure{daemon::FailureKind::kNotFound, "no such listener"});
  }
  remove_listener(listener_id);
  return {};
}

std::optional<daemon::TunnelInfo> FakeDaemon::tunnel(std::uint32_t tunnel_id) const {
  const auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return std::nullopt;
  return it->second;
}

std::optional<daemon::SessionInfo> FakeDaemon::session(std::uint32_t tunnel_id,
                                                       std::uint32_t session_id) const {
  const auto it = sessions_.find({tunnel_id, session_id});
  if (it == sessions_.end()) return std::nullopt;
  return it->second;
}

std::optional<daemon::ListenerInfo> FakeDaemon::listener(std::uint32_t listener_id) const {
  const auto it = listeners_.find(listener_id);
  if (it == listeners_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::uint32_t> FakeDaemon::tunnel_ids() const {
  std::vector<std::uint32_t> ids;
  for (const auto& [id, info] : tunnels_) ids.push_back(id);
  return ids;
}

std::vector<std::uint32_t> FakeDaemon::listener_ids() const {
  std::vector<std::uint32_t> ids;
  for (const auto& [id, view] : listeners_) ids.push_back(id);
  return ids;
}

daemon::Statistics FakeDaemon::listener_statistics(std::uint32_t listener_id) const {
  const auto info = listener(listener_id);
  if (!info) return {};
  return {{"accepted", info->view.accepted}, {"rejected", info->view.rejected}};
}

daemon::Statistics FakeDaemon::tunnel_statistics(std::uint32_t tunnel_id) const {
  const auto info = tunnel(tunnel_id);
  if (!info) return {};
  return {{"control-tx", info->view.control_tx},
          {"control-rx", info->view.control_rx},
          {"retransmits", info->view.retransmits},
          {"hello-tx", info->view.hello_tx}};
}

daemon::Statistics FakeDaemon::session_statistics(std::uint32_t, std::uint32_t) const {
  return {{"rx-packets", 5}, {"tx-packets", 7}};
}

void FakeDaemon::add_tunnel(const daemon::TunnelInfo& info) {
  tunnels_[info.view.tunnel_id] = info;
  if (info.view.listener_id != 0) {
    listeners_[info.view.listener_id].view.tunnels.push_back(info.view.tunnel_id);
  }
  observer_.tunnel_added(info);
}

void FakeDaemon::change_tunnel(std::uint32_t tunnel_id,
                               const std::function<void(fsm::TunnelView&)>& edit) {
  edit(tunnels_.at(tunnel_id).view);
  observer_.tunnel_changed(tunnels_.at(tunnel_id));
}

void FakeDaemon::remove_tunnel(std::uint32_t tunnel_id, const fsm::LastResult& result) {
  daemon::TunnelInfo& info = tunnels_.at(tunnel_id);
  for (std::uint32_t session_id : std::vector<std::uint32_t>(info.view.sessions)) {
    remove_session(tunnel_id, session_id, {2, 0, "tunnel closed"});
  }
  info.view.state = fsm::ObjectState::kClosed;
  info.view.last_result = result;
  const std::uint32_t listener_id = info.view.listener_id;
  const daemon::TunnelInfo final_info = info;
  if (forget_before_removed) tunnels_.erase(tunnel_id);
  observer_.tunnel_removed(final_info);
  tunnels_.erase(tunnel_id);
  // No listener change is reported: the listener's Tunnels must follow anyway.
  if (listener_id != 0 && listeners_.contains(listener_id)) {
    std::erase(listeners_[listener_id].view.tunnels, tunnel_id);
  }
}

void FakeDaemon::change_session(std::uint32_t tunnel_id, std::uint32_t session_id,
                                const std::function<void(fsm::SessionView&)>& edit) {
  edit(sessions_.at({tunnel_id, session_id}).view);
  observer_.session_changed(sessions_.at({tunnel_id, session_id}));
}

void FakeDaemon::remove_session(std::uint32_t tunnel_id, std::uint32_t session_id,
                                const fsm::LastResult& result) {
  daemon::SessionInfo& info = sessions_.at({tunnel_id, session_id});
  info.view.state = fsm::ObjectState::kClosed;
  info.view.last_result = result;
  const daemon::SessionInfo final_info = info;
  if (forget_before_removed) sessions_.erase({tunnel_id, session_id});
  // Like the engine: no tunnel change follows.
  observer_.session_removed(final_info);
  sessions_.erase({tunnel_id, session_id});
  if (const auto tunnel = tunnels_.find(tunnel_id); tunnel != tunnels_.end()) {
    std::erase(tunnel->second.view.sessions, session_id);
  }
}

void FakeDaemon::accept_tunnel(std::uint32_t listener_id, std::uint32_t tunnel_id) {
  daemon::TunnelInfo info;
  info.view.tunnel_id = tunnel_id;
  info.view.listener_id = listener_id;
  info.view.role = fsm::Role::kResponder;
  listeners_.at(listener_id).view.accepted++;
  add_tunnel(info);
}

void FakeDaemon::remove_listener(std::uint32_t listener_id) {
  if (forget_before_removed) listeners_.erase(listener_id);
  observer_.listener_removed(listener_id);
  listeners_.erase(listener_id);
}

// ---- FakeAuthority -------------------------------------------------------------

authz::CheckId FakeAuthority::check(const std::string& sender, const std::string& action_id,
                                    bool allow_interaction,
                                    std::function<void(authz::Verdict)> done) {
  checks.push_back({sender, action_id, allow_interaction});
  const authz::CheckId id = ++last_id_;
  if (hold) {
    held_.emplace(id, std::move(done));
    return id;
  }
  // Never from inside check(), as the real one promises.
  deferrer_.defer([done = std::move(done), answer = verdict] { done(answer); });
  return id;
}

void FakeAuthority::cancel(authz::CheckId id) {
  cancelled.push_back(id);
  held_.erase(id);
}

void FakeAuthority::release() {
  auto held = std::move(held_);
  held_.clear();
  for (auto& entry : held) {
    deferrer_.defer([done = std::move(entry.second), answer = verdict] { done(answer); });
  }
}

// ---- PosingIdentifier ----------------------------------------------------------

void PosingIdentifier::identify(sd_bus_message* call, Identified done) {
  real_.identify(call, [this, done = std::move(done)](std::expected<Caller, sdbus::Error> caller) {
    if (caller) {
      last_real = *caller;
      if (pose_as) caller->uid = *pose_as;
    }
    done(std::move(caller));
  });
}

}  // namespace l2tp::dbus::testing
