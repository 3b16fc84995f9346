// The engine's private half: owner of tunnels and listeners, router of
// datagrams, and the TunnelHost its tunnels talk back to. Internal.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fsm/admission.h"
#include "fsm/engine.h"
#include "fsm/registry.h"
#include "fsm/session.h"
#include "fsm/tunnel.h"

namespace l2tp::fsm {

// Checks of caller-supplied configuration; messages name the D-Bus key.
std::expected<void, Error> validate_tunnel_config(const TunnelConfig& config);
std::expected<void, Error> validate_listener_config(const ListenerConfig& config);

class Engine::Impl final : public TunnelHost {
 public:
  // Every way into the engine (public methods, its alarms) holds one of
  // these: the events queued meanwhile are delivered when the outermost one
  // ends (observer.h).
  class Entry {
   public:
    explicit Entry(Impl& impl) : impl_(impl) { impl_.enter(); }
    ~Entry() { impl_.leave(); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    Impl& impl_;
  };
  void enter() { ++depth_; }
  void leave();

  Impl(const Environment& environment, const EngineLimits& limits);
  ~Impl() override;

  // engine.cpp: commands and queries.
  std::expected<std::uint32_t, Error> create_tunnel(const TunnelConfig& config);
  std::expected<std::uint32_t, Error> create_session(std::uint32_t tunnel_id,
                                                     const SessionConfig& config);
  std::expected<std::uint32_t, Error> listen(const ListenerConfig& config);
  std::expected<void, Error> close_tunnel(std::uint32_t tunnel_id);
  std::expected<void, Error> close_session(std::uint32_t tunnel_id, std::uint32_t session_id);
  std::expected<void, Error> close_listener(std::uint32_t listener_id);
  Tunnel* visible_tunnel(std::uint32_t tunnel_id) const;
  Session* visible_session(std::uint32_t tunnel_id, std::uint32_t session_id) const;
  std::optional<ListenerView> listener_view(std::uint32_t listener_id) const;
  std::vector<std::uint32_t> tunnel_ids() const;
  bool has_tunnels() const;
  std::vector<std::uint32_t> listener_ids() const;
  const EngineStats& engine_stats() const { return stats_; }

  // engine_receive.cpp: datagrams in.
  void receive(const Datagram& datagram);

  // TunnelHost.
  const Environment& env() const override { return env_; }
  Registry& registry() override { return registry_; }
  EngineStats& stats() override { return stats_; }
  const EngineLimits& limits() const override { return limits_; }
  std::uint32_t router_id() override;
  std::uint32_t next_call_serial() override { return ++call_serial_; }
  void tunnel_phase_changed(Tunnel& tunnel, TunnelPhase from, TunnelPhase to) override;
  void post(std::function<void(EngineObserver&)> event) override;
  void tunnel_accepted(Tunnel& tunnel) override;
  void tunnel_hidden(Tunnel& tunnel) override;
  std::optional<LastResult> refuse_established(Tunnel& tunnel) override;
  std::optional<Refusal> refuse_call(Tunnel& tunnel) override;
  void call_refused(Tunnel& tunnel, RefusalKind kind, const std::string& message) override;
  std::size_t session_count() const override { return sessions_; }
  void session_created(Tunnel& tunnel) override;
  void session_discarded(Tunnel& tunnel) override;
  void dispose(Tunnel& tunnel) override;
  void dispose(std::unique_ptr<Session> session) override;
  void log(LogLevel level, const std::string& object, const std::string& message) override;

 private:
  struct Listener {
    std::uint32_t id = 0;
    ListenerKey key;
    ListenerConfig config;
    ResponderTemplate responder;                // shared by the tunnels it accepts
    std::unordered_set<std::uint32_t> tunnels;  // accepted and still public
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
    // What its peers hold, against the listener's limits (admission.h).
    std::size_t established = 0;
    std::unordered_map<Endpoint, std::size_t, EndpointHash> established_by_peer;
    std::size_t sessions = 0;
    CallRateLimiter call_rate{1};
    std::uint64_t tunnels_refused = 0;
    std::uint64_t calls_refused = 0;
    std::uint64_t refusals_unanswered = 0;
    std::uint64_t tunnels_evicted = 0;
  };
  enum class TieOutcome : std::uint8_t { kProceed, kDiscard };

  void receive_new_connection(const wire::ControlPacket& packet, const Datagram& datagram);
  TieOutcome break_tie(const wire::Message& sccrq, wire::ProtocolVersion version,
                       const Datagram& datagram);
  // Why an SCCRQ at `listener` from `peer` cannot have a tunnel now, if so.
  std::optional<Refusal> refuse_new_tunnel(const Listener& listener, const Endpoint& peer) const;
  // The listener's own bounds (MaxTunnels, MaxTunnelsPerPeer), also checked at SCCCN.
  std::optional<Refusal> refuse_at_listener(const Listener& listener, const Endpoint& peer) const;
  // Counts and logs the refusal and answers the SCCRQ with one StopCCN from
  // a tunnel that exists only for that.
  void refuse_sccrq(Listener& listener, const wire::ControlPacket& packet,
                    const wire::Message& sccrq, const Datagram& datagram,
                    std::uint32_t peer_tunnel_id, const Refusal& refusal);
  void count_established(const Tunnel& tunnel, bool added);
  Listener* listener_of(const Tunnel& tunnel);
  // Logs a refusal by a limit, at most once a second per kind (a flood would
  // otherwise flood the log), with the count of those not logged.
  void log_refusal(RefusalKind kind, const std::string& object, const std::string& message);
  // Counts a refused datagram (and, when it came to a listener's address,
  // against that listener) and says why, at most a few times a second so a
  // flood cannot flood the log too.
  void drop_malformed(const Datagram& datagram, wire::WireError error);
  // A datagram nobody takes, at a listener's address: counted as rejected there.
  void count_rejected_at_listener(const Datagram& datagram);
  void count_wire_error(wire::WireError error);
  TimePoint drop_log_window_{};
  unsigned drop_logs_in_window_ = 0;
  void reap();

  // The injected alarms, each callback an entry point.
  class EntryAlarms final : public AlarmFactory {
   public:
    EntryAlarms(AlarmFactory& inner, Impl& impl) : inner_(inner), impl_(impl) {}
    std::unique_ptr<Alarm> create(std::function<void()> on_fire) override;
    std::unique_ptr<Alarm> create_lax(std::function<void()> on_fire, Duration slack) override;

   private:
    AlarmFactory& inner_;
    Impl& impl_;
  };
  EntryAlarms entry_alarms_;
  Environment env_;  // as injected, but with entry_alarms_
  std::deque<std::function<void(EngineObserver&)>> events_;
  int depth_ = 0;
  bool delivering_ = false;
  EngineLimits limits_;
  Registry registry_;
  EngineStats stats_;
  RefusalLog refusal_log_;
  CallRateLimiter refusal_replies_;
  std::unordered_map<std::uint32_t, std::unique_ptr<Tunnel>> tunnels_;
  std::unordered_map<std::uint32_t, Listener> listeners_;
  std::uint32_t next_listener_id_ = 1;
  std::uint32_t router_id_ = 0;
  std::uint32_t call_serial_ = 0;
  std::size_t sessions_ = 0;  // in all tunnels, against EngineLimits::max_sessions

  // Destruction waits for the reaper (a zero-delay alarm) so that no object
  // dies inside one of its own callbacks.
  std::vector<std::uint32_t> doomed_tunnels_;
  std::vector<std::unique_ptr<Session>> doomed_sessions_;
  std::unique_ptr<Alarm> reaper_;
};

}  // namespace l2tp::fsm
