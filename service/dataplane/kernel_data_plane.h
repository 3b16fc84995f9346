// The engine's DataPlane on the kernel: tunnels and sessions through the
// "l2tp" generic netlink family, PPP sessions on PPPoL2TP sockets with pppd,
// Ethernet sessions as l2tpeth links set up. Netlink calls are synchronous
// (the kernel answers at once); the answers to the engine always come on a
// later turn of the loop, never from inside a DataPlane call.
//
// What the kernel does asynchronously, and how it is met here:
// - A deleted tunnel leaves the kernel's list only once its deferred work ran,
//   and a deleted l2tpeth device frees its name the same way. A create that
//   meets EEXIST for an id we just deleted, or for an interface name no
//   session holds, is retried for a while (KernelDataPlaneOptions).
// - Static tunnels have no socket of ours and outlive the daemon: they are
//   recorded in a state file (kernel/state_file.h). At start the recorded
//   ones are adopted when the config creates them again (EEXIST with the
//   same parameters is success; different parameters replace the old
//   object), and reconcile() deletes those no config file creates any more.
//   Managed tunnels die with their sockets, so they are never recorded.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/data_plane.h"
#include "core/log.h"
#include "core/timing.h"
#include "dataplane/deferred_answers.h"
#include "kernel/l2tp_client.h"
#include "kernel/state_file.h"
#include "kernel/unique_fd.h"
#include "ppp/ppp_supervisor.h"

namespace l2tp::dataplane {

// pppd as the data plane needs it: ppp::PppSupervisor in the daemon, a fake
// in tests.
class PppLauncher {
 public:
  virtual ~PppLauncher() = default;
  virtual std::expected<void, std::string> start(const PppStartParams& params,
                                                 kernel::UniqueFd pppol2tp_socket) = 0;
  virtual void stop(std::uint32_t tunnel_id, std::uint32_t session_id) = 0;
  // Ends the pppd an earlier daemon started and left running (start-up).
  virtual void end_leftovers() {}
};

// Builds the plane's pppd launcher, which reports to `observer` (the plane).
using PppLauncherFactory = std::function<std::unique_ptr<PppLauncher>(ppp::PppObserver& observer)>;

struct KernelDataPlaneOptions {
  std::string state_path;  // the record of static objects; empty: none kept
  PppLauncherFactory ppp;  // empty: PPP sessions fail (tests of Ethernet)
  // How long an EEXIST caused by the kernel's deferred teardown is waited out.
  Duration retry_interval{50};
  int retry_attempts = 60;
};

class KernelDataPlane final : public DataPlane, public ppp::PppObserver {
 public:
  // The managed tunnel's connected socket (TunnelIo::tunnel_socket).
  using SocketLookup = std::function<std::expected<int, std::string>(const Path&)>;
  using SessionKey = std::pair<std::uint32_t, std::uint32_t>;

  // Answers go to `events`; what it finds and does is logged to `logger`.
  KernelDataPlane(AlarmFactory& alarms, DataPlaneEvents& events, Logger& logger,
                  kernel::L2tpControl& netlink, SocketLookup sockets,
                  KernelDataPlaneOptions options);
  ~KernelDataPlane() override;
  KernelDataPlane(const KernelDataPlane&) = delete;
  KernelDataPlane& operator=(const KernelDataPlane&) = delete;

  // At start, before the config files are applied: reads the record, whose
  // objects become adoptable. Changes nothing in the kernel.
  void load_record();
  // Once the daemon is the one instance serving (its first loop turn):
  // deletes the recorded objects the config files do not create (the
  // `configured` ids). A second l2tpbusd that exits at start never gets here.
  void reconcile(const std::set<std::uint32_t>& configured_tunnels,
                 const std::set<SessionKey>& configured_sessions);

  // Once the daemon serves: the pppd an earlier run left end.
  void end_ppp_leftovers() {
    if (ppp_) ppp_->end_leftovers();
  }

  // The kernel's counters of a session we created; nullopt when it has none.
  std::optional<kernel::SessionCounters> session_counters(std::uint32_t tunnel_id,
                                                          std::uint32_t session_id);

  // DataPlane
  void create_tunnel(const KernelTunnelParams& params) override;
  void delete_tunnel(std::uint32_t tunnel_id) override;
  void create_session(const KernelSessionParams& params) override;
  void delete_session(std::uint32_t tunnel_id, std::uint32_t session_id) override;
  void start_ppp(const PppStartParams& params) override;
  void stop_ppp(std::uint32_t tunnel_id, std::uint32_t session_id) override;

  // ppp::PppObserver (called from the loop, never inside an engine call)
  void ppp_network_up(std::uint32_t tunnel_id, std::uint32_t session_id,
                      const PppAddresses& addresses) override;
  void ppp_ended(std::uint32_t tunnel_id, std::uint32_t session_id, int exit_status,
                 bool authentication_failed, const std::string& message) override;

  const kernel::StaticRecord& record() const { return record_; }

 private:
  struct TunnelEntry {
    KernelTunnelParams params;
    bool created = false;
  };
  struct SessionEntry {
    KernelSessionParams params;
    bool created = false;
  };
  struct Retry {
    std::variant<std::uint32_t, SessionKey> object;
    int attempts_left = 0;
  };

  void attempt_tunnel(std::uint32_t tunnel_id, int attempts_left);
  void attempt_session(const SessionKey& key, int attempts_left);
  void session_created(const SessionKey& key);
  void tunnel_failed(std::uint32_t tunnel_id, const std::string& reason);
  void session_failed(const SessionKey& key, const std::string& reason);
  void retry_later(Retry retry);
  void run_retries();
  void remember(bool add, std::optional<std::uint32_t> tunnel, std::optional<SessionKey> session);
  void save_record();
  bool is_static(std::uint32_t tunnel_id) const;

  kernel::L2tpControl& netlink_;
  SocketLookup sockets_;
  KernelDataPlaneOptions options_;
  DataPlaneEvents& events_;
  Logger& logger_;

  std::unordered_map<std::uint32_t, TunnelEntry> tunnels_;
  std::map<SessionKey, SessionEntry> sessions_;
  // Ids we deleted: an EEXIST for them is the kernel still tearing down.
  std::set<std::uint32_t> deleted_tunnels_;
  std::set<SessionKey> deleted_sessions_;

  kernel::StaticRecord record_;     // what the state file says
  kernel::StaticRecord adoptable_;  // recorded, still in the kernel, configured

  DeferredAnswers answers_;
  std::unique_ptr<Alarm> retry_alarm_;
  std::deque<Retry> retries_;
  // Last: pppd reports into the members above, so it goes first.
  std::unique_ptr<PppLauncher> ppp_;
};

}  // namespace l2tp::dataplane
