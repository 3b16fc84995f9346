// What l2tpctl does for a person at a terminal: colour, a pager for long
// output, and a polkit agent on the terminal (pkttyagent) so that an action
// needing a password asks for it, as systemctl does.
#pragma once

#include <sys/types.h>

#include <string>

namespace l2tp::ctl {

enum class ColorMode : std::uint8_t { kAuto, kAlways, kNever };

bool stdout_is_terminal();
// kAuto: on a terminal, unless NO_COLOR is set or TERM is dumb.
bool use_color(ColorMode mode);

// Prints `text`; through $L2TPCTL_PAGER, $PAGER or less when stdout is a
// terminal, paging is allowed, and the text is taller than the terminal.
void show(const std::string& text, bool pager_allowed);

// pkttyagent, started for this process when standard input is a terminal
// (and we are not root, whom polkit does not ask), stopped when destroyed.
class PolkitAgent {
 public:
  PolkitAgent() = default;
  ~PolkitAgent();
  PolkitAgent(const PolkitAgent&) = delete;
  PolkitAgent& operator=(const PolkitAgent&) = delete;

  // True when an agent runs and calls may allow interactive authorization.
  bool start();

 private:
  pid_t pid_ = -1;
};

}  // namespace l2tp::ctl
