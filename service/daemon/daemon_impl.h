// The Daemon behind daemon.h: the engine on the injected ports (ports.h);
// owners, limits and config files. Names no concrete class of the world it
// runs in: service/main.cpp does.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "daemon/daemon.h"
#include "daemon/ports.h"
#include "dataplane/backend.h"
#include "fsm/engine.h"
#include "resolve/resolver.h"

namespace l2tp::daemon {

class DaemonImpl final : public Daemon,
                         private fsm::EngineObserver,
                         private fsm::CallAdmission,
                         private fsm::Logger {
 public:
  DaemonImpl(DaemonPorts ports, const DaemonOptions& options, DaemonObserver& observer);
  ~DaemonImpl() override;

  void load_config() override;
  void shutdown(Duration grace, std::function<void()> done) override;
  void create_tunnel(const config::TunnelRequest& request, uid_t owner,
                     std::function<void(Result<std::uint32_t>)> done) override;
  Result<std::uint32_t> create_session(std::uint32_t tunnel_id, const fsm::SessionConfig& config,
                                       uid_t owner) override;
  Result<std::uint32_t> listen(const fsm::ListenerConfig& config) override;
  Result<void> close_tunnel(std::uint32_t tunnel_id) override;
  Result<void> close_session(std::uint32_t tunnel_id, std::uint32_t session_id) override;
  Result<void> close_listener(std::uint32_t listener_id) override;

  std::optional<TunnelInfo> tunnel(std::uint32_t tunnel_id) const override;
  std::optional<SessionInfo> session(std::uint32_t tunnel_id,
                                     std::uint32_t session_id) const override;
  std::optional<fsm::ListenerView> listener(std::uint32_t listener_id) const override;
  std::vector<std::uint32_t> tunnel_ids() const override;
  std::vector<std::uint32_t> listener_ids() const override;
  Statistics tunnel_statistics(std::uint32_t tunnel_id) const override;
  Statistics listener_statistics(std::uint32_t listener_id) const override;
  Statistics session_statistics(std::uint32_t tunnel_id, std::uint32_t session_id) const override;
  std::string data_plane() const override;
  std::vector<std::string> features() const override;
  config::Defaults defaults() const override;

 private:
  // fsm::EngineObserver
  void tunnel_added(const fsm::TunnelView& tunnel) override;
  void session_added(const fsm::SessionView& session) override;
  void tunnel_changed(const fsm::TunnelView& tunnel) override;
  void session_changed(const fsm::SessionView& session) override;
  void tunnel_removed(const fsm::TunnelView& tunnel) override;
  void session_removed(const fsm::SessionView& session) override;
  // fsm::CallAdmission
  std::optional<std::string> refuse_incoming_call(std::uint32_t tunnel_id) override;
  // fsm::Logger
  void log(fsm::LogLevel level, std::string_view object, std::string_view message) override;

  TunnelInfo with_owner(const fsm::TunnelView& tunnel) const;
  SessionInfo with_owner(const fsm::SessionView& session) const;
  // On the first loop turn, once the files were applied: the data plane
  // drops what an earlier run left and the files no longer create.
  void reconcile_static_objects();
  std::optional<Failure> refuse_pseudowire(const fsm::SessionConfig& config) const;
  Result<void> check_tunnel_limits(uid_t owner) const;
  void create_resolved_tunnel(config::TunnelRequest request, const fsm::Endpoint& peer, uid_t owner,
                              const std::function<void(Result<std::uint32_t>)>& done);

  // Config files (config_files.cpp).
  struct FileObjects {
    std::string fingerprint;
    std::vector<std::uint32_t> tunnels;
    std::vector<std::uint32_t> listeners;
  };
  void apply_file(const config::LoadedFile& file);
  void retire_file(const std::string& path, const FileObjects& objects);
  void create_config_tunnel(const std::string& path, const config::TunnelFile& file,
                            int attempts_left);

  Clock& clock_;
  AlarmFactory& alarms_;
  DaemonOptions options_;
  DaemonObserver& observer_;
  kernel::L2tpSupport support_;
  std::string host_name_;

  // The sockets and the data plane are built before the engine, which needs
  // them, and reach it through engine_ (the data plane through to_engine_).
  // The destructor ends the engine first; what they report afterwards
  // reaches nobody.
  std::unique_ptr<fsm::Engine> engine_;
  fsm::ToEngine to_engine_{engine_};
  std::unique_ptr<TunnelSockets> sockets_;
  std::unique_ptr<dataplane::DataPlaneBackend> data_plane_;
  std::unique_ptr<resolve::Resolver> resolver_;
  std::unique_ptr<IpsecService> ipsec_;
  std::optional<Failure> refuse_ipsec() const;
  std::unique_ptr<Alarm> reconcile_alarm_;

  // Noted by the commands before the engine's events are delivered (under an
  // Engine::EventBatch); objects the peer made belong to root (tunnels) or
  // to their tunnel's owner (sessions).
  std::unordered_map<std::uint32_t, uid_t> tunnel_owners_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, uid_t> session_owners_;
  std::unordered_map<uid_t, std::uint32_t> tunnels_per_uid_;  // existing + resolving
  std::unordered_map<uid_t, std::uint32_t> sessions_per_uid_;
  // Why a session for `owner` would pass MaxSessionsPerUser, if it would.
  std::optional<std::string> session_limit_reached(uid_t owner) const;
  std::uint64_t next_resolution_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<resolve::ResolveRequest>> resolutions_;
  std::unordered_map<std::uint32_t, std::uint32_t> listener_sockets_;  // listener id -> io handle
  std::uint32_t next_listener_socket_ = 1;

  std::map<std::string, FileObjects> files_;

  std::function<void()> shutdown_done_;
  std::unique_ptr<Alarm> shutdown_deadline_;
  void finish_shutdown_if_idle();
  std::vector<std::unique_ptr<Alarm>> retries_;
};

}  // namespace l2tp::daemon
