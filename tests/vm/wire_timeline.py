"""When the L2TP and PPP milestones of a connection cross an interface: a
packet socket on the interface, read by a thread, and a small decoder of
L2TPv2 over UDP 1701 and the PPP it carries (RFC 2661 §3.1, RFC 1661). It
shows where an activation's time goes, for NetworkManager's plugins alike,
without tcpdump or tshark in the VM.

It also sorts every IPv4 and IPv6 packet into the kinds an L2TP/IPsec test
asserts on (classify, `WireTimeline.kinds`): ESP, ESP in UDP 4500 (NAT-T),
IKE on 500 and on 4500 (behind the non-ESP marker, RFC 3948), NAT-T
keepalives and cleartext UDP to or from port 1701, so that "ESP only, no
cleartext L2TP" is something a test can check."""

import collections
import ctypes
import os
import socket
import struct
import threading
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86dd
L2TP_PORT = 1701
IKE_PORT = 500
NAT_T_PORT = 4500
IPPROTO_ESP = 50
CLONE_NEWNET = 0x40000000
MESSAGE_TYPES = {1: 'SCCRQ', 2: 'SCCRP', 3: 'SCCCN', 4: 'StopCCN', 6: 'HELLO', 10: 'ICRQ',
                 11: 'ICRP', 12: 'ICCN', 14: 'CDN'}
PPP_PROTOCOLS = {0xc021: 'LCP', 0xc023: 'PAP', 0xc223: 'CHAP', 0x8021: 'IPCP',
                 0x8057: 'IPV6CP'}
CONFIGURE_ACK = 2
AUTHENTICATED = {'PAP': 2, 'CHAP': 3}  # Authenticate-Ack, Success


def decode(datagram):
    """('control', message type name), ('ppp', protocol name, code), or None
    for an IPv4 datagram that is not L2TPv2 on port 1701 (or a ZLB)."""
    if len(datagram) < 20 or datagram[0] >> 4 != 4 or datagram[9] != socket.IPPROTO_UDP:
        return None
    header_length = (datagram[0] & 0xf) * 4
    source_port, destination_port = struct.unpack_from('!HH', datagram, header_length)
    if L2TP_PORT not in (source_port, destination_port):
        return None
    l2tp = datagram[header_length + 8:]
    if len(l2tp) < 6:
        return None
    flags = struct.unpack_from('!H', l2tp)[0]
    if (flags & 0xf) != 2:
        return None
    offset = 2 + (2 if flags & 0x4000 else 0) + 4 + (4 if flags & 0x0800 else 0)
    if flags & 0x0200:  # offset size and padding
        if len(l2tp) < offset + 2:
            return None
        offset += 2 + struct.unpack_from('!H', l2tp, offset)[0]
    body = l2tp[offset:]
    if flags & 0x8000:
        # The first AVP is the Message Type (vendor 0, type 0), never hidden.
        if len(body) < 8 or struct.unpack_from('!HH', body, 2) != (0, 0):
            return None
        return 'control', MESSAGE_TYPES.get(struct.unpack_from('!H', body, 6)[0], 'other')
    if body[:2] == b'\xff\x03':
        body = body[2:]
    if len(body) < 3:
        return None
    protocol = struct.unpack_from('!H', body)[0]
    return 'ppp', PPP_PROTOCOLS.get(protocol, hex(protocol)), body[2]


def classify(datagram, ethertype=ETH_P_IP):
    """The kind of an IP packet: 'esp', 'esp-in-udp', 'ike', 'ike-nat-t',
    'nat-t-keepalive', 'l2tp' (any UDP to or from 1701: in the clear), or
    None for anything else. IPv6 extension headers are not followed."""
    if ethertype == ETH_P_IP:
        if len(datagram) < 20 or datagram[0] >> 4 != 4:
            return None
        protocol, header_length = datagram[9], (datagram[0] & 0xf) * 4
    elif ethertype == ETH_P_IPV6:
        if len(datagram) < 40 or datagram[0] >> 4 != 6:
            return None
        protocol, header_length = datagram[6], 40
    else:
        return None
    if protocol == IPPROTO_ESP:
        return 'esp'
    if protocol != socket.IPPROTO_UDP or len(datagram) < header_length + 8:
        return None
    ports = struct.unpack_from('!HH', datagram, header_length)
    payload = datagram[header_length + 8:]
    if L2TP_PORT in ports:
        return 'l2tp'
    if NAT_T_PORT in ports:
        if payload == b'\xff':
            return 'nat-t-keepalive'
        return 'ike-nat-t' if payload[:4] == b'\0\0\0\0' else 'esp-in-udp'
    if IKE_PORT in ports:
        return 'ike'
    return None


def addresses(datagram, ethertype=ETH_P_IP):
    """(source, destination) of an IP packet classify() knew, as text."""
    if ethertype == ETH_P_IP:
        return (socket.inet_ntop(socket.AF_INET, datagram[12:16]),
                socket.inet_ntop(socket.AF_INET, datagram[16:20]))
    return (socket.inet_ntop(socket.AF_INET6, datagram[8:24]),
            socket.inet_ntop(socket.AF_INET6, datagram[24:40]))


def _enter_netns(netns):
    """Moves this thread into a named network namespace; returns a file
    descriptor of the one it was in. (A socket stays in the namespace it was
    made in; python 3.11 has no os.setns.)"""
    libc = ctypes.CDLL(None, use_errno=True)
    previous = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
    target = os.open(f'/run/netns/{netns}', os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f'setns to {netns}')
    finally:
        os.close(target)
    return previous


def _leave_netns(previous):
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        if libc.setns(previous, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), 'setns back')
    finally:
        os.close(previous)


class WireTimeline:
    """Records (wall-clock time, decoded packet) for every L2TP datagram
    crossing `interface`, in both directions, while in the `with` block;
    and (wall-clock time, kind) of every packet that classify() knows.
    `netns`: the network namespace the interface is in (default: ours)."""

    def __init__(self, interface, netns=None):
        self.interface = interface
        self.netns = netns
        self.packets = []
        self.classified = []
        self._socket = None
        self._thread = None
        self._stop = threading.Event()

    def __enter__(self):
        previous = _enter_netns(self.netns) if self.netns else None
        try:
            # Only a socket for every protocol sees what the host sends too (the
            # kernel hands outgoing packets to ETH_P_ALL taps alone).
            self._socket = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                                         socket.htons(ETH_P_ALL))
            self._socket.bind((self.interface, ETH_P_ALL))
        finally:
            if previous is not None:
                _leave_netns(previous)
        self._socket.settimeout(0.1)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()

    def _read(self):
        while not self._stop.is_set():
            try:
                datagram, address = self._socket.recvfrom(65535)
            except socket.timeout:
                continue
            now = time.time()
            kind = classify(datagram, address[1])
            if kind is not None:
                self.classified.append((now, kind, addresses(datagram, address[1])))
            if address[1] != ETH_P_IP:
                continue
            decoded = decode(datagram)
            if decoded is not None:
                self.packets.append((now, decoded))

    def kinds(self, since=0.0, between=None) -> collections.Counter:
        """How many packets of each kind crossed since `since` (time.time());
        with `between` (addresses), only those from one of them to another:
        a test's own traffic, not what other namespaces still send as they
        wind down."""
        return collections.Counter(
            kind for at, kind, (source, destination) in list(self.classified)
            if at >= since and (between is None or {source, destination} <= set(between)))

    def seen(self, kind, since=0.0) -> list:
        """(source, destination) of each packet of `kind` since `since`."""
        return [pair for at, k, pair in list(self.classified) if k == kind and at >= since]

    def assert_no_cleartext_l2tp_of(self, ours, gateway, since=0.0):
        """Nothing from `ours` to `gateway` crossed as cleartext L2TP, and at
        most one datagram the other way: under IKEv1 the responder installs
        its outbound policy after its inbound SA (Quick Mode's third
        message), so its first answer to our encrypted SCCRQ can leave before
        the policy (seen in CI, from strongSwan and NetworkManager-l2tp's
        gateways alike). More than one, or any from us, is a leak."""
        cleartext = self.seen('l2tp', since)
        assert (ours, gateway) not in cleartext, cleartext
        assert cleartext.count((gateway, ours)) <= 1, cleartext

    def milestones(self, since):
        """Seconds after `since` of each milestone of one connection set-up:
        the first SCCRQ, the ICCN, the first LCP packet, LCP opened (the
        second Configure-Ack: both directions agreed), authenticated, IPCP
        opened; a milestone that did not happen is missing."""
        found, acks = {}, {'LCP': 0, 'IPCP': 0}
        for at, packet in self.packets:
            if at < since:
                continue
            if packet[0] == 'control':
                if packet[1] in ('SCCRQ', 'ICCN'):
                    found.setdefault(packet[1], at - since)
                continue
            _, protocol, code = packet
            if protocol == 'LCP':
                found.setdefault('first LCP', at - since)
            if protocol in acks and code == CONFIGURE_ACK:
                acks[protocol] += 1
                if acks[protocol] == 2:
                    found.setdefault(f'{protocol} up', at - since)
            if AUTHENTICATED.get(protocol) == code:
                found.setdefault('authenticated', at - since)
        return found
