// The supervisor end to end on a real event loop, with shell scripts standing
// in for pppd: they see the argv and descriptors pppd would, write plugin
// reports to the control socket and exit as pppd does.
#include "ppp/ppp_supervisor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "ppp_loop_fixture.h"

namespace l2tp::ppp {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

struct Ended {
  std::uint32_t tunnel_id;
  std::uint32_t session_id;
  int exit_status;
  bool authentication_failed;
  std::string message;
};

class RecordingObserver : public PppObserver {
 public:
  void ppp_network_up(std::uint32_t tunnel_id, std::uint32_t session_id,
                      const PppAddresses& addresses) override {
    ups.push_back({tunnel_id, session_id});
    ip6_outcomes.push_back(addresses.ip6_negotiation);
    last_addresses = addresses;
    if (on_up) on_up();
  }
  void ppp_ended(std::uint32_t tunnel_id, std::uint32_t session_id, int exit_status,
                 bool authentication_failed, const std::string& message) override {
    ended.push_back({tunnel_id, session_id, exit_status, authentication_failed, message});
    if (on_ended) on_ended();
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ups;
  PppAddresses last_addresses;
  std::vector<Ip6Negotiation> ip6_outcomes;
  std::vector<Ended> ended;
  std::function<void()> on_up;
  std::function<void()> on_ended;
};

class PppSupervisorTest : public testing::PppLoopTest {
 protected:
  // Stands in for the PPPoL2TP socket.
  static kernel::UniqueFd some_socket() {
    return kernel::UniqueFd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }

  static PppStartParams client(std::uint32_t session_id = 17) {
    PppStartParams params = session_params(session_id);
    params.client.user = "alice";
    params.client.password = "pa ss\nword";
    return params;
  }

  bool exists(const std::string& name) const { return fs::exists(dir_ + "/" + name); }
  void touch(const std::string& name) const { std::ofstream(dir_ + "/" + name) << ""; }

  RecordingObserver observer_;
};

TEST_F(PppSupervisorTest, ReportsNetworkUpThenTheEndWithPppdsReason) {
  // A descriptor the daemon left without CLOEXEC must not reach pppd.
  const int leaked = ::fcntl(STDERR_FILENO, F_DUPFD, 40);
  ASSERT_GE(leaked, 40);
  const PppPaths paths = fake_pppd(R"(
cat <&4 > "$D/password"
printf '%s\n' "$@" > "$D/argv"
for fd in 0 1 2 3 4; do [ -e /proc/$$/fd/$fd ] || echo "missing $fd" >> "$D/fds"; done
for fd in 5 6 7 8 9 )" + std::to_string(leaked) +
                                   R"(; do
  [ -e /proc/$$/fd/$fd ] && echo "leaked $fd" >> "$D/fds"
done
printf 'PHASE 7\nIPCP-UP ppp0 10.0.0.2 10.0.0.1 192.0.2.53 - 1400\n' >&4
while [ ! -e "$D/go" ]; do sleep 0.02; done
echo "Modem hangup"
printf 'EXIT 16\n' >&4
exit 16)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  observer_.on_up = [&] { touch("go"); };
  ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
  ::close(leaked);
  EXPECT_EQ(supervisor.running(), 1u);
  EXPECT_TRUE(observer_.ups.empty());  // never from inside start()

  ASSERT_TRUE(run_until([&] { return !observer_.ended.empty(); }));
  ASSERT_EQ(observer_.ups.size(), 1u);
  EXPECT_EQ(observer_.ups[0], std::make_pair(4711u, 17u));
  EXPECT_EQ(observer_.last_addresses.local_address, "10.0.0.2");
  EXPECT_EQ(observer_.last_addresses.peer_address, "10.0.0.1");
  EXPECT_EQ(observer_.last_addresses.dns, std::vector<std::string>{"192.0.2.53"});
  EXPECT_EQ(observer_.last_addresses.mtu, 1400u);
  EXPECT_EQ(observer_.last_addresses.interface_name, "ppp0");
  EXPECT_EQ(observer_.last_addresses.prefix, 32u);

  const Ended& end = observer_.ended[0];
  EXPECT_EQ(end.session_id, 17u);
  EXPECT_EQ(end.exit_status, 16);
  EXPECT_FALSE(end.authentication_failed);
  EXPECT_EQ(end.message, "the link went down (peer hung up)");
  EXPECT_EQ(supervisor.running(), 0u);

  EXPECT_EQ(read_file("password"), "pa ss\nword");
  EXPECT_EQ(read_file("fds"), "");
  const std::string argv = read_file("argv");
  EXPECT_NE(argv.find("pppol2tp\n3\n"), std::string::npos) << argv;
  EXPECT_NE(argv.find("l2tpbus-fd\n4\n"), std::string::npos) << argv;
  EXPECT_EQ(argv.find("pa ss"), std::string::npos) << argv;
}

TEST_F(PppSupervisorTest, AuthenticationFailureCarriesPppdsLine) {
  const PppPaths paths = fake_pppd(R"(
echo "CHAP authentication failed: Access denied"
echo "Connection terminated."
printf 'EXIT 19\n' >&4
exit 19)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
  ASSERT_TRUE(run_until([&] { return !observer_.ended.empty(); }));
  EXPECT_TRUE(observer_.ups.empty());
  EXPECT_EQ(observer_.ended[0].exit_status, 19);
  EXPECT_TRUE(observer_.ended[0].authentication_failed);
  EXPECT_EQ(observer_.ended[0].message,
            "the peer refused our credentials (CHAP authentication failed: Access denied)");
}

TEST_F(PppSupervisorTest, SandboxRefusedPidFilesAreNotTheReasonGiven) {
  // Under the unit's sandbox /run is read-only: pppd says so after the line
  // that tells what really went wrong.
  const PppPaths paths = fake_pppd(R"(
echo "Couldn't set PPP MRU: Invalid argument"
echo "Warning: couldn't open ppp database /var/run/pppd2.tdb"
echo "Failed to create pid file /var/run/ppp0.pid: Read-only file system"
printf 'EXIT 1\n' >&4
exit 1)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
  ASSERT_TRUE(run_until([&] { return !observer_.ended.empty(); }));
  EXPECT_NE(observer_.ended[0].message.find("Couldn't set PPP MRU"), std::string::npos)
      << observer_.ended[0].message;
}

TEST_F(PppSupervisorTest, KilledBySignalAndGarbageReports) {
  const PppPaths paths = fake_pppd(R"(
printf 'HELLO\nIPCP-UP ppp0 not-an-address - - - 1\n\001\002\n' >&4
kill -9 $$)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
  ASSERT_TRUE(run_until([&] { return !observer_.ended.empty(); }));
  EXPECT_TRUE(observer_.ups.empty());
  EXPECT_EQ(observer_.ended[0].exit_status, 128 + SIGKILL);
  EXPECT_FALSE(observer_.ended[0].authentication_failed);
  EXPECT_EQ(observer_.ended[0].message, "pppd was killed by signal SIGKILL");
}

TEST_F(PppSupervisorTest, ExecFailureIsAnErrorAndLeavesNothing) {
  PppPaths paths = fake_pppd("exit 0");
  paths.pppd = dir_ + "/no-such-pppd";
  PppSupervisor supervisor(*loop_, paths, observer_);
  const auto started = supervisor.start(client(), some_socket());
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().find("no-such-pppd"), std::string::npos) << started.error();
  EXPECT_EQ(supervisor.running(), 0u);
  run_until([] { return false; }, milliseconds(50));
  EXPECT_TRUE(observer_.ended.empty());
}

TEST_F(PppSupervisorTest, RefusesBadInputWithoutStarting) {
  PppSupervisor supervisor(*loop_, fake_pppd("touch \"$D/ran\""), observer_);
  auto long_password = client();
  long_password.client.password = std::string(256, 'x');
  EXPECT_FALSE(supervisor.start(long_password, some_socket()).has_value());
  auto bad_user = client();
  bad_user.client.user = "alice\nplugin /tmp/x.so";
  EXPECT_FALSE(supervisor.start(bad_user, some_socket()).has_value());
  EXPECT_FALSE(supervisor.start(client(), kernel::UniqueFd()).has_value());
  run_until([] { return false; }, milliseconds(100));
  EXPECT_FALSE(exists("ran"));
  EXPECT_EQ(supervisor.running(), 0u);
}

TEST_F(PppSupervisorTest, StopEndsPppdWithSigtermAndSaysNothing) {
  const PppPaths paths = fake_pppd(R"(
trap 'echo term > "$D/term"; exit 5' TERM
echo $$ > "$D/pid"
while :; do sleep 0.02; done)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
  ASSERT_TRUE(run_until([&] { return exists("pid") && !read_file("pid").empty(); }));
  EXPECT_FALSE(supervisor.start(client(), some_socket()).has_value());  // one pppd per session
  supervisor.stop(4711, 17);
  supervisor.stop(4711, 17);  // harmless twice
  supervisor.stop(1, 2);      // and for sessions it never started
  ASSERT_TRUE(run_until([&] { return supervisor.running() == 0; }));
  EXPECT_TRUE(exists("term"));
  EXPECT_TRUE(observer_.ended.empty());
  const pid_t pid = std::stoi(read_file("pid"));
  EXPECT_EQ(::kill(pid, 0), -1);
}

TEST_F(PppSupervisorTest, StopEscalatesToSigkillAfterTheGracePeriod) {
  const PppPaths paths = fake_pppd(R"(
trap '' TERM
echo $$ > "$D/pid"
while :; do sleep 0.02; done)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
  ASSERT_TRUE(run_until([&] { return exists("pid") && !read_file("pid").empty(); }));
  const auto stopped_at = loop_->now();
  supervisor.stop(4711, 17);
  ASSERT_TRUE(run_until([&] { return supervisor.running() == 0; }, milliseconds(6000)));
  EXPECT_GE(loop_->now() - stopped_at, milliseconds(2900));
  EXPECT_TRUE(observer_.ended.empty());
}

TEST_F(PppSupervisorTest, DestructorKillsAndReaps) {
  const PppPaths paths = fake_pppd(R"(
echo $$ > "$D/pid"
while :; do sleep 0.02; done)");
  pid_t pid = 0;
  {
    PppSupervisor supervisor(*loop_, paths, observer_);
    ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
    ASSERT_TRUE(run_until([&] { return exists("pid") && !read_file("pid").empty(); }));
    pid = std::stoi(read_file("pid"));
  }
  EXPECT_EQ(::kill(pid, 0), -1);  // reaped, not a zombie
  EXPECT_TRUE(observer_.ended.empty());
}

TEST_F(PppSupervisorTest, ServerSessionsLeaseFromThePoolUntilPppdEnds) {
  const PppPaths paths = fake_pppd(R"(
printf '%s\n' "$@" > "$D/argv-$PPID-$$"
while [ ! -e "$D/end" ]; do sleep 0.02; done
exit 16)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  PppStartParams server;
  server.role = PppRole::kServer;
  server.session.tunnel_id = 9;
  server.session.session_id = 1;
  server.session.lns_mode = true;
  server.server.local_address = "10.9.0.1";
  server.server.address_pool = "10.9.0.5-10.9.0.5";
  ASSERT_TRUE(supervisor.start(server, some_socket()).has_value());
  auto second = server;
  second.session.session_id = 2;
  const auto exhausted = supervisor.start(second, some_socket());
  ASSERT_FALSE(exhausted.has_value());
  EXPECT_NE(exhausted.error().find("exhausted"), std::string::npos);

  touch("end");
  ASSERT_TRUE(run_until([&] { return observer_.ended.size() == 1; }));
  fs::remove(dir_ + "/end");
  ASSERT_TRUE(supervisor.start(second, some_socket()).has_value());
  bool found = false;
  ASSERT_TRUE(run_until([&] {
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.path().filename().string().starts_with("argv-")) {
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        if (text.str().find("pppol2tp_session_id\n2\n") != std::string::npos &&
            text.str().find("10.9.0.1:10.9.0.5\n") != std::string::npos) {
          found = true;
        }
      }
    }
    return found;
  }));
  touch("end");
  ASSERT_TRUE(run_until([&] { return observer_.ended.size() == 2; }));
}

TEST_F(PppSupervisorTest, Ipv6cpsOutcomeBeforeIpcpTravelsWithIt) {
  const PppPaths paths = fake_pppd(R"(
printf 'IPV6CP-OFF\nIPCP-UP ppp0 10.0.0.2 10.0.0.1 - - 1400\n' >&4
while :; do sleep 0.02; done)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
  ASSERT_TRUE(run_until([&] { return !observer_.ups.empty(); }));
  EXPECT_EQ(observer_.ip6_outcomes, std::vector<Ip6Negotiation>{Ip6Negotiation::kOff});
  supervisor.stop(4711, 17);
  ASSERT_TRUE(run_until([&] { return supervisor.running() == 0; }));
}

TEST_F(PppSupervisorTest, Ipv6cpsOutcomeAfterIpcpIsANewNetworkUp) {
  // A refusal repeated says nothing new; IPV6CP opening after all does.
  const PppPaths paths = fake_pppd(R"(
printf 'IPCP-UP ppp0 10.0.0.2 10.0.0.1 - - 1400\nIPV6CP-REFUSED\nIPV6CP-REFUSED\n' >&4
printf 'IPV6CP-UP ppp0 0123456789abcdef fedcba9876543210\nIPV6CP-REFUSED\n' >&4
while :; do sleep 0.02; done)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  ASSERT_TRUE(supervisor.start(client(), some_socket()).has_value());
  ASSERT_TRUE(run_until([&] { return observer_.ups.size() == 3; }));
  EXPECT_EQ(observer_.ip6_outcomes,
            (std::vector<Ip6Negotiation>{Ip6Negotiation::kPending, Ip6Negotiation::kRefused,
                                         Ip6Negotiation::kUp}));
  EXPECT_EQ(observer_.last_addresses.local_address, "10.0.0.2");
  EXPECT_EQ(observer_.last_addresses.local_address6, "fe80::123:4567:89ab:cdef");
  supervisor.stop(4711, 17);
  ASSERT_TRUE(run_until([&] { return supervisor.running() == 0; }));
  EXPECT_EQ(observer_.ups.size(), 3u);
}

TEST_F(PppSupervisorTest, ObserverMayStopAndStartFromItsCallbacks) {
  const PppPaths paths = fake_pppd(R"(
printf 'IPCP-UP ppp0 10.0.0.2 10.0.0.1 - - 1400\n' >&4
while :; do sleep 0.02; done)");
  PppSupervisor supervisor(*loop_, paths, observer_);
  int ups = 0;
  observer_.on_up = [&] {
    // Closing the session from its own network_up is what the engine does
    // when a close races the PPP negotiation.
    supervisor.stop(4711, 17);
    if (++ups == 1) {
      EXPECT_TRUE(supervisor.start(client(18), some_socket()).has_value());
    }
  };
  ASSERT_TRUE(supervisor.start(client(17), some_socket()).has_value());
  ASSERT_TRUE(run_until([&] { return ups == 2; }));
  supervisor.stop(4711, 18);
  ASSERT_TRUE(run_until([&] { return supervisor.running() == 0; }));
  EXPECT_TRUE(observer_.ended.empty());
}

}  // namespace
}  // namespace l2tp::ppp
