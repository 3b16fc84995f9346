#include "ppp/ppp_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "kernel/state_file.h"
#include "ppp/address_pool.h"
#include "ppp/exit_status.h"
#include "ppp/ppp_record.h"
#include "ppp/report_protocol.h"

namespace l2tp::ppp {

namespace {

using kernel::UniqueFd;
using Key = std::pair<std::uint32_t, std::uint32_t>;

constexpr auto kKillGrace = std::chrono::seconds(3);
constexpr std::size_t kMaxPasswordBytes = 255;  // pppd's MAXSECRETLEN - 1
constexpr std::size_t kMaxLogLine = 512;
constexpr ChildFds kChildFds{3, 4};
constexpr const char* kRecordFile = "pppd";
// pppd's polite end: LCP Terminate-Request, ip-down, its pid files.
constexpr int kParentDeathSignal = SIGTERM;

std::string errno_text(int error) {
  return std::strerror(error);
}

// Moves `fd` to a descriptor above every one the child sets up, so the
// child's dup2() calls can never overwrite a source they still need.
std::expected<UniqueFd, std::string> high_copy(int fd) {
  const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (copy < 0) return std::unexpected("cannot duplicate a descriptor: " + errno_text(errno));
  return UniqueFd(copy);
}

// Control characters from pppd's output must not reach the journal raw.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  return out;
}

bool mentions(std::string_view line, std::initializer_list<std::string_view> words) {
  for (std::string_view word : words) {
    if (line.find(word) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

struct PppSupervisor::Impl {
  struct Child {
    Key key;
    pid_t pid = -1;
    std::uint64_t start_time = 0;  // for the record
    UniqueFd control;
    UniqueFd log;
    std::unique_ptr<loop::IoWatch> control_watch;
    std::unique_ptr<loop::IoWatch> log_watch;
    std::unique_ptr<loop::Watch> child_watch;
    std::unique_ptr<Alarm> kill_alarm;
    ReportReader reports;
    std::string log_partial;
    std::string leased_address;
    // What the network phase reported so far; IPCP and IPV6CP finish in
    // either order, and each report carries both.
    std::optional<PppAddresses> addresses;
    std::string local_address6;
    std::string peer_address6;
    Ip6Negotiation ip6_negotiation = Ip6Negotiation::kPending;
    std::string auth_line;   // pppd's last word on authentication
    std::string error_line;  // pppd's last complaint
    bool stopping = false;   // stop() was called: no ppp_ended
    bool control_eof = false;
    bool log_eof = false;
    bool exited = false;
    int exit_code = 0;  // CLD_EXITED, CLD_KILLED, ...
    int exit_status = 0;
  };

  // What the observer hears, delivered from `later` so that no answer comes
  // from inside start(), stop() or an event source's own callback.
  struct NetworkUp {
    Key key;
    pid_t pid;
    PppAddresses addresses;
  };

  Impl(loop::EventLoop& event_loop, PppPaths ppp_paths, PppObserver& ppp_observer,
       Logger* ppp_logger, std::string state)
      : loop(event_loop),
        paths(std::move(ppp_paths)),
        observer(ppp_observer),
        logger(ppp_logger),
        state_directory(std::move(state)),
        later(event_loop.create([this] { run_later(); })) {
    load_record();
  }

  loop::EventLoop& loop;
  PppPaths paths;
  PppObserver& observer;
  Logger* logger;
  std::string state_directory;
  // What an earlier daemon recorded, kept in the record until
  // end_leftovers() has dealt with it.
  PppRecord inherited;
  std::vector<LeftoverPppd> leftovers;
  std::unique_ptr<Alarm> leftover_kill;
  std::unique_ptr<Alarm> later;
  std::map<Key, std::unique_ptr<Child>> children;
  std::deque<NetworkUp> pending_up;
  AddressPool pool;

  void log(LogLevel level, const Key& key, const std::string& message) {
    if (logger == nullptr) return;
    logger->log(level, "session " + session_identity(key.first, key.second), message);
  }
  void log_daemon(LogLevel level, const std::string& message) {
    if (logger != nullptr) logger->log(level, "daemon", message);
  }

  void load_record();
  void save_record();
  void end_leftovers();

  void schedule() { later->arm(Duration(0)); }

  std::expected<void, std::string> start(const PppStartParams& params, UniqueFd socket);
  std::expected<pid_t, std::string> spawn(const std::vector<std::string>& argv, int pppol2tp,
                                          int control, int log_fd);
  void read_control(Child& child);
  void read_log(Child& child);
  void handle_report(Child& child, const Report& report);
  void ip6_settled(Child& child, Ip6Negotiation outcome);
  void network_changed(Child& child);
  void handle_log_line(Child& child, std::string_view line);
  void stop(const Key& key);
  void run_later();
  void finish(Child& child);
};

PppSupervisor::PppSupervisor(loop::EventLoop& loop, PppPaths paths, PppObserver& observer,
                             Logger* logger, std::string state_directory)
    : impl_(std::make_unique<Impl>(loop, std::move(paths), observer, logger,
                                   std::move(state_directory))) {}

PppSupervisor::~PppSupervisor() {
  for (auto& [key, child] : impl_->children) {
    // Stop the sources first: nothing may call back into a dying supervisor.
    child->child_watch.reset();
    child->control_watch.reset();
    child->log_watch.reset();
    // sd-event reaped an exited child already.
    if (child->exited) continue;
    ::kill(-child->pid, SIGKILL);
    ::kill(child->pid, SIGKILL);
    while (::waitpid(child->pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

std::expected<void, std::string> PppSupervisor::start(const PppStartParams& params,
                                                      UniqueFd pppol2tp_socket) {
  return impl_->start(params, std::move(pppol2tp_socket));
}

void PppSupervisor::stop(std::uint32_t tunnel_id, std::uint32_t session_id) {
  impl_->stop({tunnel_id, session_id});
}

std::size_t PppSupervisor::running() const {
  return impl_->children.size();
}

void PppSupervisor::end_leftovers() {
  impl_->end_leftovers();
}

void PppSupervisor::Impl::load_record() {
  if (state_directory.empty()) return;
  auto text = kernel::read_state_file(state_directory, kRecordFile);
  auto record = text ? parse_ppp_record(*text) : std::unexpected(text.error());
  if (!record) {
    log_daemon(LogLevel::kWarning, "ignoring the record of pppd processes: " + state_directory +
                                       "/" + kRecordFile + ": " + record.error());
    return;
  }
  inherited = std::move(*record);
}

void PppSupervisor::Impl::save_record() {
  if (state_directory.empty()) return;
  PppRecord record = inherited;
  for (const auto& [key, child] : children)
    if (!child->exited) record.insert({child->pid, child->start_time, key.first, key.second});
  if (auto saved =
          kernel::write_state_file(state_directory, kRecordFile, format_ppp_record(record));
      !saved)
    log_daemon(LogLevel::kWarning, "cannot keep the record of pppd processes: " + saved.error());
}

void PppSupervisor::Impl::end_leftovers() {
  for (const PppProcess& recorded : std::exchange(inherited, {})) {
    const Key key{recorded.tunnel_id, recorded.session_id};
    auto leftover = LeftoverPppd::find(recorded);
    if (!leftover) continue;  // gone, or its pid belongs to another process now
    log(LogLevel::kNotice, key,
        "ending pppd (pid " + std::to_string(recorded.pid) +
            ") that an earlier l2tpbusd started and left running");
    if (leftover->signal(SIGTERM)) leftovers.push_back(std::move(*leftover));
  }
  save_record();
  if (leftovers.empty()) return;
  leftover_kill = loop.create([this] {
    for (const LeftoverPppd& leftover : leftovers)
      if (leftover.running()) leftover.signal(SIGKILL);
    leftovers.clear();
  });
  leftover_kill->arm(std::chrono::duration_cast<Duration>(kKillGrace));
}

std::expected<void, std::string> PppSupervisor::Impl::start(const PppStartParams& params,
                                                            UniqueFd socket) {
  const Key key{params.session.tunnel_id, params.session.session_id};
  if (children.contains(key)) return std::unexpected("pppd already runs for this session");
  if (!socket.valid()) return std::unexpected("no PPPoL2TP socket");
  if (params.role == PppRole::kClient && params.client.password.size() > kMaxPasswordBytes) {
    return std::unexpected("the PPP password is longer than pppd accepts");
  }

  std::string leased;
  if (params.role == PppRole::kServer && !params.server.address_pool.empty()) {
    auto address = pool.lease(params.server.address_pool);
    if (!address) return std::unexpected(address.error());
    leased = *address;
  }
  // Every early return below gives the address back.
  struct Lease {
    AddressPool& pool;
    std::string address;
    ~Lease() {
      if (!address.empty()) pool.release(address);
    }
  } lease{pool, leased};

  auto argv = ppp_arguments(params, paths, kChildFds, leased);
  if (!argv) return std::unexpected(argv.error());

  int control_pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control_pair) < 0) {
    return std::unexpected("socketpair: " + errno_text(errno));
  }
  UniqueFd control(control_pair[0]);
  UniqueFd child_control(control_pair[1]);
  int log_pipe[2];
  if (::pipe2(log_pipe, O_CLOEXEC) < 0) return std::unexpected("pipe: " + errno_text(errno));
  UniqueFd log_read(log_pipe[0]);
  UniqueFd log_write(log_pipe[1]);

  // The password is in the socket before pppd exists, and our half-close
  // marks its end; a few hundred bytes never fill a socket buffer.
  if (params.role == PppRole::kClient && !params.client.password.empty()) {
    const std::string& password = params.client.password;
    if (::send(control.get(), password.data(), password.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(password.size())) {
      return std::unexpected("cannot hand pppd its password: " + errno_text(errno));
    }
  }
  ::shutdown(control.get(), SHUT_WR);

  auto pid = spawn(*argv, socket.get(), child_control.get(), log_write.get());
  if (!pid) return std::unexpected(pid.error());
  // pppd holds its own copies now.
  socket.reset();
  child_control.reset();
  log_write.reset();
  ::fcntl(control.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(log_read.get(), F_SETFL, O_NONBLOCK);

  auto child = std::make_unique<Child>();
  Child* raw = child.get();
  child->key = key;
  child->pid = *pid;
  if (auto facts = read_process_facts(*pid)) child->start_time = facts->start_time;
  child->control = std::move(control);
  child->log = std::move(log_read);
  child->leased_address = std::exchange(lease.address, std::string());
  auto child_watch = loop.watch_child(*pid, [this, raw](int code, int status) {
    // pppd is a zombie until this callback returns, so its group id cannot
    // have been reused yet: scripts it left behind end with it.
    ::kill(-raw->pid, SIGKILL);
    // The peer's address is free the moment pppd is gone, not a turn later.
    if (!raw->leased_address.empty()) pool.release(std::exchange(raw->leased_address, {}));
    raw->exited = true;
    raw->exit_code = code;
    raw->exit_status = status;
    schedule();
  });
  auto control_watch = loop.watch_fd(raw->control.get(), EPOLLIN,
                                     [this, raw](std::uint32_t) { read_control(*raw); });
  auto log_watch =
      loop.watch_fd(raw->log.get(), EPOLLIN, [this, raw](std::uint32_t) { read_log(*raw); });
  if (!child_watch || !control_watch || !log_watch) {
    ::kill(-*pid, SIGKILL);
    ::kill(*pid, SIGKILL);
    if (child_watch) child_watch->reset();  // drop the source before reaping by hand
    while (::waitpid(*pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (!child->leased_address.empty()) pool.release(child->leased_address);
    return std::unexpected("cannot watch pppd");
  }
  child->child_watch = std::move(*child_watch);
  child->control_watch = std::move(*control_watch);
  child->log_watch = std::move(*log_watch);
  log(LogLevel::kInfo, key,
      "pppd started (pid " + std::to_string(*pid) + ")" +
          (leased.empty() ? std::string() : ", peer address " + leased));
  children.emplace(key, std::move(child));
  save_record();
  return {};
}

std::expected<pid_t, std::string> PppSupervisor::Impl::spawn(const std::vector<std::string>& argv,
                                                             int pppol2tp, int control,
                                                             int log_fd) {
  auto devnull_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull_fd < 0) return std::unexpected("/dev/null: " + errno_text(errno));
  UniqueFd devnull(devnull_fd);
  auto high_socket = high_copy(pppol2tp);
  auto high_control = high_copy(control);
  auto high_log = high_copy(log_fd);
  auto high_null = high_copy(devnull.get());
  if (!high_socket || !high_control || !high_log || !high_null) {
    return std::unexpected("cannot prepare pppd's descriptors: " + errno_text(errno));
  }
  // exec() failures come back through this pipe; success closes it empty.
  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) < 0) return std::unexpected("pipe: " + errno_text(errno));
  UniqueFd status_read(status_pipe[0]);
  UniqueFd status_write(status_pipe[1]);

  // Everything the child needs is built before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  static constexpr const char* kEnvironment[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", nullptr};
  const int sources[] = {high_null->get(), high_log->get(), high_log->get(), high_socket->get(),
                         high_control->get()};
  const int status_fd = status_write.get();
  const pid_t parent = ::getpid();
  const long open_max = ::sysconf(_SC_OPEN_MAX);
  const int max_fd = open_max > 0 && open_max < 65536 ? static_cast<int>(open_max) : 65536;

  loop::EventLoop::block_child_signal();
  const pid_t pid = ::fork();
  if (pid < 0) return std::unexpected("fork: " + errno_text(errno));
  if (pid == 0) {
    ::setpgid(0, 0);  // our own group: stop() reaches pppd's scripts too
    // pppd must not run on as root once nobody supervises it. The signal
    // comes when the forking thread ends: this is the loop's, the main one.
    // A parent that died before prctl() sent nothing: getppid() tells.
    const bool armed = ::prctl(PR_SET_PDEATHSIG, kParentDeathSignal) == 0;
    if (!armed || ::getppid() != parent) {
      const int error = armed ? ESRCH : errno;
      [[maybe_unused]] auto n = ::write(status_fd, &error, sizeof error);
      ::_exit(127);
    }
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
      ::signal(signal_number, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int target = 0; target < 5; ++target) {
      if (::dup2(sources[target], target) < 0) {
        const int error = errno;
        [[maybe_unused]] auto n = ::write(status_fd, &error, sizeof error);
        ::_exit(127);
      }
    }
    // Exactly descriptors 0..4 cross exec(), whatever a library left open
    // without CLOEXEC; the status pipe closes itself on success.
    const auto first = static_cast<unsigned>(kChildFds.control + 1);
    const auto keep = static_cast<unsigned>(status_fd);
    if (::close_range(first, keep - 1, 0) < 0 || ::close_range(keep + 1, ~0U, 0) < 0) {
      for (int fd = kChildFds.control + 1; fd < max_fd; ++fd) {
        if (fd != status_fd) ::close(fd);
      }
    }
    ::execve(args[0], args.data(), const_cast<char* const*>(kEnvironment));
    const int error = errno;
    [[maybe_unused]] auto n = ::write(status_fd, &error, sizeof error);
    ::_exit(127);
  }
  status_write.reset();
  int child_error = 0;
  ssize_t got = 0;
  do {
    got = ::read(status_read.get(), &child_error, sizeof child_error);
  } while (got < 0 && errno == EINTR);
  if (got > 0) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return std::unexpected("cannot run " + argv[0] + ": " + errno_text(child_error));
  }
  return pid;
}

void PppSupervisor::Impl::read_control(Child& child) {
  if (!child.control.valid() || child.control_eof) return;
  char buffer[1024];
  for (;;) {
    const ssize_t n = ::read(child.control.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      // pppd closed its end (it is exiting); the source goes in run_later,
      // never inside its own callback.
      child.control_eof = true;
      schedule();
      break;
    }
    child.reports.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
  while (auto report = child.reports.next()) {
    if (!*report) {
      log(LogLevel::kWarning, child.key, "pppd plugin: " + report->error());
      continue;
    }
    handle_report(child, **report);
  }
}

void PppSupervisor::Impl::handle_report(Child& child, const Report& report) {
  if (const auto* phase = std::get_if<PhaseReport>(&report)) {
    log(LogLevel::kDebug, child.key, std::string("PPP phase ") + phase_name(phase->phase));
  } else if (const auto* up = std::get_if<IpcpUpReport>(&report)) {
    PppAddresses addresses;
    addresses.local_address = up->local_address;
    addresses.peer_address = up->peer_address;
    addresses.prefix = 32;
    addresses.dns = up->dns;
    addresses.mtu = up->mtu;
    addresses.interface_name = up->interface_name;
    addresses.local_address6 = child.local_address6;
    addresses.peer_address6 = child.peer_address6;
    addresses.ip6_negotiation = child.ip6_negotiation;
    child.addresses = std::move(addresses);
    log(LogLevel::kInfo, child.key,
        "IPCP up on " + up->interface_name + ": " + up->local_address + " peer " +
            (up->peer_address.empty() ? "?" : up->peer_address));
    network_changed(child);
  } else if (const auto* v6 = std::get_if<Ipv6cpUpReport>(&report)) {
    child.local_address6 = link_local_address(v6->local_interface_id);
    child.peer_address6 = link_local_address(v6->peer_interface_id);
    log(LogLevel::kInfo, child.key,
        "IPV6CP up on " + v6->interface_name + ": " + child.local_address6 + " peer " +
            child.peer_address6);
    ip6_settled(child, Ip6Negotiation::kUp);
  } else if (std::holds_alternative<Ipv6cpRefusedReport>(report)) {
    log(LogLevel::kInfo, child.key, "IPV6CP refused by the peer: IPv4 only");
    ip6_settled(child, Ip6Negotiation::kRefused);
  } else if (std::holds_alternative<Ipv6cpOffReport>(report)) {
    ip6_settled(child, Ip6Negotiation::kOff);
  } else if (std::holds_alternative<IpcpDownReport>(report)) {
    log(LogLevel::kInfo, child.key, "IPCP down");
  } else if (std::holds_alternative<Ipv6cpDownReport>(report)) {
    log(LogLevel::kInfo, child.key, "IPV6CP down");
  } else if (const auto* exit = std::get_if<ExitReport>(&report)) {
    log(LogLevel::kDebug, child.key, "pppd exits with status " + std::to_string(exit->status));
  }
}

void PppSupervisor::Impl::ip6_settled(Child& child, Ip6Negotiation outcome) {
  // Only IPV6CP coming up changes a settled outcome: a refusal repeated, or
  // IPV6CP ending on the way down, says nothing new about the negotiation.
  if (outcome != Ip6Negotiation::kUp && child.ip6_negotiation != Ip6Negotiation::kPending) return;
  child.ip6_negotiation = outcome;
  // Before IPCP is up this waits to travel with its report.
  if (!child.addresses) return;
  child.addresses->local_address6 = child.local_address6;
  child.addresses->peer_address6 = child.peer_address6;
  child.addresses->ip6_negotiation = outcome;
  network_changed(child);
}

void PppSupervisor::Impl::network_changed(Child& child) {
  if (child.stopping || child.exited) return;
  pending_up.push_back({child.key, child.pid, *child.addresses});
  schedule();
}

void PppSupervisor::Impl::read_log(Child& child) {
  if (!child.log.valid() || child.log_eof) return;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(child.log.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      if (!child.log_partial.empty()) handle_log_line(child, std::exchange(child.log_partial, {}));
      child.log_eof = true;
      schedule();
      break;
    }
    std::string_view bytes(buffer, static_cast<std::size_t>(n));
    while (!bytes.empty()) {
      const std::size_t newline = bytes.find('\n');
      if (newline == std::string_view::npos) {
        child.log_partial.append(bytes.substr(0, kMaxLogLine - child.log_partial.size()));
        break;
      }
      child.log_partial.append(
          bytes.substr(0, std::min(newline, kMaxLogLine - child.log_partial.size())));
      bytes.remove_prefix(newline + 1);
      handle_log_line(child, std::exchange(child.log_partial, {}));
    }
  }
}

void PppSupervisor::Impl::handle_log_line(Child& child, std::string_view raw_line) {
  const std::string line = printable(raw_line);
  if (line.empty()) return;
  log(LogLevel::kInfo, child.key, "pppd: " + line);
  if (mentions(line, {"uthentication", "Remote message", "refused to authenticate"})) {
    child.auth_line = line;
  }
  // pppd's pid files and database in /run, read-only under the unit's
  // sandbox, are no reason for a session to end.
  const bool sandboxed_run = mentions(line, {"pid file", "ppp database"});
  if (!sandboxed_run &&
      mentions(line, {"rror", "ailed", "ouldn't", "annot", "an't", "atal", "not "})) {
    child.error_line = line;
  }
}

void PppSupervisor::Impl::stop(const Key& key) {
  auto it = children.find(key);
  if (it == children.end() || it->second->stopping) return;
  Child& child = *it->second;
  child.stopping = true;
  if (child.exited) return;  // its end is being handled; no ppp_ended follows
  log(LogLevel::kInfo, key, "stopping pppd");
  // pppd ends LCP politely on SIGTERM; whatever is left after the grace
  // period, its scripts included, is killed.
  ::kill(child.pid, SIGTERM);
  const pid_t pid = child.pid;
  Child* raw = &child;
  child.kill_alarm = loop.create([raw, pid] {
    if (!raw->exited) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
  });
  child.kill_alarm->arm(std::chrono::duration_cast<Duration>(kKillGrace));
}

void PppSupervisor::Impl::run_later() {
  // Ends first: a session whose pppd is gone gets no late network_up.
  std::vector<Key> finished;
  for (auto& [key, child] : children) {
    if (child->exited) finished.push_back(key);
    // A closed descriptor stays readable forever: drop its source.
    if (child->control_eof) child->control_watch.reset();
    if (child->log_eof) child->log_watch.reset();
  }
  for (const Key& key : finished) {
    auto it = children.find(key);
    if (it == children.end()) continue;
    std::unique_ptr<Child> child = std::move(it->second);
    children.erase(it);
    finish(*child);
  }
  while (!pending_up.empty()) {
    NetworkUp up = std::move(pending_up.front());
    pending_up.pop_front();
    auto it = children.find(up.key);
    if (it == children.end() || it->second->pid != up.pid || it->second->stopping) continue;
    observer.ppp_network_up(up.key.first, up.key.second, up.addresses);
  }
}

void PppSupervisor::Impl::finish(Child& child) {
  // pppd's last words may still be buffered.
  read_control(child);
  read_log(child);
  child.child_watch.reset();
  child.control_watch.reset();
  child.log_watch.reset();
  child.kill_alarm.reset();
  if (!child.leased_address.empty()) pool.release(child.leased_address);

  const ExitDescription description =
      describe_exit(child.exit_code, child.exit_status, child.auth_line, child.error_line);
  log(child.stopping ? LogLevel::kInfo : LogLevel::kNotice, child.key,
      "pppd ended: " + description.message);
  save_record();
  if (child.stopping) return;
  observer.ppp_ended(child.key.first, child.key.second, description.exit_status,
                     description.authentication_failed, description.message);
}

}  // namespace l2tp::ppp
