#include "engine_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "wire/avp.h"
#include "wire/header.h"
#include "wire/security.h"

namespace l2tp::testing {

using fsm::ObjectState;
using wire::Bytes;
using wire::ByteView;
using wire::Encapsulation;
using wire::MessageType;
using wire::ProtocolVersion;

std::string to_string(const fsm::Error& error) {
  static const char* const kNames[] = {"invalid-argument", "exists",        "not-found",
                                       "limit-exceeded",   "not-supported", "wrong-state"};
  const auto code = static_cast<std::size_t>(error.code);
  return std::string(code < std::size(kNames) ? kNames[code] : "?") + ": " + error.message;
}

std::string describe(const fsm::LastResult& result) {
  return "(" + std::to_string(result.result) + ", " + std::to_string(result.error) + ", \"" +
         result.message + "\")";
}

void expect_ok(std::expected<void, fsm::Error> answer, const std::string& what) {
  if (!answer) throw HarnessError(what + " failed: " + to_string(answer.error()));
}

std::string at(TimePoint moment) {
  const auto ms = std::chrono::duration_cast<Duration>(moment.time_since_epoch()).count();
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03llds", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return text;
}

std::string at(const std::optional<TimePoint>& moment) {
  return moment ? at(*moment) : "never";
}

// ---- Addresses -----------------------------------------------------------------

fsm::Endpoint ipv4(std::uint8_t last_octet, std::uint16_t port) {
  return fsm::Endpoint::ipv4({192, 0, 2, last_octet}, port);
}

fsm::Endpoint ipv6(std::uint8_t last_octet, std::uint16_t port) {
  std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
  a[15] = last_octet;
  return fsm::Endpoint::ipv6(a, port);
}

std::string name_of(const Transport& transport) {
  std::string name = transport.version == ProtocolVersion::kV2 ? "v2" : "v3";
  name += transport.encapsulation == Encapsulation::kUdp ? "_udp" : "_ip";
  name += transport.ipv6 ? "_ipv6" : "_ipv4";
  return name;
}

void PrintTo(const Transport& transport, std::ostream* out) {
  *out << name_of(transport);
}

std::vector<Transport> all_transports() {
  return {{ProtocolVersion::kV2, Encapsulation::kUdp, false},
          {ProtocolVersion::kV2, Encapsulation::kUdp, true},
          {ProtocolVersion::kV3, Encapsulation::kUdp, false},
          {ProtocolVersion::kV3, Encapsulation::kUdp, true},
          {ProtocolVersion::kV3, Encapsulation::kIp, false},
          {ProtocolVersion::kV3, Encapsulation::kIp, true}};
}

std::vector<Transport> v2_transports() {
  std::vector<Transport> v2;
  for (const Transport& t : all_transports())
    if (t.version == ProtocolVersion::kV2) v2.push_back(t);
  return v2;
}

std::vector<Transport> v3_transports() {
  std::vector<Transport> v3;
  for (const Transport& t : all_transports())
    if (t.version == ProtocolVersion::kV3) v3.push_back(t);
  return v3;
}

std::vector<Transport> udp_transports() {
  std::vector<Transport> udp;
  for (const Transport& t : all_transports())
    if (t.encapsulation == Encapsulation::kUdp) udp.push_back(t);
  return udp;
}

fsm::Endpoint endpoint_for(const Transport& transport, std::uint8_t last_octet) {
  const std::uint16_t port = transport.encapsulation == Encapsulation::kUdp ? 1701 : 0;
  return transport.ipv6 ? ipv6(last_octet, port) : ipv4(last_octet, port);
}

Duration retransmission_give_up(const transport::ChannelConfig& config) {
  Duration total{0};
  Duration timeout = config.retransmit_timeout;
  for (unsigned attempt = 0; attempt <= config.max_retransmits; ++attempt) {
    total += std::min(timeout, config.max_retransmit_timeout);
    timeout *= 2;
  }
  return total;
}

// ---- RecordingObserver -------------------------------------------------------

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::kTunnelAdded:
      return "tunnel_added";
    case EventKind::kTunnelChanged:
      return "tunnel_changed";
    case EventKind::kTunnelRemoved:
      return "tunnel_removed";
    case EventKind::kSessionAdded:
      return "session_added";
    case EventKind::kSessionChanged:
      return "session_changed";
    case EventKind::kSessionRemoved:
      return "session_removed";
    case EventKind::kListenerAccepted:
      return "listener_accepted";
  }
  return "?";
}

void RecordingObserver::record(ObservedEvent event) {
  event.at = clock_.now();
  events_.push_back(std::move(event));
  if (hook_) hook_(events_.back());
}

void RecordingObserver::record_tunnel(EventKind kind, const fsm::TunnelView& tunnel) {
  record({.kind = kind, .tunnel_id = tunnel.tunnel_id, .tunnel = tunnel});
  // An accepted tunnel's listener learns of it from its view.
  if (kind == EventKind::kTunnelAdded && tunnel.listener_id != 0) {
    record({.kind = EventKind::kListenerAccepted,
            .tunnel_id = tunnel.tunnel_id,
            .listener_id = tunnel.listener_id});
  }
}

void RecordingObserver::record_session(EventKind kind, const fsm::SessionView& session) {
  record({.kind = kind,
          .tunnel_id = session.tunnel_id,
          .session_id = session.session_id,
          .session = session});
}

void RecordingObserver::tunnel_added(const fsm::TunnelView& tunnel) {
  record_tunnel(EventKind::kTunnelAdded, tunnel);
}
void RecordingObserver::session_added(const fsm::SessionView& session) {
  record_session(EventKind::kSessionAdded, session);
}
void RecordingObserver::tunnel_changed(const fsm::TunnelView& tunnel) {
  record_tunnel(EventKind::kTunnelChanged, tunnel);
}
void RecordingObserver::session_changed(const fsm::SessionView& session) {
  record_session(EventKind::kSessionChanged, session);
}
void RecordingObserver::tunnel_removed(const fsm::TunnelView& tunnel) {
  record_tunnel(EventKind::kTunnelRemoved, tunnel);
}
void RecordingObserver::session_removed(const fsm::SessionView& session) {
  record_session(EventKind::kSessionRemoved, session);
}

std::size_t RecordingObserver::count(EventKind kind) const {
  return static_cast<std::size_t>(
      std::count_if(events_.begin(), events_.end(), [&](const auto& e) { return e.kind == kind; }));
}

std::size_t RecordingObserver::count(EventKind kind, std::uint32_t tunnel_id) const {
  return static_cast<std::size_t>(std::count_if(events_.begin(), events_.end(), [&](const auto& e) {
    return e.kind == kind && e.tunnel_id == tunnel_id;
  }));
}

std::optional<fsm::TunnelView> RecordingObserver::last_tunnel(std::uint32_t tunnel_id) const {
  for (auto it = events_.rbegin(); it != events_.rend(); ++it)
    if (it->tunnel_id == tunnel_id && it->tunnel && it->kind != EventKind::kListenerAccepted)
      return it->tunnel;
  return std::nullopt;
}

std::optional<fsm::SessionView> RecordingObserver::last_session(std::uint32_t tunnel_id,
                                                                std::uint32_t session_id) const {
  for (auto it = events_.rbegin(); it != events_.rend(); ++it)
    if (it->tunnel_id == tunnel_id && it->session_id == session_id && it->session)
      return it->session;
  return std::nullopt;
}

bool RecordingObserver::tunnel_removed_seen(std::uint32_t tunnel_id) const {
  return count(EventKind::kTunnelRemoved, tunnel_id) > 0;
}

bool RecordingObserver::session_removed_seen(std::uint32_t tunnel_id,
                                             std::uint32_t session_id) const {
  return std::any_of(events_.begin(), events_.end(), [&](const auto& e) {
    return e.kind == EventKind::kSessionRemoved && e.tunnel_id == tunnel_id &&
           e.session_id == session_id;
  });
}

std::vector<ObjectState> RecordingObserver::tunnel_states(std::uint32_t tunnel_id) const {
  std::vector<ObjectState> states;
  for (const auto& e : events_)
    if (e.kind == EventKind::kTunnelChanged && e.tunnel_id == tunnel_id && e.tunnel &&
        (states.empty() || states.back() != e.tunnel->state))
      states.push_back(e.tunnel->state);
  return states;
}

std::optional<TimePoint> RecordingObserver::tunnel_reached(std::uint32_t tunnel_id,
                                                           ObjectState state) const {
  for (const auto& e : events_)
    if (e.kind == EventKind::kTunnelChanged && e.tunnel_id == tunnel_id && e.tunnel &&
        e.tunnel->state == state)
      return e.at;
  return std::nullopt;
}

std::optional<TimePoint> RecordingObserver::session_reached(std::uint32_t tunnel_id,
                                                            std::uint32_t session_id,
                                                            ObjectState state) const {
  for (const auto& e : events_)
    if (e.kind == EventKind::kSessionChanged && e.tunnel_id == tunnel_id &&
        e.session_id == session_id && e.session && e.session->state == state)
      return e.at;
  return std::nullopt;
}

std::vector<std::uint32_t> RecordingObserver::tunnels_added() const {
  std::vector<std::uint32_t> ids;
  for (const auto& e : events_)
    if (e.kind == EventKind::kTunnelAdded) ids.push_back(e.tunnel_id);
  return ids;
}

std::vector<std::uint32_t> RecordingObserver::sessions_added(std::uint32_t tunnel_id) const {
  std::vector<std::uint32_t> ids;
  for (const auto& e : events_)
    if (e.kind == EventKind::kSessionAdded && e.tunnel_id == tunnel_id) ids.push_back(e.session_id);
  return ids;
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> RecordingObserver::accepted() const {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& e : events_)
    if (e.kind == EventKind::kListenerAccepted) out.emplace_back(e.listener_id, e.tunnel_id);
  return out;
}

std::vector<std::string> RecordingObserver::contract_violations() const {
  std::vector<std::string> problems;
  // Ids are reused after removal, so the state is per incarnation.
  struct Life {
    bool alive = false;
    std::optional<ObservedEvent> last_change;
  };
  std::map<std::uint32_t, Life> tunnels;
  std::map<std::pair<std::uint32_t, std::uint32_t>, Life> sessions;
  auto where = [](const ObservedEvent& e) {
    std::ostringstream s;
    s << to_string(e.kind) << "(tunnel " << e.tunnel_id;
    if (e.session_id != 0) s << ", session " << e.session_id;
    s << ")";
    return s.str();
  };
  for (const ObservedEvent& e : events_) {
    const auto session_key = std::make_pair(e.tunnel_id, e.session_id);
    switch (e.kind) {
      case EventKind::kTunnelAdded:
        if (tunnels[e.tunnel_id].alive) problems.push_back(where(e) + ": added twice");
        tunnels[e.tunnel_id] = {true, std::nullopt};
        break;
      case EventKind::kTunnelChanged:
        if (!tunnels[e.tunnel_id].alive) problems.push_back(where(e) + ": not added or removed");
        tunnels[e.tunnel_id].last_change = e;
        break;
      case EventKind::kTunnelRemoved: {
        Life& life = tunnels[e.tunnel_id];
        if (!life.alive) problems.push_back(where(e) + ": not added or removed twice");
        if (!life.last_change || !life.last_change->tunnel ||
            life.last_change->tunnel->state != ObjectState::kClosed)
          problems.push_back(where(e) + ": last tunnel_changed did not show kClosed");
        else if (life.last_change->tunnel->last_result.result == 0)
          problems.push_back(where(e) + ": closed without a LastResult");
        for (const auto& [key, session] : sessions)
          if (key.first == e.tunnel_id && session.alive)
            problems.push_back(where(e) + ": session " + std::to_string(key.second) +
                               " not removed first");
        life = {};
        break;
      }
      case EventKind::kSessionAdded:
        if (!tunnels[e.tunnel_id].alive) problems.push_back(where(e) + ": tunnel not alive");
        if (sessions[session_key].alive) problems.push_back(where(e) + ": added twice");
        sessions[session_key] = {true, std::nullopt};
        break;
      case EventKind::kSessionChanged:
        if (!sessions[session_key].alive) problems.push_back(where(e) + ": not added or removed");
        sessions[session_key].last_change = e;
        break;
      case EventKind::kSessionRemoved: {
        Life& life = sessions[session_key];
        if (!life.alive) problems.push_back(where(e) + ": not added or removed twice");
        if (!life.last_change || !life.last_change->session ||
            life.last_change->session->state != ObjectState::kClosed)
          problems.push_back(where(e) + ": last session_changed did not show kClosed");
        else if (life.last_change->session->last_result.result == 0)
          problems.push_back(where(e) + ": closed without a LastResult");
        life = {};
        break;
      }
      case EventKind::kListenerAccepted:
        if (!tunnels[e.tunnel_id].alive)
          problems.push_back(where(e) + ": accepted a tunnel not added before");
        break;
    }
  }
  return problems;
}

// ---- RecordingDataPlane ------------------------------------------------------

const char* to_string(RecordingDataPlane::Op op) {
  switch (op) {
    case RecordingDataPlane::Op::kCreateTunnel:
      return "create_tunnel";
    case RecordingDataPlane::Op::kDeleteTunnel:
      return "delete_tunnel";
    case RecordingDataPlane::Op::kCreateSession:
      return "create_session";
    case RecordingDataPlane::Op::kDeleteSession:
      return "delete_session";
    case RecordingDataPlane::Op::kStartPpp:
      return "start_ppp";
    case RecordingDataPlane::Op::kStopPpp:
      return "stop_ppp";
  }
  return "?";
}

RecordingDataPlane::RecordingDataPlane(FakeClock& clock, fsm::DataPlaneEvents& events)
    : clock_(clock), answers_(clock, events) {}

RecordingDataPlane::~RecordingDataPlane() = default;

void RecordingDataPlane::log(Call call) {
  calls_.push_back(std::move(call));
  if (hook_) hook_(calls_.back());
}

void RecordingDataPlane::create_tunnel(const fsm::KernelTunnelParams& params) {
  log({.op = Op::kCreateTunnel,
       .at = clock_.now(),
       .tunnel_id = params.tunnel_id,
       .tunnel = params});
  const std::uint32_t id = params.tunnel_id;
  if (tunnel_answer == Answer::kSucceed)
    answers_.later([id](fsm::DataPlaneEvents& e) { e.data_plane_tunnel_ready(id); });
  else if (tunnel_answer == Answer::kFail)
    answers_.later([id](fsm::DataPlaneEvents& e) {
      e.data_plane_tunnel_failed(id, "injected tunnel failure");
    });
}

void RecordingDataPlane::delete_tunnel(std::uint32_t tunnel_id) {
  log({.op = Op::kDeleteTunnel, .at = clock_.now(), .tunnel_id = tunnel_id});
}

void RecordingDataPlane::create_session(const fsm::KernelSessionParams& params) {
  log({.op = Op::kCreateSession,
       .at = clock_.now(),
       .tunnel_id = params.tunnel_id,
       .session_id = params.session_id,
       .session = params});
  const std::uint32_t t = params.tunnel_id, s = params.session_id;
  const std::string name = params.interface_name.empty()
                               ? "l2tp" + std::to_string(next_interface_++)
                               : params.interface_name;
  if (session_answer == Answer::kSucceed)
    answers_.later(
        [t, s, name](fsm::DataPlaneEvents& e) { e.data_plane_session_ready(t, s, name); });
  else if (session_answer == Answer::kFail)
    answers_.later([t, s](fsm::DataPlaneEvents& e) {
      e.data_plane_session_failed(t, s, "injected session failure");
    });
}

void RecordingDataPlane::delete_session(std::uint32_t tunnel_id, std::uint32_t session_id) {
  log({.op = Op::kDeleteSession,
       .at = clock_.now(),
       .tunnel_id = tunnel_id,
       .session_id = session_id});
}

void RecordingDataPlane::start_ppp(const fsm::PppStartParams& params) {
  log({.op = Op::kStartPpp,
       .at = clock_.now(),
       .tunnel_id = params.session.tunnel_id,
       .session_id = params.session.session_id,
       .ppp = params});
  const std::uint32_t t = params.session.tunnel_id, s = params.session.session_id;
  switch (ppp_answer) {
    case PppAnswer::kNetworkUp:
      answers_.later([t, s, addresses = ppp_addresses](fsm::DataPlaneEvents& e) {
        e.ppp_network_up(t, s, addresses);
      });
      break;
    case PppAnswer::kEnded:
    case PppAnswer::kEndedAuthenticationFailed: {
      const bool auth = ppp_answer == PppAnswer::kEndedAuthenticationFailed;
      answers_.later([t, s, auth, status = ppp_exit_status, message = ppp_message](
                         fsm::DataPlaneEvents& e) { e.ppp_ended(t, s, status, auth, message); });
      break;
    }
    case PppAnswer::kHold:
      break;
  }
}

void RecordingDataPlane::stop_ppp(std::uint32_t tunnel_id, std::uint32_t session_id) {
  log({.op = Op::kStopPpp, .at = clock_.now(), .tunnel_id = tunnel_id, .session_id = session_id});
}

std::vector<RecordingDataPlane::Call> RecordingDataPlane::calls_of(Op op) const {
  std::vector<Call> out;
  std::copy_if(calls_.begin(), calls_.end(), std::back_inserter(out),
               [op](const Call& c) { return c.op == op; });
  return out;
}

std::vector<RecordingDataPlane::Call> RecordingDataPlane::calls_for(std::uint32_t tunnel_id) const {
  std::vector<Call> out;
  std::copy_if(calls_.begin(), calls_.end(), std::back_inserter(out),
               [tunnel_id](const Call& c) { return c.tunnel_id == tunnel_id; });
  return out;
}

// ---- Node ----------------------------------------------------------------------

class Node::Sink final : public fsm::PacketSink {
 public:
  Sink(Network& network, Node& node) : network_(network), node_(node) {}
  void send(const fsm::Path& path, ByteView datagram) override {
    if (released_.contains(path.tunnel_id)) {
      // Only a new tunnel that took the id again may use its path.
      if (node_.engine().tunnel(path.tunnel_id))
        released_.erase(path.tunnel_id);
      else
        network_.path_errors_.push_back(node_.name() + " sent on tunnel " +
                                        std::to_string(path.tunnel_id) + " after releasing it");
    }
    network_.on_send(node_, path, datagram);
  }
  void release(std::uint32_t tunnel_id) override {
    if (!released_.insert(tunnel_id).second)
      network_.path_errors_.push_back(node_.name() + " released tunnel " +
                                      std::to_string(tunnel_id) + " twice");
    node_.released_tunnels_.push_back(tunnel_id);
  }

 private:
  Network& network_;
  Node& node_;
  std::set<std::uint32_t> released_;
};

Node::Node(Network& network, NodeOptions options)
    : options_(std::move(options)), random_(options_.seed), observer_(network.clock()) {
  FakeClock& clock = network.clock();
  sink_ = std::make_unique<Sink>(network, *this);
  fsm::DataPlane* data_plane = nullptr;
  if (options_.recording_data_plane) {
    recording_data_plane_ = std::make_unique<RecordingDataPlane>(clock, to_engine_);
    data_plane = recording_data_plane_.get();
  } else {
    null_data_plane_ = std::make_unique<dataplane::NullDataPlane>(clock, to_engine_);
    data_plane = null_data_plane_.get();
  }
  fsm::Environment environment{clock, clock, random_, *sink_, *data_plane, observer_};
  environment.ipsec = options_.ipsec;
  engine_ = std::make_unique<fsm::Engine>(environment, options_.limits);
}

Node::~Node() {
  // The engine may report removals while it is torn down; it cannot be asked
  // about them any more, and nothing may answer it afterwards (reset() lets
  // go of it first, so to_engine_ drops the answers).
  engine_.reset();
}

RecordingDataPlane& Node::data_plane() {
  if (!recording_data_plane_) throw HarnessError(name() + " has no recording data plane");
  return *recording_data_plane_;
}

bool Node::owns(const fsm::Endpoint& endpoint) const {
  return std::any_of(options_.addresses.begin(), options_.addresses.end(), [&](const auto& a) {
    return a.family == endpoint.family && a.address == endpoint.address;
  });
}

std::size_t Node::tunnel_count() const {
  return engine_->tunnel_ids().size();
}

std::size_t Node::tunnel_count(ObjectState state) const {
  std::size_t n = 0;
  for (std::uint32_t id : engine_->tunnel_ids()) {
    const auto view = engine_->tunnel(id);
    if (view && view->state == state) ++n;
  }
  return n;
}

fsm::TunnelView Node::tunnel(std::uint32_t tunnel_id) const {
  auto view = engine_->tunnel(tunnel_id);
  if (!view) throw HarnessError(name() + " has no tunnel " + std::to_string(tunnel_id));
  return *view;
}

std::optional<ObjectState> Node::tunnel_state(std::uint32_t tunnel_id) const {
  const auto view = engine_->tunnel(tunnel_id);
  return view ? std::optional(view->state) : std::nullopt;
}

std::optional<ObjectState> Node::session_state(std::uint32_t tunnel_id,
                                               std::uint32_t session_id) const {
  const auto view = engine_->session(tunnel_id, session_id);
  return view ? std::optional(view->state) : std::nullopt;
}

fsm::SessionView Node::session(std::uint32_t tunnel_id, std::uint32_t session_id) const {
  auto view = engine_->session(tunnel_id, session_id);
  if (!view)
    throw HarnessError(name() + " has no session " + std::to_string(tunnel_id) + "/" +
                       std::to_string(session_id));
  return *view;
}

// ---- Network -------------------------------------------------------------------

Network::Network(std::uint32_t seed, LinkImpairment impairment)
    : seed_(seed),
      default_impairment_(impairment),
      // ENGINE_HARNESS_TRACE=1 prints every datagram: the first thing to look
      // at when a scenario fails.
      trace_(std::getenv("ENGINE_HARNESS_TRACE") != nullptr) {}

Network::~Network() {
  // Engines first: their alarms and sinks point into the nodes and pipes.
  nodes_.clear();
}

Node& Network::add_node(NodeOptions options) {
  nodes_.push_back(std::make_unique<Node>(*this, std::move(options)));
  return *nodes_.back();
}

SimulatedPipe& Network::pipe(const Node& from, const Node& to) {
  const auto key = std::make_pair(&from, &to);
  auto it = pipes_.find(key);
  if (it != pipes_.end()) return *it->second;
  const auto imp = impairments_.find(key);
  auto pipe = std::make_unique<SimulatedPipe>(
      clock_, imp != impairments_.end() ? imp->second : default_impairment_,
      seed_ * 7919u + static_cast<std::uint32_t>(pipes_.size()));
  pipe->set_receiver([this, f = &from, t = &to](const Bytes& framed) { on_arrival(f, t, framed); });
  return *pipes_.emplace(key, std::move(pipe)).first->second;
}

void Network::set_impairment(const Node& from, const Node& to, LinkImpairment impairment) {
  impairments_[{&from, &to}] = impairment;
  pipe(from, to).set_impairment(impairment);
}

void Network::cut(const Node& a, const Node& b) {
  LinkImpairment dead = default_impairment_;
  dead.loss = 1.0;
  set_impairment(a, b, dead);
  set_impairment(b, a, dead);
}

void Network::translate_port(const Node& node, std::uint16_t inside, std::uint16_t outside) {
  port_out_[{&node, inside}] = outside;
  port_in_[{&node, outside}] = inside;
}

Node* Network::owner_of(const fsm::Endpoint& endpoint) {
  for (auto& node : nodes_)
    if (node->owns(endpoint)) return node.get();
  return nullptr;
}

fsm::Endpoint Network::outside_view(const Node& node, const fsm::Endpoint& local) const {
  const auto it = port_out_.find({&node, local.port});
  return it == port_out_.end() ? local : local.with_port(it->second);
}

fsm::Endpoint Network::inside_view(const Node& node, const fsm::Endpoint& destination) const {
  const auto it = port_in_.find({&node, destination.port});
  return it == port_in_.end() ? destination : destination.with_port(it->second);
}

void Network::on_send(Node& from, const fsm::Path& path, ByteView bytes) {
  if (path.local.family == fsm::Endpoint::Family::kUnspecified ||
      path.peer.family == fsm::Endpoint::Family::kUnspecified ||
      path.local.is_unspecified_address())
    path_errors_.push_back(from.name() + " sent from " + path.local.to_string() + " to " +
                           path.peer.to_string() + " (tunnel " + std::to_string(path.tunnel_id) +
                           ")");
  CapturedDatagram datagram;
  datagram.index = captured_.size();
  datagram.sent_at = clock_.now();
  datagram.from = &from;
  datagram.to = owner_of(path.peer);
  datagram.path = path;
  datagram.source = outside_view(from, path.local);
  datagram.bytes.assign(bytes.begin(), bytes.end());  // kept only while capturing

  std::vector<Bytes> to_send;
  if (tamper_) {
    to_send = tamper_(datagram);
    datagram.tampered = to_send.size() != 1 || !std::equal(to_send[0].begin(), to_send[0].end(),
                                                           bytes.begin(), bytes.end());
  } else {
    to_send.emplace_back(bytes.begin(), bytes.end());
  }
  captured_.push_back(std::move(datagram));
  const CapturedDatagram& stored = captured_.back();

  bool lost = true;
  if (stored.to == nullptr) {
    ++unroutable_;
  } else {
    SimulatedPipe& link = pipe(from, *stored.to);
    for (const Bytes& payload : to_send) {
      // The pipe carries bytes only: the capture index rides in front.
      Bytes framed(sizeof(std::uint64_t));
      const auto index = static_cast<std::uint64_t>(stored.index);
      for (std::size_t i = 0; i < sizeof(index); ++i)
        framed[i] = static_cast<std::uint8_t>(index >> (8 * i));
      framed.insert(framed.end(), payload.begin(), payload.end());
      const std::uint64_t dropped_before = link.dropped();
      link.send(framed);
      if (link.dropped() == dropped_before) lost = false;
    }
  }
  if (trace_) {
    const CapturedDatagram& c = captured_.back();
    const auto ms = std::chrono::duration_cast<Duration>(c.sent_at.time_since_epoch()).count();
    std::fprintf(stderr, "%8lld ms %s -> %s%s: %s\n", static_cast<long long>(ms),
                 c.from->name().c_str(), c.to != nullptr ? c.to->name().c_str() : "nowhere",
                 lost ? " (lost)" : "", describe(decode_captured(c)).c_str());
  }
  if (send_hook_) send_hook_(captured_.back(), lost);
  if (!capture_) captured_.back().bytes = Bytes{};
}

void Network::on_arrival(const Node* from, const Node* to, const Bytes& framed) {
  (void)from;
  std::uint64_t index = 0;
  for (std::size_t i = 0; i < sizeof(index); ++i)
    index |= static_cast<std::uint64_t>(framed[i]) << (8 * i);
  CapturedDatagram& original = captured_.at(static_cast<std::size_t>(index));
  ++original.deliveries;
  const Bytes payload(framed.begin() + sizeof(index), framed.end());
  const fsm::Endpoint local = inside_view(*to, original.path.peer);
  const fsm::Endpoint peer = original.source;
  const Encapsulation encapsulation = original.path.encapsulation;
  if (capture_)
    deliveries_.push_back({clock_.now(), to, original.index, local, peer, encapsulation, payload});
  for (auto& node : nodes_)
    if (node.get() == to)
      node->engine().receive(fsm::Datagram{payload, local, peer, encapsulation});
}

std::string Network::problems() const {
  std::string out;
  for (const std::string& p : path_errors_) out += "path: " + p + "\n";
  for (const auto& node : nodes_)
    for (const std::string& p : node->observer().contract_violations())
      out += node->name() + ": " + p + "\n";
  return out;
}

void Network::inject(Node& to, ByteView bytes, const fsm::Endpoint& local,
                     const fsm::Endpoint& peer, Encapsulation encapsulation) {
  Delivery delivery{
      clock_.now(), &to, kInjected, local, peer, encapsulation, Bytes(bytes.begin(), bytes.end())};
  if (capture_) deliveries_.push_back(delivery);
  to.engine().receive(fsm::Datagram{bytes, local, peer, encapsulation});
}

// ---- Reading the capture ------------------------------------------------------

DecodedDatagram decode_captured(const CapturedDatagram& datagram, ByteView secret) {
  return decode_datagram(datagram.bytes, datagram.path.encapsulation, secret);
}

std::vector<const CapturedDatagram*> sent_messages(const Network& network, const Node& from,
                                                   MessageType type, ByteView secret) {
  std::vector<const CapturedDatagram*> out;
  for (const CapturedDatagram& c : network.captured())
    if (c.from == &from && decode_captured(c, secret).is(type)) out.push_back(&c);
  return out;
}

std::size_t count_sent(const Network& network, const Node& from, MessageType type,
                       ByteView secret) {
  return sent_messages(network, from, type, secret).size();
}

SequenceNumbers next_sequence(const Network& network, const Node& from, std::uint32_t from_tunnel,
                              const Node& to, std::uint32_t to_tunnel) {
  // A message occupies an Ns; the next one is the last plus one. Hidden AVPs
  // do not matter: only the header and whether AVPs exist are read.
  auto next_ns = [&](const Node& node, std::uint32_t tunnel) {
    std::optional<std::uint16_t> last;
    for (const CapturedDatagram& c : network.captured()) {
      if (c.from != &node || c.path.tunnel_id != tunnel) continue;
      auto packet = wire::parse_packet(c.bytes, c.path.encapsulation);
      if (!packet || !std::holds_alternative<wire::ControlPacket>(*packet)) continue;
      const auto& control = std::get<wire::ControlPacket>(*packet);
      if (control.avps.empty()) continue;
      auto raw = wire::split_avps(control.avps);
      // A v3 ACK is the Message Type AVP (20) alone, plus digest AVPs.
      if (raw && !raw->empty() && raw->front().attribute_type == 0 &&
          raw->front().value.size() == 2 && raw->front().value[0] == 0 &&
          raw->front().value[1] == static_cast<std::uint8_t>(MessageType::kAck))
        continue;
      last = control.header.ns;
    }
    return static_cast<std::uint16_t>(last ? *last + 1 : 0);
  };
  return {next_ns(from, from_tunnel), next_ns(to, to_tunnel)};
}

// ---- LacLns ----------------------------------------------------------------------------

namespace {

NodeOptions node_options(const std::string& name, std::uint8_t host, std::uint32_t seed,
                         const PairOptions& options, fsm::EngineLimits limits,
                         fsm::IpsecPort* ipsec = nullptr) {
  return {name, {ipv4(host, 0), ipv6(host, 0)}, seed, limits, options.recording_data_plane, ipsec};
}

}  // namespace

LacLns::LacLns(const PairOptions& options)
    : net(options.seed, options.impairment),
      transport(options.transport),
      lac(net.add_node(
          node_options("lac", 1, options.seed * 2 + 1, options, {}, options.lac_ipsec))),
      lns(net.add_node(node_options("lns", 2, options.seed * 2 + 2, options, options.lns_limits))),
      lac_endpoint(endpoint_for(options.transport, 1)),
      lns_endpoint(endpoint_for(options.transport, 2)) {}

fsm::TunnelConfig LacLns::tunnel_config() const {
  fsm::TunnelConfig config;
  config.mode = fsm::TunnelMode::kDynamic;
  config.version = transport.version;
  config.encapsulation = transport.encapsulation;
  config.local = lac_endpoint;
  config.peer = lns_endpoint;
  config.control.host_name = "lac.example";
  return config;
}

fsm::ListenerConfig LacLns::listener_config() const {
  fsm::ListenerConfig config;
  config.local = lns_endpoint;
  config.version = transport.version;
  config.encapsulation = transport.encapsulation;
  config.control.host_name = "lns.example";
  config.pseudowires = {fsm::Pseudowire::kPpp, fsm::Pseudowire::kEth};
  config.ppp.local_address = "10.0.0.1";
  config.ppp.address_pool = "10.0.0.10-10.0.0.99";
  return config;
}

std::uint32_t LacLns::listen(const fsm::ListenerConfig& config) {
  return expect_ok(lns.engine().listen(config), "listen");
}

std::uint32_t LacLns::accepted_tunnel() const {
  const auto accepted = lns.observer().accepted();
  if (accepted.empty()) throw HarnessError("the LNS accepted no tunnel");
  return accepted.back().second;
}

TunnelPair LacLns::establish(const fsm::TunnelConfig& config, const fsm::ListenerConfig& listener) {
  listen(listener);
  TunnelPair tunnels;
  tunnels.lac = expect_ok(lac.engine().create_tunnel(config), "create_tunnel");
  net.advance(Duration{1000});
  tunnels.lns = accepted_tunnel();
  if (lac.tunnel(tunnels.lac).state != ObjectState::kEstablished ||
      lns.tunnel(tunnels.lns).state != ObjectState::kEstablished)
    throw HarnessError("tunnel not established within a second: lac " +
                       std::string(fsm::to_string(lac.tunnel(tunnels.lac).state)) + ", lns " +
                       fsm::to_string(lns.tunnel(tunnels.lns).state));
  return tunnels;
}

std::uint32_t LacLns::newest_session(const Node& node, std::uint32_t tunnel) {
  const auto ids = node.observer().sessions_added(tunnel);
  return ids.empty() ? 0 : ids.back();
}

SessionPair LacLns::open_session(const TunnelPair& tunnels, const fsm::SessionConfig& config,
                                 bool from_lns) {
  Node& creator = from_lns ? lns : lac;
  Node& answerer = from_lns ? lac : lns;
  const std::uint32_t creator_tunnel = from_lns ? tunnels.lns : tunnels.lac;
  const std::uint32_t answerer_tunnel = from_lns ? tunnels.lac : tunnels.lns;
  const std::uint32_t created =
      expect_ok(creator.engine().create_session(creator_tunnel, config), "create_session");
  net.advance(Duration{1000});
  const std::uint32_t answered = newest_session(answerer, answerer_tunnel);
  if (answered == 0) throw HarnessError("the peer added no session");
  const auto a = creator.engine().session(creator_tunnel, created);
  const auto b = answerer.engine().session(answerer_tunnel, answered);
  if (!a || !b || a->state != ObjectState::kEstablished || b->state != ObjectState::kEstablished)
    throw HarnessError("session not established on both sides within a second");
  return from_lns ? SessionPair{answered, created} : SessionPair{created, answered};
}

}  // namespace l2tp::testing

namespace l2tp::fsm {
void PrintTo(ObjectState state, std::ostream* out) {
  *out << to_string(state);
}
void PrintTo(const LastResult& result, std::ostream* out) {
  *out << testing::describe(result);
}
}  // namespace l2tp::fsm
