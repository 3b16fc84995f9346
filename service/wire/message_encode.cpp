// Encoding of control messages. The output is deterministic for a given
// Message and EncodeOptions (no random padding), which keeps it testable
// byte for byte; the randomness of hiding comes in through random_vector.
#include <algorithm>
#include <limits>

#include "wire/attribute_rules.h"
#include "wire/message.h"
#include "wire/security.h"

namespace l2tp::wire {
namespace {

using A = AttributeType;

constexpr std::size_t kMaxValue = kMaxAvpLength - kAvpHeaderSize;
constexpr std::size_t kHiddenLengthPrefix = 2;

class Encoder {
 public:
  explicit Encoder(const EncodeOptions& options) : options_(options) {}

  // Writes one AVP if the attribute exists in the version being spoken;
  // fields of the other version are left out, as a receiver would ignore
  // them. Sensitive values are hidden when the options ask for it.
  void put(A type, ByteView value) {
    if (!detail::is_defined(static_cast<std::uint16_t>(type), options_.version)) return;
    const bool mandatory = detail::mandatory_bit(type, options_.version);
    if (!hides(type)) {
      write_avp(out_, type, value.first(std::min(value.size(), kMaxValue)), mandatory);
      return;
    }
    put_random_vector_once();
    const ByteView fitting = value.first(std::min(value.size(), kMaxValue - kHiddenLengthPrefix));
    const Bytes hidden = hide_value(static_cast<std::uint16_t>(type), fitting, options_.hiding_key,
                                    options_.random_vector);
    write_avp(out_, type, hidden, mandatory, true);
  }

  void put_u16(A type, std::optional<std::uint16_t> value) {
    if (!value) return;
    ByteWriter v;
    v.u16(*value);
    put(type, v.data());
  }
  void put_u32(A type, std::optional<std::uint32_t> value) {
    if (!value) return;
    ByteWriter v;
    v.u32(*value);
    put(type, v.data());
  }
  void put_u64(A type, std::optional<std::uint64_t> value) {
    if (!value) return;
    ByteWriter v;
    v.u64(*value);
    put(type, v.data());
  }
  void put_string(A type, const std::optional<std::string>& value) {
    if (value) put(type, as_bytes(*value));
  }
  void put_bytes(A type, const std::optional<Bytes>& value) {
    if (value) put(type, *value);
  }

  Bytes take() { return out_.take(); }
  ByteWriter& raw() { return out_; }

 private:
  bool hides(A type) const {
    return options_.hide_sensitive && !options_.hiding_key.empty() && detail::is_sensitive(type);
  }
  void put_random_vector_once() {
    if (random_vector_written_) return;
    random_vector_written_ = true;
    write_avp(out_, A::kRandomVector, options_.random_vector,
              detail::mandatory_bit(A::kRandomVector, options_.version));
  }

  const EncodeOptions& options_;
  ByteWriter out_;
  bool random_vector_written_ = false;
};

std::optional<std::uint32_t> as_v2_speed(std::optional<std::uint64_t> speed) {
  if (!speed) return std::nullopt;
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(*speed, std::numeric_limits<std::uint32_t>::max()));
}

void put_result_code(Encoder& e, const std::optional<ResultCode>& code) {
  if (!code) return;
  ByteWriter v;
  v.u16(code->result);
  // The message can only follow an error code, so a message forces one.
  if (code->error || !code->message.empty()) {
    v.u16(code->error.value_or(0));
    v.bytes(as_bytes(code->message));
  }
  e.put(A::kResultCode, v.data());
}

void put_q931(Encoder& e, const std::optional<Q931Cause>& cause) {
  if (!cause) return;
  ByteWriter v;
  v.u16(cause->cause);
  v.u8(cause->message);
  v.bytes(as_bytes(cause->advisory));
  e.put(A::kQ931CauseCode, v.data());
}

void put_call_errors(Encoder& e, const std::optional<CallErrors>& errors) {
  if (!errors) return;
  ByteWriter v;
  v.u16(0);  // reserved
  for (std::uint32_t counter :
       {errors->crc_errors, errors->framing_errors, errors->hardware_overruns,
        errors->buffer_overruns, errors->timeout_errors, errors->alignment_errors}) {
    v.u32(counter);
  }
  e.put(A::kCallErrors, v.data());
}

void put_accm(Encoder& e, const std::optional<Accm>& accm) {
  if (!accm) return;
  ByteWriter v;
  v.u16(0);  // reserved
  v.u32(accm->send);
  v.u32(accm->receive);
  e.put(A::kAccm, v.data());
}

void put_pseudowires(Encoder& e, const std::optional<std::vector<std::uint16_t>>& types) {
  if (!types) return;
  // Whole entries only: a clamped odd length would make the AVP malformed.
  const std::size_t count = std::min(types->size(), kMaxValue / 2);
  ByteWriter v;
  for (std::size_t i = 0; i < count; ++i) v.u16((*types)[i]);
  e.put(A::kPseudowireCapabilities, v.data());
}

void put_circuit_status(Encoder& e, const std::optional<CircuitStatus>& status) {
  if (!status) return;
  e.put_u16(A::kCircuitStatus, static_cast<std::uint16_t>((status->active ? 0x0001 : 0) |
                                                          (status->is_new ? 0x0002 : 0)));
}

// RFC 3931 §5.4.1: a zeroed digest right after Message Type, filled in by
// sign_message() once the datagram is framed.
void put_digest_placeholder(ByteWriter& out, DigestType type) {
  ByteWriter v;
  v.u8(static_cast<std::uint8_t>(type));
  const std::size_t size = type == DigestType::kHmacSha1 ? 20 : 16;
  for (std::size_t i = 0; i < size; ++i) v.u8(0);
  write_avp(out, A::kMessageDigest, v.data(), true);
}

}  // namespace

Bytes encode_message(const Message& m, const EncodeOptions& options) {
  Encoder e(options);
  e.put_u16(A::kMessageType, static_cast<std::uint16_t>(m.type));
  if (options.version == ProtocolVersion::kV3 && options.digest) {
    put_digest_placeholder(e.raw(), *options.digest);
  }

  // The rest in ascending attribute order.
  put_result_code(e, m.result_code);
  e.put_u16(A::kProtocolVersion, m.protocol_version);
  e.put_u32(A::kFramingCapabilities, m.framing_capabilities);
  e.put_u32(A::kBearerCapabilities, m.bearer_capabilities);
  e.put_u64(A::kTieBreaker, m.tie_breaker);
  e.put_u16(A::kFirmwareRevision, m.firmware_revision);
  e.put_string(A::kHostName, m.host_name);
  e.put_string(A::kVendorName, m.vendor_name);
  e.put_u16(A::kAssignedTunnelId, m.assigned_tunnel_id);
  e.put_u16(A::kReceiveWindowSize, m.receive_window_size);
  e.put_bytes(A::kChallenge, m.challenge);
  put_q931(e, m.q931_cause);
  e.put_bytes(A::kChallengeResponse, m.challenge_response);
  e.put_u16(A::kAssignedSessionId, m.assigned_session_id);
  e.put_u32(A::kCallSerialNumber, m.call_serial_number);
  e.put_u32(A::kMinimumBps, m.minimum_bps);
  e.put_u32(A::kMaximumBps, m.maximum_bps);
  e.put_u32(A::kBearerType, m.bearer_type);
  e.put_u32(A::kFramingType, m.framing_type);
  e.put_string(A::kCalledNumber, m.called_number);
  e.put_string(A::kCallingNumber, m.calling_number);
  e.put_string(A::kSubAddress, m.sub_address);
  e.put_u32(A::kTxConnectSpeed, as_v2_speed(m.tx_connect_speed));
  e.put_u32(A::kPhysicalChannelId, m.physical_channel_id);
  e.put_bytes(A::kInitialReceivedLcpConfreq, m.initial_received_lcp_confreq);
  e.put_bytes(A::kLastSentLcpConfreq, m.last_sent_lcp_confreq);
  e.put_bytes(A::kLastReceivedLcpConfreq, m.last_received_lcp_confreq);
  e.put_u16(A::kProxyAuthenType, m.proxy_authen_type);
  e.put_string(A::kProxyAuthenName, m.proxy_authen_name);
  e.put_bytes(A::kProxyAuthenChallenge, m.proxy_authen_challenge);
  e.put_u16(A::kProxyAuthenId, m.proxy_authen_id);
  e.put_bytes(A::kProxyAuthenResponse, m.proxy_authen_response);
  put_call_errors(e, m.call_errors);
  put_accm(e, m.accm);
  e.put_bytes(A::kPrivateGroupId, m.private_group_id);
  e.put_u32(A::kRxConnectSpeed, as_v2_speed(m.rx_connect_speed));
  if (m.sequencing_required) e.put(A::kSequencingRequired, {});
  e.put_u32(A::kRouterId, m.router_id);
  e.put_u32(A::kAssignedConnectionId, m.assigned_connection_id);
  put_pseudowires(e, m.pseudowire_capabilities);
  e.put_u32(A::kLocalSessionId, m.local_session_id);
  e.put_u32(A::kRemoteSessionId, m.remote_session_id);
  e.put_bytes(A::kAssignedCookie, m.assigned_cookie);
  e.put_bytes(A::kRemoteEndId, m.remote_end_id);
  e.put_u16(A::kPseudowireType, m.pseudowire_type);
  e.put_u16(A::kL2SpecificSublayer, m.l2_specific_sublayer);
  e.put_u16(A::kDataSequencing, m.data_sequencing);
  put_circuit_status(e, m.circuit_status);
  e.put_bytes(A::kPreferredLanguage, m.preferred_language);
  e.put_bytes(A::kControlMessageAuthNonce, m.nonce);
  e.put_u64(A::kTxConnectSpeedBps, m.tx_connect_speed);
  e.put_u64(A::kRxConnectSpeedBps, m.rx_connect_speed);
  return e.take();
}

}  // namespace l2tp::wire
