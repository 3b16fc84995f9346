// The daemon on the bus: turns DaemonObserver events into objects and their
// signals, and declares every mutating call as the steps of its call
// pipeline. Single-threaded: everything runs from the loop.
#pragma once

#include <sdbus-c++/IConnection.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "authz/authority.h"
#include "core/timing.h"
#include "daemon/daemon.h"
#include "dbus/bus_objects.h"
#include "dbus/call_pipeline.h"
#include "dbus/caller.h"

namespace l2tp::dbus {

class BusService final : public daemon::DaemonObserver, private ObjectBackend {
 public:
  // Registers /org/l2tpbus1 (Manager, ObjectManager) at once; the well-known
  // name is the caller's to request, after this. Everything passed in must
  // outlive the service. `alarms` runs the steps of calls that act from the
  // loop.
  BusService(sdbus::IConnection& bus, AlarmFactory& alarms, authz::Authority& authority,
             CallerIdentifier& callers, std::string version);
  ~BusService() override;
  BusService(const BusService&) = delete;
  BusService& operator=(const BusService&) = delete;

  // The daemon is created with this service as its observer, so it arrives
  // second. Calls before it are refused with Failed.
  void attach(daemon::Daemon& daemon);
  // Before the daemon is destroyed: whatever it reports while going down is
  // then signalled from the last announced values, without asking it.
  void detach() { daemon_ = nullptr; }

  // DaemonObserver
  void tunnel_added(const daemon::TunnelInfo& tunnel) override;
  void tunnel_changed(const daemon::TunnelInfo& tunnel) override;
  void tunnel_removed(const daemon::TunnelInfo& tunnel) override;
  void session_added(const daemon::SessionInfo& session) override;
  void session_changed(const daemon::SessionInfo& session) override;
  void session_removed(const daemon::SessionInfo& session) override;
  void listener_added(const daemon::ListenerInfo& listener) override;
  void listener_changed(const daemon::ListenerInfo& listener) override;
  void listener_removed(std::uint32_t listener_id) override;
  void config_files_changed(const std::vector<daemon::ConfigFileStatus>& files) override;

 private:
  using SessionKey = std::pair<std::uint32_t, std::uint32_t>;

  // ObjectBackend (bus_service_calls.cpp)
  void create_tunnel(sd_bus_message* call, ManagerPathResult result,
                     const OptionDictionary& options) override;
  void listen(sd_bus_message* call, ManagerPathResult result,
              const OptionDictionary& options) override;
  void create_session(std::uint32_t tunnel_id, sd_bus_message* call, PathResult result,
                      const OptionDictionary& options) override;
  void close_tunnel(std::uint32_t tunnel_id, sd_bus_message* call, VoidResult result) override;
  void close_session(std::uint32_t tunnel_id, std::uint32_t session_id, sd_bus_message* call,
                     VoidResult result) override;
  void close_listener(std::uint32_t listener_id, sd_bus_message* call, VoidResult result) override;
  void reload(sd_bus_message* call, ManagerVoidResult result) override;
  void config_up(const std::string& name, sd_bus_message* call, ManagerPathsResult result) override;
  void config_down(const std::string& name, sd_bus_message* call,
                   ManagerVoidResult result) override;
  std::string version() const override { return version_; }
  std::string data_plane() const override;
  std::vector<std::string> features() const override;
  ConfigFilesValue config_files() const override { return to_property(config_files_); }
  daemon::Statistics tunnel_statistics(std::uint32_t tunnel_id) const override;
  daemon::Statistics session_statistics(std::uint32_t tunnel_id,
                                        std::uint32_t session_id) const override;
  daemon::Statistics listener_statistics(std::uint32_t listener_id) const override;
  std::vector<std::uint32_t> listener_tunnels(std::uint32_t listener_id) const override;
  std::vector<std::uint32_t> tunnel_sessions(std::uint32_t tunnel_id) const override;

  // Objects get the backend side of this class (a private base).
  ObjectBackend& backend() { return *this; }

  // Whether a uid owns the object a call acts on (bus_service_calls.cpp).
  OwnershipProbe tunnel_ownership(std::uint32_t tunnel_id);
  OwnershipProbe session_ownership(std::uint32_t tunnel_id, std::uint32_t session_id);

  // The fallback vtables of tunnels, sessions and listeners and the
  // enumerators that list them (bus_service_tree.cpp): sd-bus asks these
  // for the object at a path when a call or a property read arrives.
  void register_object_tree();
  static int find_tunnel(sd_bus* bus, const char* path, const char* interface, void* service,
                         void** found, sd_bus_error* error);
  static int find_session(sd_bus* bus, const char* path, const char* interface, void* service,
                          void** found, sd_bus_error* error);
  static int find_listener(sd_bus* bus, const char* path, const char* interface, void* service,
                           void** found, sd_bus_error* error);
  static int enumerate_tunnels(sd_bus* bus, const char* prefix, void* service, char*** paths,
                               sd_bus_error* error);
  static int enumerate_listeners(sd_bus* bus, const char* prefix, void* service, char*** paths,
                                 sd_bus_error* error);

  // Object bookkeeping (bus_service.cpp). A tunnel's Sessions and a
  // listener's Tunnels list the child objects on the bus, kept here as
  // children come and go and read only when asked (never signalled).
  std::vector<std::uint32_t> sessions_on_bus(std::uint32_t tunnel_id) const;
  void publish_tunnel(std::uint32_t tunnel_id, const daemon::TunnelInfo& tunnel);
  void remove_session_object(const SessionKey& key, const daemon::SessionInfo* final_info);

  sdbus::IConnection& bus_;
  // sdbus-c++'s own connection, for what sdbus-c++ 1.2 cannot register.
  sd_bus* raw_bus_;
  std::vector<sd_bus_slot*> tree_slots_;
  CallPipeline pipeline_;
  std::string version_;
  daemon::Daemon* daemon_ = nullptr;

  // Removed objects are destroyed at once, or, when the act step of a call
  // removed them, once that act has replied (CallPipeline::release_after_act).
  std::unique_ptr<ManagerObject> manager_;
  std::unordered_map<std::uint32_t, std::unique_ptr<TunnelObject>> tunnels_;
  // Ordered, so a tunnel's sessions are one range.
  std::map<SessionKey, std::unique_ptr<SessionObject>> sessions_;
  std::unordered_map<std::uint32_t, std::unique_ptr<ListenerObject>> listeners_;
  // The tunnels each listener accepted that are on the bus (its Tunnels).
  std::unordered_map<std::uint32_t, std::unordered_set<std::uint32_t>> tunnels_by_listener_;
  // Manager.ConfigFiles as last announced.
  std::vector<daemon::ConfigFileStatus> config_files_;
};

}  // namespace l2tp::dbus
