// Objects of config files whose local address is not on this host yet
// (DaemonImpl on fake sockets whose host lacks 192.0.2.9): UDP listeners
// bind freely and wait, L2TPIP listeners bind once the address comes,
// static tunnels stay connecting; the bus's callers still get the error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon_fakes.h"

namespace l2tp::daemon::testing {
namespace {

using fsm::ObjectState;
using Op = RecordingDataPlane::Op;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

const fsm::Endpoint kLate = fsm::Endpoint::ipv4({192, 0, 2, 9}, 0);

class LocalAddressTest : public ::testing::Test {
 protected:
  void SetUp() override { bench.sockets().absent.push_back(kLate); }

  std::uint32_t only_listener() { return bench.daemon().listener_ids().at(0); }
  ListenerState listener_state() { return bench.daemon().listener(only_listener())->state; }

  DaemonBench bench;
};

TEST_F(LocalAddressTest, AUdpListenerOfAFileBindsFreelyAndListensOnceTheAddressComes) {
  bench.write_file("lns.tunnel", "[Listener]\nLocal=192.0.2.9:1701\n");
  bench.daemon().load_config();
  ASSERT_EQ(bench.daemon().listener_ids().size(), 1u);
  EXPECT_EQ(listener_state(), ListenerState::kWaiting);
  EXPECT_EQ(bench.sockets().free_bound.size(), 1u);
  EXPECT_EQ(bench.sockets().listeners.size(), 1u);
  EXPECT_EQ(bench.daemon().config_files().at(0).state, ConfigFileState::kUp);

  bench.sockets().add_address(kLate);
  EXPECT_EQ(listener_state(), ListenerState::kListening);
  EXPECT_EQ(bench.observer().listeners.at(only_listener()).state, ListenerState::kListening);
  EXPECT_EQ(bench.observer().of("listener_changed").size(), 1u);

  // Gone again: waiting again.
  bench.sockets().remove_address(kLate);
  EXPECT_EQ(listener_state(), ListenerState::kWaiting);
  EXPECT_EQ(bench.observer().of("listener_changed").size(), 2u);
}

TEST_F(LocalAddressTest, AnL2tpIpListenerOfAFileBindsOnlyOnceTheAddressIsHere) {
  bench.write_file("lns.tunnel",
                   "[Listener]\nLocal=192.0.2.9\nVersion=3\nEncapsulation=ip\n"
                   "Pseudowires=eth\n");
  bench.daemon().load_config();
  ASSERT_EQ(bench.daemon().listener_ids().size(), 1u) << "the listener was lost";
  EXPECT_EQ(listener_state(), ListenerState::kWaiting);
  EXPECT_THAT(bench.sockets().listeners, IsEmpty());
  // Statistics of a listener without a socket.
  EXPECT_EQ(bench.daemon().listener_statistics(only_listener()).at("kernel-drops"), 0u);

  bench.sockets().add_address(kLate);
  EXPECT_EQ(bench.sockets().listeners.size(), 1u);
  EXPECT_EQ(listener_state(), ListenerState::kListening);

  // Closed, its socket goes.
  ASSERT_TRUE(bench.daemon().put_down("lns").has_value());
  EXPECT_THAT(bench.sockets().listeners, IsEmpty());
}

TEST_F(LocalAddressTest, ListenOnTheBusStillFailsWhereTheAddressIsNot) {
  fsm::ListenerConfig config;
  config.local = kLate.with_port(1701);
  const auto refused = bench.daemon().listen(config);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("cannot listen on 192.0.2.9:1701"));
  EXPECT_THAT(bench.daemon().listener_ids(), IsEmpty());

  const auto tunnel = bench.create_tunnel(
      {{"Peer", std::string("192.0.2.2")}, {"Local", std::string("192.0.2.9")}}, 1000);
  ASSERT_FALSE(tunnel.has_value());
  EXPECT_THAT(tunnel.error().message, HasSubstr("Local: cannot bind"));
}

TEST_F(LocalAddressTest, AListenerOnTheBusOnAnAddressThatGoesWaitsForItToComeBack) {
  const fsm::Endpoint here = fsm::Endpoint::ipv4({192, 0, 2, 1}, 1701);
  fsm::ListenerConfig config;
  config.local = here;
  ASSERT_TRUE(bench.daemon().listen(config).has_value());
  EXPECT_EQ(listener_state(), ListenerState::kListening);
  bench.sockets().remove_address(here);
  EXPECT_EQ(listener_state(), ListenerState::kWaiting);
  bench.sockets().add_address(here);
  EXPECT_EQ(listener_state(), ListenerState::kListening);
}

TEST_F(LocalAddressTest, AStaticTunnelOfAFileIsConnectingUntilItsAddressComes) {
  bench.write_file("static.tunnel",
                   "[Tunnel]\nPeer=192.0.2.2\nLocal=192.0.2.9\nVersion=3\nMode=static\n"
                   "TunnelId=100\nPeerTunnelId=200\n\n[Session]\nPseudowire=eth\n"
                   "SessionId=10\nPeerSessionId=20\n");
  bench.daemon().load_config();
  bench.clock().advance(5s);
  ASSERT_TRUE(bench.daemon().tunnel(100).has_value()) << "the tunnel was lost";
  EXPECT_EQ(bench.daemon().tunnel(100)->view.state, ObjectState::kConnecting);
  EXPECT_EQ(bench.daemon().tunnel(100)->config_file, "static");
  EXPECT_THAT(bench.backend().plane.calls_of(Op::kCreateTunnel), IsEmpty());

  bench.sockets().add_address(kLate);
  EXPECT_EQ(bench.daemon().tunnel(100)->view.state, ObjectState::kEstablished);
  bench.clock().advance(1s);
  EXPECT_EQ(bench.backend().plane.calls_of(Op::kCreateTunnel).size(), 1u);
  EXPECT_EQ(bench.daemon().session(100, 10)->view.state, ObjectState::kEstablished);
}

TEST_F(LocalAddressTest, ADynamicTunnelOfAFileBindsFreely) {
  bench.write_file("lac.tunnel", "[Tunnel]\nPeer=192.0.2.2\nLocal=192.0.2.9\n");
  bench.daemon().load_config();
  EXPECT_EQ(bench.daemon().tunnel_ids().size(), 1u);
  EXPECT_EQ(bench.sockets().free_bound_initiators, 1u);
}

TEST_F(LocalAddressTest, WithoutAddressEventsTheDaemonLooksEveryTwoSeconds) {
  bench.sockets().cannot_watch = "no rtnetlink here";
  bench.write_file("lns.tunnel", "[Listener]\nLocal=192.0.2.9:1701\n");
  bench.daemon().load_config();
  EXPECT_EQ(listener_state(), ListenerState::kWaiting);
  bench.sockets().add_address(kLate);  // unheard
  EXPECT_EQ(listener_state(), ListenerState::kWaiting);
  bench.clock().advance(2s);
  EXPECT_EQ(listener_state(), ListenerState::kListening);
  EXPECT_EQ(bench.observer().of("listener_changed").size(), 1u);
}

TEST_F(LocalAddressTest, WildcardListenersNeverWait) {
  bench.write_file("lns.tunnel", "[Listener]\nLocal=0.0.0.0:1701\n");
  bench.daemon().load_config();
  EXPECT_EQ(listener_state(), ListenerState::kListening);
  EXPECT_FALSE(bench.sockets().address_changes) << "nothing to watch";
}

}  // namespace
}  // namespace l2tp::daemon::testing
