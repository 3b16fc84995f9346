// l2tp-load: an L2TPv2 LAC (or an L2TPv3 LCCE placing incoming calls) that
// opens many tunnels (and sessions in them) to one LNS over UDP, holds them,
// tears them down and prints one JSON object with the rates, setup times and
// counts. bench/run drives it against l2tpbusd, xl2tpd and l2tpns;
// bench/README.md says what each figure means.
//
// One thread, non-blocking sockets, poll(). Every tunnel of a socket shares
// its source port, as a real LAC's do (xl2tpd sends all from 1701); replies
// are told apart by the Tunnel ID in their header, which is ours.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lac_messages.h"

namespace {

using namespace l2tp;
using Clock = std::chrono::steady_clock;
using wire::MessageType;

struct Options {
  sockaddr_in lns{};
  unsigned tunnels = 20;
  unsigned window = 8;
  unsigned sessions = 0;
  unsigned sources = 1;
  double hold_seconds = 0;
  bool hold_until_stdin = false;
  bool expect_all = false;
  double timeout_seconds = 120;
  std::chrono::milliseconds retransmit{1000};
  unsigned max_retransmits = 5;
  ProtocolVersion version = ProtocolVersion::kV2;
  std::uint16_t pseudowire = wire::kPseudowirePpp;  // v3 only
  // Tunnel counts at which to stop opening more until a line on stdin, so
  // that bench/run can read the LNS's CPU time there (ascending).
  std::vector<unsigned> pause_at;
  // Sessions are opened once every tunnel's handshake has ended, not as each
  // tunnel comes up, so that the LNS's memory and CPU can be read between
  // the two: what the tunnels cost, then what the sessions cost.
  bool sessions_after_tunnels = false;
};

constexpr std::chrono::milliseconds kMaxRetransmitInterval{8000};
constexpr std::uint16_t kDefaultPeerWindow = 4;  // RFC 2661 §5.8 when the AVP is absent

bool before(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(a - b) < 0;
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

enum class SessionState { kIdle, kRequested, kConnecting, kUp, kRefused, kLost };

struct Session {
  std::uint32_t peer_id = 0;
  SessionState state = SessionState::kIdle;
  Clock::time_point started;
};

enum class TunnelState { kIdle, kRequested, kConnecting, kUp, kClosing, kClosed, kRefused, kLost };

struct Sent {
  std::uint16_t ns = 0;
  MessageType type = MessageType::kHello;
  int session = -1;  // index into Tunnel::sessions for call messages
  wire::Bytes bytes;
};

struct Tunnel {
  std::uint16_t our_id = 0;
  std::uint32_t peer_id = 0;  // v2 Tunnel ID or v3 Control Connection ID
  unsigned socket = 0;
  TunnelState state = TunnelState::kIdle;
  std::uint16_t next_ns = 0;
  std::uint16_t expected_ns = 0;
  std::uint16_t peer_window = kDefaultPeerWindow;
  std::deque<Sent> unacked;  // sent, not yet acknowledged
  std::deque<Sent> waiting;  // beyond the peer's receive window
  Clock::time_point started;
  Clock::time_point retransmit_at;
  std::chrono::milliseconds interval{};
  unsigned retries = 0;
  unsigned sessions_unresolved = 0;
  bool handshake_resolved = false;  // up, refused or lost: its window slot is free
  bool setup_resolved = false;      // and every session of it too
  bool sessions_opened = false;
  std::vector<Session> sessions;
};

struct Counts {
  unsigned tunnels_up = 0, tunnels_refused = 0, tunnels_lost = 0;
  unsigned sessions_up = 0, sessions_refused = 0, sessions_lost = 0;
  unsigned stopccn_acked = 0, stopccn_unacked = 0, closed_by_peer = 0, lost_after_up = 0;
  unsigned duplicate_peer_tunnel_ids = 0, retransmissions = 0, send_errors = 0;
  unsigned malformed = 0;
};

class Generator {
 public:
  explicit Generator(const Options& options) : options_(options) {}

  bool open_sockets();
  int run();

 private:
  enum class Phase { kSetup, kHold, kTeardown, kDone };

  void start_tunnels(Clock::time_point now);
  void start_teardown(Clock::time_point now);
  void send(Tunnel& tunnel, MessageType type, int session, const wire::Message& message,
            Clock::time_point now);
  void transmit(const Tunnel& tunnel, const wire::Bytes& bytes);
  void ack(Tunnel& tunnel);
  void receive(unsigned socket_index);
  void handle_datagram(wire::ByteView bytes, Clock::time_point now);
  void handle_message(Tunnel& tunnel, std::uint16_t session_id, const wire::Message& message,
                      Clock::time_point now);
  void acknowledged(Tunnel& tunnel, std::uint16_t nr, Clock::time_point now);
  void on_acked(Tunnel& tunnel, const Sent& sent, Clock::time_point now);
  void check_retransmits(Clock::time_point now);
  void give_up(Tunnel& tunnel, bool by_peer);
  void resolve_session(Tunnel& tunnel, Session& session, SessionState state, Clock::time_point now);
  void end_handshake(Tunnel& tunnel, Clock::time_point now);
  void check_setup_done(Tunnel& tunnel, Clock::time_point now);
  void release_peer_id(const Tunnel& tunnel);
  Session* session_of(Tunnel& tunnel, std::uint16_t header_session_id,
                      const wire::Message& message);
  bool pause_due() const;
  void open_sessions(Tunnel& tunnel, Clock::time_point now);
  void open_all_sessions(Clock::time_point now);
  void start_session_batches(Clock::time_point now);
  void print_results() const;

  Options options_;
  std::vector<int> sockets_;
  std::vector<Tunnel> tunnels_;
  Counts counts_;
  Phase phase_ = Phase::kSetup;
  unsigned next_tunnel_ = 0;
  unsigned in_flight_ = 0;
  unsigned setups_resolved_ = 0;
  unsigned handshakes_resolved_ = 0;
  // With sessions_after_tunnels: not yet, waiting for stdin, opened.
  enum class DeferredSessions {
    kNotYet,
    kWaiting,
    kOpened
  } deferred_sessions_ = DeferredSessions::kNotYet;
  // Then the window bounds the tunnels whose sessions are being set up.
  unsigned next_session_tunnel_ = 0;
  unsigned session_batches_in_flight_ = 0;
  unsigned next_teardown_ = 0;
  unsigned teardowns_resolved_ = 0;
  unsigned teardowns_total_ = 0;
  bool wait_for_stdin_ = false;
  bool paused_ = false;
  std::size_t next_pause_ = 0;  // index into options_.pause_at
  std::unordered_map<std::uint32_t, unsigned> live_peer_ids_;
  std::vector<double> tunnel_setup_ms_, session_setup_ms_;
  std::optional<Clock::time_point> first_sccrq_, last_tunnel_up_, first_icrq_, last_session_up_;
  Clock::time_point hold_started_, teardown_started_, finished_;
  std::uint32_t call_serial_ = 0;
  // While a received message is handled: its tunnel, and whether we sent it
  // something that carries the acknowledgement.
  const Tunnel* handling_ = nullptr;
  bool replied_ = false;
};

bool Generator::open_sockets() {
  const bool loopback = (ntohl(options_.lns.sin_addr.s_addr) >> 24) == 127;
  const unsigned count = loopback ? options_.sources : 1;
  for (unsigned i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int buffer = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    // Several sources on loopback are 127.0.0.1, .2, ...: the LNS sees several LACs.
    local.sin_addr.s_addr = loopback ? htonl(0x7f000001 + i) : htonl(INADDR_ANY);
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
      std::fprintf(stderr, "l2tp-load: bind: %s\n", std::strerror(errno));
      close(fd);
      return false;
    }
    sockets_.push_back(fd);
  }
  tunnels_.resize(options_.tunnels);
  for (unsigned i = 0; i < options_.tunnels; ++i) {
    tunnels_[i].our_id = static_cast<std::uint16_t>(i + 1);
    tunnels_[i].socket = i % count;
    tunnels_[i].sessions.resize(options_.sessions);
  }
  return true;
}

void Generator::transmit(const Tunnel& tunnel, const wire::Bytes& bytes) {
  const auto sent = sendto(sockets_[tunnel.socket], bytes.data(), bytes.size(), 0,
                           reinterpret_cast<const sockaddr*>(&options_.lns), sizeof options_.lns);
  // A full buffer is a loss like any other: the retransmission timer covers it.
  if (sent < 0) ++counts_.send_errors;
}

void Generator::send(Tunnel& tunnel, MessageType type, int session, const wire::Message& message,
                     Clock::time_point now) {
  const auto peer_session =
      static_cast<std::uint16_t>(session >= 0 ? tunnel.sessions[session].peer_id : 0);
  Sent sent{.ns = tunnel.next_ns++, .type = type, .session = session, .bytes = {}};
  sent.bytes = bench::datagram({.version = options_.version,
                                .peer_tunnel_id = tunnel.peer_id,
                                .peer_session_id = peer_session,
                                .ns = sent.ns,
                                .nr = tunnel.expected_ns},
                               message);
  if (&tunnel == handling_) replied_ = true;
  if (tunnel.unacked.size() >= tunnel.peer_window) {
    tunnel.waiting.push_back(std::move(sent));
    return;
  }
  if (tunnel.unacked.empty()) {
    tunnel.interval = options_.retransmit;
    tunnel.retransmit_at = now + tunnel.interval;
  }
  transmit(tunnel, sent.bytes);
  tunnel.unacked.push_back(std::move(sent));
}

void Generator::ack(Tunnel& tunnel) {
  transmit(tunnel, bench::zlb({.version = options_.version,
                               .peer_tunnel_id = tunnel.peer_id,
                               .peer_session_id = 0,
                               .ns = tunnel.next_ns,
                               .nr = tunnel.expected_ns}));
}

void Generator::start_tunnels(Clock::time_point now) {
  const unsigned stop_at =
      next_pause_ < options_.pause_at.size() ? options_.pause_at[next_pause_] : ~0u;
  while (phase_ == Phase::kSetup && in_flight_ < options_.window &&
         next_tunnel_ < tunnels_.size() && next_tunnel_ < stop_at) {
    Tunnel& tunnel = tunnels_[next_tunnel_++];
    ++in_flight_;
    tunnel.state = TunnelState::kRequested;
    tunnel.started = now;
    if (!first_sccrq_) first_sccrq_ = now;
    send(tunnel, MessageType::kSccrq, -1, bench::sccrq(options_.version, tunnel.our_id), now);
  }
}

void Generator::start_teardown(Clock::time_point now) {
  while (teardowns_total_ - teardowns_resolved_ < options_.window &&
         next_teardown_ < tunnels_.size()) {
    Tunnel& tunnel = tunnels_[next_teardown_++];
    if (tunnel.state != TunnelState::kUp) continue;
    ++teardowns_total_;
    tunnel.state = TunnelState::kClosing;
    send(tunnel, MessageType::kStopccn, -1, bench::stopccn(options_.version, tunnel.our_id), now);
  }
}

void Generator::resolve_session(Tunnel& tunnel, Session& session, SessionState state,
                                Clock::time_point now) {
  if (session.state == SessionState::kUp || session.state == SessionState::kRefused ||
      session.state == SessionState::kLost) {
    return;
  }
  session.state = state;
  if (state == SessionState::kUp) {
    ++counts_.sessions_up;
    session_setup_ms_.push_back(ms_between(session.started, now));
    last_session_up_ = now;
  } else if (state == SessionState::kRefused) {
    ++counts_.sessions_refused;
  } else {
    ++counts_.sessions_lost;
  }
  --tunnel.sessions_unresolved;
  check_setup_done(tunnel, now);
}

void Generator::check_setup_done(Tunnel& tunnel, Clock::time_point now) {
  const bool failed = tunnel.state == TunnelState::kRefused || tunnel.state == TunnelState::kLost ||
                      tunnel.state == TunnelState::kClosed;
  if (tunnel.setup_resolved || !(failed || tunnel.sessions_unresolved == 0)) return;
  if (!failed && tunnel.state != TunnelState::kUp) return;
  tunnel.setup_resolved = true;
  ++setups_resolved_;
  if (options_.sessions_after_tunnels && tunnel.sessions_opened) {
    --session_batches_in_flight_;
    start_session_batches(now);
  }
  end_handshake(tunnel, now);
}

// The window bounds handshakes (SCCRQ to SCCCN acked), not the sessions
// that follow, so that tunnels/s is the tunnel rate whatever the sessions cost.
void Generator::end_handshake(Tunnel& tunnel, Clock::time_point now) {
  if (tunnel.handshake_resolved) return;
  tunnel.handshake_resolved = true;
  ++handshakes_resolved_;
  --in_flight_;
  start_tunnels(now);
}

// A v3 data message names only its session, so session ids are one space per
// LCCE, not per tunnel: ours are the tunnel in the high half and the
// session's index in the low half.
std::uint32_t v3_session_id(std::uint16_t our_tunnel_id, std::uint16_t index) {
  return (std::uint32_t{our_tunnel_id} << 16) | index;
}

Session* Generator::session_of(Tunnel& tunnel, std::uint16_t header_session_id,
                               const wire::Message& message) {
  std::uint32_t index = header_session_id;
  if (options_.version == ProtocolVersion::kV3) {
    const std::uint32_t ours = message.remote_session_id.value_or(0);
    if (ours >> 16 != tunnel.our_id) return nullptr;
    index = ours & 0xffff;
  }
  if (index == 0 || index > tunnel.sessions.size()) return nullptr;
  return &tunnel.sessions[index - 1];
}

void Generator::release_peer_id(const Tunnel& tunnel) {
  auto it = live_peer_ids_.find(tunnel.peer_id);
  if (it != live_peer_ids_.end() && --it->second == 0) live_peer_ids_.erase(it);
}

void Generator::give_up(Tunnel& tunnel, bool by_peer) {
  const bool closing = tunnel.state == TunnelState::kClosing;
  if (closing) {
    ++counts_.stopccn_unacked;
    ++teardowns_resolved_;
  } else if (tunnel.state == TunnelState::kUp) {
    ++(by_peer ? counts_.closed_by_peer : counts_.lost_after_up);
  } else {
    ++counts_.tunnels_lost;
  }
  if (tunnel.peer_id != 0) release_peer_id(tunnel);
  tunnel.state = closing ? TunnelState::kClosed : TunnelState::kLost;
  tunnel.unacked.clear();
  tunnel.waiting.clear();
  const auto now = Clock::now();
  for (auto& session : tunnel.sessions) {
    if (session.state == SessionState::kRequested || session.state == SessionState::kConnecting ||
        session.state == SessionState::kIdle) {
      resolve_session(tunnel, session, SessionState::kLost, now);
    }
  }
  check_setup_done(tunnel, now);
}

void Generator::on_acked(Tunnel& tunnel, const Sent& sent, Clock::time_point now) {
  switch (sent.type) {
    case MessageType::kScccn: {
      if (tunnel.state != TunnelState::kConnecting) break;
      tunnel.state = TunnelState::kUp;
      ++counts_.tunnels_up;
      tunnel_setup_ms_.push_back(ms_between(tunnel.started, now));
      last_tunnel_up_ = now;
      end_handshake(tunnel, now);
      tunnel.sessions_unresolved = static_cast<unsigned>(tunnel.sessions.size());
      if (!options_.sessions_after_tunnels) open_sessions(tunnel, now);
      check_setup_done(tunnel, now);
      break;
    }
    case MessageType::kIccn:
      resolve_session(tunnel, tunnel.sessions[sent.session], SessionState::kUp, now);
      break;
    case MessageType::kStopccn:
      if (tunnel.state != TunnelState::kClosing) break;
      tunnel.state = TunnelState::kClosed;
      ++counts_.stopccn_acked;
      ++teardowns_resolved_;
      release_peer_id(tunnel);
      break;
    default:
      break;
  }
}

void Generator::open_sessions(Tunnel& tunnel, Clock::time_point now) {
  tunnel.sessions_opened = true;
  for (std::size_t i = 0; i < tunnel.sessions.size(); ++i) {
    Session& session = tunnel.sessions[i];
    session.state = SessionState::kRequested;
    session.started = now;
    if (!first_icrq_) first_icrq_ = now;
    const auto index = static_cast<std::uint16_t>(i + 1);
    send(tunnel, MessageType::kIcrq, static_cast<int>(i),
         options_.version == ProtocolVersion::kV2
             ? bench::icrq(index, ++call_serial_)
             : bench::icrq_v3(v3_session_id(tunnel.our_id, index), ++call_serial_,
                              options_.pseudowire),
         now);
  }
}

void Generator::open_all_sessions(Clock::time_point now) {
  deferred_sessions_ = DeferredSessions::kOpened;
  start_session_batches(now);
}

void Generator::start_session_batches(Clock::time_point now) {
  while (session_batches_in_flight_ < options_.window && next_session_tunnel_ < tunnels_.size()) {
    Tunnel& tunnel = tunnels_[next_session_tunnel_++];
    if (tunnel.state != TunnelState::kUp || tunnel.setup_resolved) continue;
    ++session_batches_in_flight_;
    open_sessions(tunnel, now);
  }
}

void Generator::acknowledged(Tunnel& tunnel, std::uint16_t nr, Clock::time_point now) {
  bool progressed = false;
  while (!tunnel.unacked.empty() && before(tunnel.unacked.front().ns, nr)) {
    Sent sent = std::move(tunnel.unacked.front());
    tunnel.unacked.pop_front();
    progressed = true;
    on_acked(tunnel, sent, now);
  }
  if (!progressed) return;
  tunnel.retries = 0;
  tunnel.interval = options_.retransmit;
  tunnel.retransmit_at = now + tunnel.interval;
  while (!tunnel.waiting.empty() && tunnel.unacked.size() < tunnel.peer_window) {
    Sent& sent = tunnel.waiting.front();
    // Its Nr was set when it was queued; the peer may have sent more since.
    sent.bytes[bench::kNrOffset] = static_cast<std::uint8_t>(tunnel.expected_ns >> 8);
    sent.bytes[bench::kNrOffset + 1] = static_cast<std::uint8_t>(tunnel.expected_ns);
    transmit(tunnel, sent.bytes);
    tunnel.unacked.push_back(std::move(sent));
    tunnel.waiting.pop_front();
  }
}

void Generator::handle_message(Tunnel& tunnel, std::uint16_t session_id,
                               const wire::Message& message, Clock::time_point now) {
  switch (message.type) {
    case MessageType::kSccrp: {
      // Zero is no id in either version.
      const std::uint32_t peer_id = options_.version == ProtocolVersion::kV2
                                        ? message.assigned_tunnel_id.value_or(0)
                                        : message.assigned_connection_id.value_or(0);
      if (tunnel.state != TunnelState::kRequested || peer_id == 0) break;
      tunnel.peer_id = peer_id;
      if (message.receive_window_size && *message.receive_window_size > 0) {
        tunnel.peer_window = *message.receive_window_size;
      }
      if (live_peer_ids_[tunnel.peer_id]++ > 0) ++counts_.duplicate_peer_tunnel_ids;
      tunnel.state = TunnelState::kConnecting;
      send(tunnel, MessageType::kScccn, -1, bench::scccn(), now);
      break;
    }
    case MessageType::kStopccn:
      ack(tunnel);
      replied_ = true;
      if (tunnel.state == TunnelState::kRequested || tunnel.state == TunnelState::kConnecting) {
        ++counts_.tunnels_refused;
        if (tunnel.peer_id != 0) release_peer_id(tunnel);
        tunnel.state = TunnelState::kRefused;
        tunnel.unacked.clear();
        tunnel.waiting.clear();
        check_setup_done(tunnel, now);
      } else if (tunnel.state == TunnelState::kUp) {
        give_up(tunnel, true);
      }
      break;
    case MessageType::kIcrp: {
      Session* session = session_of(tunnel, session_id, message);
      const std::uint32_t peer_id = options_.version == ProtocolVersion::kV2
                                        ? message.assigned_session_id.value_or(0)
                                        : message.local_session_id.value_or(0);
      if (session == nullptr || session->state != SessionState::kRequested || peer_id == 0) break;
      session->peer_id = peer_id;
      session->state = SessionState::kConnecting;
      const auto index = static_cast<int>(session - tunnel.sessions.data());
      send(tunnel, MessageType::kIccn, index,
           options_.version == ProtocolVersion::kV2
               ? bench::iccn()
               : bench::iccn_v3(v3_session_id(tunnel.our_id, static_cast<std::uint16_t>(index + 1)),
                                session->peer_id),
           now);
      break;
    }
    case MessageType::kCdn:
      if (Session* session = session_of(tunnel, session_id, message)) {
        resolve_session(tunnel, *session, SessionState::kRefused, now);
      }
      break;
    default:
      break;  // HELLO and the rest: acknowledged below
  }
}

void Generator::handle_datagram(wire::ByteView bytes, Clock::time_point now) {
  auto packet = wire::parse_packet(bytes, wire::Encapsulation::kUdp);
  if (!packet) {
    ++counts_.malformed;
    return;
  }
  // PPP from an LNS that started pppd for a session (xl2tpd does): not ours to answer.
  if (!std::holds_alternative<wire::ControlPacket>(*packet)) return;
  const auto& control = std::get<wire::ControlPacket>(*packet);
  const auto id = control.header.tunnel_id;
  if (id == 0 || id > tunnels_.size()) {
    ++counts_.malformed;
    return;
  }
  Tunnel& tunnel = tunnels_[id - 1];
  if (tunnel.state == TunnelState::kIdle || tunnel.state == TunnelState::kLost ||
      tunnel.state == TunnelState::kRefused) {
    return;
  }
  acknowledged(tunnel, control.header.nr, now);
  if (control.avps.empty()) return;  // a ZLB
  auto message =
      wire::decode_message(control.avps, wire::DecodeOptions{.version = options_.version});
  // A v3 ACK message acknowledges like a ZLB and takes no sequence number.
  if (message && message->type == MessageType::kAck) return;
  if (control.header.ns != tunnel.expected_ns) {
    // A retransmission of what we have (our ack was lost): acknowledge again.
    // One from ahead is dropped; the peer sends it again.
    if (before(control.header.ns, tunnel.expected_ns)) ack(tunnel);
    return;
  }
  ++tunnel.expected_ns;
  if (!message) {
    ++counts_.malformed;
    ack(tunnel);
    return;
  }
  handling_ = &tunnel;
  replied_ = false;
  handle_message(tunnel, control.header.session_id, *message, now);
  handling_ = nullptr;
  // This LAC acknowledges at once when it has nothing to piggyback the ack on.
  if (!replied_ && tunnel.state != TunnelState::kLost) ack(tunnel);
}

void Generator::receive(unsigned socket_index) {
  std::uint8_t buffer[65536];
  for (int budget = 256; budget > 0; --budget) {
    const auto got = recv(sockets_[socket_index], buffer, sizeof buffer, 0);
    if (got < 0) return;
    // Timed one by one: a batch can hold a whole handshake on loopback.
    handle_datagram(wire::ByteView(buffer, static_cast<std::size_t>(got)), Clock::now());
  }
}

void Generator::check_retransmits(Clock::time_point now) {
  for (Tunnel& tunnel : tunnels_) {
    if (tunnel.unacked.empty() || now < tunnel.retransmit_at) continue;
    if (++tunnel.retries > options_.max_retransmits) {
      give_up(tunnel, false);
      continue;
    }
    for (Sent& sent : tunnel.unacked) {
      sent.bytes[bench::kNrOffset] = static_cast<std::uint8_t>(tunnel.expected_ns >> 8);
      sent.bytes[bench::kNrOffset + 1] = static_cast<std::uint8_t>(tunnel.expected_ns);
      transmit(tunnel, sent.bytes);
      ++counts_.retransmissions;
    }
    tunnel.interval = std::min(tunnel.interval * 2, kMaxRetransmitInterval);
    tunnel.retransmit_at = now + tunnel.interval;
  }
}

int Generator::run() {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options_.timeout_seconds));
  std::vector<pollfd> fds;
  for (int fd : sockets_) fds.push_back({.fd = fd, .events = POLLIN, .revents = 0});
  fds.push_back({.fd = STDIN_FILENO, .events = POLLIN, .revents = 0});
  start_tunnels(Clock::now());
  auto next_scan = Clock::now();
  while (phase_ != Phase::kDone) {
    const bool stdin_watched = wait_for_stdin_;
    const int timeout_ms = phase_ == Phase::kHold && !stdin_watched ? 5 : 10;
    const nfds_t count = fds.size() - (stdin_watched ? 0 : 1);
    fds.back().revents = 0;
    if (poll(fds.data(), count, timeout_ms) < 0 && errno != EINTR) return 2;
    for (unsigned i = 0; i < sockets_.size(); ++i) {
      if (fds[i].revents & POLLIN) receive(i);
    }
    const auto now = Clock::now();
    if (now >= next_scan) {
      check_retransmits(now);
      next_scan = now + std::chrono::milliseconds(10);
    }
    if (now >= deadline) {
      std::fprintf(stderr, "l2tp-load: timed out after %.0f s\n", options_.timeout_seconds);
      for (Tunnel& tunnel : tunnels_) {
        if (!tunnel.unacked.empty()) give_up(tunnel, false);
      }
      finished_ = now;
      phase_ = Phase::kDone;
      break;
    }
    const bool stdin_ready = (fds.back().revents & (POLLIN | POLLHUP)) != 0;
    if (options_.sessions_after_tunnels && phase_ == Phase::kSetup &&
        deferred_sessions_ != DeferredSessions::kOpened) {
      if (deferred_sessions_ == DeferredSessions::kWaiting && stdin_ready) {
        char line[256];
        [[maybe_unused]] auto ignored = read(STDIN_FILENO, line, sizeof line);
        wait_for_stdin_ = false;
        open_all_sessions(now);
      } else if (deferred_sessions_ == DeferredSessions::kNotYet &&
                 handshakes_resolved_ == tunnels_.size()) {
        if (options_.hold_until_stdin) {
          // bench/run reads the LNS's memory and CPU now, then writes a line.
          std::fprintf(stderr, "l2tp-load: tunnels set up (%u up)\n", counts_.tunnels_up);
          std::fflush(stderr);
          deferred_sessions_ = DeferredSessions::kWaiting;
          wait_for_stdin_ = true;
        } else {
          open_all_sessions(now);
        }
      }
    }
    if (paused_ && stdin_ready) {
      char line[256];
      [[maybe_unused]] auto ignored = read(STDIN_FILENO, line, sizeof line);
      paused_ = wait_for_stdin_ = false;
      ++next_pause_;
      start_tunnels(now);
    } else if (phase_ == Phase::kSetup && !paused_ && pause_due()) {
      // bench/run reads the LNS's CPU time now, then writes a line.
      std::fprintf(stderr, "l2tp-load: paused at %u tunnels (%u up)\n", next_tunnel_,
                   counts_.tunnels_up);
      std::fflush(stderr);
      paused_ = wait_for_stdin_ = true;
    }
    if (phase_ == Phase::kSetup && setups_resolved_ == tunnels_.size()) {
      phase_ = Phase::kHold;
      hold_started_ = now;
      if (options_.hold_until_stdin) {
        // bench/run measures the LNS's memory now, then writes a line.
        std::fprintf(stderr, "l2tp-load: holding %u tunnels\n", counts_.tunnels_up);
        std::fflush(stderr);
        wait_for_stdin_ = true;
      }
    }
    if (phase_ == Phase::kHold) {
      bool go = ms_between(hold_started_, now) >= options_.hold_seconds * 1000;
      if (wait_for_stdin_) {
        go = stdin_ready;
        if (go) {
          char line[256];
          [[maybe_unused]] auto ignored = read(STDIN_FILENO, line, sizeof line);
          wait_for_stdin_ = false;
        }
      }
      if (go) {
        phase_ = Phase::kTeardown;
        teardown_started_ = now;
      }
    }
    if (phase_ == Phase::kTeardown) {
      start_teardown(now);
      if (next_teardown_ == tunnels_.size() && teardowns_resolved_ == teardowns_total_) {
        finished_ = now;
        phase_ = Phase::kDone;
      }
    }
  }
  print_results();
  const bool all = counts_.tunnels_up == options_.tunnels &&
                   counts_.sessions_up == options_.tunnels * options_.sessions &&
                   counts_.stopccn_acked == options_.tunnels;
  return options_.expect_all && !all ? 1 : 0;
}

bool Generator::pause_due() const {
  return next_pause_ < options_.pause_at.size() && next_tunnel_ < tunnels_.size() &&
         next_tunnel_ == options_.pause_at[next_pause_] && setups_resolved_ == next_tunnel_;
}

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(fraction * values.size()));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

double rate(unsigned count, std::optional<Clock::time_point> first,
            std::optional<Clock::time_point> last) {
  if (!first || !last || count == 0) return 0;
  const double seconds = ms_between(*first, *last) / 1000;
  return seconds > 0 ? count / seconds : 0;
}

void Generator::print_results() const {
  const Counts& c = counts_;
  std::printf(
      "{\"version\": %d, \"tunnels\": %u, \"window\": %u, \"sessions_per_tunnel\": %u, "
      "\"sources\": %zu, \"tunnels_up\": %u, \"tunnels_refused\": %u, \"tunnels_lost\": %u, "
      "\"sessions_up\": %u, \"sessions_refused\": %u, \"sessions_lost\": %u, "
      "\"stopccn_acked\": %u, \"stopccn_unacked\": %u, \"closed_by_peer\": %u, "
      "\"lost_after_up\": %u, \"duplicate_peer_tunnel_ids\": %u, \"retransmissions\": %u, "
      "\"send_errors\": %u, \"malformed\": %u, "
      "\"tunnels_per_s\": %.1f, \"sessions_per_s\": %.1f, "
      "\"tunnel_setup_ms\": {\"p50\": %.2f, \"p99\": %.2f}, "
      "\"session_setup_ms\": {\"p50\": %.2f, \"p99\": %.2f}, "
      "\"teardown_s\": %.3f}\n",
      options_.version == ProtocolVersion::kV3 ? 3 : 2, options_.tunnels, options_.window,
      options_.sessions, sockets_.size(), c.tunnels_up, c.tunnels_refused, c.tunnels_lost,
      c.sessions_up, c.sessions_refused, c.sessions_lost, c.stopccn_acked, c.stopccn_unacked,
      c.closed_by_peer, c.lost_after_up, c.duplicate_peer_tunnel_ids, c.retransmissions,
      c.send_errors, c.malformed, rate(c.tunnels_up, first_sccrq_, last_tunnel_up_),
      rate(c.sessions_up, first_icrq_, last_session_up_), percentile(tunnel_setup_ms_, 0.5),
      percentile(tunnel_setup_ms_, 0.99), percentile(session_setup_ms_, 0.5),
      percentile(session_setup_ms_, 0.99),
      phase_ == Phase::kDone && teardowns_total_ > 0
          ? ms_between(teardown_started_, finished_) / 1000
          : 0.0);
  std::fflush(stdout);
}

constexpr const char* kUsage =
    "usage: l2tp-load --lns ADDRESS:PORT [--tunnels N] [--window W] [--sessions S]\n"
    "                 [--sources K] [--hold SECONDS] [--hold-until-stdin] [--expect-all]\n"
    "                 [--timeout SECONDS] [--retransmit-ms MS] [--max-retransmits N]\n"
    "                 [--version 2|3] [--pseudowire ppp|eth] [--pause-at N,N,...]\n"
    "                 [--sessions-after-tunnels]\n";

// "1000,4000": ascending tunnel counts.
std::optional<std::vector<unsigned>> parse_counts(const std::string& text) {
  std::vector<unsigned> counts;
  for (std::size_t start = 0; start <= text.size();) {
    const auto comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    char* end = nullptr;
    const unsigned long count = std::strtoul(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || count > 65535) return std::nullopt;
    if (!counts.empty() && count <= counts.back()) return std::nullopt;
    counts.push_back(static_cast<unsigned>(count));
    start = comma + 1;
  }
  return counts;
}

std::optional<Options> parse(int argc, char** argv) {
  Options options;
  bool have_lns = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--hold-until-stdin") {
      options.hold_until_stdin = true;
      continue;
    }
    if (flag == "--sessions-after-tunnels") {
      options.sessions_after_tunnels = true;
      continue;
    }
    if (flag == "--expect-all") {
      options.expect_all = true;
      continue;
    }
    if (i + 1 >= argc) return std::nullopt;
    const std::string value = argv[++i];
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    const bool numeric = end != value.c_str() && *end == '\0' && number >= 0;
    if (flag == "--lns") {
      const auto colon = value.rfind(':');
      if (colon == std::string::npos) return std::nullopt;
      options.lns.sin_family = AF_INET;
      options.lns.sin_port = htons(static_cast<std::uint16_t>(std::stoi(value.substr(colon + 1))));
      if (inet_pton(AF_INET, value.substr(0, colon).c_str(), &options.lns.sin_addr) != 1) {
        return std::nullopt;
      }
      have_lns = true;
    } else if (flag == "--pseudowire" && (value == "ppp" || value == "eth")) {
      options.pseudowire = value == "ppp" ? wire::kPseudowirePpp : wire::kPseudowireEthernet;
    } else if (flag == "--pause-at") {
      auto counts = parse_counts(value);
      if (!counts) return std::nullopt;
      options.pause_at = std::move(*counts);
    } else if (!numeric) {
      return std::nullopt;
    } else if (flag == "--version" && (number == 2 || number == 3)) {
      options.version = number == 2 ? ProtocolVersion::kV2 : ProtocolVersion::kV3;
    } else if (flag == "--tunnels" && number >= 1 && number <= 65535) {
      options.tunnels = static_cast<unsigned>(number);
    } else if (flag == "--window" && number >= 1) {
      options.window = static_cast<unsigned>(number);
    } else if (flag == "--sessions" && number <= 65535) {
      options.sessions = static_cast<unsigned>(number);
    } else if (flag == "--sources" && number >= 1 && number <= 250) {
      options.sources = static_cast<unsigned>(number);
    } else if (flag == "--hold") {
      options.hold_seconds = number;
    } else if (flag == "--timeout") {
      options.timeout_seconds = number;
    } else if (flag == "--retransmit-ms" && number >= 1) {
      options.retransmit = std::chrono::milliseconds(static_cast<long>(number));
    } else if (flag == "--max-retransmits") {
      options.max_retransmits = static_cast<unsigned>(number);
    } else {
      return std::nullopt;
    }
  }
  if (!have_lns) return std::nullopt;
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(argc, argv);
  if (!options) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  Generator generator(*options);
  if (!generator.open_sockets()) return 2;
  return generator.run();
}
