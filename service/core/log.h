// Log levels and the Logger port. The levels run from most to least severe,
// as syslog's priorities do, so "at least this severe" is `level <= limit`.
#pragma once

#include <cstdint>
#include <string_view>

namespace l2tp {

enum class LogLevel : std::uint8_t { kError, kWarning, kNotice, kInfo, kDebug };
// "error", "warning", "notice", "info", "debug": the LogLevel= and
// --log-level vocabulary.
const char* to_string(LogLevel level);

// `object` names the subject ("tunnel 4711", "session 4711/17", "listener
// 2"); callers never put a secret, password or cookie into a message.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view object, std::string_view message) = 0;
};

}  // namespace l2tp
