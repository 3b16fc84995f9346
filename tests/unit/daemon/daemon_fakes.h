// Fakes of the ports the daemon core runs on (service/daemon/ports.h), so
// that DaemonImpl is tested on a fake clock without sockets, netlink, pppd or
// a bus: sockets that record what the engine sends and let a test deliver
// datagrams, a data plane that answers as told, a resolver that answers on
// demand, and an observer that records what the bus layer would be told.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/options.h"
#include "daemon/daemon.h"
#include "daemon/ports.h"
#include "dataplane/backend.h"
#include "dataplane/null_data_plane.h"
#include "engine_harness.h"
#include "fake_clock.h"
#include "fake_random.h"

namespace l2tp::daemon::testing {

using l2tp::testing::FakeClock;
using l2tp::testing::FakeRandom;
using l2tp::testing::RecordingDataPlane;

struct SentDatagram {
  fsm::Path path;
  wire::Bytes bytes;
};

class FakeSockets final : public TunnelSockets {
 public:
  explicit FakeSockets(DatagramReceiver receiver) : receiver_(std::move(receiver)) {}

  std::expected<fsm::Endpoint, std::string> open_listener(std::uint32_t handle,
                                                          const fsm::Endpoint& local,
                                                          wire::Encapsulation encapsulation,
                                                          bool require_esp,
                                                          bool free_bind) override;
  void close_listener(std::uint32_t handle) override { listeners.erase(handle); }
  std::uint64_t listener_drops(std::uint32_t handle) const override {
    return listeners.contains(handle) ? drops : 0;
  }
  std::uint64_t drops = 0;  // what every open listener reports
  std::expected<fsm::Endpoint, std::string> prepare_initiator(const fsm::Endpoint& local,
                                                              const fsm::Endpoint& peer,
                                                              wire::Encapsulation encapsulation,
                                                              bool port_given,
                                                              bool free_bind) override;
  void discard_prepared(const fsm::Endpoint& local, const fsm::Endpoint& peer) override;
  void send(const fsm::Path& path, wire::ByteView datagram) override {
    sent.push_back({path, wire::Bytes(datagram.begin(), datagram.end())});
    if (on_send) on_send(path, datagram);
  }
  void release(std::uint32_t tunnel_id) override { released.insert(tunnel_id); }
  std::expected<int, std::string> tunnel_socket(const fsm::Path&) override {
    return std::unexpected("no sockets in this test");
  }

  // Every address is this host's but those in `absent`; sockets bind to an
  // absent one only with free_bind, and L2TPIP ones never (as the kernel).
  bool is_local_address(const fsm::Endpoint& address) const override;
  std::expected<void, std::string> watch_addresses(std::function<void()> changed) override;
  // The host gains or loses an address; the watch hears of it.
  void add_address(const fsm::Endpoint& address);
  void remove_address(const fsm::Endpoint& address);

  // A datagram from the network, as a socket would hand it to the engine.
  void deliver(const fsm::Datagram& datagram) { receiver_(datagram); }
  std::size_t sent_of(wire::MessageType type) const;

  std::map<std::uint32_t, fsm::Endpoint> listeners;
  std::set<std::uint32_t> esp_required;  // listeners opened with require_esp
  std::vector<std::pair<fsm::Endpoint, fsm::Endpoint>> prepared;
  std::vector<SentDatagram> sent;
  std::set<std::uint32_t> released;
  std::optional<std::string> fail_listen;  // the next open_listener fails with this
  std::vector<fsm::Endpoint> absent;       // addresses (port 0) not on this host
  std::set<std::uint32_t> free_bound;      // listeners opened with free_bind
  std::size_t free_bound_initiators = 0;
  std::optional<std::string> cannot_watch;  // watch_addresses() fails with this
  std::function<void()> address_changes;    // what watch_addresses() was given
  std::function<void(const fsm::Path&, wire::ByteView)> on_send;

 private:
  DatagramReceiver receiver_;
};

// The data plane as the daemon holds it, over the engine harness's recording
// data plane (answers on the next turn of the fake clock, fails or holds as
// told).
class FakeBackend final : public dataplane::DataPlaneBackend {
 public:
  FakeBackend(FakeClock& clock, DataPlaneEvents& events) : plane(clock, events) {}

  DataPlane& port() override { return plane; }
  std::string name() const override { return "fake"; }
  std::optional<std::string> unavailable() const override { return unavailable_reason; }
  std::optional<std::string> refuse(fsm::Pseudowire pseudowire) const override;
  void reconcile(const dataplane::StaticObjects& configured) override;
  std::optional<kernel::SessionCounters> session_counters(std::uint32_t tunnel_id,
                                                          std::uint32_t session_id) const override;

  RecordingDataPlane plane;
  std::optional<std::string> unavailable_reason;
  std::set<fsm::Pseudowire> refused_pseudowires;
  std::vector<dataplane::StaticObjects> reconciled;
  // What the test saw before each reconcile(): the data-plane calls made by then.
  std::vector<std::size_t> calls_before_reconcile;
};

class FakeResolver final : public resolve::Resolver {
 public:
  std::unique_ptr<resolve::ResolveRequest> resolve(const std::string& host, std::uint16_t port,
                                                   resolve::AddressFamily family,
                                                   resolve::ResolveCallback done) override;
  // Answers the oldest open request; false if none is open.
  bool answer(std::expected<std::vector<fsm::Endpoint>, resolve::ResolveError> result);
  std::size_t open() const;

 private:
  struct Pending;
  std::vector<std::shared_ptr<Pending>> pending_;
};

struct Observed {
  std::string what;  // "tunnel_added", "session_removed", ...
  std::uint32_t tunnel_id = 0;
  std::uint32_t session_id = 0;
  uid_t owner = 0;
  std::string config_file;
  fsm::ObjectState state = fsm::ObjectState::kConnecting;
  fsm::LastResult last_result;
};

class RecordingDaemonObserver final : public DaemonObserver {
 public:
  void tunnel_added(const TunnelInfo& tunnel) override { note("tunnel_added", tunnel); }
  void tunnel_changed(const TunnelInfo& tunnel) override { note("tunnel_changed", tunnel); }
  void tunnel_removed(const TunnelInfo& tunnel) override { note("tunnel_removed", tunnel); }
  void session_added(const SessionInfo& session) override { note("session_added", session); }
  void session_changed(const SessionInfo& session) override { note("session_changed", session); }
  void session_removed(const SessionInfo& session) override { note("session_removed", session); }
  void listener_added(const ListenerInfo& listener) override {
    events.push_back({.what = "listener_added", .tunnel_id = listener.view.listener_id});
    listeners[listener.view.listener_id] = listener;
  }
  void listener_changed(const ListenerInfo& listener) override {
    events.push_back({.what = "listener_changed", .tunnel_id = listener.view.listener_id});
    listeners[listener.view.listener_id] = listener;
  }
  void listener_removed(std::uint32_t listener_id) override {
    events.push_back({.what = "listener_removed", .tunnel_id = listener_id});
  }
  void config_files_changed(const std::vector<ConfigFileStatus>& files) override {
    events.push_back({.what = "config_files_changed"});
    config_files.push_back(files);
  }

  std::vector<Observed> of(const std::string& what) const;
  std::optional<Observed> last(const std::string& what, std::uint32_t tunnel_id,
                               std::uint32_t session_id = 0) const;

  std::vector<Observed> events;
  std::map<std::uint32_t, ListenerInfo> listeners;          // as last told
  std::vector<std::vector<ConfigFileStatus>> config_files;  // each announcement

 private:
  void note(const std::string& what, const TunnelInfo& tunnel);
  void note(const std::string& what, const SessionInfo& session);
};

// The IKE daemon as l2tpbusd holds it: records what it is asked; a test
// answers through events(), as the loop would.
class FakeIpsec final : public IpsecService {
 public:
  explicit FakeIpsec(IpsecEvents& events) : events_(events) {}

  std::optional<std::string> unavailable() override { return away; }
  void establish(std::uint32_t tunnel_id, const Endpoint&, const Endpoint& peer,
                 std::shared_ptr<const IpsecSettings> settings) override {
    established.push_back({tunnel_id, peer, std::move(settings)});
  }
  void release(std::uint32_t tunnel_id) override { released.push_back(tunnel_id); }
  void protect_listener(std::uint32_t listener_id, const Endpoint&,
                        std::shared_ptr<const IpsecSettings> settings, Done) override {
    protected_listeners.push_back({listener_id, {}, std::move(settings)});
  }
  void release_listener(std::uint32_t listener_id) override {
    released_listeners.push_back(listener_id);
  }
  void remove_leftovers() override {}
  IpsecEvents& events() { return events_; }

  struct Request {
    std::uint32_t id;
    Endpoint peer;
    std::shared_ptr<const IpsecSettings> settings;
  };
  std::optional<std::string> away;  // set: charon does not answer, with this reason
  std::vector<Request> established;
  std::vector<std::uint32_t> released;
  std::vector<Request> protected_listeners;
  std::vector<std::uint32_t> released_listeners;

 private:
  IpsecEvents& events_;
};

// A DaemonImpl on fakes, with a config directory of its own.
class DaemonBench {
 public:
  explicit DaemonBench(config::DaemonSettings settings = {});
  ~DaemonBench();

  Daemon& daemon() { return *daemon_; }
  FakeSockets& sockets() { return *sockets_; }
  FakeBackend& backend() { return *backend_; }
  FakeResolver& resolver() { return *resolver_; }
  FakeIpsec& ipsec() { return *ipsec_; }
  RecordingDaemonObserver& observer() { return observer_; }
  FakeClock& clock() { return clock_; }
  const std::string& config_directory() const { return config_directory_; }

  // Writes a *.tunnel file into the config directory.
  void write_file(const std::string& name, const std::string& text) const;
  // The daemon's answer to create_tunnel for these options (numeric peers
  // answer at once).
  Result<std::uint32_t> create_tunnel(const config::OptionMap& options, uid_t owner);

  // A real engine at 192.0.2.2 (UDP, L2TPv2) as the daemon's peer, joined to
  // the fake sockets through zero-delay alarms: listening on 1701, or
  // calling the daemon's listener at 192.0.2.1:1701.
  void start_peer();
  void start_peer_calling_us();
  // The peer's newest tunnel, and a session (a call) the peer starts in it.
  std::uint32_t peer_tunnel() const;
  std::uint32_t peer_calls(std::uint32_t peer_tunnel);
  // The peer closes its tunnel (StopCCN).
  void peer_closes(std::uint32_t peer_tunnel);

 private:
  class Peer;
  void deliver_to_peer(const fsm::Path& path, wire::ByteView bytes);

  FakeClock clock_;
  FakeRandom random_;
  std::string config_directory_;
  RecordingDaemonObserver observer_;
  FakeSockets* sockets_ = nullptr;
  FakeBackend* backend_ = nullptr;
  FakeResolver* resolver_ = nullptr;
  FakeIpsec* ipsec_ = nullptr;
  std::unique_ptr<Peer> peer_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace l2tp::daemon::testing
