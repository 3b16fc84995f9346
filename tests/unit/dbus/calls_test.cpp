// The call pipeline: validate, then authorize, then act, then reply; nothing
// is created when a step fails.
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "authz/authority.h"
#include "bus_fixture.h"
#include "dbus/caller.h"
#include "dbus/errors.h"
#include "dbus/properties.h"

namespace l2tp::dbus::testing {
namespace {

const Dictionary kPeerOnly = {{"Peer", sdbus::Variant(std::string("192.0.2.1"))}};

class CallTest : public BusTest {
 protected:
  // Nothing reached the daemon, nothing appeared on the bus.
  void expect_nothing_created() {
    EXPECT_EQ(daemon_->create_tunnel_calls, 0);
    EXPECT_EQ(daemon_->create_session_calls, 0);
    EXPECT_EQ(daemon_->listen_calls, 0);
    expect_nothing_announced();
  }
  void expect_nothing_announced() {
    for (const BusEvent& event : events_) EXPECT_NE(event.kind, "InterfacesAdded") << event.path;
  }
};

TEST_F(CallTest, UnknownKeyIsRefusedBeforeAuthorization) {
  callers_->pose_as = 1000;
  const CallOutcome outcome = create_tunnel(
      {{"Peer", sdbus::Variant(std::string("192.0.2.1"))}, {"Colour", sdbus::Variant(true)}});
  EXPECT_EQ(outcome.error_name, kErrorInvalidArgs);
  EXPECT_EQ(outcome.error_message, "Colour: unknown option");
  EXPECT_TRUE(authority_->checks.empty());
  expect_nothing_created();
}

TEST_F(CallTest, WrongTypeIsRefusedNamingTheKey) {
  const CallOutcome outcome = create_tunnel({{"Peer", sdbus::Variant(std::string("192.0.2.1"))},
                                             {"HelloInterval", sdbus::Variant(std::string("60"))}});
  EXPECT_EQ(outcome.error_name, kErrorInvalidArgs);
  EXPECT_EQ(outcome.error_message, "HelloInterval: expected type u");
  expect_nothing_created();
}

TEST_F(CallTest, BadValueIsRefusedWithTheValidatorsMessage) {
  callers_->pose_as = 1000;
  const CallOutcome outcome = create_tunnel({{"Peer", sdbus::Variant(std::string("192.0.2.1"))},
                                             {"Version", sdbus::Variant(std::uint32_t{7})}});
  EXPECT_EQ(outcome.error_name, kErrorInvalidArgs);
  EXPECT_EQ(outcome.error_message.rfind("Version: ", 0), 0u) << outcome.error_message;
  EXPECT_TRUE(authority_->checks.empty());
  expect_nothing_created();

  const CallOutcome missing = create_tunnel({});
  EXPECT_EQ(missing.error_name, kErrorInvalidArgs);
  EXPECT_EQ(missing.error_message.rfind("Peer: ", 0), 0u) << missing.error_message;
  expect_nothing_created();
}

TEST_F(CallTest, SessionOptionsAreJudgedByTheTunnelsVersion) {
  const std::string tunnel = make_tunnel(0);  // L2TPv2
  daemon_->create_tunnel_calls = 0;
  events_.clear();
  const CallOutcome outcome =
      create_session(tunnel, {{"Pseudowire", sdbus::Variant(std::string("eth"))}});
  EXPECT_EQ(outcome.error_name, kErrorInvalidArgs);
  EXPECT_EQ(outcome.error_message.rfind("Pseudowire: ", 0), 0u) << outcome.error_message;
  expect_nothing_created();
}

// CreateSession is served by the fallback vtable, which reads its a{sv}
// itself: every vocabulary type arrives as it was sent, and a value of any
// other type (here a struct and an int64) is refused naming its key.
TEST_F(CallTest, SessionOptionsOfEveryTypeArriveIntact) {
  const std::string tunnel = make_tunnel(0);
  const CallOutcome outcome = create_session(
      tunnel, {{"Pseudowire", sdbus::Variant(std::string("ppp"))},
               {"Mtu", sdbus::Variant(std::uint32_t{1400})},
               {"UsePeerDns", sdbus::Variant(true)},
               {"Authentication", sdbus::Variant(std::vector<std::string>{"chap", "pap"})},
               {"User", sdbus::Variant(std::string("alice"))}});
  ASSERT_EQ(outcome.error_name, "") << outcome.error_message;
  ASSERT_TRUE(daemon_->last_session_config.has_value());
  const fsm::SessionConfig& config = *daemon_->last_session_config;
  EXPECT_EQ(config.mtu, 1400u);
  EXPECT_TRUE(config.ppp.use_peer_dns);
  EXPECT_EQ(config.ppp.authentication, (std::vector<std::string>{"chap", "pap"}));
  EXPECT_EQ(config.ppp.user, "alice");

  daemon_->create_session_calls = 0;
  const CallOutcome structured = create_session(
      tunnel, {{"Pseudowire", sdbus::Variant(sdbus::Struct<std::string, std::string>("p", "pp"))}});
  EXPECT_EQ(structured.error_name, kErrorInvalidArgs);
  EXPECT_EQ(structured.error_message, "Pseudowire: expected type s");
  const CallOutcome wide = create_session(tunnel, {{"Mtu", sdbus::Variant(std::int64_t{1400})}});
  EXPECT_EQ(wide.error_name, kErrorInvalidArgs);
  EXPECT_EQ(wide.error_message, "Mtu: expected type u");
  EXPECT_EQ(daemon_->create_session_calls, 0);
}

TEST_F(CallTest, RootSkipsPolkit) {
  callers_->pose_as = 0;
  EXPECT_TRUE(create_tunnel(kPeerOnly).ok());
  EXPECT_TRUE(listen({}).ok());
  EXPECT_TRUE(authority_->checks.empty());
  EXPECT_EQ(daemon_->last_owner, 0u);
}

TEST_F(CallTest, RealCredentialsAreRead) {
  // No posing: the uid comes from the bus daemon.
  EXPECT_TRUE(create_tunnel(kPeerOnly).ok());
  ASSERT_TRUE(callers_->last_real.has_value());
  EXPECT_EQ(callers_->last_real->uid, getuid());
  EXPECT_EQ(callers_->last_real->sender, client_->getUniqueName());
}

TEST_F(CallTest, OthersAskPolkitForCreateTunnel) {
  callers_->pose_as = 1000;
  const CallOutcome outcome = create_tunnel(kPeerOnly);
  ASSERT_TRUE(outcome.ok()) << outcome.error_name;
  ASSERT_EQ(authority_->checks.size(), 1u);
  EXPECT_EQ(authority_->checks[0].action, authz::kActionCreateTunnel);
  EXPECT_EQ(authority_->checks[0].sender, client_->getUniqueName());
  EXPECT_FALSE(authority_->checks[0].allow_interaction);
  EXPECT_EQ(daemon_->last_owner, 1000u);
  EXPECT_EQ(get(returned_path(outcome), kTunnelInterface, "Owner")->get<std::uint32_t>(), 1000u);
}

TEST_F(CallTest, AllowInteractiveFlagReachesPolkit) {
  callers_->pose_as = 1000;
  ASSERT_TRUE(create_tunnel(kPeerOnly, /*allow_interaction=*/true).ok());
  ASSERT_EQ(authority_->checks.size(), 1u);
  EXPECT_TRUE(authority_->checks[0].allow_interaction);
}

TEST_F(CallTest, DeniedCreatesNothing) {
  callers_->pose_as = 1000;
  authority_->verdict = {authz::Decision::kDenied, ""};
  const CallOutcome outcome = create_tunnel(kPeerOnly);
  EXPECT_EQ(outcome.error_name, "org.freedesktop.DBus.Error.AccessDenied");
  expect_nothing_created();
}

TEST_F(CallTest, InteractionRequired) {
  callers_->pose_as = 1000;
  authority_->verdict = {authz::Decision::kInteractionRequired, ""};
  const CallOutcome outcome = listen({});
  EXPECT_EQ(outcome.error_name, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
  EXPECT_EQ(authority_->checks.at(0).action, authz::kActionListen);
  expect_nothing_created();
}

TEST_F(CallTest, PolkitFailureIsFailed) {
  callers_->pose_as = 1000;
  authority_->verdict = {authz::Decision::kFailed, "polkit is not running"};
  const CallOutcome outcome = create_tunnel(kPeerOnly);
  EXPECT_EQ(outcome.error_name, "org.l2tpbus1.Error.Failed");
  EXPECT_NE(outcome.error_message.find("polkit is not running"), std::string::npos);
  expect_nothing_created();
}

TEST_F(CallTest, OwnersCloseTheirTunnelsWithoutPolkit) {
  const std::string tunnel = make_tunnel(1000);
  authority_->checks.clear();
  callers_->pose_as = 1000;
  const CallOutcome outcome = close(tunnel, kTunnelInterface);
  EXPECT_TRUE(outcome.ok()) << outcome.error_name;
  EXPECT_TRUE(authority_->checks.empty());
  EXPECT_EQ(get(tunnel, kTunnelInterface, "State")->get<std::string>(), "closing");
}

TEST_F(CallTest, OthersNeedManageTunnelsToClose) {
  const std::string tunnel = make_tunnel(1000);
  authority_->checks.clear();
  callers_->pose_as = 1001;
  authority_->verdict = {authz::Decision::kDenied, ""};
  const CallOutcome outcome = close(tunnel, kTunnelInterface);
  EXPECT_EQ(outcome.error_name, kErrorAccessDenied);
  ASSERT_EQ(authority_->checks.size(), 1u);
  EXPECT_EQ(authority_->checks[0].action, authz::kActionManageTunnels);
  EXPECT_EQ(daemon_->close_calls, 0);
}

TEST_F(CallTest, CreateSessionAsksByOwnership) {
  const std::string tunnel = make_tunnel(1000);
  authority_->checks.clear();

  callers_->pose_as = 1000;
  EXPECT_TRUE(create_session(tunnel, {}).ok());
  callers_->pose_as = 1001;
  EXPECT_TRUE(create_session(tunnel, {}).ok());
  ASSERT_EQ(authority_->checks.size(), 2u);
  EXPECT_EQ(authority_->checks[0].action, authz::kActionCreateTunnel);
  EXPECT_EQ(authority_->checks[1].action, authz::kActionManageTunnels);
  EXPECT_EQ(daemon_->last_owner, 1001u);
}

TEST_F(CallTest, SessionOwnersCloseWithoutPolkit) {
  const std::string tunnel = make_tunnel(0);
  callers_->pose_as = 1000;  // a session in root's tunnel, made by an administrator
  const std::string session = returned_path(create_session(tunnel, {}));
  authority_->checks.clear();
  EXPECT_TRUE(close(session, kSessionInterface).ok());
  EXPECT_TRUE(authority_->checks.empty());
}

TEST_F(CallTest, ListenerCloseNeedsListen) {
  callers_->pose_as = 0;
  const std::string listener = returned_path(listen({}));
  callers_->pose_as = 1000;
  authority_->verdict = {authz::Decision::kDenied, ""};
  EXPECT_EQ(close(listener, kListenerInterface).error_name, kErrorAccessDenied);
  EXPECT_EQ(authority_->checks.at(0).action, authz::kActionListen);
}

TEST_F(CallTest, DaemonFailuresMapThroughTheTable) {
  callers_->pose_as = 0;
  const std::vector<std::pair<daemon::FailureKind, std::string>> table = {
      {daemon::FailureKind::kInvalidArgs, "org.freedesktop.DBus.Error.InvalidArgs"},
      {daemon::FailureKind::kNotSupported, "org.l2tpbus1.Error.NotSupported"},
      {daemon::FailureKind::kExists, "org.l2tpbus1.Error.Exists"},
      {daemon::FailureKind::kLimitExceeded, "org.l2tpbus1.Error.LimitExceeded"},
      {daemon::FailureKind::kNotFound, "org.freedesktop.DBus.Error.UnknownObject"},
      {daemon::FailureKind::kFailed, "org.l2tpbus1.Error.Failed"},
  };
  for (const auto& [kind, name] : table) {
    daemon_->fail_next = daemon::Failure{kind, "because"};
    const CallOutcome outcome = create_tunnel(kPeerOnly);
    EXPECT_EQ(outcome.error_name, name);
    EXPECT_EQ(outcome.error_message, "because");
  }
  daemon_->fail_next = daemon::Failure{daemon::FailureKind::kLimitExceeded, "16 tunnels"};
  EXPECT_EQ(listen({}).error_name, "org.l2tpbus1.Error.LimitExceeded");
  expect_nothing_announced();
}

TEST_F(CallTest, CloseThatRemovesAtOnceIsSafe) {
  // A static tunnel goes away inside the Close call that removes it: the
  // object must outlive the dispatch of that very call.
  const std::string tunnel = make_tunnel(0);
  const std::string session = returned_path(create_session(tunnel, {}));
  daemon_->close_removes_at_once = true;
  events_.clear();
  EXPECT_TRUE(close(session, kSessionInterface).ok());
  EXPECT_TRUE(close(tunnel, kTunnelInterface).ok());
  EXPECT_EQ(events_of("InterfacesRemoved", session).size(), 1u);
  EXPECT_EQ(events_of("InterfacesRemoved", tunnel).size(), 1u);
  run_briefly();
  EXPECT_FALSE(get(tunnel, kTunnelInterface, "State").has_value());
  // The same id again at once, as a static tunnel with a fixed TunnelId may be.
  daemon_->close_removes_at_once = true;
  daemon_->reuse_tunnel_ids = true;
  EXPECT_TRUE(close(make_tunnel(0), kTunnelInterface).ok());
  EXPECT_EQ(make_tunnel(0), tunnel);
  EXPECT_EQ(get(tunnel, kTunnelInterface, "State")->get<std::string>(), "connecting");
}

TEST_F(CallTest, ActsFromTheLoopNeverInsideTheDispatchOfTheCall) {
  // Root with a remembered uid is identified and authorized at once, inside
  // the dispatch of its call; acting there could destroy the very object
  // being dispatched (a static tunnel goes away inside its Close).
  const std::string tunnel = make_tunnel(0);  // the uid is remembered from here on
  const std::string session = returned_path(create_session(tunnel, {}));
  callers_->pose_as = 0;
  const std::string listener = returned_path(listen({}));
  sd_bus* const server = sd_bus_message_get_bus(raw_message(
      sdbus::createProxy(*server_, kBusName, kManagerPath)->createMethodCall("x.y", "Z")));
  std::vector<std::string> dispatched_while_acting;
  daemon_->on_act = [&] {
    sd_bus_message* const current = sd_bus_get_current_message(server);
    if (current != nullptr) dispatched_while_acting.emplace_back(sd_bus_message_get_path(current));
  };
  daemon_->close_removes_at_once = true;
  events_.clear();

  EXPECT_TRUE(close(session, kSessionInterface).ok());
  EXPECT_TRUE(close(tunnel, kTunnelInterface).ok());
  EXPECT_TRUE(close(listener, kListenerInterface).ok());
  EXPECT_FALSE(make_tunnel(0).empty());  // creating acts from the loop as well

  EXPECT_EQ(daemon_->close_calls, 3);
  EXPECT_EQ(dispatched_while_acting, std::vector<std::string>{});
  for (const std::string& path : {session, tunnel, listener}) {
    EXPECT_EQ(events_of("InterfacesRemoved", path).size(), 1u) << path;
  }
  EXPECT_TRUE(authority_->checks.empty());
}

TEST_F(CallTest, InvalidArgumentsAreRefusedBeforePolkitIsAsked) {
  const std::string tunnel = make_tunnel(0);
  authority_->checks.clear();
  daemon_->create_tunnel_calls = 0;
  events_.clear();
  callers_->pose_as = 1001;  // owns nothing: every call would ask polkit
  const Dictionary unknown = {{"Colour", sdbus::Variant(true)}};

  for (const CallOutcome& outcome :
       {create_tunnel(unknown), listen(unknown), create_session(tunnel, unknown)}) {
    EXPECT_EQ(outcome.error_name, kErrorInvalidArgs);
    EXPECT_EQ(outcome.error_message, "Colour: unknown option");
  }
  EXPECT_TRUE(authority_->checks.empty());
  expect_nothing_created();
  // Valid arguments from the same caller do reach polkit.
  EXPECT_TRUE(create_session(tunnel, {}).ok());
  ASSERT_EQ(authority_->checks.size(), 1u);
  EXPECT_EQ(authority_->checks[0].action, authz::kActionManageTunnels);
}

TEST_F(CallTest, CallsOnVanishedObjects) {
  const std::string tunnel = make_tunnel(0);
  daemon_->forget_before_removed = false;
  daemon_->remove_tunnel(4711, {1, 0, ""});
  run_briefly();
  const CallOutcome outcome = close(tunnel, kTunnelInterface);
  EXPECT_FALSE(outcome.ok());
}

}  // namespace
}  // namespace l2tp::dbus::testing
