// Journald-friendly logging to stderr: "<6>tunnel 4711: established". The
// <N> prefix is the syslog level, which journald reads from a service's
// stderr. Callers name the object; secrets are never passed in.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "core/log.h"

namespace l2tp::daemon {

void set_log_level(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view object, std::string_view message);

// Strings from peers or callers (host names, result messages) are shown with
// control and non-ASCII bytes escaped, so nobody can forge log lines.
std::string printable(std::string_view untrusted);

// log(LogLevel::kInfo, "tunnel 4711", "established with ", peer);
// (g++ 12 has no std::format; the pieces are streamed.)
template <typename... Pieces>
void log(LogLevel level, std::string_view object, Pieces&&... pieces) {
  if (!log_enabled(level)) return;
  std::ostringstream message;
  (message << ... << std::forward<Pieces>(pieces));
  log_line(level, object, message.str());
}

}  // namespace l2tp::daemon
