// The session state machine: from the call's setup (session_messages.cpp
// builds and reads its messages) through the kernel session and PPP to
// teardown.
#include "fsm/session.h"

#include <algorithm>

#include "fsm/result_codes.h"
#include "fsm/tunnel.h"

namespace l2tp::fsm {

namespace {

std::string bounded(const std::string& text) {
  return text.substr(0, 200);
}

}  // namespace

const char* to_string(SessionPhase phase) {
  switch (phase) {
    case SessionPhase::kIdle:
      return "idle";
    case SessionPhase::kWaitTunnel:
      return "wait-tunnel";
    case SessionPhase::kWaitReply:
      return "wait-reply";
    case SessionPhase::kWaitConnect:
      return "wait-connect";
    case SessionPhase::kWaitDataPlane:
      return "wait-data-plane";
    case SessionPhase::kWaitPpp:
      return "wait-ppp";
    case SessionPhase::kEstablished:
      return "established";
    case SessionPhase::kClosing:
      return "closing";
    case SessionPhase::kClosed:
      return "closed";
  }
  return "unknown";
}

ObjectState public_state(SessionPhase phase) {
  switch (phase) {
    case SessionPhase::kEstablished:
      return ObjectState::kEstablished;
    case SessionPhase::kClosing:
      return ObjectState::kClosing;
    case SessionPhase::kClosed:
      return ObjectState::kClosed;
    default:
      return ObjectState::kConnecting;
  }
}

Session::Session(Tunnel& tunnel, std::uint32_t id, const SessionConfig& config,
                 bool initiated_locally)
    : tunnel_(tunnel), id_(id), config_(config), initiated_locally_(initiated_locally) {
  if (tunnel.version() == wire::ProtocolVersion::kV3) {
    l2_specific_sublayer_ = config.l2_specific_sublayer.value_or(
        config.pseudowire == Pseudowire::kEth ? L2SpecificSublayer::kDefault
                                              : L2SpecificSublayer::kNone);
  }
}

void Session::start() {
  if (tunnel_.mode() != TunnelMode::kDynamic) {
    // Static and quiescent sessions: both ids and cookies come from the
    // configuration and no message announces them.
    peer_id_ = config_.peer_session_id;
    peer_cookie_ = config_.peer_cookie;
    tunnel_.index_peer_session(*this);
    call_up();
    return;
  }
  if (tunnel_.phase() == TunnelPhase::kEstablished) {
    tunnel_established();
  } else {
    enter_state(SessionPhase::kWaitTunnel);
  }
}

void Session::tunnel_established() {
  if (phase_ != SessionPhase::kIdle && phase_ != SessionPhase::kWaitTunnel) return;
  if (tunnel_.version() == wire::ProtocolVersion::kV3 && tunnel_.peer_pseudowires_) {
    const std::uint16_t wanted =
        config_.pseudowire == Pseudowire::kEth ? wire::kPseudowireEthernet : wire::kPseudowirePpp;
    const auto& offered = *tunnel_.peer_pseudowires_;
    if (std::find(offered.begin(), offered.end(), wanted) == offered.end()) {
      // RFC 3931 §5.4.4: never request a type the peer did not advertise.
      close({14, 0,
             std::string("the peer does not support pseudowire ") +
                 fsm::to_string(config_.pseudowire)});
      return;
    }
  }
  send_request();
  enter_state(SessionPhase::kWaitReply);
}

void Session::accept(const wire::Message& request) {
  learn_peer(request);
  send_reply();
  if (request.type == wire::MessageType::kIcrq) {
    enter_state(SessionPhase::kWaitConnect);
    return;
  }
  // An OCRQ asks us (the LAC) to place a call; there is no bearer to wait
  // for, so the call is answered at once.
  send_connected();
  call_up();
}

void Session::handle(const wire::Message& message) {
  if (phase_ == SessionPhase::kClosing) {
    // Our CDN is on its way; a CDN crossing it ends the call now, anything
    // else is moot.
    if (message.type == wire::MessageType::kCdn) enter_state(SessionPhase::kClosed);
    return;
  }
  const bool incoming = config_.call_type == CallType::kIncoming;
  switch (message.type) {
    case wire::MessageType::kIcrp:
      if (phase_ != SessionPhase::kWaitReply || !incoming || !initiated_locally_) break;
      learn_peer(message);
      send_connected();
      call_up();
      return;
    case wire::MessageType::kOcrp:
      if (phase_ != SessionPhase::kWaitReply || incoming || !initiated_locally_) break;
      learn_peer(message);
      enter_state(SessionPhase::kWaitConnect);
      return;
    case wire::MessageType::kIccn:
      if (phase_ != SessionPhase::kWaitConnect || !incoming || initiated_locally_) break;
      learn_peer(message);
      call_up();
      return;
    case wire::MessageType::kOccn:
      if (phase_ != SessionPhase::kWaitConnect || incoming || !initiated_locally_) break;
      learn_peer(message);
      call_up();
      return;
    case wire::MessageType::kCdn:
      if (message.result_code) {
        last_result_ = {message.result_code->result, message.result_code->error.value_or(0),
                        message.result_code->message};
      } else {
        last_result_ = {kCdnGeneralError, 0, "CDN without a result code"};
      }
      release_data_plane();
      enter_state(SessionPhase::kClosed);
      return;
    case wire::MessageType::kWen:
    case wire::MessageType::kSli:
      // Cisco equipment sends these; nothing here acts on them.
      log(LogLevel::kDebug, std::string("received ") + wire::to_string(message.type));
      return;
    default:
      break;
  }
  protocol_error(message);
}

void Session::call_up() {
  log(LogLevel::kInfo, "call up");
  enter_state(SessionPhase::kWaitDataPlane);
}

void Session::kernel_tunnel_ready() {
  if (phase_ == SessionPhase::kWaitDataPlane && !kernel_requested_) create_kernel_session();
}

void Session::create_kernel_session() {
  kernel_requested_ = true;
  tunnel_.host().env().data_plane.create_session(kernel_params());
}

void Session::data_plane_ready(const std::string& interface_name) {
  if (phase_ != SessionPhase::kWaitDataPlane || !kernel_requested_) return;
  interface_name_ = interface_name;
  if (config_.pseudowire == Pseudowire::kEth) {
    enter_state(SessionPhase::kEstablished);
    return;
  }
  PppStartParams params;
  params.session = kernel_params();
  const auto& server = tunnel_.accept_policy().ppp_server;
  // We answer PPP where a listener accepted the call; everywhere else we dial.
  if (!initiated_locally_ && server) {
    params.role = PppRole::kServer;
    params.server = *server;
  } else {
    params.role = PppRole::kClient;
    params.client = config_.ppp;
  }
  ppp_started_ = true;
  enter_state(SessionPhase::kWaitPpp);
  if (phase_ == SessionPhase::kWaitPpp) tunnel_.host().env().data_plane.start_ppp(params);
}

void Session::data_plane_failed(const std::string& reason) {
  if (!kernel_requested_ || phase_ == SessionPhase::kClosed) return;
  kernel_requested_ = false;  // nothing was created
  close({kCdnGeneralError, kErrorVendorSpecific, "kernel session failed: " + bounded(reason)});
}

void Session::ppp_network_up(const PppAddresses& addresses) {
  if (!ppp_started_ || phase_ == SessionPhase::kClosed) return;
  ppp_addresses_ = addresses;
  if (!addresses.interface_name.empty()) interface_name_ = addresses.interface_name;
  if (phase_ == SessionPhase::kWaitPpp) {
    enter_state(SessionPhase::kEstablished);
  } else {
    report(&EngineObserver::session_changed);  // renegotiated
  }
}

void Session::ppp_ended(int exit_status, bool authentication_failed, const std::string& message) {
  if (!ppp_started_ || phase_ == SessionPhase::kClosed) return;
  ppp_started_ = false;  // pppd is gone already: nothing to stop
  if (authentication_failed) {
    close({kCdnNoFacilitiesPermanent, 0, "PPP authentication failed: " + bounded(message)});
  } else {
    close({kCdnGeneralError, kErrorVendorSpecific,
           "pppd ended (exit status " + std::to_string(exit_status) + "): " + bounded(message)});
  }
}

void Session::close(const LastResult& result) {
  if (phase_ == SessionPhase::kClosing || phase_ == SessionPhase::kClosed) return;
  last_result_ = result;
  release_data_plane();
  std::optional<std::uint64_t> cdn;
  if (peer_knows_call()) cdn = send_cdn(result);
  if (!cdn) {
    enter_state(SessionPhase::kClosed);
    return;
  }
  tunnel_.await_acknowledgement(*cdn, *this);
  enter_state(SessionPhase::kClosing);
}

void Session::cdn_acknowledged() {
  if (phase_ == SessionPhase::kClosing) enter_state(SessionPhase::kClosed);
}

void Session::end_with_tunnel(const LastResult& result) {
  if (phase_ == SessionPhase::kClosed) return;
  // A closing session keeps the result of its own CDN.
  if (phase_ != SessionPhase::kClosing) last_result_ = result;
  release_data_plane();
  enter_state(SessionPhase::kClosed);
}

void Session::release_data_plane() {
  DataPlane& data_plane = tunnel_.host().env().data_plane;
  if (ppp_started_) data_plane.stop_ppp(tunnel_.id(), id_);
  ppp_started_ = false;
  if (kernel_requested_) data_plane.delete_session(tunnel_.id(), id_);
  kernel_requested_ = false;
}

bool Session::peer_knows_call() const {
  if (tunnel_.mode() != TunnelMode::kDynamic) return false;
  switch (phase_) {
    case SessionPhase::kWaitReply:
    case SessionPhase::kWaitConnect:
    case SessionPhase::kWaitDataPlane:
    case SessionPhase::kWaitPpp:
    case SessionPhase::kEstablished:
      return true;
    default:
      return false;
  }
}

void Session::protocol_error(const wire::Message& message) {
  const bool v3 = tunnel_.version() == wire::ProtocolVersion::kV3;
  const std::string what =
      std::string("unexpected ") + wire::to_string(message.type) + " in " + to_string(phase_);
  // RFC 3931 has a CDN code for state machine errors; RFC 2661 only the generic one.
  close(v3 ? LastResult{16, 0, what} : LastResult{kCdnGeneralError, kErrorVendorSpecific, what});
}

void Session::enter_state(SessionPhase next) {
  const SessionPhase previous = phase_;
  if (previous == next) return;
  phase_ = next;
  log(next == SessionPhase::kClosed && last_result_.result > kCdnLostCarrier ? LogLevel::kNotice
                                                                             : LogLevel::kInfo,
      std::string(to_string(previous)) + " -> " + to_string(next) +
          (next == SessionPhase::kClosed
               ? " (result " + std::to_string(last_result_.result) + "/" +
                     std::to_string(last_result_.error) + " " + last_result_.message + ")"
               : ""));
  if (next == SessionPhase::kWaitDataPlane && tunnel_.kernel_ready() && !kernel_requested_) {
    create_kernel_session();
  }

  if (public_state(previous) != public_state(next)) report(&EngineObserver::session_changed);
  if (next != SessionPhase::kClosed || removed_) return;
  removed_ = true;
  report(&EngineObserver::session_removed);
  tunnel_.discard_session(*this);
}

void Session::report(void (EngineObserver::*event)(const SessionView&)) const {
  tunnel_.host().post(
      [event, view = view()](EngineObserver& observer) { (observer.*event)(view); });
}

SessionView Session::view() const {
  SessionView view;
  view.tunnel_id = tunnel_.id();
  view.session_id = id_;
  view.peer_session_id = peer_id_;
  view.state = public_state(phase_);
  view.pseudowire = config_.pseudowire;
  view.call_type = config_.call_type;
  view.initiated_locally = initiated_locally_;
  view.interface_name = interface_name_;
  view.last_result = last_result_;
  view.ppp = ppp_addresses_;
  return view;
}

std::string Session::log_prefix() const {
  return "session " + std::to_string(tunnel_.id()) + "/" + std::to_string(id_);
}

void Session::log(LogLevel level, const std::string& message) const {
  tunnel_.host().log(level, log_prefix(), message);
}

}  // namespace l2tp::fsm
