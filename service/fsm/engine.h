// The L2TP engine: LAC and LNS, L2TPv2 and L2TPv3, dynamic, quiescent and
// static tunnels, incoming and outgoing calls. Sans-I/O: datagrams come in
// through receive(), go out through the PacketSink; time, randomness, the data
// plane and the observer are injected (ports.h, observer.h).
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "fsm/observer.h"
#include "fsm/options.h"
#include "fsm/ports.h"
#include "wire/wire_error.h"

namespace l2tp::fsm {

enum class ErrorCode : std::uint8_t {
  kInvalidArgument,  // a config value the engine cannot use (message names it)
  kExists,           // id or address in use
  kNotFound,
  kLimitExceeded,
  kNotSupported,  // e.g. Ethernet pseudowire on L2TPv2
  kWrongState,    // e.g. a session on a closing tunnel
};

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;
};

struct Environment {
  const Clock& clock;
  AlarmFactory& alarms;
  RandomSource& random;
  PacketSink& sink;
  DataPlane& data_plane;
  EngineObserver& observer;
  Logger* logger = nullptr;                 // optional: transitions and refusals, never secrets
  CallAdmission* call_admission = nullptr;  // optional: the owner's limits on peers' calls
  // Optional: without it, tunnels with IPsec settings are refused (kNotSupported).
  IpsecPort* ipsec = nullptr;
};

struct EngineLimits {
  std::size_t max_tunnels = 16384;
  // The part of max_tunnels that only create_tunnel may fill: tunnels peers
  // open at listeners (half-open ones included) stop at max_tunnels minus
  // this, so root and config files can always create theirs.
  std::size_t reserved_local_tunnels = 1638;
  // Responder tunnels that sent SCCRP and wait for SCCCN. An SCCRQ from a
  // source address holding max_half_open_per_source is refused (StopCCN,
  // insufficient resources); past max_half_open the oldest such tunnel is
  // dropped after one StopCCN, so that spoofed SCCRQs from many addresses
  // cannot keep a legitimate peer out.
  std::size_t max_half_open = 1024;
  std::size_t max_half_open_per_source = 64;
  // StopCCNs refusing SCCRQs, at most this many a second (and as many at
  // once); beyond, refusals go unanswered (counted): a spoofed flood must
  // not make us a reflector at its own rate.
  std::uint32_t refusals_per_second = 1000;
  std::size_t max_sessions_per_tunnel = 4096;
  // Sessions in all tunnels together (each PPP session is a pppd).
  std::size_t max_sessions = 1024;
};

// One received datagram: the UDP payload (or IP payload for L2TPIP), the
// address it came from and the local address it arrived on.
struct Datagram {
  wire::ByteView bytes;
  Endpoint local;
  Endpoint peer;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
};

struct EngineStats {
  std::uint64_t datagrams = 0;
  std::uint64_t malformed = 0;                // refused by the codec (any WireError)
  std::uint64_t unknown_tunnel = 0;           // no tunnel or listener for it
  std::uint64_t authentication_failures = 0;  // bad digest or challenge response
  std::uint64_t data_packets = 0;             // data packets on a control socket, dropped
  std::uint64_t half_open_evicted = 0;        // each told with one StopCCN
  std::uint64_t refusals_unanswered = 0;      // SCCRQs refused beyond refusals_per_second
  std::uint64_t wire_errors[static_cast<int>(wire::WireError::kDigestMismatch) + 1] = {};
};

// Behaviour the daemon and the tests rely on:
//
// Life cycle (observer.h: events are delivered after the entry point that
// caused them). tunnel_added / session_added come first; every change of the
// public state is one *_changed event; removal is a final *_changed showing
// kClosed with LastResult set, then *_removed, both carrying the final view.
// A tunnel's sessions are removed before it. An SCCRQ accepted at a listener
// makes a public tunnel at once (tunnel_added with listener_id set), even if
// it is then refused (e.g. result 4 below).
//
// Limits. No peer is dropped unheard: an SCCRQ beyond a tunnel or half-open
// limit is answered with one StopCCN {2, 4, reason} and makes no tunnel
// (nothing public; a retransmitted SCCRQ is answered again), within
// EngineLimits::refusals_per_second; a call beyond a session or rate limit
// gets a CDN {4, 0, "temporarily out of resources: ..."}. Each refusal is
// counted in its listener's view and logged at most once a second per kind.
//
// Teardown. A closing tunnel (StopCCN sent) or session (CDN sent) stays
// kClosing until the peer acknowledges that message or the transport gives
// up. A received StopCCN is acknowledged at once and the tunnel is removed at
// once; a hidden remnant keeps acknowledging retransmitted StopCCNs (and
// keeps the id) for one retransmission cycle of its configuration. Sessions
// ended with their tunnel send no CDN. Kernel objects are deleted and pppd
// stopped for every session and tunnel that asked for them.
//
// Tunnel LastResult values set by the engine itself (StopCCN codes):
//   {1, 0, "closed by request"}            close_tunnel
//   {2, 0, "peer not responding"}          retransmissions (or HELLOs) unanswered
//   {3, 0, "tie breaker ..."}              lost the tie breaker (RFC 2661 §4.4.3)
//   {4, 0, ...}                            tunnel authentication failed or impossible
//                                          (no secret here, or a wrong/missing response)
//   {2, 4, "dropped: too many half-open control connections (MaxHalfOpen ...)"}
//                                          evicted with one StopCCN
//   {2, 4, "too many tunnels at this listener ..." / "... from this address ..."}
//                                          an SCCCN past the listener's limits
//   {2, 6, "kernel tunnel failed: ..."}    data_plane_tunnel_failed
//   {2, 8, ...} / {2, 6, ...}              unknown mandatory AVP / required AVP missing
//   {7, 0, ...}                            a control message out of sequence
//   {2, 6, "IPsec ..."}                    the IPsec step failed, timed out
//                                          (one control retransmission cycle), or
//                                          the SA went down (no StopCCN then)
// L2TPv3 messages whose Message Digest fails are dropped unanswered (and
// counted), so a wrong v3 secret ends as {2, 0, "peer not responding"}.
//
// Session LastResult values set by the engine (CDN codes):
//   {3, 0, "closed by request"}                       close_session
//   {2, 6, "pppd ended (exit status N): ..."}         ppp_ended, other reasons
//   {5, 0, "PPP authentication failed: ..."}          ppp_ended(authentication_failed)
//   {2, 6, "kernel session failed: ..."}              data_plane_session_failed
//   {3, 0, "tunnel closed..."} / {1, 0, "tunnel closed: ..."}
//                                                     ended with its tunnel (admin / other)
//   {14, 0, ...}  v3 pseudowire the peer did not advertise or we do not accept
//   {4, 0, "temporarily out of resources: ..."}       a peer's call past a limit
//                                                     (EngineLimits, ListenerConfig,
//                                                     CallAdmission)
//   {16, 0, ...} (v3) / {2, 6, ...} (v2)              a call message out of sequence
//
// Limits on peers. An SCCRQ at a listener is dropped unanswered (counted in
// rejected and tunnels_refused) while the engine holds max_tunnels less
// reserved_local_tunnels tunnels, or the listener its max_tunnels established
// ones, or its max_tunnels_per_peer from that address; the SCCCN checks the
// listener's two again. A peer's ICRQ/OCRQ past max_sessions, the listener's
// max_sessions or max_calls_per_second, or refused by CallAdmission, gets the
// CDN above (counted in calls_refused of the listener, if any).
//
// Peer-initiated calls are accepted when their pseudowire is in the
// listener's (accepted tunnels) or the tunnel's (initiated tunnels)
// pseudowires; PPP runs as server for calls accepted on listener tunnels and
// as client otherwise. An OCRQ is answered with OCRP and OCCN at once.
class Engine final : public DataPlaneEvents, public IpsecEvents {
 public:
  explicit Engine(const Environment& environment, const EngineLimits& limits = {});
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Holds the delivery of events until it is destroyed, so that a caller can
  // note what a command returned (the daemon: who owns the new tunnel)
  // before the observer hears of the object. Batches nest; commands called
  // from inside one queue their events behind it.
  class EventBatch {
   public:
    explicit EventBatch(Engine& engine);
    ~EventBatch();
    EventBatch(const EventBatch&) = delete;
    EventBatch& operator=(const EventBatch&) = delete;

   private:
    Engine& engine_;
  };

  // Commands. Each returns once the object exists (its tunnel_added is
  // delivered before the command returns, unless an EventBatch holds it);
  // none waits for the peer.
  std::expected<std::uint32_t, Error> create_tunnel(const TunnelConfig& config);
  std::expected<std::uint32_t, Error> create_session(std::uint32_t tunnel_id,
                                                     const SessionConfig& config);
  std::expected<std::uint32_t, Error> listen(const ListenerConfig& config);
  // StopCCN (result 1) or CDN (result 3), then removal once the peer
  // acknowledged or the transport gave up. Closing a closing object is a no-op.
  std::expected<void, Error> close_tunnel(std::uint32_t tunnel_id);
  std::expected<void, Error> close_session(std::uint32_t tunnel_id, std::uint32_t session_id);
  // Accepted tunnels outlive their listener.
  std::expected<void, Error> close_listener(std::uint32_t listener_id);

  // Input from the network: never throws, never trusts a length.
  void receive(const Datagram& datagram);

  // Answers from the DataPlane port.
  void data_plane_tunnel_ready(std::uint32_t tunnel_id) override;
  void data_plane_tunnel_failed(std::uint32_t tunnel_id, const std::string& reason) override;
  void data_plane_session_ready(std::uint32_t tunnel_id, std::uint32_t session_id,
                                const std::string& interface_name) override;
  void data_plane_session_failed(std::uint32_t tunnel_id, std::uint32_t session_id,
                                 const std::string& reason) override;
  void ppp_network_up(std::uint32_t tunnel_id, std::uint32_t session_id,
                      const PppAddresses& addresses) override;
  // pppd ended; `authentication_failed` distinguishes a login failure.
  void ppp_ended(std::uint32_t tunnel_id, std::uint32_t session_id, int exit_status,
                 bool authentication_failed, const std::string& message) override;

  // Answers from the IpsecPort. Established: the SCCRQ goes out. Failed
  // while negotiating: the tunnel ends with {2, 6, reason}. Failed once
  // established (the SA is gone, and with it the protection): the tunnel ends
  // at once, with no StopCCN that would leave in cleartext.
  void ipsec_established(std::uint32_t tunnel_id, const IpsecStatus& status) override;
  void ipsec_failed(std::uint32_t tunnel_id, const std::string& reason) override;

  // A static or quiescent tunnel created with await_local_address: its local
  // address is on this host now, so it is established (the kernel tunnel is
  // requested). No-op for any other tunnel.
  void local_address_ready(std::uint32_t tunnel_id);

  // Queries (copies, for properties).
  std::optional<TunnelView> tunnel(std::uint32_t tunnel_id) const;
  std::optional<SessionView> session(std::uint32_t tunnel_id, std::uint32_t session_id) const;
  std::optional<ListenerView> listener(std::uint32_t listener_id) const;
  std::vector<std::uint32_t> tunnel_ids() const;
  // Whether tunnel_ids() would list any, without building the list.
  bool has_tunnels() const;
  std::vector<std::uint32_t> listener_ids() const;
  const EngineStats& stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The data-plane answers for the engine its owner holds in `engine`. The
// data plane is built before the engine (the engine needs it) and is given
// this; answers that come while `engine` holds none reach nobody.
class ToEngine final : public DataPlaneEvents, public IpsecEvents {
 public:
  explicit ToEngine(const std::unique_ptr<Engine>& engine) : engine_(engine) {}

  void data_plane_tunnel_ready(std::uint32_t tunnel_id) override {
    if (engine_) engine_->data_plane_tunnel_ready(tunnel_id);
  }
  void data_plane_tunnel_failed(std::uint32_t tunnel_id, const std::string& reason) override {
    if (engine_) engine_->data_plane_tunnel_failed(tunnel_id, reason);
  }
  void data_plane_session_ready(std::uint32_t tunnel_id, std::uint32_t session_id,
                                const std::string& interface_name) override {
    if (engine_) engine_->data_plane_session_ready(tunnel_id, session_id, interface_name);
  }
  void data_plane_session_failed(std::uint32_t tunnel_id, std::uint32_t session_id,
                                 const std::string& reason) override {
    if (engine_) engine_->data_plane_session_failed(tunnel_id, session_id, reason);
  }
  void ppp_network_up(std::uint32_t tunnel_id, std::uint32_t session_id,
                      const PppAddresses& addresses) override {
    if (engine_) engine_->ppp_network_up(tunnel_id, session_id, addresses);
  }
  void ppp_ended(std::uint32_t tunnel_id, std::uint32_t session_id, int exit_status,
                 bool authentication_failed, const std::string& message) override {
    if (engine_)
      engine_->ppp_ended(tunnel_id, session_id, exit_status, authentication_failed, message);
  }
  void ipsec_established(std::uint32_t tunnel_id, const IpsecStatus& status) override {
    if (engine_) engine_->ipsec_established(tunnel_id, status);
  }
  void ipsec_failed(std::uint32_t tunnel_id, const std::string& reason) override {
    if (engine_) engine_->ipsec_failed(tunnel_id, reason);
  }

 private:
  const std::unique_ptr<Engine>& engine_;
};

}  // namespace l2tp::fsm
