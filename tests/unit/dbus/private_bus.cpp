#include "private_bus.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace l2tp::dbus::testing {

namespace {

// Everyone may own and call anything: the tests play daemon and clients.
constexpr const char* kConfig = R"(<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=@DIR@/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
)";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

}  // namespace

PrivateBus::PrivateBus() {
  char pattern[] = "/tmp/l2tpbus-dbus-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  const std::string config_path = directory_ + "/bus.conf";
  std::ofstream(config_path) << replace_all(kConfig, "@DIR@", directory_);

  int address_pipe[2];
  if (pipe(address_pipe) != 0) throw std::runtime_error("pipe failed");
  const char* program = std::getenv("DBUS_DAEMON");
  const std::string daemon_program = program != nullptr ? program : "/usr/bin/dbus-daemon";
  const std::string config_argument = "--config-file=" + config_path;
  std::vector<std::string> arguments = {daemon_program, config_argument, "--nofork", "--nopidfile",
                                        "--print-address=3"};
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, address_pipe[1], 3);
  const int spawned =
      posix_spawn(&pid_, daemon_program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(address_pipe[1]);
  if (spawned != 0) {
    close(address_pipe[0]);
    throw std::runtime_error("cannot start " + daemon_program + ": " + std::strerror(spawned));
  }
  // The address is printed once the bus listens.
  char c = 0;
  while (read(address_pipe[0], &c, 1) == 1 && c != '\n') address_ += c;
  close(address_pipe[0]);
  if (address_.empty()) throw std::runtime_error("dbus-daemon printed no address");
}

PrivateBus::~PrivateBus() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  std::remove((directory_ + "/bus.conf").c_str());
  std::remove((directory_ + "/bus").c_str());
  rmdir(directory_.c_str());
}

}  // namespace l2tp::dbus::testing
