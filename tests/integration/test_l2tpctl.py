"""l2tpctl against the real daemons: a LAC and an LNS on private buses with
the polkit double, over loopback (null data plane). Every verb, in human and
JSON form (JSON checked against doc/l2tpctl.schema.json, not as text), its
exit codes, and its shell completion."""

import json
import os
import pathlib
import pty
import signal
import subprocess
import time

import pytest

from conftest import (
    ACTION_CREATE, NOBODY, SESSION, TUNNEL, establish, free_port, open_call, wait_until)
from ctl_runner import REPO, Ctl, validate

EXIT_FAILURE, EXIT_USAGE, EXIT_TIMEOUT, EXIT_DENIED, EXIT_NO_OBJECT, EXIT_NO_DAEMON = 1, 2, 3, 4, 5, 6


@pytest.fixture
def world(make_stack):
    """(lac, lns, pair, lac session path, lns session path)"""
    lac, lns = make_stack('lac'), make_stack('lns')
    pair = establish(lac, lns)
    session, remote = open_call(lac, lns, pair, {'Pseudowire': 'ppp', 'User': 'alice'})
    return lac, lns, pair, session, remote


def tail_id(path):
    return path.rsplit('/', 1)[1]


def session_name(path):
    parts = path.split('/')
    return f'{parts[4]}/{parts[6]}'


def test_status_shows_tunnels_sessions_and_listeners(world):
    lac, lns, pair, session, remote = world
    out = Ctl(lac)('status')
    assert out.code == 0, out.err
    tunnel_row = next(line for line in out.lines() if line.startswith(tail_id(pair.initiator)))
    for word in ('established', 'dynamic', 'v2 udp', 'initiator', f'127.0.0.1:{pair.port}',
                 'lns-host'):
        assert word in tunnel_row, (word, out.out)
    assert any(line.startswith(session_name(session)) and 'established' in line and ' ppp ' in line
               for line in out.lines()), out.out
    assert out.lines()[0].startswith('TUNNEL')
    assert out.lines()[-1] == '1 tunnel, 1 session, 0 listeners.'

    lns_out = Ctl(lns)()  # no verb: status
    assert lns_out.code == 0
    assert any(line.startswith('listener/') and 'listening' in line for line in lns_out.lines())
    assert 'responder' in lns_out.out

    bare = Ctl(lac)('--no-legend', 'status')
    assert not any(line.startswith(('TUNNEL', 'SESSION')) for line in bare.lines())
    assert 'tunnel,' not in bare.out


def test_status_json_matches_the_schema_and_the_bus(world):
    lac, lns, pair, session, remote = world
    out = Ctl(lac)('--json=short', 'status')
    assert out.code == 0, out.err
    assert len(out.lines()) == 1  # short: one line
    status = out.json()
    validate(status, 'status')
    tunnel = status['Tunnels'][0]
    on_bus = lac.root.props(pair.initiator, TUNNEL)
    for key in ('TunnelId', 'State', 'Peer', 'Local', 'PeerHostName', 'PeerTunnelId'):
        assert tunnel[key] == on_bus[key], key
    assert tunnel['LastResult'] == {'Result': 0, 'Error': 0, 'Message': ''}
    assert abs(tunnel['EstablishedTimestamp'] / 1e6 - time.time()) < 60
    assert status['Sessions'][0]['Path'] == session
    assert status['Daemon']['DataPlane'] == 'null'

    pretty = Ctl(lac)('--json=pretty')
    assert pretty.code == 0 and len(pretty.lines()) > 10
    validate(pretty.json(), 'status')
    # -j: short when stdout is not a terminal
    assert len(Ctl(lac)('-j').lines()) == 1


def test_status_of_one_object_by_id_path_and_number(world):
    lac, lns, pair, session, remote = world
    ctl = Ctl(lac)
    by_id = ctl('status', tail_id(pair.initiator))
    assert by_id.code == 0, by_id.err
    assert f'tunnel {tail_id(pair.initiator)} ({pair.initiator})' in by_id.out
    assert 'State: established (up ' in by_id.out
    assert f'Sessions: {session_name(session)} (established' in by_id.out

    as_json = ctl('--json', 'status', session_name(session))
    validate(as_json.json(), 'object')
    assert as_json.json()['Path'] == session
    assert ctl('--json', 'status', session).json()['SessionId'] == int(tail_id(session))

    listener = Ctl(lns)('status', 'listener/' + tail_id(pair.listener))
    assert listener.code == 0
    assert 'State: listening' in listener.out and 'accepted' in listener.out

    both = ctl('--json', 'status', tail_id(pair.initiator), session_name(session))
    assert [o['Path'] for o in both.json()] == [pair.initiator, session]

    missing = ctl('status', '4242')
    assert missing.code == EXIT_NO_OBJECT
    assert '4242' in missing.err and missing.out == ''


def test_list_each_kind(world):
    lac, lns, pair, session, remote = world
    for what, definition, path in (('tunnels', 'listTunnels', pair.initiator),
                                   ('sessions', 'listSessions', session)):
        out = Ctl(lac)('--json', 'list', what)
        assert out.code == 0, out.err
        validate(out.json(), definition)
        assert [o['Path'] for o in out.json()] == [path]
        human = Ctl(lac)('--no-legend', 'list', what)
        assert len(human.lines()) == 1
    listeners = Ctl(lns)('--json', 'list', 'listeners')
    validate(listeners.json(), 'listListeners')
    assert listeners.json()[0]['Tunnels'] == [pair.responder]
    assert Ctl(lac)('list', 'cats').code == EXIT_USAGE


def test_monitor_prints_a_tunnel_coming_up_and_closing(make_stack):
    lac, lns = make_stack('lac'), make_stack('lns')
    port = free_port()
    lns.root.listen({'Local': f'127.0.0.1:{port}'})
    ctl = Ctl(lac)
    json_monitor = ctl.popen('--json', 'monitor')
    human_monitor = ctl.popen('monitor')
    try:
        time.sleep(0.5)  # both subscribed (they print nothing until something happens)
        made = ctl('tunnel', 'add', f'Peer=127.0.0.1:{port}', 'Local=127.0.0.2', '--wait=10')
        assert made.code == 0, made.err
        tunnel = lac.tunnels()[0]
        assert ctl('close', tail_id(tunnel)).code == 0
        lac.signals.wait_removed(tunnel, 10)
        time.sleep(0.5)
    finally:
        for process in (json_monitor, human_monitor):
            process.send_signal(signal.SIGINT)
    out, err = json_monitor.communicate(10)
    assert json_monitor.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    for event in events:
        validate(event, 'monitorEvent')
    mine = [e for e in events if e['Path'] == tunnel]
    assert mine[0]['Event'] == 'added' and mine[0]['Properties']['State'] == 'connecting'
    states = [e['Properties'].get('State') for e in mine if e['Event'] == 'changed']
    assert 'established' in states and states[-1] == 'closed', mine
    results = [e['Properties']['LastResult'] for e in mine if 'LastResult' in e.get('Properties', {})]
    assert results and results[-1]['Result'] != 0, mine  # the StopCCN we sent
    assert mine[-1]['Event'] == 'removed'

    human, _ = human_monitor.communicate(10)
    name = tail_id(tunnel)
    lines = [line for line in human.splitlines() if f'tunnel {name}' in line]
    assert 'added: connecting' in lines[0], human
    assert any('State established' in line for line in lines), human
    assert any('State closed' in line for line in lines), human
    assert any('LastResult' in line for line in lines), human
    assert lines[-1].endswith(f'tunnel {name} removed'), human


def test_tunnel_add_session_add_and_close(make_stack):
    lac, lns = make_stack('lac'), make_stack('lns')
    port = free_port()
    lns.root.listen({'Local': f'127.0.0.1:{port}'})
    ctl = Ctl(lac)
    made = ctl('--json', 'tunnel', 'add', f'peer=127.0.0.1:{port}', 'Local=127.0.0.2',
               'hostname=ctl-lac', '--wait')
    assert made.code == 0, made.err
    validate(made.json(), 'created')
    tunnel = made.json()['Path']
    assert lac.root.prop(tunnel, TUNNEL, 'State') == 'established'

    # Password=@-: the secret comes on standard input and is never echoed.
    call = subprocess.run(ctl.command('session', 'add', made.json()['Name'], 'Pseudowire=ppp',
                                      'User=bob', 'Password=@-', '--wait=10'),
                          input='pa55word\n', capture_output=True, text=True, timeout=30,
                          env=ctl.env())
    assert call.returncode == 0, call.stderr
    assert call.stdout.startswith('session ') and call.stdout.strip().endswith('established.')
    assert 'pa55word' not in call.stdout + call.stderr
    sessions = lac.sessions()
    assert len(sessions) == 1 and lac.root.prop(sessions[0], SESSION, 'State') == 'established'

    # close: a typo among the names closes nothing
    typo = ctl('close', session_name(sessions[0]), '999999')
    assert typo.code == EXIT_NO_OBJECT
    assert lac.sessions() == sessions
    assert ctl('close', session_name(sessions[0])).code == 0
    lac.signals.wait_removed(sessions[0], 10)
    assert ctl('close', tunnel).code == 0
    lac.signals.wait_removed(tunnel, 10)
    assert lac.tunnels() == []


@pytest.mark.parametrize('argument,key', [
    ('Colour=red', 'Colour'),          # unknown key
    ('Version=two', 'Version'),        # wrong type
    ('HideAvps=maybe', 'HideAvps'),    # wrong type
    ('HostName=a\x01b', 'HostName'),   # control characters: refused by the daemon
    ('Peer=not a host!', 'Peer'),      # a bad value: refused by the daemon
    ('Secret=hex:abc', 'Secret'),      # odd hex
])
def test_bad_tunnel_arguments_exit_2_name_the_key_and_create_nothing(stack, argument, key):
    args = [argument] if argument.startswith('Peer=') else ['Peer=127.0.0.1', argument]
    out = Ctl(stack)('tunnel', 'add', *args)
    assert out.code == EXIT_USAGE, out
    assert key in out.err, out.err
    assert '\x01' not in out.err
    assert stack.tunnels() == []


def test_listen_good_and_bad(stack):
    ctl = Ctl(stack)
    port = free_port()
    made = ctl('listen', f'Local=127.0.0.1:{port}', 'PppAddressPool=10.9.0.2-10.9.0.9',
               'PppLocalAddress=10.9.0.1')
    assert made.code == 0, made.err
    assert made.out.startswith('listener listener/') and made.out.strip().endswith('created.')
    assert len(stack.listeners()) == 1
    bad = ctl('listen', 'Local=127.0.0.1:1', 'Pseudowires=ppp,tap')
    assert bad.code == EXIT_USAGE and 'Pseudowires' in bad.err
    assert len(stack.listeners()) == 1
    assert ctl('close', 'listener/' + tail_id(stack.listeners()[0])).code == 0
    wait_until(lambda: stack.listeners() == [], 10, 'the listener closed')


def test_wait_times_out_against_a_silent_peer(stack, silent_peer):
    host, port = silent_peer
    out = Ctl(stack)('tunnel', 'add', f'Peer={host}:{port}', '--wait=2')
    assert out.code == EXIT_TIMEOUT, out
    assert 'timed out' in out.err
    assert len(stack.tunnels()) == 1  # the tunnel goes on trying: only the waiting ended


def test_wait_reports_a_tunnel_that_fails(stack, silent_peer):
    host, port = silent_peer
    out = Ctl(stack)('tunnel', 'add', f'Peer={host}:{port}', 'RetransmitTimeout=100',
                     'MaxRetransmitTimeout=100', 'MaxRetransmits=1', '--wait=20')
    assert out.code == EXIT_FAILURE, out
    assert 'failed' in out.err


def test_polkit_denial(stack):
    out = Ctl(stack, uid=NOBODY)('tunnel', 'add', 'Peer=127.0.0.1')
    assert out.code == EXIT_DENIED, out
    assert 'not authorized' in out.err
    assert stack.tunnels() == []
    # Reading needs no authorization.
    assert Ctl(stack, uid=NOBODY)('status').code == 0


def test_daemon_not_running_and_bus_unreachable(stack):
    ctl = Ctl(stack)
    assert ctl('status').code == 0
    assert stack.daemon.stop() == []
    stack.daemon.killed = True  # stopped cleanly by the test: nothing left for teardown
    out = ctl('status')
    assert out.code == EXIT_NO_DAEMON
    assert 'l2tpbusd is not running: systemctl start l2tpbusd' in out.err
    assert ctl('monitor').code == EXIT_NO_DAEMON
    gone = ctl('status', bus=f'unix:path={stack.dir}/no-such-bus')
    assert gone.code == EXIT_NO_DAEMON and 'cannot connect' in gone.err


def test_usage_errors_exit_2(stack):
    ctl = Ctl(stack)
    assert ctl('frobnicate').code == EXIT_USAGE
    assert ctl('--color=purple', 'status').code == EXIT_USAGE
    assert ctl('--wait=soon', 'tunnel', 'add', 'Peer=127.0.0.1').code == EXIT_USAGE
    assert ctl('tunnel', 'add').code == EXIT_USAGE
    assert stack.tunnels() == []
    helped = ctl('--help')
    assert helped.code == 0 and 'monitor' in helped.out
    assert ctl('--version').out.strip()


def test_completion_from_the_binary_and_the_bash_script(world):
    lac, lns, pair, session, remote = world
    ctl = Ctl(lac)
    assert ctl('__complete', 'tunnel', 'add', 'Mo').lines() == ['Mode=']
    assert 'mode=static' in ctl('__complete', 'tunnel', 'add', 'mode=').lines()
    live = ctl('__complete', f'--bus={lac.bus.address}', 'close', '').lines()
    assert tail_id(pair.initiator) in live and session_name(session) in live

    script = f'''
        source /usr/share/bash-completion/bash_completion
        source {REPO / 'ctl' / 'completion' / 'l2tpctl.bash'}
        PATH={pathlib.Path(ctl.binary).parent}:$PATH
        COMP_WORDBREAKS=$' \\t\\n"\\'><=;|&(:'
        complete_line() {{
            COMP_LINE=$1; COMP_POINT=${{#COMP_LINE}}
            read -r -a COMP_WORDS <<<"$COMP_LINE"
            [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
            COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
            _l2tpctl; printf '%s\\n' "${{COMPREPLY[@]}}"; echo --
        }}
        complete_line 'l2tpctl stat'
        complete_line 'l2tpctl list s'
        complete_line 'l2tpctl --bus={lac.bus.address} status {tail_id(pair.initiator)[:-1]}'
    '''
    done = subprocess.run(['bash', '-c', script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    groups = [g.split() for g in done.stdout.split('--\n')]
    assert groups[0] == ['status'], done.stdout
    assert groups[1] == ['sessions'], done.stdout
    assert tail_id(pair.initiator) in groups[2], done.stdout


def test_status_names_objects_by_config_file(make_stack):
    port = free_port()
    lns = make_stack('lns', files={'office.tunnel': f'''\
        [Listener]
        Local=127.0.0.1:{port}
        '''})
    ctl = Ctl(lns)
    listener = wait_until(lambda: lns.listeners(), 10, 'the file\'s listener')[0]
    out = ctl('--json', 'status', 'office')
    assert out.code == 0, out.err
    assert out.json()['Path'] == listener
    assert out.json().get('ConfigFile') == 'office'
    assert 'office' in ctl('list', 'listeners').out


def test_on_a_terminal_polkit_may_ask_for_a_password(stack):
    """With standard input a terminal, the call allows interactive authorization
    (and pkttyagent is started for it); with --no-ask-password, or without a
    terminal, it does not, and a polkit that wants a password refuses."""
    stack.polkit.set_mode(ACTION_CREATE, 'challenge')  # yes, once a password is typed
    ctl = Ctl(stack, uid=NOBODY)

    def on_terminal(*args):
        controller, terminal = pty.openpty()
        try:
            done = subprocess.run(ctl.command(*args), stdin=terminal, capture_output=True,
                                  text=True, timeout=60, env=ctl.env())
        finally:
            os.close(terminal)
            os.close(controller)
        return done

    stack.polkit.clear()
    asked = on_terminal('tunnel', 'add', 'Peer=127.0.0.1')
    assert asked.returncode == 0, asked.stderr
    assert [c[3] & 1 for c in stack.polkit.calls() if c[2] == ACTION_CREATE] == [1]
    assert len(stack.tunnels()) == 1

    stack.polkit.clear()
    refused = on_terminal('--no-ask-password', 'tunnel', 'add', 'Peer=127.0.0.1')
    assert refused.returncode == EXIT_DENIED, refused.stderr
    assert 'without a password' in refused.stderr
    assert [c[3] & 1 for c in stack.polkit.calls() if c[2] == ACTION_CREATE] == [0]

    no_terminal = ctl('tunnel', 'add', 'Peer=127.0.0.1')
    assert no_terminal.code == EXIT_DENIED
    assert len(stack.tunnels()) == 1


def test_config_files_up_down_and_reload(make_stack):
    lns = make_stack('lns')
    port = free_port()
    lns.root.listen({'Local': f'127.0.0.1:{port}'})
    lac = make_stack('lac', files={'office.tunnel': f'''\
        [Tunnel]
        Peer=127.0.0.1:{port}
        Local=127.0.0.2
        '''})
    ctl = Ctl(lac)
    tunnel = wait_until(lambda: lac.tunnels(), 10, "office.tunnel's tunnel")[0]
    lac.wait_state(tunnel, TUNNEL, 'established')
    assert 'office' in ctl('--no-legend', 'list', 'tunnels').out

    down = ctl('down', 'office')
    assert down.code == 0, down.err
    lac.signals.wait_removed(tunnel, 10)
    files = ctl('--json', 'status').json()['Daemon']['ConfigFiles']
    assert ['office', 'down', ''] in files or any(f[:2] == ['office', 'down'] for f in files), files
    assert ctl('reload').code == 0
    assert lac.tunnels() == []  # down stays down across a reload

    up = ctl('--json', 'up', 'office', '--wait=20')
    assert up.code == 0, up.err
    validate(up.json(), 'created')
    assert lac.root.prop(up.json()['Path'], TUNNEL, 'State') == 'established'
    assert lac.root.prop(up.json()['Path'], TUNNEL, 'ConfigFile') == 'office'

    lac.write_file('spare.tunnel', f'''\
        [Listener]
        Local=127.0.0.2:{free_port()}
        ''')
    assert ctl('reload').code == 0
    wait_until(lambda: lac.listeners(), 10, 'the listener of spare.tunnel')

    missing = ctl('up', 'nosuchfile')
    assert missing.code == EXIT_NO_OBJECT and 'nosuchfile' in missing.err
    assert ctl('down', '../etc/passwd').code == EXIT_USAGE
    denied = Ctl(lac, uid=NOBODY)('down', 'office')
    assert denied.code == EXIT_DENIED
    assert lac.root.prop(up.json()['Path'], TUNNEL, 'State') == 'established'
