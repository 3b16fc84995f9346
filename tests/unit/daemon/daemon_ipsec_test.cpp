// The daemon's side of L2TP/IPsec on fakes (a recording IpsecService, a
// real engine as the peer): Features and NotSupported follow charon's
// presence, the SCCRQ waits for the SA, shutdown during IKE releases it,
// and listeners get a responder connection and a socket requiring ESP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon_fakes.h"

namespace l2tp::daemon::testing {
namespace {

using fsm::ObjectState;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr uid_t kUser = 1000;

config::OptionMap protected_tunnel() {
  return {{"Peer", std::string("192.0.2.2")},
          {"Local", std::string("192.0.2.1")},
          {"IpsecPsk", std::vector<std::uint8_t>{'k', 'e', 'y'}}};
}

TEST(DaemonIpsec, FeaturesListIpsecOnlyWhileCharonAnswers) {
  DaemonBench bench;
  EXPECT_THAT(bench.daemon().features(), Contains("ipsec"));
  bench.ipsec().away = "cannot reach charon at /run/charon.vici: No such file or directory";
  EXPECT_THAT(bench.daemon().features(), Not(Contains("ipsec")));
}

TEST(DaemonIpsec, WithCharonAwayIpsecIsNotSupportedAndNamesThePackages) {
  DaemonBench bench;
  bench.ipsec().away = "cannot reach charon at /run/charon.vici: No such file or directory";
  const auto created = bench.create_tunnel(protected_tunnel(), kUser);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().kind, FailureKind::kNotSupported);
  EXPECT_THAT(created.error().message, ::testing::HasSubstr("charon-systemd"));
  EXPECT_THAT(created.error().message, ::testing::HasSubstr("No such file"));
  EXPECT_THAT(bench.ipsec().established, IsEmpty());
  EXPECT_THAT(bench.daemon().tunnel_ids(), IsEmpty());
}

TEST(DaemonIpsec, TheSccrqWaitsForTheSa) {
  DaemonBench bench;
  bench.start_peer();
  const auto created = bench.create_tunnel(protected_tunnel(), kUser);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  ASSERT_EQ(bench.ipsec().established.size(), 1u);
  EXPECT_EQ(bench.ipsec().established[0].id, *created);
  EXPECT_EQ(bench.ipsec().established[0].peer, fsm::Endpoint::ipv4({192, 0, 2, 2}, 1701));
  EXPECT_EQ(bench.ipsec().established[0].settings->psk, (SecretBytes{'k', 'e', 'y'}));
  bench.clock().advance(5s);
  EXPECT_EQ(bench.sockets().sent_of(wire::MessageType::kSccrq), 0u);
  EXPECT_EQ(bench.daemon().tunnel(*created)->view.state, ObjectState::kConnecting);

  IpsecStatus up;
  up.state = IpsecState::kEstablished;
  up.esp_proposal = "AES_CBC-256/HMAC_SHA1_96";
  bench.ipsec().events().ipsec_established(*created, up);
  bench.clock().advance(1s);
  EXPECT_EQ(bench.sockets().sent_of(wire::MessageType::kSccrq), 1u);
  const auto tunnel = bench.daemon().tunnel(*created);
  EXPECT_EQ(tunnel->view.state, ObjectState::kEstablished);
  EXPECT_EQ(tunnel->view.ipsec.esp_proposal, "AES_CBC-256/HMAC_SHA1_96");
}

TEST(DaemonIpsec, ShutdownDuringIkeReleasesTheSaAndFinishesAtOnce) {
  DaemonBench bench;
  const auto created = bench.create_tunnel(protected_tunnel(), kUser);
  ASSERT_TRUE(created.has_value()) << created.error().message;
  bool done = false;
  bench.daemon().shutdown(10s, [&] { done = true; });
  bench.clock().advance(0ms);
  EXPECT_TRUE(done);
  EXPECT_THAT(bench.ipsec().released, ElementsAre(*created));
  EXPECT_TRUE(bench.sockets().sent.empty());  // nothing reached the peer unprotected
}

TEST(DaemonIpsec, AListenerGetsAResponderAndASocketRequiringEsp) {
  DaemonBench bench;
  config::OptionMap options{{"Local", std::string("192.0.2.1")},
                            {"IpsecPsk", std::vector<std::uint8_t>{'k'}}};
  auto config = config::parse_listener_options(options, bench.daemon().defaults());
  ASSERT_TRUE(config.has_value());
  const auto listener = bench.daemon().listen(*config);
  ASSERT_TRUE(listener.has_value()) << listener.error().message;
  ASSERT_EQ(bench.ipsec().protected_listeners.size(), 1u);
  EXPECT_EQ(bench.ipsec().protected_listeners[0].id, *listener);
  EXPECT_EQ(bench.sockets().esp_required.size(), 1u);

  bench.sockets().drops = 3;
  EXPECT_EQ(bench.daemon().listener_statistics(*listener).at("kernel-drops"), 3u);
  ASSERT_TRUE(bench.daemon().close_listener(*listener).has_value());
  EXPECT_THAT(bench.ipsec().released_listeners, ElementsAre(*listener));

  // IpsecRequired=false: charon answers, the kernel lets cleartext through.
  options.insert_or_assign("IpsecRequired", false);
  config = config::parse_listener_options(options, bench.daemon().defaults());
  ASSERT_TRUE(config.has_value());
  ASSERT_TRUE(bench.daemon().listen(*config).has_value());
  EXPECT_EQ(bench.sockets().esp_required.size(), 1u);
  EXPECT_EQ(bench.ipsec().protected_listeners.size(), 2u);
}

}  // namespace
}  // namespace l2tp::daemon::testing
