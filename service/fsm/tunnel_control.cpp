// The control connection's own messages (RFC 2661 §6.1-6.5 and §7.2.1,
// RFC 3931 §6.1-6.5 and §7.2): establishment with tunnel authentication or
// Message Digest nonces, HELLO, and teardown by StopCCN.
#include <algorithm>

#include "fsm/randomness.h"
#include "fsm/result_codes.h"
#include "fsm/session.h"
#include "fsm/tunnel.h"

namespace l2tp::fsm {

namespace {

constexpr std::size_t kChallengeSize = 16;
constexpr std::uint16_t kProtocolVersion1 = 0x0100;  // RFC 2661 §4.4.3: version 1, revision 0
constexpr std::uint16_t kFirmwareRevision = 0x0001;  // l2tpbus 0.1
constexpr std::uint32_t kSyncAndAsync = 0x3;         // framing and bearer capability bits
constexpr const char* kVendorName = "l2tpbus";

bool is_call_message(wire::MessageType type) {
  switch (type) {
    case wire::MessageType::kIcrq:
    case wire::MessageType::kIcrp:
    case wire::MessageType::kIccn:
    case wire::MessageType::kOcrq:
    case wire::MessageType::kOcrp:
    case wire::MessageType::kOccn:
    case wire::MessageType::kCdn:
    case wire::MessageType::kWen:
    case wire::MessageType::kSli:
      return true;
    default:
      return false;
  }
}

std::uint16_t pseudowire_type(Pseudowire pseudowire) {
  return pseudowire == Pseudowire::kEth ? wire::kPseudowireEthernet : wire::kPseudowirePpp;
}

}  // namespace

void Tunnel::dispatch(std::uint16_t header_session_id, const wire::Message& message) {
  const wire::MessageType type = message.type;
  // A teardown is honoured whatever else the message holds: refusing it helps nobody.
  if (type == wire::MessageType::kStopccn) {
    handle_stopccn(message);
    return;
  }
  if (config_.mode != TunnelMode::kDynamic) {
    // A quiescent channel only acknowledges and exchanges HELLOs.
    if (type != wire::MessageType::kHello) {
      log(LogLevel::kInfo,
          std::string("ignored ") + wire::to_string(type) + " on a quiescent tunnel");
    }
    return;
  }
  if (is_call_message(type)) {
    dispatch_call(header_session_id, message);
    return;
  }
  if (message.unknown_mandatory_attribute) {
    fail({kStopGeneralError, kErrorUnknownMandatoryAvp,
          "unknown mandatory AVP " + std::to_string(*message.unknown_mandatory_attribute) + " in " +
              wire::to_string(type)});
    return;
  }
  if (!wire::has_required_avps(message, config_.version)) {
    ++host_.stats().wire_errors[static_cast<int>(wire::WireError::kMissingMandatoryAvp)];
    fail({kStopGeneralError, kErrorVendorSpecific,
          std::string("required AVP missing in ") + wire::to_string(type)});
    return;
  }
  switch (type) {
    case wire::MessageType::kSccrq:
      handle_sccrq(message);
      break;
    case wire::MessageType::kSccrp:
      handle_sccrp(message);
      break;
    case wire::MessageType::kScccn:
      handle_scccn(message);
      break;
    default:
      break;  // HELLO: the channel's acknowledgement is the whole answer
  }
}

void Tunnel::learn_peer(const wire::Message& message) {
  if (message.host_name) peer_host_name_ = *message.host_name;
  if (message.vendor_name) peer_vendor_name_ = *message.vendor_name;
  if (message.receive_window_size && channel_) {
    channel_->set_peer_window(*message.receive_window_size);
  }
  if (message.pseudowire_capabilities) peer_pseudowires_ = *message.pseudowire_capabilities;
  if (config_.version == wire::ProtocolVersion::kV2) {
    if (message.assigned_tunnel_id) peer_tunnel_id_ = *message.assigned_tunnel_id;
  } else if (message.assigned_connection_id) {
    peer_tunnel_id_ = *message.assigned_connection_id;
  }
}

// The checks both sides make of the other's authentication AVPs (RFC 2661
// §5.1.1; RFC 3931 §4.3: a nonce announces Message Digests).
std::optional<LastResult> Tunnel::check_authentication(const wire::Message& message,
                                                       std::uint8_t response_type) {
  const wire::Bytes& secret = control_->secret;
  if (config_.version == wire::ProtocolVersion::kV3) {
    if (message.nonce && secret.empty()) {
      return LastResult{kStopNotAuthorized, 0,
                        "peer uses control message authentication; no secret is configured"};
    }
    return std::nullopt;  // the digest was verified before the message got here
  }
  if (message.challenge && secret.empty()) {
    return LastResult{kStopNotAuthorized, 0,
                      "peer requires tunnel authentication; no secret is configured"};
  }
  if (!our_challenge_.empty()) {
    const wire::Bytes expected = wire::challenge_response(response_type, secret, our_challenge_);
    if (!message.challenge_response) {
      ++host_.stats().authentication_failures;
      return LastResult{kStopNotAuthorized, 0, "peer sent no challenge response"};
    }
    if (*message.challenge_response != expected) {
      ++host_.stats().authentication_failures;
      return LastResult{kStopNotAuthorized, 0, "peer's challenge response is wrong"};
    }
  }
  return std::nullopt;
}

void Tunnel::handle_sccrq(const wire::Message& message) {
  if (role_ != Role::kResponder || phase_ != TunnelPhase::kIdle) {
    fail({kStopFsmError, 0, "unexpected SCCRQ"});
    return;
  }
  learn_peer(message);
  if (peer_tunnel_id_ == 0) {
    abandon({kStopGeneralError, kErrorBadValue, "SCCRQ assigns tunnel id 0"});
    return;
  }
  // An SCCRQ carries no response to check; only the no-secret refusal applies.
  const wire::Bytes& secret = control_->secret;
  if (auto refusal = check_authentication(message, 0)) {
    fail(*refusal);
    return;
  }
  RandomSource& random = host_.env().random;
  if (config_.version == wire::ProtocolVersion::kV2) {
    if (message.challenge) peer_challenge_ = *message.challenge;
    if (!secret.empty()) our_challenge_ = random_bytes(random, kChallengeSize);
  } else if (!secret.empty()) {
    if (message.nonce) peer_nonce_ = *message.nonce;
    local_nonce_ = random_bytes(random, kChallengeSize);
  }

  wire::Message reply = control_message(wire::MessageType::kSccrp);
  if (!peer_challenge_.empty()) {
    reply.challenge_response = wire::challenge_response(2, secret, peer_challenge_);
  }
  if (!our_challenge_.empty()) reply.challenge = our_challenge_;
  if (!local_nonce_.empty()) reply.nonce = local_nonce_;
  send_message(reply);
  enter_state(TunnelPhase::kWaitCtlConn);
}

void Tunnel::handle_sccrp(const wire::Message& message) {
  if (phase_ != TunnelPhase::kWaitCtlReply) {
    fail({kStopFsmError, 0, "unexpected SCCRP"});
    return;
  }
  // The reply may come from another port than we sent to (NAT, or a peer
  // answering from its own socket): talk to where it came from from now on.
  peer_ = current_source_;
  learn_peer(message);
  if (peer_tunnel_id_ == 0) {
    abandon({kStopGeneralError, kErrorBadValue, "SCCRP assigns tunnel id 0"});
    return;
  }
  if (auto refusal = check_authentication(message, 2)) {
    fail(*refusal);
    return;
  }
  const wire::Bytes& secret = control_->secret;
  if (config_.version == wire::ProtocolVersion::kV3 && !secret.empty() && message.nonce) {
    peer_nonce_ = *message.nonce;
  }
  wire::Message connected;
  connected.type = wire::MessageType::kScccn;
  if (config_.version == wire::ProtocolVersion::kV2 && message.challenge) {
    connected.challenge_response = wire::challenge_response(3, secret, *message.challenge);
  }
  send_message(connected);
  enter_state(TunnelPhase::kEstablished);
}

void Tunnel::handle_scccn(const wire::Message& message) {
  if (phase_ != TunnelPhase::kWaitCtlConn) {
    fail({kStopFsmError, 0, "unexpected SCCCN"});
    return;
  }
  if (config_.version == wire::ProtocolVersion::kV2 && !our_challenge_.empty()) {
    if (auto refusal = check_authentication(message, 3)) {
      fail(*refusal);
      return;
    }
  }
  if (auto refusal = host_.refuse_established(*this)) {
    fail(*refusal);
    return;
  }
  enter_state(TunnelPhase::kEstablished);
}

void Tunnel::handle_stopccn(const wire::Message& message) {
  if (peer_tunnel_id_ == 0) {
    // A refusal of our SCCRQ: its Assigned Tunnel ID is where the
    // acknowledgement goes.
    peer_ = current_source_;
    if (config_.version == wire::ProtocolVersion::kV2) {
      peer_tunnel_id_ = message.assigned_tunnel_id.value_or(0);
    } else {
      peer_tunnel_id_ = message.assigned_connection_id.value_or(0);
    }
  }
  if (channel_) {
    // No reply follows a StopCCN, so nothing would carry the acknowledgement.
    channel_->acknowledge_now();
    channel_->stop_hello();
  }
  if (phase_ == TunnelPhase::kClosed) return;
  if (phase_ != TunnelPhase::kClosing) {
    if (message.result_code) {
      last_result_ = {message.result_code->result, message.result_code->error.value_or(0),
                      message.result_code->message};
    } else {
      last_result_ = {kStopGeneralError, 0, "StopCCN without a result code"};
    }
  }
  holding_ = true;
  enter_state(TunnelPhase::kClosed);
}

wire::Message Tunnel::control_message(wire::MessageType type) {
  wire::Message message;
  message.type = type;
  message.host_name = control_->host_name;
  message.vendor_name = kVendorName;
  message.firmware_revision = kFirmwareRevision;
  message.receive_window_size = control_->channel.receive_window;
  if (config_.version == wire::ProtocolVersion::kV2) {
    message.protocol_version = kProtocolVersion1;
    message.framing_capabilities = kSyncAndAsync;
    message.bearer_capabilities = kSyncAndAsync;
    message.assigned_tunnel_id = static_cast<std::uint16_t>(id_);
  } else {
    message.router_id = host_.router_id();
    message.assigned_connection_id = id_;
    std::vector<std::uint16_t> capabilities;
    for (Pseudowire pseudowire : accept_policy_->pseudowires) {
      const std::uint16_t value = pseudowire_type(pseudowire);
      if (std::find(capabilities.begin(), capabilities.end(), value) == capabilities.end()) {
        capabilities.push_back(value);
      }
    }
    message.pseudowire_capabilities = std::move(capabilities);
  }
  return message;
}

void Tunnel::send_sccrq() {
  wire::Message request = control_message(wire::MessageType::kSccrq);
  request.tie_breaker = tie_breaker_;
  if (!our_challenge_.empty()) request.challenge = our_challenge_;
  if (!local_nonce_.empty()) request.nonce = local_nonce_;
  send_message(request);
}

wire::Message Tunnel::stopccn_message(const LastResult& result) const {
  wire::Message stop;
  stop.type = wire::MessageType::kStopccn;
  wire::ResultCode code;
  code.result = result.result;
  if (result.error != 0 || !result.message.empty()) code.error = result.error;
  code.message = result.message;
  stop.result_code = code;
  if (config_.version == wire::ProtocolVersion::kV2) {
    stop.assigned_tunnel_id = static_cast<std::uint16_t>(id_);
  } else {
    stop.assigned_connection_id = id_;
  }
  return stop;
}

void Tunnel::send_stopccn(const LastResult& result) {
  if (channel_) channel_->stop_hello();
  stopccn_index_ = send_message(stopccn_message(result));
}

void Tunnel::send_stopccn_once(const LastResult& result, std::uint16_t ns, std::uint16_t nr) {
  const wire::Message stop = stopccn_message(result);
  wire::Bytes random_vector;
  const wire::EncodeOptions options = encode_options(stop.type, random_vector);
  log(LogLevel::kDebug, "send StopCCN (once)");
  send_datagram(ns, nr, 0, wire::encode_message(stop, options));
}

void Tunnel::refuse(const wire::ControlPacket& packet, const wire::Message& sccrq,
                    const LastResult& reason) {
  derive_keys();
  if (sccrq.nonce) peer_nonce_ = *sccrq.nonce;
  last_result_ = reason;
  send_stopccn_once(reason, 0, static_cast<std::uint16_t>(packet.header.ns + 1));
}

void Tunnel::evict(const LastResult& reason) {
  if (phase_ == TunnelPhase::kClosing || phase_ == TunnelPhase::kClosed) return;
  if (channel_ && peer_tunnel_id_ != 0) {
    // Out of the window on purpose: our SCCRP may still be unacknowledged,
    // and nothing of this tunnel is kept to send the StopCCN later.
    send_stopccn_once(reason, channel_->next_send_sequence(), channel_->next_receive_sequence());
  }
  abandon(reason);
}

}  // namespace l2tp::fsm
