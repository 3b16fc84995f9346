"""Config files: DIR/l2tpbusd.conf ([Daemon]) and DIR/*.tunnel ([Tunnel] with
[Session] / [Session NAME] sections, or one [Listener]) in the D-Bus option
names, loaded at start and applied again on SIGHUP: added, changed and
removed files, without touching the tunnels of other files.

Tunnels of files point at a listener file of the same daemon (Local
127.0.0.2 to 127.0.0.1:<port>), so they come up; tests tell the files'
tunnels apart by their HelloInterval.
"""

import re
import time

from conftest import (
    LISTENER, SESSION, TUNNEL, assert_removed_cleanly, free_port, wait_until)


def listener_file(port, extra=''):
    return f'[Listener]\nLocal=127.0.0.1:{port}\nHostName=cfg-lns\n{extra}'


def tunnel_file(port, hello, extra='', sessions='[Session]\nPseudowire=ppp\n'):
    return (f'[Tunnel]\nPeer=127.0.0.1:{port}\nLocal=127.0.0.2\nHelloInterval={hello}\n{extra}\n'
            f'{sessions}')


def initiators_by_hello(stack):
    """{HelloInterval: tunnel path} of the daemon's initiator tunnels."""
    result = {}
    for path, interfaces in stack.root.managed_objects().items():
        tunnel = interfaces.get(TUNNEL)
        if tunnel and tunnel['Role'] == 'initiator':
            assert tunnel['HelloInterval'] not in result, 'two tunnels with one HelloInterval'
            result[tunnel['HelloInterval']] = path
    return result


def wait_initiators(stack, hellos, timeout=10.0):
    """Waits until exactly the tunnels with these HelloIntervals exist, all established."""
    def ready():
        tunnels = initiators_by_hello(stack)
        if set(tunnels) != set(hellos):
            return None
        if any(stack.root.prop(p, TUNNEL, 'State') != 'established' for p in tunnels.values()):
            return None
        return tunnels
    try:
        return wait_until(ready, timeout, f'established tunnels with HelloInterval {hellos}')
    except AssertionError:
        raise AssertionError(f'wanted established tunnels {sorted(hellos)}, have '
                             f'{ {h: stack.root.prop(p, TUNNEL, "State") for h, p in initiators_by_hello(stack).items()} }') from None


def test_files_are_loaded_at_start(make_stack):
    port = free_port()
    stack = make_stack(conf={'HostName': 'cfg-host'}, files={
        'lns.tunnel': listener_file(port),
        'lac.tunnel': tunnel_file(port, 11, sessions=(
            '[Session]\nPseudowire=ppp\n\n[Session second]\nPseudowire=ppp\nCallingNumber=42\n'
        )),
    })
    tunnels = wait_initiators(stack, {11})
    tunnel = tunnels[11]
    assert stack.root.prop(tunnel, TUNNEL, 'Owner') == 0
    assert stack.root.prop(tunnel, TUNNEL, 'PeerHostName') == 'cfg-lns'
    listeners = stack.listeners()
    assert len(listeners) == 1
    assert stack.root.prop(listeners[0], LISTENER, 'Local') == f'127.0.0.1:{port}'
    responder = wait_until(lambda: stack.root.prop(listeners[0], LISTENER, 'Tunnels'), 10,
                           'the accepted tunnel')[0]
    # the daemon's HostName from l2tpbusd.conf, as the listener's peer saw it
    stack.wait_prop(responder, TUNNEL, 'PeerHostName', 'cfg-host')
    assert stack.root.prop(responder, TUNNEL, 'Owner') == 0
    # both sessions of the file
    wait_until(lambda: len(stack.root.prop(tunnel, TUNNEL, 'Sessions')) == 2, 10,
               'two sessions in the file\'s tunnel')
    for session in stack.root.prop(tunnel, TUNNEL, 'Sessions'):
        stack.wait_state(session, SESSION, 'established')
        assert stack.root.prop(session, SESSION, 'Owner') == 0
    # objects of files were announced like any other
    assert tunnel in stack.signals.added(TUNNEL)
    assert listeners[0] in stack.signals.added(LISTENER)


def test_typed_values_secrets_and_cookies_in_files(make_stack):
    port = free_port()
    secret = 'file secret 0815 with spaces'
    stack = make_stack(files={
        'lns.tunnel': listener_file(port, f'Version=3\nSecret={secret}\nHideAvps=true\n'
                                          'Pseudowires=ppp;eth\nPppDns=10.1.0.1;10.1.0.2\n'),
        'lac.tunnel': tunnel_file(port, 5, f'Version=3\nSecret={secret}\nHideAvps=true\n'
                                           'UdpChecksum=false\n',
                                  sessions=('[Session]\nPseudowire=eth\n'
                                            'Cookie=0011223344556677\nPeerCookie=a1b2c3d4\n'
                                            '\n[Session ppp]\nPseudowire=ppp\n'
                                            'Authentication=pap;chap\nUsePeerDns=false\n')),
    })
    tunnel = wait_initiators(stack, {5})[5]
    assert stack.root.prop(tunnel, TUNNEL, 'Version') == 3
    sessions = wait_until(lambda: len(stack.root.prop(tunnel, TUNNEL, 'Sessions')) == 2
                          and stack.root.prop(tunnel, TUNNEL, 'Sessions'), 10,
                          'the file\'s two sessions')
    for session in sessions:
        stack.wait_state(session, SESSION, 'established')
    assert sorted(stack.root.prop(s, SESSION, 'Pseudowire') for s in sessions) == ['eth', 'ppp']
    assert secret not in stack.daemon.log_text(), 'the daemon logged a secret from a file'


def test_a_bad_file_is_reported_by_file_line_and_key_and_the_others_load(make_stack):
    port = free_port()
    stack = make_stack(files={
        'lns.tunnel': listener_file(port),
        'good.tunnel': tunnel_file(port, 21),
        'bad-value.tunnel': f'[Tunnel]\nPeer=127.0.0.1:{port}\nVersion=banana\nHelloInterval=22\n',
        'bad-key.tunnel': (f'[Tunnel]\nPeer=127.0.0.1:{port}\nLocal=127.0.0.2\n'
                           'Colour=blue\nHelloInterval=23\n'),
        'bad-session.tunnel': tunnel_file(port, 24, sessions=(
            '[Session]\nPseudowire=ppp\nInterfaceName=no spaces allowed\n')),
        'bad-syntax.tunnel': '[Tunnel\nPeer=127.0.0.1\n',
    })
    wait_initiators(stack, {21})
    log = stack.daemon.log_text()
    for name, line, key in (('bad-value.tunnel', 3, 'Version'), ('bad-key.tunnel', 4, 'Colour'),
                            ('bad-session.tunnel', 8, 'InterfaceName')):
        pattern = re.compile(rf'{re.escape(name)}:{line}\b.*\b{key}\b')
        assert any(pattern.search(text) for text in log.splitlines()), (
            f'no log line names {name}, line {line} and key {key}')
    assert 'bad-syntax.tunnel' in log
    assert stack.daemon.alive()
    assert len(stack.listeners()) == 1


def test_sighup_applies_added_changed_and_removed_files_only(make_stack):
    port = free_port()
    stack = make_stack(files={
        'lns.tunnel': listener_file(port),
        'a.tunnel': tunnel_file(port, 11),
        'b.tunnel': tunnel_file(port, 12),
        'c.tunnel': tunnel_file(port, 13),
    })
    before = wait_initiators(stack, {11, 12, 13})
    listener = stack.listeners()[0]
    untouched_session = wait_until(lambda: stack.root.prop(before[11], TUNNEL, 'Sessions'), 10,
                                   'a.tunnel\'s session')[0]
    stack.wait_state(untouched_session, SESSION, 'established')
    stack.signals.events.clear()

    stack.write_file('d.tunnel', tunnel_file(port, 14))
    stack.write_file('b.tunnel', tunnel_file(port, 22))
    (stack.config_dir / 'c.tunnel').unlink()
    stack.daemon.sighup()

    after = wait_initiators(stack, {11, 22, 14}, timeout=15)
    assert_removed_cleanly(stack.signals, before[13], TUNNEL)  # c.tunnel removed
    assert_removed_cleanly(stack.signals, before[12], TUNNEL)  # b.tunnel replaced
    assert after[11] == before[11]
    # a.tunnel's tunnel and session were not touched
    for path in (before[11], untouched_session):
        touched = [e for e in stack.signals.of(path)
                   if e.member in ('InterfacesAdded', 'InterfacesRemoved')
                   or 'State' in (e.values if e.member == 'PropertiesChanged' else {})]
        assert not touched, f'SIGHUP touched {path} of an unchanged file: {touched}'
    assert stack.root.prop(before[11], TUNNEL, 'State') == 'established'
    assert stack.root.prop(untouched_session, SESSION, 'State') == 'established'
    assert stack.listeners() == [listener]
    assert not stack.signals.removed(listener)
    # the new and the replaced tunnel carry their files' sessions
    for hello in (22, 14):
        sessions = wait_until(lambda: stack.root.prop(after[hello], TUNNEL, 'Sessions'), 10,
                              f'the session of the tunnel with HelloInterval {hello}')
        stack.wait_state(sessions[0], SESSION, 'established')


def test_sighup_replaces_a_changed_static_tunnel(make_stack, silent_peer):
    peer = '%s:%d' % silent_peer
    static = ('[Tunnel]\nMode=static\nVersion=3\nTunnelId=500\nPeerTunnelId={peer_id}\n'
              f'Peer={peer}\nLocal=127.0.0.1\n\n'
              '[Session]\nPseudowire=eth\nSessionId=1\nPeerSessionId=2\n')
    stack = make_stack(files={'static.tunnel': static.format(peer_id=600)})
    path = '/org/l2tpbus1/tunnel/500'
    wait_until(lambda: path in stack.tunnels(), 10, 'the static tunnel')
    assert stack.root.prop(path, TUNNEL, 'State') == 'established'
    assert stack.root.prop(path, TUNNEL, 'PeerTunnelId') == 600
    stack.signals.events.clear()
    stack.write_file('static.tunnel', static.format(peer_id=601))
    stack.daemon.sighup()
    assert_removed_cleanly(stack.signals, path, TUNNEL)
    stack.wait_prop(path, TUNNEL, 'PeerTunnelId', 601)
    assert stack.root.prop(path, TUNNEL, 'State') == 'established'
    stack.wait_prop(path + '/session/1', SESSION, 'State', 'established')


def test_sighup_without_changes_touches_nothing(make_stack):
    port = free_port()
    stack = make_stack(files={'lns.tunnel': listener_file(port), 'a.tunnel': tunnel_file(port, 11)})
    before = wait_initiators(stack, {11})
    stack.signals.events.clear()
    stack.daemon.sighup()
    time.sleep(1.0)
    assert initiators_by_hello(stack) == before
    changes = [e for e in stack.signals.events
               if e.member in ('InterfacesAdded', 'InterfacesRemoved')]
    assert not changes, f'SIGHUP with unchanged files changed objects: {changes}'


def test_removing_a_listener_file_closes_the_listener_not_its_tunnels(make_stack):
    port = free_port()
    stack = make_stack(files={'lns.tunnel': listener_file(port), 'a.tunnel': tunnel_file(port, 11)})
    tunnel = wait_initiators(stack, {11})[11]
    listener = stack.listeners()[0]
    responder = stack.root.prop(listener, LISTENER, 'Tunnels')[0]
    (stack.config_dir / 'lns.tunnel').unlink()
    stack.daemon.sighup()
    stack.signals.wait_removed(listener)
    assert stack.root.prop(responder, TUNNEL, 'State') == 'established'
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'established'


def test_only_tunnel_files_are_read(make_stack):
    port = free_port()
    stack = make_stack(files={
        'lns.tunnel': listener_file(port),
        'a.tunnel': tunnel_file(port, 11),
        'a.tunnel.bak': tunnel_file(port, 31),
        'a.tunnel~': tunnel_file(port, 32),
        'README': 'not a config file\n',
    })
    wait_initiators(stack, {11})
    time.sleep(0.5)
    assert set(initiators_by_hello(stack)) == {11}


def test_no_daemon_settings_file_means_defaults(make_stack):
    stack = make_stack(write_conf=False)
    assert stack.root.prop('/org/l2tpbus1', 'org.l2tpbus1.Manager', 'DataPlane') == 'null'
