// The Daemon behind daemon.h: the engine on the injected ports (ports.h);
// owners, limits and config files. Names no concrete class of the world it
// runs in: service/main.cpp does.
#pragma once

#include <map>
#include <memory>
#include <optional>
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
  void bring_up(const std::string& name,
                std::function<void(Result<ConfigFileObjects>)> done) override;
  Result<void> put_down(const std::string& name) override;
  std::vector<ConfigFileStatus> config_files() const override;
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
  std::optional<ListenerInfo> listener(std::uint32_t listener_id) const override;
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
  // Who a tunnel is for: its owner, and the NAME of the file that asks for
  // it (empty for the bus). Objects of files bind where their address is not
  // yet (and wait for it), the bus's fail at once.
  struct TunnelOrigin {
    uid_t owner = 0;
    std::string config_file;
  };
  void create_tunnel_for(const config::TunnelRequest& request, const TunnelOrigin& origin,
                         std::function<void(Result<std::uint32_t>)> done);
  void create_resolved_tunnel(config::TunnelRequest request, const fsm::Endpoint& peer,
                              const TunnelOrigin& origin,
                              const std::function<void(Result<std::uint32_t>)>& done);
  Result<std::uint32_t> open_listener(const fsm::ListenerConfig& config,
                                      const std::string& config_file);
  ListenerInfo listener_info(const fsm::ListenerView& view) const;

  // Config files (config_files.cpp), by NAME.
  struct ConfigFile {
    std::string fingerprint;      // of the content its objects were made from
    std::uint32_t tunnel_id = 0;  // its object while it exists (0: none)
    std::uint32_t listener_id = 0;
    bool creating = false;  // its tunnel is being created (a name resolving, an id in use)
    // Each creation has its own: one still running for content since
    // replaced, or for a file since put down, is dropped when it ends.
    std::uint64_t generation = 0;
    ConfigFileState state = ConfigFileState::kUp;
    std::string message;
    std::optional<std::string> load_error;  // the file does not load (now)
    bool held_down = false;                 // put_down() until bring_up()
    std::vector<std::function<void(Result<ConfigFileObjects>)>> waiting_up;
  };
  ConfigFileStatus status_of(const std::string& name, const ConfigFile& file) const;
  void publish_config_files();
  void apply_file(const std::string& name, ConfigFile& file, const config::LoadedFile& loaded);
  // Closes the file's objects and forgets them (and any creation running).
  void retire_file(const std::string& name, ConfigFile& file);
  void create_config_tunnel(const std::string& name, const config::TunnelFile& tunnel,
                            std::uint64_t generation, int attempts_left);
  void config_objects_ready(ConfigFile& file);
  void config_objects_failed(ConfigFile& file, const Failure& failure);
  // A file's object ended without the file asking (peer's StopCCN, timeout,
  // Close on the bus): the file is down, for `why`.
  void config_object_ended(const std::string& name, std::uint32_t tunnel_id,
                           std::uint32_t listener_id, const std::string& why);
  Failure no_such_file(const std::string& name) const;

  // Local addresses (local_addresses.cpp): listeners and static tunnels of
  // files whose address is not on this host wait for it.
  struct ListenerPlace {
    fsm::Endpoint local;
    wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
    std::uint32_t socket = 0;  // TunnelSockets' handle
    bool bound = false;        // an L2TPIP listener binds once its address is here
    ListenerState state = ListenerState::kListening;
    std::string config_file;
    bool require_esp = false;
    bool free_bind = false;
  };
  // Whether `local` is the wildcard, for which nothing waits.
  static bool specific(const fsm::Endpoint& local) { return !local.is_unspecified_address(); }
  ListenerState listener_state(const ListenerPlace& place, const fsm::Endpoint& local) const;
  void watch_local_addresses();
  void local_addresses_changed();
  void poll_local_addresses();
  bool anything_to_watch() const;

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
  std::unordered_map<std::uint32_t, ListenerPlace> listener_places_;  // by listener id
  std::uint32_t next_listener_socket_ = 1;
  // Static and quiescent tunnels of files waiting for their local address.
  std::unordered_map<std::uint32_t, fsm::Endpoint> tunnels_awaiting_address_;
  enum class AddressWatch : std::uint8_t { kNone, kEvents, kPolling };
  AddressWatch address_watch_ = AddressWatch::kNone;
  std::unique_ptr<Alarm> address_poll_;

  std::map<std::string, ConfigFile> files_;
  std::unordered_map<std::uint32_t, std::string> tunnel_files_;  // tunnel id -> its file's NAME
  std::uint64_t next_generation_ = 1;
  std::vector<ConfigFileStatus> published_files_;

  std::function<void()> shutdown_done_;
  bool shutting_down_ = false;
  std::unique_ptr<Alarm> shutdown_deadline_;
  void finish_shutdown_if_idle();
  std::vector<std::unique_ptr<Alarm>> retries_;
};

}  // namespace l2tp::daemon
