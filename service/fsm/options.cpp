#include "fsm/options.h"

#include "fsm/ports.h"
#include "fsm/views.h"

namespace l2tp::fsm {

// These names are the D-Bus vocabulary (dbus-api.md): properties and logs use them.

const char* to_string(TunnelMode mode) {
  switch (mode) {
    case TunnelMode::kDynamic:
      return "dynamic";
    case TunnelMode::kQuiescent:
      return "quiescent";
    case TunnelMode::kStatic:
      return "static";
  }
  return "unknown";
}

const char* to_string(Role role) {
  switch (role) {
    case Role::kInitiator:
      return "initiator";
    case Role::kResponder:
      return "responder";
  }
  return "unknown";
}

const char* to_string(ObjectState state) {
  switch (state) {
    case ObjectState::kConnecting:
      return "connecting";
    case ObjectState::kEstablished:
      return "established";
    case ObjectState::kClosing:
      return "closing";
    case ObjectState::kClosed:
      return "closed";
  }
  return "unknown";
}

}  // namespace l2tp::fsm
