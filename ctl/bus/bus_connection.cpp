#include "bus/bus_connection.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "bus/message_io.h"
#include "lib/translation.h"

namespace l2tp::ctl {

namespace {

constexpr std::uint64_t kCallTimeoutUsec = 120'000'000;  // polkit may ask a person first

struct ErrorGuard {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL is a C compound literal
  ~ErrorGuard() { sd_bus_error_free(&error); }
};

std::string no_daemon_message() {
  return _("l2tpbusd is not running: systemctl start l2tpbusd");
}

}  // namespace

CtlError error_from_bus(std::string_view name, std::string_view message) {
  const std::string text(message);
  if (name == "org.freedesktop.DBus.Error.InvalidArgs") return {ExitStatus::kUsage, text};
  if (name == "org.freedesktop.DBus.Error.AccessDenied") {
    return {ExitStatus::kNotAuthorized, fmt::format(fmt::runtime(_("not authorized: {}")), text)};
  }
  if (name == "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired") {
    return {ExitStatus::kNotAuthorized,
            _("not authorized without a password: run this from a terminal, or as root")};
  }
  if (name == "org.freedesktop.DBus.Error.UnknownObject" ||
      name == "org.freedesktop.DBus.Error.UnknownInterface") {
    return {ExitStatus::kNoSuchObject, text.empty() ? std::string(_("no such object")) : text};
  }
  if (name == "org.freedesktop.DBus.Error.UnknownMethod") {
    return {ExitStatus::kFailure,
            fmt::format(fmt::runtime(_("l2tpbusd does not know this call (an older version?): {}")),
                        text)};
  }
  if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
      name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
      name == "org.freedesktop.DBus.Error.NoReply" ||
      name == "org.freedesktop.DBus.Error.Disconnected") {
    return {ExitStatus::kNoDaemon, no_daemon_message()};
  }
  return {ExitStatus::kFailure, text.empty() ? std::string(name) : text};
}

struct BusConnection::Subscription {
  std::function<void(sd_bus_message*)> handler;
  sd_bus_slot* slot = nullptr;
  ~Subscription() { sd_bus_slot_unref(slot); }
  static int dispatch(sd_bus_message* message, void* data, sd_bus_error*) {
    static_cast<Subscription*>(data)->handler(message);
    return 0;
  }
};

BusConnection::BusConnection(const std::string& bus) {
  int result = 0;
  if (bus == "system") {
    result = sd_bus_open_system(&bus_);
  } else if (bus == "session" || bus == "user") {
    result = sd_bus_open_user(&bus_);
  } else {
    result = sd_bus_new(&bus_);
    if (result >= 0) result = sd_bus_set_address(bus_, bus.c_str());
    if (result >= 0) result = sd_bus_set_bus_client(bus_, 1);
    if (result >= 0) result = sd_bus_start(bus_);
  }
  if (result < 0) {
    sd_bus_unref(bus_);
    bus_ = nullptr;
    throw CtlError(ExitStatus::kNoDaemon,
                   fmt::format(fmt::runtime(_("cannot connect to the {} bus: {}")), bus,
                               std::strerror(-result)));
  }
}

BusConnection::~BusConnection() {
  subscriptions_.clear();
  sd_bus_flush_close_unref(bus_);
}

void BusConnection::allow_interactive_authorization(bool allow) {
  sd_bus_set_allow_interactive_authorization(bus_, allow ? 1 : 0);
}

MessagePtr BusConnection::call(const std::string& path, const char* interface, const char* member,
                               const std::function<void(sd_bus_message*)>& append_arguments) {
  sd_bus_message* raw = nullptr;
  if (int r =
          sd_bus_message_new_method_call(bus_, &raw, kDaemonName, path.c_str(), interface, member);
      r < 0) {
    throw CtlError(ExitStatus::kUsage, fmt::format("{} {}: {}", path, member, std::strerror(-r)));
  }
  MessagePtr call_message(raw);
  append_arguments(call_message.get());
  ErrorGuard error;
  sd_bus_message* reply = nullptr;
  if (sd_bus_call(bus_, call_message.get(), kCallTimeoutUsec, &error.error, &reply) < 0) {
    if (!sd_bus_error_is_set(&error.error))
      throw CtlError(ExitStatus::kNoDaemon, no_daemon_message());
    throw error_from_bus(error.error.name ? error.error.name : "",
                         error.error.message ? error.error.message : "");
  }
  return MessagePtr(reply);
}

nlohmann::json BusConnection::managed_objects() {
  MessagePtr reply = call(kManagerPath, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                          [](sd_bus_message*) {});
  nlohmann::json objects = message::read_json(reply.get());
  MessagePtr manager =
      call(kManagerPath, "org.freedesktop.DBus.Properties", "GetAll",
           [](sd_bus_message* m) { message::append(m, "s", std::string("org.l2tpbus1.Manager")); });
  objects[kManagerPath]["org.l2tpbus1.Manager"] = message::read_json(manager.get());
  return objects;
}

nlohmann::json BusConnection::property(const std::string& path, const char* interface,
                                       const char* name) {
  MessagePtr reply = call(path, "org.freedesktop.DBus.Properties", "Get", [&](sd_bus_message* m) {
    message::append(m, "s", std::string(interface));
    message::append(m, "s", std::string(name));
  });
  return message::read_json(reply.get());
}

void BusConnection::subscribe(const std::string& rule,
                              std::function<void(sd_bus_message*)> handler) {
  auto subscription = std::make_unique<Subscription>();
  subscription->handler = std::move(handler);
  if (int r = sd_bus_add_match(bus_, &subscription->slot, rule.c_str(), &Subscription::dispatch,
                               subscription.get());
      r < 0) {
    throw CtlError(
        ExitStatus::kNoDaemon,
        fmt::format(fmt::runtime(_("cannot follow l2tpbusd's signals: {}")), std::strerror(-r)));
  }
  subscriptions_.push_back(std::move(subscription));
}

bool BusConnection::process(std::chrono::milliseconds timeout) {
  while (true) {
    const int processed = sd_bus_process(bus_, nullptr);
    if (processed < 0) throw CtlError(ExitStatus::kNoDaemon, no_daemon_message());
    if (processed > 0) continue;
    break;
  }
  const std::uint64_t usec =
      timeout.count() < 0 ? UINT64_MAX : static_cast<std::uint64_t>(timeout.count()) * 1000;
  const int waited = sd_bus_wait(bus_, usec);
  if (waited == -EINTR) return false;
  if (waited < 0) throw CtlError(ExitStatus::kNoDaemon, no_daemon_message());
  while (true) {
    const int processed = sd_bus_process(bus_, nullptr);
    if (processed < 0) throw CtlError(ExitStatus::kNoDaemon, no_daemon_message());
    if (processed == 0) break;
  }
  return true;
}

std::string BusConnection::unique_name_of_daemon() {
  ErrorGuard error;
  sd_bus_message* reply = nullptr;
  if (sd_bus_call_method(bus_, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                         "org.freedesktop.DBus", "GetNameOwner", &error.error, &reply, "s",
                         kDaemonName) < 0) {
    throw CtlError(ExitStatus::kNoDaemon, no_daemon_message());
  }
  MessagePtr owned(reply);
  std::string name;
  message::read(owned.get(), "s", name);
  return name;
}

}  // namespace l2tp::ctl
