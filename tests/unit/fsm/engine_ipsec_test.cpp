// The IPsec step of an initiator tunnel (L2TP/IPsec, RFC 3193): no L2TP
// datagram before the IpsecPort reports the SA up; failure, time-out, loss of
// the SA and a close during IKE each end the tunnel with its own LastResult
// and release what the port holds, exactly once.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace l2tp::testing {
namespace {

using fsm::ObjectState;
using wire::MessageType;
using namespace std::chrono_literals;

// Records what the engine asks; the tests answer by calling the engine, as
// the loop would.
class FakeIpsec final : public fsm::IpsecPort {
 public:
  struct Request {
    std::uint32_t tunnel_id;
    fsm::Endpoint local;
    fsm::Endpoint peer;
    std::shared_ptr<const IpsecSettings> settings;
  };
  void establish(std::uint32_t tunnel_id, const fsm::Endpoint& local, const fsm::Endpoint& peer,
                 std::shared_ptr<const IpsecSettings> settings) override {
    requests.push_back({tunnel_id, local, peer, std::move(settings)});
  }
  void release(std::uint32_t tunnel_id) override { released.push_back(tunnel_id); }

  std::vector<Request> requests;
  std::vector<std::uint32_t> released;
};

IpsecStatus up_status() {
  IpsecStatus status;
  status.state = IpsecState::kEstablished;
  status.ike_version = IkeVersion::kV1;
  status.ike_proposal = "AES_CBC-256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048";
  status.esp_proposal = "AES_CBC-256/HMAC_SHA1_96";
  status.nat_traversal = true;
  return status;
}

class IpsecStepTest : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_EQ(pair.net.problems(), "");
    EXPECT_EQ(pair.lac.observer().contract_violations(), std::vector<std::string>{});
  }

  fsm::TunnelConfig protected_config() const {
    fsm::TunnelConfig config = pair.tunnel_config();
    auto settings = std::make_shared<IpsecSettings>();
    settings->psk = {'k', 'e', 'y'};
    config.ipsec = settings;
    return config;
  }

  std::uint32_t create() {
    pair.listen();
    return expect_ok(pair.lac.engine().create_tunnel(protected_config()), "create_tunnel");
  }

  std::size_t lac_datagrams() const {
    std::size_t count = 0;
    for (const CapturedDatagram& datagram : pair.net.captured()) {
      if (datagram.from == &pair.lac) ++count;
    }
    return count;
  }

  FakeIpsec ipsec;
  LacLns pair{{.transport = {}, .lac_ipsec = &ipsec}};
};

TEST_F(IpsecStepTest, NoSccrqGoesOutUntilTheSaIsUp) {
  const std::uint32_t id = create();
  ASSERT_EQ(ipsec.requests.size(), 1u);
  EXPECT_EQ(ipsec.requests[0].tunnel_id, id);
  EXPECT_EQ(ipsec.requests[0].local, pair.lac_endpoint);
  EXPECT_EQ(ipsec.requests[0].peer, pair.lns_endpoint);
  ASSERT_NE(ipsec.requests[0].settings, nullptr);
  EXPECT_EQ(ipsec.requests[0].settings->psk, (SecretBytes{'k', 'e', 'y'}));

  pair.net.advance(10s);
  EXPECT_EQ(lac_datagrams(), 0u);
  fsm::TunnelView view = pair.lac.tunnel(id);
  EXPECT_EQ(view.state, ObjectState::kConnecting);
  EXPECT_EQ(view.ipsec.state, IpsecState::kNegotiating);

  pair.lac.engine().ipsec_established(id, up_status());
  pair.net.advance(1s);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kSccrq), 1u);
  view = pair.lac.tunnel(id);
  EXPECT_EQ(view.state, ObjectState::kEstablished);
  EXPECT_EQ(view.ipsec.state, IpsecState::kEstablished);
  EXPECT_EQ(view.ipsec.esp_proposal, "AES_CBC-256/HMAC_SHA1_96");
  EXPECT_TRUE(view.ipsec.nat_traversal);
  EXPECT_TRUE(ipsec.released.empty());
}

TEST_F(IpsecStepTest, TheSaComingUpIsAnnouncedBeforeTheTunnelIsEstablished) {
  const std::uint32_t id = create();
  pair.lac.engine().ipsec_established(id, up_status());
  pair.net.advance(1s);
  std::vector<IpsecState> seen;
  for (const ObservedEvent& event : pair.lac.observer().events()) {
    if (event.tunnel && event.tunnel_id == id) seen.push_back(event.tunnel->ipsec.state);
  }
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), IpsecState::kNegotiating);  // tunnel_added
  EXPECT_EQ(seen[1], IpsecState::kEstablished);       // the change, still connecting
  EXPECT_EQ(pair.lac.observer().tunnel_states(id).back(), ObjectState::kEstablished);
}

TEST_F(IpsecStepTest, IkeFailureEndsTheTunnelWithCharonsReasonAndSendsNothing) {
  const std::uint32_t id = create();
  pair.lac.engine().ipsec_failed(id, "authentication failed (charon: AUTHENTICATION_FAILED)");
  pair.net.advance(1s);
  EXPECT_EQ(pair.lac.tunnel_state(id), std::nullopt);
  const auto last = pair.lac.observer().last_tunnel(id);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->last_result.result, 2u);
  EXPECT_EQ(last->last_result.error, 6u);
  EXPECT_EQ(last->last_result.message,
            "IPsec failed: authentication failed (charon: AUTHENTICATION_FAILED)");
  EXPECT_EQ(last->ipsec.state, IpsecState::kFailed);
  EXPECT_EQ(ipsec.released, std::vector<std::uint32_t>{id});
  EXPECT_EQ(lac_datagrams(), 0u);
}

TEST_F(IpsecStepTest, NoSaWithinOneRetransmissionCycleEndsTheTunnel) {
  const std::uint32_t id = create();
  const Duration patience = retransmission_give_up(pair.tunnel_config().control.channel);
  pair.net.advance(patience - 1s);
  EXPECT_EQ(pair.lac.tunnel_state(id), ObjectState::kConnecting);
  pair.net.advance(2s);
  EXPECT_EQ(pair.lac.tunnel_state(id), std::nullopt);
  const auto last = pair.lac.observer().last_tunnel(id);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->last_result.result, 2u);
  EXPECT_NE(last->last_result.message.find("IPsec failed: no SA within"), std::string::npos)
      << last->last_result.message;
  EXPECT_EQ(ipsec.released, std::vector<std::uint32_t>{id});
  // A late answer finds no tunnel and changes nothing.
  pair.lac.engine().ipsec_established(id, up_status());
  pair.net.advance(1s);
  EXPECT_EQ(lac_datagrams(), 0u);
}

TEST_F(IpsecStepTest, LosingTheSaEndsAnEstablishedTunnelWithoutAStopCcn) {
  const std::uint32_t id = create();
  pair.lac.engine().ipsec_established(id, up_status());
  pair.net.advance(1s);
  ASSERT_EQ(pair.lac.tunnel_state(id), ObjectState::kEstablished);

  pair.lac.engine().ipsec_failed(id, "charon closed the CHILD_SA");
  pair.net.advance(1s);
  EXPECT_EQ(pair.lac.tunnel_state(id), std::nullopt);
  const auto last = pair.lac.observer().last_tunnel(id);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->last_result.message, "IPsec SA went down: charon closed the CHILD_SA");
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kStopccn), 0u);
  EXPECT_EQ(ipsec.released, std::vector<std::uint32_t>{id});
}

TEST_F(IpsecStepTest, ClosingDuringIkeReleasesAtOnceAndALateAnswerIsIgnored) {
  const std::uint32_t id = create();
  expect_ok(pair.lac.engine().close_tunnel(id), "close_tunnel");
  pair.net.advance(1s);
  EXPECT_EQ(pair.lac.tunnel_state(id), std::nullopt);
  EXPECT_EQ(ipsec.released, std::vector<std::uint32_t>{id});
  const auto last = pair.lac.observer().last_tunnel(id);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->last_result.result, 1u);

  pair.lac.engine().ipsec_established(id, up_status());
  pair.lac.engine().ipsec_failed(id, "too late");
  pair.net.advance(1s);
  EXPECT_EQ(lac_datagrams(), 0u);
  EXPECT_EQ(ipsec.released.size(), 1u);
}

TEST_F(IpsecStepTest, ClosingAnEstablishedTunnelSendsItsStopCcnBeforeReleasing) {
  const std::uint32_t id = create();
  pair.lac.engine().ipsec_established(id, up_status());
  pair.net.advance(1s);
  expect_ok(pair.lac.engine().close_tunnel(id), "close_tunnel");
  EXPECT_TRUE(ipsec.released.empty());  // the StopCCN still needs the SA
  pair.net.advance(1s);
  EXPECT_EQ(count_sent(pair.net, pair.lac, MessageType::kStopccn), 1u);
  EXPECT_EQ(ipsec.released, std::vector<std::uint32_t>{id});
}

TEST(IpsecWithoutPortTest, TunnelsWithIpsecSettingsAreNotSupported) {
  LacLns pair{{}};
  fsm::TunnelConfig config = pair.tunnel_config();
  config.ipsec = std::make_shared<IpsecSettings>();
  const auto created = pair.lac.engine().create_tunnel(config);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code, fsm::ErrorCode::kNotSupported);
  EXPECT_EQ(pair.lac.tunnel_count(), 0u);
}

TEST(IpsecWithoutPortTest, StaticTunnelsCannotUseIpsec) {
  FakeIpsec ipsec;
  LacLns pair{{.transport = {.version = wire::ProtocolVersion::kV3}, .lac_ipsec = &ipsec}};
  fsm::TunnelConfig config = pair.tunnel_config();
  config.mode = fsm::TunnelMode::kStatic;
  config.tunnel_id = 10;
  config.peer_tunnel_id = 20;
  config.ipsec = std::make_shared<IpsecSettings>();
  const auto created = pair.lac.engine().create_tunnel(config);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().code, fsm::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ipsec.requests.empty());
}

}  // namespace
}  // namespace l2tp::testing
