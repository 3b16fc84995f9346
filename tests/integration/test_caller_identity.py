"""Who the daemon thinks is calling, tried as an attacker on the same machine
would (issue: a local user became root through the API).

The uid the daemon decides with must be the one the bus daemon holds for the
connection (SO_PEERCRED at connect time: the effective uid), which is the one
polkit is asked about; never one read from /proc by PID. And one user must not
be able to make everyone else's authorization fail by keeping checks waiting
at polkit.
"""

import json
import os
import subprocess

import pytest

from conftest import (
    ACCESS_DENIED, ACTION_CREATE, HERE, LIMIT_EXCEEDED, MANAGER, NOBODY, OTHER_UID, PYTHON,
    ROOT_PATH, TUNNEL, DBusError, PendingUserCall, assert_error, options, wait_until)

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason='calls as other uids need root (setpriv)')

PEER = {'Peer': '127.0.0.1', 'Local': '127.0.0.2'}


def start_create_with_ids(stack, setpriv_ids):
    """CreateTunnel from a process whose ids setpriv sets as given."""
    command = ['setpriv', *setpriv_ids, '--clear-groups', '--', PYTHON, str(stack.helper),
               stack.bus.address, 'org.l2tpbus1', ROOT_PATH, MANAGER, 'CreateTunnel',
               options(PEER).print_(True), '(o)', '--timeout', '20']
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd='/', env={'PATH': os.environ['PATH'],
                                                        'LANG': 'C.UTF-8'})
    return PendingUserCall(process, f'CreateTunnel as {" ".join(setpriv_ids)}')


def test_effective_uid_decides_when_the_real_uid_is_root(stack):
    """What a program that dropped privileges with seteuid() leaves: the bus
    and polkit see nobody, and so must the daemon."""
    stack.polkit.set_mode(ACTION_CREATE, 'deny')
    pending = start_create_with_ids(stack, ['--ruid=0', f'--euid={NOBODY}',
                                            f'--regid={NOBODY}'])
    assert stack.root.connection_uid(pending.sender) == NOBODY
    with pytest.raises(DBusError) as raised:
        pending.result(30)
    assert_error(raised, ACCESS_DENIED)
    assert [c[:3] for c in stack.polkit.calls()] == [
        ('system-bus-name', pending.sender, ACTION_CREATE)]
    assert stack.root.paths(TUNNEL) == set()


def test_effective_uid_decides_when_the_real_uid_is_not_root(stack):
    """A setuid-root program run by nobody: the bus (and so polkit) sees uid 0,
    and the daemon agrees with them rather than with /proc's real uid."""
    pending = start_create_with_ids(stack, [f'--ruid={NOBODY}', '--euid=0', '--regid=0'])
    assert stack.root.connection_uid(pending.sender) == 0
    path = pending.result(30).unpack()[0]
    assert stack.root.prop(path, TUNNEL, 'Owner') == 0
    assert stack.polkit.calls() == []


def test_a_reused_pid_does_not_lend_its_uid(l2tpbusd_path):
    """nobody's connection outlives its process; a root process takes the
    PID; nobody's call must still be nobody's (and polkit's to refuse)."""
    run = subprocess.run(
        ['unshare', '--pid', '--fork', '--mount-proc', PYTHON,
         str(HERE / 'pid_reuse_scenario.py'), l2tpbusd_path],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome['staged'], 'the root process did not get the PID; the attack was not staged'
    assert outcome['answer'].get('error') == ACCESS_DENIED, outcome
    assert [c[:3] for c in outcome['polkit_calls']] == [
        ['system-bus-name', outcome['sender'], ACTION_CREATE]], outcome
    assert outcome['owners'] == [], outcome


def start_flood(stack, uid, count):
    process = subprocess.Popen(
        ['setpriv', f'--reuid={uid}', f'--regid={uid}', '--clear-groups', '--', PYTHON,
         str(HERE / 'hostile_caller.py'), 'flood', stack.bus.address, str(count)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd='/')
    hello = json.loads(process.stdout.readline())
    return process, hello['sender']


def test_one_user_cannot_starve_other_users_polkit_checks(stack):
    """nobody keeps 300 CreateTunnels waiting at a polkit that never answers
    (an authentication agent that never responds); another user's call must
    still reach polkit and succeed once polkit answers."""
    stack.polkit.set_mode(ACTION_CREATE, 'hang')
    flood, flood_sender = start_flood(stack, NOBODY, 300)
    try:
        summary = json.loads(flood.stdout.readline())
        # A few wait at polkit; the rest are refused at once, by the daemon
        # (LimitExceeded) or by the bus (its own limit on pending replies).
        waiting = summary['unanswered']
        assert 1 <= waiting <= 4, summary
        assert summary['errors'].get(LIMIT_EXCEEDED, 0) >= 100, summary
        assert summary['replies'] == 0, summary
        assert stack.polkit.hanging() == waiting

        other = stack.user(OTHER_UID).start(ROOT_PATH, MANAGER, 'CreateTunnel', options(PEER),
                                            '(o)', timeout=25)
        wait_until(lambda: stack.polkit.hanging() == waiting + 1, 10,
                   "the other user's check to reach polkit")
        assert stack.polkit.release('allow') == waiting + 1
        path = other.result(30).unpack()[0]
        assert stack.root.prop(path, TUNNEL, 'Owner') == OTHER_UID
    finally:
        flood.kill()
        flood.communicate()
