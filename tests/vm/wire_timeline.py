"""When the L2TP and PPP milestones of a connection cross an interface: a
packet socket on the interface, read by a thread, and a small decoder of
L2TPv2 over UDP 1701 and the PPP it carries (RFC 2661 §3.1, RFC 1661). It
shows where an activation's time goes, for NetworkManager's plugins alike,
without tcpdump or tshark in the VM."""

import socket
import struct
import threading
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
L2TP_PORT = 1701
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


class WireTimeline:
    """Records (wall-clock time, decoded packet) for every L2TP datagram
    crossing `interface`, in both directions, while in the `with` block."""

    def __init__(self, interface):
        self.interface = interface
        self.packets = []
        self._socket = None
        self._thread = None
        self._stop = threading.Event()

    def __enter__(self):
        # Only a socket for every protocol sees what the host sends too (the
        # kernel hands outgoing packets to ETH_P_ALL taps alone).
        self._socket = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                                     socket.htons(ETH_P_ALL))
        self._socket.bind((self.interface, ETH_P_ALL))
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
            if address[1] != ETH_P_IP:
                continue
            decoded = decode(datagram)
            if decoded is not None:
                self.packets.append((time.time(), decoded))

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
