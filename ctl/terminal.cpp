#include "terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace l2tp::ctl {

namespace {

constexpr const char* kPkttyagent = "/usr/bin/pkttyagent";
constexpr int kAgentStartMs = 5000;

int terminal_rows() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0) return size.ws_row;
  return 24;
}

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t written = write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    done += static_cast<std::size_t>(written);
  }
}

}  // namespace

bool stdout_is_terminal() {
  return isatty(STDOUT_FILENO) == 1;
}

bool use_color(ColorMode mode) {
  if (mode != ColorMode::kAuto) return mode == ColorMode::kAlways;
  if (const char* no_color = std::getenv("NO_COLOR"); no_color && *no_color) return false;
  if (const char* term = std::getenv("TERM"); !term || std::strcmp(term, "dumb") == 0) return false;
  return stdout_is_terminal();
}

void show(const std::string& text, bool pager_allowed) {
  const auto lines = std::ranges::count(text, '\n');
  if (!pager_allowed || !stdout_is_terminal() || lines < terminal_rows()) {
    write_all(STDOUT_FILENO, text);
    return;
  }
  std::string pager = "less";
  if (const char* ours = std::getenv("L2TPCTL_PAGER"); ours) {
    pager = ours;
  } else if (const char* any = std::getenv("PAGER"); any) {
    pager = any;
  }
  if (pager.empty() || pager == "cat") {
    write_all(STDOUT_FILENO, text);
    return;
  }
  // less: quit when the text fits, keep colours, no init sequences.
  setenv("LESS", "FRSXMK", 0);
  std::fflush(stdout);
  FILE* pipe = popen(pager.c_str(), "w");
  if (!pipe) {
    write_all(STDOUT_FILENO, text);
    return;
  }
  signal(SIGPIPE, SIG_IGN);  // the person may quit the pager early
  std::fwrite(text.data(), 1, text.size(), pipe);
  pclose(pipe);
}

PolkitAgent::~PolkitAgent() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

bool PolkitAgent::start() {
  if (isatty(STDIN_FILENO) != 1 || geteuid() == 0 || access(kPkttyagent, X_OK) != 0) return false;
  int notify[2];
  if (pipe2(notify, O_CLOEXEC) < 0) return false;
  const std::string parent = std::to_string(getpid());
  const pid_t pid = fork();
  if (pid < 0) {
    close(notify[0]);
    close(notify[1]);
    return false;
  }
  if (pid == 0) {
    // The agent registers for its parent, this process, and closes the
    // notify descriptor once it is ready.
    close(notify[0]);
    const int flags = fcntl(notify[1], F_GETFD);
    fcntl(notify[1], F_SETFD, flags & ~FD_CLOEXEC);
    const std::string fd = std::to_string(notify[1]);
    execl(kPkttyagent, kPkttyagent, "--notify-fd", fd.c_str(), "--fallback", "--process",
          parent.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(notify[1]);
  pid_ = pid;
  pollfd ready{notify[0], POLLIN, 0};
  while (poll(&ready, 1, kAgentStartMs) < 0 && errno == EINTR) {
  }
  close(notify[0]);
  return true;
}

}  // namespace l2tp::ctl
