// One L2TP control connection (RFC 2661 §7.2, RFC 3931 §7.2) and the calls it
// carries. Internal to the engine.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fsm/admission.h"
#include "fsm/engine.h"
#include "fsm/registry.h"
#include "fsm/tunnel_channel.h"
#include "wire/message.h"
#include "wire/security.h"

namespace l2tp::fsm {

class Session;
class Tunnel;

// RFC names: idle, wait-ctl-reply, wait-ctl-conn, established; then our own
// teardown steps. ObjectState is the public projection (tunnel_state()).
enum class TunnelPhase : std::uint8_t {
  kIdle,
  kWaitIpsec,  // initiator: IPsec protecting the path; nothing sent yet
  // Static or quiescent, with TunnelConfig::await_local_address: its local
  // address is not on this host yet, so nothing is asked of the kernel.
  kWaitLocalAddress,
  kWaitCtlReply,  // initiator: SCCRQ sent
  kWaitCtlConn,   // responder: SCCRP sent
  kEstablished,
  kClosing,  // StopCCN sent, waiting for its acknowledgement
  kClosed,   // gone from the public view; maybe still holding its id (remnant)
};
const char* to_string(TunnelPhase phase);
ObjectState public_state(TunnelPhase phase);

// What a listener hands to the tunnels it accepts; they outlive it.
struct AcceptPolicy {
  std::vector<Pseudowire> pseudowires;
  std::optional<PppServerOptions> ppp_server;  // set for tunnels accepted at a listener
};

// What every tunnel a listener accepts shares with it, held once by the
// listener: 65,535 tunnels must not hold 65,535 copies of its settings (nor
// of its secret).
struct ResponderTemplate {
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  std::shared_ptr<const ControlSettings> control;
  std::shared_ptr<const AcceptPolicy> accept_policy;
};
ResponderTemplate responder_template(const ListenerConfig& listener);

// What the engine offers its tunnels: the injected world, shared indexes and
// deferred destruction. Implemented by Engine::Impl.
class TunnelHost {
 public:
  virtual ~TunnelHost() = default;
  virtual const Environment& env() const = 0;
  virtual Registry& registry() = 0;
  virtual EngineStats& stats() = 0;
  virtual const EngineLimits& limits() const = 0;
  virtual std::uint32_t router_id() = 0;
  virtual std::uint32_t next_call_serial() = 0;
  // Keeps the shared indexes (tie breaker, half-open, responders) in step.
  virtual void tunnel_phase_changed(Tunnel& tunnel, TunnelPhase from, TunnelPhase to) = 0;
  // Queues an observer event, delivered once the engine's current entry
  // point has returned (observer.h).
  virtual void post(std::function<void(EngineObserver&)> event) = 0;
  // An accepted tunnel became public (tunnel_added is queued): the listener
  // counts it.
  virtual void tunnel_accepted(Tunnel& tunnel) = 0;
  // tunnel_removed is queued: the tunnel leaves every public list.
  virtual void tunnel_hidden(Tunnel& tunnel) = 0;
  // The limits on what peers take (a result for the StopCCN or CDN that
  // refuses it, or nullopt): an accepted tunnel about to be established, a
  // peer's ICRQ/OCRQ about to become a session.
  virtual std::optional<LastResult> refuse_established(Tunnel& tunnel) = 0;
  virtual std::optional<Refusal> refuse_call(Tunnel& tunnel) = 0;
  // A peer's ICRQ/OCRQ was refused with a CDN: counted at the tunnel's
  // listener, logged at most once a second per kind.
  virtual void call_refused(Tunnel& tunnel, RefusalKind kind, const std::string& message) = 0;
  // Sessions in all tunnels; a session entered or left `tunnel`'s table.
  virtual std::size_t session_count() const = 0;
  virtual void session_created(Tunnel& tunnel) = 0;
  virtual void session_discarded(Tunnel& tunnel) = 0;
  // Destroy later, outside every callback, and free the id.
  virtual void dispose(Tunnel& tunnel) = 0;
  virtual void dispose(std::unique_ptr<Session> session) = 0;
  virtual void log(LogLevel level, const std::string& object, const std::string& message) = 0;
};

class Tunnel final : private transport::ChannelOutput<OutgoingMessage>,
                     private transport::ChannelEvents<IncomingMessage> {
 public:
  // A tunnel created by create_tunnel (initiator, or static/quiescent).
  Tunnel(TunnelHost& host, std::uint32_t id, const TunnelConfig& config);
  // A tunnel for an SCCRQ that arrived at listener `listener_id`.
  Tunnel(TunnelHost& host, std::uint32_t id, std::uint32_t listener_id,
         const ResponderTemplate& listener, const Endpoint& local, const Endpoint& peer,
         std::uint32_t peer_tunnel_id);
  ~Tunnel() override;
  Tunnel(const Tunnel&) = delete;
  Tunnel& operator=(const Tunnel&) = delete;

  // ---- Commands (engine.h) ----
  // Announces the tunnel and starts it per its mode (SCCRQ, or established).
  void start();
  // Local close: StopCCN (result 1) where there is a control connection.
  void close(const LastResult& reason);
  // Dropped without a word to the peer (lost tie breaker).
  void abandon(const LastResult& reason);
  // Dropped after one StopCCN with `reason`, never retransmitted: a half-open
  // tunnel evicted to make room, whose peer is not proven and must not make
  // us hold state, but is told.
  void evict(const LastResult& reason);
  // Answers the SCCRQ in `packet` with one StopCCN and changes nothing else:
  // for a tunnel made only to refuse (an SCCRQ beyond a limit), which never
  // starts and is destroyed right after. A lost StopCCN is answered again
  // when the peer retransmits its SCCRQ.
  void refuse(const wire::ControlPacket& packet, const wire::Message& sccrq,
              const LastResult& reason);
  std::expected<std::uint32_t, Error> create_session(const SessionConfig& config);
  std::expected<void, Error> close_session(std::uint32_t session_id);

  // ---- Input ----
  // A control packet routed here by tunnel id; its AVPs are decoded here.
  void receive(const wire::ControlPacket& packet, const Endpoint& from);
  // The same with its AVPs already decoded into `message` (an SCCRQ, which
  // the engine decodes to route it).
  void receive(const wire::ControlPacket& packet, wire::Message message, const Endpoint& from);
  void kernel_tunnel_ready();
  void kernel_tunnel_failed(const std::string& reason);
  // The local address is here now: a tunnel waiting for it is established.
  void local_address_ready();
  void ipsec_established(const IpsecStatus& status);
  void ipsec_failed(const std::string& reason);
  Session* find_session(std::uint32_t session_id);

  // ---- Queries ----
  std::uint32_t id() const { return id_; }
  std::uint32_t peer_tunnel_id() const { return peer_tunnel_id_; }
  std::uint32_t listener_id() const { return listener_id_; }
  TunnelPhase phase() const { return phase_; }
  ObjectState state() const { return public_state(phase_); }
  Role role() const { return role_; }
  TunnelMode mode() const { return config_.mode; }
  wire::ProtocolVersion version() const { return config_.version; }
  wire::Encapsulation encapsulation() const { return config_.encapsulation; }
  const Endpoint& local() const { return local_; }
  const Endpoint& peer() const { return peer_; }
  // The peer as configured, or as the accepted SCCRQ came from.
  const Endpoint& configured_peer() const { return config_.peer; }
  std::size_t session_count() const { return sessions_.size(); }
  // Announced and not yet removed: what engine.h's queries may show.
  bool visible() const { return announced_ && !removed_; }
  bool announced() const { return announced_; }
  bool sent_tie_breaker() const { return tie_breaker_.has_value(); }
  std::uint64_t tie_breaker() const { return tie_breaker_.value_or(0); }
  TunnelView view() const;
  // Queues `event` with the tunnel as it is now (delivered after the
  // engine's entry point returns).
  void report(void (EngineObserver::*event)(const TunnelView&)) const;

  // ---- For its sessions ----
  TunnelHost& host() { return host_; }
  const std::string& log_name() const { return log_name_; }
  bool kernel_ready() const { return kernel_ready_; }
  const AcceptPolicy& accept_policy() const { return *accept_policy_; }
  // Queues a call message; `header_session_id` is the peer's v2 session id.
  // Returns the message's index among those this tunnel sent (nullopt when
  // the tunnel sends no call messages now).
  std::optional<std::uint64_t> send_call_message(std::uint16_t header_session_id,
                                                 const wire::Message& message);
  // Calls session.cdn_acknowledged() once the peer acknowledged the message.
  void await_acknowledgement(std::uint64_t message_index, Session& session);
  // Takes the session out of the maps and hands it over for destruction.
  void discard_session(Session& session);
  // A session learned its peer's id (for CDNs that arrive with none of ours).
  void index_peer_session(Session& session);

 private:
  // ---- tunnel.cpp: life cycle, channel, framing ----
  void enter_state(TunnelPhase next);
  void end_sessions(const LastResult& reason);
  void request_kernel_tunnel(bool managed);
  void finish_closing();
  void hold_then_dispose();
  std::uint64_t send_message(const wire::Message& message, std::uint16_t header_session_id = 0);
  void note_acknowledgements(std::uint16_t nr);
  wire::EncodeOptions encode_options(wire::MessageType type, wire::Bytes& random_vector);
  wire::DigestContext digest_context() const;
  bool authenticates_messages() const;  // v3 Message Digest in use
  Path path() const;
  void log(LogLevel level, const std::string& message) const;
  void transmit(std::uint16_t ns, std::uint16_t nr, const OutgoingMessage& message) override;
  void transmit_acknowledgement(std::uint16_t ns, std::uint16_t nr) override;
  void send_datagram(std::uint16_t ns, std::uint16_t nr, std::uint16_t header_session_id,
                     wire::ByteView avps);
  void receive_acknowledgement(std::uint16_t nr);
  bool is_acknowledgement(const wire::ControlPacket& packet) const;  // a v3 ACK, undecoded
  void on_message(const IncomingMessage& incoming) override;
  void on_idle() override;
  void on_peer_dead() override;

  // ---- tunnel_control.cpp: the control connection's messages ----
  void dispatch(std::uint16_t header_session_id, const wire::Message& message);
  void handle_sccrq(const wire::Message& message);
  void handle_sccrp(const wire::Message& message);
  void handle_scccn(const wire::Message& message);
  void handle_stopccn(const wire::Message& message);
  void learn_peer(const wire::Message& message);
  wire::Message control_message(wire::MessageType type);
  void send_sccrq();
  void send_stopccn(const LastResult& result);
  wire::Message stopccn_message(const LastResult& result) const;
  // Outside the channel: once, with the sequence numbers given.
  void send_stopccn_once(const LastResult& result, std::uint16_t ns, std::uint16_t nr);
  // The hiding and digest keys from the configured secret.
  void derive_keys();
  // Sends a StopCCN with `result` and closes (the RFC's "send StopCCN, clean up").
  void fail(const LastResult& result);
  // nullopt when the peer's authentication AVPs are acceptable (counts
  // wrong or missing challenge responses as authentication failures).
  std::optional<LastResult> check_authentication(const wire::Message& message,
                                                 std::uint8_t response_type);

  // ---- tunnel_calls.cpp: routing and accepting calls ----
  void dispatch_call(std::uint16_t header_session_id, const wire::Message& message);
  void accept_call(const wire::Message& request);
  void reject_call(const wire::Message& request, const LastResult& result, RefusalKind kind);
  Session* route_call(std::uint16_t header_session_id, const wire::Message& message);
  std::expected<std::uint32_t, Error> allocate_session_id(const SessionConfig& config);
  void release_session_id(std::uint32_t session_id);
  std::expected<void, Error> validate_session(const SessionConfig& config) const;

  TunnelHost& host_;
  const std::uint32_t id_;
  TunnelConfig config_;  // its control settings and pseudowires are in the two below
  std::shared_ptr<const ControlSettings> control_;
  std::shared_ptr<const AcceptPolicy> accept_policy_;
  Role role_ = Role::kInitiator;
  std::uint32_t listener_id_ = 0;
  std::string log_name_;

  TunnelPhase phase_ = TunnelPhase::kIdle;
  bool announced_ = false;
  bool removed_ = false;
  bool disposed_ = false;
  // The IPsec step (config_.ipsec): asked of the port until kClosed.
  void request_ipsec();
  void release_ipsec();
  IpsecStatus ipsec_status_;
  bool ipsec_requested_ = false;
  std::unique_ptr<Alarm> ipsec_deadline_;
  bool holding_ = false;  // a received StopCCN: stay a while to acknowledge retransmissions
  LastResult last_result_;

  Endpoint local_;
  Endpoint peer_;
  Endpoint current_source_;  // of the datagram being processed (SCCRP may come from a new port)
  std::uint32_t peer_tunnel_id_ = 0;
  std::string peer_host_name_;
  std::string peer_vendor_name_;
  std::optional<std::vector<std::uint16_t>> peer_pseudowires_;

  std::optional<std::uint64_t> tie_breaker_;
  wire::Bytes our_challenge_;   // v2: sent in SCCRQ/SCCRP
  wire::Bytes peer_challenge_;  // v2: to answer in SCCRP/SCCCN
  wire::Bytes local_nonce_;     // v3
  wire::Bytes peer_nonce_;      // v3
  wire::Bytes hiding_key_;
  wire::Bytes digest_key_;

  std::unique_ptr<TunnelChannel> channel_;
  // Our messages by index (0 for the first handed to the channel), and how
  // many of them the peer has acknowledged: what a CDN or StopCCN waits for.
  std::uint64_t messages_queued_ = 0;
  std::uint64_t messages_acknowledged_ = 0;
  std::deque<std::pair<std::uint64_t, std::uint32_t>> awaiting_acknowledgement_;
  std::optional<std::uint64_t> stopccn_index_;
  std::unique_ptr<Alarm> hold_alarm_;
  // After a received StopCCN, in place of the channel: what to acknowledge with.
  struct Remnant {
    std::uint16_t ns = 0;
    std::uint16_t nr = 0;
  };
  std::optional<Remnant> remnant_;
  std::uint64_t hello_tx_ = 0;

  bool kernel_requested_ = false;
  bool kernel_ready_ = false;

  std::unordered_map<std::uint32_t, std::unique_ptr<Session>> sessions_;
  std::unordered_map<std::uint32_t, Session*> sessions_by_peer_id_;

  friend class Session;
};

// The full retransmission cycle of `config`: how long a StopCCN receiver
// keeps answering retransmissions (RFC 2661 §5.7; 31 s by default).
Duration retransmission_cycle(const transport::ChannelConfig& config);

}  // namespace l2tp::fsm
