"""Two l2tpbusd on two private buses, over loopback: the LNS listens on
127.0.0.1:<port>, the LAC creates a tunnel from 127.0.0.2 to it. L2TPv2 and
L2TPv3, with and without a shared secret and hidden AVPs, PPP and Ethernet
pseudowires (null data plane: a call is established when ICCN is exchanged),
closed from either side.
"""

import socket
import time

import pytest

from conftest import (
    LISTENER, SESSION, TUNNEL, TUNNEL_STATISTICS, assert_removed_cleanly, establish, free_port,
    l2tpip_available, open_call, wait_until)

SECRET = b'two daemons share this'

CASES = [
    # id, version, secret, hide AVPs, pseudowire
    ('v2', 2, None, False, 'ppp'),
    ('v2-secret', 2, SECRET, False, 'ppp'),
    ('v2-secret-hidden', 2, SECRET, True, 'ppp'),
    ('v3-eth', 3, None, False, 'eth'),
    ('v3-ppp', 3, None, False, 'ppp'),
    ('v3-digest', 3, SECRET, False, 'eth'),
    ('v3-digest-hidden', 3, SECRET, True, 'eth'),
]


def security(secret, hide):
    values = {}
    if secret is not None:
        values['Secret'] = secret
    if hide:
        values['HideAvps'] = True
    return values


@pytest.fixture
def lac_lns(make_stack):
    return make_stack('lac'), make_stack('lns')


@pytest.mark.parametrize('version,secret,hide,pseudowire', [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_tunnel_and_session_come_up_and_go(lac_lns, version, secret, hide, pseudowire):
    lac, lns = lac_lns
    pair = establish(lac, lns, version=version, lac_options=security(secret, hide),
                     listener_options={**security(secret, hide), 'Pseudowires': [pseudowire]})
    initiator = lac.root.props(pair.initiator, TUNNEL)
    responder = lns.root.props(pair.responder, TUNNEL)
    assert initiator['Role'] == 'initiator' and responder['Role'] == 'responder'
    assert initiator['Version'] == responder['Version'] == version
    assert initiator['PeerTunnelId'] == responder['TunnelId']
    assert responder['PeerTunnelId'] == initiator['TunnelId']
    assert initiator['PeerHostName'] == 'lns-host'
    assert responder['PeerHostName'] == 'lac-host'
    assert initiator['PeerVendorName'] and responder['PeerVendorName']
    assert initiator['Peer'] == responder['Local'] == f'127.0.0.1:{pair.port}'
    assert responder['Peer'] == initiator['Local']
    assert responder['Owner'] == 0
    assert lns.root.prop(pair.listener, LISTENER, 'Tunnels') == [pair.responder]
    assert lns.root.prop(pair.listener, LISTENER, 'Statistics')['accepted'] == 1
    for stats in (initiator['Statistics'], responder['Statistics']):
        assert TUNNEL_STATISTICS <= set(stats)
        assert stats['control-tx'] >= 1 and stats['control-rx'] >= 1, stats

    session, remote = open_call(lac, lns, pair, {'Pseudowire': pseudowire})
    here = lac.root.props(session, SESSION)
    there = lns.root.props(remote, SESSION)
    assert here['Pseudowire'] == there['Pseudowire'] == pseudowire
    assert here['PeerSessionId'] == there['SessionId']
    assert there['PeerSessionId'] == here['SessionId']
    if version == 2:
        assert here['SessionId'] <= 65535 and there['SessionId'] <= 65535

    lac.root.close(session, SESSION)
    assert assert_removed_cleanly(lac.signals, session, SESSION)[0] == 3
    assert assert_removed_cleanly(lns.signals, remote, SESSION)[0] == 3
    lac.root.close(pair.initiator, TUNNEL)
    assert assert_removed_cleanly(lac.signals, pair.initiator, TUNNEL)[0] == 1
    assert assert_removed_cleanly(lns.signals, pair.responder, TUNNEL)[0] == 1
    assert lac.tunnels() == [] and lns.tunnels() == []
    lns.wait_prop(pair.listener, LISTENER, 'Tunnels', [])


@pytest.mark.parametrize('version,pseudowire', [(2, 'ppp'), (3, 'eth')], ids=['v2', 'v3'])
@pytest.mark.parametrize('closer', ['lac', 'lns'])
@pytest.mark.parametrize('what', ['session', 'tunnel'])
def test_close_from_either_side(lac_lns, version, pseudowire, closer, what):
    lac, lns = lac_lns
    pair = establish(lac, lns, version=version,
                     listener_options={'Pseudowires': [pseudowire]})
    session, remote = open_call(lac, lns, pair, {'Pseudowire': pseudowire})
    sides = {'lac': (lac, pair.initiator, session), 'lns': (lns, pair.responder, remote)}
    closing, closing_tunnel, closing_session = sides[closer]
    other, other_tunnel, other_session = sides['lns' if closer == 'lac' else 'lac']

    if what == 'session':
        closing.root.close(closing_session, SESSION)
        assert assert_removed_cleanly(closing.signals, closing_session, SESSION)[0] == 3
        assert assert_removed_cleanly(other.signals, other_session, SESSION)[0] == 3
        # the tunnels stay
        time.sleep(0.3)
        assert closing.root.prop(closing_tunnel, TUNNEL, 'State') == 'established'
        assert other.root.prop(other_tunnel, TUNNEL, 'State') == 'established'
        assert closing.root.prop(closing_tunnel, TUNNEL, 'Sessions') == []
        other.wait_prop(other_tunnel, TUNNEL, 'Sessions', [])
    else:
        closing.root.close(closing_tunnel, TUNNEL)
        for stack, tunnel, child in ((closing, closing_tunnel, closing_session),
                                     (other, other_tunnel, other_session)):
            assert_removed_cleanly(stack.signals, child, SESSION)
            assert assert_removed_cleanly(stack.signals, tunnel, TUNNEL)[0] == 1
            assert stack.tunnels() == [] and stack.sessions() == []


def test_wrong_v2_secret_is_refused(lac_lns):
    lac, lns = lac_lns
    port = free_port()
    listener = lns.root.listen({'Local': f'127.0.0.1:{port}', 'Secret': b'the right one'})
    tunnel = lac.root.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.2',
                                     'Secret': b'a wrong one'})
    result = assert_removed_cleanly(lac.signals, tunnel, TUNNEL, timeout=15)
    assert result[0] == 4, f'LastResult after a failed challenge: {result}'
    assert 'established' not in lac.signals.states(tunnel, TUNNEL)
    lns.wait_prop(listener, LISTENER, 'Tunnels', [], timeout=15)
    for path in lns.signals.added(TUNNEL):
        assert 'established' not in lns.signals.states(path, TUNNEL)


def test_v2_secret_on_the_listener_only_is_refused(lac_lns):
    lac, lns = lac_lns
    port = free_port()
    lns.root.listen({'Local': f'127.0.0.1:{port}', 'Secret': b'only the LNS knows'})
    tunnel = lac.root.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.2',
                                     'RetransmitTimeout': 200, 'MaxRetransmitTimeout': 400,
                                     'MaxRetransmits': 3})
    result = assert_removed_cleanly(lac.signals, tunnel, TUNNEL, timeout=15)
    assert result[0] == 4, f'LastResult: {result}'
    assert 'established' not in lac.signals.states(tunnel, TUNNEL)


def test_wrong_v3_digest_secret_never_establishes(lac_lns):
    lac, lns = lac_lns
    port = free_port()
    lns.root.listen({'Local': f'127.0.0.1:{port}', 'Version': 3, 'Secret': b'the right one',
                     'Pseudowires': ['eth']})
    tunnel = lac.root.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.2',
                                     'Version': 3, 'Secret': b'a wrong one',
                                     'RetransmitTimeout': 200, 'MaxRetransmitTimeout': 400,
                                     'MaxRetransmits': 3})
    result = assert_removed_cleanly(lac.signals, tunnel, TUNNEL, timeout=15)
    assert result[0] in (2, 4), f'LastResult: {result}'
    assert 'established' not in lac.signals.states(tunnel, TUNNEL)
    for path in lns.signals.added(TUNNEL):
        assert 'established' not in lns.signals.states(path, TUNNEL)


def test_hellos_keep_an_idle_tunnel(lac_lns):
    lac, lns = lac_lns
    pair = establish(lac, lns, lac_options={'HelloInterval': 1})
    assert lac.root.prop(pair.initiator, TUNNEL, 'HelloInterval') == 1
    wait_until(lambda: lac.root.prop(pair.initiator, TUNNEL, 'Statistics')['hello-tx'] >= 2, 6,
               'two HELLOs sent')
    assert lac.root.prop(pair.initiator, TUNNEL, 'State') == 'established'
    assert lns.root.prop(pair.responder, TUNNEL, 'State') == 'established'


def test_a_vanished_peer_ends_the_tunnel(lac_lns):
    lac, lns = lac_lns
    pair = establish(lac, lns, lac_options={'HelloInterval': 1, 'RetransmitTimeout': 200,
                                            'MaxRetransmitTimeout': 400, 'MaxRetransmits': 3})
    lns.daemon.kill()
    result = assert_removed_cleanly(lac.signals, pair.initiator, TUNNEL, timeout=15)
    assert result[0] == 2, f'LastResult after the peer vanished: {result}'


@pytest.mark.skipif(not l2tpip_available(),
                    reason='the kernel refuses IPPROTO_L2TP (115) sockets: l2tp_ip is missing '
                           'on this machine; tests/vm covers L2TPIP')
@pytest.mark.parametrize('secret', [None, SECRET], ids=['plain', 'digest'])
def test_l2tpip_tunnel_and_session(lac_lns, secret):
    lac, lns = lac_lns
    options = {'Encapsulation': 'ip', **security(secret, False)}
    listener = lns.root.listen({'Local': '127.0.0.1', 'Version': 3, 'Pseudowires': ['eth'],
                                'HostName': 'lns-host', **options})
    assert lns.root.prop(listener, LISTENER, 'Encapsulation') == 'ip'
    tunnel = lac.root.create_tunnel({'Peer': '127.0.0.1', 'Local': '127.0.0.2', 'Version': 3,
                                     'HostName': 'lac-host', **options})
    lac.wait_state(tunnel, TUNNEL, 'established')
    assert lac.root.prop(tunnel, TUNNEL, 'Encapsulation') == 'ip'
    responder = wait_until(lambda: lns.root.prop(listener, LISTENER, 'Tunnels'), 10,
                           'the accepted tunnel')[0]
    lns.wait_state(responder, TUNNEL, 'established')
    session = lac.root.create_session(tunnel, {'Pseudowire': 'eth'})
    lac.wait_state(session, SESSION, 'established')
    lns.root.close(responder, TUNNEL)
    assert assert_removed_cleanly(lac.signals, tunnel, TUNNEL)[0] == 1


def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(('::1', 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason='this machine has no IPv6 loopback (::1)')
@pytest.mark.parametrize('version,pseudowire', [(2, 'ppp'), (3, 'eth')], ids=['v2', 'v3'])
def test_ipv6_tunnel_and_session(lac_lns, version, pseudowire):
    lac, lns = lac_lns
    assert 'ipv6' in lns.root.prop('/org/l2tpbus1', 'org.l2tpbus1.Manager', 'Features')
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
        probe.bind(('::1', 0))
        port = probe.getsockname()[1]
    listener = lns.root.listen({'Local': f'[::1]:{port}', 'Version': version,
                                'Pseudowires': [pseudowire], 'HostName': 'lns-host'})
    assert lns.root.prop(listener, LISTENER, 'Local') == f'[::1]:{port}'
    tunnel = lac.root.create_tunnel({'Peer': f'[::1]:{port}', 'Version': version,
                                     'HostName': 'lac-host'})
    lac.wait_state(tunnel, TUNNEL, 'established')
    assert lac.root.prop(tunnel, TUNNEL, 'Peer') == f'[::1]:{port}'
    assert lac.root.prop(tunnel, TUNNEL, 'Local').startswith('[::1]:')
    responder = wait_until(lambda: lns.root.prop(listener, LISTENER, 'Tunnels'), 10,
                           'the accepted tunnel')[0]
    lns.wait_state(responder, TUNNEL, 'established')
    assert lns.root.prop(responder, TUNNEL, 'Peer') == lac.root.prop(tunnel, TUNNEL, 'Local')
    session = lac.root.create_session(tunnel, {'Pseudowire': pseudowire})
    lac.wait_state(session, SESSION, 'established')
    lac.root.close(tunnel, TUNNEL)
    assert assert_removed_cleanly(lac.signals, tunnel, TUNNEL)[0] == 1
    assert assert_removed_cleanly(lns.signals, responder, TUNNEL)[0] == 1


def test_listener_turns_tunnels_away_beyond_max_tunnels(make_stack):
    lac = make_stack('lac')
    lns = make_stack('lns', conf={'MaxTunnels': 1})
    pair = establish(lac, lns)
    second = lac.root.create_tunnel({'Peer': f'127.0.0.1:{pair.port}', 'Local': '127.0.0.2',
                                     'RetransmitTimeout': 200, 'MaxRetransmitTimeout': 400,
                                     'MaxRetransmits': 3})
    assert_removed_cleanly(lac.signals, second, TUNNEL, timeout=15)
    assert 'established' not in lac.signals.states(second, TUNNEL)
    assert lns.tunnels() == [pair.responder]
    statistics = lns.root.prop(pair.listener, LISTENER, 'Statistics')
    # each refused SCCRQ counts, retransmissions too
    assert statistics['accepted'] == 1 and statistics['rejected'] >= 1, statistics
    assert lac.root.prop(pair.initiator, TUNNEL, 'State') == 'established'
