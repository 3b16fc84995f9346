"""Fixtures for the tests that need a kernel with L2TP and PPP.

They run only inside the VM (tests/vm/run-in-vm, which the meson suite "vm"
uses); anywhere else the session stops with an error rather than skipping, so
a VM that did not boot can never pass for a green run.

- `network`: hosts made of network namespaces, joined by veth pairs (netns.py);
  everything is stopped and deleted after the test.
- `make_daemon(host, ...)`: the real `l2tpbusd --data-plane kernel` started
  with `ip netns exec` in that host's namespace, on its own private
  dbus-daemon with the polkit double. The bus, the double and the daemon's
  handling (readiness, log in a failed test's report, SIGTERM at teardown,
  a crash or sanitizer report failing the test) are those of
  tests/integration/conftest.py, imported rather than repeated. The returned
  Stack's `root` is a D-Bus client (create_tunnel, create_session, listen,
  prop, props, call ...) and `wait_state` waits on an object's State.
- `xl2tpd(host, config, ppp_options)`: Debian's xl2tpd (and the pppd it
  starts) in that host's namespace (tests/integration/xl2tpd_peer.py).
- `make_charon(host, name=None, settings='')`: a started strongSwan charon
  in that host's namespace with its own VICI socket (`.socket`), config and
  logs (ipsec_peers.py says how it is isolated); stopped after the test, and
  one that died during it fails the test.
- `ipsec_lns(host, address, psk=PSK, ...)`: the classic L2TP/IPsec server,
  xl2tpd behind charon (ipsec_peers.IpsecLns).
- `desktop`: the build installed, NetworkManager and the system l2tpbusd
  (nm_desktop.Desktop), started once per VM boot for the nm group's files;
  `lns`: our LNS a veth away from it; `chap_secrets`: nm_desktop.USERS in
  /etc/ppp/chap-secrets for the test.
"""

import os
import pathlib
import stat
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from vmtest import (Host, Network, Xl2tpdPeers, it, l2tpbusd_path,  # noqa: E402,F401
                    pytest_runtest_makereport)
from ipsec_peers import PSK, Charon, IpsecLns  # noqa: E402
from vmtest import build_dir, build_options  # noqa: E402
from nm_desktop import CHAP_SECRETS, USERS, Desktop, lns_beside_nm  # noqa: E402

IN_VM_MODULES = ('l2tp_core', 'l2tp_netlink', 'l2tp_eth', 'l2tp_ppp', 'l2tp_ip', 'l2tp_ip6',
                 'ppp_generic', 'veth', 'xfrm_user', 'esp4', 'esp6')


def pytest_configure(config):
    if os.environ.get('L2TPBUS_VM') != '1':
        pytest.exit('tests/vm needs the kernel in the VM: run them through meson '
                    '(meson test --suite vm) or tests/vm/run-in-vm -- /usr/bin/python3 -m '
                    'pytest tests/vm/...', returncode=3)
    with open('/proc/modules') as modules:
        loaded = {line.split()[0] for line in modules}
    missing = [m for m in IN_VM_MODULES if m not in loaded]
    if missing:
        pytest.exit(f'the VM booted without the modules {missing}', returncode=3)


_network_count = 0


@pytest.fixture
def network():
    """A fresh Network; its namespaces are named vm<N>-<host>."""
    global _network_count
    _network_count += 1
    net = Network(f'vm{_network_count}-')
    yield net
    net.teardown()


def _in_netns_binary(directory: pathlib.Path, host: Host, binary: str) -> str:
    """An executable that runs `binary` inside host's namespace. ip netns exec
    execs the binary in place, so the pid the fixtures signal is l2tpbusd's."""
    wrapper = directory / f'l2tpbusd-in-{host.netns}'
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {host.netns} {binary} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(wrapper)


@pytest.fixture
def make_daemon(request, l2tpbusd_path, network, tmp_path):
    """make_daemon(host, label=None, data_plane='kernel', conf={...}, files={...},
    polkit_default='deny', extra_args=(), start=True) -> Stack, its daemon in host.

    Torn down before `network` (it depends on it): daemons get SIGTERM while
    their namespaces still exist."""
    pools = {}

    def make(host: Host, label=None, data_plane='kernel', **kwargs):
        if host.netns not in pools:
            pools[host.netns] = it.StackPool(_in_netns_binary(tmp_path, host, l2tpbusd_path),
                                             request.node)
        count = sum(len(pool.stacks) for pool in pools.values())
        return pools[host.netns].make(label or 'abcdefgh'[count], data_plane=data_plane,
                                      **kwargs)

    yield make
    failures = []
    for pool in pools.values():
        try:
            pool.teardown(getattr(request.node, '_l2tpbus_failed', False))
        except pytest.fail.Exception as error:
            failures.append(str(error))
    if failures:
        pytest.fail('\n'.join(failures))


@pytest.fixture
def ppp_plugin(l2tpbusd_path):
    """Our pppd plugin, built beside the l2tpbusd under test."""
    path = pathlib.Path(l2tpbusd_path).resolve().parent / 'ppp' / 'l2tpbus-pppd.so'
    assert path.exists(), f'{path} is missing: build the whole project (ninja), not only l2tpbusd'
    return str(path)


@pytest.fixture
def daemon(make_daemon, tmp_path, ppp_plugin):
    """daemon(host) -> a started l2tpbusd stack in host, running pppd with our plugin."""
    def make(host, **kwargs):
        extra = ['--state-dir', str(tmp_path / f'state-{host.netns}'),
                 '--ppp-plugin', ppp_plugin] + list(kwargs.pop('extra_args', ()))
        return make_daemon(host, extra_args=extra, **kwargs)
    return make


@pytest.fixture
def xl2tpd(request, network, tmp_path):
    """xl2tpd(host, config, ppp_options) -> a started Xl2tpd in host's namespace
    (tests/integration/conftest.py's), its log joining a failing test's report."""
    peers = Xl2tpdPeers(request, tmp_path)
    yield lambda host, config, ppp_options: peers(config, ppp_options=ppp_options,
                                                  popen=host.popen)
    peers.stop()


@pytest.fixture
def make_charon(request, network, tmp_path):
    """make_charon(host, name=None, settings='', plugins=PLUGINS) -> a started
    Charon in host, configured in tmp_path/charon-NAME (NAME: the host's
    name by default). Stopped before the namespaces go (it depends on
    `network`); its logs join a failing test's report."""
    charons = []

    def make(host: Host, name=None, **kwargs) -> Charon:
        name = name or host.netns[len(network.prefix):]
        charon = Charon(host, tmp_path / f'charon-{name}', **kwargs)
        charons.append(charon)
        node = request.node
        node._l2tpbus_logs = getattr(node, '_l2tpbus_logs', []) + [
            (f'charon {name} log', charon.log), (f'charon {name} output', charon.out)]
        return charon.start()

    yield make
    problems = []
    for charon in charons:
        died = charon.process is not None and charon.process.poll() is not None
        status = charon.stop()
        if died or status not in (0, None):
            problems.append(f'{charon} {"died during the test" if died else "stopped"} '
                            f'with status {status}')
    if problems:
        pytest.fail('\n'.join(problems))


@pytest.fixture
def ipsec_lns(make_charon, xl2tpd):
    """ipsec_lns(host, address, psk=PSK, version=1, proposals='default',
    esp_proposals='default', encap=False, local_ip=..., pool=...,
    credentials=None, ca=None) -> an IpsecLns: xl2tpd on address:1701
    behind a charon in host (its VICI socket: .vici; PPP: .local_ip here,
    the peer's address from .pool). With `credentials` (ipsec_peers.Ca's
    issue()) it authenticates with that certificate instead of a PSK, and
    takes clients whose certificate `ca` signed."""
    def make(host: Host, address: str, psk=PSK, **kwargs) -> IpsecLns:
        if kwargs.get('credentials') is not None:
            psk = None
        return IpsecLns(host, address, make_charon(host), xl2tpd, psk=psk, **kwargs)
    return make


@pytest.fixture(scope='session')
def desktop_session(l2tpbusd_path, tmp_path_factory):
    """One desktop per VM boot, shared by the files of the group."""
    build = build_dir(l2tpbusd_path)
    # not under /run, which the charon's own mount namespace replaces
    machine = Desktop(build, build_options(build), tmp_path_factory.mktemp('desktop-charon'))
    took = machine.install()
    print(f'\nmeson install: {took:.1f} s')
    machine.start()
    yield machine
    machine.stop()


@pytest.fixture
def desktop(request, desktop_session):
    """NetworkManager and the system l2tpbusd (nm_desktop.Desktop); their logs
    join a failing test's report."""
    machine = desktop_session
    request.node._l2tpbus_logs = getattr(request.node, '_l2tpbus_logs', []) + [
        ('NetworkManager log', machine.nm_log), ('system l2tpbusd log', machine.daemon_log),
        ('desktop charon log', machine.charon_dir / 'charon.log'),
        ('desktop charon output', machine.charon_dir / 'charon.out')]
    return machine


@pytest.fixture
def chap_secrets():
    before = CHAP_SECRETS.read_bytes() if CHAP_SECRETS.exists() else None
    CHAP_SECRETS.write_text(''.join(f'{user} * "{password}" *\n'
                                    for user, password in USERS.items()))
    os.chmod(CHAP_SECRETS, 0o600)
    yield
    if before is None:
        CHAP_SECRETS.unlink(missing_ok=True)
    else:
        CHAP_SECRETS.write_bytes(before)


@pytest.fixture
def lns(desktop, network, make_daemon, tmp_path, chap_secrets, l2tpbusd_path):
    """Our LNS in its namespace, a veth away from the NetworkManager-managed root end."""
    host = network.host('lns')
    for _ in lns_beside_nm(host, make_daemon, tmp_path / 'lns-state', l2tpbusd_path):
        yield host
