// One call (session) inside a tunnel: RFC 2661 §7.4/§7.5, RFC 3931 §7.3/§7.4,
// then the data plane (kernel session, PPP). Internal to the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "fsm/engine.h"
#include "wire/message.h"

namespace l2tp::fsm {

class Tunnel;

enum class SessionPhase : std::uint8_t {
  kIdle,
  kWaitTunnel,     // created on a tunnel still connecting
  kWaitReply,      // ICRQ/OCRQ sent
  kWaitConnect,    // ICRP sent (waiting ICCN), or OCRP received (waiting OCCN)
  kWaitDataPlane,  // call up: kernel session requested (or waiting for the kernel tunnel)
  kWaitPpp,        // PPP started, waiting for its network phase
  kEstablished,
  kClosing,  // CDN sent, waiting for its acknowledgement
  kClosed,
};
const char* to_string(SessionPhase phase);
ObjectState public_state(SessionPhase phase);

class Session {
 public:
  Session(Tunnel& tunnel, std::uint32_t id, const SessionConfig& config, bool initiated_locally);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Created by create_session: waits for the tunnel, sends its request, or
  // (static/quiescent) goes straight to the data plane.
  void start();
  // Created for a peer's ICRQ/OCRQ that was found acceptable.
  void accept(const wire::Message& request);
  // A call message routed to this session.
  void handle(const wire::Message& message);
  void tunnel_established();
  void kernel_tunnel_ready();
  void data_plane_ready(const std::string& interface_name);
  void data_plane_failed(const std::string& reason);
  void ppp_network_up(const PppAddresses& addresses);
  void ppp_ended(int exit_status, bool authentication_failed, const std::string& message);
  // Local close or failure: CDN if the peer knows the call, then removal
  // once the peer acknowledged it (or with the tunnel).
  void close(const LastResult& result);
  void cdn_acknowledged();
  // Ended with its tunnel: no CDN (the StopCCN clears every call).
  void end_with_tunnel(const LastResult& result);

  std::uint32_t id() const { return id_; }
  std::uint32_t peer_id() const { return peer_id_; }
  SessionPhase phase() const { return phase_; }
  SessionView view() const;
  // Queues `event` with the session as it is now (delivered after the
  // engine's entry point returns).
  void report(void (EngineObserver::*event)(const SessionView&)) const;

 private:
  void enter_state(SessionPhase next);
  void release_data_plane();
  void call_up();
  void create_kernel_session();
  KernelSessionParams kernel_params() const;
  bool peer_knows_call() const;
  std::string log_prefix() const;
  void log(LogLevel level, const std::string& message) const;

  // Protocol (session_messages.cpp).
  void send_request();
  void send_reply();
  void send_connected();
  std::optional<std::uint64_t> send_cdn(const LastResult& result);
  void add_call_parameters(wire::Message& message) const;
  void learn_peer(const wire::Message& message);
  std::uint16_t header_session_id() const;
  void protocol_error(const wire::Message& message);

  Tunnel& tunnel_;
  const std::uint32_t id_;
  SessionConfig config_;
  const bool initiated_locally_;
  L2SpecificSublayer l2_specific_sublayer_ = L2SpecificSublayer::kNone;

  SessionPhase phase_ = SessionPhase::kIdle;
  bool removed_ = false;
  LastResult last_result_;
  std::uint32_t peer_id_ = 0;
  std::uint32_t serial_ = 0;
  wire::Bytes peer_cookie_;
  bool peer_wants_sublayer_ = false;
  bool peer_wants_sequencing_ = false;

  bool kernel_requested_ = false;
  bool ppp_started_ = false;
  std::string interface_name_;
  std::optional<PppAddresses> ppp_addresses_;
};

}  // namespace l2tp::fsm
