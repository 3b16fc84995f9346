// pppd never outlives its daemon: the parent-death signal, the record of
// running pppd in the state directory, and the start-up end of those an
// earlier daemon left, which must touch only processes provably its own.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "kernel/state_file.h"
#include "ppp/ppp_record.h"
#include "ppp/ppp_supervisor.h"
#include "ppp_loop_fixture.h"

namespace l2tp::ppp {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class NullObserver : public PppObserver {
 public:
  void ppp_network_up(std::uint32_t, std::uint32_t, const PppAddresses&) override {}
  void ppp_ended(std::uint32_t, std::uint32_t, int, bool, const std::string&) override {}
};

// A process that looks like the pppd of session tunnel-session: a shell
// whose command line carries "linkname l2tpbus-T-S", as pppd's does.
pid_t start_look_alike(const std::string& linkname) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", "while :; do sleep 0.05; done", "pppd", "nodetach", "linkname",
            linkname.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

bool wait_for(const std::function<bool()>& done, milliseconds limit = milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// The status of a child of the test, once it has ended.
std::optional<int> ended_status(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) return status;
  return std::nullopt;
}

std::uint64_t start_time_of(pid_t pid) {
  std::optional<ProcessFacts> facts;
  // /proc shows the new command line only once exec() has happened.
  wait_for([&] {
    facts = read_process_facts(pid);
    return facts && facts->argv.size() > 2;
  });
  return facts ? facts->start_time : 0;
}

class PppLeftoversTest : public testing::PppLoopTest {
 protected:
  void TearDown() override {
    for (pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    PppLoopTest::TearDown();
  }

  pid_t look_alike(const std::string& linkname) {
    const pid_t pid = start_look_alike(linkname);
    children_.push_back(pid);
    return pid;
  }

  // Not named "pppd": that is the record's name.
  PppPaths fake_pppd(const std::string& body) { return PppLoopTest::fake_pppd(body, "fake-pppd"); }

  static PppStartParams client(std::uint32_t session_id = 17) { return session_params(session_id); }

  bool has(const std::string& name) const {
    return fs::exists(dir_ + "/" + name) && !read_file(name).empty();
  }

  NullObserver observer_;
  std::vector<pid_t> children_;
};

TEST(PppRecordTest, RoundTripsAndRefusesWhatItDidNotWrite) {
  const PppRecord record{{1234, 99887766, 5, 6}, {77, 1, 4000000000u, 1}};
  const std::string text = format_ppp_record(record);
  EXPECT_EQ(text,
            "# l2tpbusd: pppd processes it started (pid, start time, tunnel, session)\n"
            "pppd 77 1 4000000000 1\npppd 1234 99887766 5 6\n");
  auto parsed = parse_ppp_record(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, record);
  EXPECT_FALSE(parse_ppp_record("pppd 12 3 4\n"));
  EXPECT_FALSE(parse_ppp_record("pppd 1 3 4 5\n"));   // init is never ours
  EXPECT_FALSE(parse_ppp_record("pppd -5 3 4 5\n"));  // nor a process group
  EXPECT_FALSE(parse_ppp_record("pppd 0 3 4 5\n"));
  EXPECT_FALSE(parse_ppp_record("tunnel 5\n"));
  auto error = parse_ppp_record("\n# fine\npppd 12 3 4 5 6\n");
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error(), "line 3: not understood");
}

TEST(PppRecordTest, ProvesAProcessOnlyByStartTimeAndLinkname) {
  const PppProcess recorded{100, 5000, 3, 4};
  ProcessFacts facts{5000, {"/usr/sbin/pppd", "linkname", "l2tpbus-3-4", "nodetach"}};
  EXPECT_TRUE(is_recorded_pppd(recorded, facts));
  ProcessFacts reused = facts;
  reused.start_time = 5001;  // another process got the pid since
  EXPECT_FALSE(is_recorded_pppd(recorded, reused));
  ProcessFacts other_session{5000, {"/usr/sbin/pppd", "linkname", "l2tpbus-3-44"}};
  EXPECT_FALSE(is_recorded_pppd(recorded, other_session));
  ProcessFacts no_linkname{5000, {"/usr/sbin/pppd", "l2tpbus-3-4"}};
  EXPECT_FALSE(is_recorded_pppd(recorded, no_linkname));
  ProcessFacts trailing{5000, {"/usr/sbin/pppd", "l2tpbus-3-4", "linkname"}};
  EXPECT_FALSE(is_recorded_pppd(recorded, trailing));
}

TEST(PppRecordTest, ReadsTheStartTimeAfterACommandNameWithParentheses) {
  const std::string proc = "/tmp/l2tpbus-fake-proc-" + std::to_string(::getpid());
  fs::create_directories(proc + "/42");
  // Field 22 counted after the last ')': a name like "a) 1 2 (b" cannot shift it.
  std::ofstream(proc + "/42/stat") << "42 (a) 1 2 (b) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 "
                                      "0 1 0 31337 100 5\n";
  std::ofstream(proc + "/42/cmdline") << std::string("pppd\0linkname\0l2tpbus-1-2\0", 26);
  auto facts = read_process_facts(42, proc);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->start_time, 31337u);
  EXPECT_EQ(facts->argv, (std::vector<std::string>{"pppd", "linkname", "l2tpbus-1-2"}));
  EXPECT_FALSE(read_process_facts(43, proc));
  fs::remove_all(proc);
}

TEST_F(PppLeftoversTest, FindsOnlyTheRecordedProcess) {
  const pid_t pid = look_alike("l2tpbus-1-2");
  const std::uint64_t start = start_time_of(pid);
  ASSERT_NE(start, 0u);
  EXPECT_FALSE(LeftoverPppd::find({pid, start + 1, 1, 2}));
  EXPECT_FALSE(LeftoverPppd::find({pid, start, 1, 3}));
  auto found = LeftoverPppd::find({pid, start, 1, 2});

  ASSERT_TRUE(found);
  EXPECT_TRUE(found->running());
  EXPECT_TRUE(found->signal(SIGTERM));
  ASSERT_TRUE(wait_for([&] { return !found->running(); }));
  EXPECT_FALSE(found->signal(SIGTERM));
  auto status = ended_status(pid);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGTERM);
  EXPECT_FALSE(LeftoverPppd::find({pid, start, 1, 2}));  // a zombie reaped: gone
}

TEST_F(PppLeftoversTest, RecordsEachPppdWhileItRuns) {
  const PppPaths paths = fake_pppd(R"(echo $$ > "$D/pid"
while :; do sleep 0.05; done)");
  PppSupervisor supervisor(*loop_, paths, observer_, nullptr, dir_);
  ASSERT_TRUE(supervisor.start(client(), kernel::UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0))));
  ASSERT_TRUE(run_until([&] { return has("pid"); }));
  const pid_t pid = std::stoi(read_file("pid"));
  auto record = parse_ppp_record(read_file("pppd"));
  ASSERT_TRUE(record) << record.error();
  ASSERT_EQ(record->size(), 1u);
  EXPECT_EQ(*record->begin(), (PppProcess{pid, start_time_of(pid), 4711, 17}));
  supervisor.stop(4711, 17);
  ASSERT_TRUE(run_until([&] { return supervisor.running() == 0; }));
  record = parse_ppp_record(read_file("pppd"));
  ASSERT_TRUE(record);
  EXPECT_TRUE(record->empty());
}

TEST_F(PppLeftoversTest, EndsWhatAnEarlierDaemonLeftAndNothingElse) {
  const pid_t ours = look_alike("l2tpbus-7-8");
  const pid_t reused = look_alike("l2tpbus-7-9");     // its pid was recorded, its start time not
  const pid_t stranger = look_alike("l2tpbus-7-10");  // not in the record at all
  const std::uint64_t ours_start = start_time_of(ours);
  const std::uint64_t reused_start = start_time_of(reused);
  ASSERT_TRUE(start_time_of(stranger));
  const PppRecord earlier{{ours, ours_start, 7, 8}, {reused, reused_start + 100, 7, 9}};
  ASSERT_TRUE(kernel::write_state_file(dir_, "pppd", format_ppp_record(earlier)));

  PppSupervisor supervisor(*loop_, fake_pppd("exit 0"), observer_, nullptr, dir_);
  supervisor.end_leftovers();
  std::optional<int> status;
  ASSERT_TRUE(wait_for([&] { return status || (status = ended_status(ours)); }));
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGTERM);
  EXPECT_EQ(::kill(reused, 0), 0);
  EXPECT_EQ(::kill(stranger, 0), 0);
  auto record = parse_ppp_record(read_file("pppd"));
  ASSERT_TRUE(record);
  EXPECT_TRUE(record->empty());
}

TEST_F(PppLeftoversTest, EscalatesToSigkillForALeftoverThatIgnoresSigterm) {
  const pid_t stubborn = ::fork();
  if (stubborn == 0) {
    ::execl("/bin/sh", "sh", "-c", "trap '' TERM; while :; do sleep 0.05; done", "pppd", "linkname",
            "l2tpbus-7-8", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  children_.push_back(stubborn);
  const std::uint64_t start = start_time_of(stubborn);
  ASSERT_TRUE(kernel::write_state_file(dir_, "pppd", format_ppp_record({{stubborn, start, 7, 8}})));
  PppSupervisor supervisor(*loop_, fake_pppd("exit 0"), observer_, nullptr, dir_);
  supervisor.end_leftovers();
  std::optional<int> status;
  // waitpid() reaps once: the status is kept for run_until's second look.
  ASSERT_TRUE(
      run_until([&] { return status || (status = ended_status(stubborn)); }, milliseconds(6000)));
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
}

TEST_F(PppLeftoversTest, PppdGetsSigtermWhenItsDaemonIsKilled) {
  const PppPaths paths = fake_pppd(R"(trap 'echo term > "$D/term"; exit 0' TERM
echo $$ > "$D/pid"
while :; do sleep 0.05; done)");
  // The daemon: a process of its own, which SIGKILL ends without a word.
  const pid_t daemon = ::fork();
  if (daemon == 0) {
    auto loop = loop::EventLoop::create();
    NullObserver observer;
    PppSupervisor supervisor(**loop, paths, observer);
    if (!supervisor.start(client(), kernel::UniqueFd(::socket(AF_INET, SOCK_DGRAM, 0)))) ::_exit(1);
    for (;;) ::pause();
  }
  children_.push_back(daemon);
  ASSERT_TRUE(wait_for([&] { return has("pid"); }));
  const pid_t pppd = std::stoi(read_file("pid"));
  ASSERT_EQ(::kill(daemon, SIGKILL), 0);
  ASSERT_TRUE(wait_for([&] { return has("term"); }))
      << "pppd (pid " << pppd << ") outlived its killed daemon";
}

}  // namespace
}  // namespace l2tp::ppp
