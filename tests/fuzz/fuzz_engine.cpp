// libFuzzer target: a whole engine fed arbitrary datagrams. Each input runs in
// a fresh world (deterministic, so every finding replays): an LNS engine with
// five listeners and three tunnels established by a real handshake with a LAC
// engine, whose link is then cut so that the fuzzer speaks for the LAC.
//
// Input: a sequence of records, each
//   byte 0    flags: bits 0-2 target (below); bit 3 FIXUP; bit 4 STRANGER
//   byte 1    clock step before delivery: n * 10 ms, 0xff = 40 s (timeouts run)
//   bytes 2-3 length (big endian), then that many bytes (cut at the input's end)
// Targets: 0 v2 listener, 1 v3 UDP listener, 2 v3 IP listener (with a secret),
// 3 v2 tunnel, 4 v3 UDP tunnel, 5 v3 IP tunnel (with a secret: every message
// is signed), 6 v2 listener with a secret and hidden AVPs, 7 v3 UDP listener
// on IPv6.
// FIXUP: the bytes are [session selector][AVPs]; the world frames them as the
// LAC's next message in order: the header names the target's tunnel (the
// newest one a listener accepted from the fuzzer, or tunnel 0 and Ns 0 for an
// SCCRQ), Ns and Nr are the next ones, a selector n > 0 names the LNS's n-th
// newest session (v2 header; v3 Remote Session ID), and with a secret the
// Message Digest is inserted and signed. Without FIXUP the bytes are the datagram.
// STRANGER: sent from 198.51.100.7 rather than the LAC's address.
//
// With L2TP_WRITE_ENGINE_SEEDS=DIR set the binary writes its seed corpus
// (real handshakes of both versions and the hostile cases) to DIR and exits:
//   L2TP_WRITE_ENGINE_SEEDS=tests/fuzz/corpus/engine build/fuzz/tests/fuzz/fuzz-engine
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <variant>

#include "engine_harness.h"
#include "wire/avp.h"
#include "wire/security.h"

namespace l2tp::testing {
namespace {

using fsm::Endpoint;
using wire::Bytes;
using wire::ByteView;
using wire::Encapsulation;
using wire::MessageType;
using wire::ProtocolVersion;

constexpr std::uint8_t kTargetMask = 0x07;
constexpr std::uint8_t kFixup = 0x08;
constexpr std::uint8_t kStranger = 0x10;
enum Target : std::uint8_t {
  kV2Listener,
  kV3UdpListener,
  kV3IpListener,
  kV2Tunnel,
  kV3UdpTunnel,
  kV3IpTunnel,
  kV2SecretListener,
  kV3Ipv6Listener,
  kTargets
};

struct Record {
  std::uint8_t flags = 0;
  std::uint8_t step = 0;
  Bytes bytes;
};

std::vector<Record> parse_input(const std::uint8_t* data, std::size_t size) {
  std::vector<Record> records;
  std::size_t at = 0;
  while (size - at >= 4) {
    Record r;
    r.flags = data[at];
    r.step = data[at + 1];
    const std::size_t length = (std::size_t{data[at + 2]} << 8) | data[at + 3];
    at += 4;
    const std::size_t take = std::min(length, size - at);
    r.bytes.assign(data + at, data + at + take);
    at += take;
    records.push_back(std::move(r));
  }
  return records;
}

Bytes encode_input(const std::vector<Record>& records) {
  Bytes out;
  for (const Record& r : records) {
    out.push_back(r.flags);
    out.push_back(r.step);
    out.push_back(static_cast<std::uint8_t>(r.bytes.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(r.bytes.size()));
    out.insert(out.end(), r.bytes.begin(), r.bytes.end());
  }
  return out;
}

const Bytes& shared_secret() {
  static const Bytes secret{'f', 'u', 'z', 'z', ' ', 's', 'e', 'c', 'r', 'e', 't'};
  return secret;
}

struct TargetSpec {
  Transport transport;
  Endpoint lns;  // where the datagram arrives
  Endpoint lac;  // where it comes from (the LAC's own endpoint)
  bool secret = false;
  bool hide = false;
  bool tunnel = false;  // an established tunnel rather than a listener
};

TargetSpec spec(std::uint8_t target) {
  const Transport v2{ProtocolVersion::kV2, Encapsulation::kUdp, false};
  const Transport v3udp{ProtocolVersion::kV3, Encapsulation::kUdp, false};
  const Transport v3ip{ProtocolVersion::kV3, Encapsulation::kIp, false};
  const Transport v3v6{ProtocolVersion::kV3, Encapsulation::kUdp, true};
  switch (target) {
    case kV2Listener:
      return {v2, ipv4(2, 1701), ipv4(1, 1701)};
    case kV3UdpListener:
      return {v3udp, ipv4(3, 1701), ipv4(1, 1701)};
    case kV3IpListener:
      return {v3ip, ipv4(4, 0), ipv4(1, 0), true};
    case kV2Tunnel:
      return {v2, ipv4(2, 1701), ipv4(1, 1701), false, false, true};
    case kV3UdpTunnel:
      return {v3udp, ipv4(3, 1701), ipv4(1, 1701), false, false, true};
    case kV3IpTunnel:
      return {v3ip, ipv4(4, 0), ipv4(1, 0), true, false, true};
    case kV2SecretListener:
      return {v2, ipv4(5, 1701), ipv4(1, 1701), true, true};
    default:
      return {v3v6, ipv6(2, 1701), ipv6(1, 1701)};
  }
}

class World {
 public:
  World()
      : net_(1),
        lac_(net_.add_node({"lac", {ipv4(1, 0), ipv6(1, 0)}, 11})),
        lns_(net_.add_node(
            {"lns", {ipv4(2, 0), ipv4(3, 0), ipv4(4, 0), ipv4(5, 0), ipv6(2, 0)}, 12})) {
    for (std::uint8_t t :
         {kV2Listener, kV3UdpListener, kV3IpListener, kV2SecretListener, kV3Ipv6Listener}) {
      const TargetSpec s = spec(t);
      fsm::ListenerConfig config;
      config.local = s.lns;
      config.version = s.transport.version;
      config.encapsulation = s.transport.encapsulation;
      config.control.host_name = "lns";
      config.control.channel.hello_interval = Duration{20000};
      if (s.secret) config.control.secret = shared_secret();
      config.control.hide_avps = s.hide;
      config.pseudowires = {fsm::Pseudowire::kPpp, fsm::Pseudowire::kEth};
      const auto listener = lns_.engine().listen(config);
      if (!listener) {
        std::fprintf(stderr, "fuzz-engine: listen failed: %s\n",
                     to_string(listener.error()).c_str());
        std::abort();
      }
      listeners_[t] = *listener;
    }
    for (std::uint8_t t : {kV2Tunnel, kV3UdpTunnel, kV3IpTunnel}) {
      const TargetSpec s = spec(t);
      fsm::TunnelConfig config;
      config.version = s.transport.version;
      config.encapsulation = s.transport.encapsulation;
      config.local = s.lac;
      config.peer = s.lns;
      config.control.host_name = "lac";
      config.control.channel.hello_interval = Duration{0};  // the cut-off LAC stays quiet
      if (s.secret) config.control.secret = shared_secret();
      lac_tunnels_[t] = *lac_.engine().create_tunnel(config);
    }
    net_.advance(Duration{1000});
    for (std::uint8_t t : {kV2Tunnel, kV3UdpTunnel, kV3IpTunnel}) {
      const auto view = lac_.engine().tunnel(lac_tunnels_[t]);
      const std::uint32_t lns_tunnel = view ? view->peer_tunnel_id : 0;
      lns_tunnels_[t] = lns_tunnel;
      const SequenceNumbers seq = next_sequence(net_, lac_, lac_tunnels_[t], lns_, lns_tunnel);
      next_ns_[lns_tunnel] = seq.ns;
      lns_next_ns_[lns_tunnel] = seq.nr;
    }
    for (const CapturedDatagram& c : net_.captured()) {
      const DecodedDatagram d = decode_captured(c);
      if (d.is(MessageType::kSccrq) && c.path.tunnel_id == lac_tunnels_[kV3IpTunnel])
        lac_nonce_[lns_tunnels_[kV3IpTunnel]] = d.message->nonce.value_or(Bytes{});
      if (d.is(MessageType::kSccrp) && c.path.tunnel_id == lns_tunnels_[kV3IpTunnel])
        lns_nonce_[lns_tunnels_[kV3IpTunnel]] = d.message->nonce.value_or(Bytes{});
    }
    net_.cut(lac_, lns_);
    // From here on the world keeps what FIXUP needs as the LNS sends, rather
    // than scanning a growing capture for every record.
    net_.set_capture(false);
    net_.set_send_hook([this](const CapturedDatagram& c, bool) {
      if (c.from == &lns_) track_lns(c);
    });
  }

  bool ready() const {
    for (std::uint8_t t : {kV2Tunnel, kV3UdpTunnel, kV3IpTunnel}) {
      const auto view = lns_.engine().tunnel(lns_tunnels_.at(t));
      if (!view || view->state != fsm::ObjectState::kEstablished) return false;
    }
    return true;
  }

  void deliver(const Record& r) {
    net_.advance(r.step == 0xff ? Duration{40000} : Duration{10} * r.step);
    const std::uint8_t target = r.flags & kTargetMask;
    const TargetSpec s = spec(target);
    Endpoint from = s.lac;
    if (r.flags & kStranger)
      from =
          s.transport.ipv6 ? ipv6(77, s.lac.port) : Endpoint::ipv4({198, 51, 100, 7}, s.lac.port);
    const Bytes datagram = (r.flags & kFixup) ? frame_as_lac(target, s, r.bytes) : r.bytes;
    remember_nonce(s, datagram);
    net_.inject(lns_, datagram, s.lns, from, s.transport.encapsulation);
    pending_nonce_.clear();
  }

  void finish() { net_.advance(Duration{300000}); }

  const fsm::Engine& lns_engine() const { return lns_.engine(); }
  std::uint32_t lns_tunnel(std::uint8_t target) const { return lns_tunnels_.at(target); }
  const Network& network() const { return net_; }
  const Node& lac() const { return lac_; }
  std::uint32_t lac_tunnel(std::uint8_t target) const { return lac_tunnels_.at(target); }

 private:
  // The LNS tunnel a FIXUP record talks to: the established one; for a
  // listener the newest tunnel it accepted from the fuzzer (0, a new tunnel,
  // for an SCCRQ or before any).
  std::uint32_t tunnel_for(std::uint8_t target, const TargetSpec& s, const Bytes& avps) const {
    if (s.tunnel) return lns_tunnels_.at(target);
    if (starts_with_type(avps, MessageType::kSccrq)) return 0;
    const auto listener = lns_.engine().listener(listeners_.at(target));
    if (!listener) return 0;
    for (auto it = listener->tunnels.rbegin(); it != listener->tunnels.rend(); ++it) {
      bool established_here = false;
      for (const auto& [t, id] : lns_tunnels_) established_here = established_here || id == *it;
      if (!established_here) return *it;
    }
    return 0;
  }

  // Selector n > 0: the LNS's n-th newest live session of `tunnel`.
  std::uint32_t session_for(std::uint32_t tunnel, std::uint8_t selector) const {
    if (selector == 0) return 0;
    std::vector<std::uint32_t> live;
    const auto added = lns_.observer().sessions_added(tunnel);
    for (auto it = added.rbegin(); it != added.rend(); ++it)
      if (lns_.engine().session(tunnel, *it)) live.push_back(*it);
    return live.empty() ? 0 : live[(selector - 1u) % live.size()];
  }

  static bool starts_with_type(const Bytes& avps, MessageType type) {
    auto raw = wire::split_avps(avps);
    return raw && !raw->empty() && raw->front().attribute_type == 0 &&
           raw->front().vendor_id == 0 && raw->front().value.size() == 2 &&
           raw->front().value[0] == 0 && raw->front().value[1] == static_cast<std::uint8_t>(type);
  }

  Bytes frame_as_lac(std::uint8_t target, const TargetSpec& s, const Bytes& body) {
    const std::uint8_t selector = body.empty() ? 0 : body[0];
    Bytes avps(body.begin() + (body.empty() ? 0 : 1), body.end());
    const std::uint32_t tunnel = tunnel_for(target, s, avps);
    const auto view = tunnel != 0 ? lns_.engine().tunnel(tunnel) : std::nullopt;
    const std::uint32_t session = view ? session_for(tunnel, selector) : 0;
    const bool v2 = s.transport.version == ProtocolVersion::kV2;
    if (!v2 && session != 0) patch_remote_session(avps, session);
    const bool sign = s.secret && !v2;
    if (sign) avps = with_zero_digest(avps);
    // A tunnel's first message after the SCCRQ (Ns 0) is Ns 1.
    if (view) next_ns_.try_emplace(tunnel, 1);

    SequenceNumbers seq{0, 0};
    if (view) {
      seq.ns = next_ns_[tunnel];
      seq.nr = lns_next_ns_[tunnel];
      if (!avps.empty() && !is_ack(avps)) ++next_ns_[tunnel];
    }
    Bytes datagram = frame(s.transport.version, s.transport.encapsulation, view ? tunnel : 0,
                           v2 ? static_cast<std::uint16_t>(session) : 0, seq, avps);
    if (sign && has_zero_digest(avps)) {
      wire::DigestContext context;
      context.key = wire::digest_key(shared_secret());
      if (view) {
        context.local_nonce = lac_nonce_[tunnel];
        context.remote_nonce = lns_nonce_[tunnel];
      }
      wire::sign_message(datagram, s.transport.encapsulation, context);
    }
    return datagram;
  }

  static bool is_ack(const Bytes& avps) { return starts_with_type(avps, MessageType::kAck); }

  // v3 sessions are named by the Remote Session ID AVP (64).
  static void patch_remote_session(Bytes& avps, std::uint32_t session) {
    auto raw = wire::split_avps(avps);
    if (!raw) return;
    for (const wire::RawAvp& a : *raw)
      if (a.vendor_id == 0 && a.attribute_type == 64 && a.value.size() == 4 && !a.hidden) {
        const std::size_t at = static_cast<std::size_t>(a.value.data() - avps.data());
        for (int i = 0; i < 4; ++i)
          avps[at + i] = static_cast<std::uint8_t>(session >> (24 - 8 * i));
      }
  }

  // Message Type first, then a zeroed MD5 Message Digest (RFC 3931 §5.4.1);
  // a digest already there (from a captured message) is zeroed for re-signing.
  static Bytes with_zero_digest(const Bytes& avps) {
    auto raw = wire::split_avps(avps);
    if (!raw || raw->empty() || raw->front().attribute_type != 0) return avps;
    if (raw->size() > 1 && (*raw)[1].attribute_type == 59) {
      Bytes zeroed = avps;
      const wire::RawAvp& digest = (*raw)[1];
      const std::size_t at = static_cast<std::size_t>(digest.value.data() - avps.data());
      if (digest.vendor_id == 0 && digest.value.size() == 17 && digest.value[0] == 0)
        std::fill(zeroed.begin() + static_cast<std::ptrdiff_t>(at + 1),
                  zeroed.begin() + static_cast<std::ptrdiff_t>(at + 17), 0);
      return zeroed;
    }
    const std::size_t first = wire::kAvpHeaderSize + raw->front().value.size();
    Bytes zero(17, 0);
    const Bytes digest = avp(59, zero, true);
    Bytes out(avps.begin(), avps.begin() + static_cast<std::ptrdiff_t>(first));
    out.insert(out.end(), digest.begin(), digest.end());
    out.insert(out.end(), avps.begin() + static_cast<std::ptrdiff_t>(first), avps.end());
    return out;
  }

  static bool has_zero_digest(const Bytes& avps) {
    auto raw = wire::split_avps(avps);
    return raw && raw->size() > 1 && raw->front().attribute_type == 0 &&
           (*raw)[1].attribute_type == 59 && (*raw)[1].vendor_id == 0 &&
           (*raw)[1].value.size() == 17 && (*raw)[1].value[0] == 0;
  }

  // An SCCRQ for a signed listener: its nonce belongs to the tunnel the
  // LNS's SCCRP will name (track_lns).
  void remember_nonce(const TargetSpec& s, const Bytes& datagram) {
    if (!s.secret || s.tunnel || s.transport.version != ProtocolVersion::kV3) return;
    const DecodedDatagram d = decode_datagram(datagram, s.transport.encapsulation);
    if (d.is(MessageType::kSccrq) && d.message->nonce) pending_nonce_ = *d.message->nonce;
  }

  // The LNS's next Ns per tunnel, and the nonces of new signed tunnels.
  void track_lns(const CapturedDatagram& c) {
    auto packet = wire::parse_packet(c.bytes, c.path.encapsulation);
    if (!packet || !std::holds_alternative<wire::ControlPacket>(*packet)) return;
    const auto& control = std::get<wire::ControlPacket>(*packet);
    if (control.avps.empty() ||
        starts_with_type(Bytes(control.avps.begin(), control.avps.end()), MessageType::kAck))
      return;
    lns_next_ns_[c.path.tunnel_id] = static_cast<std::uint16_t>(control.header.ns + 1);
    if (control.header.version != ProtocolVersion::kV3 || control.header.ns != 0) return;
    const DecodedDatagram d = decode_captured(c);
    if (d.is(MessageType::kSccrp) && d.message->nonce) {
      lns_nonce_[c.path.tunnel_id] = *d.message->nonce;
      lac_nonce_[c.path.tunnel_id] = pending_nonce_;
    }
  }

  Network net_;
  Node& lac_;
  Node& lns_;
  std::map<std::uint8_t, std::uint32_t> listeners_, lac_tunnels_, lns_tunnels_;
  std::map<std::uint32_t, std::uint16_t> next_ns_;        // the LAC's next Ns, by LNS tunnel
  std::map<std::uint32_t, std::uint16_t> lns_next_ns_;    // the LNS's next Ns, by its tunnel
  std::map<std::uint32_t, Bytes> lac_nonce_, lns_nonce_;  // by LNS tunnel
  Bytes pending_nonce_;
};

// ---- Seeds ----------------------------------------------------------------------------

// AVP list of a captured datagram (everything after the control header).
Bytes body_of(const CapturedDatagram& c, std::uint8_t selector = 0) {
  const std::size_t header = wire::message_offset(c.path.encapsulation) + wire::kControlHeaderSize;
  Bytes body{selector};
  if (c.bytes.size() > header)
    body.insert(body.end(), c.bytes.begin() + static_cast<std::ptrdiff_t>(header), c.bytes.end());
  return body;
}

// The LAC's messages of one whole life of a tunnel of `transport` (against a
// plain LNS), as FIXUP records for `target`.
std::vector<Record> conversation(const Transport& transport, std::uint8_t target, bool secret,
                                 bool established) {
  LacLns pair({.transport = transport});
  fsm::TunnelConfig config = pair.tunnel_config();
  fsm::ListenerConfig listener = pair.listener_config();
  if (secret) {
    config.control.secret = shared_secret();
    listener.control.secret = shared_secret();
  }
  const TunnelPair tunnels = pair.establish(config, listener);
  pair.open_session(tunnels, {});
  fsm::SessionConfig eth;
  if (transport.version == ProtocolVersion::kV3) eth.pseudowire = fsm::Pseudowire::kEth;
  const SessionPair second = pair.open_session(tunnels, eth);
  expect_ok(pair.lac.engine().close_session(tunnels.lac, second.lac), "close_session");
  pair.net.advance(Duration{1000});
  expect_ok(pair.lac.engine().close_tunnel(tunnels.lac), "close_tunnel");
  pair.net.advance(Duration{1000});
  std::vector<Record> records;
  for (const CapturedDatagram& c : pair.net.captured()) {
    if (c.from != &pair.lac) continue;
    const DecodedDatagram d = decode_captured(c);
    if (d.is_ack()) continue;
    if (established && (d.is(MessageType::kSccrq) || d.is(MessageType::kScccn))) continue;
    const std::uint8_t selector =
        d.is(MessageType::kIccn) || d.is(MessageType::kCdn) || d.is(MessageType::kOccn) ? 1 : 0;
    records.push_back({static_cast<std::uint8_t>(target | kFixup), 1, body_of(c, selector)});
  }
  return records;
}

Bytes raw_sccrq(const Transport& transport) {
  LacLns pair({.transport = transport});
  pair.listen();
  expect_ok(pair.lac.engine().create_tunnel(pair.tunnel_config()), "create_tunnel");
  return pair.net.captured().front().bytes;
}

void write_seed(const std::string& dir, const std::string& name,
                const std::vector<Record>& records) {
  const Bytes bytes = encode_input(records);
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
    std::exit(1);
  }
}

Record fix(std::uint8_t target, Bytes avps, std::uint8_t selector = 0) {
  avps.insert(avps.begin(), selector);
  return {static_cast<std::uint8_t>(target | kFixup), 1, std::move(avps)};
}

void write_seeds(const std::string& dir) {
  const Transport v2{ProtocolVersion::kV2, Encapsulation::kUdp, false};
  const Transport v3udp{ProtocolVersion::kV3, Encapsulation::kUdp, false};
  const Transport v3ip{ProtocolVersion::kV3, Encapsulation::kIp, false};
  const Transport v3v6{ProtocolVersion::kV3, Encapsulation::kUdp, true};

  // Whole tunnels through each listener, and on the established tunnels.
  write_seed(dir, "v2-listener-life", conversation(v2, kV2Listener, false, false));
  write_seed(dir, "v3-udp-listener-life", conversation(v3udp, kV3UdpListener, false, false));
  write_seed(dir, "v3-ip-listener-life-digest", conversation(v3ip, kV3IpListener, true, false));
  write_seed(dir, "v3-ipv6-listener-life", conversation(v3v6, kV3Ipv6Listener, false, false));
  write_seed(dir, "v2-secret-listener-life", conversation(v2, kV2SecretListener, true, false));
  write_seed(dir, "v2-tunnel-calls", conversation(v2, kV2Tunnel, false, true));
  write_seed(dir, "v3-udp-tunnel-calls", conversation(v3udp, kV3UdpTunnel, false, true));
  write_seed(dir, "v3-ip-tunnel-calls-digest", conversation(v3ip, kV3IpTunnel, true, true));
  // Raw SCCRQs exactly as captured, and one from a stranger.
  write_seed(dir, "v2-raw-sccrq", {{kV2Listener, 0, raw_sccrq(v2)}});
  write_seed(dir, "v3-raw-sccrq", {{kV3UdpListener, 0, raw_sccrq(v3udp)}});
  write_seed(dir, "v3-ip-raw-sccrq", {{kV3IpListener, 0, raw_sccrq(v3ip)}});
  write_seed(dir, "v3-raw-sccrq-stranger-ipv6",
             {{kV3Ipv6Listener | kStranger, 0, raw_sccrq(v3v6)}});

  // Hostile input (architecture.md, "Hostile input").
  const Bytes hello = message_type_avp(MessageType::kHello);
  const Bytes icrq = message_type_avp(MessageType::kIcrq);
  for (std::uint8_t t : {kV2Tunnel, kV3UdpTunnel, kV3IpTunnel}) {
    const std::string name = t == kV2Tunnel ? "v2" : t == kV3UdpTunnel ? "v3-udp" : "v3-ip";
    write_seed(dir, "hostile-" + name + "-avp-length-3",
               {fix(t, concat({hello, raw_avp(3, 0, 22, {})}))});
    write_seed(dir, "hostile-" + name + "-avp-length-0",
               {fix(t, concat({hello, raw_avp(0, 0, 22, wire::as_bytes("12345"))}))});
    write_seed(dir, "hostile-" + name + "-avp-overrun",
               {fix(t, concat({hello, raw_avp(200, 0, 22, wire::as_bytes("0123456789"))}))});
    write_seed(dir, "hostile-" + name + "-unknown-mandatory",
               {fix(t, concat({hello, avp(1000, wire::as_bytes("x"), true)}))});
    write_seed(dir, "hostile-" + name + "-vendor-9-type-7",
               {fix(t, concat({hello, avp(7, wire::as_bytes("spoofed"), false, 9)}))});
    write_seed(dir, "hostile-" + name + "-hidden-without-random-vector",
               {fix(t, concat({hello, avp(22, Bytes(9, 0x42), false, 0, true)}))});
    const Bytes assigned =
        t == kV2Tunnel ? avp(14, u16_value(77), true) : avp(63, u32_value(77), true);
    write_seed(dir, "hostile-" + name + "-calling-number-1017",
               {fix(t, concat({icrq, assigned, avp(22, Bytes(1017, '7'), true)}))});
    write_seed(dir, "hostile-" + name + "-zlb-and-timeouts",
               {fix(t, {}), {static_cast<std::uint8_t>(t | kFixup), 0xff, {0}}});
  }
  // Hidden AVP whose decrypted length wraps, on the v2 secret listener.
  const Bytes rv(16, 0x5a);
  Bytes wrapped = wire::hide_value(7, wire::as_bytes("host"), shared_secret(), rv);
  wrapped[0] ^= 0xff;
  wrapped[1] ^= 0x04 ^ 0xff;
  write_seed(dir, "hostile-v2-hidden-length-wrap",
             {fix(kV2SecretListener, concat({message_type_avp(MessageType::kSccrq),
                                             avp(36, rv, true), avp(7, wrapped, true, 0, true)}))});
  // Data packets on the control path.
  write_seed(dir, "data-packets",
             {{kV2Tunnel, 1, {0x00, 0x02, 0x12, 0x34, 0x00, 0x01, 0xff, 0x03, 0xc0, 0x21}},
              {kV3UdpTunnel, 1, {0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x03}},
              {kV3IpTunnel, 1, {0x00, 0x00, 0x00, 0x01, 0xff, 0x03, 0xc0, 0x21}}});
  // WEN and SLI as Cisco equipment sends them (v2: header session; v3: ids).
  wire::Message wen;
  wen.type = MessageType::kWen;
  wen.call_errors = wire::CallErrors{1, 2, 3, 4, 5, 6};
  wire::Message sli;
  sli.type = MessageType::kSli;
  sli.accm = wire::Accm{0xffffffff, 0xffffffff};
  write_seed(dir, "v2-wen-sli",
             {fix(kV2Tunnel, wire::encode_message(wen, {.version = ProtocolVersion::kV2}), 1),
              fix(kV2Tunnel, wire::encode_message(sli, {.version = ProtocolVersion::kV2}), 1)});
}

// The signing and sequencing of FIXUP must be right, or the fuzzer would only
// ever reach the digest check on the authenticated tunnel.
void check_fixup() {
  World world;
  if (!world.ready()) {
    std::fprintf(stderr, "fuzz-engine: the handshakes did not establish the tunnels\n");
    std::abort();
  }
  const std::uint64_t failures = world.lns_engine().stats().authentication_failures;
  const std::uint64_t received =
      world.lns_engine().tunnel(world.lns_tunnel(kV3IpTunnel))->control_rx;
  world.deliver(fix(kV3IpTunnel, message_type_avp(MessageType::kHello)));
  const auto view = world.lns_engine().tunnel(world.lns_tunnel(kV3IpTunnel));
  if (world.lns_engine().stats().authentication_failures != failures || !view ||
      view->control_rx != received + 1) {
    std::fprintf(
        stderr,
        "fuzz-engine: a FIXUP message on the signed tunnel was refused "
        "(authentication failures %llu -> %llu, control messages %llu -> %llu)\n",
        static_cast<unsigned long long>(failures),
        static_cast<unsigned long long>(world.lns_engine().stats().authentication_failures),
        static_cast<unsigned long long>(received),
        static_cast<unsigned long long>(view ? view->control_rx : 0));
    std::abort();
  }
}

}  // namespace
}  // namespace l2tp::testing

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("L2TP_WRITE_ENGINE_SEEDS")) {
    l2tp::testing::write_seeds(dir);
    std::fprintf(stderr, "fuzz-engine: seeds written to %s\n", dir);
    std::exit(0);
  }
  l2tp::testing::check_fixup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace l2tp::testing;
  const std::vector<Record> records = parse_input(data, size);
  if (records.size() > 64) return -1;  // keep each input a short conversation
  World world;
  for (const Record& r : records) world.deliver(r);
  world.finish();
  return 0;
}
