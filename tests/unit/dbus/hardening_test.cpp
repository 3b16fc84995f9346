// What a local user must not be able to do through the bus layer: starve
// other users' polkit checks, leave checks behind at polkit, act on an object
// that changed owner while polkit was deciding, or have root bind a
// privileged port; and the uid comes from the bus daemon, remembered only as
// long as the connection lives.
#include <unistd.h>

#include "authz/authority.h"
#include "bus_fixture.h"
#include "dbus/errors.h"
#include "dbus/properties.h"

namespace l2tp::dbus::testing {
namespace {

const Dictionary kPeerOnly = {{"Peer", sdbus::Variant(std::string("192.0.2.1"))}};

Dictionary with_local(const std::string& local) {
  return {{"Peer", sdbus::Variant(std::string("192.0.2.1"))}, {"Local", sdbus::Variant(local)}};
}

class HardeningTest : public BusTest {
 protected:
  std::shared_ptr<CallOutcome> start_create_tunnel(sdbus::IConnection& connection) {
    return start_call(connection, kManagerPath, kManagerInterface, "CreateTunnel",
                      [](sdbus::MethodCall& message) { message << kPeerOnly; });
  }

  // Another client, with a pump of its own on the loop.
  struct OtherClient {
    std::unique_ptr<sdbus::IConnection> connection;
    std::unique_ptr<BusPump> pump;
  };
  OtherClient connect_other() {
    OtherClient other;
    other.connection = sdbus::createSessionBusConnectionWithAddress(bus_->address());
    auto pump = BusPump::attach(*loop_, *other.connection,
                                [](const std::string& reason) { ADD_FAILURE() << reason; });
    EXPECT_TRUE(pump.has_value());
    if (pump) other.pump = std::move(*pump);
    return other;
  }
};

TEST_F(HardeningTest, ChecksWaitingForPolkitAreBoundedPerUid) {
  authority_->hold = true;
  callers_->pose_as = 1000;
  std::vector<std::shared_ptr<CallOutcome>> flood;
  for (std::size_t i = 0; i < Authorizer::kMaxChecksPerUid + 3; ++i) {
    flood.push_back(start_create_tunnel(*client_));
  }
  ASSERT_TRUE(run_until([&] {
    return authority_->held() == Authorizer::kMaxChecksPerUid &&
           std::count_if(flood.begin(), flood.end(), [](auto& o) { return o->done; }) == 3;
  }));
  for (std::size_t i = 0; i < flood.size(); ++i) {
    if (i < Authorizer::kMaxChecksPerUid) {
      EXPECT_FALSE(flood[i]->done) << i;
    } else {
      EXPECT_EQ(flood[i]->error_name, kErrorLimitExceeded) << i;
      EXPECT_NE(flood[i]->error_message.find("uid 1000"), std::string::npos)
          << flood[i]->error_message;
    }
  }
  // Another user still reaches polkit.
  callers_->pose_as = 1001;
  auto other_user = start_create_tunnel(*client_);
  ASSERT_TRUE(run_until([&] { return authority_->held() == Authorizer::kMaxChecksPerUid + 1; }));

  authority_->release();
  ASSERT_TRUE(run_until([&] {
    return other_user->done &&
           std::all_of(flood.begin(), flood.end(), [](auto& o) { return o->done; });
  }));
  EXPECT_TRUE(other_user->ok()) << other_user->error_name;
  EXPECT_EQ(daemon_->create_tunnel_calls, static_cast<int>(Authorizer::kMaxChecksPerUid + 1));
  // Answered checks free their places.
  authority_->hold = false;
  callers_->pose_as = 1000;
  EXPECT_TRUE(create_tunnel(kPeerOnly).ok());
}

TEST_F(HardeningTest, ChecksOfACallerThatLeftAreCancelled) {
  authority_->hold = true;
  callers_->pose_as = 1000;
  OtherClient leaving = connect_other();
  auto pending = start_create_tunnel(*leaving.connection);
  ASSERT_TRUE(run_until([&] { return authority_->held() == 1; }));
  proxies_.clear();  // they live on the connection that goes
  leaving.pump.reset();
  leaving.connection.reset();
  ASSERT_TRUE(run_until([&] { return authority_->cancelled.size() == 1; }));
  EXPECT_EQ(authority_->held(), 0u);
  authority_->release();
  run_briefly();
  EXPECT_EQ(daemon_->create_tunnel_calls, 0);
  // Its place is free again.
  authority_->hold = false;
  EXPECT_TRUE(create_tunnel(kPeerOnly).ok());
}

TEST_F(HardeningTest, CreateSessionIsAuthorizedAgainWhenTheTunnelChangedOwner) {
  daemon_->reuse_tunnel_ids = true;
  const std::string path = make_tunnel(1000);
  const std::uint32_t tunnel_id = daemon_->tunnel_ids().at(0);
  authority_->checks.clear();
  authority_->hold = true;
  callers_->pose_as = 1000;
  auto pending = start_call(*client_, path, kTunnelInterface, "CreateSession",
                            [](sdbus::MethodCall& message) { message << Dictionary{}; });
  ASSERT_TRUE(run_until([&] { return authority_->held() == 1; }));
  EXPECT_EQ(authority_->checks.at(0).action, authz::kActionCreateTunnel);

  // While polkit decides, the user's tunnel goes and root's takes its id.
  daemon_->remove_tunnel(tunnel_id, {});
  daemon::TunnelInfo roots;
  roots.view.tunnel_id = tunnel_id;
  roots.owner = 0;
  daemon_->add_tunnel(roots);

  authority_->release();  // create-tunnel allowed: not enough for root's tunnel
  ASSERT_TRUE(run_until([&] { return authority_->held() == 1; }));
  ASSERT_EQ(authority_->checks.size(), 2u);
  EXPECT_EQ(authority_->checks[1].action, authz::kActionManageTunnels);
  authority_->verdict = {authz::Decision::kDenied, ""};
  authority_->release();
  ASSERT_TRUE(run_until([&] { return pending->done; }));
  EXPECT_EQ(pending->error_name, kErrorAccessDenied);
  EXPECT_EQ(daemon_->create_session_calls, 0);
}

TEST_F(HardeningTest, PrivilegedLocalPortsAreRootsOnly) {
  callers_->pose_as = 1000;
  for (const char* local : {"127.0.0.1:80", "127.0.0.1:1", "127.0.0.1:1023"}) {
    const CallOutcome refused = create_tunnel(with_local(local));
    EXPECT_EQ(refused.error_name, kErrorAccessDenied) << local;
    EXPECT_NE(refused.error_message.find("Local"), std::string::npos) << refused.error_message;
    const CallOutcome refused_listener = listen({{"Local", sdbus::Variant(std::string(local))}});
    EXPECT_EQ(refused_listener.error_name, kErrorAccessDenied) << local;
  }
  EXPECT_TRUE(authority_->checks.empty());  // refused before polkit is asked
  EXPECT_EQ(daemon_->create_tunnel_calls, 0);
  EXPECT_EQ(daemon_->listen_calls, 0);

  EXPECT_TRUE(create_tunnel(with_local("127.0.0.1:1701")).ok());
  EXPECT_TRUE(create_tunnel(with_local("127.0.0.1:1024")).ok());
  EXPECT_TRUE(create_tunnel(with_local("127.0.0.1")).ok());
  callers_->pose_as = 0;
  EXPECT_TRUE(create_tunnel(with_local("127.0.0.1:80")).ok());
  EXPECT_TRUE(listen({{"Local", sdbus::Variant(std::string("127.0.0.1:80"))}}).ok());
}

TEST_F(HardeningTest, AUidIsRememberedOnlyWhileItsConnectionLives) {
  const std::size_t before = callers_->real().remembered();
  OtherClient other = connect_other();
  auto pending = start_create_tunnel(*other.connection);
  ASSERT_TRUE(run_until([&] { return pending->done; }));
  EXPECT_TRUE(pending->ok()) << pending->error_name;
  EXPECT_EQ(callers_->real().remembered(), before + 1);
  pending.reset();  // its reply, like the proxies, lives on the connection that goes
  proxies_.clear();
  other.pump.reset();
  other.connection.reset();
  EXPECT_TRUE(run_until([&] { return callers_->real().remembered() == before; }));
}

}  // namespace
}  // namespace l2tp::dbus::testing
