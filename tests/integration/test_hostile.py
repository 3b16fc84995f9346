"""Hostile peers: malformed datagrams are dropped and counted and never crash
the daemon nor create anything; a flood of 20,000 spoofed-source SCCRQs keeps
its memory bounded and a legitimate peer still gets in within seconds.

Everything is sent on loopback (127.0.0.0/8), bounded in count and time.
"""

import random
import socket
import time

import pytest

from conftest import (
    LISTENER, MANAGER, PEER, ROOT_PATH, TUNNEL, establish, free_port, pump, wait_until)
from l2tp_wire import (
    ASSIGNED_TUNNEL_ID, CONTROL_V2, FRAMING_CAPABILITIES, HOST_NAME, MESSAGE_TYPE,
    PROTOCOL_VERSION, RANDOM_VECTOR, SCCRQ, avp, complete_handshake, control, hide, sccrq,
    sccrq_avps, u16, u32)

FLOOD_COUNT = 20_000
FLOOD_RSS_GROWTH_LIMIT_KIB = 64 * 1024
DROP_WORDS = ('malformed', 'drop', 'refus', 'reject', 'invalid', 'ignor', 'discard', 'bad ')


def _garbage(seed, size):
    generator = random.Random(seed)
    return bytes(generator.randrange(256) for _ in range(size))


MT = avp(MESSAGE_TYPE, u16(SCCRQ))
PV = avp(PROTOCOL_VERSION, b'\x01\x00')
MALFORMED = [
    ('AVP length below 6', control(MT + PV + avp(HOST_NAME, b'abcdef', length=4))),
    ('AVP length 0', control(MT + PV + avp(HOST_NAME, b'abcdef', length=0)
                             + avp(ASSIGNED_TUNNEL_ID, u16(7)))),
    ('AVP runs past the message', control(MT + PV + avp(HOST_NAME, b'abcd', length=200))),
    ('first AVP length 0', control(avp(MESSAGE_TYPE, u16(SCCRQ), length=0))),
    ('Message Type AVP empty', control(avp(MESSAGE_TYPE, b'') + PV)),
    ('hidden AVP without Random Vector',
     control(MT + PV + avp(HOST_NAME, b'\x00\x05hello', hidden=True)
             + avp(ASSIGNED_TUNNEL_ID, u16(9)))),
    ('Length field beyond the datagram', control(sccrq_avps(11), length=400)),
    ('Length field below the header', control(sccrq_avps(12), length=8)),
    ('truncated header', bytes([0xC8, 0x02, 0x00])),
    ('empty datagram', b''),
    ('version 1 (L2F)', control(sccrq_avps(13), first_word=0xC801)),
    ('version 15', control(sccrq_avps(14), first_word=0xC80F)),
    ('control message without L and S bits', bytes([0x80, 0x02]) + b'\x00' * 10 + sccrq_avps(15)),
    ('first AVP is not Message Type', control(PV + MT + avp(ASSIGNED_TUNNEL_ID, u16(16)))),
    ('message type 200', control(avp(MESSAGE_TYPE, u16(200)) + PV)),
    ('SCCRQ for an unknown tunnel id', control(sccrq_avps(17), tunnel_id=4242)),
    ('data packet', bytes([0x00, 0x02, 0x12, 0x34, 0x00, 0x01]) + b'payload'),
] + [(f'garbage {n}', _garbage(100 + n, 8 + 37 * n)) for n in range(6)] + [
    (f'garbage with a control header {n}', control(_garbage(200 + n, 40 + 13 * n)))
    for n in range(6)
]


LISTENER_SECRET = b'hostile test secret'
VECTOR = _garbage(3, 16)
REST = (avp(PROTOCOL_VERSION, b'\x01\x00') + avp(FRAMING_CAPABILITIES, u32(3))
        + avp(ASSIGNED_TUNNEL_ID, u16(77)))


def hidden_host_name(value, **kwargs):
    return avp(HOST_NAME, hide(HOST_NAME, value, LISTENER_SECRET, VECTOR, **kwargs), hidden=True)


MALFORMED_HIDDEN = [
    ('hidden AVP without Random Vector', control(MT + hidden_host_name(b'no-vector') + REST)),
    ('hidden AVP before its Random Vector',
     control(MT + hidden_host_name(b'too-early') + avp(RANDOM_VECTOR, VECTOR) + REST)),
    ('hidden length prefix 0xFFFF',
     control(MT + avp(RANDOM_VECTOR, VECTOR) + hidden_host_name(b'liar', original_length=0xFFFF)
             + REST)),
    ('hidden length prefix one past the value',
     control(MT + avp(RANDOM_VECTOR, VECTOR) + hidden_host_name(b'liar', original_length=5)
             + REST)),
    ('hidden AVP shorter than its length prefix',
     control(MT + avp(RANDOM_VECTOR, VECTOR) + avp(HOST_NAME, b'\x01', hidden=True) + REST)),
    ('empty Random Vector',
     control(MT + avp(RANDOM_VECTOR, b'') + avp(HOST_NAME, b'\x00\x01x', hidden=True) + REST)),
]


def send(data, destination, source='127.0.0.1'):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.sendto(data, destination)


def drop_lines(text):
    return sum(1 for line in text.splitlines() if any(w in line.lower() for w in DROP_WORDS))


def _handmade_tunnel(stack, listener, port, message, secret=None):
    """Sends `message` (an SCCRQ) from 127.0.0.3 and completes the handshake by hand."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(('127.0.0.3', 0))
        sock.sendto(message, ('127.0.0.1', port))
        complete_handshake(sock, ('127.0.0.1', port), secret)
        tunnel = wait_until(lambda: stack.root.prop(listener, LISTENER, 'Tunnels'), 5,
                            'a tunnel from the handmade SCCRQ')[0]
        stack.wait_state(tunnel, TUNNEL, 'established', timeout=5)
        assert stack.root.prop(tunnel, TUNNEL, 'Peer') == '127.0.0.3:%d' % sock.getsockname()[1]
    return tunnel


def test_a_handmade_sccrq_is_accepted(stack):
    """The builder's SCCRQ is valid: the malformed variants below differ in one defect."""
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}', 'HostName': 'target'})
    tunnel = _handmade_tunnel(stack, listener, port, sccrq(4321, b'handmade'))
    assert stack.root.prop(tunnel, TUNNEL, 'PeerHostName') == 'handmade'
    assert stack.root.prop(tunnel, TUNNEL, 'PeerTunnelId') == 4321
    assert stack.root.prop(listener, LISTENER, 'Statistics')['accepted'] == 1


def test_a_handmade_hidden_host_name_is_understood(stack):
    """The builder hides AVPs right: the malformed hidden variants differ in one defect."""
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}', 'Secret': LISTENER_SECRET})
    message = control(MT + avp(RANDOM_VECTOR, VECTOR) + hidden_host_name(b'hidden-host') + REST)
    tunnel = _handmade_tunnel(stack, listener, port, message, LISTENER_SECRET)
    assert stack.root.prop(tunnel, TUNNEL, 'PeerHostName') == 'hidden-host'


@pytest.mark.parametrize('data', [c[1] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_datagram_is_dropped(module_target, data):
    check_dropped(module_target[0], module_target[2], data)


@pytest.mark.parametrize('data', [c[1] for c in MALFORMED_HIDDEN],
                         ids=[c[0] for c in MALFORMED_HIDDEN])
def test_malformed_hidden_avp_is_dropped(module_target, data):
    check_dropped(module_target[0], module_target[4], data)


def check_dropped(stack, port, data):
    """Nothing is created, the daemon lives and answers."""
    pump()
    stack.signals.events.clear()
    send(data, ('127.0.0.1', port), source='127.0.0.4')
    time.sleep(0.1)
    stack.root.call(ROOT_PATH, PEER, 'Ping', None, '()')
    assert stack.daemon.alive()
    added = [e for e in stack.signals.of_member('InterfacesAdded')]
    assert not added, f'a malformed datagram created {[e.path for e in added]}'
    assert stack.tunnels() == []


def test_malformed_datagrams_are_counted(make_stack):
    """Each dropped datagram shows in Listener.Statistics rejected (or, at least, in the log)."""
    stack = make_stack()
    port, secret_port = free_port(), free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}'})
    with_secret = stack.root.listen({'Local': f'127.0.0.1:{secret_port}',
                                     'Secret': LISTENER_SECRET})
    logged = drop_lines(stack.daemon.log_text())
    for _, data in MALFORMED:
        send(data, ('127.0.0.1', port), source='127.0.0.4')
    for _, data in MALFORMED_HIDDEN:
        send(data, ('127.0.0.1', secret_port), source='127.0.0.4')
    time.sleep(0.3)
    rejected = (stack.root.prop(listener, LISTENER, 'Statistics')['rejected']
                + stack.root.prop(with_secret, LISTENER, 'Statistics')['rejected'])
    logged = drop_lines(stack.daemon.log_text()) - logged
    sent = len(MALFORMED) + len(MALFORMED_HIDDEN)
    assert rejected >= sent or logged >= sent, (
        f'{sent} malformed datagrams dropped, {rejected} counted in Listener.Statistics '
        f'rejected, {logged} log lines about drops')
    assert stack.tunnels() == []


@pytest.fixture(scope='module')
def module_target(make_module_stack):
    """A daemon with a listener without a secret and one with a secret."""
    stack = make_module_stack()
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}'})
    secret_port = free_port()
    with_secret = stack.root.listen({'Local': f'127.0.0.1:{secret_port}',
                                     'Secret': LISTENER_SECRET})
    return stack, listener, port, with_secret, secret_port


def test_malformed_messages_inside_an_established_tunnel(stack):
    pair = establish(stack, stack)
    responder_id = stack.root.prop(pair.responder, TUNNEL, 'TunnelId')
    initiator_id = stack.root.prop(pair.initiator, TUNNEL, 'TunnelId')
    initiator_local = stack.root.prop(pair.initiator, TUNNEL, 'Local')
    host, port = initiator_local.rsplit(':', 1)
    for tunnel_id, destination in ((responder_id, ('127.0.0.1', pair.port)),
                                   (initiator_id, (host, int(port)))):
        for _, data in MALFORMED + MALFORMED_HIDDEN:
            if len(data) >= 6 and data[:2] == CONTROL_V2.to_bytes(2, 'big'):
                data = data[:4] + tunnel_id.to_bytes(2, 'big') + data[6:]
            send(data, destination, source='127.0.0.5')
        send(control(avp(MESSAGE_TYPE, u16(4)) + avp(HOST_NAME, b'x', length=3),
                     tunnel_id=tunnel_id, ns=1, nr=1), destination, source='127.0.0.5')
    time.sleep(0.5)
    assert stack.daemon.alive()
    assert stack.root.prop(pair.initiator, TUNNEL, 'State') == 'established'
    assert stack.root.prop(pair.responder, TUNNEL, 'State') == 'established'


def _listener_socket(port, tries=20):
    """(receive queue bytes, drops) of the unconnected socket bound to 127.0.0.1:port.

    /proc/net/udp is not read atomically: while sockets come and go a line can be
    missed, so it is read again a few times."""
    wanted = f'0100007F:{port:04X}'
    for _ in range(tries):
        with open('/proc/net/udp') as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                if fields[1] == wanted and fields[2] == '00000000:0000':
                    return int(fields[4].split(':')[1], 16), int(fields[-1])
        time.sleep(0.01)
    raise AssertionError(f'no socket bound to 127.0.0.1:{port} in /proc/net/udp')


def test_spoofed_sccrq_flood_keeps_memory_bounded_and_lets_a_peer_in(make_stack):
    target = make_stack('target')
    port = free_port()
    listener = target.root.listen({'Local': f'127.0.0.1:{port}', 'HostName': 'target'})
    # this test watches memory, not the 20,000 objects' signals: no match rule, so the bus
    # drops them at once instead of queueing them for a slow reader
    target.signals.close()
    time.sleep(0.3)
    baseline = target.daemon.rss_kib()
    peak = baseline
    started = time.monotonic()
    sent = 0
    batch = 100
    while sent < FLOOD_COUNT:
        for i in range(sent, min(sent + batch, FLOOD_COUNT)):
            source = f'127.1.{(i // 250) % 250 + 1}.{i % 250 + 2}'
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.bind((source, 0))
                sock.sendto(sccrq(i % 65535 + 1, b'spoofed'), ('127.0.0.1', port))
        sent = min(sent + batch, FLOOD_COUNT)
        # paced by the daemon: the next batch once it has read this one (or 2 s passed),
        # so the datagrams reach it instead of overflowing the socket's buffer
        deadline = time.monotonic() + 2
        while _listener_socket(port)[0] and time.monotonic() < deadline:
            time.sleep(0.005)
        if sent % 1000 == 0:
            assert target.daemon.alive(), f'l2tpbusd died after {sent} SCCRQs'
            peak = max(peak, target.daemon.rss_kib())
        assert time.monotonic() - started < 120, 'the flood took too long to send'
    flood_seconds = time.monotonic() - started
    # the daemon still answers on the bus
    assert target.root.prop(ROOT_PATH, MANAGER, 'DataPlane') == 'null'
    for _ in range(10):
        time.sleep(0.1)
        peak = max(peak, target.daemon.rss_kib())
    statistics = target.root.prop(listener, LISTENER, 'Statistics')
    drops = _listener_socket(port)[1]
    print(f'flood: {sent} SCCRQs in {flood_seconds:.1f} s; RSS {baseline} KiB -> peak {peak} '
          f'KiB; listener {statistics}; kernel drops on the socket {drops}')
    if target.daemon.sanitized:
        print('RSS bound not checked: an AddressSanitizer build holds freed memory back')
    else:
        assert peak - baseline < FLOOD_RSS_GROWTH_LIMIT_KIB, (
            f'RSS grew by {(peak - baseline) // 1024} MiB during the flood')
    assert statistics['accepted'] + statistics['rejected'] + drops >= FLOOD_COUNT - 100, (
        f'SCCRQs unaccounted for: {statistics}, {drops} dropped by the kernel')
    assert drops <= FLOOD_COUNT // 10, f'the flood mostly missed the daemon: {drops} dropped'

    # a legitimate peer, from its own address, gets a tunnel within seconds
    peer = make_stack('peer')
    started = time.monotonic()
    tunnel = peer.root.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.2',
                                      'HostName': 'legitimate'})
    peer.wait_state(tunnel, TUNNEL, 'established', timeout=10)
    elapsed = time.monotonic() - started
    print(f'legitimate tunnel established {elapsed:.2f} s after the flood')
    assert any(target.root.prop(t, TUNNEL, 'PeerHostName') == 'legitimate'
               and target.root.prop(t, TUNNEL, 'State') == 'established'
               for t in target.root.prop(listener, LISTENER, 'Tunnels'))
