#include "daemon/daemon_impl.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "daemon/log.h"

namespace l2tp::daemon {

namespace {

FailureKind failure_kind(fsm::ErrorCode code) {
  switch (code) {
    case fsm::ErrorCode::kInvalidArgument:
      return FailureKind::kInvalidArgs;
    case fsm::ErrorCode::kExists:
      return FailureKind::kExists;
    case fsm::ErrorCode::kNotFound:
      return FailureKind::kNotFound;
    case fsm::ErrorCode::kLimitExceeded:
      return FailureKind::kLimitExceeded;
    case fsm::ErrorCode::kNotSupported:
      return FailureKind::kNotSupported;
    case fsm::ErrorCode::kWrongState:
      return FailureKind::kFailed;
  }
  return FailureKind::kFailed;
}

Failure from_engine(const fsm::Error& error) {
  return {failure_kind(error.code), error.message};
}

std::string why_ended(const fsm::TunnelView& tunnel) {
  if (!tunnel.last_result.message.empty()) return tunnel.last_result.message;
  return "tunnel " + std::to_string(tunnel.tunnel_id) + " ended (result " +
         std::to_string(tunnel.last_result.result) + ", error " +
         std::to_string(tunnel.last_result.error) + ")";
}

std::string system_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "l2tpbus";
  return name;
}

}  // namespace

std::unique_ptr<Daemon> Daemon::create(DaemonPorts ports, const DaemonOptions& options,
                                       DaemonObserver& observer) {
  return std::make_unique<DaemonImpl>(std::move(ports), options, observer);
}

DaemonImpl::DaemonImpl(DaemonPorts ports, const DaemonOptions& options, DaemonObserver& observer)
    : clock_(ports.clock),
      alarms_(ports.alarms),
      options_(options),
      observer_(observer),
      support_(ports.support),
      host_name_(options.settings.host_name.empty() ? system_host_name()
                                                    : options.settings.host_name),
      resolver_(std::move(ports.resolver)) {
  sockets_ = ports.open_sockets([this](const fsm::Datagram& d) { engine_->receive(d); });
  data_plane_ = ports.open_data_plane(to_engine_, *sockets_, static_cast<fsm::Logger&>(*this));
  if (auto reason = data_plane_->unavailable())
    l2tp::daemon::log(LogLevel::kNotice, "daemon", *reason);
  if (ports.open_ipsec) ipsec_ = ports.open_ipsec(to_engine_, static_cast<fsm::Logger&>(*this));

  fsm::EngineLimits limits;
  limits.max_tunnels = options_.settings.max_tunnels;
  limits.reserved_local_tunnels = config::reserved_local_tunnels(options_.settings);
  limits.max_sessions = options_.settings.max_sessions;
  limits.max_half_open = options_.settings.max_half_open;
  limits.max_half_open_per_source = options_.settings.max_half_open_per_peer;
  engine_ = std::make_unique<fsm::Engine>(
      fsm::Environment{
          .clock = clock_,
          .alarms = alarms_,
          .random = ports.random,
          .sink = *sockets_,
          .data_plane = data_plane_->port(),
          .observer = *this,
          .logger = this,
          .call_admission = this,
          .ipsec = ipsec_.get(),
      },
      limits);
  // Deleting what an earlier run left waits for the loop, which only runs
  // once this daemon owns the bus name and applied its files.
  reconcile_alarm_ = alarms_.create([this] { reconcile_static_objects(); });
  reconcile_alarm_->arm(Duration::zero());
  if (!resolver_)
    l2tp::daemon::log(LogLevel::kWarning, "daemon", "no host name resolution: give addresses");
}

void DaemonImpl::reconcile_static_objects() {
  // A file that does not load counts as creating nothing (load_config()
  // reports it).
  dataplane::StaticObjects configured;
  const config::Defaults file_defaults = defaults();
  for (const std::string& path : config::list_tunnel_files(options_.config_directory)) {
    auto loaded = config::load_tunnel_file(path, file_defaults);
    if (!loaded) continue;
    const auto* file = std::get_if<config::TunnelFile>(&loaded->content);
    if (file == nullptr || file->tunnel.config.mode != fsm::TunnelMode::kStatic) continue;
    const std::uint32_t tunnel_id = file->tunnel.config.tunnel_id;
    configured.tunnels.insert(tunnel_id);
    for (const fsm::SessionConfig& session : file->sessions)
      configured.sessions.insert({tunnel_id, session.session_id});
  }
  data_plane_->reconcile(configured);
}

DaemonImpl::~DaemonImpl() {
  // Pending resolutions and retries call into the engine; stop them first.
  resolutions_.clear();
  retries_.clear();
  address_poll_.reset();
  reconcile_alarm_.reset();
  shutdown_deadline_.reset();
  // Then the engine, while its sockets and data plane still exist; what the
  // data plane answers as it goes (pppd killed) reaches no engine.
  engine_.reset();
}

// ---- Commands ---------------------------------------------------------------

std::optional<Failure> DaemonImpl::refuse_pseudowire(const fsm::SessionConfig& config) const {
  if (auto unavailable = data_plane_->unavailable())
    return Failure{FailureKind::kNotSupported,
                   "sessions need the kernel data plane, but " + *unavailable};
  if (auto refused = data_plane_->refuse(config.pseudowire))
    return Failure{FailureKind::kNotSupported, *refused};
  return std::nullopt;
}

Result<void> DaemonImpl::check_tunnel_limits(uid_t owner) const {
  std::size_t total = resolutions_.size();
  for (const auto& [uid, count] : tunnels_per_uid_) total += count;
  if (total >= options_.settings.max_tunnels)
    return std::unexpected(
        Failure{FailureKind::kLimitExceeded, "the daemon's limit of " +
                                                 std::to_string(options_.settings.max_tunnels) +
                                                 " tunnels is reached"});
  if (owner == 0) return {};
  auto it = tunnels_per_uid_.find(owner);
  if (it != tunnels_per_uid_.end() && it->second >= options_.settings.max_tunnels_per_user)
    return std::unexpected(Failure{FailureKind::kLimitExceeded,
                                   "uid " + std::to_string(owner) + " already has " +
                                       std::to_string(it->second) + " tunnels (the limit)"});
  return {};
}

std::optional<Failure> DaemonImpl::refuse_ipsec() const {
  const std::optional<std::string> unavailable =
      ipsec_ ? ipsec_->unavailable() : "this daemon was started without IPsec";
  if (!unavailable) return std::nullopt;
  return Failure{FailureKind::kNotSupported,
                 "Ipsec: IPsec needs strongSwan's charon with its VICI socket (Debian: "
                 "charon-systemd and strongswan-swanctl): " +
                     *unavailable};
}

void DaemonImpl::create_tunnel(const config::TunnelRequest& request, uid_t owner,
                               std::function<void(Result<std::uint32_t>)> done) {
  create_tunnel_for(request, {.owner = owner, .config_file = {}}, std::move(done));
}

void DaemonImpl::create_tunnel_for(const config::TunnelRequest& request, const TunnelOrigin& origin,
                                   std::function<void(Result<std::uint32_t>)> done) {
  const uid_t owner = origin.owner;
  if (auto unavailable = data_plane_->unavailable();
      unavailable && request.config.mode != fsm::TunnelMode::kDynamic) {
    done(std::unexpected(Failure{FailureKind::kNotSupported,
                                 std::string(fsm::to_string(request.config.mode)) +
                                     " tunnels need the kernel data plane, but " + *unavailable}));
    return;
  }
  if (request.config.encapsulation == wire::Encapsulation::kIp && !support_.ip_sockets) {
    done(std::unexpected(Failure{FailureKind::kNotSupported,
                                 "Encapsulation ip needs L2TP/IP sockets: load l2tp_ip and "
                                 "l2tp_ip6"}));
    return;
  }
  if (request.config.ipsec) {
    if (auto refused = refuse_ipsec()) {
      done(std::unexpected(*refused));
      return;
    }
  }
  if (auto limits = check_tunnel_limits(owner); !limits) {
    done(std::unexpected(limits.error()));
    return;
  }
  if (request.peer.is_numeric) {
    create_resolved_tunnel(request, request.config.peer, origin, done);
    return;
  }
  if (!resolver_) {
    done(std::unexpected(Failure{FailureKind::kFailed,
                                 "Peer: host names cannot be resolved "
                                 "(no resolver); give an address"}));
    return;
  }

  resolve::AddressFamily family = resolve::AddressFamily::kAny;
  if (request.config.local.family == fsm::Endpoint::Family::kIpv4)
    family = resolve::AddressFamily::kIpv4;
  else if (request.config.local.family == fsm::Endpoint::Family::kIpv6)
    family = resolve::AddressFamily::kIpv6;

  // Counted against the owner's limit while it resolves, so a caller cannot
  // queue unbounded work behind a slow resolver.
  ++tunnels_per_uid_[owner];
  const std::uint64_t key = next_resolution_++;
  auto finish = [this, key, request, origin, done](auto result) {
    auto self = std::move(resolutions_[key]);  // keep the request alive until we return
    resolutions_.erase(key);
    if (--tunnels_per_uid_[origin.owner] == 0) tunnels_per_uid_.erase(origin.owner);
    if (!result || result->empty()) {
      done(std::unexpected(
          Failure{FailureKind::kFailed,
                  "Peer: cannot resolve " + request.peer.host + ": " +
                      (result ? std::string("no address") : result.error().message)}));
      return;
    }
    create_resolved_tunnel(request, result->front(), origin, done);
  };
  resolutions_[key] =
      resolver_->resolve(request.peer.host, request.peer.port, family, std::move(finish));
}

void DaemonImpl::create_resolved_tunnel(config::TunnelRequest request, const fsm::Endpoint& peer,
                                        const TunnelOrigin& origin,
                                        const std::function<void(Result<std::uint32_t>)>& done) {
  const bool from_file = !origin.config_file.empty();
  fsm::TunnelConfig& config = request.config;
  config.peer = peer;
  if (config.local.family == fsm::Endpoint::Family::kUnspecified) {
    config.local = peer.family == fsm::Endpoint::Family::kIpv6
                       ? fsm::Endpoint::ipv6({}, config.local.port)
                       : fsm::Endpoint::ipv4({0, 0, 0, 0}, config.local.port);
  }
  if (config.local.family != peer.family) {
    done(std::unexpected(
        Failure{FailureKind::kInvalidArgs, "Local: address family differs from Peer's"}));
    return;
  }

  // Dynamic and quiescent UDP tunnels run a control channel on a socket of
  // their own whose local port must be known before the first message.
  const bool prepared_socket =
      config.mode != fsm::TunnelMode::kStatic && config.encapsulation == wire::Encapsulation::kUdp;
  if (prepared_socket) {
    auto bound = sockets_->prepare_initiator(config.local, config.peer, config.encapsulation,
                                             request.local_port_given, from_file);
    if (!bound) {
      done(std::unexpected(
          Failure{FailureKind::kFailed,
                  "Local: cannot bind " + config.local.to_string() + ": " + bound.error()}));
      return;
    }
    config.local = *bound;
  } else if (config.encapsulation == wire::Encapsulation::kUdp && config.local.port == 0) {
    config.local.port = 1701;
  }

  // The kernel makes the socket of a static tunnel itself, and neither it
  // nor an L2TPIP socket binds where the address is not: the tunnel of a
  // file waits for it (local_addresses.cpp).
  config.await_local_address = from_file && config.mode != fsm::TunnelMode::kDynamic &&
                               !sockets_->is_local_address(config.local);

  std::expected<std::uint32_t, fsm::Error> created;
  {
    // The owner and the file are noted before the engine's events announce
    // the tunnel.
    const fsm::Engine::EventBatch batch(*engine_);
    created = engine_->create_tunnel(config);
    if (created) {
      tunnel_owners_[*created] = origin.owner;
      if (from_file) tunnel_files_[*created] = origin.config_file;
    }
  }
  if (!created) {
    if (prepared_socket) sockets_->discard_prepared(config.local, config.peer);
    done(std::unexpected(from_engine(created.error())));
    return;
  }
  if (config.await_local_address) {
    l2tp::daemon::log(LogLevel::kNotice, "tunnel " + std::to_string(*created), "waits for ",
                      config.local.to_string(), " to be an address of this host");
    tunnels_awaiting_address_[*created] = config.local;
    watch_local_addresses();
  }
  done(*created);
}

Result<std::uint32_t> DaemonImpl::create_session(std::uint32_t tunnel_id,
                                                 const fsm::SessionConfig& config, uid_t owner) {
  if (auto refused = refuse_pseudowire(config)) return std::unexpected(*refused);
  if (auto reached = session_limit_reached(owner))
    return std::unexpected(Failure{FailureKind::kLimitExceeded, *reached});
  std::expected<std::uint32_t, fsm::Error> created;
  {
    const fsm::Engine::EventBatch batch(*engine_);
    created = engine_->create_session(tunnel_id, config);
    if (created) session_owners_[{tunnel_id, *created}] = owner;
  }
  if (!created) return std::unexpected(from_engine(created.error()));
  return *created;
}

Result<std::uint32_t> DaemonImpl::listen(const fsm::ListenerConfig& requested) {
  return open_listener(requested, "");
}

Result<std::uint32_t> DaemonImpl::open_listener(const fsm::ListenerConfig& requested,
                                                const std::string& config_file) {
  if (requested.encapsulation == wire::Encapsulation::kIp && !support_.ip_sockets)
    return std::unexpected(Failure{FailureKind::kNotSupported,
                                   "Encapsulation ip needs L2TP/IP sockets: load l2tp_ip and "
                                   "l2tp_ip6"});
  if (requested.ipsec) {
    if (auto refused = refuse_ipsec()) return std::unexpected(*refused);
  }
  fsm::ListenerConfig config = requested;
  ListenerPlace place{
      .local = config.local,
      .encapsulation = config.encapsulation,
      .socket = next_listener_socket_++,
      .config_file = config_file,
      .require_esp = config.ipsec && config.ipsec->required,
      // The bus's callers hear at once of an address that is not here (a
      // typo should fail loudly); files wait for theirs.
      .free_bind = !config_file.empty(),
  };
  // An L2TPIP socket cannot bind before its address is here: a file's
  // listener binds once it is (local_addresses_changed()).
  const bool bind_later = place.free_bind && config.encapsulation == wire::Encapsulation::kIp &&
                          !sockets_->is_local_address(config.local);
  if (!bind_later) {
    auto bound = sockets_->open_listener(place.socket, config.local, config.encapsulation,
                                         place.require_esp, place.free_bind);
    if (!bound) {
      const bool in_use = bound.error().find("in use") != std::string::npos ||
                          bound.error().find("already") != std::string::npos;
      return std::unexpected(
          Failure{in_use ? FailureKind::kExists : FailureKind::kFailed,
                  "Local: cannot listen on " + config.local.to_string() + ": " + bound.error()});
    }
    config.local = *bound;
    place.local = *bound;
    place.bound = true;
  }
  auto created = engine_->listen(config);
  if (!created) {
    if (place.bound) sockets_->close_listener(place.socket);
    return std::unexpected(from_engine(created.error()));
  }
  place.state = listener_state(place, config.local);
  if (place.state == ListenerState::kWaiting) {
    l2tp::daemon::log(LogLevel::kNotice, "listener " + std::to_string(*created), "waits for ",
                      config.local.to_string(), " to be an address of this host",
                      place.bound ? "" : "; it binds then");
  }
  listener_places_[*created] = place;
  if (specific(config.local)) watch_local_addresses();
  if (config.ipsec) {
    const std::uint32_t listener_id = *created;
    ipsec_->protect_listener(listener_id, config.local, config.ipsec,
                             [listener_id](std::expected<void, std::string> loaded) {
                               if (loaded) return;
                               l2tp::daemon::log(LogLevel::kWarning,
                                                 "listener " + std::to_string(listener_id),
                                                 "IPsec responder not loaded: " + loaded.error());
                             });
  }
  if (auto view = engine_->listener(*created)) observer_.listener_added(listener_info(*view));
  return *created;
}

Result<void> DaemonImpl::close_tunnel(std::uint32_t tunnel_id) {
  auto closed = engine_->close_tunnel(tunnel_id);
  if (!closed) return std::unexpected(from_engine(closed.error()));
  return {};
}

Result<void> DaemonImpl::close_session(std::uint32_t tunnel_id, std::uint32_t session_id) {
  auto closed = engine_->close_session(tunnel_id, session_id);
  if (!closed) return std::unexpected(from_engine(closed.error()));
  return {};
}

Result<void> DaemonImpl::close_listener(std::uint32_t listener_id) {
  auto closed = engine_->close_listener(listener_id);
  if (!closed) return std::unexpected(from_engine(closed.error()));
  std::string config_file;
  if (auto it = listener_places_.find(listener_id); it != listener_places_.end()) {
    if (it->second.bound) sockets_->close_listener(it->second.socket);
    config_file = std::move(it->second.config_file);
    listener_places_.erase(it);
  }
  if (ipsec_) ipsec_->release_listener(listener_id);
  observer_.listener_removed(listener_id);
  // A file's listener closed on the bus (its file forgot it first otherwise).
  config_object_ended(config_file, 0, listener_id,
                      "listener " + std::to_string(listener_id) + " was closed");
  return {};
}

void DaemonImpl::shutdown(Duration grace, std::function<void()> done) {
  shutdown_done_ = std::move(done);
  // Its files did not ask for what ends now: they stay as they are shown.
  shutting_down_ = true;
  for (std::uint32_t listener_id : engine_->listener_ids()) close_listener(listener_id);
  for (std::uint32_t tunnel_id : engine_->tunnel_ids()) engine_->close_tunnel(tunnel_id);
  shutdown_deadline_ = alarms_.create([this] {
    l2tp::daemon::log(LogLevel::kWarning, "daemon", "shutting down with ",
                      engine_->tunnel_ids().size(), " tunnels still closing");
    if (auto finish = std::exchange(shutdown_done_, nullptr)) finish();
  });
  shutdown_deadline_->arm(grace);
  finish_shutdown_if_idle();
}

void DaemonImpl::finish_shutdown_if_idle() {
  // Once per removal while shutting down: no list of every tunnel here.
  if (!shutdown_done_ || engine_->has_tunnels()) return;
  shutdown_deadline_.reset();
  // Not from inside the engine's delivery of events: the caller may destroy us.
  shutdown_deadline_ = alarms_.create([this] {
    if (auto done = std::exchange(shutdown_done_, nullptr)) done();
  });
  shutdown_deadline_->arm(Duration::zero());
}

// ---- Views ------------------------------------------------------------------

std::optional<TunnelInfo> DaemonImpl::tunnel(std::uint32_t tunnel_id) const {
  auto view = engine_->tunnel(tunnel_id);
  if (!view) return std::nullopt;
  return with_owner(*view);
}

std::optional<SessionInfo> DaemonImpl::session(std::uint32_t tunnel_id,
                                               std::uint32_t session_id) const {
  auto view = engine_->session(tunnel_id, session_id);
  if (!view) return std::nullopt;
  return with_owner(*view);
}

std::optional<ListenerInfo> DaemonImpl::listener(std::uint32_t listener_id) const {
  auto view = engine_->listener(listener_id);
  if (!view) return std::nullopt;
  return listener_info(*view);
}

ListenerInfo DaemonImpl::listener_info(const fsm::ListenerView& view) const {
  const auto place = listener_places_.find(view.listener_id);
  if (place == listener_places_.end()) return {.view = view};
  return {.view = view, .state = place->second.state, .config_file = place->second.config_file};
}

std::vector<std::uint32_t> DaemonImpl::tunnel_ids() const {
  return engine_->tunnel_ids();
}
std::vector<std::uint32_t> DaemonImpl::listener_ids() const {
  return engine_->listener_ids();
}

Statistics DaemonImpl::session_statistics(std::uint32_t tunnel_id, std::uint32_t session_id) const {
  // Read from the kernel when asked; the null data plane carries no traffic.
  kernel::SessionCounters c;
  if (session_id != 0) {
    if (auto counters = data_plane_->session_counters(tunnel_id, session_id)) c = *counters;
  }
  return {{"tx-packets", c.tx_packets},
          {"tx-bytes", c.tx_bytes},
          {"tx-errors", c.tx_errors},
          {"rx-packets", c.rx_packets},
          {"rx-bytes", c.rx_bytes},
          {"rx-errors", c.rx_errors},
          {"rx-seq-discards", c.rx_seq_discards},
          {"rx-oos-packets", c.rx_oos_packets}};
}

Statistics DaemonImpl::listener_statistics(std::uint32_t listener_id) const {
  const std::optional<fsm::ListenerView> view = engine_->listener(listener_id);
  if (!view) return {};
  const auto place = listener_places_.find(listener_id);
  const bool bound = place != listener_places_.end() && place->second.bound;
  return {{"accepted", view->accepted},
          {"rejected", view->rejected},
          {"tunnels-refused", view->tunnels_refused},
          {"calls-refused", view->calls_refused},
          {"refusals-unanswered", view->refusals_unanswered},
          {"tunnels-evicted", view->tunnels_evicted},
          {"kernel-drops", bound ? sockets_->listener_drops(place->second.socket) : 0}};
}

Statistics DaemonImpl::tunnel_statistics(std::uint32_t tunnel_id) const {
  Statistics statistics = session_statistics(tunnel_id, 0);
  auto view = engine_->tunnel(tunnel_id);
  if (!view) return {};
  for (std::uint32_t session_id : view->sessions)
    for (const auto& [key, value] : session_statistics(tunnel_id, session_id))
      statistics[key] += value;
  statistics["control-tx"] = view->control_tx;
  statistics["control-rx"] = view->control_rx;
  statistics["retransmits"] = view->retransmits;
  statistics["hello-tx"] = view->hello_tx;
  return statistics;
}

std::string DaemonImpl::data_plane() const {
  return data_plane_->name();
}

std::vector<std::string> DaemonImpl::features() const {
  std::vector<std::string> features{"l2tpv2", "l2tpv3", "udp"};
  if (support_.ip_sockets) features.push_back("ip");
  if (support_.ipv6) features.push_back("ipv6");
  if (!data_plane_->unavailable()) {
    if (!data_plane_->refuse(fsm::Pseudowire::kPpp)) features.push_back("ppp");
    if (!data_plane_->refuse(fsm::Pseudowire::kEth)) features.push_back("eth");
  }
  features.push_back("hidden-avps");
  features.push_back("tunnel-authentication");
  features.push_back("message-digest");
  if (ipsec_ && !ipsec_->unavailable()) features.push_back("ipsec");
  return features;
}

config::Defaults DaemonImpl::defaults() const {
  return {.host_name = host_name_};
}

// ---- Engine events ------------------------------------------------------------

TunnelInfo DaemonImpl::with_owner(const fsm::TunnelView& tunnel) const {
  auto owner = tunnel_owners_.find(tunnel.tunnel_id);
  auto file = tunnel_files_.find(tunnel.tunnel_id);
  return {tunnel, owner == tunnel_owners_.end() ? 0 : owner->second,
          file == tunnel_files_.end() ? std::string() : file->second};
}

SessionInfo DaemonImpl::with_owner(const fsm::SessionView& session) const {
  auto owner = session_owners_.find({session.tunnel_id, session.session_id});
  return {session, owner == session_owners_.end() ? 0 : owner->second};
}

void DaemonImpl::tunnel_added(const fsm::TunnelView& tunnel) {
  const uid_t owner = tunnel_owners_.try_emplace(tunnel.tunnel_id, 0).first->second;
  ++tunnels_per_uid_[owner];
  observer_.tunnel_added(with_owner(tunnel));
}

void DaemonImpl::session_added(const fsm::SessionView& session) {
  // Sessions the peer started belong to the tunnel's owner.
  const auto tunnel_owner = tunnel_owners_.find(session.tunnel_id);
  const uid_t inherited = tunnel_owner == tunnel_owners_.end() ? 0 : tunnel_owner->second;
  const uid_t owner =
      session_owners_.try_emplace({session.tunnel_id, session.session_id}, inherited).first->second;
  ++sessions_per_uid_[owner];
  observer_.session_added({session, owner});
}

void DaemonImpl::tunnel_changed(const fsm::TunnelView& tunnel) {
  observer_.tunnel_changed(with_owner(tunnel));
  // Closing: the file's tunnel is no longer there to bring up.
  if (tunnel.state == fsm::ObjectState::kClosing || tunnel.state == fsm::ObjectState::kClosed) {
    if (auto file = tunnel_files_.find(tunnel.tunnel_id); file != tunnel_files_.end())
      config_object_ended(file->second, tunnel.tunnel_id, 0, why_ended(tunnel));
  }
}

void DaemonImpl::session_changed(const fsm::SessionView& session) {
  observer_.session_changed(with_owner(session));
}

void DaemonImpl::tunnel_removed(const fsm::TunnelView& tunnel) {
  observer_.tunnel_removed(with_owner(tunnel));
  if (auto file = tunnel_files_.find(tunnel.tunnel_id); file != tunnel_files_.end()) {
    config_object_ended(file->second, tunnel.tunnel_id, 0, why_ended(tunnel));
    tunnel_files_.erase(file);
  }
  tunnels_awaiting_address_.erase(tunnel.tunnel_id);
  if (auto owner = tunnel_owners_.find(tunnel.tunnel_id); owner != tunnel_owners_.end()) {
    if (--tunnels_per_uid_[owner->second] == 0) tunnels_per_uid_.erase(owner->second);
    tunnel_owners_.erase(owner);
  }
  finish_shutdown_if_idle();
}

void DaemonImpl::session_removed(const fsm::SessionView& session) {
  observer_.session_removed(with_owner(session));
  const std::pair key{session.tunnel_id, session.session_id};
  if (auto owner = session_owners_.find(key); owner != session_owners_.end()) {
    if (--sessions_per_uid_[owner->second] == 0) sessions_per_uid_.erase(owner->second);
    session_owners_.erase(owner);
  }
}

std::optional<std::string> DaemonImpl::session_limit_reached(uid_t owner) const {
  if (owner == 0) return std::nullopt;
  auto it = sessions_per_uid_.find(owner);
  const std::uint32_t held = it == sessions_per_uid_.end() ? 0 : it->second;
  if (held < options_.settings.max_sessions_per_user) return std::nullopt;
  return "uid " + std::to_string(owner) + " already has " + std::to_string(held) +
         " sessions (MaxSessionsPerUser)";
}

std::optional<std::string> DaemonImpl::refuse_incoming_call(std::uint32_t tunnel_id) {
  // A peer's call in a user's tunnel is that user's session: it counts
  // against the same limit as the ones the user creates.
  auto owner = tunnel_owners_.find(tunnel_id);
  if (owner == tunnel_owners_.end() || !session_limit_reached(owner->second)) return std::nullopt;
  return "too many sessions for the tunnel's owner (MaxSessionsPerUser " +
         std::to_string(options_.settings.max_sessions_per_user) + ")";
}

void DaemonImpl::log(fsm::LogLevel level, std::string_view object, std::string_view message) {
  // Engine messages quote peers' strings; escape everything.
  log_line(level, object, printable(message));
}

}  // namespace l2tp::daemon
