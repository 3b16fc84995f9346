// Why pppd ended, for a person and for the engine's LastResult: pppd's exit
// codes (pppd.h EXIT_*) and signals, with pppd's own last words attached
// where they say more than the code.
#pragma once

#include <string>

namespace l2tp::ppp {

struct ExitDescription {
  int exit_status = 0;  // pppd's exit code, or 128 + signal
  bool authentication_failed = false;
  std::string message;
};

// `code` and `status` as waitid() gives them (CLD_EXITED with the exit code,
// CLD_KILLED / CLD_DUMPED with the signal). `auth_line` and `error_line` are
// pppd's last output lines about authentication and about errors (may be
// empty).
ExitDescription describe_exit(int code, int status, const std::string& auth_line,
                              const std::string& error_line);

}  // namespace l2tp::ppp
