#!/usr/bin/python3
"""Writes the seed corpora of fuzz-options and fuzz-config-file.

    /usr/bin/python3 tests/fuzz/make_option_seeds.py

Rewrites tests/fuzz/corpus/options/ (option dictionaries in the input format
described at the top of fuzz_options.cpp: one good dictionary per call and
tunnel kind, and the refusals each layer makes) and
tests/fuzz/corpus/config-file/ (the shipped examples and l2tpbusd.conf, and
one file per class of malformed text the loaders refuse; byte 0 picks the
loader as in fuzz_config_file.cpp). Deterministic.
"""

import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")

# fuzz_options.cpp: its kKeys, in the same order.
KEYS = """HostName Secret HideAvps HelloInterval RetransmitTimeout MaxRetransmitTimeout
MaxRetransmits ReceiveWindow Mode Version Encapsulation Peer Local TunnelId PeerTunnelId
UdpChecksum Pseudowire SessionId PeerSessionId InterfaceName Cookie PeerCookie
L2SpecificSublayer Sequencing ReorderTimeout Mtu CallingNumber CalledNumber User Password
Authentication Mppe UsePeerDns Ipv6 LcpEchoInterval LcpEchoFailure DefaultRoute Pseudowires
PppLocalAddress PppAddressPool PppDns PppRequireAuthentication""".split()

# byte 0
TUNNEL, SESSION, LISTENER = 0, 1, 2
V3 = 0x04
QUIESCENT, STATIC = 0x08, 0x10
LONG_HOST_NAME = 0x20
# value types
S, U, B, AY, AS, I, D, AU, EMPTY = range(9)


def text(value):
    data = value.encode() if isinstance(value, str) else value
    assert len(data) < 256
    return bytes([len(data)]) + data


def repeated(byte, count):
    """A text of `count` copies of `byte` (fuzz_options.cpp's length byte 255)."""
    return bytes([255]) + struct.pack("<H", count) + byte


def value(kind, v=None):
    if kind in (S, AY):
        return bytes([kind]) + (v if isinstance(v, Repeated) else text(v))
    if kind == U:
        return bytes([kind]) + struct.pack("<I", v)
    if kind == I:
        return bytes([kind]) + struct.pack("<i", v)
    if kind == B:
        return bytes([kind, 1 if v else 0])
    if kind == D:
        return bytes([kind]) + struct.pack("<d", v)
    if kind == AS:
        return bytes([kind, len(v)]) + b"".join(e if isinstance(e, Repeated) else text(e)
                                                for e in v)
    if kind == AU:
        return bytes([kind, len(v)]) + b"".join(struct.pack("<I", e) for e in v)
    return bytes([EMPTY])


class Repeated(bytes):
    """An already encoded text (see `repeated`)."""


def entry(key, kind, v=None):
    """A vocabulary key by its index; any other key as raw text."""
    if isinstance(key, Repeated):
        key_bytes = bytes([0xFF]) + key
    else:
        key_bytes = bytes([KEYS.index(key)]) if key in KEYS else bytes([0xFF]) + text(key)
    return key_bytes + value(kind, v)


def dictionary(flags, *entries):
    return bytes([flags]) + b"".join(entry(*e) for e in entries)


OPTION_SEEDS = {
    "tunnel-v2-lac": dictionary(
        TUNNEL, ("Mode", S, "dynamic"), ("Version", U, 2), ("Encapsulation", S, "udp"),
        ("Peer", S, "lns.example.net"), ("HostName", S, "branch-office"),
        ("Secret", AY, b"tunnel secret"), ("HideAvps", B, True), ("HelloInterval", U, 60),
        ("RetransmitTimeout", U, 1000), ("MaxRetransmitTimeout", U, 8000),
        ("MaxRetransmits", U, 5), ("ReceiveWindow", U, 16)),
    "tunnel-v3-static-ip": dictionary(
        TUNNEL, ("Mode", S, "static"), ("Version", U, 3), ("Encapsulation", S, "ip"),
        ("Peer", S, "198.51.100.2"), ("Local", S, "192.0.2.1"), ("TunnelId", U, 1000),
        ("PeerTunnelId", U, 2000), ("UdpChecksum", B, False)),
    "tunnel-v6-ports": dictionary(
        TUNNEL, ("Version", U, 3), ("Peer", S, "[2001:db8::2]:1702"),
        ("Local", S, "[2001:db8::1]:1701")),
    "tunnel-wrong-type": dictionary(TUNNEL, ("Peer", S, "192.0.2.1"), ("Version", S, "2")),
    "tunnel-unknown-key": dictionary(TUNNEL, ("Peer", S, "192.0.2.1"), ("Color", S, "blue")),
    "tunnel-foreign-types": dictionary(
        TUNNEL, ("Peer", S, "192.0.2.1"), ("TunnelId", I, -1), ("HelloInterval", D, 1.5),
        ("ReceiveWindow", AU, [1, 2]), ("HideAvps", EMPTY)),
    "tunnel-hide-without-secret": dictionary(TUNNEL, ("Peer", S, "h"), ("HideAvps", B, True)),
    "tunnel-long-host-name": dictionary(TUNNEL | LONG_HOST_NAME, ("Peer", S, "192.0.2.1")),
    "session-ppp": dictionary(
        SESSION, ("Pseudowire", S, "ppp"), ("User", S, "DOMAIN\\alice"),
        ("Password", S, "password of alice"), ("Authentication", AS, ["chap", "mschap-v2"]),
        ("Mppe", S, "required-128"), ("UsePeerDns", B, True), ("Ipv6", B, True),
        ("DefaultRoute", B, False), ("LcpEchoInterval", U, 30), ("LcpEchoFailure", U, 4),
        ("Mtu", U, 1400), ("CallingNumber", S, "5551234"), ("CalledNumber", S, "5554321")),
    "session-v3-static-eth": dictionary(
        SESSION | V3 | STATIC, ("Pseudowire", S, "eth"), ("SessionId", U, 3000),
        ("PeerSessionId", U, 4000), ("InterfaceName", S, "l2tpeth-siteb"),
        ("Cookie", AY, bytes.fromhex("8a2f19c04d7e6b35")),
        ("PeerCookie", AY, bytes.fromhex("5c3e9a71")), ("L2SpecificSublayer", S, "default"),
        ("Sequencing", S, "both"), ("ReorderTimeout", U, 100)),
    "session-v3-quiescent": dictionary(SESSION | V3 | QUIESCENT, ("Pseudowire", S, "ppp")),
    "session-eth-with-ppp-key": dictionary(
        SESSION | V3, ("Pseudowire", S, "eth"), ("User", S, "bob")),
    "session-mppe-needs-mschap": dictionary(
        SESSION, ("Authentication", AS, ["pap"]), ("Mppe", S, "required")),
    "session-control-character": dictionary(SESSION, ("User", S, "a\tb")),
    "session-empty-list": dictionary(SESSION, ("Authentication", AS, [])),
    "listener-v2-ppp": dictionary(
        LISTENER, ("Local", S, "0.0.0.0:1701"), ("Version", U, 2), ("Encapsulation", S, "udp"),
        ("HostName", S, "lns"), ("Secret", AY, b"s"), ("Pseudowires", AS, ["ppp"]),
        ("PppLocalAddress", S, "10.8.0.1"), ("PppAddressPool", S, "10.8.0.100-10.8.0.199"),
        ("PppDns", AS, ["10.8.0.1", "192.0.2.53"]), ("PppRequireAuthentication", B, True)),
    "listener-v3-eth": dictionary(
        LISTENER, ("Local", S, "[::]:1701"), ("Version", U, 3), ("Pseudowires", AS, ["eth"])),
    # What fuzz-options found: names echoed into the reply as sent.
    "found-empty-key": dictionary(SESSION, ("", AY, b"")),
    "found-huge-unknown-key": dictionary(
        TUNNEL, ("Peer", S, "192.0.2.1"), (Repeated(repeated(b"K", 65535)), U, 1)),
    "found-huge-pseudowire-name": dictionary(
        LISTENER, ("Pseudowires", AS, [Repeated(repeated(b"p", 20000))])),
    "found-huge-authentication-name": dictionary(
        SESSION, ("Authentication", AS, ["pap", Repeated(repeated(b"m", 20000))])),
    "listener-pool-contains-local": dictionary(
        LISTENER, ("PppLocalAddress", S, "10.0.0.5"), ("PppAddressPool", S, "10.0.0.1-10.0.0.9")),
}

TUNNEL_FILE, DAEMON_FILE = 0, 1
STATIC_TUNNEL = "[Tunnel]\nPeer=192.0.2.1\nVersion=3\nMode=static\nTunnelId=1\nPeerTunnelId=2\n"

CONFIG_SEEDS = {
    "tunnel-escapes-and-lists": (TUNNEL_FILE, "[Tunnel]\nPeer=192.0.2.1\nSecret=\\sab c \n"
                                 "HostName=lac \\\\ north\nTunnelId=   00065535\n"
                                 "[Session]\nAuthentication= pap , chap;\n"),
    "tunnel-crlf-comments": (TUNNEL_FILE, "# c\r\n[Tunnel]\r\nPeer=h:1702\r\n\r\n[Session a]\r\n"
                             "Mtu=1500\r\n"),
    "tunnel-sessions-clash": (TUNNEL_FILE, STATIC_TUNNEL + "[Session a]\nSessionId=5\n"
                              "PeerSessionId=1\n[Session b]\nPeerSessionId=2\nSessionId=5\n"),
    "tunnel-cookie-not-hex": (TUNNEL_FILE, STATIC_TUNNEL + "[Session]\nCookie=0011223g\n"),
    "tunnel-list-empty-element": (TUNNEL_FILE, "[Tunnel]\nPeer=h\n[Session]\n"
                                  "Authentication=pap;;chap\n"),
    "tunnel-duplicate-key": (TUNNEL_FILE, "[Tunnel]\nPeer=h\nPeer=g\n"),
    "tunnel-duplicate-section": (TUNNEL_FILE, "[Tunnel]\nPeer=h\n[Session a]\n[Session a]\n"),
    "tunnel-locale-key": (TUNNEL_FILE, "[Tunnel]\nPeer=h\nHostName[de]=x\n"),
    "tunnel-unclosed-header": (TUNNEL_FILE, "[Tunnel\nPeer=h\n"),
    "tunnel-key-before-section": (TUNNEL_FILE, "Peer=h\n[Tunnel]\n"),
    "tunnel-session-first": (TUNNEL_FILE, "[Session]\nPseudowire=eth\n[Tunnel]\nPeer=h\n"),
    "tunnel-and-listener": (TUNNEL_FILE, "[Listener]\n[Tunnel]\nPeer=h\n"),
    "tunnel-invalid-utf8": (TUNNEL_FILE, b"[Tunnel]\nHostName=\xc3\x28\nPeer=h\n"),
    "tunnel-nul-byte": (TUNNEL_FILE, b"[Tunnel]\nPeer=h\x00\n"),
    "tunnel-lone-cr": (TUNNEL_FILE, "[Tunnel]\rPeer=h\n"),
    "tunnel-bad-escape": (TUNNEL_FILE, "[Tunnel]\nPeer=h\nHostName=a\\q\n"),
    "daemon-all-keys": (DAEMON_FILE, "[Daemon]\nMaxTunnelsPerUser=0\nMaxTunnels=1048576\n"
                        "HostName=lns.example\nLogLevel=debug\n"),
    "daemon-bad-values": (DAEMON_FILE, "[Daemon]\nMaxTunnels=0\nLogLevel=INFO\n"),
    "daemon-unknown-section": (DAEMON_FILE, "[Daemon]\n[Tunnel]\nPeer=h\n"),
    "daemon-empty": (DAEMON_FILE, ""),
}


def write(directory, name, data):
    with open(os.path.join(directory, name), "wb") as seed:
        seed.write(data)


def fresh(directory):
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        os.remove(os.path.join(directory, name))


def main():
    options_dir = os.path.join(CORPUS, "options")
    config_dir = os.path.join(CORPUS, "config-file")
    fresh(options_dir)
    fresh(config_dir)
    for name, data in OPTION_SEEDS.items():
        write(options_dir, name, data)
    for name, (loader, content) in CONFIG_SEEDS.items():
        data = content.encode() if isinstance(content, str) else content
        write(config_dir, name, bytes([loader]) + data)
    # What the project ships: the examples and l2tpbusd.conf, as they are.
    examples = os.path.join(ROOT, "data", "examples")
    for name in sorted(os.listdir(examples)):
        with open(os.path.join(examples, name), "rb") as example:
            write(config_dir, "example-" + name.replace(".tunnel", ""),
                  bytes([TUNNEL_FILE]) + example.read())
    with open(os.path.join(ROOT, "data", "l2tpbusd.conf"), "rb") as conf:
        write(config_dir, "l2tpbusd.conf", bytes([DAEMON_FILE]) + conf.read())


if __name__ == "__main__":
    main()
