#include "bus_fixture.h"

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "dbus/caller.h"
#include "dbus/properties.h"

namespace l2tp::dbus::testing {

void BusTest::SetUpTestSuite() {
  bus_ = new PrivateBus();
}

void BusTest::TearDownTestSuite() {
  delete bus_;
  bus_ = nullptr;
}

void BusTest::SetUp() {
  auto loop = loop::EventLoop::create();
  ASSERT_TRUE(loop.has_value());
  loop_ = std::move(*loop);

  server_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
  client_ = sdbus::createSessionBusConnectionWithAddress(bus_->address());
  authority_ = std::make_unique<FakeAuthority>(*loop_);
  callers_ = std::make_unique<PosingIdentifier>(*server_);
  service_ = std::make_unique<BusService>(*server_, *loop_, *authority_, *callers_, "9.8.7");
  daemon_ = std::make_unique<FakeDaemon>(*loop_, *service_);
  service_->attach(*daemon_);
  server_->requestName(kBusName);

  auto fail = [](const std::string& reason) { ADD_FAILURE() << "bus failed: " << reason; };
  auto server_pump = BusPump::attach(*loop_, *server_, fail);
  ASSERT_TRUE(server_pump.has_value()) << server_pump.error();
  server_pump_ = std::move(*server_pump);

  signal_slot_ = client_->addMatch("type='signal',path_namespace='/org/l2tpbus1'",
                                   [this](sdbus::Message& message) {
                                     BusEvent event;
                                     event.kind = message.getMemberName();
                                     event.path = message.getPath();
                                     if (event.kind == "PropertiesChanged") {
                                       std::vector<std::string> invalidated;
                                       message >> event.interface >> event.changed >> invalidated;
                                     } else if (event.kind == "InterfacesAdded") {
                                       sdbus::ObjectPath path;
                                       message >> path >> event.interfaces;
                                       event.path = path;
                                     } else if (event.kind == "InterfacesRemoved") {
                                       sdbus::ObjectPath path;
                                       message >> path >> event.removed;
                                       event.path = path;
                                     } else {
                                       return;
                                     }
                                     events_.push_back(std::move(event));
                                   });
  auto client_pump = BusPump::attach(*loop_, *client_, fail);
  ASSERT_TRUE(client_pump.has_value()) << client_pump.error();
  client_pump_ = std::move(*client_pump);
  run_briefly();  // the AddMatch reaches the bus before anything is signalled
  events_.clear();
}

void BusTest::TearDown() {
  proxies_.clear();
  signal_slot_.reset();
  client_pump_.reset();
  server_pump_.reset();
  daemon_.reset();
  service_.reset();
  callers_.reset();
  authority_.reset();
  client_.reset();
  server_.reset();
  loop_.reset();
}

bool BusTest::run_until(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    sd_event_run(loop_->raw(), 100'000);
  }
  return true;
}

void BusTest::run_briefly() {
  // A ping round trip: everything sent before it has been dispatched by then.
  call(kManagerPath, "org.freedesktop.DBus.Peer", "Ping");
}

std::shared_ptr<CallOutcome> BusTest::start_call(
    sdbus::IConnection& connection, const std::string& path, const std::string& interface,
    const std::string& method, const std::function<void(sdbus::MethodCall&)>& arguments,
    bool allow_interaction) {
  auto proxy = sdbus::createProxy(connection, kBusName, path);
  sdbus::MethodCall message = proxy->createMethodCall(interface, method);
  if (arguments) arguments(message);
  sd_bus_message_set_allow_interactive_authorization(raw_message(message), allow_interaction);
  auto outcome = std::make_shared<CallOutcome>();
  // The pending call belongs to the proxy, which lives as long as the test.
  proxy->callMethod(
      message,
      [outcome, this, path](sdbus::MethodReply& reply, const sdbus::Error* error) {
        outcome->done = true;
        if (error != nullptr) {
          outcome->error_name = error->getName();
          outcome->error_message = error->getMessage();
        } else {
          outcome->reply = reply;
        }
        events_.push_back(BusEvent{.kind = "reply", .path = path});
      },
      std::chrono::seconds(5));
  proxies_.push_back(std::move(proxy));
  return outcome;
}

CallOutcome BusTest::call(const std::string& path, const std::string& interface,
                          const std::string& method,
                          const std::function<void(sdbus::MethodCall&)>& arguments,
                          bool allow_interaction) {
  auto outcome = start_call(*client_, path, interface, method, arguments, allow_interaction);
  EXPECT_TRUE(run_until([&] { return outcome->done; })) << method << " got no reply";
  return *outcome;
}

CallOutcome BusTest::create_tunnel(const Dictionary& options, bool allow_interaction) {
  return call(
      kManagerPath, kManagerInterface, "CreateTunnel",
      [&](sdbus::MethodCall& message) { message << options; }, allow_interaction);
}

CallOutcome BusTest::create_session(const std::string& tunnel, const Dictionary& options) {
  return call(tunnel, kTunnelInterface, "CreateSession",
              [&](sdbus::MethodCall& message) { message << options; });
}

CallOutcome BusTest::listen(const Dictionary& options) {
  return call(kManagerPath, kManagerInterface, "Listen",
              [&](sdbus::MethodCall& message) { message << options; });
}

CallOutcome BusTest::close(const std::string& path, const std::string& interface) {
  return call(path, interface, "Close");
}

std::optional<sdbus::Variant> BusTest::get(const std::string& path, const std::string& interface,
                                           const std::string& property) {
  CallOutcome outcome = call(path, "org.freedesktop.DBus.Properties", "Get",
                             [&](sdbus::MethodCall& message) { message << interface << property; });
  if (!outcome.ok()) return std::nullopt;
  sdbus::Variant value;
  sdbus::MethodReply reply = *outcome.reply;
  reply.rewind(true);
  reply >> value;
  return value;
}

std::string BusTest::make_tunnel(uid_t owner) {
  callers_->pose_as = owner;
  const CallOutcome outcome = create_tunnel({{"Peer", sdbus::Variant(std::string("192.0.2.1"))}});
  EXPECT_TRUE(outcome.ok()) << outcome.error_name << ": " << outcome.error_message;
  return returned_path(outcome);
}

std::string BusTest::returned_path(const CallOutcome& outcome) {
  if (!outcome.ok()) return {};
  sdbus::ObjectPath path;
  sdbus::MethodReply reply = *outcome.reply;
  reply.rewind(true);
  reply >> path;
  return path;
}

std::vector<BusEvent> BusTest::events_of(const std::string& kind, const std::string& path) const {
  std::vector<BusEvent> found;
  for (const BusEvent& event : events_) {
    if (event.kind == kind && event.path == path) found.push_back(event);
  }
  return found;
}

}  // namespace l2tp::dbus::testing
