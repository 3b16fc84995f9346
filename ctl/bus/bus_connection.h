// l2tpctl's connection to the bus (sd-bus): which bus, the calls the
// generated proxies make, the objects below /org/l2tpbus1 as JSON, and the
// signals `monitor` and `--wait` follow. Every D-Bus error becomes a
// CtlError with its exit status and a message that says what to do.
#pragma once

#include <systemd/sd-bus.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "lib/exit_status.h"

namespace l2tp::ctl {

struct MessageUnref {
  void operator()(sd_bus_message* message) const { sd_bus_message_unref(message); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

inline constexpr const char* kDaemonName = "org.l2tpbus1";
inline constexpr const char* kManagerPath = "/org/l2tpbus1";

// The exit status and message for a D-Bus error a call got.
CtlError error_from_bus(std::string_view name, std::string_view message);

class BusConnection {
 public:
  // `bus`: "system", "session", or a D-Bus address ("unix:path=/run/x/bus").
  explicit BusConnection(const std::string& bus);
  ~BusConnection();
  BusConnection(const BusConnection&) = delete;
  BusConnection& operator=(const BusConnection&) = delete;

  // Lets polkit ask the user (through an agent) rather than refuse.
  void allow_interactive_authorization(bool allow);

  MessagePtr call(const std::string& path, const char* interface, const char* member,
                  const std::function<void(sd_bus_message*)>& append_arguments);

  // ObjectManager.GetManagedObjects as {path: {interface: {property: value}}},
  // with the Manager itself (which GetManagedObjects leaves out: it names
  // the objects below it) added from Properties.GetAll.
  nlohmann::json managed_objects();
  // Properties.Get of one property; throws kNoSuchObject when the object is gone.
  nlohmann::json property(const std::string& path, const char* interface, const char* name);

  // Signals from l2tpbusd; `handler` gets each message (sd-bus's match
  // rule syntax). Kept until the connection closes.
  void subscribe(const std::string& rule, std::function<void(sd_bus_message*)> handler);
  // Dispatches what has arrived, then waits up to `timeout` (or forever
  // when negative) for more; returns false when a signal (SIGINT, SIGTERM)
  // interrupted the wait.
  bool process(std::chrono::milliseconds timeout);

  std::string unique_name_of_daemon();

 private:
  struct Subscription;
  sd_bus* bus_ = nullptr;
  std::vector<std::unique_ptr<Subscription>> subscriptions_;
};

}  // namespace l2tp::ctl
