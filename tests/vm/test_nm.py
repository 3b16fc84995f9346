"""Issue 5 end to end: a real NetworkManager brings l2tpbus VPN profiles up.

The build is installed into the VM (its / is a throw-away overlay) with
`meson install`; the .name file and both bus policies are put where
NetworkManager and the system bus read them when the build's prefix is not
/usr. Then, as on a desktop without systemd: the system dbus-daemon, udev,
NetworkManager (keyfile only, no polkit) and l2tpbusd on the system bus with
the kernel data plane, all in the VM's root namespace. The other end is our
l2tpbusd as an LNS (address pool, CHAP against pppd's /etc/ppp/chap-secrets)
in a network namespace, reached over a veth whose root end NetworkManager
manages with a static-address Ethernet profile.

Profiles come from `nmcli connection add` and from `nmcli connection import`
of a NetworkManager-l2tp file; two are up at once, each with its own pool
address, pinged across; `down` leaves no ppp device, kernel tunnel or pppd;
a wrong password fails the activation; a profile with IPv6 on reaches an
IPv4-only LNS (xl2tpd, whose pppd rejects IPV6CP). The activation times are
printed, ours beside NetworkManager-l2tp's to that same xl2tpd (issue 13).

L2TP/IPsec (issue 14): the system l2tpbusd has a charon of its own in the
root namespace (on free IKE ports: NetworkManager-l2tp's `ipsec start`
takes 500 and 4500 there); two ipsec-enabled profiles reach two xl2tpd
LNSes behind strongSwan at once, and leave no SA when down.
NetworkManager-l2tp with IPsec reaches our LNS whose listener requires it,
while a cleartext SCCRQ to that listener gets no answer.
Runs in the VM: meson test --suite vm vm-nm, or
tests/vm/run-in-vm -- /usr/bin/python3 -m pytest -q tests/vm/test_nm.py
"""

import os
import pathlib
import re
import socket
import struct
import time

import pytest

from ipsec_peers import esp_transport_sas
from wire_timeline import WireTimeline
from vmtest import (LISTENER, RootNamespace, Xl2tpdPeers, in_network_namespace, pids_of, sh,
                    wait_until)
import l2tp_wire  # noqa: E402 (tests/integration, on the path once vmtest is imported)
from nm_desktop import (  # noqa: E402 (the desktop itself: conftest.py's fixture `desktop`)
    LINK_LNS, LINK_NM, LINK_PREFIX, LINK_XL2TPD, LNS_ADDRESS, LNS_IF, NM_IF, USERS,
    assert_nothing_left, in_pool, lns_beside_nm, nmcli, root_ppp_devices, root_pppd_pids, show,
    up, vpn_profile)


NM_L2TP_FILE = '''\
#org.freedesktop.NetworkManager.l2tp

[connection]
id=imported-vpn

[vpn]
gateway={gateway}
user=bob
refuse-eap=true
refuse-pap=true
refuse-chap=false
mtu=1400
mru=1400
lcp-echo-failure=5
lcp-echo-interval=30
ipsec-enabled=false

[ip4]
method=auto
never-default=true
'''


def test_two_profiles_up_at_once_ping_and_go_down_cleanly(desktop, lns, tmp_path, capsys):
    vpn_profile('work-vpn', 'alice', USERS['alice'])
    result, took = up('work-vpn')
    assert result.returncode == 0, f'nmcli connection up work-vpn:\n{result.stdout}{result.stderr}'
    with capsys.disabled():
        print(f'\nactivation of work-vpn (nmcli connection up to activated): {took:.2f} s')
    assert show('work-vpn', 'GENERAL.STATE') == 'activated'
    first = show('work-vpn', 'IP4.ADDRESS').split('/')[0]
    assert in_pool(first), first
    assert first in sh('ip', '-4', '-o', 'addr', 'show').stdout
    sh('ping', '-n', '-c', '1', '-W', '5', LNS_ADDRESS, timeout=20)

    # The second profile, from a NetworkManager-l2tp file.
    conf = tmp_path / 'imported-vpn.conf'
    conf.write_text(NM_L2TP_FILE.format(gateway=LINK_LNS))
    nmcli('connection', 'import', 'type', 'l2tpbus', 'file', str(conf))
    data = show('imported-vpn', 'vpn.data')
    assert f'gateway = {LINK_LNS}' in data and 'user = bob' in data, data
    assert show('imported-vpn', 'vpn.service-type') == 'org.freedesktop.NetworkManager.l2tpbus'
    nmcli('connection', 'modify', 'imported-vpn', 'vpn.secrets', f'password={USERS["bob"]}')
    result, took2 = up('imported-vpn')
    assert result.returncode == 0, \
        f'nmcli connection up imported-vpn:\n{result.stdout}{result.stderr}'
    with capsys.disabled():
        print(f'activation of imported-vpn (beside work-vpn): {took2:.2f} s')
    second = show('imported-vpn', 'IP4.ADDRESS').split('/')[0]
    assert in_pool(second) and second != first, (first, second)
    # both at once, each on its own ppp device
    assert show('work-vpn', 'GENERAL.STATE') == 'activated'
    devices = root_ppp_devices()
    assert len(devices) == 2, devices
    for device in devices:
        sh('ping', '-n', '-c', '1', '-W', '5', '-I', device, LNS_ADDRESS, timeout=20)
    assert len(root_pppd_pids()) == 2

    nmcli('connection', 'down', 'imported-vpn', timeout=60)
    wait_until(lambda: len(root_ppp_devices()) == 1, 20, 'one ppp device to go')
    sh('ping', '-n', '-c', '1', '-W', '5', LNS_ADDRESS, timeout=20)
    nmcli('connection', 'down', 'work-vpn', timeout=60)
    assert_nothing_left()
    assert show('work-vpn', 'GENERAL.STATE') == ''  # no longer active
    # the LNS ended its calls too
    wait_until(lambda: not lns.ip('-o', 'link', 'show', 'type', 'ppp').stdout.strip(), 20,
               'the LNS\'s ppp devices to go')
    # the password reached pppd through the daemon, never a command line
    assert USERS['alice'] not in desktop.daemon_log.read_text(errors='replace')


def test_wrong_password_fails_the_activation(desktop, lns, capsys):
    vpn_profile('bad-vpn', 'alice', 'not the password')
    result, took = up('bad-vpn')
    assert result.returncode != 0, result.stdout
    output = result.stdout + result.stderr
    assert show('bad-vpn', 'GENERAL.STATE') in ('', 'deactivated'), output
    # the session's result 5 (PPP authentication) reached NetworkManager as such
    wait_until(lambda: 'failure: login-failed' in desktop.nm_log.read_text(errors='replace'),
               10, 'NetworkManager to log the VPN failure reason login-failed')
    assert_nothing_left()
    with capsys.disabled():
        print(f'\nwrong password: nmcli connection up failed after {took:.2f} s: '
              f'{output.strip()}')


@pytest.fixture
def xl2tpd_lns(lns, request, tmp_path):
    """xl2tpd as an LNS in our LNS's namespace, on its own address of the
    link, IPv4 only: its pppd (where Debian's 2.4.9 would offer IPV6CP by
    default) has noipv6, so it answers IPV6CP with a Protocol-Reject."""
    lns.ip('addr', 'add', f'{LINK_XL2TPD}/{LINK_PREFIX}', 'dev', LNS_IF)
    peers = Xl2tpdPeers(request, tmp_path)
    peers(f'''\
        [global]
        port = 1701
        listen-addr = {LINK_XL2TPD}
        auth file = @SECRETS@
        [lns default]
        ip range = 10.78.0.10-10.78.0.19
        local ip = 10.78.0.1
        require authentication = no
        hostname = xl2tpd-lns
        pppoptfile = @OPTIONS@
        ''', ppp_options='''\
        noauth
        noipv6
        nodefaultroute
        lcp-echo-interval 30
        lcp-echo-failure 4
        ''', popen=lns.popen)
    yield
    peers.stop()


# The service's own lines in NetworkManager's log: its CreateSession reply
# ("session /org/...") and its Config ("session /org/... established ...").
SERVICE_SESSION_LINE = re.compile(
    r'\*\* Message: (\d+):(\d+):([\d.]+): \S+: session /\S+( established)?')


def session_to_config(nm_log):
    """Seconds from the service's last CreateSession reply to its Config, the
    part of an activation the service decides; None when not logged."""
    created = config = None
    for line in nm_log.read_text(errors='replace').splitlines():
        m = SERVICE_SESSION_LINE.search(line)
        if m:
            at = int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])
            created, config = (created, at) if m[4] else (at, None)
    return None if created is None or config is None else config - created


def test_ipv6_profile_to_an_ipv4_only_lns(desktop, xl2tpd_lns, capsys):
    # NetworkManager's VPN default is ipv6.method auto: the service asks for
    # IPV6CP and connects with IPv4 alone when the LNS rejects it.
    vpn_profile('v4-only-vpn', 'alice', USERS['alice'], gateway=LINK_XL2TPD)
    assert show('v4-only-vpn', 'ipv6.method') == 'auto'
    result, took = up('v4-only-vpn')
    assert result.returncode == 0, \
        f'nmcli connection up v4-only-vpn:\n{result.stdout}{result.stderr}'
    delay = session_to_config(desktop.nm_log)
    with capsys.disabled():
        print(f'\nactivation of v4-only-vpn (IPv6 on, the LNS rejects IPV6CP): {took:.2f} s'
              + (f', of which CreateSession reply to Config {delay:.2f} s' if delay else ''))
    address = show('v4-only-vpn', 'IP4.ADDRESS').split('/')[0]
    assert address.startswith('10.78.0.'), address
    sh('ping', '-n', '-c', '1', '-W', '5', '10.78.0.1', timeout=20)
    # pppd told at once, through the daemon (Ip6Negotiation)
    assert 'IPV6CP refused by the peer' in desktop.daemon_log.read_text(errors='replace')
    nmcli('connection', 'down', 'v4-only-vpn', timeout=60)
    assert_nothing_left()


# NetworkManager-l2tp (Debian's network-manager-l2tp, tools/setup.sh): its
# own service name and .name file beside ours, its own xl2tpd (config, pid
# file and control FIFO under /run/nm-l2tp-<uuid>, port 1701 of the root
# namespace or an ephemeral one) and pppd; the LNS xl2tpd is in the LNS's
# namespace, so the two never share a port or a file.
NM_L2TP_SERVICE = 'org.freedesktop.NetworkManager.l2tp'
NM_L2TP_NAME_FILE = pathlib.Path('/usr/lib/NetworkManager/VPN/nm-l2tp-service.name')
ROUNDS = 3


def nm_l2tp_profile(name, user, password, gateway):
    nmcli('connection', 'add', 'type', 'vpn', 'vpn-type', 'l2tp', 'con-name', name,
          'autoconnect', 'no', 'vpn.data',
          f'gateway={gateway}, user={user}, password-flags=0, ipsec-enabled=no',
          'vpn.secrets', f'password={password}')


def nm_l2tp_lines(nm_log):
    """What NetworkManager and nm-l2tp-service logged about an l2tp activation:
    why NetworkManager-l2tp did not come up, when it did not."""
    return '\n'.join(line for line in nm_log.read_text(errors='replace').splitlines()
                     if 'nm-l2tp' in line or NM_L2TP_SERVICE + ' ' in line
                     or 'xl2tpd' in line)


def ppp_interface_with(address):
    """The root namespace's ppp interface holding this IPv4 address, or None."""
    for line in sh('ip', '-4', '-o', 'addr', 'show').stdout.splitlines():
        words = line.split()
        if words[1].startswith('ppp') and words[3].split('/')[0] == address:
            return words[1]
    return None


def root_xl2tpd_pids():
    return pids_of('xl2tpd', in_network_namespace(os.stat('/proc/self/ns/net').st_ino))


def nm_activation_times(nm_log, name, plugin):
    """When NetworkManager logged "starting <plugin>" for the profile's last
    activation and when it logged it "activated" (wall-clock seconds): the
    span between is the activation without nmcli's own start-up, which under
    TCG varies by a second. Finding "starting <plugin>" also shows that
    NetworkManager took the profile's service from that plugin's .name file."""
    started = activated = None
    prefix = re.compile(r'^<\w+>\s+\[([\d.]+)\] vpn\[[^\]]*"' + re.escape(name) + r'"')
    for line in nm_log.read_text(errors='replace').splitlines():
        m = prefix.match(line)
        if not m:
            continue
        if line.endswith(f']: starting {plugin}'):
            started, activated = float(m[1]), None
        elif 'set state: activated' in line and started is not None:
            activated = float(m[1])
    assert started is not None, f'NetworkManager never logged "starting {plugin}" for {name}'
    assert activated is not None, f'NetworkManager never logged {name} activated'
    return started, activated


def timed_activation(name, desktop):
    """Seconds from `nmcli connection up` to activated, once the profile is
    known to have really come up: a ppp interface with a pool address that
    reaches the LNS; then the span NetworkManager logged, and its start and
    end (nm_activation_times). Takes the profile down again, leaving nothing
    behind."""
    result, took = up(name)
    if result.returncode != 0:
        raise AssertionError(f'nmcli connection up {name} failed after {took:.2f} s:\n'
                             f'{result.stdout}{result.stderr}\n'
                             f'NetworkManager log (l2tp):\n{nm_l2tp_lines(desktop.nm_log)}')
    address = show(name, 'IP4.ADDRESS').split('/')[0]
    assert address.startswith('10.78.0.'), (name, address)
    device = ppp_interface_with(address)
    assert device, f'{name}: no ppp interface holds {address}'
    sh('ping', '-n', '-c', '1', '-W', '5', '-I', device, '10.78.0.1', timeout=20)
    plugin = show(name, 'vpn.service-type').rsplit('.', 1)[1]
    started, activated = nm_activation_times(desktop.nm_log, name, plugin)
    nmcli('connection', 'down', name, timeout=60)
    assert_nothing_left()
    wait_until(lambda: not root_xl2tpd_pids(), 20, f'{name}: the LAC xl2tpd to go')
    return took, activated - started, (started, activated)


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def test_activation_time_beside_networkmanager_l2tp(desktop, xl2tpd_lns, capsys):
    """Issue 13's desktop figure: our profile and NetworkManager-l2tp's, to the
    same xl2tpd LNS, interleaved (who goes first alternates), printed side by
    side; no timing is asserted, only that both really came up."""
    assert NM_L2TP_NAME_FILE.exists(), \
        f'NetworkManager-l2tp is not installed ({NM_L2TP_NAME_FILE}): run tools/setup.sh'
    vpn_profile('ours-vpn', 'alice', USERS['alice'], gateway=LINK_XL2TPD)
    nm_l2tp_profile('theirs-vpn', 'alice', USERS['alice'], gateway=LINK_XL2TPD)
    # both plugins known to NetworkManager, each under its own service name
    assert show('ours-vpn', 'vpn.service-type') == 'org.freedesktop.NetworkManager.l2tpbus'
    assert show('theirs-vpn', 'vpn.service-type') == NM_L2TP_SERVICE
    ours, theirs = [], []  # (nmcli, NetworkManager's log) per run
    with capsys.disabled():
        print()
        for round_ in range(ROUNDS):
            order = ((ours, 'ours-vpn'), (theirs, 'theirs-vpn'))
            for times, name in order if round_ % 2 == 0 else reversed(order):
                times.append(timed_activation(name, desktop))
            print(side_by_side('activation', ours[-1], theirs[-1]))
        print(side_by_side(f'activation medians of {ROUNDS}',
                           *((median(t[0] for t in times), median(t[1] for t in times))
                             for times in (ours, theirs))))
        for name in ('ours-vpn', 'theirs-vpn'):
            print(where_the_time_goes(name, desktop))


WIRE_MILESTONES = ('SCCRQ', 'ICCN', 'first LCP', 'LCP up', 'authenticated', 'IPCP up')


def where_the_time_goes(name, desktop):
    """One more activation with the link watched: after `nmcli connection up`
    began, when NetworkManager started the plugin, when each L2TP and PPP
    milestone crossed the link, and when NetworkManager logged it activated.
    A profile of the activation, for both plugins alike."""
    with WireTimeline(NM_IF) as timeline:
        began = time.time()
        _, _, (started, activated) = timed_activation(name, desktop)
    crossed = timeline.milestones(began)
    for milestone in ('SCCRQ', 'ICCN', 'IPCP up'):
        assert milestone in crossed, f'{name}: no {milestone} seen on {NM_IF}: {crossed}'
    steps = [('plugin started', started - began)]
    steps += [(milestone, crossed[milestone]) for milestone in WIRE_MILESTONES
              if milestone in crossed]
    steps.append(('activated', activated - began))
    return f'{name}, seconds after nmcli connection up: ' + ', '.join(
        f'{label} {at:.2f}' for label, at in steps)


def side_by_side(label, ours, theirs):
    """One line: nmcli's times, then NetworkManager's own spans."""
    return (f'{label}: l2tpbus {ours[0]:.2f} s, NetworkManager-l2tp {theirs[0]:.2f} s '
            f'(ratio {ours[0] / theirs[0]:.2f}); in NetworkManager\'s log {ours[1]:.2f} s '
            f'and {theirs[1]:.2f} s (ratio {ours[1] / theirs[1]:.2f})')


# ---------------------------------------------------------------------------
# L2TP/IPsec (issue 14): NetworkManager-l2tp to our LNS, our plugin to
# xl2tpd behind strongSwan

# No comma: nmcli splits vpn.secrets on them.
NM_PSK = 'l2tp over ipsec from the desktop'
ROOT = RootNamespace()
CLEARTEXT_PORT = 1702  # a listener beside the IPsec one, without IPsec


@pytest.fixture
def ipsec_listener(desktop, network, make_charon, make_daemon, tmp_path, chap_secrets,
                   l2tpbusd_path):
    """Our LNS with a charon of its own, its listener on LINK_LNS:1701
    requiring IPsec with NM_PSK (IpsecRequired's default); yields (host,
    stack, listener path)."""
    host = network.host('lns')
    charon = make_charon(host)
    for stack in lns_beside_nm(host, make_daemon, tmp_path / 'lns-state', l2tpbusd_path,
                               extra_args=['--vici', str(charon.socket)],
                               listener={'IpsecPsk': NM_PSK.encode()}):
        listener, = stack.listeners()
        yield host, stack, listener


def sccrq_answer(port, timeout=5.0):
    """A cleartext SCCRQ from the root namespace (an ephemeral port, which no
    IPsec policy covers) to LINK_LNS:port; the answer's message type, or
    None when nothing came within `timeout`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LINK_NM, 0))
        sock.settimeout(timeout)
        sock.sendto(l2tp_wire.sccrq(4242, b'cleartext'), (LINK_LNS, port))
        try:
            data, _ = sock.recvfrom(4096)
        except socket.timeout:
            return None
    _, avps = l2tp_wire.parse(data)
    return next(struct.unpack('!H', value)[0] for vendor, attribute, value in avps
                if (vendor, attribute) == (0, l2tp_wire.MESSAGE_TYPE))


def sa_pair_between(host, a, b):
    """The ESP transport SAs between addresses a and b in host."""
    return [s for s in esp_transport_sas(host) if {s.src, s.dst} == {a, b}]


def test_networkmanager_l2tp_to_our_lns_requiring_ipsec(desktop, ipsec_listener, capsys):
    host, stack, listener = ipsec_listener
    assert NM_L2TP_NAME_FILE.exists(), \
        f'NetworkManager-l2tp is not installed ({NM_L2TP_NAME_FILE}): run tools/setup.sh'
    nmcli('connection', 'add', 'type', 'vpn', 'vpn-type', 'l2tp', 'con-name', 'theirs-ipsec',
          'autoconnect', 'no', 'vpn.data',
          f'gateway={LINK_LNS}, user=alice, password-flags=0, ipsec-enabled=yes, '
          'ipsec-psk-flags=0',
          'vpn.secrets', f'password={USERS["alice"]}, ipsec-psk={NM_PSK}')
    with WireTimeline(NM_IF) as wire:
        since = time.time()
        result, took = up('theirs-ipsec')
        assert result.returncode == 0, (f'nmcli connection up theirs-ipsec:\n{result.stdout}'
                                        f'{result.stderr}\n{nm_l2tp_lines(desktop.nm_log)}')
        with capsys.disabled():
            print(f'\nNetworkManager-l2tp with IPsec to our LNS: up in {took:.2f} s')
        address = show('theirs-ipsec', 'IP4.ADDRESS').split('/')[0]
        assert in_pool(address), address
        device = ppp_interface_with(address)
        assert device, f'no ppp interface holds {address}'
        # ESP transport SAs both ways on both ends, the same SPIs, carrying the ping
        sas = {h: wait_until(lambda h=h: len(sa_pair_between(h, LINK_NM, LINK_LNS)) == 2
                             and sa_pair_between(h, LINK_NM, LINK_LNS), 20,
                             f'two ESP transport SAs in {h.netns}')
               for h in (ROOT, host)}
        assert {s.spi for s in sas[ROOT]} == {s.spi for s in sas[host]}, sas
        before = {s.spi: s.bytes for s in sas[host]}
        sh('ping', '-n', '-c', '1', '-W', '5', '-I', device, LNS_ADDRESS, timeout=20)
        grown = {s.spi: s.bytes - before[s.spi]
                 for s in sa_pair_between(host, LINK_NM, LINK_LNS)}
        assert set(grown) == set(before) and all(n > 0 for n in grown.values()), \
            (before, grown)
        kinds = wire.kinds(since)
        assert kinds['ike'] and kinds['esp'], kinds
        assert not kinds['l2tp'], kinds

        # A cleartext SCCRQ: the kernel drops it before our listener sees it,
        # while the same datagram to a listener without IPsec is answered.
        stack.root.listen({'Local': f'{LINK_LNS}:{CLEARTEXT_PORT}', 'HostName': 'cleartext'})
        assert sccrq_answer(CLEARTEXT_PORT) == l2tp_wire.SCCRP
        statistics = stack.root.prop(listener, LISTENER, 'Statistics')
        since = time.time()
        assert sccrq_answer(1701) is None
        # it did leave in cleartext (no policy of NetworkManager-l2tp's took it)
        assert wire.kinds(since)['l2tp'] == 1, wire.kinds(since)
    after = stack.root.prop(listener, LISTENER, 'Statistics')
    assert after['kernel-drops'] > statistics['kernel-drops'], (statistics, after)
    assert {k: v for k, v in after.items() if k != 'kernel-drops'} == \
        {k: v for k, v in statistics.items() if k != 'kernel-drops'}, (statistics, after)

    nmcli('connection', 'down', 'theirs-ipsec', timeout=60)
    assert_nothing_left()
    wait_until(lambda: not sa_pair_between(host, LINK_NM, LINK_LNS), 30,
               'the LNS\'s SAs to go with NetworkManager-l2tp\'s IKE delete')


def ours_in_charon(charon):
    """The lines of charon's connections and SAs that are l2tpbusd's."""
    return [line for command in ('--list-conns', '--list-sas')
            for line in charon.swanctl(command).stdout.splitlines() if 'l2tpbus-' in line]


def test_our_plugin_with_ipsec_to_two_gateways_at_once(desktop, lns, network, ipsec_lns,
                                                       capsys):
    # Two classic L2TP/IPsec servers (xl2tpd behind charon): one on the LNS's
    # link, one a router (the LNS's namespace) further away.
    near_address = '10.66.0.4'
    lns.ip('addr', 'add', f'{near_address}/{LINK_PREFIX}', 'dev', LNS_IF)
    far = network.host('far')
    link = network.link(lns, far)
    lns.sysctl('net.ipv4.ip_forward', 1)
    far.ip('route', 'add', 'default', 'via', link.a4)
    gateways = {
        'near-ipsec': ipsec_lns(lns, near_address, psk=NM_PSK),
        'far-ipsec': ipsec_lns(far, link.b4, psk=NM_PSK, local_ip='10.80.0.1',
                               pool=('10.80.0.10', '10.80.0.19')),
    }
    with WireTimeline(NM_IF) as wire:
        since = time.time()
        for name, gateway in gateways.items():
            # never-default: the far gateway stays reached through the base connection
            vpn_profile(name, 'alice', USERS['alice'], gateway=gateway.address,
                        extra=', ipsec-enabled=yes', secrets=f', ipsec-psk={NM_PSK}')
            nmcli('connection', 'modify', name, 'ipv4.never-default', 'yes')
            result, took = up(name)
            assert result.returncode == 0, \
                f'nmcli connection up {name}:\n{result.stdout}{result.stderr}'
            with capsys.disabled():
                print(f'\nactivation of {name} (our plugin, IPsec): {took:.2f} s')
        for name, gateway in gateways.items():
            assert show(name, 'GENERAL.STATE') == 'activated', name
            address = show(name, 'IP4.ADDRESS').split('/')[0]
            first, last = (int(a.rsplit('.', 1)[1]) for a in gateway.pool)
            assert (address.rsplit('.', 1)[0] == gateway.pool[0].rsplit('.', 1)[0]
                    and first <= int(address.rsplit('.', 1)[1]) <= last), (name, address)
            device = ppp_interface_with(address)
            assert device, f'{name}: no ppp interface holds {address}'
            pair = sa_pair_between(ROOT, LINK_NM, gateway.address)
            assert len(pair) == 2, (name, esp_transport_sas(ROOT))
            before = {s.spi: s.bytes for s in pair}
            sh('ping', '-n', '-c', '1', '-W', '5', '-I', device, gateway.local_ip, timeout=20)
            grown = {s.spi: s.bytes - before[s.spi]
                     for s in sa_pair_between(ROOT, LINK_NM, gateway.address)}
            assert set(grown) == set(before) and all(n > 0 for n in grown.values()), \
                (name, before, grown)
        # Our two tunnels' traffic only: the LNS namespace may still be
        # winding down an earlier test's tunnels on the same link.
        kinds = wire.kinds(since, between=[LINK_NM] + [g.address for g in gateways.values()])
        cleartext = wire.seen('l2tp', since)
    assert kinds['ike'] and kinds['esp'], kinds
    # Nothing of ours leaves in cleartext. A gateway may answer once in
    # cleartext at set-up: under IKEv1 the responder installs its SA only on
    # Quick Mode's third message, and our SCCRQ, sent as our SA is up, can
    # reach its xl2tpd between its inbound SA and its outbound policy (seen in
    # 1 of 4 CI runs, from the far gateway). More than one such datagram per
    # gateway, or any from us, is a leak.
    gateway_addresses = {g.address for g in gateways.values()}
    ours = [pair for pair in cleartext if pair[0] == LINK_NM and pair[1] in gateway_addresses]
    theirs = [pair for pair in cleartext if pair[0] in gateway_addresses and pair[1] == LINK_NM]
    assert not ours, (kinds, cleartext)
    assert kinds['l2tp'] == len(theirs), (kinds, cleartext)
    for address in gateway_addresses:
        assert theirs.count((address, LINK_NM)) <= 1, (kinds, cleartext)
    assert len(root_ppp_devices()) == 2, root_ppp_devices()
    sas = desktop.charon.list_sas()
    assert sas.count('ESTABLISHED') == 2 and sas.count('l2tpbus-') >= 2, sas

    for name in gateways:
        nmcli('connection', 'down', name, timeout=60)
    assert_nothing_left()
    wait_until(lambda: not any(sa_pair_between(ROOT, LINK_NM, g.address)
                               for g in gateways.values()), 20,
               'no ESP SA of ours left in the root namespace')
    wait_until(lambda: not ours_in_charon(desktop.charon), 20,
               'charon to hold no connection or SA of ours')
