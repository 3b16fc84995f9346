// The daemon core (DaemonImpl) on fake ports: the order of start-up
// reconciliation, the per-uid and daemon limits, who owns what, shutdown with
// tunnels open, and a data plane that fails while a session is set up.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon_fakes.h"

namespace l2tp::daemon::testing {
namespace {

using fsm::ObjectState;
using Op = RecordingDataPlane::Op;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

constexpr uid_t kUser = 1000;
constexpr uid_t kOtherUser = 1001;

config::OptionMap dynamic_tunnel_to_peer() {
  return {{"Peer", std::string("192.0.2.2")}, {"Local", std::string("192.0.2.1")}};
}

config::OptionMap static_tunnel(std::uint32_t id) {
  return {{"Peer", std::string("192.0.2.2")},
          {"Local", std::string("192.0.2.1")},
          {"Version", std::uint32_t{3}},
          {"Mode", std::string("static")},
          {"TunnelId", id},
          {"PeerTunnelId", id + 1}};
}

fsm::SessionConfig eth_session(std::uint32_t id) {
  fsm::SessionConfig config;
  config.pseudowire = fsm::Pseudowire::kEth;
  config.session_id = id;
  config.peer_session_id = id + 1;
  return config;
}

// ---- Start-up ------------------------------------------------------------------

TEST(DaemonStartup, ReconcilesOnlyOnTheFirstLoopTurnAfterTheFilesAreApplied) {
  DaemonBench bench;
  bench.write_file("static.tunnel",
                   "[Tunnel]\nPeer=192.0.2.2\nLocal=192.0.2.1\nVersion=3\nMode=static\n"
                   "TunnelId=100\nPeerTunnelId=200\n\n[Session]\nPseudowire=eth\n"
                   "SessionId=10\nPeerSessionId=20\n");
  bench.write_file("other.tunnel", "[Tunnel]\nPeer=192.0.2.3\n");
  // main.cpp's order: the daemon is built, then owns the bus name, then
  // applies the files; nothing recorded by an earlier run may be deleted
  // before that.
  bench.daemon().load_config();
  EXPECT_THAT(bench.backend().reconciled, IsEmpty());
  bench.clock().advance(0ms);
  ASSERT_EQ(bench.backend().reconciled.size(), 1u);
  const dataplane::StaticObjects& configured = bench.backend().reconciled[0];
  EXPECT_EQ(configured.tunnels, (std::set<std::uint32_t>{100}));
  EXPECT_EQ(configured.sessions, (std::set<std::pair<std::uint32_t, std::uint32_t>>{{100, 10}}));
  // The configured static tunnel was asked of the data plane before the
  // leftovers went (adoption first, then deletion of the rest).
  ASSERT_EQ(bench.backend().calls_before_reconcile.size(), 1u);
  EXPECT_GE(bench.backend().calls_before_reconcile[0], 1u);
  bench.clock().advance(10s);
  EXPECT_EQ(bench.backend().reconciled.size(), 1u);
}

// ---- Owners ----------------------------------------------------------------------

TEST(DaemonOwners, TheCreatorOwnsItsTunnelFromItsFirstEvent) {
  DaemonBench bench;
  const auto created = bench.create_tunnel(dynamic_tunnel_to_peer(), kUser);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  const auto added = bench.observer().of("tunnel_added");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].tunnel_id, *created);
  EXPECT_EQ(added[0].owner, kUser);
  EXPECT_EQ(bench.daemon().tunnel(*created)->owner, kUser);
}

TEST(DaemonOwners, SessionsBelongToTheirCreatorAndThePeersCallsToTheTunnelsOwner) {
  DaemonBench bench;
  bench.start_peer();
  const auto tunnel = bench.create_tunnel(dynamic_tunnel_to_peer(), kUser);
  ASSERT_TRUE(tunnel.has_value()) << tunnel.error().message;
  bench.clock().advance(1s);
  ASSERT_EQ(bench.daemon().tunnel(*tunnel)->view.state, ObjectState::kEstablished);

  const auto mine = bench.daemon().create_session(*tunnel, {}, kOtherUser);
  ASSERT_TRUE(mine.has_value()) << mine.error().message;
  const std::uint32_t peers = bench.peer_calls(bench.peer_tunnel());
  bench.clock().advance(1s);

  EXPECT_EQ(bench.observer().last("session_added", *tunnel, *mine)->owner, kOtherUser);
  std::optional<std::uint32_t> peer_session;
  for (const Observed& event : bench.observer().of("session_added")) {
    if (event.session_id != *mine) peer_session = event.session_id;
  }
  ASSERT_TRUE(peer_session.has_value()) << "the peer's call " << peers << " never arrived";
  EXPECT_EQ(bench.observer().last("session_added", *tunnel, *peer_session)->owner, kUser);
}

TEST(DaemonOwners, TunnelsAcceptedAtAListenerBelongToRoot) {
  DaemonBench bench;
  fsm::ListenerConfig listener;
  listener.local = fsm::Endpoint::ipv4({192, 0, 2, 1}, 1701);
  ASSERT_TRUE(bench.daemon().listen(listener).has_value());
  bench.start_peer_calling_us();
  bench.clock().advance(1s);
  const auto added = bench.observer().of("tunnel_added");
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].owner, 0u);
}

// ---- Limits ----------------------------------------------------------------------

TEST(DaemonLimits, AUserStopsAtMaxTunnelsPerUserAndRootDoesNot) {
  config::DaemonSettings settings;
  settings.max_tunnels_per_user = 2;
  DaemonBench bench(settings);
  ASSERT_TRUE(bench.create_tunnel(dynamic_tunnel_to_peer(), kUser).has_value());
  ASSERT_TRUE(bench.create_tunnel(dynamic_tunnel_to_peer(), kUser).has_value());
  const auto third = bench.create_tunnel(dynamic_tunnel_to_peer(), kUser);
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().kind, FailureKind::kLimitExceeded);
  EXPECT_THAT(third.error().message, ::testing::HasSubstr("uid 1000"));
  EXPECT_TRUE(bench.create_tunnel(dynamic_tunnel_to_peer(), kOtherUser).has_value());
  EXPECT_TRUE(bench.create_tunnel(dynamic_tunnel_to_peer(), 0).has_value());
  EXPECT_EQ(bench.observer().of("tunnel_added").size(), 4u);
}

TEST(DaemonLimits, AClosedTunnelGivesItsOwnerRoomAgain) {
  config::DaemonSettings settings;
  settings.max_tunnels_per_user = 1;
  DaemonBench bench(settings);
  const auto first = bench.create_tunnel(static_tunnel(100), kUser);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_FALSE(bench.create_tunnel(static_tunnel(102), kUser).has_value());
  ASSERT_TRUE(bench.daemon().close_tunnel(*first).has_value());
  bench.clock().advance(0ms);
  EXPECT_TRUE(bench.create_tunnel(static_tunnel(102), kUser).has_value());
}

TEST(DaemonLimits, MaxSessionsPerUserCountsSessionsInAllTheUsersTunnels) {
  config::DaemonSettings settings;
  settings.max_sessions_per_user = 1;
  DaemonBench bench(settings);
  const auto a = bench.create_tunnel(static_tunnel(100), kUser);
  const auto b = bench.create_tunnel(static_tunnel(102), kUser);
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_TRUE(bench.daemon().create_session(*a, eth_session(10), kUser).has_value());
  const auto refused = bench.daemon().create_session(*b, eth_session(12), kUser);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, FailureKind::kLimitExceeded);
  EXPECT_THAT(refused.error().message, ::testing::HasSubstr("MaxSessionsPerUser"));
  EXPECT_TRUE(bench.daemon().create_session(*b, eth_session(12), 0).has_value());
}

TEST(DaemonLimits, AnUnavailableDataPlaneRefusesStaticTunnelsAndSessionsUpFront) {
  DaemonBench bench;
  bench.backend().unavailable_reason = "no L2TP here";
  const auto tunnel = bench.create_tunnel(static_tunnel(100), kUser);
  ASSERT_FALSE(tunnel.has_value());
  EXPECT_EQ(tunnel.error().kind, FailureKind::kNotSupported);
  EXPECT_THAT(tunnel.error().message, ::testing::HasSubstr("no L2TP here"));
  EXPECT_THAT(bench.observer().events, IsEmpty());
  EXPECT_THAT(bench.daemon().features(), ::testing::Not(::testing::Contains("eth")));
}

// ---- Data plane ------------------------------------------------------------------

TEST(DaemonDataPlane, ASessionTheKernelRefusesEndsWithItsReason) {
  DaemonBench bench;
  const auto tunnel = bench.create_tunnel(static_tunnel(100), kUser);
  ASSERT_TRUE(tunnel.has_value()) << tunnel.error().message;
  bench.clock().advance(0ms);
  bench.backend().plane.session_answer = RecordingDataPlane::Answer::kFail;
  const auto session = bench.daemon().create_session(*tunnel, eth_session(10), kUser);
  ASSERT_TRUE(session.has_value()) << session.error().message;
  bench.clock().advance(0ms);

  const auto removed = bench.observer().last("session_removed", *tunnel, *session);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->state, ObjectState::kClosed);
  EXPECT_EQ(removed->last_result.result, 2);
  EXPECT_EQ(removed->last_result.error, 6);
  EXPECT_THAT(removed->last_result.message, ::testing::HasSubstr("kernel session failed"));
  EXPECT_EQ(removed->owner, kUser);
  // The owner's session is counted no more: another may be made.
  EXPECT_TRUE(bench.daemon().create_session(*tunnel, eth_session(12), kUser).has_value());
  EXPECT_EQ(bench.daemon().tunnel(*tunnel)->view.state, ObjectState::kEstablished);
}

TEST(DaemonDataPlane, AnUnsupportedPseudowireIsRefusedBeforeTheEngineSeesIt) {
  DaemonBench bench;
  bench.backend().refused_pseudowires = {fsm::Pseudowire::kEth};
  const auto tunnel = bench.create_tunnel(static_tunnel(100), kUser);
  ASSERT_TRUE(tunnel.has_value());
  const auto refused = bench.daemon().create_session(*tunnel, eth_session(10), kUser);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, FailureKind::kNotSupported);
  EXPECT_THAT(bench.observer().of("session_added"), IsEmpty());
}

// ---- Shutdown --------------------------------------------------------------------

TEST(DaemonShutdown, ClosesEveryTunnelAndFinishesOnceThePeerAcknowledged) {
  DaemonBench bench;
  bench.start_peer();
  const auto dynamic = bench.create_tunnel(dynamic_tunnel_to_peer(), kUser);
  const auto fixed = bench.create_tunnel(static_tunnel(100), 0);
  ASSERT_TRUE(dynamic.has_value() && fixed.has_value());
  bench.clock().advance(1s);
  ASSERT_EQ(bench.daemon().tunnel(*dynamic)->view.state, ObjectState::kEstablished);

  bool done = false;
  bench.daemon().shutdown(10s, [&] { done = true; });
  EXPECT_FALSE(done);
  EXPECT_EQ(bench.sockets().sent_of(wire::MessageType::kStopccn), 1u);
  bench.clock().advance(1s);
  EXPECT_TRUE(done);
  EXPECT_EQ(bench.observer().last("tunnel_removed", *dynamic)->last_result.result, 1);
  EXPECT_TRUE(bench.observer().last("tunnel_removed", *fixed).has_value());
  EXPECT_THAT(bench.daemon().tunnel_ids(), IsEmpty());
}

TEST(DaemonShutdown, GivesUpAfterTheGracePeriodWhenThePeerIsSilent) {
  DaemonBench bench;
  const auto tunnel = bench.create_tunnel(dynamic_tunnel_to_peer(), kUser);
  ASSERT_TRUE(tunnel.has_value());
  bool done = false;
  bench.daemon().shutdown(3s, [&] { done = true; });
  bench.clock().advance(2900ms);
  EXPECT_FALSE(done);
  bench.clock().advance(200ms);
  EXPECT_TRUE(done);
}

TEST(DaemonShutdown, WithNothingOpenFinishesOnTheNextTurn) {
  DaemonBench bench;
  bool done = false;
  bench.daemon().shutdown(3s, [&] { done = true; });
  EXPECT_FALSE(done);  // never from inside the call: the caller may destroy the daemon
  bench.clock().advance(0ms);
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace l2tp::daemon::testing
