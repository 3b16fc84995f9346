// The daemon core: owns the engine and everything it runs on (sockets, data
// plane, resolver, config files), keeps owners and limits, and reports
// changes to the bus layer. Knows nothing of D-Bus: service/dbus validates
// and authorizes a call, then acts through this class and replies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/files.h"
#include "config/options.h"
#include "fsm/engine.h"

namespace l2tp::daemon {

// The kinds of failure the API names; service/dbus maps each to one D-Bus
// error name in its single table.
enum class FailureKind : std::uint8_t {
  kInvalidArgs,    // org.freedesktop.DBus.Error.InvalidArgs
  kNotSupported,   // org.l2tpbus1.Error.NotSupported
  kExists,         // org.l2tpbus1.Error.Exists
  kLimitExceeded,  // org.l2tpbus1.Error.LimitExceeded
  kNotFound,       // org.freedesktop.DBus.Error.UnknownObject
  kFailed,         // org.l2tpbus1.Error.Failed
};

struct Failure {
  FailureKind kind = FailureKind::kFailed;
  std::string message;  // for a person to act on; never a secret
};

template <typename T>
using Result = std::expected<T, Failure>;

struct TunnelInfo {
  fsm::TunnelView view;
  uid_t owner = 0;
  std::string config_file;  // NAME of the *.tunnel file that made it; empty otherwise
};
struct SessionInfo {
  fsm::SessionView view;
  uid_t owner = 0;
};

// Whether a listener receives: kWaiting while its local address is not on
// this host (a listener of a file binds before the network is configured,
// or binds once the address comes), or went away since.
enum class ListenerState : std::uint8_t { kListening, kWaiting };
const char* to_string(ListenerState state);  // "listening", "waiting"

struct ListenerInfo {
  fsm::ListenerView view;
  ListenerState state = ListenerState::kListening;
  std::string config_file;  // NAME of the *.tunnel file that made it; empty otherwise
};

// A *.tunnel file as Manager.ConfigFiles shows it. kUp: its objects exist or
// are being created; kDown: put down (Daemon::put_down), or its object ended
// and was not brought back (`message` says why); kFailed: the file does not
// load, or its objects could not be created (`message` is the error).
enum class ConfigFileState : std::uint8_t { kUp, kDown, kFailed };
const char* to_string(ConfigFileState state);  // "up", "down", "failed"

struct ConfigFileStatus {
  std::string name;  // the file name without .tunnel
  ConfigFileState state = ConfigFileState::kUp;
  std::string message;
  bool operator==(const ConfigFileStatus&) const = default;
};

// The objects a file made: one tunnel, or one listener.
struct ConfigFileObjects {
  std::vector<std::uint32_t> tunnels;
  std::vector<std::uint32_t> listeners;
};

using Statistics = std::map<std::string, std::uint64_t>;

// Called from the loop as objects come, change and go, each time with the
// object as it is then (the engine's events, fsm/observer.h, with owners);
// the bus layer turns them into InterfacesAdded, PropertiesChanged and
// InterfacesRemoved without asking anything back. A removal carries the
// final view (kClosed, LastResult). Parents' lists of children (a tunnel's
// sessions, a listener's tunnels) are the observer's to keep from these
// events: a snapshot of the parent is not sent again when a child comes or
// goes.
class DaemonObserver {
 public:
  virtual ~DaemonObserver() = default;
  virtual void tunnel_added(const TunnelInfo& tunnel) = 0;
  virtual void tunnel_changed(const TunnelInfo& tunnel) = 0;
  virtual void tunnel_removed(const TunnelInfo& tunnel) = 0;
  virtual void session_added(const SessionInfo& session) = 0;
  virtual void session_changed(const SessionInfo& session) = 0;
  virtual void session_removed(const SessionInfo& session) = 0;
  virtual void listener_added(const ListenerInfo& listener) = 0;
  // Its State changed (the only thing about a listener that changes).
  virtual void listener_changed(const ListenerInfo& listener) = 0;
  virtual void listener_removed(std::uint32_t listener_id) = 0;
  // The *.tunnel files or their states changed: all of them, sorted by name.
  virtual void config_files_changed(const std::vector<ConfigFileStatus>& files) = 0;
};

struct DaemonOptions {
  std::string config_directory = "/etc/l2tpbus";
  config::DaemonSettings settings;  // from l2tpbusd.conf
};

struct DaemonPorts;  // daemon/ports.h

class Daemon {
 public:
  // The sockets and the data plane are opened here, through `ports`.
  static std::unique_ptr<Daemon> create(DaemonPorts ports, const DaemonOptions& options,
                                        DaemonObserver& observer);
  virtual ~Daemon() = default;

  // Loads the *.tunnel files; later calls (SIGHUP, Manager.Reload) apply
  // added, changed and removed files without touching the objects of other
  // files. A file put down stays down (its changes are noted, not applied).
  virtual void load_config() = 0;
  // Manager.Up: reads the file NAME again and creates its objects unless
  // they exist (a changed file's objects are replaced); lifts put_down().
  // `done` gets the objects once they exist (a tunnel's peer name is
  // resolved first), or kNotFound (no such file), or kFailed (it does not
  // load: the loader's "PATH:LINE: Key: message"; or its objects could not
  // be created).
  virtual void bring_up(const std::string& name,
                        std::function<void(Result<ConfigFileObjects>)> done) = 0;
  // Manager.Down: closes the objects of file NAME (tunnels with StopCCN) and
  // keeps the file down until bring_up() or a restart; kNotFound when no
  // such file is known.
  virtual Result<void> put_down(const std::string& name) = 0;
  virtual std::vector<ConfigFileStatus> config_files() const = 0;

  // SIGTERM: stops listening, closes every tunnel (StopCCN, so peers learn it
  // at once rather than by timeout) and calls `done` once all are gone or
  // `grace` has passed. Calls that come meanwhile may still be served.
  virtual void shutdown(Duration grace, std::function<void()> done) = 0;

  // uid 0 is root (config files and listeners are owned by 0). Host names in
  // Peer are resolved first, so the answer comes later, from the loop.
  virtual void create_tunnel(const config::TunnelRequest& request, uid_t owner,
                             std::function<void(Result<std::uint32_t>)> done) = 0;
  virtual Result<std::uint32_t> create_session(std::uint32_t tunnel_id,
                                               const fsm::SessionConfig& config, uid_t owner) = 0;
  virtual Result<std::uint32_t> listen(const fsm::ListenerConfig& config) = 0;
  virtual Result<void> close_tunnel(std::uint32_t tunnel_id) = 0;
  virtual Result<void> close_session(std::uint32_t tunnel_id, std::uint32_t session_id) = 0;
  virtual Result<void> close_listener(std::uint32_t listener_id) = 0;

  virtual std::optional<TunnelInfo> tunnel(std::uint32_t tunnel_id) const = 0;
  virtual std::optional<SessionInfo> session(std::uint32_t tunnel_id,
                                             std::uint32_t session_id) const = 0;
  virtual std::optional<ListenerInfo> listener(std::uint32_t listener_id) const = 0;
  // The engine's counters and the kernel's drops at its socket; empty for
  // an unknown listener.
  virtual Statistics listener_statistics(std::uint32_t listener_id) const = 0;
  virtual std::vector<std::uint32_t> tunnel_ids() const = 0;
  virtual std::vector<std::uint32_t> listener_ids() const = 0;
  // Statistics are read when asked (the kernel's session counters included).
  virtual Statistics tunnel_statistics(std::uint32_t tunnel_id) const = 0;
  virtual Statistics session_statistics(std::uint32_t tunnel_id,
                                        std::uint32_t session_id) const = 0;

  // "kernel", "null", or "unavailable" (kernel mode on a kernel without L2TP).
  virtual std::string data_plane() const = 0;
  // l2tpv2, l2tpv3, udp, ip, ipv6, ppp, eth, ... as this build and kernel allow.
  virtual std::vector<std::string> features() const = 0;
  virtual config::Defaults defaults() const = 0;
};

}  // namespace l2tp::daemon
