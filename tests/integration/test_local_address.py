"""Objects of config files whose local address is not on the host yet, as on
a server where l2tpbusd starts before the network is configured: the daemon
runs in a network namespace of the test's own (unshare --net, lo up), and
the test adds the addresses after it started.

- a [Listener] file on 10.99.0.1:1701 or [fd99::1]:1701 is on the bus at
  once, State waiting; once the address is added (rtnetlink tells the
  daemon) it is listening, and a peer's SCCRQ to that address gets an
  SCCRP; the address removed, it waits again;
- a static tunnel file with that Local stays connecting until the address
  is here, then is established;
- Manager.Listen on an address that is not here still fails at once.

The peer is l2tp_wire.py run inside the namespace (nsenter).
"""

import os
import subprocess
import textwrap

import pytest

from conftest import FAILED, HERE, LISTENER, MANAGER, ROOT_PATH, TUNNEL, PYTHON, DBusError
from conftest import assert_error, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason='network namespaces need root (unshare --net)')

V4 = '10.99.0.1'
V6 = 'fd99::1'


class Namespace:
    """A network namespace held by a sleeping process, lo up."""

    def __init__(self):
        self.holder = subprocess.Popen(['unshare', '--net', 'sleep', 'infinity'],
                                       stdin=subprocess.DEVNULL)
        own = os.stat('/proc/self/ns/net').st_ino
        wait_until(lambda: os.stat(f'/proc/{self.holder.pid}/ns/net').st_ino != own, 10,
                   'the namespace of unshare --net')
        self.path = f'/proc/{self.holder.pid}/ns/net'
        self.run('ip', 'link', 'set', 'lo', 'up')

    def command(self, *argv):
        return ['nsenter', f'--net={self.path}', '--', *argv]

    def run(self, *argv):
        subprocess.run(self.command(*argv), check=True, capture_output=True, timeout=10)

    def add(self, address):
        self.run('ip', 'addr', 'add', address + ('/128' if ':' in address else '/32'), 'dev', 'lo')

    def remove(self, address):
        self.run('ip', 'addr', 'del', address + ('/128' if ':' in address else '/32'), 'dev', 'lo')

    def close(self):
        self.holder.kill()
        self.holder.wait()


# An SCCRQ from inside the namespace to (address, port); prints the SCCRP's
# assigned tunnel id, or the StopCCN, or the timeout.
PEER = textwrap.dedent('''\
    import socket, sys
    sys.path.insert(0, sys.argv[1])
    import l2tp_wire
    address, port = sys.argv[2], int(sys.argv[3])
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        sock.sendto(l2tp_wire.sccrq(4242, b'netns-peer'), (address, port))
        try:
            print('SCCRP', l2tp_wire.complete_handshake(sock, (address, port)))
        except l2tp_wire.Refused as refused:
            print('refused', refused)
        except socket.timeout:
            print('no answer')
    ''')


@pytest.fixture
def namespace():
    space = Namespace()
    yield space
    space.close()


@pytest.fixture
def stack_in(make_stack, tmp_path, namespace):
    """make_stack() for a daemon that runs inside the namespace."""
    wrapper = tmp_path / 'l2tpbusd-in-namespace'

    def make(**kwargs):
        stack = make_stack(start=False, **kwargs)
        wrapper.write_text(f'#!/bin/sh\nexec nsenter --net={namespace.path} -- '
                           f'{stack.daemon.binary} "$@"\n')
        wrapper.chmod(0o755)
        stack.daemon.binary = str(wrapper)
        return stack.start()
    return make


def sccrq_from_namespace(namespace, address, port=1701):
    result = subprocess.run(namespace.command(PYTHON, '-c', PEER, str(HERE), address, str(port)),
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def listener_at(stack, local):
    def find():
        for path, interfaces in stack.root.managed_objects().items():
            if interfaces.get(LISTENER, {}).get('Local') == local:
                return path
        return None
    return wait_until(find, 10, f'the listener on {local}')


def test_a_listener_file_waits_for_its_address_and_then_answers_sccrqs(stack_in, namespace):
    stack = stack_in(files={'v4.tunnel': f'[Listener]\nLocal={V4}:1701\n',
                            'v6.tunnel': f'[Listener]\nLocal=[{V6}]:1701\n'})
    listeners = {V4: listener_at(stack, f'{V4}:1701'), V6: listener_at(stack, f'[{V6}]:1701')}
    for path in listeners.values():
        assert stack.root.prop(path, LISTENER, 'State') == 'waiting'
    assert [tuple(f) for f in stack.root.prop(ROOT_PATH, MANAGER, 'ConfigFiles')] == [
        ('v4', 'up', ''), ('v6', 'up', '')]
    assert 'waits for 10.99.0.1:1701' in stack.daemon.log_text()

    for address, path in listeners.items():
        namespace.add(address)
        stack.wait_prop(path, LISTENER, 'State', 'listening')
        answer = sccrq_from_namespace(namespace, address)
        assert answer.startswith('SCCRP '), answer
        wait_until(lambda p=path: stack.root.prop(p, LISTENER, 'Statistics')['accepted'] == 1, 10,
                   f'the SCCRQ accepted at {address}')
    states = [e.values['State'] for e in stack.signals.of(listeners[V4], 'PropertiesChanged')
              if 'State' in e.values]
    assert states == ['listening'], states

    namespace.remove(V4)
    stack.wait_prop(listeners[V4], LISTENER, 'State', 'waiting')
    assert stack.root.prop(listeners[V6], LISTENER, 'State') == 'listening'


def test_a_static_tunnel_file_is_connecting_until_its_address_is_here(stack_in, namespace):
    stack = stack_in(files={'static.tunnel': (
        f'[Tunnel]\nMode=static\nVersion=3\nTunnelId=500\nPeerTunnelId=600\n'
        f'Peer=10.99.0.2\nLocal={V4}\n\n'
        '[Session]\nPseudowire=eth\nSessionId=1\nPeerSessionId=2\n')})
    tunnel = '/org/l2tpbus1/tunnel/500'
    wait_until(lambda: tunnel in stack.tunnels(), 10, 'the static tunnel on the bus')
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'connecting'
    assert stack.root.prop(tunnel, TUNNEL, 'ConfigFile') == 'static'
    namespace.add(V4)
    stack.wait_state(tunnel, TUNNEL, 'established')
    stack.wait_state(tunnel + '/session/1', 'org.l2tpbus1.Session', 'established')


def test_listen_on_the_bus_still_fails_where_the_address_is_not(stack_in, namespace):
    stack = stack_in()
    with pytest.raises(DBusError) as raised:
        stack.root.listen({'Local': f'{V4}:1701'})
    assert_error(raised, FAILED, f'cannot listen on {V4}:1701')
    assert stack.listeners() == []
