#include "core/ipsec.h"

namespace l2tp {

const char* to_string(IpsecState state) {
  switch (state) {
    case IpsecState::kNone:
      return "none";
    case IpsecState::kNegotiating:
      return "negotiating";
    case IpsecState::kEstablished:
      return "established";
    case IpsecState::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace l2tp
