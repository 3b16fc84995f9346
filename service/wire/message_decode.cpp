// Decoding of control message AVP lists. Everything here reads attacker
// supplied bytes: every length is compared with what is really present before
// a value is read, and nothing is copied into a fixed-size buffer.
#include <utility>

#include "wire/attribute_rules.h"
#include "wire/message.h"
#include "wire/security.h"

namespace l2tp::wire {
namespace {

using A = AttributeType;

enum class Fit { kOk, kBadLength, kBadValue };

template <class T>
void keep_first(std::optional<T>& field, T value) {
  if (!field) field = std::move(value);
}

std::uint16_t be16(ByteView v, std::size_t at = 0) {
  return static_cast<std::uint16_t>((v[at] << 8) | v[at + 1]);
}
std::uint32_t be32(ByteView v, std::size_t at = 0) {
  return (std::uint32_t{be16(v, at)} << 16) | be16(v, at + 2);
}
std::uint64_t be64(ByteView v, std::size_t at = 0) {
  return (std::uint64_t{be32(v, at)} << 32) | be32(v, at + 4);
}

Fit u16_into(std::optional<std::uint16_t>& field, ByteView v) {
  if (v.size() != 2) return Fit::kBadLength;
  keep_first(field, be16(v));
  return Fit::kOk;
}
Fit u32_into(std::optional<std::uint32_t>& field, ByteView v) {
  if (v.size() != 4) return Fit::kBadLength;
  keep_first(field, be32(v));
  return Fit::kOk;
}
Fit u64_into(std::optional<std::uint64_t>& field, ByteView v) {
  if (v.size() != 8) return Fit::kBadLength;
  keep_first(field, be64(v));
  return Fit::kOk;
}
// v2 connect speeds are 32-bit on the wire, 64-bit in Message (the v3 width).
Fit u32_speed_into(std::optional<std::uint64_t>& field, ByteView v) {
  if (v.size() != 4) return Fit::kBadLength;
  keep_first(field, std::uint64_t{be32(v)});
  return Fit::kOk;
}
Fit string_into(std::optional<std::string>& field, ByteView v, std::size_t min_size = 0) {
  if (v.size() < min_size) return Fit::kBadLength;
  keep_first(field, to_string(v));
  return Fit::kOk;
}
Fit bytes_into(std::optional<Bytes>& field, ByteView v, std::size_t min_size = 0) {
  if (v.size() < min_size) return Fit::kBadLength;
  keep_first(field, Bytes(v.begin(), v.end()));
  return Fit::kOk;
}

// RFC 2661 §4.4.2: 2 bytes = result only, 4 = with error code, more = with a
// message. A Result Code without the error code is valid and common.
Fit result_code_into(std::optional<ResultCode>& field, ByteView v) {
  if (v.size() < 2 || v.size() == 3) return Fit::kBadLength;
  ResultCode code;
  code.result = be16(v);
  if (v.size() >= 4) {
    code.error = be16(v, 2);
    code.message = to_string(v.subspan(4));
  }
  keep_first(field, std::move(code));
  return Fit::kOk;
}

Fit q931_into(std::optional<Q931Cause>& field, ByteView v) {
  if (v.size() < 3) return Fit::kBadLength;
  Q931Cause cause;
  cause.cause = be16(v);
  cause.message = v[2];
  cause.advisory = to_string(v.subspan(3));
  keep_first(field, std::move(cause));
  return Fit::kOk;
}

Fit call_errors_into(std::optional<CallErrors>& field, ByteView v) {
  if (v.size() != 26) return Fit::kBadLength;
  CallErrors errors;  // after 2 reserved bytes
  errors.crc_errors = be32(v, 2);
  errors.framing_errors = be32(v, 6);
  errors.hardware_overruns = be32(v, 10);
  errors.buffer_overruns = be32(v, 14);
  errors.timeout_errors = be32(v, 18);
  errors.alignment_errors = be32(v, 22);
  keep_first(field, errors);
  return Fit::kOk;
}

Fit accm_into(std::optional<Accm>& field, ByteView v) {
  if (v.size() != 10) return Fit::kBadLength;
  keep_first(field, Accm{be32(v, 2), be32(v, 6)});
  return Fit::kOk;
}

Fit digest_into(std::vector<MessageDigest>& digests, ByteView v) {
  if (v.empty()) return Fit::kBadLength;
  if (v[0] > static_cast<std::uint8_t>(DigestType::kHmacSha1)) return Fit::kBadValue;
  const auto type = static_cast<DigestType>(v[0]);
  const std::size_t expected = type == DigestType::kHmacSha1 ? 20 : 16;
  if (v.size() != 1 + expected) return Fit::kBadLength;
  // A third digest has no meaning (RFC 3931 allows two during a key change).
  if (digests.size() < 2) digests.push_back({type, Bytes(v.begin() + 1, v.end())});
  return Fit::kOk;
}

Fit pseudowires_into(std::optional<std::vector<std::uint16_t>>& field, ByteView v) {
  if (v.empty() || v.size() % 2 != 0) return Fit::kBadLength;
  std::vector<std::uint16_t> types;
  types.reserve(v.size() / 2);
  for (std::size_t at = 0; at < v.size(); at += 2) types.push_back(be16(v, at));
  keep_first(field, std::move(types));
  return Fit::kOk;
}

Fit cookie_into(std::optional<Bytes>& field, ByteView v) {
  if (v.size() != 0 && v.size() != 4 && v.size() != 8) return Fit::kBadLength;
  return bytes_into(field, v);
}

Fit circuit_status_into(std::optional<CircuitStatus>& field, ByteView v) {
  if (v.size() != 2) return Fit::kBadLength;
  // RFC 3931 §5.4.5: the last two bits are N and A; the rest is reserved.
  const std::uint16_t bits = be16(v);
  keep_first(field, CircuitStatus{(bits & 0x0001) != 0, (bits & 0x0002) != 0});
  return Fit::kOk;
}

// Stores one recognised IETF attribute (already unhidden) into `m`. Only
// attributes that is_defined() accepts for the version reach this.
Fit store(Message& m, A type, ByteView v) {
  switch (type) {
    case A::kMessageType:   // a repeated one: the first decided the message
    case A::kRandomVector:  // consumed by the caller
    case A::kExtendedVendorId:
      return Fit::kOk;
    case A::kResultCode:
      return result_code_into(m.result_code, v);
    case A::kProtocolVersion:
      return u16_into(m.protocol_version, v);
    case A::kFramingCapabilities:
      return u32_into(m.framing_capabilities, v);
    case A::kBearerCapabilities:
      return u32_into(m.bearer_capabilities, v);
    case A::kTieBreaker:
      return u64_into(m.tie_breaker, v);
    case A::kFirmwareRevision:
      return u16_into(m.firmware_revision, v);
    case A::kHostName:
      return string_into(m.host_name, v, 1);
    case A::kVendorName:
      return string_into(m.vendor_name, v);
    case A::kAssignedTunnelId:
      return u16_into(m.assigned_tunnel_id, v);
    case A::kReceiveWindowSize:
      return u16_into(m.receive_window_size, v);
    case A::kChallenge:
      return bytes_into(m.challenge, v, 1);
    case A::kQ931CauseCode:
      return q931_into(m.q931_cause, v);
    case A::kChallengeResponse:
      if (v.size() != 16) return Fit::kBadLength;
      return bytes_into(m.challenge_response, v);
    case A::kAssignedSessionId:
      return u16_into(m.assigned_session_id, v);
    case A::kCallSerialNumber:
      return u32_into(m.call_serial_number, v);
    case A::kMinimumBps:
      return u32_into(m.minimum_bps, v);
    case A::kMaximumBps:
      return u32_into(m.maximum_bps, v);
    case A::kBearerType:
      return u32_into(m.bearer_type, v);
    case A::kFramingType:
      return u32_into(m.framing_type, v);
    case A::kCalledNumber:
      return string_into(m.called_number, v);
    case A::kCallingNumber:
      return string_into(m.calling_number, v);
    case A::kSubAddress:
      return string_into(m.sub_address, v);
    case A::kTxConnectSpeed:
      return u32_speed_into(m.tx_connect_speed, v);
    case A::kPhysicalChannelId:
      return u32_into(m.physical_channel_id, v);
    case A::kInitialReceivedLcpConfreq:
      return bytes_into(m.initial_received_lcp_confreq, v);
    case A::kLastSentLcpConfreq:
      return bytes_into(m.last_sent_lcp_confreq, v);
    case A::kLastReceivedLcpConfreq:
      return bytes_into(m.last_received_lcp_confreq, v);
    case A::kProxyAuthenType:
      return u16_into(m.proxy_authen_type, v);
    case A::kProxyAuthenName:
      return string_into(m.proxy_authen_name, v);
    case A::kProxyAuthenChallenge:
      return bytes_into(m.proxy_authen_challenge, v, 1);
    case A::kProxyAuthenId:
      return u16_into(m.proxy_authen_id, v);
    case A::kProxyAuthenResponse:
      return bytes_into(m.proxy_authen_response, v);
    case A::kCallErrors:
      return call_errors_into(m.call_errors, v);
    case A::kAccm:
      return accm_into(m.accm, v);
    case A::kPrivateGroupId:
      return bytes_into(m.private_group_id, v);
    case A::kRxConnectSpeed:
      return u32_speed_into(m.rx_connect_speed, v);
    case A::kSequencingRequired:
      if (!v.empty()) return Fit::kBadLength;
      m.sequencing_required = true;
      return Fit::kOk;
    case A::kMessageDigest:
      return digest_into(m.digests, v);
    case A::kRouterId:
      return u32_into(m.router_id, v);
    case A::kAssignedConnectionId:
      return u32_into(m.assigned_connection_id, v);
    case A::kPseudowireCapabilities:
      return pseudowires_into(m.pseudowire_capabilities, v);
    case A::kLocalSessionId:
      return u32_into(m.local_session_id, v);
    case A::kRemoteSessionId:
      return u32_into(m.remote_session_id, v);
    case A::kAssignedCookie:
      return cookie_into(m.assigned_cookie, v);
    case A::kRemoteEndId:
      return bytes_into(m.remote_end_id, v);
    case A::kPseudowireType:
      return u16_into(m.pseudowire_type, v);
    case A::kL2SpecificSublayer:
      return u16_into(m.l2_specific_sublayer, v);
    case A::kDataSequencing:
      return u16_into(m.data_sequencing, v);
    case A::kCircuitStatus:
      return circuit_status_into(m.circuit_status, v);
    case A::kPreferredLanguage:
      return bytes_into(m.preferred_language, v);
    case A::kControlMessageAuthNonce:
      return bytes_into(m.nonce, v);
    case A::kTxConnectSpeedBps:
      return u64_into(m.tx_connect_speed, v);
    case A::kRxConnectSpeedBps:
      return u64_into(m.rx_connect_speed, v);
  }
  return Fit::kOk;
}

// RFC 2661 §4.1 / RFC 3931 §5.2: an unrecognised AVP is ignored unless its M
// bit is set; the first such one is reported so the engine can answer 2/8.
void note_unrecognised(Message& m, bool mandatory, std::uint16_t attribute_type,
                       std::optional<std::uint32_t> vendor) {
  if (!mandatory || m.unknown_mandatory_attribute) return;
  m.unknown_mandatory_attribute = attribute_type;
  m.unknown_mandatory_vendor = vendor;
}

// RFC 3931 §5.1 Extended Vendor ID: a 32-bit vendor id and the vendor's
// attribute type inside the value. Never an IETF attribute.
void note_extended_vendor(Message& m, const RawAvp& avp) {
  if (avp.hidden || avp.value.size() < 6) {
    note_unrecognised(m, avp.mandatory, avp.attribute_type, std::nullopt);
    return;
  }
  note_unrecognised(m, avp.mandatory, be16(avp.value, 4), be32(avp.value));
}

std::expected<MessageType, WireError> read_message_type(const std::vector<RawAvp>& avps,
                                                        ProtocolVersion version) {
  if (avps.empty()) return std::unexpected(WireError::kMissingMessageType);
  const RawAvp& first = avps.front();
  if (first.vendor_id != 0 || first.attribute_type != 0 || first.hidden) {
    return std::unexpected(WireError::kMissingMessageType);
  }
  if (first.value.size() != 2) return std::unexpected(WireError::kAvpBadLength);
  const std::uint16_t value = be16(first.value);
  if (!detail::is_message_type_of(value, version)) {
    return std::unexpected(WireError::kUnknownMessageType);
  }
  return static_cast<MessageType>(value);
}

}  // namespace

std::expected<Message, WireError> decode_message(ByteView avps, const DecodeOptions& options) {
  const auto raw = split_avps(avps);
  if (!raw) return std::unexpected(raw.error());
  const auto type = read_message_type(*raw, options.version);
  if (!type) return std::unexpected(type.error());

  Message m;
  m.type = *type;
  // RFC 2661 §4.3: a hidden AVP uses the last Random Vector before it.
  std::optional<ByteView> random_vector;
  for (std::size_t i = 1; i < raw->size(); ++i) {
    const RawAvp& avp = (*raw)[i];
    const bool reserved_set = options.version == ProtocolVersion::kV2 && avp.reserved_flags != 0;
    if (avp.vendor_id != 0 || reserved_set) {
      note_unrecognised(m, avp.mandatory, avp.attribute_type,
                        avp.vendor_id ? std::optional<std::uint32_t>(avp.vendor_id) : std::nullopt);
      continue;
    }
    if (options.version == ProtocolVersion::kV3 &&
        avp.attribute_type == static_cast<std::uint16_t>(A::kExtendedVendorId)) {
      note_extended_vendor(m, avp);
      continue;
    }
    if (!detail::is_defined(avp.attribute_type, options.version)) {
      note_unrecognised(m, avp.mandatory, avp.attribute_type, std::nullopt);
      continue;
    }
    const auto attribute = static_cast<A>(avp.attribute_type);
    if (avp.hidden && detail::must_not_be_hidden(avp.attribute_type, options.version)) {
      return std::unexpected(WireError::kHiddenNotAllowed);
    }
    if (attribute == A::kRandomVector) {
      random_vector = avp.value;
      continue;
    }

    ByteView value = avp.value;
    Bytes unhidden;
    if (avp.hidden) {
      if (!random_vector) return std::unexpected(WireError::kHiddenWithoutRandomVector);
      if (options.hiding_key.empty()) return std::unexpected(WireError::kHiddenNoSecret);
      auto plain = unhide_value(avp.attribute_type, avp.value, options.hiding_key, *random_vector);
      if (!plain) return std::unexpected(plain.error());
      unhidden = std::move(*plain);
      value = unhidden;
    }

    const Fit fit = store(m, attribute, value);
    // RFC 3931 §7.1: a malformed AVP is treated like an unrecognised one, so
    // one without the M bit is dropped (e.g. a 4-byte v3 Rx Connect Speed).
    if (fit != Fit::kOk && avp.mandatory) {
      return std::unexpected(fit == Fit::kBadLength ? WireError::kAvpBadLength
                                                    : WireError::kAvpBadValue);
    }
  }
  return m;
}

bool has_required_avps(const Message& m, ProtocolVersion version) {
  const bool v2 = version == ProtocolVersion::kV2;
  // v3 session messages carry both ids (RFC 3931 §5.4.4; Remote Session ID
  // is zero until known).
  const bool v3_session_ids = m.local_session_id && m.remote_session_id;
  switch (m.type) {
    case MessageType::kSccrq:
    case MessageType::kSccrp:
      if (v2) {
        return m.protocol_version && m.host_name && m.framing_capabilities && m.assigned_tunnel_id;
      }
      return m.host_name && m.router_id && m.assigned_connection_id && m.pseudowire_capabilities;
    case MessageType::kScccn:
    case MessageType::kHello:
    case MessageType::kAck:
      return true;
    case MessageType::kStopccn:
      // RFC 2661 wants Assigned Tunnel ID too, but a StopCCN is honoured
      // without it: refusing a teardown helps nobody.
      return m.result_code.has_value();
    case MessageType::kIcrq:
      if (v2) return m.assigned_session_id && m.call_serial_number;
      // Remote End ID and Circuit Status are informational for l2tpbus and
      // left out by some peers; the ids and the pseudowire are not.
      return v3_session_ids && m.call_serial_number && m.pseudowire_type;
    case MessageType::kOcrq:
      if (v2) {
        return m.assigned_session_id && m.call_serial_number && m.minimum_bps && m.maximum_bps &&
               m.bearer_type && m.framing_type && m.called_number;
      }
      return v3_session_ids && m.call_serial_number && m.pseudowire_type;
    case MessageType::kIcrp:
    case MessageType::kOcrp:
      return v2 ? m.assigned_session_id.has_value() : v3_session_ids;
    case MessageType::kIccn:
    case MessageType::kOccn:
      return v2 ? m.tx_connect_speed && m.framing_type : v3_session_ids;
    case MessageType::kCdn:
      return m.result_code && (v2 ? m.assigned_session_id.has_value() : v3_session_ids);
    case MessageType::kWen:
      return m.call_errors && (v2 || v3_session_ids);
    case MessageType::kSli:
      return v2 ? m.accm.has_value() : v3_session_ids;
  }
  return false;
}

}  // namespace l2tp::wire
