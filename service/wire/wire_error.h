// Why a datagram or AVP list was refused. Every value is counted by the engine.
#pragma once

#include <cstdint>
#include <string_view>

namespace l2tp::wire {

enum class WireError : std::uint8_t {
  kTruncated,              // shorter than its header, or than a length field says
  kBadHeader,              // flag bits that the version forbids (e.g. control without L or S)
  kUnsupportedVersion,     // Ver field not 2 or 3 (or 3 over a v2-only path)
  kLengthMismatch,         // header Length disagrees with the datagram
  kAvpTooShort,            // AVP Length below 6 (an endless loop in some peers)
  kAvpOverrun,             // AVP Length runs past the message (a heap overflow in some peers)
  kAvpBadLength,           // value length wrong for a known attribute
  kAvpBadValue,            // value malformed for a known attribute (e.g. control characters)
  kHiddenWithoutRandomVector,
  kHiddenNoSecret,         // H bit set but no shared secret is configured
  kHiddenLengthMismatch,   // decrypted original length disagrees with the real one
  kHiddenNotAllowed,       // H bit on an AVP that must never be hidden
  kMissingMessageType,     // first AVP is not Message Type
  kUnknownMessageType,
  kMissingMandatoryAvp,    // an AVP the RFC requires for this message type is absent
  kDigestMissing,          // v3 with a secret: no Message Digest AVP right after Message Type
  kDigestMismatch,
};

std::string_view to_string(WireError error);

}  // namespace l2tp::wire
