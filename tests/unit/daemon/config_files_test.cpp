// Config files as objects with names (DaemonImpl on fake ports): their
// states in ConfigFiles, Reload, Up and Down, the file each object names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "daemon_fakes.h"

namespace l2tp::daemon::testing {
namespace {

using fsm::ObjectState;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

constexpr const char* kTunnelFile = "[Tunnel]\nPeer=192.0.2.2\nLocal=192.0.2.1\n";
constexpr const char* kListenerFile = "[Listener]\nLocal=192.0.2.1:1701\n";

ConfigFileStatus up(const std::string& name) {
  return {name, ConfigFileState::kUp, ""};
}

// The daemon's answer to bring_up(), taken once it came.
class UpAnswer {
 public:
  std::function<void(Result<ConfigFileObjects>)> callback() {
    return [this](Result<ConfigFileObjects> result) { answer_ = std::move(result); };
  }
  bool answered() const { return answer_.has_value(); }
  const Result<ConfigFileObjects>& get() const { return *answer_; }

 private:
  std::optional<Result<ConfigFileObjects>> answer_;
};

std::vector<std::uint32_t> open_tunnels(DaemonBench& bench) {
  std::vector<std::uint32_t> open;
  for (std::uint32_t id : bench.daemon().tunnel_ids()) {
    const auto tunnel = bench.daemon().tunnel(id);
    if (tunnel && tunnel->view.state != ObjectState::kClosing) open.push_back(id);
  }
  return open;
}

TEST(ConfigFiles, EachFileIsListedByNameWithItsStateAndItsObjectsNameIt) {
  DaemonBench bench;
  bench.write_file("office.tunnel", kTunnelFile);
  bench.write_file("lns.tunnel", kListenerFile);
  bench.write_file("broken.tunnel", "[Tunnel]\nPeer=192.0.2.2\nVersion=banana\n");
  bench.daemon().load_config();

  const auto files = bench.daemon().config_files();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].name, "broken");
  EXPECT_EQ(files[0].state, ConfigFileState::kFailed);
  EXPECT_THAT(files[0].message, HasSubstr("broken.tunnel:3: Version:"));
  EXPECT_EQ(files[1], up("lns"));
  EXPECT_EQ(files[2], up("office"));
  ASSERT_EQ(bench.observer().config_files.size(), 1u);
  EXPECT_EQ(bench.observer().config_files[0], files);

  ASSERT_EQ(bench.observer().of("tunnel_added").size(), 1u);
  EXPECT_EQ(bench.observer().of("tunnel_added")[0].config_file, "office");
  const std::uint32_t listener = bench.daemon().listener_ids().at(0);
  EXPECT_EQ(bench.daemon().listener(listener)->config_file, "lns");
  EXPECT_EQ(bench.daemon().listener(listener)->state, ListenerState::kListening);

  // Objects of the bus name no file.
  const auto mine = bench.create_tunnel({{"Peer", std::string("192.0.2.3")}}, 1000);
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(bench.daemon().tunnel(*mine)->config_file, "");

  // A reload with nothing changed announces nothing.
  bench.daemon().load_config();
  EXPECT_EQ(bench.observer().config_files.size(), 1u);
}

TEST(ConfigFiles, DownClosesTheObjectsAndReloadDoesNotBringThemBackUpDoes) {
  DaemonBench bench;
  bench.write_file("office.tunnel", kTunnelFile);
  bench.daemon().load_config();
  const std::uint32_t first = open_tunnels(bench).at(0);

  ASSERT_TRUE(bench.daemon().put_down("office").has_value());
  EXPECT_THAT(open_tunnels(bench), IsEmpty());
  EXPECT_THAT(bench.daemon().config_files(),
              ElementsAre(ConfigFileStatus{"office", ConfigFileState::kDown, ""}));

  bench.daemon().load_config();
  bench.write_file("office.tunnel", std::string(kTunnelFile) + "HelloInterval=7\n");
  bench.daemon().load_config();
  EXPECT_THAT(open_tunnels(bench), IsEmpty());
  EXPECT_EQ(bench.daemon().config_files().at(0).state, ConfigFileState::kDown);
  // Down again is no error.
  EXPECT_TRUE(bench.daemon().put_down("office").has_value());

  UpAnswer answer;
  bench.daemon().bring_up("office", answer.callback());
  ASSERT_TRUE(answer.answered());
  ASSERT_TRUE(answer.get().has_value()) << answer.get().error().message;
  ASSERT_EQ(answer.get()->tunnels.size(), 1u);
  const std::uint32_t second = answer.get()->tunnels[0];
  EXPECT_NE(second, first);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(
                bench.daemon().tunnel(second)->view.hello_interval),
            7s);
  EXPECT_THAT(bench.daemon().config_files(), ElementsAre(up("office")));
}

TEST(ConfigFiles, UpOfObjectsThatExistAnswersThemAndChangesNothing) {
  DaemonBench bench;
  bench.write_file("lns.tunnel", kListenerFile);
  bench.daemon().load_config();
  const auto before = bench.observer().events.size();

  UpAnswer answer;
  bench.daemon().bring_up("lns", answer.callback());
  ASSERT_TRUE(answer.answered() && answer.get().has_value());
  EXPECT_EQ(answer.get()->listeners, bench.daemon().listener_ids());
  EXPECT_THAT(answer.get()->tunnels, IsEmpty());
  EXPECT_EQ(bench.observer().events.size(), before);
}

TEST(ConfigFiles, UnknownAndBrokenFilesAreRefusedWithTheirReasons) {
  DaemonBench bench;
  UpAnswer unknown;
  bench.daemon().bring_up("absent", unknown.callback());
  ASSERT_TRUE(unknown.answered() && !unknown.get().has_value());
  EXPECT_EQ(unknown.get().error().kind, FailureKind::kNotFound);
  EXPECT_EQ(unknown.get().error().message,
            "no config file absent.tunnel in " + bench.config_directory());
  const auto down = bench.daemon().put_down("absent");
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().kind, FailureKind::kNotFound);

  // Written after the last reload: Up reads it, Down does not know it yet.
  bench.write_file("new.tunnel", "[Tunnel]\nPeer=192.0.2.2\nColour=blue\n");
  EXPECT_EQ(bench.daemon().put_down("new").error().kind, FailureKind::kNotFound);
  UpAnswer broken;
  bench.daemon().bring_up("new", broken.callback());
  ASSERT_TRUE(broken.answered() && !broken.get().has_value());
  EXPECT_EQ(broken.get().error().kind, FailureKind::kFailed);
  EXPECT_EQ(broken.get().error().message,
            bench.config_directory() + "/new.tunnel:3: Colour: unknown option");
  EXPECT_EQ(bench.daemon().config_files().at(0).state, ConfigFileState::kFailed);
  EXPECT_THAT(bench.daemon().tunnel_ids(), IsEmpty());
}

TEST(ConfigFiles, ATunnelThePeerEndedLeavesItsFileDownUntilUp) {
  DaemonBench bench;
  bench.start_peer();
  bench.write_file("office.tunnel", kTunnelFile);
  bench.daemon().load_config();
  bench.clock().advance(1s);
  const std::uint32_t first = open_tunnels(bench).at(0);
  ASSERT_EQ(bench.daemon().tunnel(first)->view.state, ObjectState::kEstablished);

  bench.peer_closes(bench.peer_tunnel());
  bench.clock().advance(1s);
  EXPECT_FALSE(bench.daemon().tunnel(first).has_value());
  EXPECT_THAT(bench.daemon().config_files(),
              ElementsAre(ConfigFileStatus{"office", ConfigFileState::kDown, "closed by request"}));
  bench.daemon().load_config();  // unchanged: untouched
  EXPECT_THAT(bench.daemon().tunnel_ids(), IsEmpty());

  UpAnswer answer;
  bench.daemon().bring_up("office", answer.callback());
  ASSERT_TRUE(answer.answered() && answer.get().has_value());
  bench.clock().advance(1s);
  EXPECT_EQ(bench.daemon().tunnel(answer.get()->tunnels.at(0))->view.state,
            ObjectState::kEstablished);
  EXPECT_THAT(bench.daemon().config_files(), ElementsAre(up("office")));
}

TEST(ConfigFiles, UpAnswersOnceThePeersNameResolved) {
  DaemonBench bench;
  bench.write_file("named.tunnel", "[Tunnel]\nPeer=lns.example.net\n");
  UpAnswer answer;
  bench.daemon().bring_up("named", answer.callback());
  EXPECT_FALSE(answer.answered());
  EXPECT_THAT(bench.daemon().config_files(), ElementsAre(up("named")));
  // A second Up meanwhile waits for the same tunnel.
  UpAnswer again;
  bench.daemon().bring_up("named", again.callback());
  ASSERT_TRUE(bench.resolver().answer(std::vector{fsm::Endpoint::ipv4({192, 0, 2, 2}, 1701)}));
  ASSERT_TRUE(answer.answered() && answer.get().has_value());
  ASSERT_TRUE(again.answered() && again.get().has_value());
  EXPECT_EQ(answer.get()->tunnels, again.get()->tunnels);
  EXPECT_EQ(bench.daemon().tunnel_ids(), answer.get()->tunnels);
}

TEST(ConfigFiles, ANameThatDoesNotResolveFailsTheFileAndUp) {
  DaemonBench bench;
  bench.write_file("named.tunnel", "[Tunnel]\nPeer=lns.example.net\n");
  UpAnswer answer;
  bench.daemon().bring_up("named", answer.callback());
  ASSERT_TRUE(bench.resolver().answer(std::vector<fsm::Endpoint>{}));
  ASSERT_TRUE(answer.answered() && !answer.get().has_value());
  EXPECT_THAT(answer.get().error().message, HasSubstr("cannot resolve lns.example.net"));
  const auto files = bench.daemon().config_files();
  EXPECT_EQ(files.at(0).state, ConfigFileState::kFailed);
  EXPECT_EQ(files.at(0).message, answer.get().error().message);
}

TEST(ConfigFiles, DownWhileTheNameResolvesDropsTheTunnelAndAnswersUp) {
  DaemonBench bench;
  bench.write_file("named.tunnel", "[Tunnel]\nPeer=lns.example.net\n");
  UpAnswer answer;
  bench.daemon().bring_up("named", answer.callback());
  ASSERT_TRUE(bench.daemon().put_down("named").has_value());
  ASSERT_TRUE(answer.answered() && !answer.get().has_value());
  bench.resolver().answer(std::vector{fsm::Endpoint::ipv4({192, 0, 2, 2}, 1701)});
  bench.clock().advance(1s);
  EXPECT_THAT(open_tunnels(bench), IsEmpty());
  EXPECT_EQ(bench.daemon().config_files().at(0).state, ConfigFileState::kDown);
}

TEST(ConfigFiles, ARemovedFileLeavesTheList) {
  DaemonBench bench;
  bench.write_file("office.tunnel", kTunnelFile);
  bench.daemon().load_config();
  std::filesystem::remove(bench.config_directory() + "/office.tunnel");
  bench.daemon().load_config();
  EXPECT_THAT(bench.daemon().config_files(), IsEmpty());
  EXPECT_THAT(open_tunnels(bench), IsEmpty());
}

TEST(ConfigFiles, AListenerClosedOnTheBusLeavesItsFileDown) {
  DaemonBench bench;
  bench.write_file("lns.tunnel", kListenerFile);
  bench.daemon().load_config();
  ASSERT_TRUE(bench.daemon().close_listener(bench.daemon().listener_ids().at(0)).has_value());
  EXPECT_EQ(bench.daemon().config_files().at(0).state, ConfigFileState::kDown);
  EXPECT_THAT(bench.daemon().config_files().at(0).message, HasSubstr("was closed"));
}

}  // namespace
}  // namespace l2tp::daemon::testing
