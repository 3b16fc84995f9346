// Engine commands, queries and the bookkeeping its tunnels ask for. Routing
// of received datagrams is in engine_receive.cpp.
#include "fsm/engine.h"

#include <algorithm>

#include "fsm/engine_impl.h"
#include "fsm/randomness.h"
#include "fsm/result_codes.h"

namespace l2tp::fsm {

namespace {

std::unexpected<Error> failure(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

}  // namespace

Engine::Impl::Impl(const Environment& environment, const EngineLimits& limits)
    : entry_alarms_(environment.alarms, *this),
      env_(Environment{
          .clock = environment.clock,
          .alarms = entry_alarms_,
          .random = environment.random,
          .sink = environment.sink,
          .data_plane = environment.data_plane,
          .observer = environment.observer,
          .logger = environment.logger,
          .call_admission = environment.call_admission,
          .ipsec = environment.ipsec,
      }),
      limits_(limits),
      registry_(limits.max_half_open, limits.max_half_open_per_source),
      refusal_replies_(limits.refusals_per_second),
      reaper_(environment.alarms.create([this] { reap(); })) {}

Engine::Impl::~Impl() {
  // Sessions first: they refer to their tunnels.
  doomed_sessions_.clear();
  tunnels_.clear();
}

// ---- Commands -------------------------------------------------------------------

std::expected<std::uint32_t, Error> Engine::Impl::create_tunnel(const TunnelConfig& config) {
  if (auto valid = validate_tunnel_config(config); !valid) return std::unexpected(valid.error());
  if (config.ipsec && env_.ipsec == nullptr) {
    return failure(ErrorCode::kNotSupported, "Ipsec: no IPsec port here");
  }
  if (tunnels_.size() >= limits_.max_tunnels) {
    return failure(
        ErrorCode::kLimitExceeded,
        "the engine holds " + std::to_string(tunnels_.size()) + " tunnels, the most allowed");
  }
  std::uint32_t id = config.tunnel_id;
  if (id != 0) {
    if (!registry_.claim_tunnel_id(id)) {
      return failure(ErrorCode::kExists, "TunnelId: " + std::to_string(id) + " is in use");
    }
  } else {
    auto allocated = registry_.allocate_tunnel_id(config.version, env_.random);
    if (!allocated) return failure(ErrorCode::kLimitExceeded, "no free tunnel id");
    id = *allocated;
  }
  auto tunnel = std::make_unique<Tunnel>(*this, id, config);
  Tunnel& created = *tunnel;
  tunnels_.emplace(id, std::move(tunnel));
  created.start();
  return id;
}

std::expected<std::uint32_t, Error> Engine::Impl::create_session(std::uint32_t tunnel_id,
                                                                 const SessionConfig& config) {
  Tunnel* tunnel = visible_tunnel(tunnel_id);
  if (tunnel == nullptr) {
    return failure(ErrorCode::kNotFound, "no tunnel " + std::to_string(tunnel_id));
  }
  return tunnel->create_session(config);
}

std::expected<std::uint32_t, Error> Engine::Impl::listen(const ListenerConfig& config) {
  if (auto valid = validate_listener_config(config); !valid) return std::unexpected(valid.error());
  Listener listener;
  listener.id = next_listener_id_;
  listener.key = ListenerKey{config.encapsulation, config.version, config.local};
  listener.config = config;
  listener.responder = responder_template(config);
  listener.call_rate = CallRateLimiter(config.max_calls_per_second);
  if (!registry_.add_listener(listener.key, listener.id)) {
    return failure(ErrorCode::kExists, "Local: a listener for L2TPv" +
                                           std::to_string(static_cast<int>(config.version)) +
                                           " already uses " + config.local.to_string());
  }
  ++next_listener_id_;
  const std::uint32_t id = listener.id;
  log(LogLevel::kInfo, "listener " + std::to_string(id),
      "listening on " + config.local.to_string());
  listeners_.emplace(id, std::move(listener));
  return id;
}

std::expected<void, Error> Engine::Impl::close_tunnel(std::uint32_t tunnel_id) {
  Tunnel* tunnel = visible_tunnel(tunnel_id);
  if (tunnel == nullptr) {
    return failure(ErrorCode::kNotFound, "no tunnel " + std::to_string(tunnel_id));
  }
  tunnel->close({1, 0, "closed by request"});
  return {};
}

std::expected<void, Error> Engine::Impl::close_session(std::uint32_t tunnel_id,
                                                       std::uint32_t session_id) {
  Tunnel* tunnel = visible_tunnel(tunnel_id);
  if (tunnel == nullptr) {
    return failure(ErrorCode::kNotFound, "no tunnel " + std::to_string(tunnel_id));
  }
  return tunnel->close_session(session_id);
}

std::expected<void, Error> Engine::Impl::close_listener(std::uint32_t listener_id) {
  auto it = listeners_.find(listener_id);
  if (it == listeners_.end()) {
    return failure(ErrorCode::kNotFound, "no listener " + std::to_string(listener_id));
  }
  registry_.remove_listener(it->second.key);
  listeners_.erase(it);
  log(LogLevel::kInfo, "listener " + std::to_string(listener_id), "closed");
  return {};
}

// ---- Queries --------------------------------------------------------------------

Tunnel* Engine::Impl::visible_tunnel(std::uint32_t tunnel_id) const {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end() || !it->second->visible()) return nullptr;
  return it->second.get();
}

Session* Engine::Impl::visible_session(std::uint32_t tunnel_id, std::uint32_t session_id) const {
  Tunnel* tunnel = visible_tunnel(tunnel_id);
  return tunnel == nullptr ? nullptr : tunnel->find_session(session_id);
}

std::optional<ListenerView> Engine::Impl::listener_view(std::uint32_t listener_id) const {
  auto it = listeners_.find(listener_id);
  if (it == listeners_.end()) return std::nullopt;
  const Listener& listener = it->second;
  ListenerView view;
  view.listener_id = listener.id;
  view.local = listener.config.local;
  view.version = listener.config.version;
  view.encapsulation = listener.config.encapsulation;
  view.tunnels.assign(listener.tunnels.begin(), listener.tunnels.end());
  std::sort(view.tunnels.begin(), view.tunnels.end());
  view.accepted = listener.accepted;
  view.rejected = listener.rejected;
  view.tunnels_refused = listener.tunnels_refused;
  view.calls_refused = listener.calls_refused;
  view.refusals_unanswered = listener.refusals_unanswered;
  view.tunnels_evicted = listener.tunnels_evicted;
  view.established_tunnels = listener.established;
  view.sessions = listener.sessions;
  return view;
}

bool Engine::Impl::has_tunnels() const {
  // Hidden ones (remnants after a StopCCN) are few; the first visible ends it.
  return std::any_of(tunnels_.begin(), tunnels_.end(),
                     [](const auto& entry) { return entry.second->visible(); });
}

std::vector<std::uint32_t> Engine::Impl::tunnel_ids() const {
  std::vector<std::uint32_t> ids;
  for (const auto& [id, tunnel] : tunnels_) {
    if (tunnel->visible()) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::uint32_t> Engine::Impl::listener_ids() const {
  std::vector<std::uint32_t> ids;
  for (const auto& entry : listeners_) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// ---- TunnelHost -------------------------------------------------------------------

std::uint32_t Engine::Impl::router_id() {
  // One per engine, drawn when first needed (RFC 3931 §5.4.3 asks only that
  // it be unique among our peers).
  while (router_id_ == 0) router_id_ = static_cast<std::uint32_t>(random_u64(env_.random));
  return router_id_;
}

void Engine::Impl::tunnel_phase_changed(Tunnel& tunnel, TunnelPhase from, TunnelPhase to) {
  // Indexes are keyed by the peer as configured (or as the SCCRQ came from):
  // an initiator may learn a new port from the SCCRP, its entry stays put.
  const ListenerKey peer{tunnel.encapsulation(), tunnel.version(), tunnel.configured_peer()};
  const Registry::Connecting connecting{tunnel.tie_breaker(), tunnel.id()};
  if (to == TunnelPhase::kWaitCtlReply && tunnel.sent_tie_breaker()) {
    registry_.add_connecting(peer, connecting);
  }
  if (from == TunnelPhase::kWaitCtlReply) registry_.remove_connecting(peer, connecting);
  if (tunnel.role() == Role::kResponder &&
      (to == TunnelPhase::kEstablished || to == TunnelPhase::kClosed)) {
    // Confirmed or gone: no longer half-open. The responder index keeps it
    // until it is destroyed, so that late duplicates of its SCCRQ still land
    // in its channel rather than opening a second tunnel.
    registry_.half_open().remove(tunnel.id());
  }
  if (tunnel.role() == Role::kResponder) {
    if (to == TunnelPhase::kEstablished) count_established(tunnel, true);
    if (from == TunnelPhase::kEstablished) count_established(tunnel, false);
  }
}

Engine::Impl::Listener* Engine::Impl::listener_of(const Tunnel& tunnel) {
  // Accepted tunnels outlive their listener; they then count against none.
  auto it = listeners_.find(tunnel.listener_id());
  return tunnel.listener_id() == 0 || it == listeners_.end() ? nullptr : &it->second;
}

void Engine::Impl::count_established(const Tunnel& tunnel, bool added) {
  Listener* listener = listener_of(tunnel);
  if (listener == nullptr) return;
  const Endpoint source = address_of(tunnel.configured_peer());
  if (added) {
    ++listener->established;
    ++listener->established_by_peer[source];
    return;
  }
  if (listener->established > 0) --listener->established;
  auto it = listener->established_by_peer.find(source);
  if (it != listener->established_by_peer.end() && --it->second == 0) {
    listener->established_by_peer.erase(it);
  }
}

std::optional<Refusal> Engine::Impl::refuse_new_tunnel(const Listener& listener,
                                                       const Endpoint& peer) const {
  const std::size_t share = peer_tunnel_share(limits_);
  if (tunnels_.size() >= share) {
    return Refusal{RefusalKind::kPeerTunnelShare,
                   "too many tunnels (peers hold " + std::to_string(tunnels_.size()) + " of the " +
                       std::to_string(share) +
                       " MaxTunnels less ReservedLocalTunnels leaves them)"};
  }
  return refuse_at_listener(listener, peer);
}

std::optional<Refusal> Engine::Impl::refuse_at_listener(const Listener& listener,
                                                        const Endpoint& peer) const {
  const std::size_t per_listener = listener_tunnel_limit(listener.config, limits_);
  if (listener.established >= per_listener) {
    return Refusal{RefusalKind::kListenerTunnels, "too many tunnels at this listener (MaxTunnels " +
                                                      std::to_string(per_listener) + ")"};
  }
  auto from_peer = listener.established_by_peer.find(address_of(peer));
  if (from_peer != listener.established_by_peer.end() &&
      from_peer->second >= listener.config.max_tunnels_per_peer) {
    return Refusal{RefusalKind::kTunnelsPerPeer,
                   "too many tunnels from this address (MaxTunnelsPerPeer " +
                       std::to_string(listener.config.max_tunnels_per_peer) + ")"};
  }
  return std::nullopt;
}

std::optional<LastResult> Engine::Impl::refuse_established(Tunnel& tunnel) {
  Listener* listener = listener_of(tunnel);
  if (listener == nullptr) return std::nullopt;
  // Half-open tunnels of one peer may complete together: the SCCRQ's check
  // let each in, the SCCCN decides. The peer proved its address by now, so
  // it hears why (StopCCN: general error, insufficient resources).
  const std::optional<Refusal> refusal = refuse_at_listener(*listener, tunnel.configured_peer());
  if (!refusal) return std::nullopt;
  ++listener->tunnels_refused;
  ++listener->rejected;
  log_refusal(refusal->kind, tunnel.log_name(), "refused at SCCCN: " + refusal->reason);
  return LastResult{kStopGeneralError, kErrorInsufficientResources, refusal->reason};
}

std::optional<Refusal> Engine::Impl::refuse_call(Tunnel& tunnel) {
  Listener* listener = listener_of(tunnel);
  if (tunnel.session_count() >= limits_.max_sessions_per_tunnel) {
    return Refusal{RefusalKind::kSessionsPerTunnel,
                   "too many sessions in this tunnel (" +
                       std::to_string(limits_.max_sessions_per_tunnel) + ")"};
  }
  if (sessions_ >= limits_.max_sessions) {
    return Refusal{RefusalKind::kSessions, "too many sessions (the daemon's MaxSessions " +
                                               std::to_string(limits_.max_sessions) + ")"};
  }
  if (listener != nullptr &&
      listener->sessions >= listener_session_limit(listener->config, limits_)) {
    return Refusal{RefusalKind::kListenerSessions,
                   "too many sessions at this listener (MaxSessions " +
                       std::to_string(listener_session_limit(listener->config, limits_)) + ")"};
  }
  if (listener != nullptr && !listener->call_rate.admit(env_.clock.now())) {
    return Refusal{RefusalKind::kCallRate,
                   "too many calls per second (MaxCallsPerSecond " +
                       std::to_string(listener->config.max_calls_per_second) + ")"};
  }
  if (env_.call_admission != nullptr) {
    if (auto reason = env_.call_admission->refuse_incoming_call(tunnel.id())) {
      return Refusal{RefusalKind::kOwner, *reason};
    }
  }
  return std::nullopt;
}

void Engine::Impl::call_refused(Tunnel& tunnel, RefusalKind kind, const std::string& message) {
  if (Listener* listener = listener_of(tunnel)) ++listener->calls_refused;
  log_refusal(kind, tunnel.log_name(), message);
}

void Engine::Impl::session_created(Tunnel& tunnel) {
  ++sessions_;
  if (Listener* listener = listener_of(tunnel)) ++listener->sessions;
}

void Engine::Impl::session_discarded(Tunnel& tunnel) {
  if (sessions_ > 0) --sessions_;
  Listener* listener = listener_of(tunnel);
  if (listener != nullptr && listener->sessions > 0) --listener->sessions;
}

void Engine::Impl::log_refusal(RefusalKind kind, const std::string& object,
                               const std::string& message) {
  const std::optional<std::uint64_t> unlogged = refusal_log_.admit(kind, env_.clock.now());
  if (!unlogged) return;
  log(LogLevel::kNotice, object,
      *unlogged == 0 ? message
                     : message + " (and " + std::to_string(*unlogged) +
                           " more like it since the last such line)");
}

void Engine::Impl::tunnel_accepted(Tunnel& tunnel) {
  auto it = listeners_.find(tunnel.listener_id());
  if (it == listeners_.end()) return;
  ++it->second.accepted;
  it->second.tunnels.insert(tunnel.id());
}

void Engine::Impl::tunnel_hidden(Tunnel& tunnel) {
  auto it = listeners_.find(tunnel.listener_id());
  if (it != listeners_.end()) it->second.tunnels.erase(tunnel.id());
}

void Engine::Impl::dispose(Tunnel& tunnel) {
  doomed_tunnels_.push_back(tunnel.id());
  if (!reaper_->armed()) reaper_->arm(Duration::zero());
}

void Engine::Impl::dispose(std::unique_ptr<Session> session) {
  doomed_sessions_.push_back(std::move(session));
  if (!reaper_->armed()) reaper_->arm(Duration::zero());
}

void Engine::Impl::reap() {
  std::vector<std::unique_ptr<Session>> sessions;
  sessions.swap(doomed_sessions_);
  sessions.clear();
  std::vector<std::uint32_t> ids;
  ids.swap(doomed_tunnels_);
  for (std::uint32_t id : ids) {
    auto it = tunnels_.find(id);
    if (it == tunnels_.end()) continue;
    const Tunnel& tunnel = *it->second;
    if (tunnel.role() == Role::kResponder &&
        registry_.find_responder(tunnel.configured_peer(), tunnel.peer_tunnel_id()) == id) {
      registry_.remove_responder(tunnel.configured_peer(), tunnel.peer_tunnel_id());
    }
    registry_.half_open().remove(id);
    tunnels_.erase(it);
    registry_.release_tunnel_id(id);
    env_.sink.release(id);
  }
}

// ---- Events ---------------------------------------------------------------------

std::unique_ptr<Alarm> Engine::Impl::EntryAlarms::create(std::function<void()> on_fire) {
  return create_lax(std::move(on_fire), Duration::zero());
}

std::unique_ptr<Alarm> Engine::Impl::EntryAlarms::create_lax(std::function<void()> on_fire,
                                                             Duration slack) {
  return inner_.create_lax(
      [&impl = impl_, on_fire = std::move(on_fire)] {
        const Entry entry(impl);
        on_fire();
      },
      slack);
}

void Engine::Impl::post(std::function<void(EngineObserver&)> event) {
  events_.push_back(std::move(event));
}

void Engine::Impl::leave() {
  if (--depth_ > 0 || delivering_) return;
  // Commands an observer calls from here queue behind the events still
  // waiting; this loop delivers them too, in order.
  delivering_ = true;
  while (!events_.empty()) {
    const std::function<void(EngineObserver&)> event = std::move(events_.front());
    events_.pop_front();
    event(env_.observer);
  }
  delivering_ = false;
}

void Engine::Impl::log(LogLevel level, const std::string& object, const std::string& message) {
  if (env_.logger != nullptr) env_.logger->log(level, object, message);
}

// ---- Engine ---------------------------------------------------------------------

Engine::Engine(const Environment& environment, const EngineLimits& limits)
    : impl_(std::make_unique<Impl>(environment, limits)) {}

Engine::~Engine() = default;

Engine::EventBatch::EventBatch(Engine& engine) : engine_(engine) {
  engine_.impl_->enter();
}

Engine::EventBatch::~EventBatch() {
  engine_.impl_->leave();
}

std::expected<std::uint32_t, Error> Engine::create_tunnel(const TunnelConfig& config) {
  const Impl::Entry entry(*impl_);
  return impl_->create_tunnel(config);
}

std::expected<std::uint32_t, Error> Engine::create_session(std::uint32_t tunnel_id,
                                                           const SessionConfig& config) {
  const Impl::Entry entry(*impl_);
  return impl_->create_session(tunnel_id, config);
}

std::expected<std::uint32_t, Error> Engine::listen(const ListenerConfig& config) {
  const Impl::Entry entry(*impl_);
  return impl_->listen(config);
}

std::expected<void, Error> Engine::close_tunnel(std::uint32_t tunnel_id) {
  const Impl::Entry entry(*impl_);
  return impl_->close_tunnel(tunnel_id);
}

std::expected<void, Error> Engine::close_session(std::uint32_t tunnel_id,
                                                 std::uint32_t session_id) {
  const Impl::Entry entry(*impl_);
  return impl_->close_session(tunnel_id, session_id);
}

std::expected<void, Error> Engine::close_listener(std::uint32_t listener_id) {
  const Impl::Entry entry(*impl_);
  return impl_->close_listener(listener_id);
}

void Engine::receive(const Datagram& datagram) {
  const Impl::Entry entry(*impl_);
  impl_->receive(datagram);
}

void Engine::data_plane_tunnel_ready(std::uint32_t tunnel_id) {
  const Impl::Entry entry(*impl_);
  if (Tunnel* tunnel = impl_->visible_tunnel(tunnel_id)) tunnel->kernel_tunnel_ready();
}

void Engine::local_address_ready(std::uint32_t tunnel_id) {
  const Impl::Entry entry(*impl_);
  if (Tunnel* tunnel = impl_->visible_tunnel(tunnel_id)) tunnel->local_address_ready();
}

void Engine::ipsec_established(std::uint32_t tunnel_id, const IpsecStatus& status) {
  const Impl::Entry entry(*impl_);
  if (Tunnel* tunnel = impl_->visible_tunnel(tunnel_id)) tunnel->ipsec_established(status);
}

void Engine::ipsec_failed(std::uint32_t tunnel_id, const std::string& reason) {
  const Impl::Entry entry(*impl_);
  if (Tunnel* tunnel = impl_->visible_tunnel(tunnel_id)) tunnel->ipsec_failed(reason);
}

void Engine::data_plane_tunnel_failed(std::uint32_t tunnel_id, const std::string& reason) {
  const Impl::Entry entry(*impl_);
  if (Tunnel* tunnel = impl_->visible_tunnel(tunnel_id)) tunnel->kernel_tunnel_failed(reason);
}

void Engine::data_plane_session_ready(std::uint32_t tunnel_id, std::uint32_t session_id,
                                      const std::string& interface_name) {
  const Impl::Entry entry(*impl_);
  if (Session* session = impl_->visible_session(tunnel_id, session_id)) {
    session->data_plane_ready(interface_name);
  }
}

void Engine::data_plane_session_failed(std::uint32_t tunnel_id, std::uint32_t session_id,
                                       const std::string& reason) {
  const Impl::Entry entry(*impl_);
  if (Session* session = impl_->visible_session(tunnel_id, session_id)) {
    session->data_plane_failed(reason);
  }
}

void Engine::ppp_network_up(std::uint32_t tunnel_id, std::uint32_t session_id,
                            const PppAddresses& addresses) {
  const Impl::Entry entry(*impl_);
  if (Session* session = impl_->visible_session(tunnel_id, session_id)) {
    session->ppp_network_up(addresses);
  }
}

void Engine::ppp_ended(std::uint32_t tunnel_id, std::uint32_t session_id, int exit_status,
                       bool authentication_failed, const std::string& message) {
  const Impl::Entry entry(*impl_);
  if (Session* session = impl_->visible_session(tunnel_id, session_id)) {
    session->ppp_ended(exit_status, authentication_failed, message);
  }
}

std::optional<TunnelView> Engine::tunnel(std::uint32_t tunnel_id) const {
  Tunnel* tunnel = impl_->visible_tunnel(tunnel_id);
  if (tunnel == nullptr) return std::nullopt;
  return tunnel->view();
}

std::optional<SessionView> Engine::session(std::uint32_t tunnel_id,
                                           std::uint32_t session_id) const {
  Session* session = impl_->visible_session(tunnel_id, session_id);
  if (session == nullptr) return std::nullopt;
  return session->view();
}

std::optional<ListenerView> Engine::listener(std::uint32_t listener_id) const {
  return impl_->listener_view(listener_id);
}

bool Engine::has_tunnels() const {
  return impl_->has_tunnels();
}

std::vector<std::uint32_t> Engine::tunnel_ids() const {
  return impl_->tunnel_ids();
}

std::vector<std::uint32_t> Engine::listener_ids() const {
  return impl_->listener_ids();
}

const EngineStats& Engine::stats() const {
  return impl_->engine_stats();
}

}  // namespace l2tp::fsm
