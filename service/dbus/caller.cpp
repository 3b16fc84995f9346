#include "dbus/caller.h"

#include <sdbus-c++/Error.h>
#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

namespace l2tp::dbus {

namespace {

// A pointer to the protected member, formed inside a derived class (which is
// allowed to name it), reads it from any Message without copying, casting or
// instantiating anything.
struct MessageInternals : sdbus::Message {
  static void* raw(const sdbus::Message& message) { return message.*(&MessageInternals::msg_); }
};

}  // namespace

sd_bus_message* raw_message(const sdbus::Message& message) {
  return static_cast<sd_bus_message*>(MessageInternals::raw(message));
}

bool allows_interactive_authorization(const sdbus::Message& call) {
  sd_bus_message* raw = raw_message(call);
  return raw != nullptr && sd_bus_message_get_allow_interactive_authorization(raw) > 0;
}

std::expected<Caller, std::string> CredentialsIdentifier::identify(const sdbus::Message& call) {
  Caller caller;
  caller.sender = call.getSender();
  if (caller.sender.empty()) return std::unexpected("the call has no sender");
  if (auto known = uids_.find(caller.sender); known != uids_.end()) {
    caller.uid = known->second;
  } else {
    try {
      caller.uid = call.getCredsUid();
    } catch (const sdbus::Error& error) {
      return std::unexpected("cannot read the caller's credentials: " + error.getMessage());
    }
    if (order_.size() == kRemembered) {
      uids_.erase(order_.front());
      order_.pop_front();
    }
    uids_.emplace(caller.sender, caller.uid);
    order_.push_back(caller.sender);
  }
  caller.allow_interaction = allows_interactive_authorization(call);
  return caller;
}

}  // namespace l2tp::dbus
