// l2tpctl's exit codes, documented in l2tpctl(1) and stable: scripts test
// them. Every failure is thrown as a CtlError carrying its code and the
// message to print, and main() turns it into both.
#pragma once

#include <stdexcept>
#include <string>

namespace l2tp::ctl {

enum class ExitStatus : int {
  kOk = 0,
  kFailure = 1,        // the daemon refused or the operation failed
  kUsage = 2,          // bad usage or an invalid argument (unknown key, wrong type, bad value)
  kTimeout = 3,        // --wait ran out
  kNotAuthorized = 4,  // polkit said no (or needed a password it could not ask for)
  kNoSuchObject = 5,   // no such tunnel, session, listener or config file
  kNoDaemon = 6,       // l2tpbusd is not running, or the bus is unreachable
};

class CtlError : public std::runtime_error {
 public:
  CtlError(ExitStatus status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  ExitStatus status() const { return status_; }

 private:
  ExitStatus status_;
};

}  // namespace l2tp::ctl
