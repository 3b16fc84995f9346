"""Objects of config files whose local address comes after l2tpbusd started,
on the real kernel (the integration tests cover UDP listeners with the null
data plane; this kernel has what theirs lacks):

- an L2TPIP listener, which the kernel's l2tp_ip_bind() refuses for an
  address that is not local whatever IP_FREEBIND says, is on the bus at
  once, waiting; it binds when the address is added and then accepts a
  tunnel;
- likewise over IPv6 while the address is tentative (duplicate address
  detection): it binds only once the address is usable, which rtnetlink
  announces;
- a static tunnel file is connecting, with no kernel tunnel, until its
  address comes; then the kernel has its tunnel and session.

Runs in the VM: meson test vm-addresses, or
tests/vm/run-in-vm -- /usr/bin/python3 -m pytest -q tests/vm/test_late_address.py
"""

from vmtest import LISTENER, SESSION, TUNNEL, wait_until

LATE4 = '10.201.0.1'
LATE6 = 'fd00:201::1'


def daemon(make_daemon, host, tmp_path, **kwargs):
    return make_daemon(host, extra_args=['--state-dir', str(tmp_path / f'state-{host.netns}')],
                       **kwargs)


def only_listener(stack):
    return wait_until(lambda: stack.listeners(), 10, 'the listener of the file')[0]


def tentative(host, interface, address):
    return 'tentative' in host.ip('-6', 'addr', 'show', 'dev', interface, 'to', address).stdout


def test_an_l2tpip_listener_binds_once_its_address_is_here(network, make_daemon, tmp_path):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    lns = daemon(make_daemon, a, tmp_path, files={'lns.tunnel': (
        f'[Listener]\nLocal={LATE4}\nVersion=3\nEncapsulation=ip\nPseudowires=eth\n')})
    listener = only_listener(lns)
    assert lns.root.prop(listener, LISTENER, 'State') == 'waiting'
    assert 'waits for' in lns.daemon.log_text()

    a.ip('addr', 'add', f'{LATE4}/32', 'dev', link.a_if)
    lns.wait_prop(listener, LISTENER, 'State', 'listening')
    b.ip('route', 'add', f'{LATE4}/32', 'via', link.a4)
    lac = daemon(make_daemon, b, tmp_path)
    tunnel = lac.root.create_tunnel({'Peer': LATE4, 'Local': link.b4, 'Version': 3,
                                     'Encapsulation': 'ip'})
    lac.wait_state(tunnel, TUNNEL, 'established')
    assert lns.root.prop(listener, LISTENER, 'Statistics')['accepted'] == 1


def test_an_ipv6_l2tpip_listener_binds_once_duplicate_address_detection_is_over(
        network, make_daemon, tmp_path):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    # Five probes a second apart: long enough to look while it is tentative.
    a.sysctl(f'net.ipv6.conf.{link.a_if}.accept_dad', 1,
             f'net.ipv6.conf.{link.a_if}.dad_transmits', 5)
    lns = daemon(make_daemon, a, tmp_path, files={'lns6.tunnel': (
        f'[Listener]\nLocal={LATE6}\nVersion=3\nEncapsulation=ip\nPseudowires=eth\n')})
    listener = only_listener(lns)
    a.ip('addr', 'add', f'{LATE6}/128', 'dev', link.a_if)
    assert tentative(a, link.a_if, LATE6), 'the address skipped duplicate address detection'
    state = lns.root.prop(listener, LISTENER, 'State')
    assert tentative(a, link.a_if, LATE6), 'too slow to look while the address was tentative'
    assert state == 'waiting'
    lns.wait_prop(listener, LISTENER, 'State', 'listening', timeout=20)
    assert not tentative(a, link.a_if, LATE6)

    b.ip('-6', 'route', 'add', f'{LATE6}/128', 'via', link.a6)
    lac = daemon(make_daemon, b, tmp_path)
    tunnel = lac.root.create_tunnel({'Peer': LATE6, 'Local': link.b6, 'Version': 3,
                                     'Encapsulation': 'ip'})
    lac.wait_state(tunnel, TUNNEL, 'established')


def test_a_static_tunnel_file_waits_for_its_address_before_the_kernel_tunnel(
        network, make_daemon, tmp_path):
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)
    stack = daemon(make_daemon, a, tmp_path, files={'static.tunnel': (
        '[Tunnel]\nMode=static\nVersion=3\nTunnelId=300\nPeerTunnelId=400\n'
        f'Local={LATE4}:1701\nPeer={link.b4}:1701\n\n'
        '[Session]\nPseudowire=eth\nSessionId=30\nPeerSessionId=40\nInterfaceName=late0\n')})
    tunnel = '/org/l2tpbus1/tunnel/300'
    wait_until(lambda: tunnel in stack.tunnels(), 10, 'the static tunnel on the bus')
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'connecting'
    assert 'Tunnel 300' not in a.run('ip', 'l2tp', 'show', 'tunnel').stdout

    a.ip('addr', 'add', f'{LATE4}/32', 'dev', link.a_if)
    stack.wait_state(tunnel, TUNNEL, 'established')
    stack.wait_state(tunnel + '/session/30', SESSION, 'established')
    kernel = a.run('ip', 'l2tp', 'show', 'tunnel').stdout
    assert 'Tunnel 300' in kernel and LATE4 in kernel, kernel
    assert 'late0' in a.run('ip', 'link', 'show').stdout
