"""Config files through the API: Manager.Reload, Up and Down, the
Manager.ConfigFiles property (NAME, state, message) and the ConfigFile of
tunnels and listeners. A file's NAME is its file name without .tunnel.

As in test_config.py, tunnels of files point at a listener file of the same
daemon (Local 127.0.0.2 to 127.0.0.1:<port>), so they come up.
"""

import os
import time

import pytest

import gi

gi.require_version('GLib', '2.0')
from gi.repository import GLib  # noqa: E402

from conftest import (  # noqa: E402
    ACCESS_DENIED, ACTION_CONFIGURE, FAILED, INVALID_ARGS, LISTENER, MANAGER, ROOT_PATH, TUNNEL,
    DBusError, assert_error, assert_removed_cleanly, free_port, wait_until)
from test_config import listener_file, tunnel_file  # noqa: E402

UNKNOWN_OBJECT = 'org.freedesktop.DBus.Error.UnknownObject'


def reload(client):
    client.call(ROOT_PATH, MANAGER, 'Reload', None, '()')


def up(client, name):
    return list(client.call_py(ROOT_PATH, MANAGER, 'Up', GLib.Variant('(s)', (name,)),
                               '(ao)')[0])


def down(client, name):
    client.call(ROOT_PATH, MANAGER, 'Down', GLib.Variant('(s)', (name,)), '()')


def config_files(stack):
    return [tuple(entry) for entry in stack.root.prop(ROOT_PATH, MANAGER, 'ConfigFiles')]


def state_of(stack, name):
    return next(entry for entry in config_files(stack) if entry[0] == name)


def wait_file(stack, name, state, timeout=10.0):
    return wait_until(lambda: (entry := state_of(stack, name))[1] == state and entry, timeout,
                      f'{name} {state} in ConfigFiles')


def file_tunnels(stack, name):
    """Open tunnels whose ConfigFile is `name`."""
    found = []
    for path, interfaces in stack.root.managed_objects().items():
        tunnel = interfaces.get(TUNNEL)
        if tunnel and tunnel['ConfigFile'] == name and tunnel['State'] != 'closing':
            found.append(path)
    return found


def wait_file_tunnel(stack, name, state='established', timeout=10.0):
    tunnel = wait_until(lambda: file_tunnels(stack, name), timeout, f'a tunnel of {name}')[0]
    stack.wait_state(tunnel, TUNNEL, state, timeout)
    return tunnel


def config_files_signalled(stack):
    return [e.values['ConfigFiles'] for e in stack.signals.of(ROOT_PATH, 'PropertiesChanged')
            if e.interface == MANAGER and 'ConfigFiles' in e.values]


@pytest.fixture
def office(make_stack):
    """A daemon with lns.tunnel (a listener) and office.tunnel (a tunnel to it), up."""
    port = free_port()
    stack = make_stack(files={'lns.tunnel': listener_file(port),
                              'office.tunnel': tunnel_file(port, 11)})
    stack.port = port
    wait_file_tunnel(stack, 'office')
    return stack


def test_each_file_is_listed_with_its_state_and_its_objects_name_it(make_stack):
    port = free_port()
    stack = make_stack(files={'lns.tunnel': listener_file(port),
                              'office.tunnel': tunnel_file(port, 11),
                              'broken.tunnel': '[Tunnel]\nPeer=127.0.0.1\nVersion=banana\n'})
    tunnel = wait_file_tunnel(stack, 'office')
    files = config_files(stack)
    assert [entry[:2] for entry in files] == [('broken', 'failed'), ('lns', 'up'),
                                              ('office', 'up')], files
    assert 'broken.tunnel:3: Version:' in files[0][2], files[0]
    assert files[1][2] == files[2][2] == ''
    assert stack.root.prop(tunnel, TUNNEL, 'ConfigFile') == 'office'
    listener = stack.listeners()[0]
    assert stack.root.prop(listener, LISTENER, 'ConfigFile') == 'lns'
    assert stack.root.prop(listener, LISTENER, 'State') == 'listening'
    # tunnels a listener accepted, and those of the bus, name no file
    responder = stack.root.prop(listener, LISTENER, 'Tunnels')[0]
    assert stack.root.prop(responder, TUNNEL, 'ConfigFile') == ''
    mine = stack.root.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.3'})
    assert stack.root.prop(mine, TUNNEL, 'ConfigFile') == ''


def test_reload_applies_an_added_file_and_signals_config_files(office):
    stack = office
    stack.signals.events.clear()
    stack.write_file('branch.tunnel', tunnel_file(stack.port, 12))
    reload(stack.root)
    assert state_of(stack, 'branch') == ('branch', 'up', '')
    signalled = config_files_signalled(stack)
    assert signalled and [tuple(e) for e in signalled[-1]] == config_files(stack), signalled
    tunnel = wait_file_tunnel(stack, 'branch')
    assert stack.root.prop(tunnel, TUNNEL, 'HelloInterval') == 12
    # the other files' objects were not touched
    assert not [e for e in stack.signals.events
                if e.member == 'InterfacesRemoved' and e.path != tunnel]


def test_down_keeps_a_file_down_across_reload_and_sighup_until_up(office):
    stack = office
    tunnel = file_tunnels(stack, 'office')[0]
    stack.signals.events.clear()
    down(stack.root, 'office')
    assert state_of(stack, 'office') == ('office', 'down', '')
    last_result = assert_removed_cleanly(stack.signals, tunnel, TUNNEL)
    assert last_result[0] == 1, last_result  # StopCCN: closed by request

    reload(stack.root)
    stack.write_file('office.tunnel', tunnel_file(stack.port, 21))
    reload(stack.root)
    stack.daemon.sighup()
    time.sleep(1.0)
    assert file_tunnels(stack, 'office') == []
    assert state_of(stack, 'office') == ('office', 'down', '')
    down(stack.root, 'office')  # again: no error

    paths = up(stack.root, 'office')
    assert len(paths) == 1 and paths[0] != tunnel, paths
    stack.wait_state(paths[0], TUNNEL, 'established')
    assert stack.root.prop(paths[0], TUNNEL, 'HelloInterval') == 21  # the file as it is now
    assert state_of(stack, 'office') == ('office', 'up', '')


def test_up_of_objects_that_exist_replies_with_them_and_changes_nothing(office):
    stack = office
    tunnel = file_tunnels(stack, 'office')[0]
    listener = stack.listeners()[0]
    stack.signals.events.clear()
    assert up(stack.root, 'office') == [tunnel]
    assert up(stack.root, 'lns') == [listener]
    time.sleep(0.5)
    assert not [e for e in stack.signals.events
                if e.member in ('InterfacesAdded', 'InterfacesRemoved')], stack.signals.events


def test_up_brings_back_a_tunnel_the_peer_ended_with_stopccn(office):
    stack = office
    tunnel = file_tunnels(stack, 'office')[0]
    responder = stack.root.prop(stack.listeners()[0], LISTENER, 'Tunnels')[0]
    stack.root.close(responder, TUNNEL)  # our own LNS sends the file's tunnel a StopCCN
    last_result = assert_removed_cleanly(stack.signals, tunnel, TUNNEL)
    name, state, message = wait_file(stack, 'office', 'down')
    assert message == last_result[2] and message, (message, last_result)
    reload(stack.root)  # unchanged: it stays down
    assert file_tunnels(stack, 'office') == []

    paths = up(stack.root, 'office')
    assert len(paths) == 1 and paths[0] != tunnel
    stack.wait_state(paths[0], TUNNEL, 'established')
    assert state_of(stack, 'office') == ('office', 'up', '')


def test_a_tunnel_that_timed_out_is_down_with_the_reason(make_stack, silent_peer):
    peer = '%s:%d' % silent_peer
    stack = make_stack(files={'lost.tunnel': (
        f'[Tunnel]\nPeer={peer}\nLocal=127.0.0.1\nRetransmitTimeout=100\n'
        'MaxRetransmitTimeout=100\nMaxRetransmits=1\n')})
    assert wait_file(stack, 'lost', 'down') == ('lost', 'down', 'peer not responding')
    paths = up(stack.root, 'lost')  # tried again: a new tunnel, which ends the same way
    assert len(paths) == 1 and paths[0].startswith('/org/l2tpbus1/tunnel/'), paths
    stack.signals.wait_removed(paths[0])
    assert wait_file(stack, 'lost', 'down')[2] == 'peer not responding'


def test_unknown_files_bad_names_and_files_that_do_not_load_are_refused(stack):
    with pytest.raises(DBusError) as raised:
        up(stack.root, 'nope')
    assert_error(raised, UNKNOWN_OBJECT)
    assert raised.value.message == f'no config file nope.tunnel in {stack.config_dir}'
    with pytest.raises(DBusError) as raised:
        down(stack.root, 'nope')
    assert_error(raised, UNKNOWN_OBJECT, 'nope.tunnel')

    for name in ('', '.hidden', '../l2tpbusd', 'a b', 'x' * 65, 'tab\there'):
        for call in (up, down):
            with pytest.raises(DBusError) as raised:
                call(stack.root, name)
            assert_error(raised, INVALID_ARGS, 'name')

    stack.write_file('bad.tunnel', '[Tunnel]\nPeer=127.0.0.1\nVersion=banana\n')
    with pytest.raises(DBusError) as raised:
        up(stack.root, 'bad')
    assert_error(raised, FAILED)
    assert raised.value.message.startswith(f'{stack.config_dir}/bad.tunnel:3: Version: '), (
        raised.value.message)
    assert state_of(stack, 'bad')[1] == 'failed'
    assert stack.tunnels() == []


@pytest.mark.skipif(os.geteuid() != 0, reason='calls as other uids need root (setpriv --reuid)')
def test_an_unauthorized_caller_gets_access_denied_and_nothing_changes(office):
    stack = office
    tunnel = file_tunnels(stack, 'office')[0]
    before = config_files(stack)
    stack.write_file('branch.tunnel', tunnel_file(stack.port, 12))
    stack.polkit.clear()
    user = stack.user()
    for call, args in ((reload, ()), (up, ('branch',)), (down, ('office',))):
        with pytest.raises(DBusError) as raised:
            call(user, *args)
        assert_error(raised, ACCESS_DENIED)
    assert stack.polkit.actions() == [ACTION_CONFIGURE] * 3
    assert config_files(stack) == before
    assert file_tunnels(stack, 'office') == [tunnel]
    assert file_tunnels(stack, 'branch') == []

    stack.polkit.set_mode(ACTION_CONFIGURE, 'allow')
    down(user, 'office')
    stack.signals.wait_removed(tunnel)
    assert state_of(stack, 'office')[1] == 'down'
