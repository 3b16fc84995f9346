#include "core/ipsec.h"

#include <string.h>

namespace l2tp {

void wipe(void* data, std::size_t size) {
  // explicit_bzero, unlike memset, is not removed as a dead store before free.
  if (data != nullptr && size > 0) explicit_bzero(data, size);
}

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
