// The Result and Error Code values the engine sends (RFC 2661 §4.4.2,
// RFC 3931 §5.4.2), named once for every file that sends them.
#pragma once

#include <cstdint>

namespace l2tp::fsm {

// StopCCN result codes.
inline constexpr std::uint16_t kStopGeneralError = 2;
inline constexpr std::uint16_t kStopAlreadyExists = 3;  // lost the tie breaker
inline constexpr std::uint16_t kStopNotAuthorized = 4;
inline constexpr std::uint16_t kStopFsmError = 7;

// CDN result codes.
inline constexpr std::uint16_t kCdnLostCarrier = 1;
inline constexpr std::uint16_t kCdnGeneralError = 2;
// "Call failed due to lack of appropriate facilities being available": for
// now (4), the peer may call again later; or for good (5).
inline constexpr std::uint16_t kCdnNoFacilitiesTemporary = 4;
inline constexpr std::uint16_t kCdnNoFacilitiesPermanent = 5;
inline constexpr std::uint16_t kCdnUnsupportedPseudowire = 14;      // v3
inline constexpr std::uint16_t kCdnSequencingWithoutSublayer = 15;  // v3

// Error codes, with result code 2 (general error).
inline constexpr std::uint16_t kErrorBadValue = 3;
// "Insufficient resources to handle this operation now": every limit.
inline constexpr std::uint16_t kErrorInsufficientResources = 4;
inline constexpr std::uint16_t kErrorVendorSpecific = 6;
inline constexpr std::uint16_t kErrorUnknownMandatoryAvp = 8;

}  // namespace l2tp::fsm
