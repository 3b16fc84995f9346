// The kernel data plane's logic against a fake netlink client and a real
// engine on a fake clock: what it asks the kernel, when it answers, how it
// waits out the kernel's deferred teardown, and how it reconciles the record
// of static tunnels at start.
#include "dataplane/kernel_data_plane.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fake_clock.h"
#include "fake_random.h"
#include "fsm/engine.h"

namespace l2tp::dataplane {
namespace {

using fsm::Endpoint;
using kernel::NetlinkError;

// Plays the kernel: keeps tunnels and sessions, refuses duplicates with
// EEXIST, and can be told to hold ids and names "being torn down".
class FakeKernel final : public kernel::L2tpControl {
 public:
  std::expected<void, NetlinkError> create_tunnel(const fsm::KernelTunnelParams& params,
                                                  std::optional<int> fd) override {
    calls.push_back("create_tunnel " + std::to_string(params.tunnel_id) +
                    (fd ? " fd " + std::to_string(*fd) : " static"));
    if (tunnels.contains(params.tunnel_id) || dying_tunnels.contains(params.tunnel_id))
      return std::unexpected(NetlinkError{EEXIST, "exists"});
    tunnels[params.tunnel_id] = params;
    return {};
  }
  std::expected<void, NetlinkError> delete_tunnel(std::uint32_t tunnel_id) override {
    calls.push_back("delete_tunnel " + std::to_string(tunnel_id));
    if (tunnels.erase(tunnel_id) == 0) return std::unexpected(NetlinkError{ENOENT, "none"});
    std::erase_if(sessions, [&](const auto& s) { return s.first.first == tunnel_id; });
    if (deferred_teardown) dying_tunnels.insert(tunnel_id);
    return {};
  }
  std::expected<kernel::KernelTunnel, NetlinkError> get_tunnel(std::uint32_t tunnel_id) override {
    auto it = tunnels.find(tunnel_id);
    if (it == tunnels.end()) return std::unexpected(NetlinkError{ENOENT, "none"});
    kernel::KernelTunnel t;
    t.tunnel_id = tunnel_id;
    t.peer_tunnel_id = it->second.peer_tunnel_id;
    t.version = it->second.version;
    t.encapsulation = it->second.encapsulation;
    t.local = it->second.local;
    t.peer = it->second.peer;
    return t;
  }
  std::expected<std::vector<kernel::KernelTunnel>, NetlinkError> dump_tunnels() override {
    std::vector<kernel::KernelTunnel> out;
    for (const auto& [id, params] : tunnels) out.push_back(*get_tunnel(id));
    return out;
  }
  std::expected<void, NetlinkError> create_session(const fsm::KernelSessionParams& p) override {
    calls.push_back("create_session " + std::to_string(p.tunnel_id) + "/" +
                    std::to_string(p.session_id));
    if (!tunnels.contains(p.tunnel_id)) return std::unexpected(NetlinkError{ENOENT, "no tunnel"});
    if (sessions.contains({p.tunnel_id, p.session_id}) || busy_names.contains(p.interface_name))
      return std::unexpected(NetlinkError{EEXIST, "exists"});
    sessions[{p.tunnel_id, p.session_id}] = p;
    if (sessions[{p.tunnel_id, p.session_id}].interface_name.empty() &&
        p.pseudowire == fsm::Pseudowire::kEth)
      sessions[{p.tunnel_id, p.session_id}].interface_name = "l2tpeth" + std::to_string(next_eth++);
    return {};
  }
  std::expected<void, NetlinkError> delete_session(std::uint32_t t, std::uint32_t s) override {
    calls.push_back("delete_session " + std::to_string(t) + "/" + std::to_string(s));
    if (sessions.erase({t, s}) == 0) return std::unexpected(NetlinkError{ENOENT, "none"});
    return {};
  }
  std::expected<kernel::KernelSession, NetlinkError> get_session(std::uint32_t t,
                                                                 std::uint32_t s) override {
    auto it = sessions.find({t, s});
    if (it == sessions.end()) return std::unexpected(NetlinkError{ENOENT, "none"});
    kernel::KernelSession out;
    out.tunnel_id = t;
    out.session_id = s;
    out.peer_session_id = it->second.peer_session_id;
    out.pw_type = it->second.pseudowire == fsm::Pseudowire::kEth ? kernel::l2tp_nl::kPwTypeEth
                                                                 : kernel::l2tp_nl::kPwTypePpp;
    out.interface_name = it->second.interface_name;
    out.send_cookie = it->second.peer_cookie;
    out.receive_cookie = it->second.cookie;
    out.counters.rx_packets = 3;
    out.counters.tx_bytes = 300;
    return out;
  }
  std::expected<std::vector<kernel::KernelSession>, NetlinkError> dump_sessions() override {
    std::vector<kernel::KernelSession> out;
    for (const auto& [key, params] : sessions) out.push_back(*get_session(key.first, key.second));
    return out;
  }
  std::expected<void, NetlinkError> set_link_up(const std::string& name,
                                                std::uint32_t mtu) override {
    calls.push_back("link_up " + name + " " + std::to_string(mtu));
    return {};
  }

  std::map<std::uint32_t, fsm::KernelTunnelParams> tunnels;
  std::map<std::pair<std::uint32_t, std::uint32_t>, fsm::KernelSessionParams> sessions;
  std::set<std::uint32_t> dying_tunnels;
  std::set<std::string> busy_names;
  bool deferred_teardown = false;
  int next_eth = 0;
  std::vector<std::string> calls;
};

class NoSink final : public fsm::PacketSink {
 public:
  void send(const fsm::Path&, wire::ByteView) override { ++sent; }
  int sent = 0;
};

class Observer final : public fsm::EngineObserver {
 public:
  void tunnel_added(const fsm::TunnelView&) override {}
  void session_added(const fsm::SessionView&) override {}
  void tunnel_changed(const fsm::TunnelView&) override {}
  void session_changed(const fsm::SessionView&) override {}
  void tunnel_removed(const fsm::TunnelView& tunnel) override {
    removed_tunnels.insert(tunnel.tunnel_id);
  }
  void session_removed(const fsm::SessionView&) override {}
  std::set<std::uint32_t> removed_tunnels;
};

// What the plane finds is not what these tests check.
class QuietLogger final : public Logger {
 public:
  void log(LogLevel, std::string_view, std::string_view) override {}
};

class KernelDataPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char directory[] = "/tmp/l2tpbus-kdp-XXXXXX";
    ASSERT_NE(mkdtemp(directory), nullptr);
    directory_ = directory;
    state_path_ = directory_ + "/static-tunnels";
    make_plane();
  }
  void TearDown() override {
    engine_.reset();
    plane_.reset();
    unlink(state_path_.c_str());
    rmdir(directory_.c_str());
  }

  void make_plane() {
    engine_.reset();
    plane_ = std::make_unique<KernelDataPlane>(
        clock_, to_engine_, logger_, kernel_,
        [this](const fsm::Path& path) -> std::expected<int, std::string> {
          lookups_.push_back(path.tunnel_id);
          return 42;
        },
        KernelDataPlaneOptions{.state_path = state_path_});
    engine_ = std::make_unique<fsm::Engine>(fsm::Environment{
        .clock = clock_,
        .alarms = clock_,
        .random = random_,
        .sink = sink_,
        .data_plane = *plane_,
        .observer = observer_,
    });
  }

  static fsm::TunnelConfig static_tunnel(std::uint32_t id) {
    fsm::TunnelConfig config;
    config.mode = fsm::TunnelMode::kStatic;
    config.version = wire::ProtocolVersion::kV3;
    config.local = Endpoint::ipv4({192, 0, 2, 1}, 1701);
    config.peer = Endpoint::ipv4({192, 0, 2, 2}, 1701);
    config.tunnel_id = id;
    config.peer_tunnel_id = id + 1000;
    return config;
  }
  static fsm::SessionConfig eth_session(std::uint32_t id, std::string name = "") {
    fsm::SessionConfig config;
    config.pseudowire = fsm::Pseudowire::kEth;
    config.session_id = id;
    config.peer_session_id = id + 1000;
    config.interface_name = std::move(name);
    config.cookie = {1, 2, 3, 4};
    config.mtu = 1446;
    return config;
  }

  fsm::ObjectState tunnel_state(std::uint32_t id) { return engine_->tunnel(id)->state; }
  std::optional<fsm::SessionView> session(std::uint32_t t, std::uint32_t s) {
    return engine_->session(t, s);
  }
  std::string record_text() {
    std::ifstream in(state_path_);
    std::string text;
    std::string line;
    while (std::getline(in, line))
      if (!line.starts_with('#')) text += line + '\n';
    return text;
  }

  testing::FakeClock clock_;
  testing::FakeRandom random_;
  NoSink sink_;
  Observer observer_;
  FakeKernel kernel_;
  QuietLogger logger_;
  std::vector<std::uint32_t> lookups_;
  std::string directory_;
  std::string state_path_;
  std::unique_ptr<KernelDataPlane> plane_;
  std::unique_ptr<fsm::Engine> engine_;
  fsm::ToEngine to_engine_{engine_};
};

TEST_F(KernelDataPlaneTest, StaticEthernetSessionComesUpNamedAndRecorded) {
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  EXPECT_EQ(kernel_.calls, std::vector<std::string>{"create_tunnel 10 static"});
  ASSERT_TRUE(engine_->create_session(10, eth_session(7)));
  clock_.advance(Duration(1));
  ASSERT_EQ(session(10, 7)->state, fsm::ObjectState::kEstablished);
  EXPECT_EQ(session(10, 7)->interface_name, "l2tpeth0");
  EXPECT_EQ(kernel_.calls,
            (std::vector<std::string>{"create_tunnel 10 static", "create_session 10/7",
                                      "link_up l2tpeth0 1446"}));
  EXPECT_TRUE(lookups_.empty());  // static: no socket of ours
  EXPECT_EQ(record_text(), "tunnel 10\nsession 10 7\n");

  auto counters = plane_->session_counters(10, 7);
  ASSERT_TRUE(counters);
  EXPECT_EQ(counters->rx_packets, 3u);
  EXPECT_EQ(counters->tx_bytes, 300u);

  ASSERT_TRUE(engine_->close_tunnel(10));
  clock_.advance(Duration(100));
  EXPECT_TRUE(kernel_.tunnels.empty());
  EXPECT_EQ(record_text(), "");
  EXPECT_FALSE(plane_->session_counters(10, 7));
}

TEST_F(KernelDataPlaneTest, AnswersComeOnALaterTurn) {
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  ASSERT_TRUE(engine_->create_session(10, eth_session(7)));
  // The tunnel was created in the kernel at once, but nobody was told yet.
  EXPECT_EQ(kernel_.tunnels.size(), 1u);
  EXPECT_TRUE(kernel_.sessions.empty());
  clock_.advance(Duration(0));
  clock_.advance(Duration(1));
  EXPECT_EQ(kernel_.sessions.size(), 1u);
}

TEST_F(KernelDataPlaneTest, ForeignTunnelIdFailsAtOnce) {
  kernel_.tunnels[10] = {};
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  clock_.advance(Duration(1));
  EXPECT_TRUE(observer_.removed_tunnels.contains(10));
  EXPECT_EQ(kernel_.calls, std::vector<std::string>{"create_tunnel 10 static"});
}

TEST_F(KernelDataPlaneTest, RecreatedIdWaitsForTheKernelsDeferredTeardown) {
  kernel_.deferred_teardown = true;
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  clock_.advance(Duration(1));
  ASSERT_TRUE(engine_->close_tunnel(10));
  clock_.advance(Duration(10));
  ASSERT_TRUE(kernel_.dying_tunnels.contains(10));
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  clock_.advance(Duration(200));
  EXPECT_FALSE(kernel_.tunnels.contains(10));  // still waiting
  kernel_.dying_tunnels.clear();
  clock_.advance(Duration(100));
  EXPECT_TRUE(kernel_.tunnels.contains(10));
  EXPECT_EQ(tunnel_state(10), fsm::ObjectState::kEstablished);
  EXPECT_EQ(record_text(), "tunnel 10\n");
}

TEST_F(KernelDataPlaneTest, InterfaceNameStillHeldIsWaitedFor) {
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  kernel_.busy_names.insert("eth-a");
  ASSERT_TRUE(engine_->create_session(10, eth_session(7, "eth-a")));
  clock_.advance(Duration(300));
  EXPECT_EQ(session(10, 7)->state, fsm::ObjectState::kConnecting);
  kernel_.busy_names.clear();
  clock_.advance(Duration(100));
  EXPECT_EQ(session(10, 7)->state, fsm::ObjectState::kEstablished);
  EXPECT_EQ(session(10, 7)->interface_name, "eth-a");
}

TEST_F(KernelDataPlaneTest, InterfaceNameHeldForGoodFailsTheSession) {
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  kernel_.busy_names.insert("eth-a");
  ASSERT_TRUE(engine_->create_session(10, eth_session(7, "eth-a")));
  clock_.advance(Duration(10000));
  EXPECT_FALSE(session(10, 7));
}

TEST_F(KernelDataPlaneTest, ManagedTunnelUsesTheControlSocket) {
  fsm::KernelTunnelParams params;
  params.tunnel_id = 5;
  params.peer_tunnel_id = 6;
  params.managed = true;
  plane_->create_tunnel(params);
  EXPECT_EQ(kernel_.calls, std::vector<std::string>{"create_tunnel 5 fd 42"});
  EXPECT_EQ(lookups_, std::vector<std::uint32_t>{5});
  plane_->delete_tunnel(5);
  EXPECT_EQ(record_text(), "");  // managed tunnels are never recorded
}

TEST_F(KernelDataPlaneTest, PppSessionWithoutPppoxSocketsFailsNamingTheModule) {
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  clock_.advance(Duration(1));
  fsm::PppStartParams params;
  params.session.tunnel_id = 10;
  params.session.session_id = 7;
  // The build host's kernel has no PPPoL2TP; on one that has, connect()
  // fails for the missing session instead. Either way nothing runs.
  plane_->start_ppp(params);
  clock_.advance(Duration(1));
  SUCCEED();
}

TEST_F(KernelDataPlaneTest, ATunnelCreatedBeforeTheFirstTurnIsNeverReconciledAway) {
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(11)));
  clock_.advance(Duration(1));
  ASSERT_EQ(record_text(), "tunnel 11\n");

  // A new daemon whose first D-Bus call creates tunnel 11 again before the
  // first loop turn (no config file names it): that tunnel is its own now.
  make_plane();
  kernel_.calls.clear();
  plane_->load_record();
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(11)));
  plane_->reconcile({}, {});
  for (const std::string& call : kernel_.calls) EXPECT_NE(call, "delete_tunnel 11");
}

TEST_F(KernelDataPlaneTest, RestartAdoptsConfiguredStaticObjectsAndDeletesTheRest) {
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(11)));
  ASSERT_TRUE(engine_->create_session(10, eth_session(7)));
  ASSERT_TRUE(engine_->create_session(10, eth_session(8)));
  clock_.advance(Duration(1));
  ASSERT_EQ(record_text(), "tunnel 10\ntunnel 11\nsession 10 7\nsession 10 8\n");

  // SIGKILL: the kernel keeps everything; a new daemon starts, reads the
  // record (changing nothing yet) and applies its config files.
  make_plane();
  kernel_.calls.clear();
  plane_->load_record();
  EXPECT_TRUE(kernel_.calls.empty());
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  ASSERT_TRUE(engine_->create_session(10, eth_session(7)));
  // First loop turn: what the config does not create goes.
  plane_->reconcile({10}, {{10, 7}});
  EXPECT_EQ(kernel_.calls, (std::vector<std::string>{"create_tunnel 10 static", "delete_tunnel 11",
                                                     "delete_session 10/8"}));
  kernel_.calls.erase(kernel_.calls.begin(), kernel_.calls.begin() + 3);
  clock_.advance(Duration(1));
  EXPECT_EQ(tunnel_state(10), fsm::ObjectState::kEstablished);
  EXPECT_EQ(session(10, 7)->state, fsm::ObjectState::kEstablished);
  EXPECT_EQ(session(10, 7)->interface_name, "l2tpeth0");
  // Adopted: nothing deleted, nothing duplicated.
  EXPECT_EQ(kernel_.calls,
            (std::vector<std::string>{"create_session 10/7", "link_up l2tpeth0 1446"}));
  EXPECT_EQ(record_text(), "tunnel 10\nsession 10 7\n");
  EXPECT_EQ(kernel_.tunnels.size(), 1u);
  EXPECT_EQ(kernel_.sessions.size(), 1u);
}

TEST_F(KernelDataPlaneTest, RestartReplacesAStaticTunnelWhoseConfigChanged) {
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(10)));
  clock_.advance(Duration(1));
  make_plane();
  plane_->load_record();
  kernel_.calls.clear();
  auto changed = static_tunnel(10);
  changed.peer = Endpoint::ipv4({192, 0, 2, 9}, 1701);
  ASSERT_TRUE(engine_->create_tunnel(changed));
  clock_.advance(Duration(100));
  EXPECT_EQ(tunnel_state(10), fsm::ObjectState::kEstablished);
  EXPECT_EQ(kernel_.calls, (std::vector<std::string>{"create_tunnel 10 static", "delete_tunnel 10",
                                                     "create_tunnel 10 static"}));
  EXPECT_EQ(kernel_.tunnels[10].peer, changed.peer);
}

TEST_F(KernelDataPlaneTest, RecordedObjectsTheKernelLostAreCreatedAgain) {
  std::ofstream(state_path_) << "tunnel 12\nsession 12 1\ntunnel 13\n";
  plane_->load_record();
  plane_->reconcile({12}, {{12, 1}});
  EXPECT_EQ(kernel_.calls, std::vector<std::string>{"delete_tunnel 13"});
  EXPECT_EQ(record_text(), "tunnel 12\nsession 12 1\n");  // until the config claims them
  ASSERT_TRUE(engine_->create_tunnel(static_tunnel(12)));
  ASSERT_TRUE(engine_->create_session(12, eth_session(1)));
  clock_.advance(Duration(1));
  EXPECT_EQ(kernel_.tunnels.size(), 1u);  // created anew: the kernel had lost them
  EXPECT_EQ(session(12, 1)->state, fsm::ObjectState::kEstablished);
}

}  // namespace
}  // namespace l2tp::dataplane
