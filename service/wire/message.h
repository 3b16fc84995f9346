// Typed control messages: every AVP of RFC 2661 §4.4 and RFC 3931 §5.4 as a
// field, decoded from and encoded to an AVP list. Hiding is applied here;
// header framing and the v3 Message Digest live in header.h and security.h.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "wire/avp.h"
#include "wire/bytes.h"
#include "wire/header.h"
#include "wire/wire_error.h"

namespace l2tp::wire {

// Result Code AVP. `error` and `message` are optional on the wire; a peer that
// sends neither is valid (over-strict checks here break real equipment).
struct ResultCode {
  std::uint16_t result = 0;
  std::optional<std::uint16_t> error;
  std::string message;
  bool operator==(const ResultCode&) const = default;
};

struct Q931Cause {
  std::uint16_t cause = 0;
  std::uint8_t message = 0;
  std::string advisory;
  bool operator==(const Q931Cause&) const = default;
};

// Call Errors (v2) / Circuit Errors (v3): six 32-bit counters after 2 reserved bytes.
struct CallErrors {
  std::uint32_t crc_errors = 0, framing_errors = 0, hardware_overruns = 0, buffer_overruns = 0,
                timeout_errors = 0, alignment_errors = 0;
  bool operator==(const CallErrors&) const = default;
};

struct Accm {
  std::uint32_t send = 0;
  std::uint32_t receive = 0;
  bool operator==(const Accm&) const = default;
};

// v3 Circuit Status: bit 15 Active, bit 14 New.
struct CircuitStatus {
  bool active = false;
  bool is_new = false;
  bool operator==(const CircuitStatus&) const = default;
};

enum class DigestType : std::uint8_t { kHmacMd5 = 0, kHmacSha1 = 1 };

struct MessageDigest {
  DigestType type = DigestType::kHmacMd5;
  Bytes digest;  // 16 (MD5) or 20 (SHA-1) bytes
  bool operator==(const MessageDigest&) const = default;
};

// v3 Pseudowire Types (IANA registry of RFC 4446) that l2tpbus speaks.
inline constexpr std::uint16_t kPseudowireEthernet = 0x0005;
inline constexpr std::uint16_t kPseudowirePpp = 0x0007;

struct Message {
  MessageType type = MessageType::kHello;

  // Control connection
  std::optional<ResultCode> result_code;
  std::optional<std::uint16_t> protocol_version;  // v2: 0x0100 (version 1, revision 0)
  std::optional<std::uint32_t> framing_capabilities;
  std::optional<std::uint32_t> bearer_capabilities;
  std::optional<std::uint64_t> tie_breaker;
  std::optional<std::uint16_t> firmware_revision;
  std::optional<std::string> host_name;
  std::optional<std::string> vendor_name;
  std::optional<std::uint16_t> assigned_tunnel_id;  // v2
  std::optional<std::uint16_t> receive_window_size;
  std::optional<Bytes> challenge;
  std::optional<Bytes> challenge_response;  // 16 bytes
  std::optional<std::uint32_t> router_id;             // v3
  std::optional<std::uint32_t> assigned_connection_id;  // v3
  std::optional<std::vector<std::uint16_t>> pseudowire_capabilities;  // v3
  std::optional<Bytes> preferred_language;            // v3
  std::optional<Bytes> nonce;                         // v3 Control Message Authentication Nonce
  std::vector<MessageDigest> digests;                 // v3, decoded only; encoding uses EncodeOptions

  // Calls
  std::optional<std::uint16_t> assigned_session_id;  // v2
  std::optional<std::uint32_t> local_session_id;     // v3
  std::optional<std::uint32_t> remote_session_id;    // v3
  std::optional<std::uint32_t> call_serial_number;
  std::optional<std::uint32_t> minimum_bps;
  std::optional<std::uint32_t> maximum_bps;
  std::optional<std::uint32_t> bearer_type;
  std::optional<std::uint32_t> framing_type;
  std::optional<std::string> called_number;
  std::optional<std::string> calling_number;
  std::optional<std::string> sub_address;
  std::optional<std::uint64_t> tx_connect_speed;  // v2 32-bit AVP 24; v3 64-bit AVP 74
  std::optional<std::uint64_t> rx_connect_speed;  // v2 32-bit AVP 38; v3 64-bit AVP 75
  std::optional<std::uint32_t> physical_channel_id;
  std::optional<Bytes> initial_received_lcp_confreq;
  std::optional<Bytes> last_sent_lcp_confreq;
  std::optional<Bytes> last_received_lcp_confreq;
  std::optional<std::uint16_t> proxy_authen_type;
  std::optional<std::string> proxy_authen_name;
  std::optional<Bytes> proxy_authen_challenge;
  std::optional<std::uint16_t> proxy_authen_id;
  std::optional<Bytes> proxy_authen_response;
  std::optional<CallErrors> call_errors;
  std::optional<Accm> accm;
  std::optional<Bytes> private_group_id;
  bool sequencing_required = false;
  std::optional<Q931Cause> q931_cause;
  std::optional<Bytes> assigned_cookie;      // v3: 0, 4 or 8 bytes
  std::optional<Bytes> remote_end_id;        // v3
  std::optional<std::uint16_t> pseudowire_type;      // v3
  std::optional<std::uint16_t> l2_specific_sublayer; // v3: 0 none, 1 default
  std::optional<std::uint16_t> data_sequencing;      // v3: 0 none, 1 non-IP, 2 all
  std::optional<CircuitStatus> circuit_status;       // v3

  // Set by decode: the attribute type of the first unrecognised AVP with the
  // M bit (vendor AVPs included), which the receiver must answer with
  // Result 2 / Error 8 (RFC 2661 §4.1, RFC 3931 §5.2). Decoding still succeeds.
  std::optional<std::uint16_t> unknown_mandatory_attribute;
  std::optional<std::uint32_t> unknown_mandatory_vendor;

  bool operator==(const Message&) const = default;
};

struct DecodeOptions {
  ProtocolVersion version = ProtocolVersion::kV2;
  // The hiding key: for v2 the shared secret itself, for v3 HMAC_MD5(secret, 1)
  // (see hiding_key()). Empty: hidden AVPs are refused with kHiddenNoSecret.
  ByteView hiding_key;
};

struct EncodeOptions {
  ProtocolVersion version = ProtocolVersion::kV2;
  // Non-empty with hide_sensitive: the sensitive AVPs (assigned ids, session
  // ids, cookies, phone numbers, proxy authentication, private group id) are
  // hidden after a Random Vector AVP carrying `random_vector`.
  ByteView hiding_key;
  bool hide_sensitive = false;
  ByteView random_vector;  // 16 random bytes from the caller's random source
  // v3 with Message Digest: a zeroed Message Digest AVP of this type is placed
  // right after Message Type; sign_message() fills it after framing.
  std::optional<DigestType> digest;
};

// Decodes an AVP list (the body of a control message). The first AVP must be
// Message Type. Checks every length and value; vendor AVPs without the M bit
// are skipped; unknown mandatory ones are reported in the result.
// Attributes not defined for options.version count as unrecognised, and a
// malformed AVP without the M bit is ignored (RFC 3931 §7.1).
std::expected<Message, WireError> decode_message(ByteView avps, const DecodeOptions& options);

// The RFC's mandatory AVPs for the message type and version are present.
// Kept apart from decode so that the engine can answer with the right
// Result/Error code (2/2: insufficient length, or 2/6 for missing AVPs).
bool has_required_avps(const Message& message, ProtocolVersion version);

// Encodes the AVP list, Message Type first; fields that are nullopt are left out.
// So are fields of the other version (e.g. assigned_session_id in v3).
// The M bit is set on the AVPs the RFCs require to be mandatory.
Bytes encode_message(const Message& message, const EncodeOptions& options);

}  // namespace l2tp::wire
