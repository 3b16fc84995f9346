#include "lac_messages.h"

namespace l2tp::bench {

namespace {

wire::Message of_type(wire::MessageType type) {
  wire::Message message;
  message.type = type;
  return message;
}

wire::ControlHeader header(const Addressing& to) {
  return wire::ControlHeader{
      .version = to.version,
      .tunnel_id = to.peer_tunnel_id,
      .session_id = to.version == ProtocolVersion::kV2 ? to.peer_session_id : std::uint16_t{0},
      .ns = to.ns,
      .nr = to.nr,
  };
}

}  // namespace

wire::Message sccrq(ProtocolVersion version, std::uint32_t our_tunnel_id) {
  auto message = of_type(wire::MessageType::kSccrq);
  message.host_name = "l2tpbus-bench";
  message.vendor_name = "l2tpbus bench";
  message.firmware_revision = 1;
  message.receive_window_size = kReceiveWindow;
  if (version == ProtocolVersion::kV2) {
    message.protocol_version = 0x0100;
    message.framing_capabilities = kCapabilities;
    message.bearer_capabilities = kCapabilities;
    message.assigned_tunnel_id = static_cast<std::uint16_t>(our_tunnel_id);
  } else {
    message.router_id = our_tunnel_id;
    message.assigned_connection_id = our_tunnel_id;
    message.pseudowire_capabilities =
        std::vector<std::uint16_t>{wire::kPseudowirePpp, wire::kPseudowireEthernet};
  }
  return message;
}

wire::Message scccn() {
  return of_type(wire::MessageType::kScccn);
}

wire::Message stopccn(ProtocolVersion version, std::uint32_t our_tunnel_id) {
  auto message = of_type(wire::MessageType::kStopccn);
  if (version == ProtocolVersion::kV2) {
    message.assigned_tunnel_id = static_cast<std::uint16_t>(our_tunnel_id);
  } else {
    message.assigned_connection_id = our_tunnel_id;
  }
  message.result_code = wire::ResultCode{.result = 1, .error = std::nullopt, .message = ""};
  return message;
}

wire::Message icrq(std::uint16_t our_session_id, std::uint32_t call_serial) {
  auto message = of_type(wire::MessageType::kIcrq);
  message.assigned_session_id = our_session_id;
  message.call_serial_number = call_serial;
  message.bearer_type = 0x2;  // analog
  return message;
}

wire::Message iccn() {
  auto message = of_type(wire::MessageType::kIccn);
  message.tx_connect_speed = 100'000'000;
  message.framing_type = 0x1;  // synchronous
  return message;
}

wire::Message icrq_v3(std::uint32_t our_session_id, std::uint32_t call_serial,
                      std::uint16_t pseudowire) {
  auto message = of_type(wire::MessageType::kIcrq);
  message.local_session_id = our_session_id;
  message.remote_session_id = 0;
  message.call_serial_number = call_serial;
  message.pseudowire_type = pseudowire;
  return message;
}

wire::Message iccn_v3(std::uint32_t our_session_id, std::uint32_t peer_session_id) {
  auto message = of_type(wire::MessageType::kIccn);
  message.local_session_id = our_session_id;
  message.remote_session_id = peer_session_id;
  message.tx_connect_speed = 100'000'000;
  return message;
}

wire::Bytes datagram(const Addressing& to, const wire::Message& message) {
  const auto avps = wire::encode_message(message, wire::EncodeOptions{.version = to.version});
  return wire::frame_control(header(to), avps, wire::Encapsulation::kUdp);
}

wire::Bytes zlb(const Addressing& to) {
  return wire::frame_control(header(to), {}, wire::Encapsulation::kUdp);
}

}  // namespace l2tp::bench
