// One test world on one loop: a private bus, the bus layer with a fake
// daemon and authority on one connection, a client on another. Both
// connections are pumped by BusPump, so the pump is under test too.
#pragma once

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dbus/bus_pump.h"
#include "dbus/bus_service.h"
#include "fakes.h"
#include "loop/event_loop.h"
#include "private_bus.h"

namespace l2tp::dbus::testing {

using Dictionary = std::map<std::string, sdbus::Variant>;

// A signal or reply as the client saw it, in arrival order.
struct BusEvent {
  std::string kind;       // InterfacesAdded, PropertiesChanged, InterfacesRemoved, reply
  std::string path;       // the object concerned
  std::string interface;  // PropertiesChanged
  Dictionary changed;     // PropertiesChanged
  std::map<std::string, Dictionary> interfaces;  // InterfacesAdded
  std::vector<std::string> removed;              // InterfacesRemoved
};

struct CallOutcome {
  bool done = false;
  std::string error_name;  // empty on success
  std::string error_message;
  std::optional<sdbus::MethodReply> reply;
  bool ok() const { return done && error_name.empty(); }
};

class BusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // Pumps the loop until `done()` or five seconds passed; false on timeout.
  bool run_until(const std::function<bool()>& done);
  void run_briefly();

  // Sends a call on `connection` (pumped by the loop) without waiting.
  std::shared_ptr<CallOutcome> start_call(
      sdbus::IConnection& connection, const std::string& path, const std::string& interface,
      const std::string& method, const std::function<void(sdbus::MethodCall&)>& arguments = {},
      bool allow_interaction = false);
  CallOutcome call(const std::string& path, const std::string& interface, const std::string& method,
                   const std::function<void(sdbus::MethodCall&)>& arguments = {},
                   bool allow_interaction = false);
  CallOutcome create_tunnel(const Dictionary& options, bool allow_interaction = false);
  CallOutcome create_session(const std::string& tunnel, const Dictionary& options);
  CallOutcome listen(const Dictionary& options);
  CallOutcome close(const std::string& path, const std::string& interface);
  std::optional<sdbus::Variant> get(const std::string& path, const std::string& interface,
                                    const std::string& property);
  // Creates a tunnel as the given uid (polkit allowing) and returns its path.
  std::string make_tunnel(uid_t owner);

  // The object path a successful create call returned.
  static std::string returned_path(const CallOutcome& outcome);
  std::vector<BusEvent> events_of(const std::string& kind, const std::string& path) const;

  static inline PrivateBus* bus_ = nullptr;

  std::unique_ptr<loop::EventLoop> loop_;
  std::unique_ptr<sdbus::IConnection> server_;
  std::unique_ptr<sdbus::IConnection> client_;
  std::unique_ptr<BusPump> server_pump_;
  std::unique_ptr<BusPump> client_pump_;
  std::unique_ptr<FakeAuthority> authority_;
  std::unique_ptr<PosingIdentifier> callers_;
  std::vector<std::unique_ptr<sdbus::IProxy>> proxies_;  // of calls made
  std::unique_ptr<BusService> service_;
  std::unique_ptr<FakeDaemon> daemon_;
  sdbus::Slot signal_slot_;
  std::vector<BusEvent> events_;
};

}  // namespace l2tp::dbus::testing
