"""L2TPv3 Ethernet pseudowires through l2tpbusd's kernel data plane.

Two daemons (or a daemon and `ip l2tp`) in two network namespaces joined by a
veth pair; frames cross the l2tpeth devices the daemons create. Runs in the
VM: meson test --suite vm, or
tests/vm/run-in-vm -- /usr/bin/python3 -m pytest -q tests/vm/test_eth.py
"""

import re
import time

import pytest

from vmtest import MANAGER, ROOT_PATH, SESSION, TUNNEL, wait_until

INNER = ('192.168.77.1', '192.168.77.2')
INNER6 = ('fd77::1', 'fd77::2')


def outer(link, family):
    return (link.a4, link.b4) if family == 'ipv4' else (link.a6, link.b6)


def address(host, port, family):
    if family == 'ipv6':
        return f'[{host}]:{port}' if port else host
    return f'{host}:{port}' if port else host


def kernel_tunnels(host):
    return host.run('ip', 'l2tp', 'show', 'tunnel').stdout


def kernel_sessions(host):
    return host.run('ip', 'l2tp', 'show', 'session').stdout


def daemon(make_daemon, host, tmp_path, **kwargs):
    """l2tpbusd in host, with a state directory of its own (two share a VM)."""
    state = tmp_path / f'state-{host.netns}'
    extra = ['--state-dir', str(state)] + list(kwargs.pop('extra_args', ()))
    return make_daemon(host, extra_args=extra, **kwargs)


def static_tunnel_options(local, peer, tid, peer_tid, encap='udp', family='ipv4', port=1701):
    p = port if encap == 'udp' else 0
    return {'Mode': 'static', 'Version': 3, 'Encapsulation': encap,
            'Local': address(local, p, family), 'Peer': address(peer, p, family),
            'TunnelId': tid, 'PeerTunnelId': peer_tid}


def eth_session_options(sid, peer_sid, name, cookie=b'', peer_cookie=b'', l2ss='default',
                        **more):
    values = {'Pseudowire': 'eth', 'SessionId': sid, 'PeerSessionId': peer_sid,
              'InterfaceName': name, 'L2SpecificSublayer': l2ss}
    if cookie:
        values['Cookie'] = cookie
    if peer_cookie:
        values['PeerCookie'] = peer_cookie
    values.update(more)
    return values


def configure_inner(host, ifname, index, ipv6=False):
    host.ip('addr', 'add', f'{INNER[index]}/24', 'dev', ifname)
    if ipv6:
        host.ip('addr', 'add', f'{INNER6[index]}/64', 'dev', ifname, 'nodad')


def static_pair(network, make_daemon, tmp_path, encap='udp', family='ipv4',
                cookies=(b'', b''), peer_cookies=(b'', b''), names=('pwa', 'pwb')):
    """Two daemons, each with one static tunnel and one Ethernet session."""
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    local = outer(link, family)
    stacks, sessions = [], []
    for index, host in enumerate((a, b)):
        stack = daemon(make_daemon, host, tmp_path)
        tid, peer_tid = (100, 200) if index == 0 else (200, 100)
        sid, peer_sid = (1000, 2000) if index == 0 else (2000, 1000)
        tunnel = stack.root.create_tunnel(static_tunnel_options(
            local[index], local[1 - index], tid, peer_tid, encap, family))
        session = stack.root.create_session(tunnel, eth_session_options(
            sid, peer_sid, names[index], cookies[index], peer_cookies[index]))
        stack.wait_state(session, SESSION, 'established')
        assert stack.root.prop(session, SESSION, 'InterfaceName') == names[index]
        configure_inner(host, names[index], index, ipv6=True)
        stacks.append(stack)
        sessions.append(session)
    return a, b, stacks, sessions


def statistics(stack, session):
    return dict(stack.root.prop(session, SESSION, 'Statistics'))


def test_data_plane_is_the_kernel(network, make_daemon, tmp_path):
    stack = daemon(make_daemon, network.host('a'), tmp_path)
    assert stack.root.prop(ROOT_PATH, MANAGER, 'DataPlane') == 'kernel'
    features = stack.root.prop(ROOT_PATH, MANAGER, 'Features')
    for feature in ('l2tpv3', 'udp', 'ip', 'ipv6', 'eth', 'ppp'):
        assert feature in features, features


@pytest.mark.parametrize('encap', ['udp', 'ip'])
@pytest.mark.parametrize('family', ['ipv4', 'ipv6'])
def test_static_ethernet_between_two_daemons(network, make_daemon, tmp_path, encap, family):
    a, b, stacks, sessions = static_pair(network, make_daemon, tmp_path, encap, family)
    a.wait_ping(INNER[1])
    a.ping(INNER6[1])
    # Larger than the device's MTU: fragmented inside, carried, reassembled.
    a.run('ping', '-n', '-c', '2', '-W', '2', '-s', '1600', INNER[1])
    shown = kernel_tunnels(a)
    assert re.search(rf'encap(sulation)? {encap.upper()}', shown), shown


def test_statistics_deltas_agree(network, make_daemon, tmp_path):
    a, b, stacks, sessions = static_pair(network, make_daemon, tmp_path)
    a.wait_ping(INNER[1])
    time.sleep(1)
    before = [statistics(s, p) for s, p in zip(stacks, sessions)]
    a.run('ping', '-n', '-q', '-c', '20', '-i', '0.05', '-W', '2', INNER[1])
    time.sleep(1)
    after = [statistics(s, p) for s, p in zip(stacks, sessions)]
    delta = [{k: after[i][k] - before[i][k] for k in after[i]} for i in (0, 1)]
    assert delta[0]['tx-packets'] >= 20 and delta[1]['rx-packets'] >= 20, delta
    assert delta[0]['tx-packets'] == delta[1]['rx-packets'], delta
    assert delta[1]['tx-packets'] == delta[0]['rx-packets'], delta
    assert delta[0]['tx-bytes'] == delta[1]['rx-bytes'], delta
    assert delta[0]['rx-errors'] == 0 and delta[1]['rx-errors'] == 0, delta
    # The tunnel sums its sessions.
    tunnel = stacks[0].root.prop(sessions[0].rsplit('/session/', 1)[0], TUNNEL, 'Statistics')
    assert dict(tunnel)['tx-packets'] == after[0]['tx-packets']


@pytest.mark.parametrize('size', [4, 8])
def test_cookies_of_4_and_8_bytes(network, make_daemon, tmp_path, size):
    x, y = bytes(range(1, size + 1)), bytes(range(101, 101 + size))
    # a sends x and expects y; b sends y and expects x
    a, b, stacks, sessions = static_pair(network, make_daemon, tmp_path,
                                         cookies=(y, x), peer_cookies=(x, y))
    a.wait_ping(INNER[1])
    shown = kernel_sessions(a)
    assert 'cookie' in shown, shown


def test_cookie_mismatch_carries_nothing(network, make_daemon, tmp_path):
    x, y, wrong = b'\x01\x02\x03\x04', b'\x05\x06\x07\x08', b'\x09\x09\x09\x09'
    a, b, stacks, sessions = static_pair(network, make_daemon, tmp_path,
                                         cookies=(y, wrong), peer_cookies=(x, y))
    before = statistics(stacks[1], sessions[1])
    result = a.ping(INNER[1], count=3, wait=1, check=False)
    assert result.returncode != 0, result.stdout
    after = statistics(stacks[1], sessions[1])
    assert after['rx-packets'] == before['rx-packets'], (before, after)


@pytest.mark.parametrize('l2ss', ['default', 'none'])
def test_static_against_ip_l2tp(network, make_daemon, tmp_path, l2ss):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    stack = daemon(make_daemon, a, tmp_path)
    tunnel = stack.root.create_tunnel(static_tunnel_options(link.a4, link.b4, 100, 200))
    session = stack.root.create_session(tunnel, eth_session_options(
        1000, 2000, 'pwa', cookie=b'\xaa\xbb\xcc\xdd', peer_cookie=b'\x11\x22\x33\x44\x55\x66\x77\x88',
        l2ss=l2ss))
    stack.wait_state(session, SESSION, 'established')
    b.ip('l2tp', 'add', 'tunnel', 'tunnel_id', '200', 'peer_tunnel_id', '100', 'encap', 'udp',
         'local', link.b4, 'remote', link.a4, 'udp_sport', '1701', 'udp_dport', '1701')
    # iproute2's cookie is what it sends, peer_cookie what it expects
    b.ip('l2tp', 'add', 'session', 'name', 'pwb', 'tunnel_id', '200', 'session_id', '2000',
         'peer_session_id', '1000', 'cookie', 'aabbccdd', 'peer_cookie', '1122334455667788',
         'l2spec_type', l2ss)
    b.ip('link', 'set', 'pwb', 'up')
    configure_inner(a, 'pwa', 0)
    configure_inner(b, 'pwb', 1)
    a.wait_ping(INNER[1])
    b.ping(INNER[0])


def test_dynamic_ethernet(network, make_daemon, tmp_path):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    lac = daemon(make_daemon, a, tmp_path)
    lns = daemon(make_daemon, b, tmp_path)
    lns.root.listen({'Local': f'{link.b4}:1701', 'Version': 3, 'Pseudowires': ['eth']})
    tunnel = lac.root.create_tunnel({'Version': 3, 'Peer': f'{link.b4}:1701'})
    lac.wait_state(tunnel, TUNNEL, 'established')
    session = lac.root.create_session(tunnel, {'Pseudowire': 'eth', 'InterfaceName': 'pwa',
                                               'Cookie': b'\x01\x02\x03\x04'})
    lac.wait_state(session, SESSION, 'established')
    peer = wait_until(lambda: lns.sessions(), 10, 'the LNS session')[0]
    lns.wait_state(peer, SESSION, 'established')
    peer_if = lns.root.prop(peer, SESSION, 'InterfaceName')
    assert peer_if, 'the accepted session has no interface name'
    configure_inner(a, 'pwa', 0)
    configure_inner(b, peer_if, 1)
    a.wait_ping(INNER[1])
    a.run('ping', '-n', '-c', '2', '-W', '2', '-s', '1600', INNER[1])

    lac.root.close(tunnel, TUNNEL)
    wait_until(lambda: not lac.tunnels(), 10, 'the LAC tunnel to go')
    wait_until(lambda: 'Tunnel' not in kernel_tunnels(a), 10, 'no kernel tunnel on a')
    wait_until(lambda: 'Tunnel' not in kernel_tunnels(b), 15, 'no kernel tunnel on b')
    assert 'pwa' not in a.links()


STATIC_FILE = """\
[Tunnel]
Mode=static
Version=3
Encapsulation=udp
Local={local}:{port}
Peer={peer}:{port}
TunnelId={tid}
PeerTunnelId={peer_tid}

[Session one]
Pseudowire=eth
SessionId={sid}
PeerSessionId={peer_sid}
InterfaceName={name}
"""


def test_sigkill_and_restart_adopts_and_close_leaves_nothing(network, make_daemon, tmp_path):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    files_a = {'site.tunnel': STATIC_FILE.format(local=link.a4, peer=link.b4, tid=100,
                                                 peer_tid=200, sid=1000, peer_sid=2000,
                                                 name='pwa', port=1701)}
    # a second static tunnel to the same peer needs other ports: the kernel
    # tells UDP tunnels apart by their sockets' addresses
    gone_a = {'gone.tunnel': STATIC_FILE.format(local=link.a4, peer=link.b4, tid=300,
                                                peer_tid=400, sid=3000, peer_sid=4000,
                                                name='pwgone', port=1702)}
    files_b = {'site.tunnel': STATIC_FILE.format(local=link.b4, peer=link.a4, tid=200,
                                                 peer_tid=100, sid=2000, peer_sid=1000,
                                                 name='pwb', port=1701)}
    first = daemon(make_daemon, a, tmp_path, files={**files_a, **gone_a})
    daemon(make_daemon, b, tmp_path, files=files_b)
    wait_until(lambda: 'pwa' in a.links() and 'pwgone' in a.links(), 10, 'pwa and pwgone')
    wait_until(lambda: 'pwb' in b.links(), 10, 'pwb')
    configure_inner(a, 'pwa', 0)
    configure_inner(b, 'pwb', 1)
    a.wait_ping(INNER[1])

    first.daemon.kill()
    assert 'Tunnel 100' in kernel_tunnels(a)   # static: it outlives the daemon
    a.ping(INNER[1])

    # The restarted daemon's config creates tunnel 100 again, no longer 300.
    second = daemon(make_daemon, a, tmp_path, files=files_a)
    tunnel = '/org/l2tpbus1/tunnel/100'
    second.wait_state(tunnel, TUNNEL, 'established')
    session = wait_until(lambda: second.sessions(), 10, 'the session')[0]
    second.wait_state(session, SESSION, 'established')
    wait_until(lambda: 'Tunnel 300' not in kernel_tunnels(a), 10, 'tunnel 300 deleted')
    shown = kernel_tunnels(a)
    assert shown.count('Tunnel 100') == 1, shown
    assert 'pwgone' not in a.links()
    # adopted, not recreated: the inner address is still on the device
    assert INNER[0] in a.ip('addr', 'show', 'dev', 'pwa').stdout
    a.ping(INNER[1])

    second.root.close(tunnel, TUNNEL)
    wait_until(lambda: 'Tunnel' not in kernel_tunnels(a), 10, 'no kernel tunnel')
    wait_until(lambda: 'pwa' not in a.links(), 10, 'pwa gone')
    assert kernel_sessions(a).strip() == ''


def test_sigkill_ends_managed_tunnels_with_their_sockets(network, make_daemon, tmp_path):
    """Dynamic tunnels live on the daemon's sockets: nothing is left to reconcile."""
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    lac = daemon(make_daemon, a, tmp_path)
    lns = daemon(make_daemon, b, tmp_path)
    lns.root.listen({'Local': f'{link.b4}:1701', 'Version': 3, 'Pseudowires': ['eth']})
    tunnel = lac.root.create_tunnel({'Version': 3, 'Peer': f'{link.b4}:1701'})
    session = lac.root.create_session(tunnel, {'Pseudowire': 'eth', 'InterfaceName': 'pwa'})
    lac.wait_state(session, SESSION, 'established')
    assert 'Tunnel' in kernel_tunnels(a)
    lac.daemon.kill()
    wait_until(lambda: 'Tunnel' not in kernel_tunnels(a), 10, 'the kernel tunnel to end')
    wait_until(lambda: 'pwa' not in a.links(), 10, 'pwa to go')


@pytest.mark.parametrize('family', ['ipv4', 'ipv6'])
def test_dynamic_ethernet_over_ip(network, make_daemon, tmp_path, family):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    local, peer = outer(link, family)
    lac = daemon(make_daemon, a, tmp_path)
    lns = daemon(make_daemon, b, tmp_path)
    lns.root.listen({'Local': address(peer, 0, family), 'Version': 3, 'Encapsulation': 'ip',
                     'Pseudowires': ['eth']})
    tunnel = lac.root.create_tunnel({'Version': 3, 'Encapsulation': 'ip',
                                     'Peer': address(peer, 0, family)})
    session = lac.root.create_session(tunnel, {'Pseudowire': 'eth', 'InterfaceName': 'pwa',
                                               'Cookie': bytes(8), 'PeerCookie': b'\x42' * 8})
    lac.wait_state(session, SESSION, 'established')
    peer_session = wait_until(lambda: lns.sessions(), 10, 'the LNS session')[0]
    lns.wait_state(peer_session, SESSION, 'established')
    configure_inner(a, 'pwa', 0)
    configure_inner(b, lns.root.prop(peer_session, SESSION, 'InterfaceName'), 1)
    a.wait_ping(INNER[1])
    assert 'encap IP' in kernel_tunnels(a), kernel_tunnels(a)


def test_mtu_zero_udp_checksums_and_a_name_reused_at_once(network, make_daemon, tmp_path):
    """Mtu reaches the device; IPv6 UdpChecksum=false asks for zero checksums;
    a session closed and created again under its name right away waits out
    the kernel's deferred removal of the old device."""
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    stacks, sessions, tunnels = [], [], []
    for index, host in enumerate((a, b)):
        stack = daemon(make_daemon, host, tmp_path)
        ends = outer(link, 'ipv6')
        tid, peer_tid = (100, 200) if index == 0 else (200, 100)
        options = static_tunnel_options(ends[index], ends[1 - index], tid, peer_tid,
                                        family='ipv6')
        options['UdpChecksum'] = False
        tunnel = stack.root.create_tunnel(options)
        sid, peer_sid = (1000, 2000) if index == 0 else (2000, 1000)
        session = stack.root.create_session(tunnel, eth_session_options(
            sid, peer_sid, f'pw{"ab"[index]}', Mtu=1400))
        stack.wait_state(session, SESSION, 'established')
        stacks.append(stack)
        sessions.append(session)
        tunnels.append(tunnel)
    assert 'mtu 1400' in a.ip('link', 'show', 'pwa').stdout
    shown = kernel_tunnels(a)
    assert 'checksum' not in shown.lower() or 'enabled' not in shown.lower(), shown
    configure_inner(a, 'pwa', 0)
    configure_inner(b, 'pwb', 1)
    a.wait_ping(INNER[1])

    stacks[0].root.close(sessions[0], SESSION)
    again = stacks[0].root.create_session(tunnels[0], eth_session_options(
        1001, 2000, 'pwa', Mtu=1400))
    stacks[0].wait_state(again, SESSION, 'established')
    assert stacks[0].root.prop(again, SESSION, 'InterfaceName') == 'pwa'
