// Datagrams read and written by hand, for tests and the engine fuzzer.
#include "datagram_craft.h"

#include <sstream>
#include <string>

#include "wire/avp.h"
#include "wire/header.h"
#include "wire/security.h"

namespace l2tp::testing {

using wire::Bytes;
using wire::ByteView;
using wire::Encapsulation;
using wire::MessageType;
using wire::ProtocolVersion;

// ---- Decoding --------------------------------------------------------------------

DecodedDatagram decode_datagram(ByteView bytes, Encapsulation encapsulation, ByteView secret) {
  DecodedDatagram out;
  auto packet = wire::parse_packet(bytes, encapsulation);
  if (!packet) {
    out.packet_error = packet.error();
    return out;
  }
  if (std::holds_alternative<wire::DataPacket>(*packet)) {
    out.data_packet = true;
    return out;
  }
  const auto& control = std::get<wire::ControlPacket>(*packet);
  out.header = control.header;
  if (control.avps.empty()) {
    out.zlb = true;
    return out;
  }
  if (auto raw = wire::split_avps(control.avps)) {
    for (const wire::RawAvp& a : *raw) {
      out.hidden_avps = out.hidden_avps || a.hidden;
      if (a.vendor_id == 0) out.attribute_types.push_back(a.attribute_type);
    }
  }
  const Bytes key = secret.empty() ? Bytes{} : wire::hiding_key(control.header.version, secret);
  auto message = wire::decode_message(control.avps, {control.header.version, key});
  if (message)
    out.message = std::move(*message);
  else
    out.message_error = message.error();
  return out;
}

namespace {

std::string hex(ByteView bytes) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string printable(const std::string& s, std::size_t limit = 32) {
  std::string out;
  for (char c : s.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > limit) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

}  // namespace

std::string describe(const DecodedDatagram& d) {
  std::ostringstream s;
  if (d.packet_error) return "undecodable (" + std::string(wire::to_string(*d.packet_error)) + ")";
  if (d.data_packet) return "data packet";
  const bool v3 = d.header.version == ProtocolVersion::kV3;
  if (d.zlb)
    s << "ZLB";
  else if (d.message)
    s << wire::to_string(d.message->type);
  else
    s << "message with bad AVPs (" << wire::to_string(*d.message_error) << ")";
  s << (v3 ? " ccid=" : " tunnel=") << d.header.tunnel_id;
  if (!v3) s << " session=" << d.header.session_id;
  s << " Ns=" << d.header.ns << " Nr=" << d.header.nr;
  if (!d.message) return s.str();
  const wire::Message& m = *d.message;
  if (m.host_name) s << " host=" << printable(*m.host_name);
  if (m.assigned_tunnel_id) s << " assigned-tunnel=" << *m.assigned_tunnel_id;
  if (m.assigned_connection_id) s << " assigned-ccid=" << *m.assigned_connection_id;
  if (m.assigned_session_id) s << " assigned-session=" << *m.assigned_session_id;
  if (m.local_session_id) s << " local-session=" << *m.local_session_id;
  if (m.remote_session_id) s << " remote-session=" << *m.remote_session_id;
  if (m.result_code) {
    s << " result=" << m.result_code->result;
    if (m.result_code->error) s << "/" << *m.result_code->error;
    if (!m.result_code->message.empty()) s << " \"" << printable(m.result_code->message) << "\"";
  }
  if (m.pseudowire_type)
    s << " pw=" << (*m.pseudowire_type == wire::kPseudowireEthernet ? "eth" : "ppp");
  if (m.assigned_cookie) s << " cookie=" << hex(*m.assigned_cookie);
  if (m.challenge) s << " challenge";
  if (m.challenge_response) s << " challenge-response";
  if (!m.digests.empty()) s << " digest";
  if (m.calling_number) s << " calling=" << printable(*m.calling_number);
  if (m.tie_breaker) s << " tie-breaker";
  if (d.hidden_avps) s << " (hidden AVPs)";
  return s.str();
}

// ---- Building ----------------------------------------------------------------------

Bytes raw_avp(std::uint16_t flags_and_length, std::uint16_t vendor_id, std::uint16_t attribute_type,
              ByteView value) {
  wire::ByteWriter out;
  out.u16(flags_and_length);
  out.u16(vendor_id);
  out.u16(attribute_type);
  out.bytes(value);
  return out.take();
}

Bytes avp(std::uint16_t attribute_type, ByteView value, bool mandatory, std::uint16_t vendor_id,
          bool hidden) {
  const auto length = static_cast<std::uint16_t>(wire::kAvpHeaderSize + value.size());
  std::uint16_t flags = length;
  if (mandatory) flags |= wire::kAvpFlagMandatory;
  if (hidden) flags |= wire::kAvpFlagHidden;
  return raw_avp(flags, vendor_id, attribute_type, value);
}

Bytes u16_value(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

Bytes u32_value(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

Bytes message_type_avp(MessageType type) {
  return avp(0, u16_value(static_cast<std::uint16_t>(type)), true);
}

Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes frame(ProtocolVersion version, Encapsulation encapsulation, std::uint32_t tunnel_id,
            std::uint16_t session_id, SequenceNumbers sequence, ByteView avps) {
  wire::ControlHeader header;
  header.version = version;
  header.tunnel_id = tunnel_id;
  header.session_id = session_id;
  header.ns = sequence.ns;
  header.nr = sequence.nr;
  return wire::frame_control(header, avps, encapsulation);
}

Bytes replace_avps(ByteView datagram, Encapsulation encapsulation, ByteView avps) {
  const std::size_t start = wire::message_offset(encapsulation);
  const std::size_t header_end = start + wire::kControlHeaderSize;
  if (datagram.size() < header_end) throw HarnessError("replace_avps: datagram too short");
  Bytes out(datagram.begin(), datagram.begin() + static_cast<std::ptrdiff_t>(header_end));
  out.insert(out.end(), avps.begin(), avps.end());
  // Length (the second 16 bits of both headers) covers the message from the T bit.
  const auto length = static_cast<std::uint16_t>(out.size() - start);
  out[start + 2] = static_cast<std::uint8_t>(length >> 8);
  out[start + 3] = static_cast<std::uint8_t>(length);
  return out;
}

Bytes append_avp(ByteView datagram, Encapsulation encapsulation, ByteView extra) {
  const std::size_t header_end = wire::message_offset(encapsulation) + wire::kControlHeaderSize;
  if (datagram.size() < header_end) throw HarnessError("append_avp: datagram too short");
  Bytes avps(datagram.begin() + static_cast<std::ptrdiff_t>(header_end), datagram.end());
  avps.insert(avps.end(), extra.begin(), extra.end());
  return replace_avps(datagram, encapsulation, avps);
}

Bytes sccrq(ProtocolVersion version, Encapsulation encapsulation, std::uint32_t assigned_id,
            const std::string& host_name) {
  wire::Message m;
  m.type = MessageType::kSccrq;
  m.host_name = host_name;
  if (version == ProtocolVersion::kV2) {
    m.protocol_version = 0x0100;
    m.framing_capabilities = 3;
    m.assigned_tunnel_id = static_cast<std::uint16_t>(assigned_id);
  } else {
    m.router_id = assigned_id;
    m.assigned_connection_id = assigned_id;
    m.pseudowire_capabilities =
        std::vector<std::uint16_t>{wire::kPseudowirePpp, wire::kPseudowireEthernet};
  }
  const Bytes avps = wire::encode_message(m, {.version = version});
  return frame(version, encapsulation, 0, 0, {0, 0}, avps);
}

}  // namespace l2tp::testing
