"""Interoperability with xl2tpd from Debian (1.3.18), an independent L2TPv2
implementation, in both roles: our LAC to an xl2tpd LNS, and an xl2tpd LAC to
our listener; plain, with challenge authentication (a shared secret in
xl2tpd's auth file) and with hidden AVPs.

On these machines pppd cannot run (the kernel lacks PPP, there is no
/dev/ppp), so xl2tpd ends every call with a CDN right after ICCN: the tests
check that the call was established on our side and that the CDN was
handled. Each xl2tpd runs in its own PID and mount namespace
(`unshare -p -f --mount-proc`), since 1.3.18 may signal a reused pid.
"""

import os
import time

import pytest

from conftest import (
    LISTENER, SESSION, TUNNEL, XL2TPD_STARTED, Xl2tpdPeers, assert_removed_cleanly, free_port,
    wait_until, xl2tpd_pids)

SECRET = 'xl2tpd-shares-this-secret'
# The CDN xl2tpd 1.3.18 sends when its pppd exits: result 1 (loss of carrier),
# error 0, no message (observed, and what call_close sends for a dead pppd).
XL2TPD_CDN_RESULT = (1, 0)
XL2TPD_STOPCCN_RESULTS = (1,)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason='xl2tpd runs in its own PID namespace: unshare -p needs root')


@pytest.fixture
def xl2tpd(request, stack):
    """xl2tpd(config, secrets) -> a started Xl2tpd whose log joins a failing test's report."""
    peers = Xl2tpdPeers(request, stack.dir)
    yield lambda config, secrets='': peers(config, secrets=secrets)
    peers.stop()


def lns_config(port, challenge=False, hidden=False):
    return f'''\
        [global]
        port = {port}
        listen-addr = 127.0.0.1
        auth file = @SECRETS@
        debug tunnel = yes
        debug state = yes

        [lns default]
        ip range = 127.100.0.2-127.100.0.20
        local ip = 127.100.0.1
        require authentication = no
        hostname = xl2tpd-lns
        challenge = {'yes' if challenge else 'no'}
        hidden bit = {'yes' if hidden else 'no'}
        '''


def lac_config(own_port, lns_port, autodial=True, challenge=False, hidden=False):
    return f'''\
        [global]
        port = {own_port}
        listen-addr = 127.0.0.2
        auth file = @SECRETS@
        debug tunnel = yes
        debug state = yes

        [lac x]
        lns = 127.0.0.1:{lns_port}
        hostname = xl2tpd-lac
        autodial = {'yes' if autodial else 'no'}
        redial = no
        require authentication = no
        challenge = {'yes' if challenge else 'no'}
        hidden bit = {'yes' if hidden else 'no'}
        '''


# xl2tpd 1.3.18 with "hidden bit = yes" sends Random Vector AVPs but hides no AVP
# (observed on the wire), and it cannot decrypt hidden AVPs in the first message
# of a tunnel (SCCRQ at an LNS, SCCRP at a LAC): it looks its secret up only after
# parsing that message. Hiding towards xl2tpd works only from the third message on.
VARIANTS = [
    # id, our Secret, xl2tpd challenge, xl2tpd hidden bit, our HideAvps
    ('plain', None, False, False, False),
    ('challenge', SECRET, True, False, False),
    ('challenge-xl2tpd-hidden-bit', SECRET, True, True, False),
    ('challenge-we-hide', SECRET, True, False, True),
    ('challenge-both-hide', SECRET, True, True, True),
]


def secrets_file(secret):
    return f'* * {secret}\n' if secret else ''


def session_ran_and_ended(stack, session, timeout=15):
    """The call was established, then ended by xl2tpd's CDN; returns the LastResult."""
    wait_until(lambda: 'established' in stack.signals.states(session, SESSION)
               or stack.signals.removed(session), timeout, f'{session} established')
    assert 'established' in stack.signals.states(session, SESSION), (
        f'the call never got established: states {stack.signals.states(session, SESSION)}')
    return assert_removed_cleanly(stack.signals, session, SESSION, timeout)


@pytest.mark.parametrize('secret,challenge,hidden,hide', [v[1:] for v in VARIANTS],
                         ids=[v[0] for v in VARIANTS])
def test_our_lac_to_an_xl2tpd_lns(stack, xl2tpd, secret, challenge, hidden, hide):
    port = free_port()
    peer = xl2tpd(lns_config(port, challenge, hidden), secrets_file(secret))
    values = {'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.2', 'HostName': 'l2tpbus-lac'}
    if secret:
        values['Secret'] = secret.encode()
    if hide:
        values['HideAvps'] = True
    tunnel = stack.root.create_tunnel(values)
    stack.wait_state(tunnel, TUNNEL, 'established')
    props = stack.root.props(tunnel, TUNNEL)
    assert props['PeerHostName'] == 'xl2tpd-lns'
    assert props['PeerVendorName'] == 'xelerance.com'
    assert props['PeerTunnelId'] != 0
    wait_until(lambda: 'Connection established to 127.0.0.2' in peer.text(), 5,
               'xl2tpd to report the tunnel')

    session = stack.root.create_session(tunnel, {'Pseudowire': 'ppp'})
    result = session_ran_and_ended(stack, session)
    assert 'Call established with 127.0.0.2' in peer.text()
    assert result[:2] == XL2TPD_CDN_RESULT, f'LastResult after xl2tpd\'s CDN: {result}'
    # xl2tpd keeps the tunnel after its call ended
    time.sleep(1.0)
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'established'
    assert stack.root.prop(tunnel, TUNNEL, 'Sessions') == []

    # and we close it: StopCCN, acknowledged by xl2tpd
    stack.root.close(tunnel, TUNNEL)
    assert assert_removed_cleanly(stack.signals, tunnel, TUNNEL)[0] == 1
    wait_until(lambda: 'Connection closed to 127.0.0.2' in peer.text()
               or 'StopCCN' in peer.text(), 5, 'xl2tpd to see the StopCCN')



@pytest.mark.parametrize('secret,challenge,hidden,hide', [v[1:] for v in VARIANTS],
                         ids=[v[0] for v in VARIANTS])
def test_an_xl2tpd_lac_to_our_listener(stack, xl2tpd, secret, challenge, hidden, hide):
    port = free_port()
    values = {'Local': f'127.0.0.1:{port}', 'HostName': 'l2tpbus-lns'}
    if secret:
        values['Secret'] = secret.encode()
    if hide:
        values['HideAvps'] = True
    listener = stack.root.listen(values)
    peer = xl2tpd(lac_config(free_port('127.0.0.2'), port, True, challenge, hidden),
                  secrets_file(secret))
    tunnel = wait_until(lambda: stack.root.prop(listener, LISTENER, 'Tunnels'), 10,
                        'xl2tpd\'s tunnel at our listener')[0]
    stack.wait_state(tunnel, TUNNEL, 'established')
    props = stack.root.props(tunnel, TUNNEL)
    assert props['Role'] == 'responder'
    assert props['PeerHostName'] == 'xl2tpd-lac'
    assert props['PeerVendorName'] == 'xelerance.com'
    assert props['Peer'].startswith('127.0.0.2:')
    assert props['Owner'] == 0

    session = wait_until(lambda: stack.signals.added(SESSION), 10, 'xl2tpd\'s call')[0]
    assert session.startswith(tunnel + '/session/')
    result = session_ran_and_ended(stack, session)
    assert 'Call established with 127.0.0.1' in peer.text()
    assert result[:2] == XL2TPD_CDN_RESULT, f'LastResult after xl2tpd\'s CDN: {result}'
    time.sleep(1.0)
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'established'
    # we close the tunnel from our side
    stack.root.close(tunnel, TUNNEL)
    assert assert_removed_cleanly(stack.signals, tunnel, TUNNEL)[0] == 1


def test_an_xl2tpd_lac_dialled_through_its_control_file(stack, xl2tpd):
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}', 'HostName': 'l2tpbus-lns'})
    peer = xl2tpd(lac_config(free_port('127.0.0.2'), port, autodial=False))
    time.sleep(0.5)
    assert stack.root.prop(listener, LISTENER, 'Tunnels') == [], 'xl2tpd dialled by itself'
    peer.command('c x')
    tunnel = wait_until(lambda: stack.root.prop(listener, LISTENER, 'Tunnels'), 10,
                        'xl2tpd\'s tunnel after "c x"')[0]
    stack.wait_state(tunnel, TUNNEL, 'established')
    session = wait_until(lambda: stack.signals.added(SESSION), 10, 'xl2tpd\'s call')[0]
    result = session_ran_and_ended(stack, session)
    assert result[:2] == XL2TPD_CDN_RESULT, f'LastResult after xl2tpd\'s CDN: {result}'
    time.sleep(1.0)
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'established'
    # "d x" makes xl2tpd hang up the tunnel with a StopCCN
    peer.command('d x')
    result = assert_removed_cleanly(stack.signals, tunnel, TUNNEL)
    assert result[0] in XL2TPD_STOPCCN_RESULTS, f'LastResult after xl2tpd\'s StopCCN: {result}'


def test_wrong_secret_with_xl2tpd_is_refused(stack, xl2tpd):
    port = free_port()
    xl2tpd(lns_config(port, challenge=True), secrets_file('the-secret-xl2tpd-knows'))
    tunnel = stack.root.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.2',
                                       'Secret': b'another secret',
                                       'RetransmitTimeout': 300, 'MaxRetransmits': 3})
    result = assert_removed_cleanly(stack.signals, tunnel, TUNNEL, timeout=20)
    assert 'established' not in stack.signals.states(tunnel, TUNNEL)
    assert result[0] == 4, f'LastResult after a failed challenge: {result}'


def test_xl2tpd_is_gone_after_the_test():
    """No xl2tpd started by these tests outlives them (the namespaces ended)."""
    if not XL2TPD_STARTED:
        pytest.skip('no xl2tpd was started in this run')
    leftovers = [pid for conf in XL2TPD_STARTED for pid in xl2tpd_pids(conf)]
    assert not leftovers, f'xl2tpd processes left behind: {leftovers}'

