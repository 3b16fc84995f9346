"""What peers and users may take of the daemon (issue 11, items 3 and 4): one
source address cannot fill the tunnel table and lock root out, a listener and
a source address hold a bounded number of established tunnels, and peers'
calls are bounded in number (daemon, listener, uid) and rate, refused with a
CDN "temporarily out of resources" that the listener's Statistics count.

Everything runs on loopback with the null data plane.
"""

import os
import selectors
import socket
import struct
import time

import pytest

from conftest import (
    LIMIT_EXCEEDED, LISTENER, SESSION, TUNNEL, DBusError, assert_error, assert_removed_cleanly,
    establish, free_port, wait_until)
from l2tp_wire import (
    ASSIGNED_TUNNEL_ID, MESSAGE_TYPE, SCCCN, SCCRP, Refused, avp, complete_handshake, control,
    parse, sccrq, u16)

def handshakes(port, count, source='127.0.0.3'):
    """`count` SCCRQs from `source`, one socket each, every SCCRP answered at once with
    an SCCCN and the next SCCRQ sent right after it (unpaced, as a script would).
    Returns (the open sockets, the tunnel ids the SCCRPs assigned, the (result, error)
    of each StopCCN that refused an SCCRQ). An SCCRQ left unanswered fails the test:
    no peer is refused without being told."""
    sockets, assigned, refused = [], [], []
    for i in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((source, 0))
        sockets.append(sock)
        sock.sendto(sccrq(i + 1, b'filler'), ('127.0.0.1', port))
        try:
            assigned.append(complete_handshake(sock, ('127.0.0.1', port), timeout=5.0))
        except Refused as refusal:
            refused.append((refusal.result, refusal.error))
        except socket.timeout:
            raise AssertionError(f'SCCRQ {i + 1} of {count} from {source} went unanswered')
    return sockets, assigned, refused


def windowed_handshakes(port, count, in_flight=4, source='127.0.0.3', timeout=10.0):
    """As a LAC bringing up many tunnels at once: `count` handshakes from `source`,
    `in_flight` of them under way at any time; each SCCRP is answered at once with
    an SCCCN and the next SCCRQ follows that SCCCN. Of one source's tunnels, never
    more than `in_flight` + 1 wait for an SCCCN that was not yet sent. Returns (the
    open sockets, the tunnel ids the SCCRPs assigned)."""
    destination = ('127.0.0.1', port)
    selector = selectors.DefaultSelector()
    sockets, assigned = [], []

    def start(index):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((source, 0))
        sock.setblocking(False)
        sockets.append(sock)
        selector.register(sock, selectors.EVENT_READ)
        sock.sendto(sccrq(index + 1, b'windowed'), destination)

    started = 0
    while started < min(in_flight, count):
        start(started)
        started += 1
    deadline = time.monotonic() + timeout
    while len(assigned) < count and time.monotonic() < deadline:
        for key, _ in selector.select(0.1):
            sock = key.fileobj
            data = sock.recv(4096)
            header, avps = parse(data)
            types = {a: v for vendor, a, v in avps if vendor == 0}
            if types.get(MESSAGE_TYPE) != u16(SCCRP):
                continue
            selector.unregister(sock)
            tunnel_id = struct.unpack('!H', types[ASSIGNED_TUNNEL_ID])[0]
            sock.sendto(control(avp(MESSAGE_TYPE, u16(SCCCN)), tunnel_id=tunnel_id, ns=1,
                                nr=header['ns'] + 1), destination)
            assigned.append(tunnel_id)
            if started < count:
                start(started)
                started += 1
    selector.close()
    return sockets, assigned


def established_at(stack, listener):
    return [t for t in stack.root.prop(listener, LISTENER, 'Tunnels')
            if stack.root.prop(t, TUNNEL, 'State') == 'established']


def wait_established(stack, listener, count, what):
    """Waits until `count` tunnels of the listener are established, and checks that
    no more follow."""
    try:
        wait_until(lambda: len(established_at(stack, listener)) >= count, 10, what)
    except AssertionError:
        tunnels = stack.root.prop(listener, LISTENER, 'Tunnels')
        raise AssertionError(f'{what}: {len(established_at(stack, listener))} of {count} '
                             f'established; Tunnels {len(tunnels)}') from None
    time.sleep(0.3)
    assert len(established_at(stack, listener)) == count, what


def open_sockets(stack):
    """The sockets the daemon holds (a measurement from outside, not a privilege decision)."""
    fd_dir = f'/proc/{stack.daemon.process.pid}/fd'
    return sum(1 for fd in os.listdir(fd_dir)
               if os.readlink(os.path.join(fd_dir, fd)).startswith('socket:'))


def close_all(sockets):
    for sock in sockets:
        sock.close()


def test_one_source_cannot_fill_the_table_and_root_still_creates(make_stack, silent_peer):
    # The reproduction: MaxTunnels=40, a listener without Secret, one
    # source address completing handshakes as fast as it can.
    stack = make_stack(conf={'MaxTunnels': 40})
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}'})
    sockets, assigned, refused = handshakes(port, 40)
    try:
        # The listener's default bound is half of MaxTunnels. An SCCRQ past it
        # is answered with a StopCCN "insufficient resources"; one that came
        # while the last SCCCNs were on their way is refused at its own SCCCN.
        assert len(assigned) >= 20 and len(assigned) + len(refused) == 40
        assert set(refused) <= {(2, 4)}, refused
        wait_established(stack, listener, 20, 'the accepted handshakes established')
        statistics = stack.root.prop(listener, LISTENER, 'Statistics')
        assert statistics['tunnels-refused'] == 20, statistics
        # Each refusal was answered: none past the refusals a second.
        assert statistics['refusals-unanswered'] == 0, statistics
        assert statistics['tunnels-evicted'] == 0, statistics
        # A refused SCCRQ makes no object on the bus.
        assert len(stack.root.prop(listener, LISTENER, 'Tunnels')) == len(assigned)
        # Root and config files keep their share.
        tunnel = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer})
        assert stack.root.prop(tunnel, TUNNEL, 'State') == 'connecting'
    finally:
        close_all(sockets)


def test_peers_at_the_reserve_hear_stopccn_4_and_root_still_creates(make_stack, silent_peer):
    # MaxTunnels=20 keeps 2 for local creators: peers get 18, whatever the
    # listener's own bounds; the SCCRQs beyond get a StopCCN (2, 4).
    stack = make_stack(conf={'MaxTunnels': 20, 'ReservedLocalTunnels': 2})
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}', 'MaxTunnels': 100,
                                  'MaxTunnelsPerPeer': 100})
    sockets_before = open_sockets(stack)
    sockets, assigned, refused = handshakes(port, 22)
    try:
        assert len(assigned) == 18 and refused == [(2, 4)] * 4, (len(assigned), refused)
        # With the null data plane no accepted or refused tunnel needs a
        # socket of its own: all of them speak through the listener's.
        assert open_sockets(stack) == sockets_before
        wait_established(stack, listener, 18, 'the peers\' share established')
        assert stack.root.prop(listener, LISTENER, 'Statistics')['tunnels-refused'] == 4
        for _ in range(2):
            tunnel = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer})
            assert stack.root.prop(tunnel, TUNNEL, 'State') == 'connecting'
        with pytest.raises(DBusError) as raised:
            stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer})
        assert_error(raised.value, LIMIT_EXCEEDED)
    finally:
        close_all(sockets)


def test_unpaced_handshakes_of_one_source_are_never_evicted_as_half_open(make_stack):
    # Before the fix the listener's socket was read up to 64 datagrams at a
    # time, first in line, while each SCCCN waited in its tunnel's own
    # connected socket: a source that kept a few handshakes under way kept the
    # listener busy and lost its earlier tunnels to the half-open bound (8 per
    # source) although their SCCCNs had come long before.
    stack = make_stack(conf={'MaxTunnels': 400})
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}', 'MaxTunnels': 200,
                                  'MaxTunnelsPerPeer': 200})
    sockets, assigned = windowed_handshakes(port, 120)
    try:
        assert len(assigned) == 120, len(assigned)
        wait_established(stack, listener, 120, 'all 120 handshakes established')
    finally:
        close_all(sockets)


def test_a_source_gets_max_tunnels_per_peer_and_others_still_get_in(make_stack):
    stack = make_stack()
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}', 'MaxTunnelsPerPeer': 3})
    first, assigned, refused = handshakes(port, 5, source='127.0.0.3')
    second, other, _ = handshakes(port, 1, source='127.0.0.4')
    try:
        assert len(assigned) >= 3 and len(other) == 1, (len(assigned), refused, len(other))
        assert len(assigned) + len(refused) == 5 and set(refused) <= {(2, 4)}, refused
        wait_established(stack, listener, 4, 'three from one source, one from another')
        statistics = stack.root.prop(listener, LISTENER, 'Statistics')
        assert statistics['tunnels-refused'] == 2, statistics
    finally:
        close_all(first + second)


def last_result_of_refused(stack, tunnel):
    """Creates a session in `tunnel` whose call the peer refuses: its final LastResult."""
    session = stack.root.create_session(tunnel, {'Pseudowire': 'ppp'})
    result = assert_removed_cleanly(stack.signals, session, SESSION)
    assert 'established' not in stack.signals.states(session, SESSION)
    return tuple(result)


def test_calls_past_the_listener_session_limit_get_cdn_result_4(make_stack):
    lac = make_stack('lac')
    lns = make_stack('lns')
    pair = establish(lac, lns, listener_options={'MaxSessions': 2})
    for _ in range(2):
        session = lac.root.create_session(pair.initiator, {'Pseudowire': 'ppp'})
        lac.wait_state(session, SESSION, 'established')
    result = last_result_of_refused(lac, pair.initiator)
    assert result[0] == 4, result
    assert 'temporarily out of resources' in result[2] and 'MaxSessions' in result[2], result
    statistics = lns.root.prop(pair.listener, LISTENER, 'Statistics')
    assert statistics['calls-refused'] == 1, statistics
    assert len(lns.root.prop(pair.responder, TUNNEL, 'Sessions')) == 2


def test_calls_past_the_daemon_session_limit_get_cdn_result_4(make_stack):
    lac = make_stack('lac')
    lns = make_stack('lns', conf={'MaxSessions': 1})
    pair = establish(lac, lns)
    session = lac.root.create_session(pair.initiator, {'Pseudowire': 'ppp'})
    lac.wait_state(session, SESSION, 'established')
    result = last_result_of_refused(lac, pair.initiator)
    assert result[0] == 4 and 'MaxSessions' in result[2], result
    # nor can root go past it by hand
    with pytest.raises(DBusError) as raised:
        lns.root.create_session(pair.responder, {'Pseudowire': 'ppp'})
    assert_error(raised, LIMIT_EXCEEDED, 'MaxSessions')


def test_calls_past_the_rate_get_cdn_result_4(make_stack):
    lac = make_stack('lac')
    lns = make_stack('lns')
    pair = establish(lac, lns, listener_options={'MaxCallsPerSecond': 1})
    sessions = [lac.root.create_session(pair.initiator, {'Pseudowire': 'ppp'}) for _ in range(2)]
    lac.wait_state(sessions[0], SESSION, 'established')
    lac.signals.wait_removed(sessions[1])
    states = lac.signals.states(sessions[1], SESSION)
    assert 'established' not in states, states
    statistics = lns.root.prop(pair.listener, LISTENER, 'Statistics')
    assert statistics['calls-refused'] == 1, statistics
    assert 'MaxCallsPerSecond' in lns.daemon.log_text()


@pytest.mark.skipif(os.geteuid() != 0, reason='calls as other uids need root (setpriv --reuid)')
def test_per_user_session_limit_counts_the_peers_calls_too(make_stack):
    from test_authorization import ACTION_CREATE
    lac = make_stack('lac', conf={'MaxSessionsPerUser': 1})
    lns = make_stack('lns')
    port = free_port()
    lns.root.listen({'Local': f'127.0.0.1:{port}', 'HostName': 'lns-host'})
    lac.polkit.set_mode(ACTION_CREATE, 'allow')
    user = lac.user()
    tunnel = user.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.2'})
    lac.wait_state(tunnel, TUNNEL, 'established')
    session = user.create_session(tunnel, {'Pseudowire': 'ppp'})
    lac.wait_state(session, SESSION, 'established')
    with pytest.raises(DBusError) as raised:
        user.create_session(tunnel, {'Pseudowire': 'ppp'})
    assert_error(raised, LIMIT_EXCEEDED, 'MaxSessionsPerUser')
    # a call the peer places in the user's tunnel would be the user's session
    responder = lns.tunnels()[0]
    result = last_result_of_refused(lns, responder)
    assert result[0] == 4 and 'MaxSessionsPerUser' in result[2], result
    # root is not bound by it
    lac.root.create_session(tunnel, {'Pseudowire': 'ppp'})
