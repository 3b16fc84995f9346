// Smoke scenarios of the engine's author, on a minimal two-host bench of its
// own (the full black-box suite is engine_test.cpp and friends): tunnels and
// sessions come up and go away for each version, mode and authentication.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <list>
#include <map>
#include <random>

#include "dataplane/null_data_plane.h"
#include "fake_clock.h"
#include "fake_random.h"
#include "fsm/engine.h"

namespace l2tp::fsm {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeRandom;
using wire::Encapsulation;
using wire::ProtocolVersion;

class Bench;

// One host: an engine with a null data plane, recording what it was told.
class Host final : public PacketSink, public EngineObserver {
 public:
  Host(Bench& bench, FakeClock& clock, std::uint32_t seed, Endpoint address);
  Engine& engine() { return *engine_; }

  void send(const Path& path, wire::ByteView datagram) override;
  void tunnel_added(const TunnelView& t) override {
    note("tunnel_added", t.tunnel_id);
    if (t.listener_id != 0) note("listener_accepted " + std::to_string(t.listener_id), t.tunnel_id);
  }
  void session_added(const SessionView& s) override {
    note("session_added", s.tunnel_id, s.session_id);
  }
  void tunnel_changed(const TunnelView& t) override {
    note(std::string("tunnel_changed ") + to_string(t.state), t.tunnel_id);
    last_tunnel[t.tunnel_id] = t;
  }
  void session_changed(const SessionView& s) override {
    note(std::string("session_changed ") + to_string(s.state), s.tunnel_id, s.session_id);
    last_session[{s.tunnel_id, s.session_id}] = s;
  }
  void tunnel_removed(const TunnelView& t) override { note("tunnel_removed", t.tunnel_id); }
  void session_removed(const SessionView& s) override {
    note("session_removed", s.tunnel_id, s.session_id);
  }

  std::size_t count(const std::string& what) const {
    std::size_t n = 0;
    for (const auto& line : log) n += line.starts_with(what + " ");
    return n;
  }
  std::size_t established_tunnels() const {
    std::size_t n = 0;
    for (std::uint32_t id : engine_->tunnel_ids()) {
      n += engine_->tunnel(id)->state == ObjectState::kEstablished;
    }
    return n;
  }

  Endpoint address;
  std::vector<std::string> log;
  std::map<std::uint32_t, TunnelView> last_tunnel;
  std::map<std::pair<std::uint32_t, std::uint32_t>, SessionView> last_session;

 private:
  void note(const std::string& what, std::uint32_t t, std::uint32_t s = 0) {
    log.push_back(what + " " + std::to_string(t) + (s ? "/" + std::to_string(s) : ""));
  }
  Bench& bench_;
  FakeRandom random_;
  ToEngine to_engine_{engine_};
  dataplane::NullDataPlane data_plane_;
  std::unique_ptr<Engine> engine_;
};

// Delivers every datagram to the host owning its destination address, 10 ms later.
class Bench {
 public:
  Host& add(std::uint32_t seed, Endpoint address) {
    hosts_.push_back(std::make_unique<Host>(*this, clock, seed, address));
    return *hosts_.back();
  }
  void deliver(const Host& from, const Path& path, wire::ByteView bytes) {
    ++sent;
    if (drop_all) return;
    Host* to = nullptr;
    for (auto& host : hosts_) {
      if (host->address.family == path.peer.family && host->address.address == path.peer.address) {
        to = host.get();
      }
    }
    if (to == nullptr) return;
    Endpoint source = path.local.family == Endpoint::Family::kUnspecified
                          ? from.address.with_port(path.local.port)
                          : path.local;
    Datagram datagram{{}, path.peer, source, path.encapsulation};
    if (capture) captured.push_back({to, datagram, wire::Bytes(bytes.begin(), bytes.end())});
    auto& pending = in_flight_.emplace_back();
    pending.bytes.assign(bytes.begin(), bytes.end());
    pending.alarm = clock.create([to, datagram, &pending]() mutable {
      datagram.bytes = pending.bytes;
      to->engine().receive(datagram);
    });
    pending.alarm->arm(10ms);
  }

  struct Captured {
    Host* to = nullptr;
    Datagram datagram;  // addresses only; the bytes are below
    wire::Bytes bytes;
  };

  FakeClock clock;
  bool drop_all = false;
  bool capture = false;
  std::uint64_t sent = 0;
  std::vector<Captured> captured;

 private:
  struct Pending {
    wire::Bytes bytes;
    std::unique_ptr<Alarm> alarm;
  };
  std::list<Pending> in_flight_;  // kept: alarms must outlive their firing
  std::vector<std::unique_ptr<Host>> hosts_;
};

Host::Host(Bench& bench, FakeClock& clock, std::uint32_t seed, Endpoint a)
    : address(a), bench_(bench), random_(seed), data_plane_(clock, to_engine_) {
  engine_ = std::make_unique<Engine>(Environment{clock, clock, random_, *this, data_plane_, *this});
}

void Host::send(const Path& path, wire::ByteView datagram) {
  bench_.deliver(*this, path, datagram);
}

struct Setup {
  ProtocolVersion version = ProtocolVersion::kV2;
  Encapsulation encapsulation = Encapsulation::kUdp;
  bool ipv6 = false;
};

class EngineSmokeTest : public ::testing::TestWithParam<Setup> {
 protected:
  Endpoint address(std::uint8_t last) const {
    const std::uint16_t port = GetParam().encapsulation == Encapsulation::kUdp ? 1701 : 0;
    if (!GetParam().ipv6) return Endpoint::ipv4({192, 0, 2, last}, port);
    std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
    a[15] = last;
    return Endpoint::ipv6(a, port);
  }
  TunnelConfig tunnel_config() const {
    TunnelConfig config;
    config.version = GetParam().version;
    config.encapsulation = GetParam().encapsulation;
    config.local = lac.address;
    config.peer = lns.address;
    config.control.host_name = "lac";
    return config;
  }
  ListenerConfig listener_config() const {
    ListenerConfig config;
    config.version = GetParam().version;
    config.encapsulation = GetParam().encapsulation;
    config.local = lns.address;
    config.control.host_name = "lns";
    config.pseudowires = {Pseudowire::kPpp, Pseudowire::kEth};
    return config;
  }
  std::uint32_t only_tunnel(Host& host) {
    auto ids = host.engine().tunnel_ids();
    EXPECT_EQ(ids.size(), 1u);
    return ids.empty() ? 0 : ids[0];
  }

  Bench bench;
  Host& lac = bench.add(11, address(1));
  Host& lns = bench.add(22, address(2));
};

TEST_P(EngineSmokeTest, TunnelAndSessionComeUpAndGoAway) {
  ASSERT_TRUE(lns.engine().listen(listener_config()));
  auto lac_tunnel = lac.engine().create_tunnel(tunnel_config());
  ASSERT_TRUE(lac_tunnel) << lac_tunnel.error().message;
  bench.clock.advance(1s);
  const std::uint32_t lns_tunnel = only_tunnel(lns);
  ASSERT_EQ(lac.engine().tunnel(*lac_tunnel)->state, ObjectState::kEstablished);
  ASSERT_EQ(lns.engine().tunnel(lns_tunnel)->state, ObjectState::kEstablished);
  EXPECT_EQ(lac.engine().tunnel(*lac_tunnel)->peer_host_name, "lns");
  EXPECT_EQ(lac.engine().tunnel(*lac_tunnel)->peer_vendor_name, "l2tpbus");
  EXPECT_EQ(lns.engine().tunnel(lns_tunnel)->peer_tunnel_id, *lac_tunnel);

  SessionConfig session;
  if (GetParam().version == ProtocolVersion::kV3) {
    session.pseudowire = Pseudowire::kEth;
    session.cookie = {1, 2, 3, 4};
  }
  auto lac_session = lac.engine().create_session(*lac_tunnel, session);
  ASSERT_TRUE(lac_session) << lac_session.error().message;
  bench.clock.advance(1s);
  ASSERT_EQ(lac.engine().session(*lac_tunnel, *lac_session)->state, ObjectState::kEstablished);
  const auto lns_sessions = lns.engine().tunnel(lns_tunnel)->sessions;
  ASSERT_EQ(lns_sessions.size(), 1u);
  const SessionView accepted = *lns.engine().session(lns_tunnel, lns_sessions[0]);
  EXPECT_EQ(accepted.state, ObjectState::kEstablished);
  EXPECT_EQ(accepted.peer_session_id, *lac_session);
  EXPECT_FALSE(accepted.initiated_locally);
  EXPECT_EQ(lac.engine().session(*lac_tunnel, *lac_session)->peer_session_id, lns_sessions[0]);

  // An outgoing call the other way.
  SessionConfig outgoing;
  outgoing.call_type = CallType::kOutgoing;
  outgoing.called_number = "123";
  auto lns_session = lns.engine().create_session(lns_tunnel, outgoing);
  ASSERT_TRUE(lns_session) << lns_session.error().message;
  bench.clock.advance(1s);
  EXPECT_EQ(lns.engine().session(lns_tunnel, *lns_session)->state, ObjectState::kEstablished);
  EXPECT_EQ(lac.engine().tunnel(*lac_tunnel)->sessions.size(), 2u);

  ASSERT_TRUE(lac.engine().close_session(*lac_tunnel, *lac_session));
  EXPECT_EQ(lac.engine().session(*lac_tunnel, *lac_session)->state, ObjectState::kClosing);
  bench.clock.advance(1s);
  EXPECT_FALSE(lac.engine().session(*lac_tunnel, *lac_session));
  EXPECT_FALSE(lns.engine().session(lns_tunnel, lns_sessions[0]));
  const auto closed_key = std::make_pair(lns_tunnel, lns_sessions[0]);
  EXPECT_EQ(lns.last_session[closed_key].last_result.result, 3);

  ASSERT_TRUE(lac.engine().close_tunnel(*lac_tunnel));
  EXPECT_EQ(lac.engine().tunnel(*lac_tunnel)->state, ObjectState::kClosing);
  bench.clock.advance(1s);
  EXPECT_TRUE(lac.engine().tunnel_ids().empty());
  EXPECT_TRUE(lns.engine().tunnel_ids().empty());
  EXPECT_EQ(lns.last_tunnel[lns_tunnel].last_result.result, 1);
  EXPECT_EQ(lac.count("session_removed"), 2u);
  EXPECT_EQ(lns.count("session_removed"), 2u);
  EXPECT_EQ(lns.count("tunnel_removed"), 1u);
  // The receiver of the StopCCN keeps acknowledging for a while, then forgets.
  bench.clock.advance(1min);
  EXPECT_EQ(lac.engine().stats().unknown_tunnel + lns.engine().stats().unknown_tunnel, 0u);
}

TEST_P(EngineSmokeTest, SharedSecretAuthenticatesAndHides) {
  TunnelConfig config = tunnel_config();
  config.control.secret = {'s', 'e', 'c', 'r', 'e', 't'};
  config.control.hide_avps = true;
  ListenerConfig listener = listener_config();
  listener.control.secret = config.control.secret;
  listener.control.hide_avps = true;
  ASSERT_TRUE(lns.engine().listen(listener));
  auto id = lac.engine().create_tunnel(config);
  ASSERT_TRUE(id);
  bench.clock.advance(1s);
  ASSERT_EQ(lac.engine().tunnel(*id)->state, ObjectState::kEstablished);
  auto session = lac.engine().create_session(*id, {});
  ASSERT_TRUE(session);
  bench.clock.advance(1s);
  EXPECT_EQ(lac.engine().session(*id, *session)->state, ObjectState::kEstablished);
  EXPECT_EQ(lac.engine().stats().authentication_failures, 0u);
  EXPECT_EQ(lns.engine().stats().authentication_failures, 0u);
}

TEST_P(EngineSmokeTest, WrongSecretNeverEstablishes) {
  TunnelConfig config = tunnel_config();
  config.control.secret = {'o', 'n', 'e'};
  ListenerConfig listener = listener_config();
  listener.control.secret = {'t', 'w', 'o'};
  ASSERT_TRUE(lns.engine().listen(listener));
  auto id = lac.engine().create_tunnel(config);
  ASSERT_TRUE(id);
  bench.clock.advance(1min);
  EXPECT_TRUE(lac.engine().tunnel_ids().empty());
  EXPECT_TRUE(lns.engine().tunnel_ids().empty());
  const LastResult result = lac.last_tunnel[*id].last_result;
  if (GetParam().version == ProtocolVersion::kV2) {
    EXPECT_EQ(result.result, 4) << result.message;
  } else {
    EXPECT_EQ(result.result, 2) << result.message;  // digests dropped: a dead peer
    EXPECT_GT(lns.engine().stats().authentication_failures, 0u);
  }
}

TEST_P(EngineSmokeTest, SimultaneousOpenLeavesOneTunnel) {
  ASSERT_TRUE(lns.engine().listen(listener_config()));
  ListenerConfig reverse_listener = listener_config();
  reverse_listener.local = lac.address;
  ASSERT_TRUE(lac.engine().listen(reverse_listener));
  TunnelConfig reverse = tunnel_config();
  reverse.local = lns.address;
  reverse.peer = lac.address;
  ASSERT_TRUE(lac.engine().create_tunnel(tunnel_config()));
  ASSERT_TRUE(lns.engine().create_tunnel(reverse));
  bench.clock.advance(5s);
  EXPECT_EQ(lac.engine().tunnel_ids().size(), 1u);
  EXPECT_EQ(lns.engine().tunnel_ids().size(), 1u);
  EXPECT_EQ(lac.established_tunnels(), 1u);
  EXPECT_EQ(lns.established_tunnels(), 1u);
  bench.clock.advance(2min);
  EXPECT_EQ(lac.established_tunnels(), 1u);
}

TEST_P(EngineSmokeTest, QuiescentTunnelsKeepEachOtherAlive) {
  TunnelConfig a = tunnel_config();
  a.mode = TunnelMode::kQuiescent;
  a.tunnel_id = 100;
  a.peer_tunnel_id = 200;
  a.control.channel.hello_interval = 10s;
  TunnelConfig b = a;
  b.local = lns.address;
  b.peer = lac.address;
  b.tunnel_id = 200;
  b.peer_tunnel_id = 100;
  ASSERT_TRUE(lac.engine().create_tunnel(a));
  ASSERT_TRUE(lns.engine().create_tunnel(b));
  EXPECT_EQ(lac.engine().tunnel(100)->state, ObjectState::kEstablished);
  SessionConfig session;
  session.session_id = 5;
  session.peer_session_id = 6;
  ASSERT_TRUE(lac.engine().create_session(100, session));
  bench.clock.advance(5min);
  EXPECT_EQ(lac.engine().session(100, 5)->state, ObjectState::kEstablished);
  EXPECT_EQ(lns.engine().tunnel(200)->state, ObjectState::kEstablished);
  EXPECT_GT(lac.engine().tunnel(100)->hello_tx, 0u);
  bench.drop_all = true;
  bench.clock.advance(2min);
  EXPECT_TRUE(lac.engine().tunnel_ids().empty());
  EXPECT_EQ(lac.last_tunnel[100].last_result.result, 2);
}

// Mutated copies of real traffic, fed to both sides between the real
// exchanges: nothing may crash (run under the sanitizers), and the observer
// contract must hold throughout.
TEST_P(EngineSmokeTest, MutatedTrafficBreaksNothing) {
  bench.capture = true;
  TunnelConfig config = tunnel_config();
  ListenerConfig listener = listener_config();
  config.control.secret = {'k'};
  listener.control.secret = {'k'};
  if (GetParam().version == ProtocolVersion::kV2) config.control.hide_avps = true;
  ASSERT_TRUE(lns.engine().listen(listener));
  std::mt19937 rng(GetParam().ipv6 ? 7 : 3);
  for (int round = 0; round < 6; ++round) {
    auto tunnel = lac.engine().create_tunnel(config);
    ASSERT_TRUE(tunnel);
    bench.clock.advance(1s);
    SessionConfig session;
    session.call_type = round % 2 ? CallType::kOutgoing : CallType::kIncoming;
    (void)lac.engine().create_session(*tunnel, session);
    bench.clock.advance(1s);
    for (int i = 0; i < 3000 && !bench.captured.empty(); ++i) {
      const auto& original = bench.captured[rng() % bench.captured.size()];
      wire::Bytes bytes = original.bytes;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !bytes.empty(); ++e) {
        switch (rng() % 4) {
          case 0:
            bytes[rng() % bytes.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
            break;
          case 1:
            bytes.resize(rng() % bytes.size());
            break;
          case 2:
            bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
            break;
          default:
            bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(rng() % bytes.size()),
                         static_cast<std::uint8_t>(rng()));
            break;
        }
      }
      Datagram datagram = original.datagram;
      datagram.bytes = bytes;
      original.to->engine().receive(datagram);
      if (i % 100 == 0) bench.clock.advance(50ms);
    }
    if (lac.engine().tunnel(*tunnel)) (void)lac.engine().close_tunnel(*tunnel);
    bench.clock.advance(2min);
    bench.captured.resize(std::min<std::size_t>(bench.captured.size(), 64));
  }
  bench.clock.advance(10min);
  EXPECT_TRUE(lac.engine().tunnel_ids().empty());
  EXPECT_TRUE(lns.engine().tunnel_ids().empty());
  for (Host* host : {&lac, &lns}) {
    EXPECT_EQ(host->count("tunnel_added"), host->count("tunnel_removed"));
    EXPECT_EQ(host->count("session_added"), host->count("session_removed"));
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, EngineSmokeTest,
                         ::testing::Values(Setup{ProtocolVersion::kV2, Encapsulation::kUdp, false},
                                           Setup{ProtocolVersion::kV2, Encapsulation::kUdp, true},
                                           Setup{ProtocolVersion::kV3, Encapsulation::kUdp, false},
                                           Setup{ProtocolVersion::kV3, Encapsulation::kIp, false},
                                           Setup{ProtocolVersion::kV3, Encapsulation::kIp, true}),
                         [](const ::testing::TestParamInfo<Setup>& param) {
                           return std::string(param.param.version == ProtocolVersion::kV2 ? "v2"
                                                                                          : "v3") +
                                  (param.param.encapsulation == Encapsulation::kUdp ? "_udp"
                                                                                    : "_ip") +
                                  (param.param.ipv6 ? "_ipv6" : "_ipv4");
                         });

TEST(EngineSmokeStatic, StaticV3TunnelAndSessionNeedNoPeer) {
  Bench bench;
  Host& host = bench.add(5, Endpoint::ipv4({192, 0, 2, 1}, 1701));
  TunnelConfig config;
  config.mode = TunnelMode::kStatic;
  config.version = ProtocolVersion::kV3;
  config.local = host.address;
  config.peer = Endpoint::ipv4({192, 0, 2, 9}, 1701);
  config.tunnel_id = 10;
  config.peer_tunnel_id = 20;
  ASSERT_TRUE(host.engine().create_tunnel(config));
  EXPECT_EQ(host.engine().tunnel(10)->state, ObjectState::kEstablished);
  SessionConfig session;
  session.pseudowire = Pseudowire::kEth;
  EXPECT_EQ(host.engine().create_session(10, session).error().code, ErrorCode::kInvalidArgument);
  session.session_id = 1;
  session.peer_session_id = 2;
  ASSERT_TRUE(host.engine().create_session(10, session));
  bench.clock.advance(1s);
  EXPECT_EQ(host.engine().session(10, 1)->state, ObjectState::kEstablished);
  EXPECT_EQ(bench.sent, 0u);
  ASSERT_TRUE(host.engine().close_tunnel(10));
  EXPECT_TRUE(host.engine().tunnel_ids().empty());
  EXPECT_EQ(bench.sent, 0u);

  config.version = ProtocolVersion::kV2;
  EXPECT_EQ(host.engine().create_tunnel(config).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace l2tp::fsm
