"""The D-Bus API of l2tpbusd, name for name (doc/dbus-api.md).

One daemon (null data plane) per test, called as root; a listener on the same
daemon serves as the peer where a tunnel has to come up (Local 127.0.0.2 to
Peer 127.0.0.1). InvalidArgs cases share one daemon per module.
"""

import os
import signal
import socket
import xml.etree.ElementTree as ET

import pytest
from gi.repository import Gio, GLib

from conftest import (
    BUS_NAME, Client,
    EXISTS, INTROSPECTABLE, INVALID_ARGS, LISTENER, LISTENER_PROPS, LISTENER_STATISTICS, MANAGER,
    MANAGER_PROPS, NOT_SUPPORTED, OBJECT_MANAGER, PEER, PROPERTIES, REPO, ROOT_PATH, SESSION,
    SESSION_PROPS, SESSION_STATISTICS, TUNNEL, TUNNEL_PROPS, TUNNEL_STATISTICS,
    DBusError, assert_error, assert_removed_cleanly, establish, free_port, l2tpip_available,
    open_call,
    pump, signalled_view, wait_until)

# A peer that never answers, with retransmissions short enough for a test.
QUICK_GIVE_UP = {'RetransmitTimeout': 100, 'MaxRetransmitTimeout': 200, 'MaxRetransmits': 2}

UNKNOWN_OBJECT_ERRORS = ('org.freedesktop.DBus.Error.UnknownObject',
                         'org.freedesktop.DBus.Error.UnknownMethod',
                         'org.freedesktop.DBus.Error.UnknownInterface')


def assert_types(typed: dict, expected: dict, what: str):
    assert set(typed) == set(expected), (
        f'{what}: properties {sorted(typed)} differ from the contract\'s {sorted(expected)}')
    wrong = {k: t for k, (t, _) in typed.items() if t != expected[k]}
    assert not wrong, f'{what}: wrong signatures {wrong}, contract: ' + str(
        {k: expected[k] for k in wrong})


def object_paths(stack):
    return set(stack.root.managed_objects())


# --------------------------------------------------------------------------
# the bus surface


def test_name_owned_and_peer_interface(stack):
    assert stack.root.name_has_owner('org.l2tpbus1')
    stack.root.call(ROOT_PATH, PEER, 'Ping', None, '()')
    machine = stack.root.call_py(ROOT_PATH, PEER, 'GetMachineId', None, '(s)')[0]
    assert len(machine) == 32


def test_manager_properties(stack):
    typed = stack.root.get_all_typed(ROOT_PATH, MANAGER)
    assert_types(typed, MANAGER_PROPS, 'Manager')
    values = {k: v for k, (_, v) in typed.items()}
    assert values['Version'], 'Manager.Version is empty'
    assert values['DataPlane'] == 'null'
    features = set(values['Features'])
    assert {'l2tpv2', 'l2tpv3', 'udp', 'ppp'} <= features, features
    for name in MANAGER_PROPS:
        assert stack.root.prop(ROOT_PATH, MANAGER, name) == values[name]


def test_get_managed_objects_of_an_empty_daemon(stack):
    reply = stack.root.call(ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', None)
    assert reply.get_type_string() == '(a{oa{sa{sv}}})'
    assert stack.root.managed_objects() == {}


def _xml_interface(name):
    root = ET.parse(REPO / 'dbus' / f'{name}.xml').getroot()
    return _describe(root.find(f"interface[@name='{name}']"))


def _describe(interface):
    methods = {}
    for method in interface.findall('method'):
        methods[method.get('name')] = [(a.get('type'), a.get('direction', 'in'))
                                       for a in method.findall('arg')]
    # EmitsChangedSignal decides which PropertiesChanged clients may wait for.
    props = {p.get('name'): (p.get('type'), p.get('access'), _emits_changed_signal(p))
             for p in interface.findall('property')}
    signals = {s.get('name'): [a.get('type') for a in s.findall('arg')]
               for s in interface.findall('signal')}
    return methods, props, signals


def _emits_changed_signal(prop):
    for annotation in prop.findall('annotation'):
        if annotation.get('name') == 'org.freedesktop.DBus.Property.EmitsChangedSignal':
            return annotation.get('value')
    return 'true'


def _live_interfaces(stack, path):
    root = ET.fromstring(stack.root.introspect(path))
    return {i.get('name'): i for i in root.findall('interface')}, root


def assert_introspection_matches(stack, path, interface):
    live, _ = _live_interfaces(stack, path)
    for standard in (PROPERTIES, INTROSPECTABLE, PEER):
        assert standard in live, f'{path} lacks {standard}'
    assert interface in live, f'{path} lacks {interface}: {sorted(live)}'
    methods, props, signals = _describe(live[interface])
    want_methods, want_props, want_signals = _xml_interface(interface)
    assert methods == want_methods, f'{interface} methods {methods} != dbus/{interface}.xml'
    assert props == want_props, f'{interface} properties {props} != dbus/{interface}.xml'
    assert signals == want_signals


def test_introspection_of_the_manager(stack):
    live, _ = _live_interfaces(stack, ROOT_PATH)
    assert OBJECT_MANAGER in live
    assert_introspection_matches(stack, ROOT_PATH, MANAGER)
    # the contract's property table agrees with the XML
    assert {k: t for k, (t, _, _) in _xml_interface(MANAGER)[1].items()} == MANAGER_PROPS


def test_introspection_of_tunnel_session_listener(stack):
    pair = establish(stack, stack)
    session, _ = open_call(stack, stack, pair, {'Pseudowire': 'ppp'})
    assert_introspection_matches(stack, pair.initiator, TUNNEL)
    assert_introspection_matches(stack, session, SESSION)
    assert_introspection_matches(stack, pair.listener, LISTENER)
    for interface, contract in ((TUNNEL, TUNNEL_PROPS), (SESSION, SESSION_PROPS),
                                (LISTENER, LISTENER_PROPS)):
        assert {k: t for k, (t, _, _) in _xml_interface(interface)[1].items()} == contract
    # busctl tree walks child nodes from the root
    _, root = _live_interfaces(stack, ROOT_PATH)
    children = {node.get('name') for node in root.findall('node')}
    assert {'tunnel', 'listener'} <= children, children
    _, tunnels = _live_interfaces(stack, '/org/l2tpbus1/tunnel')
    ids = {node.get('name') for node in tunnels.findall('node')}
    assert pair.initiator.rsplit('/', 1)[1] in ids, ids
    _, tunnel = _live_interfaces(stack, pair.initiator)
    assert [node.get('name') for node in tunnel.findall('node')] == ['session'], \
        'a tunnel lists its sessions below it'
    _, sessions = _live_interfaces(stack, pair.initiator + '/session')
    assert [node.get('name') for node in sessions.findall('node')] == [session.rsplit('/', 1)[1]]


def test_properties_are_read_only(stack, silent_peer):
    tunnel = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer})
    with pytest.raises(DBusError):
        stack.root.call(tunnel, PROPERTIES, 'Set',
                        GLib.Variant('(ssv)', (TUNNEL, 'State', GLib.Variant('s', 'closed'))))
    with pytest.raises(DBusError):
        stack.root.call(tunnel, PROPERTIES, 'Set',
                        GLib.Variant('(ssv)', (TUNNEL, 'Owner', GLib.Variant('u', 1000))))
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'connecting'
    assert stack.root.prop(tunnel, TUNNEL, 'Owner') == 0


def test_unknown_objects(stack):
    for path, interface in (('/org/l2tpbus1/tunnel/4000000000', TUNNEL),
                            ('/org/l2tpbus1/tunnel/1/session/1', SESSION),
                            ('/org/l2tpbus1/listener/999', LISTENER)):
        with pytest.raises(DBusError) as raised:
            stack.root.close(path, interface)
        assert raised.value.name in UNKNOWN_OBJECT_ERRORS, raised.value


# --------------------------------------------------------------------------
# tunnels


def test_create_tunnel_replies_with_a_connecting_tunnel(stack, silent_peer):
    peer = '%s:%d' % silent_peer
    tunnel = stack.root.create_tunnel({'Peer': peer, 'Local': '127.0.0.1'})
    typed = stack.root.get_all_typed(tunnel, TUNNEL)
    assert_types(typed, TUNNEL_PROPS, 'Tunnel')
    values = {k: v for k, (_, v) in typed.items()}
    assert tunnel == f'/org/l2tpbus1/tunnel/{values["TunnelId"]}'
    assert 1 <= values['TunnelId'] <= 65535  # v2 ids
    assert values['State'] == 'connecting'
    assert values['Mode'] == 'dynamic'
    assert values['Version'] == 2
    assert values['Encapsulation'] == 'udp'
    assert values['Role'] == 'initiator'
    assert values['Peer'] == peer
    assert values['Local'].startswith('127.0.0.1:'), values['Local']
    assert values['PeerTunnelId'] == 0
    assert values['PeerHostName'] == ''
    assert values['PeerVendorName'] == ''
    assert values['Owner'] == 0
    assert values['HelloInterval'] == 60
    assert values['Sessions'] == []
    assert tuple(values['LastResult']) == (0, 0, '')
    assert TUNNEL_STATISTICS <= set(values['Statistics']), values['Statistics']
    # the SCCRQ went out
    wait_until(lambda: stack.root.prop(tunnel, TUNNEL, 'Statistics')['control-tx'] >= 1, 5,
               'Statistics control-tx >= 1')
    assert stack.root.managed_objects()[tunnel][TUNNEL]['TunnelId'] == values['TunnelId']


def test_create_tunnel_options_are_reflected(stack, silent_peer):
    tunnel = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer, 'Version': 3,
                                       'TunnelId': 3000000000, 'HelloInterval': 7,
                                       'HostName': 'reflected'})
    assert tunnel == '/org/l2tpbus1/tunnel/3000000000'
    values = stack.root.props(tunnel, TUNNEL)
    assert values['Version'] == 3
    assert values['TunnelId'] == 3000000000
    assert values['HelloInterval'] == 7


def test_tunnel_id_in_use_is_exists(stack, silent_peer):
    peer = '%s:%d' % silent_peer
    first = stack.root.create_tunnel({'Peer': peer, 'TunnelId': 777})
    before = object_paths(stack)
    with pytest.raises(DBusError) as raised:
        stack.root.create_tunnel({'Peer': peer, 'TunnelId': 777})
    assert_error(raised, EXISTS)
    assert object_paths(stack) == before
    assert stack.root.prop(first, TUNNEL, 'State') == 'connecting'


def test_interfaces_added_carries_every_property(stack, silent_peer):
    tunnel = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer})
    stack.signals.wait_added(TUNNEL)
    events = stack.signals.of(tunnel)
    assert events[0].member == 'InterfacesAdded', f'first signal about {tunnel}: {events[0]}'
    types = events[0].types[TUNNEL]
    assert types == TUNNEL_PROPS, f'InterfacesAdded of a tunnel: {types}'
    assert events[0].values[TUNNEL]['State'] == 'connecting'
    managed = stack.root.call(ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', None)
    assert managed.get_type_string() == '(a{oa{sa{sv}}})'
    assert set(stack.root.managed_objects()[tunnel][TUNNEL]) == set(TUNNEL_PROPS)


def test_unanswered_tunnel_gives_up_and_leaves(stack, silent_peer):
    tunnel = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer, **QUICK_GIVE_UP})
    result = assert_removed_cleanly(stack.signals, tunnel, TUNNEL, timeout=15)
    assert result[0] == 2, f'StopCCN result for an unanswered peer: {result}'
    assert tunnel not in object_paths(stack)


def test_close_a_connecting_tunnel(stack, silent_peer):
    tunnel = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer, **QUICK_GIVE_UP})
    stack.root.close(tunnel, TUNNEL)
    result = assert_removed_cleanly(stack.signals, tunnel, TUNNEL, timeout=15)
    assert result[0] == 1, f'LastResult after Close: {result}'
    with pytest.raises(DBusError) as raised:
        stack.root.prop(tunnel, TUNNEL, 'State')
    assert raised.value.name in UNKNOWN_OBJECT_ERRORS


def test_every_change_is_signalled_through_a_whole_life(stack):
    pair = establish(stack, stack)
    session, remote = open_call(stack, stack, pair, {'Pseudowire': 'ppp'})
    # what the signals told equals what GetAll says (Statistics and the lists
    # of children, a tunnel's Sessions and a listener's Tunnels, are read when
    # asked, never signalled)
    pump(0.3)
    children = {TUNNEL: 'Sessions', LISTENER: 'Tunnels'}
    for path, interface in ((pair.initiator, TUNNEL), (pair.responder, TUNNEL),
                            (session, SESSION), (remote, SESSION), (pair.listener, LISTENER)):
        current = stack.root.props(path, interface)
        told = signalled_view(stack.signals, path, interface)
        for unsignalled in ('Statistics', children.get(interface)):
            current.pop(unsignalled, None)
            told.pop(unsignalled, None)
        assert told == current, f'{path}: signals told {told}, GetAll says {current}'
    assert stack.signals.states(pair.initiator, TUNNEL)[:2] == ['connecting', 'established']
    assert stack.signals.states(session, SESSION)[-1] == 'established'
    # the peer's identity became known on both sides
    initiator = stack.root.props(pair.initiator, TUNNEL)
    responder = stack.root.props(pair.responder, TUNNEL)
    assert initiator['PeerTunnelId'] == responder['TunnelId']
    assert responder['PeerTunnelId'] == initiator['TunnelId']
    assert initiator['PeerHostName'] == 'lns-host'
    assert responder['PeerHostName'] == 'lac-host'
    assert initiator['PeerVendorName'] and responder['PeerVendorName']
    assert responder['Role'] == 'responder' and responder['Owner'] == 0
    assert initiator['Peer'] == responder['Local'] == f'127.0.0.1:{pair.port}'
    assert responder['Peer'] == initiator['Local']
    assert initiator['Local'].startswith('127.0.0.2:')
    # and the end: sessions go before their tunnel, each with a final state
    stack.root.close(pair.initiator, TUNNEL)
    for path, interface in ((session, SESSION), (pair.initiator, TUNNEL)):
        assert_removed_cleanly(stack.signals, path, interface)
    for path, interface in ((remote, SESSION), (pair.responder, TUNNEL)):
        assert_removed_cleanly(stack.signals, path, interface)
    for tunnel, child in ((pair.initiator, session), (pair.responder, remote)):
        removed = [i for i, e in enumerate(stack.signals.events)
                   if e.member == 'InterfacesRemoved' and e.path in (tunnel, child)]
        paths = [stack.signals.events[i].path for i in removed]
        assert paths == [child, tunnel], f'removal order {paths}'
    stack.wait_prop(pair.listener, LISTENER, 'Tunnels', [])
    # A listener's tunnels are followed through the tunnels' own Listener:
    # nothing about them was signalled on the listener.
    assert signalled_view(stack.signals, pair.responder, TUNNEL)['Listener'] == pair.listener
    assert signalled_view(stack.signals, pair.initiator, TUNNEL)['Listener'] == '/'
    # and a session's through its own Tunnel
    assert signalled_view(stack.signals, session, SESSION)['Tunnel'] == pair.initiator
    assert signalled_view(stack.signals, remote, SESSION)['Tunnel'] == pair.responder
    assert not [e for e in stack.signals.events
                if e.path == pair.listener and e.member == 'PropertiesChanged']
    assert stack.signals.states(pair.initiator, TUNNEL)[-1] == 'closed'


# --------------------------------------------------------------------------
# sessions


def test_session_properties_and_close(stack):
    pair = establish(stack, stack)
    session = stack.root.create_session(pair.initiator, {'Pseudowire': 'ppp',
                                                         'CallingNumber': '5551234',
                                                         'User': 'alice'})
    tunnel_id = stack.root.prop(pair.initiator, TUNNEL, 'TunnelId')
    typed = stack.root.get_all_typed(session, SESSION)
    assert_types(typed, SESSION_PROPS, 'Session')
    values = {k: v for k, (_, v) in typed.items()}
    assert session == f'/org/l2tpbus1/tunnel/{tunnel_id}/session/{values["SessionId"]}'
    assert values['State'] in ('connecting', 'established')
    assert values['Pseudowire'] == 'ppp'
    assert values['Owner'] == 0
    assert tuple(values['LastResult']) == (0, 0, '')
    assert values['Ip4Config'] == {} and values['Ip6Config'] == {}
    assert SESSION_STATISTICS <= set(values['Statistics']), values['Statistics']
    # the signal may follow the reply
    added = wait_until(lambda: stack.signals.of(session, 'InterfacesAdded'), 5,
                       'InterfacesAdded of the session')
    assert added and added[0].types[SESSION] == SESSION_PROPS, added
    stack.wait_state(session, SESSION, 'established')
    assert session in stack.root.prop(pair.initiator, TUNNEL, 'Sessions')
    remote = stack.root.prop(pair.responder, TUNNEL, 'Sessions')[0]
    stack.wait_state(remote, SESSION, 'established')
    here = stack.root.props(session, SESSION)
    there = stack.root.props(remote, SESSION)
    assert here['PeerSessionId'] == there['SessionId']
    assert there['PeerSessionId'] == here['SessionId']
    assert there['Pseudowire'] == 'ppp' and there['Owner'] == 0
    # the null data plane runs no pppd, so no IPV6CP either
    assert here['Ip6Negotiation'] == there['Ip6Negotiation'] == 'off'

    stack.root.close(session, SESSION)
    assert assert_removed_cleanly(stack.signals, session, SESSION)[0] == 3
    assert assert_removed_cleanly(stack.signals, remote, SESSION)[0] == 3
    stack.wait_prop(pair.initiator, TUNNEL, 'Sessions', [])
    stack.wait_prop(pair.responder, TUNNEL, 'Sessions', [])
    assert signalled_view(stack.signals, pair.initiator, TUNNEL)['Sessions'] == []
    assert stack.root.prop(pair.initiator, TUNNEL, 'State') == 'established'


def test_v3_ethernet_session(stack):
    pair = establish(stack, stack, version=3, listener_options={'Pseudowires': ['eth']})
    session, remote = open_call(stack, stack, pair, {'Pseudowire': 'eth',
                                                     'Cookie': bytes(range(8)),
                                                     'PeerCookie': bytes(range(4))})
    assert stack.root.prop(session, SESSION, 'Pseudowire') == 'eth'
    assert stack.root.prop(remote, SESSION, 'Pseudowire') == 'eth'
    stack.root.close(remote, SESSION)
    assert assert_removed_cleanly(stack.signals, remote, SESSION)[0] == 3
    assert assert_removed_cleanly(stack.signals, session, SESSION)[0] == 3


def test_static_v3_tunnel_and_session_are_established_at_once(stack):
    port = free_port()
    tunnel = stack.root.create_tunnel({'Mode': 'static', 'Version': 3, 'TunnelId': 1000,
                                       'PeerTunnelId': 2000, 'Peer': f'127.0.0.1:{port}',
                                       'Local': '127.0.0.1'})
    assert tunnel == '/org/l2tpbus1/tunnel/1000'
    values = stack.root.props(tunnel, TUNNEL)
    assert values['State'] == 'established'
    assert values['Mode'] == 'static'
    assert values['PeerTunnelId'] == 2000
    session = stack.root.create_session(tunnel, {'Pseudowire': 'eth', 'SessionId': 10,
                                                 'PeerSessionId': 20,
                                                 'Cookie': b'\x01\x02\x03\x04'})
    assert session == '/org/l2tpbus1/tunnel/1000/session/10'
    # "immediately" for a static session: the null data plane answers from the loop, so
    # the reply may come just before it (the tunnel itself is established in the reply)
    stack.wait_state(session, SESSION, 'established', timeout=2)
    assert stack.root.prop(session, SESSION, 'PeerSessionId') == 20
    with pytest.raises(DBusError) as raised:
        stack.root.create_session(tunnel, {'Pseudowire': 'eth', 'SessionId': 10,
                                           'PeerSessionId': 21})
    assert_error(raised, EXISTS)
    with pytest.raises(DBusError) as raised:
        stack.root.create_session(tunnel, {'Pseudowire': 'eth', 'PeerSessionId': 22})
    assert_error(raised, INVALID_ARGS, 'SessionId')
    stack.root.close(tunnel, TUNNEL)
    assert_removed_cleanly(stack.signals, session, SESSION, timeout=5)
    assert_removed_cleanly(stack.signals, tunnel, TUNNEL, timeout=5)


def test_peer_host_name_is_resolved(stack):
    port = free_port()
    stack.root.listen({'Local': f'127.0.0.1:{port}'})
    tunnel = stack.root.create_tunnel({'Peer': f'localhost:{port}', 'Local': '127.0.0.2'})
    assert stack.root.prop(tunnel, TUNNEL, 'Peer') in (f'127.0.0.1:{port}', f'[::1]:{port}')


# --------------------------------------------------------------------------
# listeners


def test_listener_properties_and_close(stack):
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}', 'Version': 3})
    assert listener.startswith('/org/l2tpbus1/listener/')
    assert listener.rsplit('/', 1)[1].isdigit()
    typed = stack.root.get_all_typed(listener, LISTENER)
    assert_types(typed, LISTENER_PROPS, 'Listener')
    values = {k: v for k, (_, v) in typed.items()}
    assert values['Local'] == f'127.0.0.1:{port}'
    assert values['Version'] == 3
    assert values['Encapsulation'] == 'udp'
    assert values['Tunnels'] == []
    assert set(values['Statistics']) == LISTENER_STATISTICS
    added = wait_until(lambda: stack.signals.of(listener, 'InterfacesAdded'), 5,
                       'InterfacesAdded of the listener')
    assert added and added[0].types[LISTENER] == LISTENER_PROPS
    # the port is taken
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        with pytest.raises(OSError):
            probe.bind(('127.0.0.1', port))
    with pytest.raises(DBusError) as raised:
        stack.root.listen({'Local': f'127.0.0.1:{port}'})
    assert_error(raised, EXISTS)
    stack.root.close(listener, LISTENER)
    stack.signals.wait_removed(listener)
    assert listener not in object_paths(stack)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(('127.0.0.1', port))  # free again


def test_listen_on_a_port_another_process_holds(stack):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(('127.0.0.1', 0))
        port = holder.getsockname()[1]
        with pytest.raises(DBusError) as raised:
            stack.root.listen({'Local': f'127.0.0.1:{port}'})
        assert_error(raised, EXISTS)
    assert stack.listeners() == []


def test_accepted_tunnels_outlive_their_listener(stack):
    pair = establish(stack, stack)
    statistics = stack.root.prop(pair.listener, LISTENER, 'Statistics')
    assert statistics['accepted'] == 1, statistics
    assert stack.root.prop(pair.listener, LISTENER, 'Tunnels') == [pair.responder]
    stack.root.close(pair.listener, LISTENER)
    stack.signals.wait_removed(pair.listener)
    pump(0.5)
    assert stack.root.prop(pair.responder, TUNNEL, 'State') == 'established'
    assert stack.root.prop(pair.initiator, TUNNEL, 'State') == 'established'


# --------------------------------------------------------------------------
# secrets are write-only


def test_secrets_are_never_returned_nor_logged(stack):
    secret = b'tunnel-Secret-4711-xyzzy'
    password = 'session-Password-0815-plugh'
    pair = establish(stack, stack, lac_options={'Secret': secret, 'HideAvps': True},
                     listener_options={'Secret': secret, 'HideAvps': True})
    session, remote = open_call(stack, stack, pair, {'Pseudowire': 'ppp', 'User': 'alice',
                                                     'Password': password})
    texts = [stack.root.call(ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', None).print_(True)]
    for path, interface in ((pair.initiator, TUNNEL), (pair.responder, TUNNEL),
                            (session, SESSION), (remote, SESSION), (pair.listener, LISTENER),
                            (ROOT_PATH, MANAGER)):
        texts.append(stack.root.call(path, PROPERTIES, 'GetAll',
                                     GLib.Variant('(s)', (interface,))).print_(True))
        texts.append(stack.root.introspect(path))
        for name in ('Secret', 'Password', 'Cookie'):
            with pytest.raises(DBusError):
                stack.root.get(path, interface, name)
    texts.append(repr(stack.signals.events))
    everything = '\n'.join(texts)
    forms = [secret.decode(), password, secret.hex(), password.encode().hex(),
             ', '.join(f'0x{b:02x}' for b in secret[:6])]
    for form in forms:
        assert form not in everything, f'a secret ({form!r}) came back over the bus'
    stack.root.close(pair.initiator, TUNNEL)
    assert_removed_cleanly(stack.signals, pair.initiator, TUNNEL)
    log = stack.daemon.log_text()
    for form in forms + [secret.hex().upper()]:
        assert form not in log, f'the daemon logged a secret ({form!r})'


# --------------------------------------------------------------------------
# refused calls: the error names of the contract


def test_data_plane_unavailable_without_kernel_l2tp(make_stack):
    if os.path.exists('/sys/module/l2tp_core') or l2tpip_available():
        pytest.skip('this kernel has L2TP: the kernel data plane is covered by tests/vm')
    stack = make_stack(data_plane='kernel')
    assert stack.root.prop(ROOT_PATH, MANAGER, 'DataPlane') == 'unavailable'
    before = object_paths(stack)
    with pytest.raises(DBusError) as raised:
        stack.root.create_tunnel({'Mode': 'static', 'Version': 3, 'TunnelId': 11,
                                  'PeerTunnelId': 12, 'Peer': f'127.0.0.1:{free_port()}'})
    assert_error(raised, NOT_SUPPORTED, 'l2tp')
    assert object_paths(stack) == before


def test_l2tpip_without_kernel_support_is_not_supported(stack):
    if l2tpip_available():
        pytest.skip('this kernel opens L2TPIP sockets: test_two_daemons covers Encapsulation=ip')
    assert 'ip' not in stack.root.prop(ROOT_PATH, MANAGER, 'Features')
    before = object_paths(stack)
    with pytest.raises(DBusError) as raised:
        stack.root.listen({'Local': '127.0.0.1', 'Version': 3, 'Encapsulation': 'ip'})
    assert_error(raised, NOT_SUPPORTED, 'l2tp_ip')
    with pytest.raises(DBusError) as raised:
        stack.root.create_tunnel({'Peer': '127.0.0.1', 'Local': '127.0.0.2', 'Version': 3,
                                  'Encapsulation': 'ip'})
    assert_error(raised, NOT_SUPPORTED, 'l2tp_ip')
    assert object_paths(stack) == before


# InvalidArgs: (case id, options, key(s) the message must name). Each leaves
# GetManagedObjects as it was.
PEER_ADDR = '127.0.0.1:1701'
TUNNEL_CASES = [
    ('unknown key', {'Peer': PEER_ADDR, 'Bogus': 'x'}, 'Bogus'),
    ('raw pppd options', {'Peer': PEER_ADDR, 'PppdOptions': 'plugin evil.so'}, 'PppdOptions'),
    ('Version as string', {'Peer': PEER_ADDR, 'Version': GLib.Variant('s', '2')}, 'Version'),
    ('Version as int32', {'Peer': PEER_ADDR, 'Version': GLib.Variant('i', 2)}, 'Version'),
    ('Peer as uint32', {'Peer': GLib.Variant('u', 1)}, 'Peer'),
    ('Peer as bytes', {'Peer': GLib.Variant('ay', b'127.0.0.1')}, 'Peer'),
    ('Secret as string', {'Peer': PEER_ADDR, 'Secret': GLib.Variant('s', 'x')}, 'Secret'),
    ('HideAvps as string', {'Peer': PEER_ADDR, 'Secret': b'x', 'HideAvps': 'true'}, 'HideAvps'),
    ('Version 4', {'Peer': PEER_ADDR, 'Version': 4}, 'Version'),
    ('Version 1', {'Peer': PEER_ADDR, 'Version': 1}, 'Version'),
    ('v2 TunnelId 65536', {'Peer': PEER_ADDR, 'TunnelId': 65536}, 'TunnelId'),
    ('ReceiveWindow 0', {'Peer': PEER_ADDR, 'ReceiveWindow': 0}, 'ReceiveWindow'),
    ('ReceiveWindow 65536', {'Peer': PEER_ADDR, 'ReceiveWindow': 65536}, 'ReceiveWindow'),
    ('Mode unknown', {'Peer': PEER_ADDR, 'Mode': 'bogus'}, 'Mode'),
    ('Encapsulation unknown', {'Peer': PEER_ADDR, 'Encapsulation': 'tcp'}, 'Encapsulation'),
    ('Encapsulation ip with Version 2', {'Peer': PEER_ADDR, 'Encapsulation': 'ip', 'Version': 2},
     'Encapsulation'),
    ('Peer missing', {}, 'Peer'),
    ('Peer empty', {'Peer': ''}, 'Peer'),
    ('Peer port 70000', {'Peer': '127.0.0.1:70000'}, 'Peer'),
    ('Peer port not numeric', {'Peer': '127.0.0.1:17x'}, 'Peer'),
    ('Peer unterminated v6', {'Peer': '[::1:1701'}, 'Peer'),
    ('Peer with a newline', {'Peer': '127.0.0.1\n'}, 'Peer'),
    ('Local malformed', {'Peer': PEER_ADDR, 'Local': '127.0.0.1:abc'}, 'Local'),
    ('HostName with a newline', {'Peer': PEER_ADDR, 'HostName': 'lac\nevil'}, 'HostName'),
    ('HostName with an escape', {'Peer': PEER_ADDR, 'HostName': 'lac\x1b[31m'}, 'HostName'),
    ('HostName with DEL', {'Peer': PEER_ADDR, 'HostName': 'lac\x7f'}, 'HostName'),
    ('Mode static with Version 2', {'Peer': PEER_ADDR, 'Mode': 'static', 'Version': 2,
                                    'TunnelId': 1, 'PeerTunnelId': 2}, ('Mode', 'Version')),
    ('HideAvps without Secret', {'Peer': PEER_ADDR, 'HideAvps': True}, 'HideAvps'),
    ('PeerTunnelId in a dynamic tunnel', {'Peer': PEER_ADDR, 'PeerTunnelId': 5}, 'PeerTunnelId'),
    ('static without TunnelId', {'Peer': PEER_ADDR, 'Mode': 'static', 'Version': 3,
                                 'PeerTunnelId': 5}, 'TunnelId'),
    ('quiescent without PeerTunnelId', {'Peer': PEER_ADDR, 'Mode': 'quiescent', 'TunnelId': 5},
     'PeerTunnelId'),
]
SESSION_CASES_V2 = [
    ('unknown key', {'Bogus': 1}, 'Bogus'),
    ('raw pppd options', {'PppdOptions': 'plugin evil.so'}, 'PppdOptions'),
    ('eth on a v2 tunnel', {'Pseudowire': 'eth'}, 'Pseudowire'),
    ('Pseudowire unknown', {'Pseudowire': 'atm'}, 'Pseudowire'),
    ('InterfaceName 16 chars', {'InterfaceName': 'a' * 16}, 'InterfaceName'),
    ('InterfaceName empty', {'InterfaceName': ''}, 'InterfaceName'),
    ('InterfaceName with a slash', {'InterfaceName': 'ppp/0'}, 'InterfaceName'),
    ('InterfaceName with a space', {'InterfaceName': 'ppp 0'}, 'InterfaceName'),
    ('InterfaceName with a newline', {'InterfaceName': 'ppp0\n'}, 'InterfaceName'),
    ('InterfaceName not ASCII', {'InterfaceName': 'ppp\u00f6'}, 'InterfaceName'),
    ('Authentication unknown method', {'Authentication': ['pap', 'bogus']}, 'Authentication'),
    ('Authentication as string', {'Authentication': GLib.Variant('s', 'pap')},
     'Authentication'),
    ('Mppe unknown', {'Mppe': 'maybe'}, 'Mppe'),
    ('Sequencing unknown', {'Sequencing': 'sometimes'}, 'Sequencing'),
    ('L2SpecificSublayer unknown', {'L2SpecificSublayer': 'fancy'}, 'L2SpecificSublayer'),
    ('User with a newline', {'User': 'alice\nplugin evil.so'}, 'User'),
    ('Password with a newline', {'Password': 'pw\nplugin evil.so'}, 'Password'),
    ('CallingNumber with BEL', {'CallingNumber': '123\x07'}, 'CallingNumber'),
    ('Mtu as int32', {'Mtu': GLib.Variant('i', 1400)}, 'Mtu'),
    ('LcpEchoInterval as string', {'LcpEchoInterval': GLib.Variant('s', '30')},
     'LcpEchoInterval'),
    ('UsePeerDns as uint32', {'UsePeerDns': GLib.Variant('u', 1)}, 'UsePeerDns'),
]
SESSION_CASES_V3 = [
    ('Cookie of 3 bytes', {'Pseudowire': 'eth', 'Cookie': b'\x01\x02\x03'}, 'Cookie'),
    ('PeerCookie of 5 bytes', {'Pseudowire': 'eth', 'PeerCookie': b'\x01' * 5}, 'PeerCookie'),
    ('Cookie of 16 bytes', {'Pseudowire': 'eth', 'Cookie': b'\x01' * 16}, 'Cookie'),
    ('Cookie as string', {'Pseudowire': 'eth', 'Cookie': GLib.Variant('s', '00112233')},
     'Cookie'),
    ('eth with a bad InterfaceName', {'Pseudowire': 'eth', 'InterfaceName': 'l2tp eth'},
     'InterfaceName'),
]
LISTENER_CASES = [
    ('unknown key', {'Bogus': 1}, 'Bogus'),
    ('Version 5', {'Version': 5}, 'Version'),
    ('Local malformed', {'Local': 'nonsense:port'}, 'Local'),
    ('Local port 65536', {'Local': '127.0.0.1:65536'}, 'Local'),
    ('Pseudowires unknown', {'Pseudowires': ['ppp', 'frame-relay']}, 'Pseudowires'),
    ('Pseudowires as string', {'Pseudowires': GLib.Variant('s', 'ppp')}, 'Pseudowires'),
    ('eth on a v2 listener', {'Version': 2, 'Pseudowires': ['eth']}, 'Pseudowires'),
    ('PppAddressPool malformed', {'PppAddressPool': 'garbage'}, 'PppAddressPool'),
    ('PppAddressPool reversed', {'PppAddressPool': '10.0.0.9-10.0.0.1'}, 'PppAddressPool'),
    ('PppLocalAddress malformed', {'PppLocalAddress': '10.0.0.300'}, 'PppLocalAddress'),
    ('PppDns malformed', {'PppDns': ['not-an-address']}, 'PppDns'),
    ('HostName with CR LF', {'HostName': 'lns\r\n'}, 'HostName'),
    ('HideAvps without Secret', {'HideAvps': True}, 'HideAvps'),
    ('Encapsulation ip with Version 2', {'Version': 2, 'Encapsulation': 'ip'}, 'Encapsulation'),
    ('Secret as string', {'Secret': GLib.Variant('s', 'x')}, 'Secret'),
]


@pytest.fixture(scope='module')
def shared(make_module_stack):
    """One daemon with a v2 and a v3 tunnel to itself, established."""
    stack = make_module_stack()
    v2 = establish(stack, stack, version=2)
    v3 = establish(stack, stack, version=3, listener_options={'Pseudowires': ['eth']})
    return stack, v2, v3


def _assert_refused(stack, call, keys):
    stack.signals.events.clear()
    before = stack.root.managed_objects()
    with pytest.raises(DBusError) as raised:
        call()
    assert raised.value.name == INVALID_ARGS, raised.value
    keys = (keys,) if isinstance(keys, str) else keys
    assert any(key in raised.value.message for key in keys), (
        f'the message {raised.value.message!r} names none of {keys}')
    after = stack.root.managed_objects()
    assert set(after) == set(before)
    for path in after:
        for interface in (TUNNEL, LISTENER):
            if interface in after[path]:
                for name in ('Sessions', 'Tunnels'):
                    assert after[path][interface].get(name) == before[path][interface].get(name)
    pump(0.1)
    assert not [e for e in stack.signals.events if e.member == 'InterfacesAdded'], \
        'an object was announced by a refused call'


@pytest.mark.parametrize('values,keys', [c[1:] for c in TUNNEL_CASES],
                         ids=[c[0] for c in TUNNEL_CASES])
def test_create_tunnel_invalid_args(shared, values, keys):
    stack, _, _ = shared
    _assert_refused(stack, lambda: stack.root.create_tunnel(values), keys)


@pytest.mark.parametrize('values,keys', [c[1:] for c in SESSION_CASES_V2],
                         ids=[c[0] for c in SESSION_CASES_V2])
def test_create_session_invalid_args_v2(shared, values, keys):
    stack, v2, _ = shared
    _assert_refused(stack, lambda: stack.root.create_session(v2.initiator, values), keys)


@pytest.mark.parametrize('values,keys', [c[1:] for c in SESSION_CASES_V3],
                         ids=[c[0] for c in SESSION_CASES_V3])
def test_create_session_invalid_args_v3(shared, values, keys):
    stack, _, v3 = shared
    _assert_refused(stack, lambda: stack.root.create_session(v3.initiator, values), keys)


@pytest.mark.parametrize('values,keys', [c[1:] for c in LISTENER_CASES],
                         ids=[c[0] for c in LISTENER_CASES])
def test_listen_invalid_args(shared, values, keys):
    stack, _, _ = shared
    base = {'Local': f'127.0.0.1:{free_port()}'}
    _assert_refused(stack, lambda: stack.root.listen({**base, **values}), keys)


def test_invalid_args_reach_nobody_on_the_wire(shared):
    """After every refused call the shared tunnels are still established."""
    stack, v2, v3 = shared
    for pair in (v2, v3):
        assert stack.root.prop(pair.initiator, TUNNEL, 'State') == 'established'
        assert stack.root.prop(pair.initiator, TUNNEL, 'Sessions') == []
    assert stack.daemon.alive()



def test_a_call_sent_just_before_its_client_disconnects_is_served(stack, silent_peer):
    # NetworkManager's plugin on Disconnect closes its session, sends
    # Tunnel.Close and may exit before the daemon reads it; the bus daemon then
    # no longer knows the sender, but the daemon knows its uid from the call
    # before and still serves the close.
    first = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer, **QUICK_GIVE_UP})
    second = stack.root.create_tunnel({'Peer': '%s:%d' % silent_peer, **QUICK_GIVE_UP})
    leaving = Client(stack.bus.address)
    leaving.close(first, TUNNEL)
    # The daemon reads the second call only after the bus forgot its sender.
    stack.daemon.process.send_signal(signal.SIGSTOP)
    try:
        name = leaving.unique_name
        leaving.connection.send_message(
            Gio.DBusMessage.new_method_call(BUS_NAME, second, TUNNEL, 'Close'),
            Gio.DBusSendMessageFlags.NONE)
        leaving.connection.flush_sync(None)
        leaving.connection.close_sync(None)
        wait_until(lambda: not stack.root.name_has_owner(name), 5, 'the client to leave the bus')
    finally:
        stack.daemon.process.send_signal(signal.SIGCONT)
    for path in (first, second):
        result = assert_removed_cleanly(stack.signals, path, TUNNEL, timeout=15)
        assert result[0] == 1, f'{path}: LastResult after Close: {result}'
