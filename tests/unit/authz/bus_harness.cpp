#include "bus_harness.h"

#include <fcntl.h>
#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "private_bus_config.h"

extern char** environ;

namespace l2tp::test {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSliceMs = 20;

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

int milliseconds_left(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(left.count(), 0));
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& environment) {
  std::vector<std::string> arguments = argv;
  std::vector<std::string> variables = environment;
  for (char** entry = environ; *entry != nullptr; ++entry) variables.emplace_back(*entry);
  // Everything the child touches is prepared before fork(): after it only
  // async-signal-safe calls are allowed.
  std::vector<char*> argument_pointers = pointers_to(arguments);
  std::vector<char*> variable_pointers = pointers_to(variables);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // A test that crashes must not leave daemons behind.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    dup2(pipe_fds[1], STDOUT_FILENO);
    execve(argument_pointers[0], argument_pointers.data(), variable_pointers.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  stdout_fd_ = pipe_fds[0];
}

ChildProcess::~ChildProcess() {
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int waited_ms = 0; waited_ms < 3000; waited_ms += 10) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::string ChildProcess::read_line(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    if (auto newline = buffered_.find('\n'); newline != std::string::npos) {
      std::string line = buffered_.substr(0, newline);
      buffered_.erase(0, newline + 1);
      return line;
    }
    pollfd readable{stdout_fd_, POLLIN, 0};
    if (poll(&readable, 1, milliseconds_left(deadline)) <= 0) return {};
    char chunk[512];
    const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) return {};
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

PrivateBus::PrivateBus() {
  std::string pattern = (std::filesystem::temp_directory_path() / "l2tpbus-bus-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  const std::string config_path = directory_ + "/bus.conf";
  std::ofstream(config_path) << l2tp::testing::private_bus_config(directory_ + "/socket");
  daemon_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/dbus-daemon", "--config-file=" + config_path,
                               "--print-address", "--nofork"},
      std::vector<std::string>{});
  address_ = daemon_->read_line(std::chrono::seconds(10));
  if (address_.empty()) throw std::runtime_error("dbus-daemon printed no address");
}

PrivateBus::~PrivateBus() {
  daemon_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

std::unique_ptr<sdbus::IConnection> PrivateBus::connect() const {
  return sdbus::createSessionBusConnectionWithAddress(address_);
}

bool pump_until(sdbus::IConnection& connection, const std::function<bool()>& done,
                std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    while (connection.processPendingRequest()) {
    }
    if (done()) return true;
    const int left = milliseconds_left(deadline);
    if (left == 0) return false;
    const sdbus::IConnection::PollData poll_data = connection.getEventLoopPollData();
    // Short slices, so that `done` is asked again even when it watches
    // something other than this connection.
    int wait = std::min(left, kSliceMs);
    if (const auto relative = poll_data.getRelativeTimeout()) {
      const auto bus_wants = std::chrono::ceil<std::chrono::milliseconds>(*relative).count();
      wait = static_cast<int>(std::min<std::chrono::milliseconds::rep>(wait, bus_wants));
    }
    pollfd ready{poll_data.fd, poll_data.events, 0};
    poll(&ready, 1, wait);
  }
}

void pump_for(sdbus::IConnection& connection, std::chrono::milliseconds duration) {
  pump_until(
      connection, [] { return false; }, duration);
}

bool wait_for_name(sdbus::IConnection& connection, const std::string& name,
                   std::chrono::milliseconds timeout) {
  auto driver = sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  const Clock::time_point deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    bool has_owner = false;
    driver->callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withArguments(name)
        .storeResultsTo(has_owner);
    if (has_owner) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace l2tp::test
