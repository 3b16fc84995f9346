#include "dataplane/kernel_data_plane.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "kernel/pppol2tp_socket.h"

namespace l2tp::dataplane {

namespace {

std::string tunnel_object(std::uint32_t tunnel_id) {
  return "tunnel " + std::to_string(tunnel_id);
}

std::string session_object(std::uint32_t tunnel_id, std::uint32_t session_id) {
  return "session " + std::to_string(tunnel_id) + "/" + std::to_string(session_id);
}

// Is the kernel's tunnel the one these parameters would create?
bool same_tunnel(const kernel::KernelTunnel& kernel_tunnel, const KernelTunnelParams& params) {
  return kernel_tunnel.version == params.version &&
         kernel_tunnel.encapsulation == params.encapsulation &&
         kernel_tunnel.peer_tunnel_id == params.peer_tunnel_id &&
         kernel_tunnel.local == params.local && kernel_tunnel.peer == params.peer;
}

bool same_session(const kernel::KernelSession& kernel_session, const KernelSessionParams& params) {
  const std::uint16_t pw_type = params.pseudowire == Pseudowire::kEth ? kernel::l2tp_nl::kPwTypeEth
                                                                      : kernel::l2tp_nl::kPwTypePpp;
  if (kernel_session.pw_type != pw_type ||
      kernel_session.peer_session_id != params.peer_session_id ||
      kernel_session.send_cookie != params.peer_cookie ||
      kernel_session.receive_cookie != params.cookie)
    return false;
  if (kernel_session.l2spec_type) {
    const bool sublayer = params.l2_specific_sublayer == L2SpecificSublayer::kDefault;
    if ((*kernel_session.l2spec_type == kernel::l2tp_nl::kL2specDefault) != sublayer) return false;
  }
  return params.interface_name.empty() || params.interface_name == kernel_session.interface_name;
}

}  // namespace

KernelDataPlane::KernelDataPlane(AlarmFactory& alarms, DataPlaneEvents& events, Logger& logger,
                                 kernel::L2tpControl& netlink, SocketLookup sockets,
                                 KernelDataPlaneOptions options)
    : netlink_(netlink),
      sockets_(std::move(sockets)),
      options_(std::move(options)),
      events_(events),
      logger_(logger),
      answers_(alarms, events),
      retry_alarm_(alarms.create([this] { run_retries(); })),
      ppp_(options_.ppp ? options_.ppp(*this) : nullptr) {}

KernelDataPlane::~KernelDataPlane() = default;

// ---- Start-up reconciliation -----------------------------------------------------

void KernelDataPlane::load_record() {
  if (options_.state_path.empty()) return;
  auto recorded = kernel::read_static_record(options_.state_path);
  if (!recorded) {
    logger_.log(LogLevel::kWarning, "daemon",
                "ignoring the record of static tunnels: " + recorded.error());
    return;
  }
  record_ = *recorded;
  adoptable_ = *recorded;
}

void KernelDataPlane::reconcile(const std::set<std::uint32_t>& configured_tunnels,
                                const std::set<SessionKey>& configured_sessions) {
  // What the config files create was adopted or is still to come; the rest
  // of the record goes. Objects claimed meanwhile are configured ones.
  std::erase_if(adoptable_.tunnels,
                [&](std::uint32_t id) { return !configured_tunnels.contains(id); });
  std::erase_if(adoptable_.sessions,
                [&](const SessionKey& key) { return !configured_sessions.contains(key); });
  // An id this daemon has asked for since it started (a D-Bus call may come
  // before this turn) is its own now, whatever an earlier run recorded.
  std::set<std::uint32_t> stale_tunnels;
  for (std::uint32_t id : record_.tunnels)
    if (!configured_tunnels.contains(id) && !tunnels_.contains(id)) stale_tunnels.insert(id);
  std::set<SessionKey> stale_sessions;
  for (const SessionKey& key : record_.sessions)
    if (!configured_sessions.contains(key) && !stale_tunnels.contains(key.first) &&
        !sessions_.contains(key))
      stale_sessions.insert(key);
  if (stale_tunnels.empty() && stale_sessions.empty()) return;

  for (std::uint32_t tunnel_id : stale_tunnels) {
    auto deleted = netlink_.delete_tunnel(tunnel_id);
    if (deleted)
      logger_.log(
          LogLevel::kNotice, tunnel_object(tunnel_id),
          "deleted the static kernel tunnel an earlier l2tpbusd left: no config file creates it");
    else if (deleted.error().error != ENOENT)
      logger_.log(LogLevel::kWarning, tunnel_object(tunnel_id), deleted.error().message);
    deleted_tunnels_.insert(tunnel_id);
    remember(false, tunnel_id, std::nullopt);
  }
  for (const SessionKey& key : stale_sessions) {
    auto deleted = netlink_.delete_session(key.first, key.second);
    if (deleted)
      logger_.log(
          LogLevel::kNotice, session_object(key.first, key.second),
          "deleted the static kernel session an earlier l2tpbusd left: no config file creates "
          "it");
    else if (deleted.error().error != ENOENT)
      logger_.log(LogLevel::kWarning, session_object(key.first, key.second),
                  deleted.error().message);
    deleted_sessions_.insert(key);
    remember(false, std::nullopt, key);
  }
}

// ---- Tunnels -----------------------------------------------------------------------

void KernelDataPlane::create_tunnel(const KernelTunnelParams& params) {
  tunnels_[params.tunnel_id] = TunnelEntry{params, false};
  attempt_tunnel(params.tunnel_id, options_.retry_attempts);
}

void KernelDataPlane::attempt_tunnel(std::uint32_t tunnel_id, int attempts_left) {
  auto entry = tunnels_.find(tunnel_id);
  if (entry == tunnels_.end() || entry->second.created) return;
  const KernelTunnelParams params = entry->second.params;

  std::optional<int> fd;
  if (params.managed) {
    auto socket = sockets_(Path{params.tunnel_id, params.encapsulation, params.local, params.peer});
    if (!socket) {
      tunnel_failed(tunnel_id, "no tunnel socket: " + socket.error());
      return;
    }
    fd = *socket;
  }

  auto created = netlink_.create_tunnel(params, fd);
  if (!created && created.error().error == EEXIST) {
    if (!params.managed && adoptable_.tunnels.contains(tunnel_id)) {
      adoptable_.tunnels.erase(tunnel_id);
      auto existing = netlink_.get_tunnel(tunnel_id);
      if (existing && same_tunnel(*existing, params)) {
        logger_.log(LogLevel::kInfo, tunnel_object(tunnel_id),
                    "adopted the static kernel tunnel of an earlier l2tpbusd");
        entry->second.created = true;
        answers_.later([tunnel_id](DataPlaneEvents& e) { e.data_plane_tunnel_ready(tunnel_id); });
        return;
      }
      // Ours, but the config changed meanwhile: replace it.
      logger_.log(
          LogLevel::kInfo, tunnel_object(tunnel_id),
          "replacing the static kernel tunnel of an earlier l2tpbusd: its parameters changed");
      static_cast<void>(netlink_.delete_tunnel(tunnel_id));
      remember(false, tunnel_id, std::nullopt);
      deleted_tunnels_.insert(tunnel_id);
    }
    if (deleted_tunnels_.contains(tunnel_id) && attempts_left > 0) {
      retry_later({tunnel_id, attempts_left - 1});
      return;
    }
    tunnel_failed(tunnel_id, "tunnel id " + std::to_string(tunnel_id) +
                                 " is in use in the kernel (by another program?)");
    return;
  }
  if (!created) {
    tunnel_failed(tunnel_id, created.error().message);
    return;
  }
  entry->second.created = true;
  deleted_tunnels_.erase(tunnel_id);
  if (!params.managed) remember(true, tunnel_id, std::nullopt);
  answers_.later([tunnel_id](DataPlaneEvents& e) { e.data_plane_tunnel_ready(tunnel_id); });
}

void KernelDataPlane::tunnel_failed(std::uint32_t tunnel_id, const std::string& reason) {
  logger_.log(LogLevel::kWarning, tunnel_object(tunnel_id), reason);
  answers_.later(
      [tunnel_id, reason](DataPlaneEvents& e) { e.data_plane_tunnel_failed(tunnel_id, reason); });
}

void KernelDataPlane::delete_tunnel(std::uint32_t tunnel_id) {
  std::erase_if(retries_, [tunnel_id](const Retry& retry) {
    if (const auto* id = std::get_if<std::uint32_t>(&retry.object)) return *id == tunnel_id;
    return std::get<SessionKey>(retry.object).first == tunnel_id;
  });
  std::erase_if(sessions_,
                [tunnel_id](const auto& entry) { return entry.first.first == tunnel_id; });
  auto entry = tunnels_.find(tunnel_id);
  if (entry == tunnels_.end()) return;
  const bool created = entry->second.created;
  tunnels_.erase(entry);
  if (!created) return;
  // The kernel deletes the tunnel's sessions with it.
  auto deleted = netlink_.delete_tunnel(tunnel_id);
  if (!deleted && deleted.error().error != ENOENT)
    logger_.log(LogLevel::kWarning, tunnel_object(tunnel_id), deleted.error().message);
  deleted_tunnels_.insert(tunnel_id);
  remember(false, tunnel_id, std::nullopt);
}

bool KernelDataPlane::is_static(std::uint32_t tunnel_id) const {
  auto entry = tunnels_.find(tunnel_id);
  return entry != tunnels_.end() && !entry->second.params.managed;
}

// ---- Sessions ----------------------------------------------------------------------

void KernelDataPlane::create_session(const KernelSessionParams& params) {
  const SessionKey key{params.tunnel_id, params.session_id};
  sessions_[key] = SessionEntry{params, false};
  attempt_session(key, options_.retry_attempts);
}

void KernelDataPlane::attempt_session(const SessionKey& key, int attempts_left) {
  auto entry = sessions_.find(key);
  if (entry == sessions_.end() || entry->second.created) return;
  const KernelSessionParams params = entry->second.params;

  auto created = netlink_.create_session(params);
  if (created) {
    entry->second.created = true;
    session_created(key);
    return;
  }
  if (created.error().error != EEXIST) {
    session_failed(key, created.error().message);
    return;
  }

  auto existing = netlink_.get_session(key.first, key.second);
  if (existing) {
    if (adoptable_.sessions.contains(key)) {
      adoptable_.sessions.erase(key);
      if (same_session(*existing, params)) {
        logger_.log(LogLevel::kInfo, session_object(key.first, key.second),
                    "adopted the static kernel session of an earlier l2tpbusd");
        entry->second.created = true;
        session_created(key);
        return;
      }
      logger_.log(
          LogLevel::kInfo, session_object(key.first, key.second),
          "replacing the static kernel session of an earlier l2tpbusd: its parameters changed");
      static_cast<void>(netlink_.delete_session(key.first, key.second));
      remember(false, std::nullopt, key);
      deleted_sessions_.insert(key);
    }
    if (deleted_sessions_.contains(key) && attempts_left > 0) {
      retry_later({key, attempts_left - 1});
      return;
    }
    session_failed(key, "session id " + std::to_string(key.second) +
                            " is in use in the kernel (by another program?)");
    return;
  }
  // No such session: the name is taken, perhaps by a device the kernel is
  // still tearing down after a delete.
  if (!params.interface_name.empty() && attempts_left > 0) {
    retry_later({key, attempts_left - 1});
    return;
  }
  session_failed(key, params.interface_name.empty()
                          ? created.error().message
                          : "interface name " + params.interface_name + " is in use");
}

void KernelDataPlane::session_created(const SessionKey& key) {
  auto entry = sessions_.find(key);
  if (entry == sessions_.end()) return;
  const KernelSessionParams& params = entry->second.params;
  deleted_sessions_.erase(key);
  if (is_static(key.first)) remember(true, std::nullopt, key);
  std::string interface_name;
  if (params.pseudowire == Pseudowire::kEth) {
    // The kernel picks the name unless we gave one: ask it which.
    auto session = netlink_.get_session(key.first, key.second);
    interface_name = session ? session->interface_name : params.interface_name;
    if (interface_name.empty()) {
      session_failed(key, "the kernel did not name the Ethernet session's interface");
      return;
    }
    if (auto up = netlink_.set_link_up(interface_name, params.mtu); !up) {
      session_failed(key, up.error().message);
      return;
    }
  }
  answers_.later([key, interface_name](DataPlaneEvents& e) {
    e.data_plane_session_ready(key.first, key.second, interface_name);
  });
}

void KernelDataPlane::session_failed(const SessionKey& key, const std::string& reason) {
  logger_.log(LogLevel::kWarning, session_object(key.first, key.second), reason);
  auto entry = sessions_.find(key);
  if (entry != sessions_.end() && entry->second.created) {
    // Half set up (e.g. its link would not come up): leave nothing behind.
    static_cast<void>(netlink_.delete_session(key.first, key.second));
    remember(false, std::nullopt, key);
    deleted_sessions_.insert(key);
    entry->second.created = false;
  }
  answers_.later([key, reason](DataPlaneEvents& e) {
    e.data_plane_session_failed(key.first, key.second, reason);
  });
}

void KernelDataPlane::delete_session(std::uint32_t tunnel_id, std::uint32_t session_id) {
  const SessionKey key{tunnel_id, session_id};
  std::erase_if(retries_, [&key](const Retry& retry) {
    const auto* session = std::get_if<SessionKey>(&retry.object);
    return session != nullptr && *session == key;
  });
  auto entry = sessions_.find(key);
  if (entry == sessions_.end()) return;
  const bool created = entry->second.created;
  sessions_.erase(entry);
  if (!created) return;
  auto deleted = netlink_.delete_session(tunnel_id, session_id);
  if (!deleted && deleted.error().error != ENOENT)
    logger_.log(LogLevel::kWarning, session_object(tunnel_id, session_id), deleted.error().message);
  deleted_sessions_.insert(key);
  remember(false, std::nullopt, key);
}

std::optional<kernel::SessionCounters> KernelDataPlane::session_counters(std::uint32_t tunnel_id,
                                                                         std::uint32_t session_id) {
  auto entry = sessions_.find({tunnel_id, session_id});
  if (entry == sessions_.end() || !entry->second.created) return std::nullopt;
  auto session = netlink_.get_session(tunnel_id, session_id);
  if (!session) return std::nullopt;
  return session->counters;
}

// ---- PPP ---------------------------------------------------------------------------

void KernelDataPlane::start_ppp(const PppStartParams& params) {
  const SessionKey key{params.session.tunnel_id, params.session.session_id};
  auto tunnel = tunnels_.find(key.first);
  if (tunnel == tunnels_.end()) {
    session_failed(key, "no kernel tunnel for the PPP session");
    return;
  }
  const KernelTunnelParams& tunnel_params = tunnel->second.params;
  // The kernel finds the existing tunnel by id; the tunnel socket only
  // matters to kernels that would create it, so static tunnels pass none.
  int tunnel_fd = -1;
  if (tunnel_params.managed) {
    auto socket = sockets_(Path{tunnel_params.tunnel_id, tunnel_params.encapsulation,
                                tunnel_params.local, tunnel_params.peer});
    if (socket) tunnel_fd = *socket;
  }
  kernel::PppSocketParams socket_params{
      .version = params.session.version,
      .tunnel_fd = tunnel_fd,
      .tunnel_id = params.session.tunnel_id,
      .session_id = params.session.session_id,
      .peer_tunnel_id = params.session.peer_tunnel_id,
      .peer_session_id = params.session.peer_session_id,
      .peer = tunnel_params.peer,
  };
  auto socket = kernel::open_pppol2tp_socket(socket_params);
  if (!socket) {
    const int error = socket.error();
    std::string reason = std::string("cannot open the PPPoL2TP socket: ") + std::strerror(error);
    if (error == EPROTONOSUPPORT || error == EAFNOSUPPORT)
      reason += " (the kernel lacks a module: load l2tp_ppp and ppp_generic)";
    session_failed(key, reason);
    return;
  }
  if (ppp_ == nullptr) {
    session_failed(key, "pppd cannot be run by this daemon");
    return;
  }
  if (auto started = ppp_->start(params, std::move(*socket)); !started)
    session_failed(key, "cannot start pppd: " + started.error());
}

void KernelDataPlane::stop_ppp(std::uint32_t tunnel_id, std::uint32_t session_id) {
  if (ppp_ != nullptr) ppp_->stop(tunnel_id, session_id);
}

void KernelDataPlane::ppp_network_up(std::uint32_t tunnel_id, std::uint32_t session_id,
                                     const PppAddresses& addresses) {
  events_.ppp_network_up(tunnel_id, session_id, addresses);
}

void KernelDataPlane::ppp_ended(std::uint32_t tunnel_id, std::uint32_t session_id, int exit_status,
                                bool authentication_failed, const std::string& message) {
  events_.ppp_ended(tunnel_id, session_id, exit_status, authentication_failed, message);
}

// ---- Retries, record, answers -------------------------------------------------------

void KernelDataPlane::retry_later(Retry retry) {
  retries_.push_back(std::move(retry));
  if (!retry_alarm_->armed()) retry_alarm_->arm(options_.retry_interval);
}

void KernelDataPlane::run_retries() {
  std::deque<Retry> due;
  due.swap(retries_);
  for (const Retry& retry : due) {
    if (const auto* tunnel_id = std::get_if<std::uint32_t>(&retry.object))
      attempt_tunnel(*tunnel_id, retry.attempts_left);
    else
      attempt_session(std::get<SessionKey>(retry.object), retry.attempts_left);
  }
}

void KernelDataPlane::remember(bool add, std::optional<std::uint32_t> tunnel,
                               std::optional<SessionKey> session) {
  const kernel::StaticRecord before = record_;
  if (tunnel) {
    if (add) {
      record_.tunnels.insert(*tunnel);
    } else {
      record_.tunnels.erase(*tunnel);
      std::erase_if(record_.sessions, [&](const SessionKey& key) { return key.first == *tunnel; });
    }
  }
  if (session) {
    if (add)
      record_.sessions.insert(*session);
    else
      record_.sessions.erase(*session);
  }
  if (record_ != before) save_record();
}

void KernelDataPlane::save_record() {
  if (options_.state_path.empty()) return;
  if (auto saved = kernel::write_static_record(options_.state_path, record_); !saved)
    logger_.log(LogLevel::kWarning, "daemon",
                "cannot keep the record of static tunnels: " + saved.error());
}

}  // namespace l2tp::dataplane
