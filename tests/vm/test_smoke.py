"""The VM rig itself: the kernel's L2TP and PPP pieces are there and work,
independently of l2tpbusd's data plane (iproute2 drives the kernel here).

Runs in the VM: meson test --suite vm, or
tests/vm/run-in-vm -- /usr/bin/python3 -m pytest -q tests/vm/test_smoke.py
"""

import os
import stat

import pytest

import vm_image
from vmtest import MANAGER, ROOT_PATH, sh


def test_modules_are_loaded():
    with open('/proc/modules') as modules:
        loaded = {line.split()[0] for line in modules}
    missing = [m for m in vm_image.MODULES if m.replace('-', '_') not in loaded]
    assert not missing, f'not loaded: {missing}'


def test_any_module_of_the_kernel_loads_on_demand():
    """The whole module tree is there, not only what the initramfs holds."""
    sh('modprobe', 'dummy')
    assert os.path.isdir('/sys/module/dummy')


def test_dev_ppp_and_pppd():
    mode = os.stat('/dev/ppp')
    assert stat.S_ISCHR(mode.st_mode)
    assert (os.major(mode.st_rdev), os.minor(mode.st_rdev)) == (108, 0)
    os.close(os.open('/dev/ppp', os.O_RDWR))
    result = sh('pppd', '--version')
    version = (result.stdout + result.stderr).split()[-1]
    assert os.path.exists(f'/usr/lib/pppd/{version}/pppol2tp.so'), version


def test_namespaces_joined_by_veth(network):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    a.ping(link.b4)
    a.ping(link.b6)  # at once: no duplicate address detection to wait for


@pytest.mark.parametrize('encap', ['udp', 'ip'])
@pytest.mark.parametrize('family', ['ipv4', 'ipv6'])
def test_static_l2tpv3_ethernet_pseudowire(network, encap, family):
    """ip l2tp on both ends: a tunnel, an Ethernet session, ping through it."""
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    outer = {'a': link.a4, 'b': link.b4} if family == 'ipv4' else {'a': link.a6, 'b': link.b6}
    ends = [(a, outer['a'], outer['b'], 100, 200, 1000, 2000, '192.168.77.1', 'fd77::1'),
            (b, outer['b'], outer['a'], 200, 100, 2000, 1000, '192.168.77.2', 'fd77::2')]
    for index, (host, local, remote, tid, peer_tid, sid, peer_sid, inner4, inner6) in \
            enumerate(ends):
        ports = f' udp_sport {5000 + index} udp_dport {5001 - index}' if encap == 'udp' else ''
        host.ip_batch(f'l2tp add tunnel tunnel_id {tid} peer_tunnel_id {peer_tid} encap {encap} '
                      f'local {local} remote {remote}{ports}',
                      f'l2tp add session name l2tpeth0 tunnel_id {tid} session_id {sid} '
                      f'peer_session_id {peer_sid}',
                      f'addr add {inner4}/24 dev l2tpeth0',
                      f'addr add {inner6}/64 dev l2tpeth0 nodad',
                      'link set l2tpeth0 up')

    shown = a.ip('l2tp', 'show', 'tunnel').stdout
    assert f'encap {encap.upper()}' in shown, shown
    a.wait_ping('192.168.77.2')
    a.wait_ping('fd77::2')


def test_l2tpbusd_runs_in_a_namespace_on_its_own_bus(network, make_daemon):
    host = network.host('a')
    stack = make_daemon(host)
    # any value for now: the kernel data plane is being written
    data_plane = stack.root.prop(ROOT_PATH, MANAGER, 'DataPlane')
    assert isinstance(data_plane, str) and data_plane
    ours = os.stat(f'/proc/{stack.daemon.pid}/ns/net').st_ino
    assert ours == os.stat(f'/run/netns/{host.netns}').st_ino
