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
"""

import os
import pathlib
import stat
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from vmtest import Host, Network, it, l2tpbusd_path, pytest_runtest_makereport  # noqa: E402,F401

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
