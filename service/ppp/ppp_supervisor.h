// pppd, one process per PPP session (pppd's own model): started on a
// connected PPPoL2TP socket with pppol2tp.so and our reporting plugin,
// watched as a child of the event loop, stopped on request. The options pppd
// gets are built only from the validated session and listener options
// (ppp_arguments.h); secrets reach pppd through an inherited pipe, never a
// command line or a file.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "core/data_plane.h"
#include "core/log.h"
#include "kernel/unique_fd.h"
#include "loop/event_loop.h"
#include "ppp/ppp_arguments.h"  // PppPaths

namespace l2tp::ppp {

// Answers, always from a later turn of the loop, never from inside start()
// or stop().
class PppObserver {
 public:
  virtual ~PppObserver() = default;
  // IPCP is up: the PPP network phase (again after each renegotiation).
  virtual void ppp_network_up(std::uint32_t tunnel_id, std::uint32_t session_id,
                              const PppAddresses& addresses) = 0;
  // pppd ended on its own (not after stop()); `message` says why, for a person.
  virtual void ppp_ended(std::uint32_t tunnel_id, std::uint32_t session_id, int exit_status,
                         bool authentication_failed, const std::string& message) = 0;
};

// Every pppd gets SIGTERM when the daemon dies (PR_SET_PDEATHSIG; pppd is
// forked from the event loop's thread, the main one, which lives as long as
// the daemon). With a state directory, the supervisor also keeps the record
// of its pppd there (ppp_record.h), and end_leftovers() ends those an earlier
// daemon left running.
class PppSupervisor {
 public:
  // `logger` (optional) gets pppd's own output line by line, per session.
  // `state_directory` (optional) holds the record of running pppd.
  PppSupervisor(loop::EventLoop& loop, PppPaths paths, PppObserver& observer,
                Logger* logger = nullptr, std::string state_directory = {});
  // Kills (SIGKILL) and reaps every pppd still running.
  ~PppSupervisor();
  PppSupervisor(const PppSupervisor&) = delete;
  PppSupervisor& operator=(const PppSupervisor&) = delete;

  // Starts pppd for the session on `pppol2tp_socket` (connected; the kernel
  // session exists). Server-role sessions get an address from the listener's
  // pool, released when pppd ends. Errors (pool exhausted, fork failed) are
  // returned, and nothing is left running.
  std::expected<void, std::string> start(const PppStartParams& params,
                                         kernel::UniqueFd pppol2tp_socket);
  // SIGTERM, then SIGKILL after 3 s; no ppp_ended follows for this session.
  void stop(std::uint32_t tunnel_id, std::uint32_t session_id);
  std::size_t running() const;

  // Ends (SIGTERM, SIGKILL after 3 s) the pppd processes that the record
  // left by an earlier daemon names and that are provably those it started;
  // forgets the others. Call once this daemon is the only one (it owns its
  // bus name): a second daemon that fails to start must not end the first
  // one's sessions.
  void end_leftovers();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace l2tp::ppp
