// A test bench for the protocol engine seen from outside: several Engines on
// one fake clock, joined by simulated links that carry every datagram a
// PacketSink sends to the engine that owns the destination address. Each node
// records what its observer and data plane saw; the network records every
// datagram on the wire so tests can decode it with the wire codec.
//
// Free of GoogleTest on purpose: the engine demo and the fuzz target use it
// too. Setup helpers throw HarnessError, which a test reports as a failure.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "datagram_craft.h"
#include "dataplane/null_data_plane.h"
#include "fake_clock.h"
#include "fake_random.h"
#include "fsm/engine.h"
#include "simulated_link.h"
#include "wire/message.h"

namespace l2tp::testing {

std::string to_string(const fsm::Error& error);
std::string describe(const fsm::LastResult& result);

// Unwraps an engine answer or throws with the engine's message and `what`.
template <typename T>
T expect_ok(std::expected<T, fsm::Error> answer, const std::string& what) {
  if (!answer) throw HarnessError(what + " failed: " + to_string(answer.error()));
  return *answer;
}
void expect_ok(std::expected<void, fsm::Error> answer, const std::string& what);

// Readable, exactly comparable moments for assertions: "10.030s" on the fake
// clock (which starts at zero), or "never".
std::string at(TimePoint moment);
std::string at(const std::optional<TimePoint>& moment);

// ---- Addresses ----------------------------------------------------------------

fsm::Endpoint ipv4(std::uint8_t last_octet, std::uint16_t port);  // 192.0.2.last
fsm::Endpoint ipv6(std::uint8_t last_octet, std::uint16_t port);  // 2001:db8::last

// How two peers reach each other.
struct Transport {
  wire::ProtocolVersion version = wire::ProtocolVersion::kV2;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  bool ipv6 = false;
};
std::string name_of(const Transport& transport);  // "v3_ip_ipv6", usable as a test name
void PrintTo(const Transport& transport, std::ostream* out);
std::vector<Transport> all_transports();  // every valid combination
std::vector<Transport> v2_transports();
std::vector<Transport> v3_transports();
std::vector<Transport> udp_transports();
// The endpoint of host `last_octet` (1 the LAC, 2 the LNS) for `transport`:
// port 1701 for UDP, 0 for L2TPIP.
fsm::Endpoint endpoint_for(const Transport& transport, std::uint8_t last_octet);

// When a dynamic tunnel whose first unacknowledged message went out at time 0
// is declared dead: every retransmission timeout of `config` in turn.
Duration retransmission_give_up(const transport::ChannelConfig& config);

// ---- Observation ---------------------------------------------------------------

enum class EventKind : std::uint8_t {
  kTunnelAdded,
  kTunnelChanged,
  kTunnelRemoved,
  kSessionAdded,
  kSessionChanged,
  kSessionRemoved,
  kListenerAccepted,
};
const char* to_string(EventKind kind);

struct ObservedEvent {
  EventKind kind = EventKind::kTunnelAdded;
  TimePoint at{};
  std::uint32_t tunnel_id = 0;
  std::uint32_t session_id = 0;
  std::uint32_t listener_id = 0;
  // The snapshot the event carried.
  std::optional<fsm::TunnelView> tunnel;
  std::optional<fsm::SessionView> session;
};

// Records every observer event in order with the snapshot it carried, so
// tests can read the final views of objects that are gone. An accepted
// tunnel's tunnel_added is followed by a kListenerAccepted record.
class RecordingObserver final : public fsm::EngineObserver {
 public:
  explicit RecordingObserver(const Clock& clock) : clock_(clock) {}
  // Called with each event as it is recorded (the demo prints them).
  void set_hook(std::function<void(const ObservedEvent&)> hook) { hook_ = std::move(hook); }

  void tunnel_added(const fsm::TunnelView& tunnel) override;
  void session_added(const fsm::SessionView& session) override;
  void tunnel_changed(const fsm::TunnelView& tunnel) override;
  void session_changed(const fsm::SessionView& session) override;
  void tunnel_removed(const fsm::TunnelView& tunnel) override;
  void session_removed(const fsm::SessionView& session) override;

  const std::vector<ObservedEvent>& events() const { return events_; }
  std::size_t count(EventKind kind) const;
  std::size_t count(EventKind kind, std::uint32_t tunnel_id) const;

  // The newest snapshot (after removal: the last one taken).
  std::optional<fsm::TunnelView> last_tunnel(std::uint32_t tunnel_id) const;
  std::optional<fsm::SessionView> last_session(std::uint32_t tunnel_id,
                                               std::uint32_t session_id) const;
  bool tunnel_removed_seen(std::uint32_t tunnel_id) const;
  bool session_removed_seen(std::uint32_t tunnel_id, std::uint32_t session_id) const;
  // States of the changed-snapshots, repeats folded.
  std::vector<fsm::ObjectState> tunnel_states(std::uint32_t tunnel_id) const;
  // When a changed-snapshot first showed `state`.
  std::optional<TimePoint> tunnel_reached(std::uint32_t tunnel_id, fsm::ObjectState state) const;
  std::optional<TimePoint> session_reached(std::uint32_t tunnel_id, std::uint32_t session_id,
                                           fsm::ObjectState state) const;
  std::vector<std::uint32_t> tunnels_added() const;
  std::vector<std::uint32_t> sessions_added(std::uint32_t tunnel_id) const;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> accepted() const;  // (listener, tunnel)

  // Every way the log breaks the observer contract (engine.h, ports.h,
  // dbus-api.md): events before added or after removed, a removal whose last
  // change was not kClosed with a LastResult, sessions outliving their tunnel,
  // acceptance before addition, changes the engine's own query denies.
  std::vector<std::string> contract_violations() const;

 private:
  void record(ObservedEvent event);
  void record_tunnel(EventKind kind, const fsm::TunnelView& tunnel);
  void record_session(EventKind kind, const fsm::SessionView& session);
  const Clock& clock_;
  std::function<void(const ObservedEvent&)> hook_;
  std::vector<ObservedEvent> events_;
};

// A DataPlane that logs every request and answers it on the next turn of the
// clock (a zero-delay alarm, like NullDataPlane), or fails it, or holds it
// for the test to answer, as told.
class RecordingDataPlane final : public fsm::DataPlane {
 public:
  enum class Op : std::uint8_t {
    kCreateTunnel,
    kDeleteTunnel,
    kCreateSession,
    kDeleteSession,
    kStartPpp,
    kStopPpp
  };
  struct Call {
    Op op = Op::kCreateTunnel;
    TimePoint at{};
    std::uint32_t tunnel_id = 0;
    std::uint32_t session_id = 0;
    std::optional<fsm::KernelTunnelParams> tunnel;
    std::optional<fsm::KernelSessionParams> session;
    std::optional<fsm::PppStartParams> ppp;
  };
  enum class Answer : std::uint8_t { kSucceed, kFail, kHold };
  enum class PppAnswer : std::uint8_t { kNetworkUp, kEnded, kEndedAuthenticationFailed, kHold };

  RecordingDataPlane(FakeClock& clock, fsm::DataPlaneEvents& events);
  ~RecordingDataPlane() override;
  void set_hook(std::function<void(const Call&)> hook) { hook_ = std::move(hook); }

  void create_tunnel(const fsm::KernelTunnelParams& params) override;
  void delete_tunnel(std::uint32_t tunnel_id) override;
  void create_session(const fsm::KernelSessionParams& params) override;
  void delete_session(std::uint32_t tunnel_id, std::uint32_t session_id) override;
  void start_ppp(const fsm::PppStartParams& params) override;
  void stop_ppp(std::uint32_t tunnel_id, std::uint32_t session_id) override;

  // How later requests are answered.
  Answer tunnel_answer = Answer::kSucceed;
  Answer session_answer = Answer::kSucceed;
  PppAnswer ppp_answer = PppAnswer::kNetworkUp;
  fsm::PppAddresses ppp_addresses;  // reported with kNetworkUp
  int ppp_exit_status = 19;         // pppd's "authentication failed" / other exits
  std::string ppp_message = "pppd exited";

  const std::vector<Call>& calls() const { return calls_; }
  std::vector<Call> calls_of(Op op) const;
  std::vector<Call> calls_for(std::uint32_t tunnel_id) const;

 private:
  void log(Call call);

  FakeClock& clock_;
  dataplane::DeferredAnswers answers_;
  std::vector<Call> calls_;
  std::function<void(const Call&)> hook_;
  unsigned next_interface_ = 0;
};
const char* to_string(RecordingDataPlane::Op op);

// ---- Nodes and the network ---------------------------------------------------

class Network;

struct NodeOptions {
  std::string name;
  std::vector<fsm::Endpoint> addresses;  // routing is by address; ports are ignored
  std::uint32_t seed = 1;                // of the node's random source
  fsm::EngineLimits limits{};
  bool recording_data_plane = false;  // else NullDataPlane
  fsm::IpsecPort* ipsec = nullptr;    // the test's, answered by calling the engine
};

class Node {
 public:
  Node(Network& network, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& name() const { return options_.name; }
  fsm::Engine& engine() { return *engine_; }
  const fsm::Engine& engine() const { return *engine_; }
  RecordingObserver& observer() { return observer_; }
  const RecordingObserver& observer() const { return observer_; }
  RecordingDataPlane& data_plane();  // throws unless recording_data_plane
  bool owns(const fsm::Endpoint& endpoint) const;

  // Tunnels the engine currently lists, in any state, and in `state`.
  std::size_t tunnel_count() const;
  std::size_t tunnel_count(fsm::ObjectState state) const;
  fsm::TunnelView tunnel(std::uint32_t tunnel_id) const;  // throws if unknown
  // The state, or nullopt once the engine no longer lists the object.
  std::optional<fsm::ObjectState> tunnel_state(std::uint32_t tunnel_id) const;
  std::optional<fsm::ObjectState> session_state(std::uint32_t tunnel_id,
                                                std::uint32_t session_id) const;
  fsm::SessionView session(std::uint32_t tunnel_id, std::uint32_t session_id) const;
  // Tunnel ids the engine told its PacketSink it will never send on again.
  const std::vector<std::uint32_t>& released_tunnels() const { return released_tunnels_; }

 private:
  class Sink;
  std::vector<std::uint32_t> released_tunnels_;
  NodeOptions options_;
  FakeRandom random_;
  RecordingObserver observer_;
  std::unique_ptr<dataplane::NullDataPlane> null_data_plane_;
  std::unique_ptr<RecordingDataPlane> recording_data_plane_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<fsm::Engine> engine_;
  fsm::ToEngine to_engine_{engine_};
};

struct CapturedDatagram {
  std::size_t index = 0;
  TimePoint sent_at{};
  const Node* from = nullptr;
  const Node* to = nullptr;  // null: no node owns the destination address
  fsm::Path path;            // as the sender gave it
  fsm::Endpoint source;      // as the receiver sees it (after any port translation)
  wire::Bytes bytes;         // as the sender gave it
  std::size_t deliveries = 0;
  bool tampered = false;
};

struct Delivery {
  TimePoint at{};
  const Node* to = nullptr;
  std::size_t index = 0;  // of the captured datagram; kInjected for inject()
  fsm::Endpoint local;
  fsm::Endpoint peer;
  wire::Encapsulation encapsulation = wire::Encapsulation::kUdp;
  wire::Bytes bytes;
};
inline constexpr std::size_t kInjected = static_cast<std::size_t>(-1);

class Network {
 public:
  explicit Network(std::uint32_t seed = 1, LinkImpairment impairment = {});
  ~Network();

  FakeClock& clock() { return clock_; }
  TimePoint now() const { return clock_.now(); }
  void advance(Duration d) { clock_.advance(d); }

  Node& add_node(NodeOptions options);

  void set_impairment(const Node& from, const Node& to, LinkImpairment impairment);
  void cut(const Node& a, const Node& b);  // loses everything both ways
  // A port-translating box in front of `node`: datagrams it sends from local
  // port `inside` appear to come from `outside`; datagrams to `outside` reach
  // `inside`. Datagrams to `inside` still pass.
  void translate_port(const Node& node, std::uint16_t inside, std::uint16_t outside);

  // Called for every datagram a node sends; returns the datagrams to put on
  // the link in its place (the original by default; none drops it; two
  // duplicates it). Set to null to stop tampering.
  using Tamper = std::function<std::vector<wire::Bytes>(const CapturedDatagram&)>;
  void set_tamper(Tamper tamper) { tamper_ = std::move(tamper); }
  // Called after each send with whether the link lost it (for the demo).
  using SendHook = std::function<void(const CapturedDatagram&, bool lost)>;
  void set_send_hook(SendHook hook) { send_hook_ = std::move(hook); }
  // Off: keep no bytes of sent datagrams (the send hook still sees them) and
  // no deliveries, for floods and the fuzzer.
  void set_capture(bool on) { capture_ = on; }

  // Hands a datagram to `to` now, as if it arrived from `peer` on `local`.
  void inject(Node& to, wire::ByteView bytes, const fsm::Endpoint& local, const fsm::Endpoint& peer,
              wire::Encapsulation encapsulation);

  const std::vector<CapturedDatagram>& captured() const { return captured_; }
  const std::vector<Delivery>& deliveries() const { return deliveries_; }
  // Sends whose local address was unspecified, or that named no family.
  const std::vector<std::string>& path_errors() const { return path_errors_; }
  // Every broken contract the harness noticed, one per line ("" when none):
  // path errors and each node's observer log (contract_violations()).
  std::string problems() const;

 private:
  friend class Node;
  void on_send(Node& from, const fsm::Path& path, wire::ByteView bytes);
  void on_arrival(const Node* from, const Node* to, const wire::Bytes& framed);
  SimulatedPipe& pipe(const Node& from, const Node& to);
  Node* owner_of(const fsm::Endpoint& endpoint);
  fsm::Endpoint outside_view(const Node& node, const fsm::Endpoint& local) const;
  fsm::Endpoint inside_view(const Node& node, const fsm::Endpoint& destination) const;

  FakeClock clock_;
  std::uint32_t seed_;
  LinkImpairment default_impairment_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<std::pair<const Node*, const Node*>, std::unique_ptr<SimulatedPipe>> pipes_;
  std::map<std::pair<const Node*, const Node*>, LinkImpairment> impairments_;
  std::map<std::pair<const Node*, std::uint16_t>, std::uint16_t> port_out_;  // inside → outside
  std::map<std::pair<const Node*, std::uint16_t>, std::uint16_t> port_in_;   // outside → inside
  std::vector<CapturedDatagram> captured_;
  std::vector<Delivery> deliveries_;
  std::vector<std::string> path_errors_;
  std::uint64_t unroutable_ = 0;
  Tamper tamper_;
  SendHook send_hook_;
  bool capture_ = true;
  bool trace_ = false;
};

// ---- Reading the capture -------------------------------------------------------

DecodedDatagram decode_captured(const CapturedDatagram& datagram, wire::ByteView secret = {});

// Captured datagrams sent by `from` carrying message `type`.
std::vector<const CapturedDatagram*> sent_messages(const Network& network, const Node& from,
                                                   wire::MessageType type,
                                                   wire::ByteView secret = {});
std::size_t count_sent(const Network& network, const Node& from, wire::MessageType type,
                       wire::ByteView secret = {});

// The Ns and Nr a message from tunnel `from_tunnel` of `from` must carry to be
// the next in order at tunnel `to_tunnel` of `to`, judged from the capture
// (a loss-free link is assumed).
SequenceNumbers next_sequence(const Network& network, const Node& from, std::uint32_t from_tunnel,
                              const Node& to, std::uint32_t to_tunnel);

// ---- Two peers: a LAC (host 1) and an LNS (host 2) --------------------------

struct PairOptions {
  Transport transport;
  std::uint32_t seed = 1;
  LinkImpairment impairment{};  // default: a perfect link with 10 ms latency
  bool recording_data_plane = false;
  fsm::EngineLimits lns_limits{};
  fsm::IpsecPort* lac_ipsec = nullptr;
};

struct TunnelPair {
  std::uint32_t lac = 0;  // the initiator's tunnel id
  std::uint32_t lns = 0;  // the accepting tunnel's id
};
struct SessionPair {
  std::uint32_t lac = 0;
  std::uint32_t lns = 0;
};

class LacLns {
 public:
  explicit LacLns(const PairOptions& options);

  Network net;
  Transport transport;
  Node& lac;
  Node& lns;
  fsm::Endpoint lac_endpoint;
  fsm::Endpoint lns_endpoint;

  // Dynamic tunnel LAC → LNS listener; HELLOs every 60 s.
  fsm::TunnelConfig tunnel_config() const;
  fsm::ListenerConfig listener_config() const;

  std::uint32_t listen(const fsm::ListenerConfig& config);
  std::uint32_t listen() { return listen(listener_config()); }
  // A listener, a tunnel, and one fake second for the handshake; throws
  // unless both sides are established.
  TunnelPair establish(const fsm::TunnelConfig& config, const fsm::ListenerConfig& listener);
  TunnelPair establish() { return establish(tunnel_config(), listener_config()); }
  // A session created on `lac` (or on `lns` when from_lns), then one fake
  // second; throws unless both sides hold an established session.
  SessionPair open_session(const TunnelPair& tunnels, const fsm::SessionConfig& config,
                           bool from_lns = false);
  // The tunnel the LNS accepted most recently (throws if none).
  std::uint32_t accepted_tunnel() const;
  // The session the peer side added most recently in `tunnel` (0 if none).
  static std::uint32_t newest_session(const Node& node, std::uint32_t tunnel);
};

}  // namespace l2tp::testing

// Test failure messages print these by name rather than as bytes.
namespace l2tp::fsm {
void PrintTo(ObjectState state, std::ostream* out);
void PrintTo(const LastResult& result, std::ostream* out);
}  // namespace l2tp::fsm
