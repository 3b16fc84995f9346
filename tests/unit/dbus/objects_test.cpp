// Objects on a private bus: announced complete, every change signalled once,
// a final PropertiesChanged before InterfacesRemoved, properties as the API
// names them.
#include <gmock/gmock.h>
#include <unistd.h>

#include <chrono>

#include "bus_fixture.h"
#include "dbus/properties.h"

namespace l2tp::dbus::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::vector<std::string> keys(const Dictionary& dictionary) {
  std::vector<std::string> names;
  for (const auto& [name, value] : dictionary) names.push_back(name);
  return names;
}

const Dictionary kPeerOnly = {{"Peer", sdbus::Variant(std::string("192.0.2.1:1702"))}};

TEST_F(BusTest, ManagerProperties) {
  EXPECT_EQ(get(kManagerPath, kManagerInterface, "Version")->get<std::string>(), "9.8.7");
  EXPECT_EQ(get(kManagerPath, kManagerInterface, "DataPlane")->get<std::string>(), "null");
  EXPECT_EQ(get(kManagerPath, kManagerInterface, "Features")->get<std::vector<std::string>>(),
            (std::vector<std::string>{"l2tpv2", "l2tpv3", "udp"}));
}

TEST_F(BusTest, TunnelIsAnnouncedCompleteBeforeTheReply) {
  const CallOutcome outcome = create_tunnel(kPeerOnly);
  ASSERT_TRUE(outcome.ok()) << outcome.error_name << ": " << outcome.error_message;
  const std::string path = returned_path(outcome);
  EXPECT_EQ(path, "/org/l2tpbus1/tunnel/4711");

  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].kind, "InterfacesAdded");
  EXPECT_EQ(events_[1].kind, "reply");
  const BusEvent& added = events_[0];
  EXPECT_EQ(added.path, path);
  ASSERT_TRUE(added.interfaces.contains(kTunnelInterface));
  const Dictionary& properties = added.interfaces.at(kTunnelInterface);
  EXPECT_THAT(keys(properties),
              UnorderedElementsAre("State", "Mode", "Version", "Encapsulation", "Role", "Local",
                                   "Peer", "TunnelId", "PeerTunnelId", "PeerHostName",
                                   "PeerVendorName", "Owner", "HelloInterval", "Listener",
                                   "ConfigFile", "Sessions", "Ipsec", "LastResult",
                                   "EstablishedTimestamp", "Statistics"));
  EXPECT_EQ(properties.at("State").get<std::string>(), "connecting");
  EXPECT_EQ(properties.at("EstablishedTimestamp").get<std::uint64_t>(), 0u);
  EXPECT_EQ(properties.at("Mode").get<std::string>(), "dynamic");
  EXPECT_EQ(properties.at("Version").get<std::uint32_t>(), 2u);
  EXPECT_EQ(properties.at("Encapsulation").get<std::string>(), "udp");
  EXPECT_EQ(properties.at("Role").get<std::string>(), "initiator");
  EXPECT_EQ(properties.at("Peer").get<std::string>(), "192.0.2.1:1702");
  EXPECT_EQ(properties.at("TunnelId").get<std::uint32_t>(), 4711u);
  EXPECT_EQ(properties.at("Owner").get<std::uint32_t>(), getuid());
  EXPECT_EQ(properties.at("HelloInterval").get<std::uint32_t>(), 60u);
  EXPECT_EQ(properties.at("Listener").get<sdbus::ObjectPath>(), "/");
  EXPECT_EQ(properties.at("ConfigFile").get<std::string>(), "");
  // Introspectable, Peer and Properties come with every object.
  EXPECT_TRUE(added.interfaces.contains("org.freedesktop.DBus.Properties"));
  EXPECT_TRUE(added.interfaces.contains("org.freedesktop.DBus.Introspectable"));
  EXPECT_TRUE(added.interfaces.contains("org.freedesktop.DBus.Peer"));
}

TEST_F(BusTest, ChangesAreSignalledOnceWithTheChangedValuesOnly) {
  const std::string path = make_tunnel(0);
  events_.clear();

  daemon_->change_tunnel(4711, [](fsm::TunnelView& view) {
    view.state = fsm::ObjectState::kEstablished;
    view.peer_tunnel_id = 99;
    view.peer_host_name = "lns\n.example";
    view.control_tx = 12;  // statistics are never signalled
  });
  daemon_->change_tunnel(4711, [](fsm::TunnelView& view) { view.control_rx = 3; });  // no signal
  run_briefly();

  const auto changes = events_of("PropertiesChanged", path);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].interface, kTunnelInterface);
  EXPECT_THAT(
      keys(changes[0].changed),
      UnorderedElementsAre("State", "PeerTunnelId", "PeerHostName", "EstablishedTimestamp"));
  // Wall-clock µs of the moment it was seen established.
  const auto established_at = changes[0].changed.at("EstablishedTimestamp").get<std::uint64_t>();
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_LE(established_at, static_cast<std::uint64_t>(now));
  EXPECT_GT(established_at, static_cast<std::uint64_t>(now) - 60'000'000);
  EXPECT_EQ(changes[0].changed.at("State").get<std::string>(), "established");
  EXPECT_EQ(changes[0].changed.at("PeerTunnelId").get<std::uint32_t>(), 99u);
  EXPECT_EQ(changes[0].changed.at("PeerHostName").get<std::string>(), "lns\\x0a.example");

  // Statistics are read when asked.
  const auto statistics = get(path, kTunnelInterface, "Statistics");
  ASSERT_TRUE(statistics.has_value());
  const auto counters = statistics->get<std::map<std::string, std::uint64_t>>();
  EXPECT_EQ(counters.at("control-tx"), 12u);
  EXPECT_EQ(counters.at("control-rx"), 3u);
}

TEST_F(BusTest, RemovalSendsFinalValuesThenInterfacesRemoved) {
  const std::string path = make_tunnel(0);
  events_.clear();

  daemon_->remove_tunnel(4711, {1, 0, "goodbye"});
  run_briefly();

  std::vector<std::string> kinds;
  for (const BusEvent& event : events_) {
    if (event.path == path) kinds.push_back(event.kind);
  }
  EXPECT_THAT(kinds, ElementsAre("PropertiesChanged", "InterfacesRemoved"));
  const auto changes = events_of("PropertiesChanged", path);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].changed.at("State").get<std::string>(), "closed");
  const auto result = changes[0]
                          .changed.at("LastResult")
                          .get<sdbus::Struct<std::uint32_t, std::uint32_t, std::string>>();
  EXPECT_EQ(std::get<0>(result), 1u);
  EXPECT_EQ(std::get<2>(result), "goodbye");
  EXPECT_THAT(events_of("InterfacesRemoved", path)[0].removed,
              ::testing::Contains(std::string(kTunnelInterface)));

  // Gone from the bus once the loop had a moment.
  run_briefly();
  EXPECT_FALSE(get(path, kTunnelInterface, "State").has_value());
}

TEST_F(BusTest, ClosedAnnouncedBeforeRemovalIsNotRepeated) {
  const std::string path = make_tunnel(0);
  events_.clear();
  daemon_->change_tunnel(4711, [](fsm::TunnelView& view) {
    view.state = fsm::ObjectState::kClosed;
    view.last_result = {1, 0, "goodbye"};
  });
  daemon_->remove_tunnel(4711, {1, 0, "goodbye"});
  run_briefly();
  std::vector<std::string> kinds;
  for (const BusEvent& event : events_) {
    if (event.path == path) kinds.push_back(event.kind);
  }
  EXPECT_THAT(kinds, ElementsAre("PropertiesChanged", "InterfacesRemoved"));
  const auto changes = events_of("PropertiesChanged", path);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].changed.at("State").get<std::string>(), "closed");
  EXPECT_TRUE(changes[0].changed.contains("LastResult"));
}

TEST_F(BusTest, FinalValuesComeLastEvenAfterLateChanges) {
  // Closed is announced, then the tunnel's sessions leave: nothing about them
  // is signalled on the tunnel, so closed stays its last PropertiesChanged.
  const std::string path = make_tunnel(0);
  ASSERT_TRUE(create_session(path, {}).ok());
  daemon_->change_tunnel(4711, [](fsm::TunnelView& view) {
    view.state = fsm::ObjectState::kClosed;
    view.last_result = {1, 0, "goodbye"};
  });
  run_briefly();
  events_.clear();
  daemon_->remove_tunnel(4711, {1, 0, "goodbye"});
  run_briefly();
  EXPECT_TRUE(events_of("PropertiesChanged", path).empty());
  std::vector<std::string> kinds;
  for (const BusEvent& event : events_) {
    if (event.path == path) kinds.push_back(event.kind);
  }
  EXPECT_THAT(kinds, ElementsAre("InterfacesRemoved"));
  // Its session left first, and named its tunnel.
  EXPECT_EQ(events_of("InterfacesRemoved", path + "/session/17").size(), 1u);
}

TEST_F(BusTest, FinalValuesSurviveADaemonThatForgotTheObject) {
  const std::string path = make_tunnel(0);
  daemon_->forget_before_removed = true;
  events_.clear();
  daemon_->remove_tunnel(4711, {1, 0, "goodbye"});
  run_briefly();
  const auto changes = events_of("PropertiesChanged", path);
  ASSERT_EQ(changes.size(), 1u);
  // The view was gone: State is forced to closed, LastResult sent as last known.
  EXPECT_EQ(changes[0].changed.at("State").get<std::string>(), "closed");
  EXPECT_TRUE(changes[0].changed.contains("LastResult"));
  EXPECT_EQ(events_of("InterfacesRemoved", path).size(), 1u);
}

TEST_F(BusTest, SessionsComeAndGoWithTheirTunnel) {
  const std::string tunnel = make_tunnel(0);
  const CallOutcome created = create_session(tunnel, {});
  ASSERT_TRUE(created.ok()) << created.error_name << ": " << created.error_message;
  const std::string session = returned_path(created);
  EXPECT_EQ(session, "/org/l2tpbus1/tunnel/4711/session/17");
  ASSERT_EQ(events_of("InterfacesAdded", session).size(), 1u);
  const Dictionary properties =
      events_of("InterfacesAdded", session)[0].interfaces.at(kSessionInterface);
  EXPECT_EQ(properties.at("Pseudowire").get<std::string>(), "ppp");
  EXPECT_EQ(properties.at("SessionId").get<std::uint32_t>(), 17u);
  EXPECT_TRUE(properties.at("Ip4Config").get<Dictionary>().empty());
  // The tunnel's Sessions followed.
  const auto sessions = get(tunnel, kTunnelInterface, "Sessions");
  ASSERT_TRUE(sessions.has_value());
  EXPECT_EQ(sessions->get<std::vector<sdbus::ObjectPath>>(),
            std::vector<sdbus::ObjectPath>{sdbus::ObjectPath(session)});

  // PPP comes up: Ip4Config and State change together.
  events_.clear();
  daemon_->change_session(4711, 17, [](fsm::SessionView& view) {
    view.state = fsm::ObjectState::kEstablished;
    view.ppp = fsm::PppAddresses{"10.0.0.2", "10.0.0.1", 32, {"10.0.0.53"}, 1400, "ppp0"};
  });
  run_briefly();
  auto changes = events_of("PropertiesChanged", session);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_THAT(keys(changes[0].changed),
              UnorderedElementsAre("State", "Ip4Config", "EstablishedTimestamp"));
  EXPECT_EQ(changes[0].changed.at("Ip4Config").get<Dictionary>().at("address").get<std::string>(),
            "10.0.0.2");

  // The tunnel goes: the session leaves first, then the tunnel with its
  // final values; the tunnel's Sessions is never signalled.
  events_.clear();
  daemon_->remove_tunnel(4711, {1, 0, ""});
  run_briefly();
  std::vector<std::string> order;
  for (const BusEvent& event : events_) {
    if (event.kind != "reply") order.push_back(event.kind + " " + event.path);
  }
  ASSERT_GE(order.size(), 4u);
  EXPECT_EQ(order[0], "PropertiesChanged " + session);
  EXPECT_EQ(order[1], "InterfacesRemoved " + session);
  EXPECT_EQ(order[order.size() - 2], "PropertiesChanged " + tunnel);
  EXPECT_EQ(order.back(), "InterfacesRemoved " + tunnel);
  const auto tunnel_changes = events_of("PropertiesChanged", tunnel);
  EXPECT_TRUE(tunnel_changes.back().changed.contains("State"));
  for (const BusEvent& change : tunnel_changes) EXPECT_FALSE(change.changed.contains("Sessions"));
}

TEST_F(BusTest, ObjectManagerListsTheObjects) {
  const std::string tunnel = make_tunnel(0);
  const CallOutcome outcome =
      call(kManagerPath, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
  ASSERT_TRUE(outcome.ok()) << outcome.error_name;
  std::map<sdbus::ObjectPath, std::map<std::string, Dictionary>> objects;
  sdbus::MethodReply reply = *outcome.reply;
  reply >> objects;
  ASSERT_TRUE(objects.contains(sdbus::ObjectPath(tunnel)));
  EXPECT_EQ(
      objects.at(sdbus::ObjectPath(tunnel)).at(kTunnelInterface).at("State").get<std::string>(),
      "connecting");
}

TEST_F(BusTest, ListenerTracksAcceptedTunnels) {
  callers_->pose_as = 0;
  const CallOutcome outcome = listen({{"Local", sdbus::Variant(std::string("127.0.0.1:1701"))}});
  ASSERT_TRUE(outcome.ok()) << outcome.error_name << ": " << outcome.error_message;
  const std::string listener = returned_path(outcome);
  EXPECT_EQ(listener, "/org/l2tpbus1/listener/1");
  EXPECT_EQ(get(listener, kListenerInterface, "Local")->get<std::string>(), "127.0.0.1:1701");

  events_.clear();
  daemon_->accept_tunnel(1, 300);
  run_briefly();
  const auto added = events_of("InterfacesAdded", tunnel_path(300));
  ASSERT_EQ(added.size(), 1u);
  // The tunnel names its listener; the listener signals nothing (with N
  // tunnels it would send N paths at each new one).
  EXPECT_EQ(added[0].interfaces.at(kTunnelInterface).at("Listener").get<sdbus::ObjectPath>(),
            listener);
  EXPECT_TRUE(events_of("PropertiesChanged", listener).empty());
  EXPECT_EQ(get(listener, kListenerInterface, "Tunnels")->get<std::vector<sdbus::ObjectPath>>(),
            std::vector<sdbus::ObjectPath>{sdbus::ObjectPath(tunnel_path(300))});
  const auto statistics =
      get(listener, kListenerInterface, "Statistics")->get<std::map<std::string, std::uint64_t>>();
  EXPECT_EQ(statistics.at("accepted"), 1u);

  // The accepted tunnel goes: Tunnels follows, though the daemon reported no
  // listener change.
  daemon_->accept_tunnel(1, 301);
  daemon_->remove_tunnel(301, {1, 0, ""});
  run_briefly();
  EXPECT_EQ(get(listener, kListenerInterface, "Tunnels")->get<std::vector<sdbus::ObjectPath>>(),
            std::vector<sdbus::ObjectPath>{sdbus::ObjectPath(tunnel_path(300))});

  // Closing the listener leaves the accepted tunnel alone.
  const CallOutcome closed = close(listener, kListenerInterface);
  EXPECT_TRUE(closed.ok()) << closed.error_name;
  run_briefly();
  EXPECT_EQ(events_of("InterfacesRemoved", listener).size(), 1u);
  EXPECT_TRUE(get(tunnel_path(300), kTunnelInterface, "State").has_value());
}

}  // namespace
}  // namespace l2tp::dbus::testing
