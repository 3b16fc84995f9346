// A dbus-daemon of the test's own, on a socket in a fresh directory: the
// tests never touch the machine's buses.
#pragma once

#include <sys/types.h>

#include <string>

namespace l2tp::dbus::testing {

class PrivateBus {
 public:
  PrivateBus();  // throws std::runtime_error when dbus-daemon cannot start
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  const std::string& address() const { return address_; }

 private:
  std::string directory_;
  std::string address_;
  pid_t pid_ = -1;
};

}  // namespace l2tp::dbus::testing
