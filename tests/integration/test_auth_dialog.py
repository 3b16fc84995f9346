"""nm-l2tpbus-auth-dialog run as NetworkManager's secret agents run it.

The profile goes in on stdin as nmcli's and nm-applet's agents write it
(DATA_KEY=/DATA_VAL=, SECRET_KEY=/SECRET_VAL=, a multi-line value continued
on lines starting with '=', then DONE and QUIT); the answer is read back:
in external UI mode (`--external-ui-mode`, what GNOME Shell and `nmcli --ask`
use) the key file, parsed with GLib.KeyFile as those agents parse it; in
normal mode the "key\\nvalue\\n" lines ended by an empty line pair, after
which the program waits for QUIT.

Saved secrets: a private dbus-daemon (session configuration, a socket in the
test's directory) with gnome-keyring-daemon's secret service on it, its
login keyring created fresh under a temporary HOME and XDG_DATA_HOME and
unlocked with a password on stdin (`--unlock`); a secret stored there with
NetworkManager's schema through libsecret (python3-gi, Secret 1) is what the
dialog must find. gnome-keyring rather than python3-dbusmock: Debian
bookworm's dbusmock has no secret service template, and the real service is
what desktops run. The other tests point DBUS_SESSION_BUS_ADDRESS at a
socket that does not exist, so nothing here reaches the machine's buses.

The GTK dialog (-i without --external-ui-mode): Xvfb on a free display and
a private session bus, whose accessibility bus (at-spi-bus-launcher, by
D-Bus activation) lets a helper find the dialog through AT-SPI (python3-gi,
Atspi 2.0), check the fields it shows, type into them and press OK or
Cancel. The other tests run without a display.
"""

import os
import pathlib
import select
import shutil
import subprocess
import time

import pytest

from built_programs import built_program
from conftest import terminate, wait_until

from gi.repository import GLib  # noqa: E402  (conftest required the version)

SERVICE = 'org.freedesktop.NetworkManager.l2tpbus'
UUID = '3f1c1a52-7d55-4c55-9d55-2a1f0c0ffee1'
NAME = 'Office VPN'
UI_GROUP = 'VPN Plugin UI'
GATEWAY = {'gateway': '192.0.2.1', 'user': 'alice'}
IPSEC = dict(GATEWAY, **{'ipsec-enabled': 'yes'})


def dialog_binary():
    return built_program('NM_L2TPBUS_AUTH_DIALOG',
                         'build/*/plugin/auth-dialog/nm-l2tpbus-auth-dialog')


def _item(lines, tag, text):
    # As nmcli's agent writes a value: its lines after the first start with '='.
    first, *rest = text.split('\n')
    lines.append(f'{tag}={first}')
    lines.extend(f'={line}' for line in rest)


def request(data, secrets=None, quit=True):
    lines = []
    for key, value in data.items():
        _item(lines, 'DATA_KEY', key)
        _item(lines, 'DATA_VAL', value)
        lines.append('')
    for key, value in (secrets or {}).items():
        _item(lines, 'SECRET_KEY', key)
        _item(lines, 'SECRET_VAL', value)
        lines.append('')
    lines.append('DONE')
    if quit:
        lines.append('QUIT')
    return '\n'.join(lines) + '\n'


@pytest.fixture
def no_session_bus(tmp_path):
    """An environment whose session bus is a socket nobody listens on."""
    env = dict(os.environ)
    env['DBUS_SESSION_BUS_ADDRESS'] = f'unix:path={tmp_path}/no-bus'
    env.pop('DISPLAY', None)
    env.pop('WAYLAND_DISPLAY', None)
    return env


def run(env, data, secrets=None, args=(), name=NAME, uuid=UUID, timeout=20):
    argv = [dialog_binary(), '-u', uuid, '-n', name, '-s', SERVICE, *args]
    return subprocess.run(argv, input=request(data, secrets), env=env, capture_output=True,
                          text=True, timeout=timeout)


def key_file(result):
    assert result.returncode == 0, result.stderr
    parsed = GLib.KeyFile()
    parsed.load_from_data(result.stdout, len(result.stdout.encode()), GLib.KeyFileFlags.NONE)
    groups = parsed.get_groups()[0]
    # nmcli's agent requires this group first, with Title and Description.
    assert groups[0] == UI_GROUP, result.stdout
    assert parsed.get_integer(UI_GROUP, 'Version') == 2
    assert parsed.get_string(UI_GROUP, 'Title')
    assert parsed.get_string(UI_GROUP, 'Description')
    secrets = {}
    for group in groups[1:]:
        secrets[group] = {'Value': parsed.get_string(group, 'Value'),
                          'Label': parsed.get_string(group, 'Label'),
                          'IsSecret': parsed.get_boolean(group, 'IsSecret'),
                          'ShouldAsk': parsed.get_boolean(group, 'ShouldAsk')}
    return parsed, secrets


EXTERNAL = ('--external-ui-mode', '-i')


def test_external_ui_password_ask_every_time(no_session_bus):
    # password-flags=2 (NOT_SAVED): asked even with a value at hand.
    parsed, secrets = key_file(run(no_session_bus, dict(GATEWAY, **{'password-flags': '2'}),
                                   {'password': 'last time'}, EXTERNAL))
    assert secrets == {'password': {'Value': '', 'Label': 'Password', 'IsSecret': True,
                                    'ShouldAsk': True}}
    assert NAME in parsed.get_string(UI_GROUP, 'Description')


def test_external_ui_password_at_hand_is_not_asked(no_session_bus):
    _, secrets = key_file(run(no_session_bus, GATEWAY, {'password': 'sec ret'}, EXTERNAL))
    assert secrets == {'password': {'Value': 'sec ret', 'Label': 'Password', 'IsSecret': True,
                                    'ShouldAsk': False}}


def test_external_ui_password_missing_is_asked(no_session_bus):
    _, secrets = key_file(run(no_session_bus, GATEWAY, None, EXTERNAL))
    assert secrets['password']['ShouldAsk'] is True
    assert secrets['password']['Value'] == ''


def test_external_ui_reprompt_asks_with_the_value_at_hand(no_session_bus):
    _, secrets = key_file(run(no_session_bus, GATEWAY, {'password': 'old'}, EXTERNAL + ('-r',)))
    assert secrets['password'] == {'Value': 'old', 'Label': 'Password', 'IsSecret': True,
                                   'ShouldAsk': True}


def test_external_ui_ipsec_psk_needed(no_session_bus):
    _, secrets = key_file(run(no_session_bus, IPSEC, {'password': 'pw'}, EXTERNAL))
    assert list(secrets) == ['password', 'ipsec-psk']
    assert secrets['password']['ShouldAsk'] is False
    assert secrets['ipsec-psk'] == {'Value': '', 'Label': 'IPsec pre-shared key',
                                    'IsSecret': True, 'ShouldAsk': True}


def test_external_ui_psk_not_required_or_kept_in_data(no_session_bus):
    _, secrets = key_file(run(no_session_bus, dict(IPSEC, **{'ipsec-psk-flags': '4'}),
                              {'password': 'pw'}, EXTERNAL))
    assert list(secrets) == ['password']
    # NetworkManager-l2tp's older profiles keep the PSK in vpn.data.
    _, secrets = key_file(run(no_session_bus, dict(IPSEC, **{'ipsec-psk': 'legacy'}),
                              {'password': 'pw'}, EXTERNAL))
    assert list(secrets) == ['password']


def test_external_ui_without_interaction_asks_nothing(no_session_bus):
    _, secrets = key_file(run(no_session_bus, IPSEC, None, ('--external-ui-mode',)))
    assert list(secrets) == ['password', 'ipsec-psk']
    assert not any(s['ShouldAsk'] for s in secrets.values())


def test_external_ui_nothing_needed(no_session_bus):
    _, secrets = key_file(run(no_session_bus, dict(GATEWAY, **{'password-flags': '4'}), None,
                              EXTERNAL))
    assert secrets == {}


def test_hints_name_what_is_asked(no_session_bus):
    both = {'password': 'pw', 'ipsec-psk': 'psk'}
    # Without hints: both at hand, nothing asked.
    _, secrets = key_file(run(no_session_bus, IPSEC, both, EXTERNAL))
    assert {k: s['ShouldAsk'] for k, s in secrets.items()} == {'password': False,
                                                               'ipsec-psk': False}
    # The service's hint (SecretsRequired) names the PSK: only it, asked again.
    _, secrets = key_file(run(no_session_bus, IPSEC, both, EXTERNAL + ('-t', 'ipsec-psk')))
    assert secrets == {'ipsec-psk': {'Value': 'psk', 'Label': 'IPsec pre-shared key',
                                     'IsSecret': True, 'ShouldAsk': True}}
    # A message hint is the description; hints naming nothing of ours leave
    # the choice to the profile.
    parsed, secrets = key_file(run(no_session_bus, GATEWAY, None,
                                   EXTERNAL + ('-t', 'x-vpn-message:Token expired\nretry',
                                               '-t', 'unknown-key')))
    assert parsed.get_string(UI_GROUP, 'Description') == 'Token expired\nretry'
    assert list(secrets) == ['password'] and secrets['password']['ShouldAsk'] is True


def test_normal_mode_prints_what_is_present(no_session_bus):
    result = run(no_session_bus, IPSEC, {'password': 'pw 1', 'ipsec-psk': '0sAAAA'})
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'password\npw 1\nipsec-psk\n0sAAAA\n\n\n'
    # Missing secrets are left out without -i: never an empty value line.
    result = run(no_session_bus, IPSEC, {'ipsec-psk': '0sAAAA'})
    assert result.stdout == 'ipsec-psk\n0sAAAA\n\n\n', result.stderr
    # -i with nothing to ask shows no dialog (there is no display here).
    result = run(no_session_bus, GATEWAY, {'password': 'pw'}, ('-i',))
    assert (result.returncode, result.stdout) == (0, 'password\npw\n\n\n'), result.stderr
    result = run(no_session_bus, dict(GATEWAY, **{'password-flags': '4'}), None, ('-i',))
    assert (result.returncode, result.stdout) == (0, '\n\n'), result.stderr


def test_normal_mode_waits_for_quit(no_session_bus):
    process = subprocess.Popen([dialog_binary(), '-u', UUID, '-n', NAME, '-s', SERVICE],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=no_session_bus)
    try:
        process.stdin.write(request(GATEWAY, {'password': 'pw'}, quit=False).encode())
        process.stdin.flush()
        answer = b''
        deadline = time.monotonic() + 10
        while not answer.endswith(b'\n\n\n') and time.monotonic() < deadline:
            if select.select([process.stdout], [], [], 0.5)[0]:
                answer += os.read(process.stdout.fileno(), 4096)
        assert answer == b'password\npw\n\n\n'
        time.sleep(0.5)
        assert process.poll() is None, 'exited before QUIT'
        process.stdin.write(b'QUIT\n\n')
        process.stdin.flush()
        assert process.wait(5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize('args', [(), EXTERNAL], ids=['normal', 'external-ui'])
@pytest.mark.parametrize('secrets', [
    {'password': 'first\nQUIT'},
    {'password': 'pw', 'ipsec-psk': 'a\rb'},
], ids=['line-feed', 'carriage-return'])
def test_line_break_in_a_value_is_refused(no_session_bus, args, secrets):
    result = run(no_session_bus, IPSEC, secrets, args)
    assert result.returncode != 0
    assert result.stdout == ''
    key = 'password' if 'password' in secrets and '\n' in secrets['password'] else 'ipsec-psk'
    assert f'{key}: ' in result.stderr and 'line break' in result.stderr, result.stderr


def test_bad_arguments_are_refused(no_session_bus):
    result = subprocess.run([dialog_binary(), '-u', UUID, '-n', NAME, '-s',
                             'org.freedesktop.NetworkManager.l2tp'], input=request(GATEWAY),
                            env=no_session_bus, capture_output=True, text=True, timeout=10)
    assert result.returncode != 0 and result.stdout == ''
    assert 'l2tpbus' in result.stderr
    result = subprocess.run([dialog_binary(), '-u', UUID, '-s', SERVICE], input=request(GATEWAY),
                            env=no_session_bus, capture_output=True, text=True, timeout=10)
    assert result.returncode != 0 and result.stdout == ''
    result = subprocess.run([dialog_binary(), '-u', UUID, '-n', NAME, '-s', SERVICE], input='',
                            env=no_session_bus, capture_output=True, text=True, timeout=10)
    assert result.returncode != 0 and result.stdout == '', 'nothing on stdin'


# --- saved secrets: gnome-keyring on a private session bus -------------------

STORE = '''
import sys
import gi
gi.require_version('Secret', '1')
from gi.repository import Secret
schema = Secret.Schema.new(
    'org.freedesktop.NetworkManager.Connection', Secret.SchemaFlags.DONT_MATCH_NAME,
    {'connection-uuid': Secret.SchemaAttributeType.STRING,
     'setting-name': Secret.SchemaAttributeType.STRING,
     'setting-key': Secret.SchemaAttributeType.STRING})
uuid, key, value = sys.argv[1:4]
# As nm-applet and GNOME Shell store a VPN secret.
assert Secret.password_store_sync(
    schema, {'connection-uuid': uuid, 'setting-name': 'vpn', 'setting-key': key},
    Secret.COLLECTION_DEFAULT, 'VPN secret', value, None)
'''

LOCK = '''
import gi
gi.require_version('Secret', '1')
from gi.repository import Secret
service = Secret.Service.get_sync(Secret.ServiceFlags.LOAD_COLLECTIONS, None)
collection = Secret.Collection.for_alias_sync(service, 'default', 0, None)
locked, _ = service.lock_sync([collection], None)
assert locked == 1 and collection.get_locked()
'''


class Keyring:
    """A private session bus with gnome-keyring-daemon's secret service."""

    def __init__(self, directory: pathlib.Path):
        self.dir = directory
        home = directory / 'home'
        runtime = directory / 'runtime'
        for path in (home, runtime):
            path.mkdir(mode=0o700)
        self.env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / 'data'),
                        XDG_CONFIG_HOME=str(home / 'config'), XDG_CACHE_HOME=str(home / 'cache'),
                        XDG_RUNTIME_DIR=str(runtime))
        for name in ('DISPLAY', 'WAYLAND_DISPLAY', 'GNOME_KEYRING_CONTROL', 'SSH_AUTH_SOCK'):
            self.env.pop(name, None)
        self.bus_log = open(directory / 'dbus-daemon.log', 'wb')
        self.bus = subprocess.Popen(
            ['dbus-daemon', '--session', '--nofork', '--nopidfile',
             f'--address=unix:path={directory}/bus', '--print-address=1'],
            stdout=subprocess.PIPE, stderr=self.bus_log, env=self.env)
        self.address = self.bus.stdout.readline().decode().strip()
        assert self.address.startswith(f'unix:path={directory}/bus'), self.address
        self.env['DBUS_SESSION_BUS_ADDRESS'] = self.address
        self.keyring_log = directory / 'gnome-keyring.log'
        with open(self.keyring_log, 'wb') as log:
            self.keyring = subprocess.Popen(
                ['gnome-keyring-daemon', '--foreground', '--components=secrets', '--unlock'],
                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        # --unlock: the login keyring's password on stdin (a fresh keyring is
        # created with it, unlocked).
        self.keyring.stdin.write(b'keyring password')
        self.keyring.stdin.close()
        wait_until(self._owned, 15, 'gnome-keyring-daemon to own org.freedesktop.secrets')

    def _owned(self):
        assert self.keyring.poll() is None, self.keyring_log.read_text(errors='replace')
        result = subprocess.run(
            ['dbus-send', '--session', '--print-reply', '--dest=org.freedesktop.DBus',
             '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner',
             'string:org.freedesktop.secrets'], env=self.env, capture_output=True, text=True)
        return 'boolean true' in result.stdout

    def python(self, code, *args):
        result = subprocess.run(['/usr/bin/python3', '-c', code, *args], env=self.env,
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr

    def store(self, uuid, key, value):
        self.python(STORE, uuid, key, value)

    def stop(self):
        problems = terminate(self.keyring, 'gnome-keyring-daemon')
        problems += terminate(self.bus, 'dbus-daemon')
        self.bus.stdout.close()
        self.bus_log.close()
        return problems


@pytest.fixture(scope='module')
def keyring(tmp_path_factory):
    for program in ('dbus-daemon', 'gnome-keyring-daemon', 'dbus-send'):
        if not shutil.which(program):
            pytest.fail(f'{program} is missing (tools/setup.sh installs it)')
    directory = tmp_path_factory.mktemp('keyring')
    ring = Keyring(directory)
    ring.store(UUID, 'password', 'from the keyring')
    ring.store(UUID, 'ipsec-psk', '0sS2V5cmluZw==')
    ring.store('another-connection', 'password', 'not ours')
    yield ring
    assert not ring.stop()
    # The keyring was a fresh one, in the test's directory.
    assert list((directory / 'home' / 'data' / 'keyrings').glob('*.keyring'))


def test_saved_secrets_are_printed_without_interaction(keyring):
    result = run(keyring.env, IPSEC)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'password\nfrom the keyring\nipsec-psk\n0sS2V5cmluZw==\n\n\n'


def test_saved_secret_in_external_ui_mode_is_the_value_and_not_asked(keyring):
    _, secrets = key_file(run(keyring.env, GATEWAY, None, EXTERNAL))
    assert secrets['password'] == {'Value': 'from the keyring', 'Label': 'Password',
                                   'IsSecret': True, 'ShouldAsk': False}


def test_secrets_at_hand_beat_the_keyring(keyring):
    result = run(keyring.env, GATEWAY, {'password': 'given'})
    assert result.stdout == 'password\ngiven\n\n\n', result.stderr


def test_keyring_is_not_read_for_ask_every_time_or_another_connection(keyring):
    _, secrets = key_file(run(keyring.env, dict(GATEWAY, **{'password-flags': '2'}), None,
                              EXTERNAL))
    assert secrets['password'] == {'Value': '', 'Label': 'Password', 'IsSecret': True,
                                   'ShouldAsk': True}
    result = run(keyring.env, GATEWAY, None, uuid='3f1c1a52-0000-0000-0000-000000000000')
    assert (result.returncode, result.stdout) == (0, '\n\n'), result.stderr


def test_saved_secret_with_a_line_break_is_refused(keyring):
    keyring.store('line-break-connection', 'password', 'one\ntwo')
    result = run(keyring.env, GATEWAY, uuid='line-break-connection')
    assert result.returncode != 0 and result.stdout == ''
    assert 'password: ' in result.stderr and 'line break' in result.stderr, result.stderr


def test_locked_keyring_is_not_unlocked_without_interaction(keyring):
    # Runs last in this file: the keyring stays locked. Unlocking would need a
    # prompt, which without -i must never show: the dialog answers at once
    # with what it has, which is nothing.
    keyring.python(LOCK)
    started = time.monotonic()
    result = run(keyring.env, GATEWAY, timeout=15)
    assert (result.returncode, result.stdout) == (0, '\n\n'), result.stderr
    assert time.monotonic() - started < 10


# --- the GTK dialog (-i without --external-ui-mode) under Xvfb ---------------

# Run with the private session bus: finds the dialog through AT-SPI, checks
# the entries' accessible names, types into them and presses a button.
DRIVE = '''
import sys, time
import gi
gi.require_version('Atspi', '2.0')
from gi.repository import Atspi
expected_labels, answers, button = sys.argv[1].split('|'), sys.argv[2].split('|'), sys.argv[3]
ALL_LABELS = ['Password:', 'IPsec pre-shared key:', 'Certificate key password:']

def walk(node):
    yield node
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is not None:
            yield from walk(child)

def find_dialog():
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is not None and app.get_name() == 'nm-l2tpbus-auth-dialog':
            for node in walk(app):
                if node.get_role() == Atspi.Role.PASSWORD_TEXT and node.get_state_set().contains(
                        Atspi.StateType.SHOWING):
                    return app
    return None

deadline = time.monotonic() + 30
app = None
while app is None and time.monotonic() < deadline:
    app = find_dialog()
    if app is None:
        time.sleep(0.2)
if app is None:
    desktop = Atspi.get_desktop(0)
    names = [desktop.get_child_at_index(i) for i in range(desktop.get_child_count())]
    raise AssertionError('no dialog on the accessibility bus; applications: '
                         + repr([a.get_name() if a is not None else None for a in names]))
entries = [n for n in walk(app) if n.get_role() == Atspi.Role.PASSWORD_TEXT
           and n.get_state_set().contains(Atspi.StateType.SHOWING)]
# libnma's dialog links no label to its entries (their accessible names are
# empty): the labels shown are checked beside them.
shown = [n.get_name() for n in walk(app) if n.get_role() == Atspi.Role.LABEL
         and n.get_state_set().contains(Atspi.StateType.SHOWING)]
assert len(entries) == len(expected_labels), (len(entries), shown)
assert all(label in shown for label in expected_labels), shown
assert not any(label in shown for label in ALL_LABELS if label not in expected_labels), shown
for entry, answer in zip(entries, answers):
    entry.get_editable_text_iface().set_text_contents(answer)
buttons = [n for n in walk(app) if n.get_role() == Atspi.Role.PUSH_BUTTON
           and n.get_name().replace('_', '') == button]
assert len(buttons) == 1, [n.get_name() for n in walk(app) if n.get_role() == Atspi.Role.PUSH_BUTTON]
buttons[0].get_action_iface().do_action(0)
'''


@pytest.fixture
def screen(tmp_path):
    """Xvfb on a free display and a private session bus (the accessibility
    bus is started on it by D-Bus activation of at-spi-bus-launcher)."""
    for program in ('Xvfb', 'dbus-daemon'):
        if not shutil.which(program):
            pytest.fail(f'{program} is missing (tools/setup.sh installs it)')
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(['Xvfb', '-displayfd', str(write_fd), '-screen', '0', '800x600x24',
                             '-nolisten', 'tcp'], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as displays:
        display = displays.readline().strip()
    assert display.isdigit(), 'Xvfb named no display'
    runtime = tmp_path / 'runtime'
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, DISPLAY=f':{display}', XDG_RUNTIME_DIR=str(runtime),
               HOME=str(tmp_path), NO_AT_BRIDGE='0', GTK_A11Y='atspi')
    env.pop('WAYLAND_DISPLAY', None)
    bus = subprocess.Popen(['dbus-daemon', '--session', '--nofork', '--nopidfile',
                            f'--address=unix:path={tmp_path}/bus', '--print-address=1'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    env['DBUS_SESSION_BUS_ADDRESS'] = bus.stdout.readline().decode().strip()
    # The accessibility bus up before the dialog starts, rather than raced.
    subprocess.run(['dbus-send', '--session', '--print-reply', '--dest=org.a11y.Bus',
                    '/org/a11y/bus', 'org.a11y.Bus.GetAddress'], env=env, check=True,
                   capture_output=True, timeout=20)
    yield env
    # at-spi-bus-launcher, started by the bus, leaves with it.
    problems = terminate(bus, 'dbus-daemon') + terminate(xvfb, 'Xvfb')
    bus.stdout.close()
    assert not problems


def run_dialog_on_screen(env, data, secrets, labels, answers, button):
    process = subprocess.Popen([dialog_binary(), '-u', UUID, '-n', NAME, '-s', SERVICE, '-i'],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    try:
        process.stdin.write(request(data, secrets, quit=False).encode())
        process.stdin.flush()
        drive = subprocess.run(['/usr/bin/python3', '-c', DRIVE, '|'.join(labels),
                                '|'.join(answers), button], env=env, capture_output=True,
                               text=True, timeout=60)
        assert drive.returncode == 0, drive.stderr
        answer = b''
        deadline = time.monotonic() + 20
        while not answer.endswith(b'\n\n') and time.monotonic() < deadline:
            if process.poll() is not None:
                answer += process.stdout.read()
                break
            if select.select([process.stdout], [], [], 0.5)[0]:
                answer += os.read(process.stdout.fileno(), 4096)
        if process.poll() is None:
            process.stdin.write(b'QUIT\n')
            process.stdin.flush()
        status = process.wait(10)
        return status, answer.decode(), process.stderr.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_dialog_asks_and_answers_what_is_typed(screen):
    status, answer, errors = run_dialog_on_screen(
        screen, dict(IPSEC, **{'password-flags': '2'}), None,
        ['Password:', 'IPsec pre-shared key:'], ['typed pw', '0styped'], 'OK')
    assert (status, answer) == (0, 'password\ntyped pw\nipsec-psk\n0styped\n\n\n'), errors


def test_dialog_shows_only_what_is_asked(screen):
    # The password is at hand: only the PSK's field, its value unchanged.
    status, answer, errors = run_dialog_on_screen(
        screen, IPSEC, {'password': 'at hand'}, ['IPsec pre-shared key:'], ['0sK'], 'OK')
    assert (status, answer) == (0, 'password\nat hand\nipsec-psk\n0sK\n\n\n'), errors


def test_dialog_cancelled_answers_nothing(screen):
    status, answer, errors = run_dialog_on_screen(
        screen, GATEWAY, None, ['Password:'], ['never sent'], 'Cancel')
    assert status != 0 and answer == '', errors
