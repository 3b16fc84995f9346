#include "wire/wire_error.h"

namespace l2tp::wire {

std::string_view to_string(WireError error) {
  switch (error) {
    case WireError::kTruncated:
      return "truncated";
    case WireError::kBadHeader:
      return "bad header";
    case WireError::kUnsupportedVersion:
      return "unsupported version";
    case WireError::kLengthMismatch:
      return "length mismatch";
    case WireError::kAvpTooShort:
      return "AVP too short";
    case WireError::kAvpOverrun:
      return "AVP overruns the message";
    case WireError::kAvpBadLength:
      return "AVP value has the wrong length";
    case WireError::kAvpBadValue:
      return "AVP value is malformed";
    case WireError::kHiddenWithoutRandomVector:
      return "hidden AVP without a preceding Random Vector";
    case WireError::kHiddenNoSecret:
      return "hidden AVP but no shared secret";
    case WireError::kHiddenLengthMismatch:
      return "hidden AVP length mismatch";
    case WireError::kHiddenNotAllowed:
      return "AVP must not be hidden";
    case WireError::kMissingMessageType:
      return "first AVP is not Message Type";
    case WireError::kUnknownMessageType:
      return "unknown message type";
    case WireError::kMissingMandatoryAvp:
      return "mandatory AVP missing";
    case WireError::kDigestMissing:
      return "Message Digest missing";
    case WireError::kDigestMismatch:
      return "Message Digest mismatch";
  }
  return "unknown wire error";
}

}  // namespace l2tp::wire
