#include "ppp/ppp_record.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

#include "kernel/state_file.h"

namespace l2tp::ppp {

namespace {

std::optional<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string format_ppp_record(const PppRecord& record) {
  std::ostringstream out;
  out << "# l2tpbusd: pppd processes it started (pid, start time, tunnel, session)\n";
  for (const PppProcess& p : record)
    out << "pppd " << p.pid << ' ' << p.start_time << ' ' << p.tunnel_id << ' ' << p.session_id
        << '\n';
  return out.str();
}

std::expected<PppRecord, std::string> parse_ppp_record(std::string_view text) {
  PppRecord record;
  auto read = kernel::for_each_record_line(text, [&record](const std::vector<std::string_view>& w) {
    using kernel::parse_record_number;
    PppProcess p;
    if (w.size() == 5 && w[0] == "pppd" && parse_record_number(w[1], p.pid) && p.pid > 1 &&
        parse_record_number(w[2], p.start_time) && parse_record_number(w[3], p.tunnel_id) &&
        parse_record_number(w[4], p.session_id)) {
      record.insert(p);
      return true;
    }
    return false;
  });
  if (!read) return std::unexpected(read.error());
  return record;
}

std::optional<ProcessFacts> read_process_facts(pid_t pid, const std::string& proc) {
  const std::string base = proc + "/" + std::to_string(pid);
  auto stat = read_whole(base + "/stat");
  auto cmdline = read_whole(base + "/cmdline");
  if (!stat || !cmdline) return std::nullopt;
  // The command name in parentheses may hold spaces and parentheses itself:
  // the fields start after the last ')'. Field 3 (state) comes first there;
  // the start time is field 22.
  const std::size_t paren = stat->rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  const auto fields = kernel::record_words(std::string_view(*stat).substr(paren + 1));
  constexpr std::size_t kStartTime = 22 - 3;
  ProcessFacts facts;
  if (fields.size() <= kStartTime ||
      !kernel::parse_record_number(fields[kStartTime], facts.start_time))
    return std::nullopt;
  std::string_view rest = *cmdline;
  while (!rest.empty()) {
    const std::size_t nul = rest.find('\0');
    facts.argv.emplace_back(rest.substr(0, nul));
    rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
  }
  return facts;
}

std::string session_linkname(std::uint32_t tunnel_id, std::uint32_t session_id) {
  return "l2tpbus-" + std::to_string(tunnel_id) + "-" + std::to_string(session_id);
}

bool is_recorded_pppd(const PppProcess& recorded, const ProcessFacts& facts) {
  if (facts.start_time != recorded.start_time) return false;
  const std::string linkname = session_linkname(recorded.tunnel_id, recorded.session_id);
  for (std::size_t i = 0; i + 1 < facts.argv.size(); ++i)
    if (facts.argv[i] == "linkname" && facts.argv[i + 1] == linkname) return true;
  return false;
}

std::optional<LeftoverPppd> LeftoverPppd::find(const PppProcess& recorded,
                                               const std::string& proc) {
  // The pidfd first: the checks below then prove that this very process is
  // the recorded one, and it cannot be swapped for another before a signal.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, recorded.pid, 0));
  if (pidfd < 0) return std::nullopt;
  LeftoverPppd held(recorded, pidfd);
  auto facts = read_process_facts(recorded.pid, proc);
  if (!facts || !is_recorded_pppd(recorded, *facts) || !held.running()) return std::nullopt;
  return held;
}

LeftoverPppd::LeftoverPppd(LeftoverPppd&& other) noexcept
    : process_(other.process_), pidfd_(std::exchange(other.pidfd_, -1)) {}

LeftoverPppd& LeftoverPppd::operator=(LeftoverPppd&& other) noexcept {
  if (this != &other) {
    if (pidfd_ >= 0) ::close(pidfd_);
    process_ = other.process_;
    pidfd_ = std::exchange(other.pidfd_, -1);
  }
  return *this;
}

LeftoverPppd::~LeftoverPppd() {
  if (pidfd_ >= 0) ::close(pidfd_);
}

bool LeftoverPppd::signal(int signal_number) const {
  // A zombie still takes signals: "ended" is what counts.
  return running() && ::syscall(SYS_pidfd_send_signal, pidfd_, signal_number, nullptr, 0) == 0;
}

bool LeftoverPppd::running() const {
  // A pidfd becomes readable when its process ends.
  pollfd entry{.fd = pidfd_, .events = POLLIN, .revents = 0};
  return ::poll(&entry, 1, 0) == 0;
}

}  // namespace l2tp::ppp
