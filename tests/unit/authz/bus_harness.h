// A private dbus-daemon and the processes tests put on it, so no test ever
// touches the machine's own buses. Children die with the test process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sdbus {
class IConnection;
}

namespace l2tp::test {

// A child whose stdout the test reads line by line.
class ChildProcess {
 public:
  // `environment` entries ("NAME=value") are added to the test's own.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& environment);
  ~ChildProcess();  // SIGTERM, then SIGKILL if it lingers
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line without its newline; empty when the child closed stdout or
  // said nothing within `timeout`.
  std::string read_line(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
};

// dbus-daemon with a session-type configuration in a temporary directory:
// anyone may own any name and talk to anyone, and nothing is activatable.
class PrivateBus {
 public:
  PrivateBus();
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  const std::string& address() const { return address_; }
  std::unique_ptr<sdbus::IConnection> connect() const;

 private:
  std::string directory_;
  std::unique_ptr<ChildProcess> daemon_;
  std::string address_;
};

// Debian's interpreter, which has python3-dbus and python3-gi; the python3
// on PATH may be another build without them.
inline constexpr const char* kDebianPython = "/usr/bin/python3";

// Dispatches `connection` on this thread until `done()` holds or `timeout`
// passes; returns done(). This stands in for the daemon's sd-event loop.
bool pump_until(sdbus::IConnection& connection, const std::function<bool()>& done,
                std::chrono::milliseconds timeout);
// Dispatches for the whole of `duration`.
void pump_for(sdbus::IConnection& connection, std::chrono::milliseconds duration);

// Polls the bus driver until `name` has an owner or `timeout` passes.
bool wait_for_name(sdbus::IConnection& connection, const std::string& name,
                   std::chrono::milliseconds timeout);

}  // namespace l2tp::test
