#include "dbus/caller.h"

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/IProxy.h>
#include <sdbus-c++/Message.h>
#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-bus.h>

#include <chrono>
#include <cstdint>
#include <utility>

#include "dbus/errors.h"

namespace l2tp::dbus {

namespace {

constexpr const char* kBusDriverName = "org.freedesktop.DBus";
constexpr const char* kBusDriverPath = "/org/freedesktop/DBus";
constexpr const char* kBusDriverInterface = "org.freedesktop.DBus";
// The bus daemon answers from its own tables; a slow answer means it is
// overloaded, and the caller may try again.
constexpr std::chrono::seconds kLookupTimeout(10);

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

sd_bus* raw_bus(sdbus::IConnection& connection) {
  const std::unique_ptr<sdbus::IProxy> driver =
      sdbus::createProxy(connection, kBusDriverName, kBusDriverPath);
  const sdbus::MethodCall call = driver->createMethodCall(kBusDriverInterface, "GetId");
  return sd_bus_message_get_bus(raw_message(call));
}

bool allows_interactive_authorization(sd_bus_message* call) {
  return call != nullptr && sd_bus_message_get_allow_interactive_authorization(call) > 0;
}

BusCallerIdentifier::BusCallerIdentifier(sdbus::IConnection& bus)
    : driver_(sdbus::createProxy(bus, kBusDriverName, kBusDriverPath)) {
  driver_->uponSignal("NameOwnerChanged")
      .onInterface(kBusDriverInterface)
      .call(
          [this](const std::string& name, const std::string& old_owner,
                 const std::string& new_owner) { name_owner_changed(name, old_owner, new_owner); });
  driver_->finishRegistration();
}

BusCallerIdentifier::~BusCallerIdentifier() = default;

void BusCallerIdentifier::identify(sd_bus_message* call, Identified done) {
  Caller caller;
  const char* raw_sender = call != nullptr ? sd_bus_message_get_sender(call) : nullptr;
  caller.sender = raw_sender != nullptr ? raw_sender : "";
  caller.allow_interaction = allows_interactive_authorization(call);
  if (caller.sender.empty()) {
    done(std::unexpected(failed("the call has no sender")));
    return;
  }
  if (const auto known = uids_.find(caller.sender); known != uids_.end()) {
    caller.uid = known->second;
    done(std::move(caller));
    return;
  }
  if (const auto lookup = lookups_.find(caller.sender); lookup != lookups_.end()) {
    if (lookup->second.waiting.size() >= kMaxWaitingPerSender) {
      done(std::unexpected(sdbus::Error(
          kErrorLimitExceeded,
          "too many calls from " + caller.sender + " while its uid is being asked of the bus")));
      return;
    }
    lookup->second.waiting.push_back({std::move(caller), std::move(done)});
    return;
  }
  const std::string sender = caller.sender;
  lookups_[sender].waiting.push_back({std::move(caller), std::move(done)});
  try {
    // The reply handler may use `this`: the pending call belongs to driver_.
    (void)driver_->callMethodAsync("GetConnectionUnixUser")
        .onInterface(kBusDriverInterface)
        .withTimeout(kLookupTimeout)
        .withArguments(sender)
        .uponReplyInvoke([this, sender](const sdbus::Error* error, std::uint32_t uid) {
          if (error != nullptr) {
            learnt(sender, std::unexpected(*error));
          } else {
            learnt(sender, static_cast<uid_t>(uid));
          }
        });
  } catch (const sdbus::Error& error) {
    learnt(sender, std::unexpected(error));
  }
}

void BusCallerIdentifier::learnt(const std::string& sender,
                                 std::expected<uid_t, sdbus::Error> uid) {
  const auto it = lookups_.find(sender);
  if (it == lookups_.end()) return;
  Lookup lookup = std::move(it->second);
  lookups_.erase(it);
  if (uid && !lookup.departed) uids_.emplace(sender, *uid);
  for (Waiting& waiting : lookup.waiting) {
    if (uid) {
      waiting.caller.uid = *uid;
      waiting.done(std::move(waiting.caller));
    } else {
      waiting.done(std::unexpected(
          failed("cannot learn the caller's uid from the bus: " + uid.error().getName() + ": " +
                 uid.error().getMessage())));
    }
  }
}

void BusCallerIdentifier::name_owner_changed(const std::string& name, const std::string& old_owner,
                                             const std::string& new_owner) {
  // Unique names (":1.42") are never reused: once gone, gone for good.
  if (name.empty() || name.front() != ':' || old_owner.empty() || !new_owner.empty()) return;
  uids_.erase(name);
  if (const auto lookup = lookups_.find(name); lookup != lookups_.end()) {
    lookup->second.departed = true;
  }
  if (departed_) departed_(name);
}

}  // namespace l2tp::dbus
