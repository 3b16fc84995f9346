"""The desktop of the NetworkManager VM tests (test_nm.py, test_nm_ask.py):
the build installed into the VM, the system bus, udev, NetworkManager and the
system l2tpbusd (`Desktop`), our LNS a veth away (`lns_beside_nm`), and the
nmcli helpers. The fixtures over them (`desktop`, one per VM boot, `lns`,
`chap_secrets`) are in conftest.py.
"""

import json
import os
import pathlib
import shutil
import signal
import subprocess
import textwrap
import time

from ipsec_peers import Charon
from vmtest import (RootNamespace, in_network_namespace, pids_of, pool_lns_beside_root, sh,
                    wait_until)

LINK_LNS, LINK_NM, LINK_PREFIX = '10.66.0.1', '10.66.0.2', 24
LINK_XL2TPD = '10.66.0.3'  # an xl2tpd LNS beside ours
LNS_ADDRESS = '10.77.0.1'
POOL = ('10.77.0.10', '10.77.0.19')
USERS = {'alice': 'alice secret', 'bob': 'bob s3cret'}
CHAP_SECRETS = pathlib.Path('/etc/ppp/chap-secrets')
NM_IF, LNS_IF = 'nmveth0', 'lns0'
BASE = 'base-eth'
RUN = pathlib.Path('/run/l2tpbus-nm-test')


def nmcli(*args, check=True, timeout=30.0):
    return sh('nmcli', *args, check=check, timeout=timeout)


def root_ppp_devices():
    return [line.split(':')[1].strip().split('@')[0]
            for line in sh('ip', '-o', 'link', 'show', 'type', 'ppp').stdout.splitlines()]


def root_pppd_pids():
    return pids_of('pppd', in_network_namespace(os.stat('/proc/self/ns/net').st_ino))


def kernel_tunnels():
    return sh('ip', 'l2tp', 'show', 'tunnel').stdout.strip()


class Desktop:
    """The root namespace's system bus, udev, NetworkManager and l2tpbusd."""

    def __init__(self, build, options, charon_dir):
        self.build = build
        self.charon_dir = charon_dir
        self.prefix = pathlib.Path(options['prefix'])
        self.sbindir = self.prefix / options['sbindir']
        self.processes = []
        RUN.mkdir(parents=True, exist_ok=True)
        self.nm_log = RUN / 'NetworkManager.log'
        self.daemon_log = RUN / 'l2tpbusd.log'

    def install(self):
        # meson test builds only the group's depends (tests/vm/meson.build);
        # the rest (translations, the polkit policy) comes from a full build.
        installed = json.loads((self.build / 'meson-info' / 'intro-installed.json').read_text())
        missing = sorted(f for f in installed if not os.path.exists(f))
        assert not missing, (f'build the whole project first (ninja -C {self.build}): '
                             f'meson install would miss {missing}')
        started = time.monotonic()
        sh('meson', 'install', '-C', str(self.build), '--no-rebuild', '--quiet', timeout=180)
        # Where NetworkManager and the system bus look, when the prefix is not theirs.
        name = self.prefix / 'lib' / 'NetworkManager' / 'VPN' / 'nm-l2tpbus-service.name'
        assert name.exists(), f'meson install put no {name}'
        vpn_dir = pathlib.Path('/etc/NetworkManager/VPN')
        policy_dir = pathlib.Path('/etc/dbus-1/system.d')
        for source, target in ((name, vpn_dir),
                               (self.prefix / 'share/dbus-1/system.d/nm-l2tpbus-service.conf',
                                policy_dir),
                               (self.prefix / 'share/dbus-1/system.d/org.l2tpbus1.conf',
                                policy_dir)):
            assert source.exists(), f'meson install put no {source}'
            if source.parent != target and not str(self.prefix) == '/usr':
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, target / source.name)
        program = [line.split('=', 1)[1] for line in name.read_text().splitlines()
                   if line.startswith('program=')][0]
        assert os.access(program, os.X_OK), program
        return time.monotonic() - started

    def start(self):
        pathlib.Path('/run/dbus').mkdir(parents=True, exist_ok=True)
        pid = sh('dbus-daemon', '--system', '--fork', '--print-pid').stdout.split()[0]
        self.forked = [int(pid)]
        sh('/lib/systemd/systemd-udevd', '--daemon')
        sh('udevadm', 'trigger', '--action=add')
        sh('udevadm', 'settle', '--timeout=30', timeout=40)

        conf = RUN / 'NetworkManager.conf'
        conf.write_text(textwrap.dedent('''\
            [main]
            plugins=keyfile
            auth-polkit=false
            no-auto-default=*
            dns=none
            rc-manager=unmanaged
            [logging]
            level=INFO
            domains=DEFAULT,VPN:DEBUG,PPP:DEBUG
            [keyfile]
            unmanaged-devices=interface-name:lo
            '''))
        self.nm = self._popen(['NetworkManager', '--debug', '--config', str(conf)],
                              self.nm_log)
        wait_until(lambda: nmcli('-t', 'general', 'status', check=False).returncode == 0
                   or self.nm.poll() is not None, 30, 'NetworkManager to answer')
        assert self.nm.poll() is None, f'NetworkManager exited:\n{self.nm_log.read_text()}'

        # l2tpbusd's charon (the daemon would also find one started later).
        # NetworkManager-l2tp runs a charon of its own in this namespace
        # (ipsec start), on IKE's ports 500 and 4500: ours takes free ports.
        self.charon = Charon(RootNamespace(), self.charon_dir,
                             settings='port = 0\nport_nat_t = 0').start()
        state = RUN / 'l2tpbusd-state'
        config = RUN / 'l2tpbusd-config'
        config.mkdir(exist_ok=True)
        self.daemon = self._popen([str(self.sbindir / 'l2tpbusd'), '--bus', 'system',
                                   '--data-plane', 'kernel', '--log-level', 'debug',
                                   '--config', str(config), '--state-dir', str(state),
                                   '--vici', str(self.charon.socket)],
                                  self.daemon_log)

        def owned():
            assert self.daemon.poll() is None, \
                f'l2tpbusd exited:\n{self.daemon_log.read_text()}'
            return 'true' in sh('busctl', '--system', 'call', 'org.freedesktop.DBus',
                                '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                                'NameHasOwner', 's', 'org.l2tpbus1').stdout
        wait_until(owned, 20, 'l2tpbusd to own org.l2tpbus1 on the system bus')

    def _popen(self, argv, log):
        out = open(log, 'wb')
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
        out.close()
        self.processes.append(process)
        return process

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if getattr(self, 'charon', None):
            self.charon.stop()
        sh('udevadm', 'control', '--exit', check=False)
        for pid in getattr(self, 'forked', []):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def lns_beside_nm(host, make_daemon, state_dir, l2tpbusd_path, **options):
    """Our LNS in host, a veth away from the NetworkManager-managed root end
    (options: pool_lns_beside_root's extra_args and listener); yields its
    stack, then deletes every profile and the veth."""
    stack = pool_lns_beside_root(host, make_daemon, state_dir, l2tpbusd_path,
                                 root_if=NM_IF, lns_if=LNS_IF, link_lns=LINK_LNS,
                                 link_prefix=LINK_PREFIX, lns_address=LNS_ADDRESS, pool=POOL,
                                 require_authentication=True, **options)
    # The base connection VPN profiles ride on: a static address with a gateway,
    # so that it is the primary connection.
    nmcli('connection', 'add', 'type', 'ethernet', 'ifname', NM_IF, 'con-name', BASE,
          'ipv4.method', 'manual', 'ipv4.addresses', f'{LINK_NM}/{LINK_PREFIX}',
          'ipv4.gateway', LINK_LNS, 'ipv6.method', 'disabled', 'autoconnect', 'no')
    # NetworkManager's udev rules leave a veth unmanaged (unless named eth*).
    wait_until(lambda: nmcli('device', 'show', NM_IF, check=False).returncode == 0,
               30, f'NetworkManager to see {NM_IF}')
    nmcli('device', 'set', NM_IF, 'managed', 'yes')
    nmcli('connection', 'up', BASE, timeout=60)
    host.wait_ping(LINK_NM)
    yield stack
    for name in nmcli('-g', 'NAME', 'connection', 'show').stdout.split('\n'):
        if name.strip():
            nmcli('connection', 'delete', name.strip(), check=False, timeout=60)
    sh('ip', 'link', 'del', NM_IF, check=False)


def vpn_profile(name, user, password=None, extra='', gateway=LINK_LNS, secrets=''):
    data = f'gateway={gateway}, user={user}, refuse-pap=yes{extra}'
    args = ['connection', 'add', 'type', 'vpn', 'vpn-type', 'l2tpbus', 'con-name', name,
            'autoconnect', 'no', 'vpn.data', data]
    if password is not None:
        args += ['vpn.secrets', f'password={password}{secrets}']
    nmcli(*args)


def up(name, timeout=90):
    started = time.monotonic()
    result = nmcli('--wait', str(timeout), 'connection', 'up', name, check=False,
                   timeout=timeout + 15)
    return result, time.monotonic() - started


def show(name, field):
    return nmcli('-g', field, 'connection', 'show', name, check=False).stdout.strip()


def in_pool(address):
    last = int(address.rsplit('.', 1)[1])
    return address.startswith('10.77.0.') and 10 <= last <= 19


def assert_nothing_left(timeout=20.0):
    def clean():
        return not root_ppp_devices() and not kernel_tunnels() and not root_pppd_pids()
    try:
        wait_until(clean, timeout, 'ppp devices, kernel tunnels and pppd to go')
    except AssertionError:
        raise AssertionError(f'left behind: ppp devices {root_ppp_devices()}, tunnels '
                             f'{kernel_tunnels()!r}, pppd {root_pppd_pids()}')
