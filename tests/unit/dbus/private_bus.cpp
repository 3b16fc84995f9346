#include "private_bus.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "private_bus_config.h"

namespace l2tp::dbus::testing {

PrivateBus::PrivateBus() {
  char pattern[] = "/tmp/l2tpbus-dbus-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  directory_ = pattern;
  const std::string config_path = directory_ + "/bus.conf";
  std::ofstream(config_path) << l2tp::testing::private_bus_config(directory_ + "/bus");

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

  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // A test that crashes takes its bus along instead of leaving an orphan
    // that holds the test's output pipe open.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    close(address_pipe[0]);
    dup2(address_pipe[1], 3);
    execv(daemon_program.c_str(), argv.data());
    _exit(127);
  }
  close(address_pipe[1]);
  // The address is printed once the bus listens.
  char c = 0;
  while (read(address_pipe[0], &c, 1) == 1 && c != '\n') address_ += c;
  close(address_pipe[0]);
  if (address_.empty()) throw std::runtime_error("cannot start " + daemon_program);
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
