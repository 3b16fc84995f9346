"""Issue 11: PPP sessions come up under the systemd unit's sandbox.

Runs with systemd as PID 1 (run-in-vm --systemd; the group vm-sandbox). The
built unit (build/data/l2tpbusd.service, unchanged) is put in
/run/systemd/system, the daemon and our pppd plugin where the unit and the
daemon look for them (the build's prefix: the VM's / is a throw-away
overlay), and the bus policy where the system bus reads it; then systemd
starts l2tpbusd.service on the system bus, with every sandbox setting
applied by systemd itself. Its LNS peer is our unsandboxed l2tpbusd in a
network namespace, a veth away. The sandboxed LAC brings up a PPP session
(pppd and its plugin run inside the sandbox), pings across, closes it, and
stops cleanly; the sandbox is checked on the running processes (seccomp, no
new privileges, capabilities, /run read-only but for /run/l2tpbusd).
Runs in the VM: meson test vm-sandbox, or
tests/vm/run-in-vm --systemd -- /usr/bin/python3 -m pytest -q tests/vm/test_sandbox.py
"""

import os
import pathlib
import shutil

import pytest

from vmtest import (REPO, SESSION, TUNNEL, build_dir, build_options, in_network_namespace, it,
                    pids_of, pool_lns_beside_root, sh, wait_until)

LINK_LNS, LINK_LAC, LINK_PREFIX = '10.88.0.1', '10.88.0.2', 24
LNS_ADDRESS = '10.89.0.1'
POOL = ('10.89.0.10', '10.89.0.19')
LAC_IF, LNS_IF = 'sbveth0', 'sbveth1'
UNIT = 'l2tpbusd.service'
SYSTEM_BUS = 'unix:path=/run/dbus/system_bus_socket'
# CAP_NET_ADMIN (12) and CAP_NET_BIND_SERVICE (10): the unit's bounding set
CAPABILITIES = (1 << 12) | (1 << 10)


def systemctl(*args, check=True):
    return sh('systemctl', '--no-pager', *args, check=check, timeout=60)


def unit_property(name):
    return systemctl('show', '-P', name, UNIT).stdout.strip()


def journal():
    return sh('journalctl', '--no-pager', '-o', 'cat', '-u', UNIT, check=False).stdout


def status_fields(pid) -> dict:
    lines = pathlib.Path(f'/proc/{pid}/status').read_text().splitlines()
    return dict(line.split(':\t', 1) for line in lines if ':\t' in line)


def mount_options(pid) -> dict:
    """Mount point -> its per-mount options ('ro' or 'rw' first), as pid sees them."""
    options = {}
    for line in pathlib.Path(f'/proc/{pid}/mountinfo').read_text().splitlines():
        fields = line.split()
        options[fields[4]] = fields[5]
    return options


@pytest.fixture
def installed(l2tpbusd_path):
    """The build, where the built unit expects it."""
    if pathlib.Path('/proc/1/comm').read_text().strip() != 'systemd':
        pytest.fail('needs systemd as PID 1: run-in-vm --systemd (meson test vm-sandbox)')
    build = build_dir(l2tpbusd_path)
    options = build_options(build)
    prefix = pathlib.Path(options['prefix'])
    unit = build / 'data' / UNIT
    plugin = build / 'service' / 'ppp' / 'l2tpbus-pppd.so'
    for path in (unit, plugin):
        assert path.exists(), f'{path} is missing: build the whole project (ninja)'
    copies = [(pathlib.Path(l2tpbusd_path), prefix / options['sbindir'] / 'l2tpbusd'),
              (plugin, prefix / options['libdir'] / 'l2tpbus' / 'l2tpbus-pppd.so'),
              (unit, pathlib.Path('/run/systemd/system') / UNIT),
              (REPO / 'data' / 'org.l2tpbus1.conf',
               pathlib.Path('/etc/dbus-1/system.d/org.l2tpbus1.conf'))]
    for source, target in copies:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    exec_start = [line for line in unit.read_text().splitlines()
                  if line.startswith('ExecStart=')][0]
    assert exec_start.split('=', 1)[1].split()[0] == str(copies[0][1]), exec_start
    systemctl('daemon-reload')
    # the bus (socket-activated) rereads its policy if it is up already
    systemctl('reload-or-restart', 'dbus.service', check=False)
    yield
    systemctl('stop', UNIT, check=False)


@pytest.fixture
def lns(network, make_daemon, tmp_path, l2tpbusd_path):
    """Our LNS, unsandboxed, in a namespace a veth away from the root one."""
    host = network.host('lns')
    stack = pool_lns_beside_root(host, make_daemon, tmp_path / 'lns-state', l2tpbusd_path,
                                 root_if=LAC_IF, lns_if=LNS_IF, link_lns=LINK_LNS,
                                 link_prefix=LINK_PREFIX, lns_address=LNS_ADDRESS, pool=POOL,
                                 require_authentication=False)
    sh('ip', 'addr', 'add', f'{LINK_LAC}/{LINK_PREFIX}', 'dev', LAC_IF)
    sh('ip', 'link', 'set', LAC_IF, 'up')
    host.wait_ping(LINK_LAC)
    yield stack
    sh('ip', 'link', 'del', LAC_IF, check=False)


def root_pppd_pids():
    return pids_of('pppd', in_network_namespace(os.stat('/proc/self/ns/net').st_ino))


def test_ppp_session_under_the_units_sandbox(installed, lns):
    systemctl('start', UNIT)
    try:
        assert unit_property('ActiveState') == 'active'
        daemon = int(unit_property('MainPID'))
        print(sh('systemd-analyze', 'security', '--no-pager', UNIT, check=False).stdout
              .strip().splitlines()[-1])

        client = it.Client(SYSTEM_BUS)
        tunnel = client.create_tunnel({'Peer': f'{LINK_LNS}:1701', 'Local': LINK_LAC,
                                       'HostName': 'l2tpbus-sandboxed'})
        wait_until(lambda: client.prop(tunnel, TUNNEL, 'State') == 'established', 20,
                   'the tunnel')
        session = client.create_session(tunnel, {'Pseudowire': 'ppp'})
        wait_until(lambda: client.prop(session, SESSION, 'State') == 'established', 40,
                   'the PPP session')
        ours = dict(client.prop(session, SESSION, 'Ip4Config'))
        assert ours['peer'] == LNS_ADDRESS, ours
        sh('ping', '-c', '1', '-W', '5', LNS_ADDRESS)

        # The sandbox, as the kernel applies it to l2tpbusd and its pppd.
        [pppd] = root_pppd_pids()
        for pid in (daemon, pppd):
            status = status_fields(pid)
            assert status['NoNewPrivs'] == '1', (pid, status)
            assert status['Seccomp'] == '2', (pid, status)  # a filter
            assert int(status['CapBnd'], 16) == CAPABILITIES, (pid, status['CapBnd'])
            assert os.stat(f'/proc/{pid}/ns/mnt').st_ino != os.stat('/proc/self/ns/mnt').st_ino
            assert os.stat(f'/proc/{pid}/ns/ipc').st_ino != os.stat('/proc/self/ns/ipc').st_ino
        mounts = mount_options(daemon)
        # and as a write finds it (mount flags aside, nothing else may allow it)
        writes = sh('nsenter', '-t', str(daemon), '-m', 'sh', '-c',
                    'touch /run/x 2>/dev/null; echo $?; touch /run/l2tpbusd/x; echo $?',
                    check=False).stdout.split()
        assert writes == ['1', '0'], writes
        assert mounts['/run'].startswith('ro'), mounts.get('/run')
        assert mounts['/run/l2tpbusd'].startswith('rw'), mounts.get('/run/l2tpbusd')
        assert mounts.get('/usr', mounts['/']).startswith('ro'), mounts
        # pppd's record is kept in the one writable place.
        assert f'pppd {pppd} ' in pathlib.Path('/run/l2tpbusd/pppd').read_text()
        # Nothing refused that pppd or l2tpbusd needed (SystemCallErrorNumber=EPERM
        # would show as "Operation not permitted").
        log = journal()
        assert 'Operation not permitted' not in log, log

        client.close(session, SESSION)
        wait_until(lambda: not root_pppd_pids(), 15, 'pppd to end')
        client.close(tunnel, TUNNEL)
        client.close_connection()
    except BaseException:
        print(journal())
        raise
    systemctl('stop', UNIT)
    assert unit_property('ActiveState') == 'inactive', journal()
    assert unit_property('Result') == 'success', journal()
    # The records outlive the service (RuntimeDirectoryPreserve=yes).
    assert pathlib.Path('/run/l2tpbusd/pppd').exists()
