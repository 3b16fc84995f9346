// What a session says and learns on the wire (RFC 2661 §6.6-6.12, RFC 3931
// §6.6-6.12), and the kernel parameters that follow from both sides.
#include "fsm/session.h"
#include "fsm/tunnel.h"

namespace l2tp::fsm {

namespace {

constexpr std::uint32_t kFramingSync = 0x1;
constexpr std::uint32_t kBearerDigital = 0x1;
constexpr std::uint32_t kMinimumBps = 0;
constexpr std::uint32_t kMaximumBps = 0xFFFFFFFF;
constexpr std::uint64_t kConnectSpeed = 100'000'000;  // informational: no real bearer
constexpr std::uint16_t kSequenceAll = 2;             // RFC 3931 Data Sequencing level

bool sends_sequence_numbers(Sequencing sequencing) {
  return sequencing == Sequencing::kSend || sequencing == Sequencing::kBoth;
}
bool wants_sequence_numbers(Sequencing sequencing) {
  return sequencing == Sequencing::kRecv || sequencing == Sequencing::kBoth;
}

}  // namespace

std::uint16_t Session::header_session_id() const {
  return tunnel_.version() == wire::ProtocolVersion::kV2 ? static_cast<std::uint16_t>(peer_id_) : 0;
}

// v3 parameters every setup message of ours repeats: the cookie we expect,
// the sublayer and sequencing we want on what we receive.
void Session::add_call_parameters(wire::Message& message) const {
  if (tunnel_.version() == wire::ProtocolVersion::kV2) return;
  message.local_session_id = id_;
  message.remote_session_id = peer_id_;
  message.l2_specific_sublayer =
      static_cast<std::uint16_t>(l2_specific_sublayer_ == L2SpecificSublayer::kDefault ? 1 : 0);
  if (wants_sequence_numbers(config_.sequencing)) message.data_sequencing = kSequenceAll;
}

void Session::send_request() {
  const bool v2 = tunnel_.version() == wire::ProtocolVersion::kV2;
  const bool incoming = config_.call_type == CallType::kIncoming;
  serial_ = tunnel_.host().next_call_serial();
  wire::Message request;
  request.type = incoming ? wire::MessageType::kIcrq : wire::MessageType::kOcrq;
  request.call_serial_number = serial_;
  if (!config_.calling_number.empty()) request.calling_number = config_.calling_number;
  if (!config_.called_number.empty()) request.called_number = config_.called_number;
  if (v2) {
    request.assigned_session_id = static_cast<std::uint16_t>(id_);
    if (!incoming) {
      // RFC 2661 §6.9 requires these in every OCRQ.
      request.minimum_bps = kMinimumBps;
      request.maximum_bps = kMaximumBps;
      request.bearer_type = kBearerDigital;
      request.framing_type = kFramingSync;
      request.called_number = config_.called_number;
      request.sequencing_required = wants_sequence_numbers(config_.sequencing);
    }
  } else {
    add_call_parameters(request);
    request.pseudowire_type =
        config_.pseudowire == Pseudowire::kEth ? wire::kPseudowireEthernet : wire::kPseudowirePpp;
    // Remote End ID names the circuit; ours are the session ids themselves.
    request.remote_end_id =
        wire::Bytes{static_cast<std::uint8_t>(id_ >> 24), static_cast<std::uint8_t>(id_ >> 16),
                    static_cast<std::uint8_t>(id_ >> 8), static_cast<std::uint8_t>(id_)};
    request.circuit_status = wire::CircuitStatus{true, true};
    if (!config_.cookie.empty()) request.assigned_cookie = config_.cookie;
  }
  tunnel_.send_call_message(0, request);
}

void Session::send_reply() {
  const bool v2 = tunnel_.version() == wire::ProtocolVersion::kV2;
  wire::Message reply;
  reply.type = config_.call_type == CallType::kIncoming ? wire::MessageType::kIcrp
                                                        : wire::MessageType::kOcrp;
  if (v2) {
    reply.assigned_session_id = static_cast<std::uint16_t>(id_);
  } else {
    add_call_parameters(reply);
    reply.circuit_status = wire::CircuitStatus{true, true};
    if (!config_.cookie.empty()) reply.assigned_cookie = config_.cookie;
  }
  tunnel_.send_call_message(header_session_id(), reply);
}

void Session::send_connected() {
  const bool v2 = tunnel_.version() == wire::ProtocolVersion::kV2;
  wire::Message connected;
  connected.type = config_.call_type == CallType::kIncoming ? wire::MessageType::kIccn
                                                            : wire::MessageType::kOccn;
  if (v2) {
    connected.tx_connect_speed = kConnectSpeed;
    connected.framing_type = kFramingSync;
    connected.sequencing_required = wants_sequence_numbers(config_.sequencing);
  } else {
    add_call_parameters(connected);
  }
  tunnel_.send_call_message(header_session_id(), connected);
}

std::optional<std::uint64_t> Session::send_cdn(const LastResult& result) {
  wire::Message cdn;
  cdn.type = wire::MessageType::kCdn;
  wire::ResultCode code;
  code.result = result.result;
  if (result.error != 0 || !result.message.empty()) code.error = result.error;
  code.message = result.message;
  cdn.result_code = code;
  if (tunnel_.version() == wire::ProtocolVersion::kV2) {
    cdn.assigned_session_id = static_cast<std::uint16_t>(id_);
  } else {
    cdn.local_session_id = id_;
    cdn.remote_session_id = peer_id_;
  }
  return tunnel_.send_call_message(header_session_id(), cdn);
}

void Session::learn_peer(const wire::Message& message) {
  if (tunnel_.version() == wire::ProtocolVersion::kV2) {
    if (message.assigned_session_id && *message.assigned_session_id != 0) {
      peer_id_ = *message.assigned_session_id;
    }
    if (message.sequencing_required) peer_wants_sequencing_ = true;
  } else {
    if (message.local_session_id && *message.local_session_id != 0) {
      peer_id_ = *message.local_session_id;
    }
    if (message.assigned_cookie) peer_cookie_ = *message.assigned_cookie;
    if (message.l2_specific_sublayer) peer_wants_sublayer_ = *message.l2_specific_sublayer != 0;
    if (message.data_sequencing) peer_wants_sequencing_ = *message.data_sequencing != 0;
  }
  tunnel_.index_peer_session(*this);
}

KernelSessionParams Session::kernel_params() const {
  KernelSessionParams params;
  params.tunnel_id = tunnel_.id();
  params.session_id = id_;
  params.peer_tunnel_id = tunnel_.peer_tunnel_id();
  params.peer_session_id = peer_id_;
  params.version = tunnel_.version();
  params.pseudowire = config_.pseudowire;
  params.cookie = config_.cookie;
  params.peer_cookie = peer_cookie_;
  // One sublayer setting for both directions: present if either side asked.
  params.l2_specific_sublayer =
      l2_specific_sublayer_ == L2SpecificSublayer::kDefault || peer_wants_sublayer_
          ? L2SpecificSublayer::kDefault
          : L2SpecificSublayer::kNone;
  const bool send = sends_sequence_numbers(config_.sequencing) || peer_wants_sequencing_;
  const bool receive = wants_sequence_numbers(config_.sequencing);
  params.sequencing = send && receive ? Sequencing::kBoth
                      : send          ? Sequencing::kSend
                      : receive       ? Sequencing::kRecv
                                      : Sequencing::kNone;
  // The LNS of an L2TPv2 call: the ICRQ's receiver, or the OCRQ's sender.
  const bool incoming = config_.call_type == CallType::kIncoming;
  params.lns_mode = tunnel_.version() == wire::ProtocolVersion::kV2 &&
                    tunnel_.mode() == TunnelMode::kDynamic && incoming != initiated_locally_;
  params.reorder_timeout = config_.reorder_timeout;
  params.interface_name = config_.interface_name;
  params.mtu = config_.mtu;
  return params;
}

}  // namespace l2tp::fsm
