// Two protocol engines, a LAC (192.0.2.1) and an LNS (192.0.2.2), over a
// simulated link that loses datagrams, printing every control message on the
// wire and every state change: an L2TPv2 tunnel with a PPP incoming call, an
// L2TPv3 tunnel over IP authenticated by Message Digest with an Ethernet
// session, then the teardown of both. Exits 0 only if every step reached the
// state it should.
//
//   l2tp-engine-demo [--loss P] [--seed N]
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "engine_harness.h"

namespace l2tp::testing {
namespace {

using fsm::ObjectState;

struct Options {
  double loss = 0.1;
  std::uint32_t seed = 1;
};

class Demo {
 public:
  explicit Demo(const Options& options)
      : net_(options.seed, impairment(options.loss)),
        lac_(net_.add_node({"LAC", {ipv4(1, 0)}, options.seed * 2 + 1, {}, true})),
        lns_(net_.add_node({"LNS", {ipv4(2, 0)}, options.seed * 2 + 2, {}, true})) {
    net_.set_send_hook([this](const CapturedDatagram& c, bool lost) { print_datagram(c, lost); });
    for (Node* node : {&lac_, &lns_}) {
      node->observer().set_hook([this, node](const ObservedEvent& e) { print_event(*node, e); });
      node->data_plane().set_hook(
          [this, node](const RecordingDataPlane::Call& c) { print_call(*node, c); });
    }
    lac_.data_plane().ppp_addresses = {"10.0.0.10", "10.0.0.1", 32, {"192.0.2.53"}, 1400, "ppp0"};
    lns_.data_plane().ppp_addresses = {"10.0.0.1", "10.0.0.10", 32, {}, 1400, "ppp0"};
  }

  bool run() {
    const wire::Bytes secret{'d', 'e', 'm', 'o', ' ', 's', 'e', 'c', 'r', 'e', 't'};
    const fsm::Endpoint lac_udp = ipv4(1, 1701), lns_udp = ipv4(2, 1701);
    const fsm::Endpoint lac_ip = ipv4(1, 0), lns_ip = ipv4(2, 0);

    heading("The LNS listens: L2TPv2 on UDP 1701, L2TPv3 on IP protocol 115 (with a secret)");
    fsm::ListenerConfig v2_listener;
    v2_listener.local = lns_udp;
    v2_listener.control.host_name = "lns.example";
    v2_listener.ppp.local_address = "10.0.0.1";
    v2_listener.ppp.address_pool = "10.0.0.10-10.0.0.99";
    if (!ok(lns_.engine().listen(v2_listener), "listen (v2)")) return false;
    fsm::ListenerConfig v3_listener = v2_listener;
    v3_listener.local = lns_ip;
    v3_listener.version = wire::ProtocolVersion::kV3;
    v3_listener.encapsulation = wire::Encapsulation::kIp;
    v3_listener.control.secret = secret;
    v3_listener.pseudowires = {fsm::Pseudowire::kEth};
    if (!ok(lns_.engine().listen(v3_listener), "listen (v3)")) return false;

    heading("L2TPv2 tunnel LAC -> LNS, then a PPP incoming call");
    fsm::TunnelConfig v2;
    v2.local = lac_udp;
    v2.peer = lns_udp;
    v2.control.host_name = "lac.example";
    auto v2_tunnel = lac_.engine().create_tunnel(v2);
    if (!ok(v2_tunnel, "create_tunnel (v2)")) return false;
    if (!wait_tunnel(lac_, *v2_tunnel, ObjectState::kEstablished)) return false;
    const std::uint32_t lns_v2 = lac_.tunnel(*v2_tunnel).peer_tunnel_id;
    if (!wait_tunnel(lns_, lns_v2, ObjectState::kEstablished)) return false;
    fsm::SessionConfig ppp;
    ppp.ppp.user = "alice";
    ppp.calling_number = "5550100";
    auto v2_session = lac_.engine().create_session(*v2_tunnel, ppp);
    if (!ok(v2_session, "create_session (v2 PPP)")) return false;
    if (!wait_session(lac_, *v2_tunnel, *v2_session, ObjectState::kEstablished)) return false;
    const std::uint32_t lns_v2_session = lac_.session(*v2_tunnel, *v2_session).peer_session_id;
    if (!wait_session(lns_, lns_v2, lns_v2_session, ObjectState::kEstablished)) return false;

    heading("L2TPv3 tunnel over IP with Message Digest, then an Ethernet pseudowire");
    fsm::TunnelConfig v3;
    v3.version = wire::ProtocolVersion::kV3;
    v3.encapsulation = wire::Encapsulation::kIp;
    v3.local = lac_ip;
    v3.peer = lns_ip;
    v3.control.host_name = "lac.example";
    v3.control.secret = secret;
    auto v3_tunnel = lac_.engine().create_tunnel(v3);
    if (!ok(v3_tunnel, "create_tunnel (v3)")) return false;
    if (!wait_tunnel(lac_, *v3_tunnel, ObjectState::kEstablished)) return false;
    const std::uint32_t lns_v3 = lac_.tunnel(*v3_tunnel).peer_tunnel_id;
    if (!wait_tunnel(lns_, lns_v3, ObjectState::kEstablished)) return false;
    fsm::SessionConfig eth;
    eth.pseudowire = fsm::Pseudowire::kEth;
    eth.cookie = {0xc0, 0x0c, 0x1e, 0x5a};
    auto v3_session = lac_.engine().create_session(*v3_tunnel, eth);
    if (!ok(v3_session, "create_session (v3 Ethernet)")) return false;
    if (!wait_session(lac_, *v3_tunnel, *v3_session, ObjectState::kEstablished)) return false;
    const std::uint32_t lns_v3_session = lac_.session(*v3_tunnel, *v3_session).peer_session_id;
    if (!wait_session(lns_, lns_v3, lns_v3_session, ObjectState::kEstablished)) return false;

    heading("Teardown: the LAC hangs up the PPP call and closes the v2 tunnel");
    if (!ok(lac_.engine().close_session(*v2_tunnel, *v2_session), "close_session")) return false;
    if (!wait_gone(lns_, lns_v2, lns_v2_session)) return false;
    if (!ok(lac_.engine().close_tunnel(*v2_tunnel), "close_tunnel (v2)")) return false;
    if (!wait_gone(lac_, *v2_tunnel) || !wait_gone(lns_, lns_v2)) return false;

    heading("Teardown: the LNS closes the v3 tunnel (its session goes with it)");
    if (!ok(lns_.engine().close_tunnel(lns_v3), "close_tunnel (v3)")) return false;
    if (!wait_gone(lns_, lns_v3) || !wait_gone(lac_, *v3_tunnel)) return false;

    heading("Checks");
    bool good = true;
    good &= expect_result(lns_.observer().last_session(lns_v2, lns_v2_session), 3, "v2 call (LNS)");
    good &= expect_result(lns_.observer().last_tunnel(lns_v2), 1, "v2 tunnel (LNS)");
    good &= expect_result(lac_.observer().last_tunnel(*v3_tunnel), 1, "v3 tunnel (LAC)");
    good &= check(lac_.tunnel_count() + lns_.tunnel_count() == 0, "no tunnel is left");
    good &= check(net_.problems().empty(), "observer and path contracts held\n" + net_.problems());
    // A lost SCCRP can make the LNS acknowledge a repeated SCCRQ with a
    // digest the LAC cannot check yet, so this is reported, not required.
    std::printf("\n%llu datagrams sent, %llu lost on the link, %llu authentication failures; %s\n",
                static_cast<unsigned long long>(net_.captured().size()),
                static_cast<unsigned long long>(lost_),
                static_cast<unsigned long long>(lac_.engine().stats().authentication_failures +
                                                lns_.engine().stats().authentication_failures),
                good ? "all good" : "FAILED");
    return good;
  }

 private:
  static LinkImpairment impairment(double loss) {
    LinkImpairment link;
    link.loss = loss;
    return link;
  }

  std::string clock() const { return at(net_.now()); }
  static const char* version(const DecodedDatagram& d) {
    if (d.packet_error) return "  ";
    return d.header.version == wire::ProtocolVersion::kV2 ? "v2" : "v3";
  }

  void print_datagram(const CapturedDatagram& c, bool lost) {
    const DecodedDatagram d = decode_captured(c);
    if (lost) ++lost_;
    std::printf("%9s  %s -> %s  %s %-50s%s\n", at(c.sent_at).c_str(), c.from->name().c_str(),
                c.to != nullptr ? c.to->name().c_str() : "???", version(d), describe(d).c_str(),
                lost ? "   [lost]" : "");
  }

  void print_event(const Node& node, const ObservedEvent& e) {
    std::string text;
    switch (e.kind) {
      case EventKind::kTunnelAdded:
        text = "tunnel " + std::to_string(e.tunnel_id) + " added";
        break;
      case EventKind::kSessionAdded:
        text = "session " + std::to_string(e.tunnel_id) + "/" + std::to_string(e.session_id) +
               " added";
        break;
      case EventKind::kListenerAccepted:
        text = "listener " + std::to_string(e.listener_id) + " accepted tunnel " +
               std::to_string(e.tunnel_id);
        break;
      case EventKind::kTunnelRemoved:
        text = "tunnel " + std::to_string(e.tunnel_id) + " removed";
        break;
      case EventKind::kSessionRemoved:
        text = "session " + std::to_string(e.tunnel_id) + "/" + std::to_string(e.session_id) +
               " removed";
        break;
      case EventKind::kTunnelChanged: {
        if (!e.tunnel) return;
        const auto key = std::make_pair(&node, std::make_pair(e.tunnel_id, 0u));
        if (states_[key] == e.tunnel->state && seen_.count(key)) return;
        seen_.insert(key);
        states_[key] = e.tunnel->state;
        text = "tunnel " + std::to_string(e.tunnel_id) + " " + fsm::to_string(e.tunnel->state);
        if (e.tunnel->state == ObjectState::kEstablished)
          text += " (peer " + e.tunnel->peer_host_name + ", peer tunnel " +
                  std::to_string(e.tunnel->peer_tunnel_id) + ")";
        if (e.tunnel->last_result.result != 0) text += " " + describe(e.tunnel->last_result);
        break;
      }
      case EventKind::kSessionChanged: {
        if (!e.session) return;
        const auto key = std::make_pair(&node, std::make_pair(e.tunnel_id, e.session_id));
        if (states_[key] == e.session->state && seen_.count(key)) return;
        seen_.insert(key);
        states_[key] = e.session->state;
        text = "session " + std::to_string(e.tunnel_id) + "/" + std::to_string(e.session_id) + " " +
               fsm::to_string(e.session->state);
        if (e.session->ppp && !e.session->ppp->local_address.empty())
          text += " (PPP " + e.session->ppp->local_address + " <-> " +
                  e.session->ppp->peer_address + ")";
        if (!e.session->interface_name.empty()) text += " on " + e.session->interface_name;
        if (e.session->last_result.result != 0) text += " " + describe(e.session->last_result);
        break;
      }
    }
    std::printf("%9s  %s   * %s\n", clock().c_str(), node.name().c_str(), text.c_str());
  }

  void print_call(const Node& node, const RecordingDataPlane::Call& c) {
    std::string text =
        std::string("data plane: ") + to_string(c.op) + " " + std::to_string(c.tunnel_id);
    if (c.session_id != 0) text += "/" + std::to_string(c.session_id);
    if (c.tunnel) text += c.tunnel->managed ? " (managed)" : " (static)";
    if (c.session) text += c.session->pseudowire == fsm::Pseudowire::kEth ? " (eth)" : " (ppp)";
    if (c.ppp)
      text += c.ppp->role == fsm::PppRole::kClient ? " (pppd as client)" : " (pppd as server)";
    std::printf("%9s  %s   - %s\n", clock().c_str(), node.name().c_str(), text.c_str());
  }

  static void heading(const std::string& text) { std::printf("\n== %s\n", text.c_str()); }

  template <typename T>
  bool ok(const std::expected<T, fsm::Error>& answer, const std::string& what) {
    if (answer) return true;
    std::printf("FAILED: %s: %s\n", what.c_str(), to_string(answer.error()).c_str());
    return false;
  }

  // Runs the clock until `done` holds, for at most five fake minutes.
  bool wait(const std::function<bool()>& done, const std::string& what) {
    for (int step = 0; step < 30000; ++step) {
      if (done()) return true;
      net_.advance(Duration{10});
    }
    std::printf("FAILED: %s within five minutes\n", what.c_str());
    return false;
  }
  bool wait_tunnel(const Node& node, std::uint32_t id, ObjectState state) {
    return wait([&] { return node.tunnel_state(id) == state; },
                node.name() + " tunnel " + std::to_string(id) + " " + fsm::to_string(state));
  }
  bool wait_session(const Node& node, std::uint32_t tunnel, std::uint32_t id, ObjectState state) {
    return wait([&] { return node.session_state(tunnel, id) == state; },
                node.name() + " session " + std::to_string(id) + " " + fsm::to_string(state));
  }
  bool wait_gone(const Node& node, std::uint32_t tunnel, std::uint32_t session = 0) {
    return wait(
        [&] {
          return session == 0 ? !node.tunnel_state(tunnel) : !node.session_state(tunnel, session);
        },
        node.name() + (session == 0 ? " tunnel " : " session ") +
            std::to_string(session == 0 ? tunnel : session) + " gone");
  }

  static bool check(bool condition, const std::string& what) {
    std::printf("  [%s] %s\n", condition ? " ok " : "FAIL", what.c_str());
    return condition;
  }
  template <typename View>
  static bool expect_result(const std::optional<View>& view, std::uint16_t result,
                            const std::string& what) {
    const bool good =
        view && view->state == ObjectState::kClosed && view->last_result.result == result;
    return check(good, what + " closed with result " + std::to_string(result) +
                           (view ? " " + describe(view->last_result) : ""));
  }

  Network net_;
  Node& lac_;
  Node& lns_;
  std::uint64_t lost_ = 0;
  std::map<std::pair<const Node*, std::pair<std::uint32_t, std::uint32_t>>, ObjectState> states_;
  std::set<std::pair<const Node*, std::pair<std::uint32_t, std::uint32_t>>> seen_;
};

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--loss" && i + 1 < argc) {
      char* end = nullptr;
      options.loss = std::strtod(argv[++i], &end);
      if (*end != '\0' || options.loss < 0 || options.loss > 0.9) return false;
    } else if (arg == "--seed" && i + 1 < argc) {
      char* end = nullptr;
      options.seed = static_cast<std::uint32_t>(std::strtoul(argv[++i], &end, 10));
      if (*end != '\0') return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace
}  // namespace l2tp::testing

int main(int argc, char** argv) {
  l2tp::testing::Options options;
  if (!l2tp::testing::parse(argc, argv, options)) {
    std::fprintf(stderr, "usage: %s [--loss P (0..0.9)] [--seed N]\n", argv[0]);
    return 2;
  }
  std::printf("l2tp engine demo: LAC 192.0.2.1, LNS 192.0.2.2, %.0f%% loss each way, seed %u\n",
              options.loss * 100, options.seed);
  try {
    l2tp::testing::Demo demo(options);
    return demo.run() ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("FAILED: %s\n", e.what());
    return 1;
  }
}
