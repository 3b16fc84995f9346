#include "daemon/log.h"

#include <cstdio>

namespace l2tp::daemon {

namespace {

LogLevel current_level = LogLevel::kInfo;

// syslog(3) priorities, as journald reads them from "<N>" prefixes.
int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return 3;
    case LogLevel::kWarning:
      return 4;
    case LogLevel::kNotice:
      return 5;
    case LogLevel::kInfo:
      return 6;
    case LogLevel::kDebug:
      return 7;
  }
  return 6;
}

}  // namespace

void set_log_level(LogLevel level) {
  current_level = level;
}
LogLevel log_level() {
  return current_level;
}
bool log_enabled(LogLevel level) {
  return level <= current_level;
}

void log_line(LogLevel level, std::string_view object, std::string_view message) {
  if (!log_enabled(level)) return;
  std::string line = "<" + std::to_string(syslog_priority(level)) + ">";
  if (!object.empty()) {
    line += object;
    line += ": ";
  }
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string printable(std::string_view untrusted) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(untrusted.size());
  for (unsigned char c : untrusted) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace l2tp::daemon
