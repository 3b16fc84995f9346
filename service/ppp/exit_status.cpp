#include "ppp/exit_status.h"

#include <signal.h>
#include <string.h>

#include <array>
#include <string_view>

namespace l2tp::ppp {
namespace {

// pppd.h's EXIT_* codes, in order.
constexpr std::array<std::string_view, 22> kExitReasons{
    "ended normally",
    "fatal error",
    "bad options",
    "not run as root",
    "the kernel lacks PPP support",
    "stopped by a signal",
    "could not lock the device",
    "could not open the device",
    "could not connect",
    "pty command failed",
    "LCP/IPCP negotiation failed",
    "the peer failed to authenticate",
    "idle timeout",
    "connect time limit reached",
    "callback requested",
    "the peer stopped answering LCP echo requests",
    "the link went down (peer hung up)",
    "the link is looped back",
    "could not initialise the link",
    "the peer refused our credentials",
    "traffic limit reached",
    "CNID authentication failed",
};

constexpr int kPeerAuthFailed = 11;
constexpr int kAuthToPeerFailed = 19;
constexpr int kCnidAuthFailed = 21;
constexpr int kUserRequest = 5;
constexpr int kHangup = 16;
constexpr int kPeerDead = 15;

}  // namespace

ExitDescription describe_exit(int code, int status, const std::string& auth_line,
                              const std::string& error_line) {
  ExitDescription description;
  if (code != CLD_EXITED) {
    description.exit_status = 128 + status;
    const char* name = sigabbrev_np(status);
    description.message = "pppd was killed by signal " +
                          (name != nullptr ? "SIG" + std::string(name) : std::to_string(status));
    return description;
  }
  description.exit_status = status;
  description.authentication_failed =
      status == kPeerAuthFailed || status == kAuthToPeerFailed || status == kCnidAuthFailed;
  if (status >= 0 && static_cast<std::size_t>(status) < kExitReasons.size()) {
    description.message = kExitReasons[static_cast<std::size_t>(status)];
  } else {
    description.message = "exit status " + std::to_string(status);
  }
  // pppd's own line names the method and the peer's message; for plain
  // hang-ups and stops its last complaint is rarely the cause.
  std::string detail = error_line;
  if (description.authentication_failed) {
    detail = auth_line;
  } else if (status == kUserRequest || status == kHangup || status == kPeerDead) {
    detail.clear();
  }
  if (!detail.empty()) description.message += " (" + detail + ")";
  return description;
}

}  // namespace l2tp::ppp
