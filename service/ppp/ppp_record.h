// The record of the pppd processes l2tpbusd started, kept in its state
// directory (kernel/state_file.h: root's own, verified, written atomically),
// so that a daemon started after a crash or SIGKILL can end the pppd an
// earlier run left behind.
//
// pppd dies with its daemon (PR_SET_PDEATHSIG), but a pppd that ignores or
// outlives the signal, or one started by a daemon older than that, must not
// run on as root. A pid alone proves nothing (it is reused), and /proc is
// readable by anyone who could start a process with a look-alike command
// line. So a recorded process is ended only when all of these hold:
//  - its pid and its start time (/proc/PID/stat, in clock ticks since boot)
//    are the ones recorded, and the record comes from the root-only state
//    directory (on /run, a tmpfs: gone at reboot, so start times compare);
//  - its command line names the session as pppd's linkname, exactly as this
//    daemon passes it (`linkname l2tpbus-TUNNEL-SESSION`);
//  - it is still the same process when signalled: it is held by a pidfd
//    opened before the checks, and signalled through that pidfd.
// Format, one process a line: "pppd PID START_TIME TUNNEL_ID SESSION_ID".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace l2tp::ppp {

struct PppProcess {
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // /proc/PID/stat field 22
  std::uint32_t tunnel_id = 0;
  std::uint32_t session_id = 0;
  auto operator<=>(const PppProcess&) const = default;
};
using PppRecord = std::set<PppProcess>;

std::string format_ppp_record(const PppRecord& record);
// Unknown or malformed lines are errors, naming the line.
std::expected<PppRecord, std::string> parse_ppp_record(std::string_view text);

// What /proc says of a process.
struct ProcessFacts {
  std::uint64_t start_time = 0;
  std::vector<std::string> argv;
};
// nullopt when there is no such process (or it cannot be read).
std::optional<ProcessFacts> read_process_facts(pid_t pid, const std::string& proc = "/proc");

// The linkname this daemon gives pppd for a session (ppp_arguments.cpp).
std::string session_linkname(std::uint32_t tunnel_id, std::uint32_t session_id);

// Whether `facts` are provably those of the recorded pppd (see above).
bool is_recorded_pppd(const PppProcess& recorded, const ProcessFacts& facts);

// A recorded pppd that is still running: held by a pidfd, so that a signal
// never reaches another process that got its pid since.
class LeftoverPppd {
 public:
  // nullopt when the process is gone or is not provably the recorded one.
  static std::optional<LeftoverPppd> find(const PppProcess& recorded,
                                          const std::string& proc = "/proc");
  LeftoverPppd(LeftoverPppd&& other) noexcept;
  LeftoverPppd& operator=(LeftoverPppd&& other) noexcept;
  LeftoverPppd(const LeftoverPppd&) = delete;
  LeftoverPppd& operator=(const LeftoverPppd&) = delete;
  ~LeftoverPppd();

  const PppProcess& process() const { return process_; }
  // False once the process has ended.
  bool signal(int signal_number) const;
  bool running() const;

 private:
  LeftoverPppd(PppProcess process, int pidfd) : process_(process), pidfd_(pidfd) {}
  PppProcess process_;
  int pidfd_ = -1;
};

}  // namespace l2tp::ppp
