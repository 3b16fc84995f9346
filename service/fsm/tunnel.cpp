// The tunnel's life cycle: construction per mode, the one enter_state(), the
// control channel underneath (framing, digests), teardown and the remnant
// that keeps acknowledging a peer's StopCCN.
#include "fsm/tunnel.h"

#include <algorithm>

#include "fsm/randomness.h"
#include "fsm/session.h"
#include "wire/header.h"

namespace l2tp::fsm {

namespace {

constexpr std::size_t kNonceSize = 16;
constexpr std::size_t kRandomVectorSize = 16;

}  // namespace

const char* to_string(TunnelPhase phase) {
  switch (phase) {
    case TunnelPhase::kIdle:
      return "idle";
    case TunnelPhase::kWaitIpsec:
      return "wait-ipsec";
    case TunnelPhase::kWaitLocalAddress:
      return "wait-local-address";
    case TunnelPhase::kWaitCtlReply:
      return "wait-ctl-reply";
    case TunnelPhase::kWaitCtlConn:
      return "wait-ctl-conn";
    case TunnelPhase::kEstablished:
      return "established";
    case TunnelPhase::kClosing:
      return "closing";
    case TunnelPhase::kClosed:
      return "closed";
  }
  return "unknown";
}

ObjectState public_state(TunnelPhase phase) {
  switch (phase) {
    case TunnelPhase::kIdle:
    case TunnelPhase::kWaitIpsec:
    case TunnelPhase::kWaitLocalAddress:
    case TunnelPhase::kWaitCtlReply:
    case TunnelPhase::kWaitCtlConn:
      return ObjectState::kConnecting;
    case TunnelPhase::kEstablished:
      return ObjectState::kEstablished;
    case TunnelPhase::kClosing:
      return ObjectState::kClosing;
    case TunnelPhase::kClosed:
      return ObjectState::kClosed;
  }
  return ObjectState::kClosed;
}

Duration retransmission_cycle(const transport::ChannelConfig& config) {
  // The channel's own schedule: the first timeout, doubled per retry up to
  // the cap, one timeout per send (max_retransmits + 1 sends).
  Duration timeout = std::min(config.retransmit_timeout, config.max_retransmit_timeout);
  Duration total{0};
  for (unsigned send = 0; send <= config.max_retransmits; ++send) {
    total += timeout;
    timeout = std::min(timeout * 2, config.max_retransmit_timeout);
  }
  return total;
}

ResponderTemplate responder_template(const ListenerConfig& listener) {
  return ResponderTemplate{
      .version = listener.version,
      .encapsulation = listener.encapsulation,
      .control = std::make_shared<const ControlSettings>(listener.control),
      .accept_policy = std::make_shared<const AcceptPolicy>(
          AcceptPolicy{.pseudowires = listener.pseudowires, .ppp_server = listener.ppp}),
  };
}

Tunnel::Tunnel(TunnelHost& host, std::uint32_t id, const TunnelConfig& config)
    : host_(host),
      id_(id),
      config_(config),
      control_(std::make_shared<const ControlSettings>(std::move(config_.control))),
      accept_policy_(std::make_shared<const AcceptPolicy>(
          AcceptPolicy{.pseudowires = std::move(config_.pseudowires), .ppp_server = {}})),
      role_(Role::kInitiator),
      log_name_("tunnel " + std::to_string(id)),
      local_(config.local),
      peer_(config.peer) {
  if (config.mode != TunnelMode::kDynamic) peer_tunnel_id_ = config.peer_tunnel_id;
}

Tunnel::Tunnel(TunnelHost& host, std::uint32_t id, std::uint32_t listener_id,
               const ResponderTemplate& listener, const Endpoint& local, const Endpoint& peer,
               std::uint32_t peer_tunnel_id)
    : host_(host),
      id_(id),
      control_(listener.control),
      accept_policy_(listener.accept_policy),
      role_(Role::kResponder),
      listener_id_(listener_id),
      log_name_("tunnel " + std::to_string(id)),
      local_(local),
      peer_(peer),
      peer_tunnel_id_(peer_tunnel_id) {
  config_.mode = TunnelMode::kDynamic;
  config_.version = listener.version;
  config_.encapsulation = listener.encapsulation;
  config_.local = local;
  config_.peer = peer;
}

Tunnel::~Tunnel() = default;

// ---- Commands ------------------------------------------------------------------

void Tunnel::derive_keys() {
  const wire::Bytes& secret = control_->secret;
  if (!secret.empty()) {
    hiding_key_ = wire::hiding_key(config_.version, secret);
    if (config_.version == wire::ProtocolVersion::kV3) digest_key_ = wire::digest_key(secret);
  }
}

void Tunnel::start() {
  derive_keys();
  if (config_.ipsec) {
    ipsec_status_.state = IpsecState::kNegotiating;
    ipsec_status_.ike_version = config_.ipsec->ike_version;
  }
  if (config_.mode != TunnelMode::kStatic) {
    // The conversions happen here, where the private bases are accessible.
    transport::ChannelOutput<OutgoingMessage>& output = *this;
    transport::ChannelEvents<IncomingMessage>& events = *this;
    channel_ = std::make_unique<TunnelChannel>(control_->channel, host_.env().clock,
                                               host_.env().alarms, output, events);
  }
  announced_ = true;
  report(&EngineObserver::tunnel_added);
  if (role_ == Role::kResponder) {
    // Public from its SCCRQ on, even if that is refused: the refusal (and its
    // LastResult) is something to show.
    host_.tunnel_accepted(*this);
    return;
  }
  if (config_.mode != TunnelMode::kDynamic) {
    enter_state(config_.await_local_address ? TunnelPhase::kWaitLocalAddress
                                            : TunnelPhase::kEstablished);
    return;
  }
  RandomSource& random = host_.env().random;
  tie_breaker_ = random_u64(random);
  if (!control_->secret.empty()) {
    if (config_.version == wire::ProtocolVersion::kV2) {
      our_challenge_ = random_bytes(random, kNonceSize);
    } else {
      local_nonce_ = random_bytes(random, kNonceSize);
    }
  }
  if (config_.ipsec) {
    enter_state(TunnelPhase::kWaitIpsec);
    return;
  }
  enter_state(TunnelPhase::kWaitCtlReply);
  send_sccrq();
}

void Tunnel::close(const LastResult& reason) {
  fail(reason);
}

void Tunnel::abandon(const LastResult& reason) {
  if (phase_ == TunnelPhase::kClosed) return;
  last_result_ = reason;
  enter_state(TunnelPhase::kClosed);
}

void Tunnel::fail(const LastResult& result) {
  if (phase_ == TunnelPhase::kClosing || phase_ == TunnelPhase::kClosed) return;
  last_result_ = result;
  // Quiescent and static tunnels send no StopCCN. Before the SCCRP the peer's
  // id is unknown: the StopCCN waits behind the SCCRQ (the congestion window
  // is one) and goes out with the id the SCCRP brings; without an SCCRP the
  // retransmissions end it.
  if (config_.mode == TunnelMode::kDynamic && channel_ &&
      (peer_tunnel_id_ != 0 || phase_ == TunnelPhase::kWaitCtlReply)) {
    send_stopccn(result);
    enter_state(TunnelPhase::kClosing);
  } else {
    enter_state(TunnelPhase::kClosed);
  }
}

// ---- The state machine ---------------------------------------------------------

void Tunnel::enter_state(TunnelPhase next) {
  const TunnelPhase previous = phase_;
  if (previous == next) return;
  phase_ = next;
  log(next == TunnelPhase::kClosed && last_result_.result > 1 ? LogLevel::kNotice : LogLevel::kInfo,
      std::string(to_string(previous)) + " -> " + to_string(next) +
          (next == TunnelPhase::kClosing || next == TunnelPhase::kClosed
               ? " (result " + std::to_string(last_result_.result) + "/" +
                     std::to_string(last_result_.error) + " " + last_result_.message + ")"
               : ""));
  host_.tunnel_phase_changed(*this, previous, next);

  switch (next) {
    case TunnelPhase::kWaitIpsec:
      request_ipsec();
      break;
    case TunnelPhase::kEstablished: {
      if (!kernel_requested_) request_kernel_tunnel(config_.mode != TunnelMode::kStatic);
      std::vector<std::uint32_t> waiting;
      for (const auto& [session_id, session] : sessions_) {
        if (session->phase() == SessionPhase::kWaitTunnel) waiting.push_back(session_id);
      }
      std::sort(waiting.begin(), waiting.end());
      for (std::uint32_t session_id : waiting) {
        if (Session* session = find_session(session_id)) session->tunnel_established();
      }
      break;
    }
    case TunnelPhase::kClosing:
      if (channel_) channel_->stop_hello();
      end_sessions(last_result_);
      break;
    case TunnelPhase::kClosed:
      if (channel_) channel_->stop_hello();
      end_sessions(last_result_);
      if (kernel_requested_) host_.env().data_plane.delete_tunnel(id_);
      kernel_requested_ = false;
      kernel_ready_ = false;
      release_ipsec();
      break;
    default:
      break;
  }

  if (announced_ && public_state(previous) != public_state(next)) {
    report(&EngineObserver::tunnel_changed);
  }
  if (next != TunnelPhase::kClosed || removed_) return;
  if (announced_) report(&EngineObserver::tunnel_removed);
  removed_ = true;
  if (announced_) host_.tunnel_hidden(*this);
  hold_then_dispose();
}

void Tunnel::end_sessions(const LastResult& reason) {
  if (sessions_.empty()) return;
  // Session codes, not StopCCN codes: an administrative close is CDN result
  // 3; anything else ended the call like a lost carrier (result 1).
  LastResult session_result{
      static_cast<std::uint16_t>(reason.result == 1 ? 3 : 1), 0,
      "tunnel closed" + (reason.message.empty() ? "" : ": " + reason.message)};
  std::vector<std::uint32_t> ids;
  ids.reserve(sessions_.size());
  for (const auto& entry : sessions_) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  for (std::uint32_t session_id : ids) {
    if (Session* session = find_session(session_id)) session->end_with_tunnel(session_result);
  }
}

void Tunnel::request_kernel_tunnel(bool managed) {
  kernel_requested_ = true;
  KernelTunnelParams params;
  params.tunnel_id = id_;
  params.peer_tunnel_id = peer_tunnel_id_;
  params.version = config_.version;
  params.encapsulation = config_.encapsulation;
  params.local = local_;
  params.peer = peer_;
  params.udp_checksum = config_.udp_checksum;
  params.managed = managed;
  host_.env().data_plane.create_tunnel(params);
}

void Tunnel::kernel_tunnel_ready() {
  if (!kernel_requested_ || kernel_ready_ || phase_ == TunnelPhase::kClosed) return;
  kernel_ready_ = true;
  std::vector<std::uint32_t> waiting;
  for (const auto& [session_id, session] : sessions_) {
    if (session->phase() == SessionPhase::kWaitDataPlane) waiting.push_back(session_id);
  }
  std::sort(waiting.begin(), waiting.end());
  for (std::uint32_t session_id : waiting) {
    if (Session* session = find_session(session_id)) session->kernel_tunnel_ready();
  }
}

void Tunnel::local_address_ready() {
  if (phase_ == TunnelPhase::kWaitLocalAddress) enter_state(TunnelPhase::kEstablished);
}

void Tunnel::kernel_tunnel_failed(const std::string& reason) {
  if (!kernel_requested_ || phase_ == TunnelPhase::kClosed) return;
  // Nothing to delete: the kernel refused to create it.
  kernel_requested_ = false;
  fail({2, 6, "kernel tunnel failed: " + reason.substr(0, 200)});
}

void Tunnel::request_ipsec() {
  ipsec_requested_ = true;
  // As patient as the control channel is with an SCCRQ; charon's own IKE
  // retransmissions go on for minutes.
  const Duration patience = retransmission_cycle(control_->channel);
  ipsec_deadline_ = host_.env().alarms.create([this, patience] {
    ipsec_failed(
        "no SA within " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(patience).count()) + " s");
  });
  ipsec_deadline_->arm(patience);
  host_.env().ipsec->establish(id_, local_, peer_, config_.ipsec);
}

void Tunnel::release_ipsec() {
  ipsec_deadline_.reset();
  if (!ipsec_requested_) return;
  ipsec_requested_ = false;
  host_.env().ipsec->release(id_);
}

void Tunnel::ipsec_established(const IpsecStatus& status) {
  if (phase_ != TunnelPhase::kWaitIpsec) return;
  ipsec_deadline_.reset();
  ipsec_status_ = status;
  ipsec_status_.state = IpsecState::kEstablished;
  log(LogLevel::kInfo, "IPsec established (" + ipsec_status_.esp_proposal +
                           (ipsec_status_.nat_traversal ? ", UDP-encapsulated)" : ")"));
  report(&EngineObserver::tunnel_changed);
  enter_state(TunnelPhase::kWaitCtlReply);
  send_sccrq();
}

void Tunnel::ipsec_failed(const std::string& reason) {
  if (!ipsec_requested_ || phase_ == TunnelPhase::kClosed) return;
  ipsec_status_.state = IpsecState::kFailed;
  const std::string shown = reason.substr(0, 200);
  if (phase_ == TunnelPhase::kWaitIpsec) {
    abandon({2, 6, "IPsec failed: " + shown});
    return;
  }
  // The SA and its policies are gone: a StopCCN now would leave in
  // cleartext (or be dropped by the socket's policy), so none is sent.
  if (phase_ == TunnelPhase::kClosing) {
    enter_state(TunnelPhase::kClosed);
    return;
  }
  abandon({2, 6, "IPsec SA went down: " + shown});
}

void Tunnel::finish_closing() {
  if (phase_ != TunnelPhase::kClosing) return;
  enter_state(TunnelPhase::kClosed);
}

void Tunnel::hold_then_dispose() {
  // After a received StopCCN the peer may retransmit it until it sees our
  // acknowledgement: for one full cycle keep the id and answer with the
  // sequence numbers the channel ended with. The channel itself goes now
  // (allowed from inside its callbacks), so nothing of ours is retransmitted
  // to a peer that has closed.
  if (holding_ && channel_) {
    remnant_ = Remnant{channel_->next_send_sequence(), channel_->next_receive_sequence()};
    channel_.reset();
    hold_alarm_ = host_.env().alarms.create([this] {
      disposed_ = true;
      host_.dispose(*this);
    });
    hold_alarm_->arm(retransmission_cycle(control_->channel));
    return;
  }
  disposed_ = true;
  host_.dispose(*this);
}

Session* Tunnel::find_session(std::uint32_t session_id) {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

TunnelView Tunnel::view() const {
  TunnelView view;
  view.tunnel_id = id_;
  view.peer_tunnel_id = peer_tunnel_id_;
  view.state = public_state(phase_);
  view.mode = config_.mode;
  view.version = config_.version;
  view.encapsulation = config_.encapsulation;
  view.role = role_;
  view.local = local_;
  view.peer = peer_;
  view.peer_host_name = peer_host_name_;
  view.peer_vendor_name = peer_vendor_name_;
  view.hello_interval =
      config_.mode == TunnelMode::kStatic ? Duration{0} : control_->channel.hello_interval;
  view.last_result = last_result_;
  view.ipsec = ipsec_status_;
  view.sessions.reserve(sessions_.size());
  for (const auto& entry : sessions_) view.sessions.push_back(entry.first);
  std::sort(view.sessions.begin(), view.sessions.end());
  view.listener_id = listener_id_;
  if (channel_) {
    const transport::ChannelStats& stats = channel_->stats();
    view.control_tx = stats.messages_sent;
    view.control_rx = stats.messages_delivered;
    view.retransmits = stats.retransmits;
  }
  view.hello_tx = hello_tx_;
  return view;
}

void Tunnel::log(LogLevel level, const std::string& message) const {
  host_.log(level, log_name_, message);
}

// ---- Sending -------------------------------------------------------------------

bool Tunnel::authenticates_messages() const {
  return config_.version == wire::ProtocolVersion::kV3 && !control_->secret.empty();
}

wire::EncodeOptions Tunnel::encode_options(wire::MessageType type, wire::Bytes& random_vector) {
  wire::EncodeOptions options;
  options.version = config_.version;
  // Nothing is hidden in SCCRQ and SCCRP: a peer may pick the secret by the
  // Host Name these carry (xl2tpd does) and can unhide nothing before it.
  const bool opening = type == wire::MessageType::kSccrq || type == wire::MessageType::kSccrp;
  if (!hiding_key_.empty() && control_->hide_avps && !opening) {
    random_vector = random_bytes(host_.env().random, kRandomVectorSize);
    options.hiding_key = hiding_key_;
    options.hide_sensitive = true;
    options.random_vector = random_vector;
  }
  if (authenticates_messages()) options.digest = control_->digest_type;
  return options;
}

wire::DigestContext Tunnel::digest_context() const {
  return wire::DigestContext{control_->digest_type, digest_key_, local_nonce_, peer_nonce_};
}

void Tunnel::report(void (EngineObserver::*event)(const TunnelView&)) const {
  host_.post([event, view = view()](EngineObserver& observer) { (observer.*event)(view); });
}

Path Tunnel::path() const {
  return Path{id_, config_.encapsulation, local_, peer_};
}

std::uint64_t Tunnel::send_message(const wire::Message& message, std::uint16_t header_session_id) {
  if (!channel_) return 0;
  wire::Bytes random_vector;
  const wire::EncodeOptions options = encode_options(message.type, random_vector);
  log(LogLevel::kDebug, std::string("send ") + wire::to_string(message.type));
  channel_->send(OutgoingMessage{header_session_id, wire::encode_message(message, options)});
  return messages_queued_++;
}

std::optional<std::uint64_t> Tunnel::send_call_message(std::uint16_t header_session_id,
                                                       const wire::Message& message) {
  if (phase_ != TunnelPhase::kEstablished || config_.mode != TunnelMode::kDynamic || !channel_) {
    return std::nullopt;
  }
  return send_message(message, header_session_id);
}

void Tunnel::await_acknowledgement(std::uint64_t message_index, Session& session) {
  awaiting_acknowledgement_.emplace_back(message_index, session.id());
}

void Tunnel::note_acknowledgements(std::uint16_t nr) {
  // The channel acknowledges cumulatively and numbers first transmissions
  // consecutively from 0, so its counters tell how many of our messages the
  // peer holds. An Nr it ignores (stale, or beyond what was sent) is ignored
  // here the same way.
  const std::uint64_t transmitted = channel_->stats().messages_sent;
  const auto outstanding = static_cast<std::uint16_t>(channel_->next_send_sequence() - nr);
  if (outstanding > transmitted - messages_acknowledged_) return;
  messages_acknowledged_ = transmitted - outstanding;

  while (!awaiting_acknowledgement_.empty() &&
         awaiting_acknowledgement_.front().first < messages_acknowledged_) {
    const std::uint32_t session_id = awaiting_acknowledgement_.front().second;
    awaiting_acknowledgement_.pop_front();
    if (Session* session = find_session(session_id)) session->cdn_acknowledged();
    if (disposed_) return;
  }
  if (phase_ == TunnelPhase::kClosing && stopccn_index_ &&
      *stopccn_index_ < messages_acknowledged_) {
    finish_closing();
  }
}

void Tunnel::transmit(std::uint16_t ns, std::uint16_t nr, const OutgoingMessage& message) {
  send_datagram(ns, nr, message.header_session_id, message.avps);
}

void Tunnel::transmit_acknowledgement(std::uint16_t ns, std::uint16_t nr) {
  if (authenticates_messages() && phase_ == TunnelPhase::kWaitCtlConn) {
    // An ACK for a repeated SCCRQ: the initiator cannot check its digest
    // before it has our SCCRP (and nonce), so it would count its own peer as
    // an attacker. The SCCRP's retransmission answers the repeat instead.
    return;
  }
  // v2 acknowledges with a ZLB; v3 with an ACK message, which is the only
  // form allowed once Message Digests are in use (RFC 3931 §6.15).
  if (config_.version != wire::ProtocolVersion::kV3) {
    send_datagram(ns, nr, 0, {});
    return;
  }
  wire::Message ack;
  ack.type = wire::MessageType::kAck;
  wire::EncodeOptions options;
  options.version = config_.version;
  if (authenticates_messages()) options.digest = control_->digest_type;
  send_datagram(ns, nr, 0, wire::encode_message(ack, options));
}

void Tunnel::send_datagram(std::uint16_t ns, std::uint16_t nr, std::uint16_t header_session_id,
                           wire::ByteView avps) {
  wire::ControlHeader header;
  header.version = config_.version;
  header.tunnel_id = peer_tunnel_id_;
  header.session_id = header_session_id;
  header.ns = ns;
  header.nr = nr;
  wire::Bytes datagram = wire::frame_control(header, avps, config_.encapsulation);
  if (authenticates_messages())
    wire::sign_message(datagram, config_.encapsulation, digest_context());
  host_.env().sink.send(path(), datagram);
}

// ---- Receiving -----------------------------------------------------------------

namespace {

// Messages the engine never answers with a message of its own: the last of
// a handshake (SCCCN, ICCN, OCCN), or ones answered only by the other side
// later (OCRP: the peer's OCCN follows), or by nothing (HELLO, CDN, SLI, WEN).
bool nothing_answers(wire::MessageType type) {
  switch (type) {
    case wire::MessageType::kScccn:
    case wire::MessageType::kIccn:
    case wire::MessageType::kOccn:
    case wire::MessageType::kOcrp:
    case wire::MessageType::kHello:
    case wire::MessageType::kCdn:
    case wire::MessageType::kSli:
    case wire::MessageType::kWen:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool Tunnel::is_acknowledgement(const wire::ControlPacket& packet) const {
  if (config_.version != wire::ProtocolVersion::kV3) return false;
  // Message Type is the first AVP: 8 bytes, type 0, value 20 (ACK). Read
  // without decoding: the remnant needs nothing else from the message.
  auto avps = wire::split_avps(packet.avps);
  return avps && !avps->empty() && avps->front().vendor_id == 0 &&
         avps->front().attribute_type == 0 && avps->front().value.size() == 2 &&
         avps->front().value[0] == 0 &&
         avps->front().value[1] == static_cast<std::uint8_t>(wire::MessageType::kAck);
}

void Tunnel::receive(const wire::ControlPacket& packet, const Endpoint& from) {
  if (disposed_) return;
  if (remnant_) {
    // A retransmitted StopCCN: our acknowledgement was lost. ZLBs and ACKs
    // need no answer.
    if (!packet.avps.empty() && !is_acknowledgement(packet)) {
      transmit_acknowledgement(remnant_->ns, remnant_->nr);
    }
    return;
  }
  if (!channel_) return;

  if (packet.avps.empty()) {
    if (authenticates_messages()) {
      // A ZLB carries no digest: with authentication on it proves nothing.
      ++host_.stats().authentication_failures;
      return;
    }
    receive_acknowledgement(packet.header.nr);
    return;
  }
  wire::DecodeOptions options;
  options.version = config_.version;
  options.hiding_key = hiding_key_;
  auto decoded = wire::decode_message(packet.avps, options);
  if (!decoded) {
    // Not acknowledged: the peer retransmits, and a message that never
    // decodes ends as a dead peer rather than as state we cannot trust.
    EngineStats& stats = host_.stats();
    ++stats.malformed;
    ++stats.wire_errors[static_cast<int>(decoded.error())];
    log(LogLevel::kWarning, std::string("dropped a malformed message: ") +
                                std::string(wire::to_string(decoded.error())));
    return;
  }
  receive(packet, std::move(*decoded), from);
}

void Tunnel::receive(const wire::ControlPacket& packet, wire::Message message,
                     const Endpoint& from) {
  if (disposed_) return;
  if (remnant_) {
    // As above: anything but an acknowledgement was retransmitted to us.
    if (message.type != wire::MessageType::kAck) {
      transmit_acknowledgement(remnant_->ns, remnant_->nr);
    }
    return;
  }
  if (!channel_) return;

  const wire::ControlHeader& header = packet.header;
  if (authenticates_messages()) {
    wire::DigestContext context = digest_context();
    // The SCCRP brings the peer's nonce; its own digest already uses it.
    if (message.type == wire::MessageType::kSccrp && peer_nonce_.empty() && message.nonce) {
      context.remote_nonce = *message.nonce;
    }
    if (!wire::verify_message(packet, context)) {
      ++host_.stats().authentication_failures;
      log(LogLevel::kWarning, std::string("dropped ") + wire::to_string(message.type) +
                                  ": Message Digest does not verify");
      return;
    }
  }
  if (message.type == wire::MessageType::kAck) {
    receive_acknowledgement(header.nr);
    return;
  }
  current_source_ = from;
  channel_->receive(header.ns, header.nr, IncomingMessage{header.session_id, std::move(message)});
  if (!disposed_ && channel_) note_acknowledgements(header.nr);
}

void Tunnel::receive_acknowledgement(std::uint16_t nr) {
  channel_->receive_acknowledgement(nr);
  if (!disposed_ && channel_) note_acknowledgements(nr);
}

void Tunnel::on_message(const IncomingMessage& incoming) {
  if (disposed_) return;
  const wire::Message& message = incoming.message;
  log(LogLevel::kDebug, std::string("received ") + wire::to_string(message.type));

  if (phase_ == TunnelPhase::kClosed) return;  // the remnant only acknowledges
  if (phase_ == TunnelPhase::kClosing && message.type != wire::MessageType::kStopccn) {
    if (message.type == wire::MessageType::kSccrp && peer_tunnel_id_ == 0) {
      // Closed while waiting for it: the SCCRP names whom our StopCCN goes to.
      peer_ = current_source_;
      learn_peer(message);
      if (authenticates_messages() && message.nonce) peer_nonce_ = *message.nonce;
    }
    return;  // only our StopCCN's acknowledgement matters now
  }
  dispatch(incoming.header_session_id, message);
  // Nothing of ours follows these soon enough to carry the acknowledgement:
  // a delayed one would hold the peer's handshake (or its window) for
  // ack_delay. Replies sent from dispatch() already carried it.
  if (!disposed_ && channel_ && nothing_answers(message.type)) channel_->acknowledge_soon();
}

void Tunnel::on_idle() {
  if (phase_ == TunnelPhase::kWaitCtlConn) {
    // Our SCCRP was acknowledged but no SCCCN followed for a whole hello
    // interval. Nothing is addressed to the peer: its id may well belong to
    // another, healthy control connection of its own.
    abandon({2, 0, "no SCCCN came"});
    return;
  }
  if (phase_ != TunnelPhase::kEstablished) return;
  wire::Message hello;
  hello.type = wire::MessageType::kHello;
  ++hello_tx_;
  send_message(hello);
}

void Tunnel::on_peer_dead() {
  switch (phase_) {
    case TunnelPhase::kClosing:
      finish_closing();  // our StopCCN's result stays the LastResult
      break;
    case TunnelPhase::kIdle:
    case TunnelPhase::kWaitIpsec:
    case TunnelPhase::kWaitLocalAddress:
    case TunnelPhase::kWaitCtlReply:
    case TunnelPhase::kWaitCtlConn:
    case TunnelPhase::kEstablished:
      last_result_ = {2, 0, "peer not responding"};
      enter_state(TunnelPhase::kClosed);
      break;
    case TunnelPhase::kClosed:
      break;
  }
}

}  // namespace l2tp::fsm
