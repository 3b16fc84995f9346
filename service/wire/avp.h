// AVP framing (RFC 2661 §4.1, RFC 3931 §5.1) and the attribute and message
// type numbers of both versions.
#pragma once

#include <cstdint>
#include <expected>
#include <vector>

#include "wire/bytes.h"
#include "wire/wire_error.h"

namespace l2tp::wire {

enum class MessageType : std::uint16_t {
  kSccrq = 1,
  kSccrp = 2,
  kScccn = 3,
  kStopccn = 4,
  kHello = 6,
  kOcrq = 7,
  kOcrp = 8,
  kOccn = 9,
  kIcrq = 10,
  kIcrp = 11,
  kIccn = 12,
  kCdn = 14,
  kWen = 15,
  kSli = 16,
  kAck = 20,  // L2TPv3 explicit acknowledgement
};
const char* to_string(MessageType type);
bool is_known_message_type(std::uint16_t value);

// IETF attribute types (vendor id 0). Where v2 and v3 share a number they
// share the meaning, except where noted.
enum class AttributeType : std::uint16_t {
  kMessageType = 0,
  kResultCode = 1,
  kProtocolVersion = 2,
  kFramingCapabilities = 3,
  kBearerCapabilities = 4,
  kTieBreaker = 5,  // v2 Tie Breaker; v3 Control Connection / Session Tie Breaker
  kFirmwareRevision = 6,
  kHostName = 7,
  kVendorName = 8,
  kAssignedTunnelId = 9,
  kReceiveWindowSize = 10,
  kChallenge = 11,
  kQ931CauseCode = 12,
  kChallengeResponse = 13,
  kAssignedSessionId = 14,
  kCallSerialNumber = 15,  // v3 Serial Number
  kMinimumBps = 16,
  kMaximumBps = 17,
  kBearerType = 18,
  kFramingType = 19,
  kCalledNumber = 21,
  kCallingNumber = 22,
  kSubAddress = 23,
  kTxConnectSpeed = 24,
  kPhysicalChannelId = 25,
  kInitialReceivedLcpConfreq = 26,
  kLastSentLcpConfreq = 27,
  kLastReceivedLcpConfreq = 28,
  kProxyAuthenType = 29,
  kProxyAuthenName = 30,
  kProxyAuthenChallenge = 31,
  kProxyAuthenId = 32,
  kProxyAuthenResponse = 33,
  kCallErrors = 34,  // v3 Circuit Errors
  kAccm = 35,
  kRandomVector = 36,
  kPrivateGroupId = 37,
  kRxConnectSpeed = 38,
  kSequencingRequired = 39,
  kExtendedVendorId = 58,  // v3
  kMessageDigest = 59,
  kRouterId = 60,
  kAssignedConnectionId = 61,
  kPseudowireCapabilities = 62,
  kLocalSessionId = 63,
  kRemoteSessionId = 64,
  kAssignedCookie = 65,
  kRemoteEndId = 66,
  kPseudowireType = 68,
  kL2SpecificSublayer = 69,
  kDataSequencing = 70,
  kCircuitStatus = 71,
  kPreferredLanguage = 72,
  kControlMessageAuthNonce = 73,
  kTxConnectSpeedBps = 74,
  kRxConnectSpeedBps = 75,
};

inline constexpr std::uint16_t kAvpFlagMandatory = 0x8000;
inline constexpr std::uint16_t kAvpFlagHidden = 0x4000;
inline constexpr std::size_t kAvpHeaderSize = 6;
inline constexpr std::size_t kMaxAvpLength = 1023;  // 10-bit Length field

// One AVP exactly as on the wire; `value` points into the message.
struct RawAvp {
  bool mandatory = false;
  bool hidden = false;
  std::uint16_t vendor_id = 0;
  std::uint16_t attribute_type = 0;
  ByteView value;
  std::size_t offset = 0;  // of the AVP header inside the AVP list
  // The four reserved flag bits. RFC 2661 §4.1 makes an AVP with any of them
  // set unrecognised; RFC 3931 §5.1 says to ignore them.
  std::uint8_t reserved_flags = 0;
};

// Splits an AVP list. Fails on a Length below 6 or past the end; never loops
// on a zero length; ignores the reserved bits as the RFCs require.
std::expected<std::vector<RawAvp>, WireError> split_avps(ByteView avps);

// Appends one AVP header and value (value length must fit in 1017 bytes).
void write_avp(ByteWriter& out, AttributeType type, ByteView value, bool mandatory,
               bool hidden = false, std::uint16_t vendor_id = 0);

}  // namespace l2tp::wire
