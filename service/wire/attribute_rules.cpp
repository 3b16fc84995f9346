#include "wire/attribute_rules.h"

#include <array>

namespace l2tp::wire {
namespace {

struct AttributeRule {
  bool in_v2 = false;
  bool in_v3 = false;
  bool mandatory_v2 = false;
  bool mandatory_v3 = false;
  bool sensitive = false;
};

using A = AttributeType;
constexpr std::size_t kRuleCount = static_cast<std::size_t>(A::kRxConnectSpeedBps) + 1;

// One row per attribute: which version defines it and with which M bit.
// v2 numbers 0-39 come from RFC 2661 §4.4; the v3 set is exactly the
// attributes of RFC 3931 §5.4 (the PPP-specific ones moved to companion
// documents and are not part of it).
constexpr std::array<AttributeRule, kRuleCount> make_rules() {
  std::array<AttributeRule, kRuleCount> rules{};
  auto v2 = [&](A type, bool mandatory) {
    auto& rule = rules[static_cast<std::size_t>(type)];
    rule.in_v2 = true;
    rule.mandatory_v2 = mandatory;
  };
  auto v3 = [&](A type, bool mandatory) {
    auto& rule = rules[static_cast<std::size_t>(type)];
    rule.in_v3 = true;
    rule.mandatory_v3 = mandatory;
  };
  v2(A::kMessageType, true);
  v2(A::kResultCode, true);
  v2(A::kProtocolVersion, true);
  v2(A::kFramingCapabilities, true);
  v2(A::kBearerCapabilities, true);
  v2(A::kTieBreaker, false);
  v2(A::kFirmwareRevision, false);
  v2(A::kHostName, true);
  v2(A::kVendorName, false);
  v2(A::kAssignedTunnelId, true);
  v2(A::kReceiveWindowSize, true);
  v2(A::kChallenge, true);
  v2(A::kQ931CauseCode, true);
  v2(A::kChallengeResponse, true);
  v2(A::kAssignedSessionId, true);
  v2(A::kCallSerialNumber, true);
  v2(A::kMinimumBps, true);
  v2(A::kMaximumBps, true);
  v2(A::kBearerType, true);
  v2(A::kFramingType, true);
  v2(A::kCalledNumber, true);
  v2(A::kCallingNumber, true);
  v2(A::kSubAddress, true);
  v2(A::kTxConnectSpeed, true);
  v2(A::kPhysicalChannelId, false);
  v2(A::kInitialReceivedLcpConfreq, false);
  v2(A::kLastSentLcpConfreq, false);
  v2(A::kLastReceivedLcpConfreq, false);
  v2(A::kProxyAuthenType, false);
  v2(A::kProxyAuthenName, false);
  v2(A::kProxyAuthenChallenge, false);
  v2(A::kProxyAuthenId, false);
  v2(A::kProxyAuthenResponse, false);
  v2(A::kCallErrors, true);
  v2(A::kAccm, true);
  v2(A::kRandomVector, true);
  v2(A::kPrivateGroupId, false);
  v2(A::kRxConnectSpeed, false);
  v2(A::kSequencingRequired, true);

  v3(A::kMessageType, true);
  v3(A::kMessageDigest, true);
  v3(A::kControlMessageAuthNonce, true);
  v3(A::kRandomVector, true);
  v3(A::kResultCode, true);
  v3(A::kTieBreaker, true);
  v3(A::kHostName, true);
  v3(A::kRouterId, true);
  v3(A::kVendorName, false);
  v3(A::kAssignedConnectionId, true);
  v3(A::kReceiveWindowSize, true);
  v3(A::kPseudowireCapabilities, true);
  v3(A::kPreferredLanguage, false);
  v3(A::kLocalSessionId, true);
  v3(A::kRemoteSessionId, true);
  v3(A::kAssignedCookie, true);
  v3(A::kCallSerialNumber, false);
  v3(A::kRemoteEndId, true);
  v3(A::kPseudowireType, true);
  v3(A::kL2SpecificSublayer, true);
  v3(A::kDataSequencing, true);
  v3(A::kTxConnectSpeedBps, false);
  v3(A::kRxConnectSpeedBps, false);
  v3(A::kPhysicalChannelId, false);
  v3(A::kCircuitStatus, true);
  v3(A::kCallErrors, false);

  for (A type :
       {A::kAssignedTunnelId, A::kAssignedSessionId, A::kLocalSessionId, A::kRemoteSessionId,
        A::kAssignedConnectionId, A::kAssignedCookie, A::kCalledNumber, A::kCallingNumber,
        A::kSubAddress, A::kProxyAuthenName, A::kProxyAuthenChallenge, A::kProxyAuthenId,
        A::kProxyAuthenResponse, A::kPrivateGroupId}) {
    rules[static_cast<std::size_t>(type)].sensitive = true;
  }
  return rules;
}

constexpr auto kRules = make_rules();

const AttributeRule* find_rule(std::uint16_t attribute_type) {
  if (attribute_type >= kRules.size()) return nullptr;
  return &kRules[attribute_type];
}

}  // namespace

namespace detail {

bool is_defined(std::uint16_t attribute_type, ProtocolVersion version) {
  const AttributeRule* rule = find_rule(attribute_type);
  if (!rule) return false;
  return version == ProtocolVersion::kV2 ? rule->in_v2 : rule->in_v3;
}

bool mandatory_bit(AttributeType type, ProtocolVersion version) {
  const AttributeRule* rule = find_rule(static_cast<std::uint16_t>(type));
  if (!rule) return false;
  return version == ProtocolVersion::kV2 ? rule->mandatory_v2 : rule->mandatory_v3;
}

bool must_not_be_hidden(std::uint16_t attribute_type, ProtocolVersion version) {
  switch (static_cast<AttributeType>(attribute_type)) {
    case AttributeType::kMessageType:
    case AttributeType::kRandomVector:
      return true;
    case AttributeType::kMessageDigest:
    case AttributeType::kControlMessageAuthNonce:
      return version == ProtocolVersion::kV3;
    default:
      return false;
  }
}

bool is_sensitive(AttributeType type) {
  const AttributeRule* rule = find_rule(static_cast<std::uint16_t>(type));
  return rule && rule->sensitive;
}

bool is_message_type_of(std::uint16_t value, ProtocolVersion version) {
  if (value == static_cast<std::uint16_t>(MessageType::kAck)) {
    return version == ProtocolVersion::kV3;
  }
  return is_known_message_type(value);
}

}  // namespace detail

}  // namespace l2tp::wire
