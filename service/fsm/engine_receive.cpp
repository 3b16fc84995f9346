// Routing of received datagrams: by tunnel id to a tunnel, or, for an SCCRQ
// (tunnel id 0), to the tunnel it already created, through the tie breaker,
// or to a listener that creates one. Every step is a hash lookup.
#include "fsm/engine_impl.h"
#include "fsm/result_codes.h"

namespace l2tp::fsm {

void Engine::Impl::count_wire_error(wire::WireError error) {
  ++stats_.malformed;
  const auto index = static_cast<std::size_t>(error);
  if (index < std::size(stats_.wire_errors)) ++stats_.wire_errors[index];
}

void Engine::Impl::count_rejected_at_listener(const Datagram& datagram) {
  for (wire::ProtocolVersion version : {wire::ProtocolVersion::kV2, wire::ProtocolVersion::kV3}) {
    if (auto id = registry_.find_listener(datagram.encapsulation, version, datagram.local)) {
      ++listeners_.at(*id).rejected;
      return;
    }
  }
}

void Engine::Impl::drop_malformed(const Datagram& datagram, wire::WireError error) {
  count_wire_error(error);
  count_rejected_at_listener(datagram);
  constexpr unsigned kDropLogsPerSecond = 5;
  const TimePoint now = env_.clock.now();
  if (now - drop_log_window_ >= std::chrono::seconds(1)) {
    drop_log_window_ = now;
    drop_logs_in_window_ = 0;
  }
  if (++drop_logs_in_window_ <= kDropLogsPerSecond)
    log(LogLevel::kDebug, "engine",
        "dropped a malformed datagram from " + datagram.peer.to_string() + ": " +
            std::string(wire::to_string(error)));
}

void Engine::Impl::receive(const Datagram& datagram) {
  ++stats_.datagrams;
  auto parsed = wire::parse_packet(datagram.bytes, datagram.encapsulation);
  if (!parsed) {
    drop_malformed(datagram, parsed.error());
    return;
  }
  if (const auto* data = std::get_if<wire::DataPacket>(&*parsed)) {
    // The kernel hands up data for sessions it does not know yet; never
    // fatal. Data for no tunnel or session of ours was turned away.
    ++stats_.data_packets;
    const bool ours = data->version == wire::ProtocolVersion::kV2
                          ? tunnels_.contains(data->tunnel_id)
                          : registry_.v3_session_id_in_use(data->session_id);
    if (!ours) count_rejected_at_listener(datagram);
    return;
  }
  const auto& packet = std::get<wire::ControlPacket>(*parsed);
  if (packet.header.tunnel_id == 0) {
    receive_new_connection(packet, datagram);
    return;
  }
  auto it = tunnels_.find(packet.header.tunnel_id);
  if (it == tunnels_.end()) {
    ++stats_.unknown_tunnel;
    count_rejected_at_listener(datagram);
    return;
  }
  Tunnel& tunnel = *it->second;
  // Ids are guessable (16 bits in v2): the message must also come from the
  // tunnel's peer host over the tunnel's own transport.
  if (tunnel.version() != packet.header.version ||
      tunnel.encapsulation() != datagram.encapsulation ||
      address_of(tunnel.peer()) != address_of(datagram.peer)) {
    ++stats_.unknown_tunnel;
    return;
  }
  tunnel.receive(packet, datagram.peer);
}

void Engine::Impl::receive_new_connection(const wire::ControlPacket& packet,
                                          const Datagram& datagram) {
  const wire::ProtocolVersion version = packet.header.version;
  auto listener_id = registry_.find_listener(datagram.encapsulation, version, datagram.local);
  if (!listener_id || packet.avps.empty()) {
    ++stats_.unknown_tunnel;
    count_rejected_at_listener(datagram);
    return;
  }
  Listener& listener = listeners_.at(*listener_id);
  const ControlSettings& control = listener.config.control;

  wire::DecodeOptions options;
  options.version = version;
  const wire::Bytes hiding_key =
      control.secret.empty() ? wire::Bytes{} : wire::hiding_key(version, control.secret);
  options.hiding_key = hiding_key;
  auto decoded = wire::decode_message(packet.avps, options);
  if (!decoded) {
    drop_malformed(datagram, decoded.error());
    return;
  }
  wire::Message& sccrq = *decoded;
  if (sccrq.type != wire::MessageType::kSccrq) {
    ++stats_.unknown_tunnel;
    ++listener.rejected;
    return;
  }
  if (version == wire::ProtocolVersion::kV3 && !control.secret.empty()) {
    const wire::DigestContext context{
        control.digest_type, wire::digest_key(control.secret), {}, {}};
    if (!wire::verify_message(packet, context)) {
      // RFC 3931 §4.3: a message whose digest fails is dropped, unanswered.
      ++stats_.authentication_failures;
      ++listener.rejected;
      return;
    }
  }
  const std::uint32_t peer_tunnel_id = version == wire::ProtocolVersion::kV2
                                           ? sccrq.assigned_tunnel_id.value_or(0)
                                           : sccrq.assigned_connection_id.value_or(0);
  if (peer_tunnel_id == 0) {
    // Nobody to answer: a StopCCN needs the peer's id.
    ++stats_.wire_errors[static_cast<int>(wire::WireError::kMissingMandatoryAvp)];
    ++listener.rejected;
    return;
  }

  if (auto existing = registry_.find_responder(datagram.peer, peer_tunnel_id)) {
    // A retransmission: the tunnel's channel acknowledges the duplicate.
    auto it = tunnels_.find(*existing);
    if (it != tunnels_.end()) it->second->receive(packet, std::move(sccrq), datagram.peer);
    return;
  }
  if (break_tie(sccrq, version, datagram) == TieOutcome::kDiscard) return;

  if (auto refusal = refuse_new_tunnel(listener, datagram.peer)) {
    refuse_sccrq(listener, packet, sccrq, datagram, peer_tunnel_id, *refusal);
    return;
  }
  auto id = registry_.allocate_tunnel_id(version, env_.random);
  if (!id) {
    refuse_sccrq(listener, packet, sccrq, datagram, peer_tunnel_id,
                 {RefusalKind::kNoTunnelId, "every tunnel id is in use"});
    return;
  }
  HalfOpenTracker::Admission admission = registry_.half_open().admit(*id, datagram.peer);
  if (!admission.admitted) {
    registry_.release_tunnel_id(*id);
    refuse_sccrq(listener, packet, sccrq, datagram, peer_tunnel_id,
                 {RefusalKind::kHalfOpenPerPeer,
                  "too many handshakes from this address at once (MaxHalfOpenPerPeer " +
                      std::to_string(limits_.max_half_open_per_source) + ")"});
    return;
  }
  auto created = std::make_unique<Tunnel>(*this, *id, listener.id, listener.responder,
                                          datagram.local, datagram.peer, peer_tunnel_id);
  Tunnel& tunnel = *created;
  tunnels_.emplace(*id, std::move(created));
  registry_.add_responder(datagram.peer, peer_tunnel_id, *id);

  if (admission.evicted) {
    if (auto victim = tunnels_.find(*admission.evicted); victim != tunnels_.end()) {
      ++stats_.half_open_evicted;
      if (Listener* owner = listener_of(*victim->second)) ++owner->tunnels_evicted;
      const std::string reason = "dropped: too many half-open control connections (MaxHalfOpen " +
                                 std::to_string(limits_.max_half_open) + ")";
      log_refusal(RefusalKind::kHalfOpenEvicted, victim->second->log_name(), reason);
      victim->second->evict({kStopGeneralError, kErrorInsufficientResources, reason});
    }
  }

  tunnel.start();
  // Decoded once, here: the tunnel takes the message as it is.
  tunnel.receive(packet, std::move(sccrq), datagram.peer);
  // Refused (authentication, a limit): a StopCCN is on its way.
  if (tunnel.phase() == TunnelPhase::kClosing || tunnel.phase() == TunnelPhase::kClosed) {
    ++listener.rejected;
  }
}

void Engine::Impl::refuse_sccrq(Listener& listener, const wire::ControlPacket& packet,
                                const wire::Message& sccrq, const Datagram& datagram,
                                std::uint32_t peer_tunnel_id, const Refusal& refusal) {
  ++listener.rejected;
  ++listener.tunnels_refused;
  const std::string object = "listener " + std::to_string(listener.id);
  // An id of its own, so that the StopCCN names nobody else's tunnel; it is
  // free again at once (the peer sends nothing more than an ack to it).
  const auto id = registry_.allocate_tunnel_id(packet.header.version, env_.random);
  if (!id || !refusal_replies_.admit(env_.clock.now())) {
    ++stats_.refusals_unanswered;
    ++listener.refusals_unanswered;
    log_refusal(refusal.kind, object,
                "SCCRQ from " + datagram.peer.to_string() + " refused, unanswered (" +
                    (id ? "over the refusals a second" : "no tunnel id free") +
                    "): " + refusal.reason);
    if (id) registry_.release_tunnel_id(*id);
    return;
  }
  log_refusal(refusal.kind, object,
              "SCCRQ from " + datagram.peer.to_string() + " refused: " + refusal.reason);
  {
    Tunnel refusing(*this, *id, listener.id, listener.responder, datagram.local, datagram.peer,
                    peer_tunnel_id);
    refusing.refuse(packet, sccrq,
                    {kStopGeneralError, kErrorInsufficientResources, refusal.reason});
  }
  env_.sink.release(*id);
  registry_.release_tunnel_id(*id);
}

// RFC 2661 §4.4.3, RFC 3931 §5.4.3: an SCCRQ from a host we are ourselves
// connecting to. The lower tie breaker wins; equal ones both lose; a side
// that sent one beats a side that did not.
Engine::Impl::TieOutcome Engine::Impl::break_tie(const wire::Message& sccrq,
                                                 wire::ProtocolVersion version,
                                                 const Datagram& datagram) {
  const ListenerKey peer{datagram.encapsulation, version, datagram.peer};
  const auto lowest = registry_.lowest_connecting(peer);
  if (!lowest) return TieOutcome::kProceed;
  if (!sccrq.tie_breaker || lowest->tie_breaker < *sccrq.tie_breaker) {
    // The peer discards its own tunnel when our SCCRQ reaches it; RFC 2661
    // wants silence, and a stateless StopCCN could not be authenticated.
    log(LogLevel::kInfo, "tunnel " + std::to_string(lowest->tunnel_id),
        "won the tie breaker against the SCCRQ from " + datagram.peer.to_string());
    return TieOutcome::kDiscard;
  }
  // Every one of ours to that host loses (each is at least the lowest).
  const bool equal = lowest->tie_breaker == *sccrq.tie_breaker;
  for (std::uint32_t id : registry_.connecting_to(peer)) {
    auto it = tunnels_.find(id);
    if (it == tunnels_.end()) continue;
    it->second->abandon({kStopAlreadyExists, 0,
                         equal ? "tie breaker: equal values, both control connections dropped"
                               : "tie breaker lost: the peer's control connection is used"});
  }
  return equal ? TieOutcome::kDiscard : TieOutcome::kProceed;
}

}  // namespace l2tp::fsm
