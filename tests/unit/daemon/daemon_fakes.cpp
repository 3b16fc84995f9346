#include "daemon_fakes.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace l2tp::daemon::testing {

namespace {

const fsm::Endpoint kDaemonAddress = fsm::Endpoint::ipv4({192, 0, 2, 1}, 1701);
const fsm::Endpoint kPeerAddress = fsm::Endpoint::ipv4({192, 0, 2, 2}, 1701);

}  // namespace

// ---- FakeSockets ---------------------------------------------------------------

std::expected<fsm::Endpoint, std::string> FakeSockets::open_listener(
    std::uint32_t handle, const fsm::Endpoint& local, wire::Encapsulation encapsulation,
    bool require_esp, bool free_bind) {
  if (fail_listen) return std::unexpected(*std::exchange(fail_listen, std::nullopt));
  if (!is_local_address(local) && (!free_bind || encapsulation == wire::Encapsulation::kIp))
    return std::unexpected("Cannot assign requested address");
  if (free_bind) free_bound.insert(handle);
  fsm::Endpoint bound = local;
  if (bound.port == 0) bound.port = 1701;
  listeners[handle] = bound;
  if (require_esp) esp_required.insert(handle);
  return bound;
}

std::expected<fsm::Endpoint, std::string> FakeSockets::prepare_initiator(const fsm::Endpoint& local,
                                                                         const fsm::Endpoint& peer,
                                                                         wire::Encapsulation, bool,
                                                                         bool free_bind) {
  if (!is_local_address(local) && !free_bind)
    return std::unexpected("Cannot assign requested address");
  free_bound_initiators += free_bind;
  fsm::Endpoint bound = local;
  // Each initiator gets a port of its own, as the kernel would give when
  // 1701 is taken.
  if (bound.port == 0) bound.port = static_cast<std::uint16_t>(40000 + prepared.size());
  prepared.emplace_back(bound, peer);
  return bound;
}

void FakeSockets::discard_prepared(const fsm::Endpoint& local, const fsm::Endpoint& peer) {
  std::erase(prepared, std::make_pair(local, peer));
}

bool FakeSockets::is_local_address(const fsm::Endpoint& address) const {
  return std::find(absent.begin(), absent.end(), address.with_port(0)) == absent.end();
}

std::expected<void, std::string> FakeSockets::watch_addresses(std::function<void()> changed) {
  if (cannot_watch) return std::unexpected(*cannot_watch);
  address_changes = std::move(changed);
  return {};
}

void FakeSockets::add_address(const fsm::Endpoint& address) {
  std::erase(absent, address.with_port(0));
  if (address_changes) address_changes();
}

void FakeSockets::remove_address(const fsm::Endpoint& address) {
  absent.push_back(address.with_port(0));
  if (address_changes) address_changes();
}

std::size_t FakeSockets::sent_of(wire::MessageType type) const {
  std::size_t count = 0;
  for (const SentDatagram& datagram : sent) {
    count += l2tp::testing::decode_datagram(datagram.bytes, datagram.path.encapsulation).is(type);
  }
  return count;
}

// ---- FakeBackend ---------------------------------------------------------------

std::optional<std::string> FakeBackend::refuse(fsm::Pseudowire pseudowire) const {
  if (!refused_pseudowires.contains(pseudowire)) return std::nullopt;
  return std::string("Pseudowire ") + fsm::to_string(pseudowire) + " is not carried here";
}

void FakeBackend::reconcile(const dataplane::StaticObjects& configured) {
  calls_before_reconcile.push_back(plane.calls().size());
  reconciled.push_back(configured);
}

std::optional<kernel::SessionCounters> FakeBackend::session_counters(std::uint32_t,
                                                                     std::uint32_t) const {
  return kernel::SessionCounters{.tx_packets = 3, .rx_packets = 4};
}

// ---- FakeResolver --------------------------------------------------------------

struct FakeResolver::Pending {
  resolve::ResolveCallback done;
  bool cancelled = false;
};

namespace {
class PendingHandle final : public resolve::ResolveRequest {
 public:
  explicit PendingHandle(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  ~PendingHandle() override { cancel_(); }

 private:
  std::function<void()> cancel_;
};
}  // namespace

std::unique_ptr<resolve::ResolveRequest> FakeResolver::resolve(const std::string&, std::uint16_t,
                                                               resolve::AddressFamily,
                                                               resolve::ResolveCallback done) {
  auto pending = std::make_shared<Pending>(Pending{std::move(done)});
  pending_.push_back(pending);
  return std::make_unique<PendingHandle>([pending] { pending->cancelled = true; });
}

bool FakeResolver::answer(std::expected<std::vector<fsm::Endpoint>, resolve::ResolveError> result) {
  std::erase_if(pending_, [](const auto& pending) { return pending->cancelled; });
  if (pending_.empty()) return false;
  const std::shared_ptr<Pending> oldest = pending_.front();
  pending_.erase(pending_.begin());
  oldest->done(std::move(result));
  return true;
}

std::size_t FakeResolver::open() const {
  std::size_t count = 0;
  for (const auto& pending : pending_) count += !pending->cancelled;
  return count;
}

// ---- RecordingDaemonObserver ---------------------------------------------------

void RecordingDaemonObserver::note(const std::string& what, const TunnelInfo& tunnel) {
  events.push_back({.what = what,
                    .tunnel_id = tunnel.view.tunnel_id,
                    .owner = tunnel.owner,
                    .config_file = tunnel.config_file,
                    .state = tunnel.view.state,
                    .last_result = tunnel.view.last_result});
}

void RecordingDaemonObserver::note(const std::string& what, const SessionInfo& session) {
  events.push_back({.what = what,
                    .tunnel_id = session.view.tunnel_id,
                    .session_id = session.view.session_id,
                    .owner = session.owner,
                    .state = session.view.state,
                    .last_result = session.view.last_result});
}

std::vector<Observed> RecordingDaemonObserver::of(const std::string& what) const {
  std::vector<Observed> found;
  for (const Observed& event : events)
    if (event.what == what) found.push_back(event);
  return found;
}

std::optional<Observed> RecordingDaemonObserver::last(const std::string& what,
                                                      std::uint32_t tunnel_id,
                                                      std::uint32_t session_id) const {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    if (it->what == what && it->tunnel_id == tunnel_id && it->session_id == session_id) return *it;
  }
  return std::nullopt;
}

// ---- The peer ------------------------------------------------------------------

// A real engine at 192.0.2.2 with a null data plane. Datagrams cross between
// it and the daemon's fake sockets on zero-delay alarms, so neither engine is
// entered from inside the other.
class DaemonBench::Peer final : public fsm::PacketSink, public fsm::EngineObserver {
 public:
  explicit Peer(DaemonBench& bench) : bench_(bench), random_(7), plane_(bench.clock_, to_engine_) {
    engine_ = std::make_unique<fsm::Engine>(
        fsm::Environment{bench.clock_, bench.clock_, random_, *this, plane_, *this});
  }
  ~Peer() override { engine_.reset(); }

  fsm::Engine& engine() { return *engine_; }
  std::uint32_t newest_tunnel() const { return tunnels_.empty() ? 0 : tunnels_.back(); }

  // From the daemon: the path as the daemon's engine gave it.
  void receive(const fsm::Path& path, wire::ByteView bytes) {
    later([this, path, bytes = wire::Bytes(bytes.begin(), bytes.end())] {
      engine_->receive(fsm::Datagram{.bytes = bytes,
                                     .local = path.peer,
                                     .peer = path.local,
                                     .encapsulation = path.encapsulation});
    });
  }

  // fsm::PacketSink: to the daemon.
  void send(const fsm::Path& path, wire::ByteView bytes) override {
    later([this, path, bytes = wire::Bytes(bytes.begin(), bytes.end())] {
      bench_.sockets().deliver(fsm::Datagram{.bytes = bytes,
                                             .local = path.peer,
                                             .peer = path.local,
                                             .encapsulation = path.encapsulation});
    });
  }

  // fsm::EngineObserver: only which tunnels exist matters here.
  void tunnel_added(const fsm::TunnelView& tunnel) override {
    tunnels_.push_back(tunnel.tunnel_id);
  }
  void session_added(const fsm::SessionView&) override {}
  void tunnel_changed(const fsm::TunnelView&) override {}
  void session_changed(const fsm::SessionView&) override {}
  void tunnel_removed(const fsm::TunnelView&) override {}
  void session_removed(const fsm::SessionView&) override {}

 private:
  void later(std::function<void()> step) {
    std::erase_if(in_flight_, [](const auto& alarm) { return !alarm->armed(); });
    in_flight_.push_back(bench_.clock_.create(std::move(step)));
    in_flight_.back()->arm(Duration::zero());
  }

  DaemonBench& bench_;
  FakeRandom random_;
  std::unique_ptr<fsm::Engine> engine_;
  fsm::ToEngine to_engine_{engine_};
  dataplane::NullDataPlane plane_;
  std::vector<std::uint32_t> tunnels_;
  std::vector<std::unique_ptr<Alarm>> in_flight_;
};

// ---- DaemonBench ---------------------------------------------------------------

DaemonBench::DaemonBench(config::DaemonSettings settings) {
  char pattern[] = "/tmp/l2tpbus-daemon-test-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  config_directory_ = pattern;

  auto resolver = std::make_unique<FakeResolver>();
  resolver_ = resolver.get();
  DaemonPorts ports{
      .clock = clock_,
      .alarms = clock_,
      .random = random_,
      .support = {.netlink = true, .ip_sockets = true, .ipv6 = true},
      .open_sockets =
          [this](DatagramReceiver receiver) {
            auto sockets = std::make_unique<FakeSockets>(std::move(receiver));
            sockets->on_send = [this](const fsm::Path& path, wire::ByteView bytes) {
              deliver_to_peer(path, bytes);
            };
            sockets_ = sockets.get();
            return std::unique_ptr<TunnelSockets>(std::move(sockets));
          },
      .open_data_plane =
          [this](DataPlaneEvents& events, TunnelSockets&, Logger&) {
            auto backend = std::make_unique<FakeBackend>(clock_, events);
            backend_ = backend.get();
            return std::unique_ptr<dataplane::DataPlaneBackend>(std::move(backend));
          },
      .resolver = std::move(resolver),
      .open_ipsec =
          [this](IpsecEvents& events, Logger&) {
            auto ipsec = std::make_unique<FakeIpsec>(events);
            ipsec_ = ipsec.get();
            return std::unique_ptr<IpsecService>(std::move(ipsec));
          },
  };
  DaemonOptions options;
  options.config_directory = config_directory_;
  options.settings = settings;
  options.settings.host_name = "lac";
  daemon_ = Daemon::create(std::move(ports), options, observer_);
}

DaemonBench::~DaemonBench() {
  daemon_.reset();
  peer_.reset();
  std::filesystem::remove_all(config_directory_);
}

void DaemonBench::write_file(const std::string& name, const std::string& text) const {
  std::ofstream(config_directory_ + "/" + name) << text;
}

Result<std::uint32_t> DaemonBench::create_tunnel(const config::OptionMap& options, uid_t owner) {
  auto request = config::parse_tunnel_options(options, daemon_->defaults());
  if (!request) {
    return std::unexpected(Failure{FailureKind::kInvalidArgs, request.error().message});
  }
  std::optional<Result<std::uint32_t>> answer;
  daemon_->create_tunnel(*request, owner,
                         [&answer](Result<std::uint32_t> result) { answer = std::move(result); });
  if (!answer) throw std::runtime_error("create_tunnel did not answer at once");
  return *answer;
}

void DaemonBench::start_peer() {
  peer_ = std::make_unique<Peer>(*this);
  fsm::ListenerConfig listener;
  listener.local = kPeerAddress;
  listener.control.host_name = "lns";
  if (!peer_->engine().listen(listener)) throw std::runtime_error("the peer cannot listen");
}

void DaemonBench::start_peer_calling_us() {
  peer_ = std::make_unique<Peer>(*this);
  fsm::TunnelConfig tunnel;
  tunnel.local = kPeerAddress;
  tunnel.peer = kDaemonAddress;
  tunnel.control.host_name = "lns";
  if (!peer_->engine().create_tunnel(tunnel)) throw std::runtime_error("the peer cannot call");
}

std::uint32_t DaemonBench::peer_tunnel() const {
  return peer_ ? peer_->newest_tunnel() : 0;
}

std::uint32_t DaemonBench::peer_calls(std::uint32_t peer_tunnel) {
  auto session = peer_->engine().create_session(peer_tunnel, {});
  if (!session) throw std::runtime_error("the peer cannot call: " + session.error().message);
  return *session;
}

void DaemonBench::deliver_to_peer(const fsm::Path& path, wire::ByteView bytes) {
  if (peer_ && path.peer.address == kPeerAddress.address) peer_->receive(path, bytes);
}

void DaemonBench::peer_closes(std::uint32_t peer_tunnel) {
  if (!peer_->engine().close_tunnel(peer_tunnel)) throw std::runtime_error("the peer cannot close");
}

}  // namespace l2tp::daemon::testing
