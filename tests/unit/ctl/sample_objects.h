// GetManagedObjects as l2tpctl reads it (bus/message_io.h's JSON), for a
// LAC with one tunnel and its PPP session and a listener.
#pragma once

#include <nlohmann/json.hpp>

namespace l2tp::ctl::testing {

inline nlohmann::json sample_managed_objects() {
  return nlohmann::json::parse(R"({
    "/org/l2tpbus1": {
      "org.l2tpbus1.Manager": {"Version": "0.1.0", "DataPlane": "kernel",
                               "Features": ["l2tpv2", "ppp"],
                               "ConfigFiles": [["lns", "up", ""]]},
      "org.freedesktop.DBus.Properties": {}
    },
    "/org/l2tpbus1/tunnel/70000": {
      "org.l2tpbus1.Tunnel": {"State": "connecting", "Mode": "dynamic", "Version": 2,
        "Encapsulation": "udp", "Role": "initiator", "Local": "", "Peer": "192.0.2.9:1701",
        "TunnelId": 70000, "PeerTunnelId": 0, "PeerHostName": "", "PeerVendorName": "",
        "Owner": 1000, "ConfigFile": "", "LastResult": [0, 0, ""], "Sessions": [],
        "EstablishedTimestamp": 0, "Statistics": {}}
    },
    "/org/l2tpbus1/tunnel/4711": {
      "org.l2tpbus1.Tunnel": {"State": "established", "Mode": "dynamic", "Version": 2,
        "Encapsulation": "udp", "Role": "initiator", "Local": "192.0.2.2:1701",
        "Peer": "192.0.2.1:1701", "TunnelId": 4711, "PeerTunnelId": 17,
        "PeerHostName": "lns", "PeerVendorName": "l2tpbus", "Owner": 0,
        "ConfigFile": "office", "Listener": "/",
        "Ipsec": {"state": "none"}, "LastResult": [0, 0, ""],
        "Sessions": ["/org/l2tpbus1/tunnel/4711/session/9422"],
        "EstablishedTimestamp": 1000000000000000,
        "Statistics": {"control-tx": 5, "control-rx": 6, "retransmits": 0, "hello-tx": 1,
                       "rx-bytes": 2048, "rx-packets": 12, "tx-bytes": 900, "tx-packets": 10}}
    },
    "/org/l2tpbus1/tunnel/4711/session/9422": {
      "org.l2tpbus1.Session": {"State": "established", "Pseudowire": "ppp", "SessionId": 9422,
        "Tunnel": "/org/l2tpbus1/tunnel/4711", "PeerSessionId": 3, "InterfaceName": "ppp0",
        "Owner": 0, "LastResult": [0, 0, ""],
        "Ip4Config": {"address": "10.99.0.10", "peer": "10.99.0.1", "prefix": 32,
                      "dns": ["10.99.0.53"], "mtu": 1400},
        "Ip6Config": {}, "Ip6Negotiation": "off", "EstablishedTimestamp": 1000000000000000,
        "Statistics": {"rx-bytes": 2048, "rx-packets": 12, "tx-bytes": 900, "tx-packets": 10,
                       "rx-errors": 0, "tx-errors": 0, "rx-oos-packets": 0}}
    },
    "/org/l2tpbus1/listener/2": {
      "org.l2tpbus1.Listener": {"Local": "0.0.0.0:1701", "Version": 2, "Encapsulation": "udp",
        "State": "listening", "ConfigFile": "lns", "Tunnels": [],
        "Statistics": {"accepted": 3, "rejected": 1, "kernel-drops": 0}}
    },
    "/org/l2tpbus1/listener/10": {
      "org.l2tpbus1.Listener": {"Local": "[::]:1701", "Version": 3, "Encapsulation": "udp",
        "State": "waiting", "ConfigFile": "", "Tunnels": [], "Statistics": {}}
    }
  })");
}

}  // namespace l2tp::ctl::testing
