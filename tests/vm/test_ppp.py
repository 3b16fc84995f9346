"""L2TPv2 PPP sessions through l2tpbusd's kernel data plane and real pppd.

Hosts are network namespaces joined by a veth pair; pppd runs on PPPoL2TP
sockets with pppol2tp.so and our plugin (l2tpbus-pppd.so, from the build
next to the l2tpbusd under test). Our LAC to our LNS, our LAC to an xl2tpd
LNS and an xl2tpd LAC to our LNS, each pinged across; CHAP against pppd's own
/etc/ppp/chap-secrets (the VM's /etc is a writable overlay) and a wrong
password; every way a session ends leaves no pppd, no ppp device and no
kernel session behind. Runs in the VM: meson test --suite vm, or
tests/vm/run-in-vm -- /usr/bin/python3 -m pytest -q tests/vm/test_ppp.py
"""

import os
import pathlib
import signal
import textwrap

import pytest

from vmtest import (LISTENER, SESSION, TUNNEL, in_network_namespace, it, pids_of, wait_until,
                    xl2tpd_lac_config, xl2tpd_lns_config)
# tests/integration's helper for l2tpctl: on the path once vmtest has loaded it.
from ctl_runner import Ctl  # noqa: E402

LNS_ADDRESS = '10.77.0.1'
POOL = ('10.77.0.10', '10.77.0.19')
DNS = ['192.0.2.53', '192.0.2.54']
USER, PASSWORD = 'alice', 'pa ss word "quoted" \\ -x'  # no options file could hold it
CHAP_SECRETS = pathlib.Path('/etc/ppp/chap-secrets')


# ---------------------------------------------------------------------------
# helpers


@pytest.fixture
def chap_secrets():
    """write(text): pppd's chap-secrets for this test, restored afterwards."""
    before = CHAP_SECRETS.read_bytes() if CHAP_SECRETS.exists() else None

    def write(text):
        CHAP_SECRETS.write_text(textwrap.dedent(text))
        os.chmod(CHAP_SECRETS, 0o600)
    yield write
    if before is None:
        CHAP_SECRETS.unlink(missing_ok=True)
    else:
        CHAP_SECRETS.write_bytes(before)


def netns_inode(host):
    return os.stat(f'/run/netns/{host.netns}').st_ino


def pppd_pids(host):
    """pppd processes in host's namespace (ours or xl2tpd's)."""
    return pids_of('pppd', in_network_namespace(netns_inode(host)))


def pppd_command_lines(host):
    lines = []
    for pid in pppd_pids(host):
        try:
            lines.append(pathlib.Path(f'/proc/{pid}/cmdline').read_bytes().split(b'\0'))
        except OSError:
            pass
    return lines


def ppp_devices(host):
    return [line.split(':')[1].strip().split('@')[0]
            for line in host.ip('-o', 'link', 'show', 'type', 'ppp').stdout.splitlines()]


def kernel_sessions(host):
    return host.run('ip', 'l2tp', 'show', 'session').stdout.strip()


def assert_nothing_left(*hosts, timeout=10.0):
    """No pppd, no ppp device and no kernel L2TP session in any of hosts."""
    def clean():
        return all(not pppd_pids(h) and not ppp_devices(h) and not kernel_sessions(h)
                   for h in hosts)
    try:
        wait_until(clean, timeout, 'pppd, ppp devices and kernel sessions to go')
    except AssertionError:
        state = {h.netns: (pppd_pids(h), ppp_devices(h), kernel_sessions(h)) for h in hosts}
        raise AssertionError(f'left behind (pppd pids, ppp devices, kernel sessions): {state}')


def ip4(stack, session):
    return dict(stack.root.prop(session, SESSION, 'Ip4Config'))


def lns_listener_options(port, require_authentication=False, local='0.0.0.0'):
    return {'Local': f'{local}:{port}', 'HostName': 'l2tpbus-lns',
            'PppLocalAddress': LNS_ADDRESS, 'PppAddressPool': f'{POOL[0]}-{POOL[1]}',
            'PppDns': DNS, 'PppRequireAuthentication': require_authentication}


def in_pool(address):
    last = int(address.rsplit('.', 1)[1])
    return address.startswith('10.77.0.') and 10 <= last <= 19


def our_pair(network, daemon, require_authentication=False):
    """Our LAC in a, our LNS in b, the tunnel established; (a, b, lac, lns, link, tunnel)."""
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    lac, lns = daemon(a), daemon(b)
    lns.root.listen(lns_listener_options(1701, require_authentication, link.b4))
    tunnel = lac.root.create_tunnel({'Peer': f'{link.b4}:1701', 'Local': link.a4,
                                     'HostName': 'l2tpbus-lac'})
    lac.wait_state(tunnel, TUNNEL, 'established', 20)
    return a, b, lac, lns, link, tunnel


def accepted_session(lns, timeout=20.0):
    return wait_until(lambda: lns.signals.added(SESSION), timeout, 'the call at our LNS')[0]


def last_result(stack, path, timeout=30.0):
    return tuple(it.assert_removed_cleanly(stack.signals, path, SESSION, timeout))


def assert_l2tpctl_shows(stack, session, interface, addresses):
    """l2tpctl's overview and details name the kernel session's interface and
    PPP addresses, and count its traffic."""
    parts = session.split('/')
    name = f'{parts[4]}/{parts[6]}'
    ctl = Ctl(stack)
    overview = ctl('status')
    assert overview.code == 0, overview.err
    row = next(line for line in overview.lines() if line.startswith(name + ' '))
    for word in ('established', interface, addresses['address'], addresses['peer']):
        assert word in row, (word, overview.out)
    details = ctl('status', name)
    assert f"Interface: {interface}" in details.out, details.out
    assert f"IPv4: {addresses['address']}/32 peer {addresses['peer']}" in details.out, details.out
    as_json = ctl('--json', 'status', name).json()
    assert as_json['Statistics']['rx-packets'] > 0 and as_json['Statistics']['tx-packets'] > 0


# ---------------------------------------------------------------------------
# our LAC, our LNS


def test_our_lac_to_our_lns(network, daemon):
    a, b, lac, lns, link, tunnel = our_pair(network, daemon)
    session = lac.root.create_session(tunnel, {'Pseudowire': 'ppp', 'User': USER,
                                               'Password': PASSWORD, 'Ipv6': True,
                                               'UsePeerDns': True})
    lac.wait_state(session, SESSION, 'established', 30)
    served = accepted_session(lns)
    lns.wait_state(served, SESSION, 'established', 30)

    ours, theirs = ip4(lac, session), ip4(lns, served)
    assert in_pool(ours['address']), ours
    assert ours['peer'] == LNS_ADDRESS, ours
    assert ours['prefix'] == 32
    assert ours['dns'] == DNS, ours
    assert ours['mtu'] > 0
    assert theirs['address'] == LNS_ADDRESS and theirs['peer'] == ours['address'], theirs
    interface = lac.root.prop(session, SESSION, 'InterfaceName')
    assert interface in ppp_devices(a), (interface, ppp_devices(a))

    a.wait_ping(LNS_ADDRESS)
    b.wait_ping(ours['address'])
    assert_l2tpctl_shows(lac, session, interface, ours)
    # IPV6CP (Ipv6 on the LAC, accepted by the LNS): link-local addresses of
    # the negotiated interface ids, both ways, and usable.
    wait_until(lambda: dict(lac.root.prop(session, SESSION, 'Ip6Config'))
               and dict(lns.root.prop(served, SESSION, 'Ip6Config')), 15, 'IPV6CP')
    ours6 = dict(lac.root.prop(session, SESSION, 'Ip6Config'))
    theirs6 = dict(lns.root.prop(served, SESSION, 'Ip6Config'))
    assert ours6['address'].startswith('fe80::') and ours6['prefix'] == 64, ours6
    assert theirs6['address'] == ours6['peer'] and theirs6['peer'] == ours6['address'], theirs6
    assert lac.root.prop(session, SESSION, 'Ip6Negotiation') == 'up'
    assert lns.root.prop(served, SESSION, 'Ip6Negotiation') == 'up'
    a.run('ping', '-6', '-c', '1', '-W', '5', f"{ours6['peer']}%{interface}")
    # The password reached pppd through our plugin's socket, never argv.
    for command in pppd_command_lines(a):
        assert not any(b'pa ss' in part for part in command), command

    lac.root.close(session, SESSION)
    assert last_result(lac, session)[:2] == (3, 0)
    last_result(lns, served)
    assert_nothing_left(a, b)
    # Both pppd ended on SIGTERM within the grace period (ip-down scripts ran).
    for stack in (lac, lns):
        wait_until(lambda: 'pppd ended' in stack.daemon.log_text(), 10, 'pppd to end')
        assert 'SIGKILL' not in stack.daemon.log_text()
    assert lac.root.prop(tunnel, TUNNEL, 'State') == 'established'


def test_pool_addresses_are_distinct_and_reused(network, daemon):
    a, b, lac, lns, link, tunnel = our_pair(network, daemon)
    sessions = [lac.root.create_session(tunnel, {'Pseudowire': 'ppp'}) for _ in range(2)]
    for session in sessions:
        lac.wait_state(session, SESSION, 'established', 40)
    first, second = (ip4(lac, s)['address'] for s in sessions)
    assert first != second and in_pool(first) and in_pool(second), (first, second)
    for address in (first, second):
        a.wait_ping(LNS_ADDRESS)
        b.wait_ping(address)
    lac.root.close(sessions[0], SESSION)
    last_result(lac, sessions[0])
    # The address is free again once the LNS has seen that call's pppd end.
    wait_until(lambda: 'pppd ended' in lns.daemon.log_text(), 15,
               'the first call\'s pppd at the LNS to end')
    again = lac.root.create_session(tunnel, {'Pseudowire': 'ppp'})
    lac.wait_state(again, SESSION, 'established', 40)
    assert ip4(lac, again)['address'] == first  # the lowest free address again
    lac.root.close(tunnel, TUNNEL)
    it.assert_removed_cleanly(lac.signals, tunnel, TUNNEL, 20)
    assert_nothing_left(a, b)


def test_chap_against_pppds_secrets_and_a_wrong_password(network, daemon, chap_secrets):
    # Quotes keep the secret's space and pppd's own parser reads them; the
    # newline stays out (pppd's secrets file could not hold it).
    password = 'chap secret'
    chap_secrets(f'{USER} * "{password}" *\n')
    a, b, lac, lns, link, tunnel = our_pair(network, daemon, require_authentication=True)

    good = lac.root.create_session(tunnel, {'Pseudowire': 'ppp', 'User': USER,
                                            'Password': password, 'Authentication': ['chap']})
    lac.wait_state(good, SESSION, 'established', 30)
    a.wait_ping(LNS_ADDRESS)

    bad = lac.root.create_session(tunnel, {'Pseudowire': 'ppp', 'User': USER,
                                           'Password': 'not the password',
                                           'Authentication': ['chap']})
    result = last_result(lac, bad, 60)
    assert result[:2] == (5, 0), result
    assert result[2].startswith('PPP authentication failed: '), result
    # the good session is unaffected
    assert lac.root.prop(good, SESSION, 'State') == 'established'
    a.ping(LNS_ADDRESS)

    unknown = lac.root.create_session(tunnel, {'Pseudowire': 'ppp', 'User': 'mallory',
                                               'Password': password,
                                               'Authentication': ['chap']})
    assert last_result(lac, unknown, 60)[:2] == (5, 0)

    lac.root.close(tunnel, TUNNEL)
    it.assert_removed_cleanly(lac.signals, tunnel, TUNNEL, 20)
    assert_nothing_left(a, b)


def test_peer_teardown_leaves_nothing(network, daemon):
    a, b, lac, lns, link, tunnel = our_pair(network, daemon)
    session = lac.root.create_session(tunnel, {'Pseudowire': 'ppp'})
    lac.wait_state(session, SESSION, 'established', 30)
    served = accepted_session(lns)
    lns.wait_state(served, SESSION, 'established', 30)
    responder = served.rsplit('/session/', 1)[0]

    # The LNS closes the whole tunnel: the LAC hears StopCCN.
    lns.root.close(responder, TUNNEL)
    last_result(lac, session)
    it.assert_removed_cleanly(lac.signals, tunnel, TUNNEL, 20)
    assert_nothing_left(a, b)

    # A pppd that dies is a session that ends, on both sides.
    tunnel = lac.root.create_tunnel({'Peer': f'{link.b4}:1701', 'Local': link.a4})
    lac.wait_state(tunnel, TUNNEL, 'established', 20)
    session = lac.root.create_session(tunnel, {'Pseudowire': 'ppp'})
    lac.wait_state(session, SESSION, 'established', 30)
    for pid in pppd_pids(a):
        os.kill(pid, signal.SIGKILL)
    result = last_result(lac, session)
    assert result[:2] == (2, 6) and 'signal' in result[2], result
    assert_nothing_left(a, b, timeout=20)


def test_pppd_does_not_outlive_a_killed_daemon(network, daemon, tmp_path):
    """Issue 11: SIGKILL of a LAC with a PPP session up must not leave its
    pppd running as root (PR_SET_PDEATHSIG); the record of running pppd in
    the state directory names it while it runs, and the next daemon on that
    directory takes over the record."""
    a, b, lac, lns, link, tunnel = our_pair(network, daemon)
    session = lac.root.create_session(tunnel, {'Pseudowire': 'ppp'})
    lac.wait_state(session, SESSION, 'established', 30)
    # pppd forks for its ip-up script: wait for the child to be gone or exec'd.
    wait_until(lambda: len(pppd_pids(a)) == 1, 10, 'one pppd on the LAC')
    [pppd] = pppd_pids(a)
    state = tmp_path / f'state-{a.netns}'
    tunnel_id, session_id = (int(p) for p in session.rsplit('/', 3)[1::2])
    record = (state / 'pppd').read_text().splitlines()
    assert any(line.startswith(f'pppd {pppd} ') and line.endswith(f' {tunnel_id} {session_id}')
               for line in record), record

    lac.daemon.kill()
    wait_until(lambda: pppd not in pppd_pids(a), 10, "the killed daemon's pppd to end")
    assert_nothing_left(a, timeout=10)

    # A new daemon on the same state directory: nothing of the record is
    # running any more, so it ends nothing, and the record is its own.
    again = daemon(a)
    wait_until(lambda: 'pppd' not in (state / 'pppd').read_text().split('\n', 1)[1],
               10, 'the new daemon to rewrite the record')
    assert 'ending pppd' not in again.daemon.log_text()


# ---------------------------------------------------------------------------
# xl2tpd (kernel mode) as the other end: the fixture xl2tpd (conftest.py)


def test_our_lac_to_an_xl2tpd_lns(network, daemon, xl2tpd):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    xl2tpd(b, *xl2tpd_lns_config(link.b4, ('10.78.0.10', '10.78.0.19'), '10.78.0.1'))
    lac = daemon(a)
    tunnel = lac.root.create_tunnel({'Peer': f'{link.b4}:1701', 'Local': link.a4,
                                     'HostName': 'l2tpbus-lac'})
    lac.wait_state(tunnel, TUNNEL, 'established', 20)
    session = lac.root.create_session(tunnel, {'Pseudowire': 'ppp', 'User': USER,
                                               'Password': PASSWORD, 'UsePeerDns': True})
    lac.wait_state(session, SESSION, 'established', 40)
    ours = ip4(lac, session)
    assert ours['address'].startswith('10.78.0.') and ours['peer'] == '10.78.0.1', ours
    assert ours['dns'] == ['192.0.2.99'], ours
    # Ipv6 is off on our side: pppd said so before IPCP was up
    assert lac.root.prop(session, SESSION, 'Ip6Negotiation') == 'off'
    a.wait_ping('10.78.0.1')
    b.wait_ping(ours['address'])

    lac.root.close(session, SESSION)
    last_result(lac, session)
    lac.root.close(tunnel, TUNNEL)
    it.assert_removed_cleanly(lac.signals, tunnel, TUNNEL, 20)
    assert_nothing_left(a, b)


def test_an_xl2tpd_lac_to_our_lns(network, daemon, xl2tpd):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    lns = daemon(b)
    listener = lns.root.listen(lns_listener_options(1701, local=link.b4))
    peer = xl2tpd(a, *xl2tpd_lac_config(link.a4, f'{link.b4}:1701', name='x',
                                        ppp_options='usepeerdns\n'))
    tunnel = wait_until(lambda: lns.root.prop(listener, LISTENER, 'Tunnels'), 20,
                        'xl2tpd\'s tunnel at our listener')[0]
    lns.wait_state(tunnel, TUNNEL, 'established', 20)
    served = accepted_session(lns)
    lns.wait_state(served, SESSION, 'established', 40)
    theirs = ip4(lns, served)
    assert theirs['address'] == LNS_ADDRESS and in_pool(theirs['peer']), theirs
    # Debian's pppd (2.4.9) offers IPV6CP unless told noipv6, as our LNS does
    wait_until(lambda: lns.root.prop(served, SESSION, 'Ip6Negotiation') != 'pending', 10,
               'IPV6CP\'s outcome at our LNS')
    assert lns.root.prop(served, SESSION, 'Ip6Negotiation') == 'up'
    b.wait_ping(theirs['peer'])
    a.wait_ping(LNS_ADDRESS)

    # xl2tpd's hang-up ("d x": CDN and StopCCN) ends our pppd too.
    peer.command('d x')
    last_result(lns, served)
    it.assert_removed_cleanly(lns.signals, tunnel, TUNNEL, 20)
    assert_nothing_left(b)
