"""Who may do what (dbus-api.md, Authorization): polkit decides for non-root
callers, asked asynchronously with the caller's system-bus-name subject; root
is never asked about; owners close their own objects without asking.

Unprivileged callers are real other uids (setpriv), since the daemon learns
the uid from the caller's connection. The polkit double records every
CheckAuthorization it gets.
"""

import os
import time

import pytest

from conftest import (
    ACCESS_DENIED, ACTION_CREATE, ACTION_LISTEN, ACTION_MANAGE, FAILED, INTERACTIVE_REQUIRED,
    INVALID_ARGS, LIMIT_EXCEEDED, LISTENER, MANAGER, NOBODY, OTHER_UID, ROOT_PATH, SESSION,
    TUNNEL, DBusError, assert_error, free_port, options, wait_until)


pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason='calls as other uids need root (setpriv --reuid)')


def start_create(user, values, interactive=False, timeout=25.0):
    return user.start(ROOT_PATH, MANAGER, 'CreateTunnel', options(values), '(o)',
                      interactive=interactive, timeout=timeout)


def created_path(pending, timeout=30.0):
    return pending.result(timeout).unpack()[0]


def expect_error(pending, name, timeout=30.0):
    with pytest.raises(DBusError) as raised:
        pending.result(timeout)
    assert_error(raised, name)
    return raised.value


@pytest.fixture
def peer_listener(stack):
    """A listener of the daemon itself, so that users' tunnels come up."""
    port = free_port()
    stack.root.listen({'Local': f'127.0.0.1:{port}'})
    stack.polkit.clear()
    return f'127.0.0.1:{port}'


def tunnel_options(peer):
    return {'Peer': peer, 'Local': '127.0.0.2'}


def test_denied_caller_gets_access_denied_and_nothing_changes(stack, peer_listener):
    before = stack.root.managed_objects()
    user = stack.user()
    pending = start_create(user, tunnel_options(peer_listener))
    expect_error(pending, ACCESS_DENIED)
    assert stack.root.managed_objects() == before
    calls = stack.polkit.calls()
    assert calls == [('system-bus-name', pending.sender, ACTION_CREATE, 0, calls[0][4])], calls


def test_allowed_caller_owns_what_it_creates(stack, peer_listener):
    stack.polkit.set_mode(ACTION_CREATE, 'allow')
    user = stack.user()
    pending = start_create(user, tunnel_options(peer_listener))
    tunnel = created_path(pending)
    assert stack.root.prop(tunnel, TUNNEL, 'Owner') == NOBODY
    assert [c[:3] for c in stack.polkit.calls()] == [
        ('system-bus-name', pending.sender, ACTION_CREATE)]
    stack.wait_state(tunnel, TUNNEL, 'established')
    # a session on one's own tunnel needs create-tunnel again
    stack.polkit.clear()
    session = user.create_session(tunnel, {'Pseudowire': 'ppp'})
    assert stack.root.prop(session, SESSION, 'Owner') == NOBODY
    assert stack.polkit.actions() == [ACTION_CREATE]
    # denied now: no second session
    stack.polkit.set_mode(ACTION_CREATE, 'deny')
    with pytest.raises(DBusError) as raised:
        user.create_session(tunnel, {'Pseudowire': 'ppp'})
    assert_error(raised, ACCESS_DENIED)
    assert stack.root.prop(tunnel, TUNNEL, 'Sessions') == [session]


def test_owner_closes_own_objects_without_polkit(stack, peer_listener):
    stack.polkit.set_mode(ACTION_CREATE, 'allow')
    user = stack.user()
    tunnel = user.create_tunnel(tunnel_options(peer_listener))
    stack.wait_state(tunnel, TUNNEL, 'established')
    session = user.create_session(tunnel, {'Pseudowire': 'ppp'})
    stack.wait_state(session, SESSION, 'established')
    stack.polkit.set_default('deny')
    stack.polkit.set_mode(ACTION_CREATE, 'deny')
    stack.polkit.clear()
    user.close(session, SESSION)
    stack.signals.wait_removed(session)
    user.close(tunnel, TUNNEL)
    stack.signals.wait_removed(tunnel)
    assert stack.polkit.calls() == [], 'polkit was asked about an owner closing its own objects'


def test_another_uids_objects_need_manage_tunnels(stack, peer_listener):
    stack.polkit.set_mode(ACTION_CREATE, 'allow')
    owner = stack.user(NOBODY)
    other = stack.user(OTHER_UID)
    tunnel = owner.create_tunnel(tunnel_options(peer_listener))
    stack.wait_state(tunnel, TUNNEL, 'established')
    session = owner.create_session(tunnel, {'Pseudowire': 'ppp'})
    stack.polkit.set_mode(ACTION_MANAGE, 'deny')
    stack.polkit.clear()
    before = stack.root.managed_objects()

    for call in (lambda: other.close(session, SESSION), lambda: other.close(tunnel, TUNNEL),
                 lambda: other.create_session(tunnel, {'Pseudowire': 'ppp'})):
        with pytest.raises(DBusError) as raised:
            call()
        assert_error(raised, ACCESS_DENIED)
    assert stack.polkit.actions() == [ACTION_MANAGE] * 3
    assert set(stack.root.managed_objects()) == set(before)
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'established'

    stack.polkit.set_mode(ACTION_MANAGE, 'allow')
    stack.polkit.clear()
    other.close(tunnel, TUNNEL)
    stack.signals.wait_removed(tunnel)
    assert stack.polkit.actions() == [ACTION_MANAGE]


def test_root_objects_closed_by_a_user_need_manage_tunnels(stack, peer_listener):
    tunnel = stack.root.create_tunnel(tunnel_options(peer_listener))
    stack.wait_state(tunnel, TUNNEL, 'established')
    user = stack.user()
    with pytest.raises(DBusError) as raised:
        user.close(tunnel, TUNNEL)
    assert_error(raised, ACCESS_DENIED)
    assert stack.polkit.actions() == [ACTION_MANAGE]
    assert stack.root.prop(tunnel, TUNNEL, 'State') == 'established'


def test_root_is_never_asked_about(stack):
    port = free_port()
    listener = stack.root.listen({'Local': f'127.0.0.1:{port}'})
    tunnel = stack.root.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': '127.0.0.2'})
    stack.wait_state(tunnel, TUNNEL, 'established')
    session = stack.root.create_session(tunnel, {'Pseudowire': 'ppp'})
    stack.root.close(session, SESSION)
    stack.root.close(tunnel, TUNNEL)
    stack.root.close(listener, LISTENER)
    stack.signals.wait_removed(tunnel)
    assert stack.polkit.calls() == []


def test_listen_and_closing_listeners_need_listen(stack):
    user = stack.user()
    port = free_port()
    with pytest.raises(DBusError) as raised:
        user.listen({'Local': f'127.0.0.1:{port}'})
    assert_error(raised, ACCESS_DENIED)
    assert stack.listeners() == []
    assert stack.polkit.actions() == [ACTION_LISTEN]

    stack.polkit.set_mode(ACTION_LISTEN, 'allow')
    mine = user.listen({'Local': f'127.0.0.1:{port}'})
    assert stack.listeners() == [mine]

    roots = stack.root.listen({'Local': f'127.0.0.1:{free_port()}'})
    stack.polkit.set_mode(ACTION_LISTEN, 'deny')
    stack.polkit.clear()
    with pytest.raises(DBusError) as raised:
        user.close(roots, LISTENER)
    assert_error(raised, ACCESS_DENIED)
    assert stack.polkit.actions() == [ACTION_LISTEN]
    assert roots in stack.listeners()
    stack.polkit.set_mode(ACTION_LISTEN, 'allow')
    user.close(roots, LISTENER)
    stack.signals.wait_removed(roots)


def test_interaction_required_unless_the_caller_allows_it(stack, peer_listener):
    stack.polkit.set_mode(ACTION_CREATE, 'challenge')
    user = stack.user()
    before = stack.root.managed_objects()
    pending = start_create(user, tunnel_options(peer_listener))
    expect_error(pending, INTERACTIVE_REQUIRED)
    assert stack.root.managed_objects() == before
    assert [(c[2], c[3]) for c in stack.polkit.calls()] == [(ACTION_CREATE, 0)]

    stack.polkit.clear()
    pending = start_create(user, tunnel_options(peer_listener), interactive=True)
    tunnel = created_path(pending)
    assert stack.root.prop(tunnel, TUNNEL, 'Owner') == NOBODY
    calls = stack.polkit.calls()
    assert [(c[1], c[2], c[3]) for c in calls] == [(pending.sender, ACTION_CREATE, 1)], \
        'the allow-interactive-authorization flag did not reach polkit'


def test_dismissed_authentication_is_access_denied(stack, peer_listener):
    stack.polkit.set_mode(ACTION_CREATE, 'challenge-refused')
    before = stack.root.managed_objects()
    pending = start_create(stack.user(), tunnel_options(peer_listener), interactive=True)
    expect_error(pending, ACCESS_DENIED)
    assert stack.root.managed_objects() == before


@pytest.mark.parametrize('mode', ['error', 'malformed'])
def test_broken_polkit_is_failed_and_creates_nothing(stack, peer_listener, mode):
    """polkit did not say no, it could not answer: Error.Failed, naming polkit."""
    stack.polkit.set_mode(ACTION_CREATE, mode)
    before = stack.root.managed_objects()
    pending = start_create(stack.user(), tunnel_options(peer_listener))
    with pytest.raises(DBusError) as raised:
        pending.result(30)
    assert_error(raised, FAILED, 'polkit')
    assert stack.root.managed_objects() == before
    assert stack.daemon.alive()


def test_hanging_polkit_stalls_only_the_call_that_waits(stack, peer_listener):
    stack.polkit.set_mode(ACTION_CREATE, 'hang')
    user = stack.user()
    pending = start_create(user, tunnel_options(peer_listener), timeout=60)
    wait_until(lambda: stack.polkit.hanging() == 1, 10, 'the daemon to ask polkit')

    # meanwhile the daemon serves everyone else
    started = time.monotonic()
    assert stack.root.prop(ROOT_PATH, MANAGER, 'DataPlane') == 'null'
    roots = stack.root.create_tunnel(tunnel_options(peer_listener))
    stack.wait_state(roots, TUNNEL, 'established')
    other = stack.user(OTHER_UID)
    assert other.prop(roots, TUNNEL, 'Owner') == 0
    assert roots in other.paths(TUNNEL)
    assert time.monotonic() - started < 10
    assert not pending.done(), 'the call answered although polkit has not'
    assert set(stack.tunnels()) <= {roots} | set(stack.root.prop(
        stack.listeners()[0], LISTENER, 'Tunnels'))

    assert stack.polkit.release('allow') == 1
    tunnel = created_path(pending)
    assert stack.root.prop(tunnel, TUNNEL, 'Owner') == NOBODY


def test_caller_that_leaves_while_polkit_hangs(stack, peer_listener):
    """Its check is cancelled at polkit (with the id it was sent with), so
    neither an authentication dialog nor a pending reply is left behind, and
    nothing is created for a caller that is gone."""
    stack.polkit.set_mode(ACTION_CREATE, 'hang')
    pending = start_create(stack.user(), tunnel_options(peer_listener), timeout=60)
    wait_until(lambda: stack.polkit.hanging() == 1, 10, 'the daemon to ask polkit')
    cancellation_id = stack.polkit.calls()[0][4]
    assert cancellation_id
    before = set(stack.tunnels())
    pending.process.kill()
    pending.process.communicate()
    wait_until(lambda: stack.polkit.hanging() == 0, 10, 'the daemon to cancel the check')
    assert stack.polkit.cancellations() == [cancellation_id]
    time.sleep(0.3)
    assert stack.daemon.alive()
    assert set(stack.tunnels()) == before


def test_arguments_are_validated_before_polkit_is_asked(stack):
    user = stack.user()
    for values in ({'Peer': '127.0.0.1:1701', 'Bogus': 1}, {'HideAvps': True}):
        with pytest.raises(DBusError) as raised:
            user.create_tunnel(values)
        assert_error(raised, INVALID_ARGS)
    with pytest.raises(DBusError) as raised:
        user.listen({'Local': 'nonsense'})
    assert_error(raised, INVALID_ARGS)
    assert stack.polkit.calls() == []


def test_reading_needs_no_authorization(stack, peer_listener):
    tunnel = stack.root.create_tunnel(tunnel_options(peer_listener))
    stack.polkit.clear()
    user = stack.user()
    assert user.props(ROOT_PATH, MANAGER)['DataPlane'] == 'null'
    assert tunnel in user.managed_objects()
    assert user.prop(tunnel, TUNNEL, 'Owner') == 0
    assert 'org.l2tpbus1.Tunnel' in user.introspect(tunnel)
    assert stack.polkit.calls() == []


# Tunnels to a silent peer stay connecting for a minute with these.
PATIENT = {'MaxRetransmits': 10, 'MaxRetransmitTimeout': 8000}


def test_per_user_limit(make_stack):
    stack = make_stack(conf={'MaxTunnelsPerUser': 2})
    port = free_port()
    stack.root.listen({'Local': f'127.0.0.1:{port}'})
    stack.polkit.set_mode(ACTION_CREATE, 'allow')
    values = tunnel_options(f'127.0.0.1:{port}')
    user = stack.user()
    mine = [user.create_tunnel(values) for _ in range(2)]
    before = stack.root.managed_objects()
    with pytest.raises(DBusError) as raised:
        user.create_tunnel(values)
    assert_error(raised, LIMIT_EXCEEDED)
    assert stack.root.managed_objects().keys() == before.keys()
    # the limit is per uid: others and root are not affected
    stack.user(OTHER_UID).create_tunnel(values)
    for _ in range(3):
        stack.root.create_tunnel(values)
    # closing one makes room again
    stack.wait_state(mine[0], TUNNEL, 'established')
    user.close(mine[0], TUNNEL)
    stack.signals.wait_removed(mine[0])
    user.create_tunnel(values)


def test_default_per_user_limit_is_16(stack, silent_peer):
    stack.polkit.set_mode(ACTION_CREATE, 'allow')
    peer = '%s:%d' % silent_peer
    user = stack.user()
    pending = [start_create(user, {'Peer': peer, **PATIENT}) for _ in range(16)]
    for call in pending:
        created_path(call)
    with pytest.raises(DBusError) as raised:
        user.create_tunnel({'Peer': peer, **PATIENT})
    assert_error(raised, LIMIT_EXCEEDED)
    assert len(stack.tunnels()) == 16


def test_global_limit(make_stack, silent_peer):
    stack = make_stack(conf={'MaxTunnels': 3})
    peer = '%s:%d' % silent_peer
    for _ in range(3):
        stack.root.create_tunnel({'Peer': peer, **PATIENT})
    with pytest.raises(DBusError) as raised:
        stack.root.create_tunnel({'Peer': peer, **PATIENT})
    assert_error(raised, LIMIT_EXCEEDED)
    assert len(stack.tunnels()) == 3
