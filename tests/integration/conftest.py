"""Fixtures for the integration tests of l2tpbusd.

Every test gets its own world, torn down after it:

- a private dbus-daemon (a session-type bus on unix:path=<tmp>/bus, EXTERNAL
  auth, every uid may connect, policy allowing everything: polkit decides);
- the polkit authority double (tests/support/polkit_double.py) on that bus;
- the real l2tpbusd (path in $L2TPBUSD) on that bus:
  `l2tpbusd --bus ADDRESS --data-plane null --config DIR --log-level debug`,
  ready once it owns org.l2tpbus1; its log is attached to a failing test's
  report; at teardown it gets SIGTERM and must exit cleanly (exit code 0 and
  no sanitizer report in its log);
- a root client (Gio, in this process) that records every signal below
  /org/l2tpbus1, and unprivileged clients: each call runs bus_call.py in a
  subprocess under `setpriv --reuid=UID`, since the daemon learns a caller's
  uid from the caller's own connection.

Also, from xl2tpd_peer.py and waiting.py beside it: the xl2tpd peer
(Xl2tpd, Xl2tpdPeers) that test_xl2tpd.py runs on loopback and
tests/vm/test_ppp.py runs in a network namespace, and wait_until().

Nothing here touches the machine's buses; all traffic stays on loopback.
"""

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from typing import Any, NamedTuple

import pytest

import gi

gi.require_version('Gio', '2.0')
gi.require_version('GLib', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
# The modules beside this file, also when tests/vm loads it by path.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from built_programs import built_program  # noqa: E402
from waiting import pump, wait_until  # noqa: E402,F401
from xl2tpd_peer import (  # noqa: E402,F401
    XL2TPD, XL2TPD_STARTED, Xl2tpd, Xl2tpdPeers, in_network_namespace, pids_of, xl2tpd_pids)
PYTHON = '/usr/bin/python3'
POLKIT_DOUBLE = REPO / 'tests' / 'support' / 'polkit_double.py'

BUS_NAME = 'org.l2tpbus1'
ROOT_PATH = '/org/l2tpbus1'
MANAGER = 'org.l2tpbus1.Manager'
TUNNEL = 'org.l2tpbus1.Tunnel'
SESSION = 'org.l2tpbus1.Session'
LISTENER = 'org.l2tpbus1.Listener'
OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager'
PROPERTIES = 'org.freedesktop.DBus.Properties'
INTROSPECTABLE = 'org.freedesktop.DBus.Introspectable'
PEER = 'org.freedesktop.DBus.Peer'

POLKIT_NAME = 'org.freedesktop.PolicyKit1'
POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority'
POLKIT_CONTROL = 'org.l2tpbus1.Test.PolkitDouble'
ACTION_CREATE = 'org.l2tpbus1.create-tunnel'
ACTION_MANAGE = 'org.l2tpbus1.manage-tunnels'
ACTION_LISTEN = 'org.l2tpbus1.listen'
ACTION_CONFIGURE = 'org.l2tpbus1.configure'

INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
ACCESS_DENIED = 'org.freedesktop.DBus.Error.AccessDenied'
INTERACTIVE_REQUIRED = 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired'
NOT_SUPPORTED = 'org.l2tpbus1.Error.NotSupported'
EXISTS = 'org.l2tpbus1.Error.Exists'
LIMIT_EXCEEDED = 'org.l2tpbus1.Error.LimitExceeded'
FAILED = 'org.l2tpbus1.Error.Failed'

NOBODY = 65534


def _other_uid():
    """A second unprivileged uid with a passwd entry (dbus-daemon looks the uid up)."""
    import pwd
    for name in ('www-data', 'daemon', 'bin', 'games'):
        try:
            return pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
    raise RuntimeError('no second unprivileged user in /etc/passwd')


OTHER_UID = _other_uid()

SANITIZER_MARKERS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                     'ERROR: ThreadSanitizer', 'WARNING: MemorySanitizer')

# The contract's properties and their exact D-Bus signatures.
MANAGER_PROPS = {'Version': 's', 'DataPlane': 's', 'Features': 'as', 'ConfigFiles': 'a(sss)'}
TUNNEL_PROPS = {
    'State': 's', 'Mode': 's', 'Version': 'u', 'Encapsulation': 's', 'Role': 's',
    'Local': 's', 'Peer': 's', 'TunnelId': 'u', 'PeerTunnelId': 'u', 'PeerHostName': 's',
    'PeerVendorName': 's', 'Owner': 'u', 'HelloInterval': 'u', 'Listener': 'o',
    'ConfigFile': 's', 'Sessions': 'ao', 'Ipsec': 'a{sv}',
    'LastResult': '(uus)', 'EstablishedTimestamp': 't', 'Statistics': 'a{st}',
}
SESSION_PROPS = {
    'State': 's', 'Pseudowire': 's', 'SessionId': 'u', 'Tunnel': 'o', 'PeerSessionId': 'u',
    'InterfaceName': 's', 'Owner': 'u', 'LastResult': '(uus)', 'Ip4Config': 'a{sv}',
    'Ip6Config': 'a{sv}', 'Ip6Negotiation': 's', 'EstablishedTimestamp': 't',
    'Statistics': 'a{st}',
}
LISTENER_PROPS = {'Local': 's', 'Version': 'u', 'Encapsulation': 's', 'State': 's',
                  'ConfigFile': 's', 'Tunnels': 'ao', 'Statistics': 'a{st}'}
TUNNEL_STATISTICS = {'control-tx', 'control-rx', 'retransmits', 'hello-tx'}
SESSION_STATISTICS = {'tx-packets', 'tx-bytes', 'tx-errors', 'rx-packets', 'rx-bytes',
                      'rx-errors', 'rx-seq-discards', 'rx-oos-packets'}
LISTENER_STATISTICS = {'accepted', 'rejected', 'tunnels-refused', 'calls-refused',
                       'refusals-unanswered', 'tunnels-evicted', 'kernel-drops'}
STATES = ('connecting', 'established', 'closing', 'closed')


# --------------------------------------------------------------------------
# small helpers


# Listener ports come from below the kernel's ephemeral range (32768 and up), in a
# sequence that starts at a place given by the pid and never repeats within a run:
# a port an earlier test used (and a peer may still retransmit to) is not handed
# out again, and concurrent test processes walk different stretches.
_PORT_FIRST, _PORT_LAST = 20000, 32000
_port_next = _PORT_FIRST + (os.getpid() * 389) % (_PORT_LAST - _PORT_FIRST)


def terminate(process: subprocess.Popen, name: str, timeout: float = 10.0) -> list[str]:
    """SIGTERM, and SIGKILL when process has not exited `timeout` seconds later;
    the problem (empty when SIGTERM sufficed)."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return [f'{name} did not exit within {timeout:g} s of SIGTERM']
    return []


def free_port(host='127.0.0.1', kind=socket.SOCK_DGRAM):
    """A port that is free on `host` now and was not handed out before in this run."""
    global _port_next
    for _ in range(_PORT_LAST - _PORT_FIRST):
        port = _port_next
        _port_next = _PORT_FIRST + (_port_next + 1 - _PORT_FIRST) % (_PORT_LAST - _PORT_FIRST)
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
        return port
    raise AssertionError('no free port between 20000 and 32000')


def l2tpip_available():
    """True when the kernel opens IPPROTO_L2TP (115) sockets (l2tp_ip loaded)."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 115).close()
        return True
    except OSError:
        return False


def variant(value):
    """A Python value as the vocabulary's D-Bus type (s, u, b, ay, as)."""
    if isinstance(value, GLib.Variant):
        return value
    if isinstance(value, bool):
        return GLib.Variant('b', value)
    if isinstance(value, int):
        return GLib.Variant('u', value)
    if isinstance(value, str):
        return GLib.Variant('s', value)
    if isinstance(value, (bytes, bytearray)):
        return GLib.Variant('ay', bytes(value))
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return GLib.Variant('as', list(value))
    raise TypeError(f'no vocabulary type for {value!r}')


def options(values: dict) -> GLib.Variant:
    """The (a{sv}) argument of CreateTunnel, CreateSession and Listen."""
    return GLib.Variant('(a{sv})', ({key: variant(value) for key, value in values.items()},))


def typed_dict(dictionary: GLib.Variant) -> dict:
    """An a{sv} as {key: (type string, Python value)}."""
    result = {}
    for index in range(dictionary.n_children()):
        entry = dictionary.get_child_value(index)
        inner = entry.get_child_value(1).get_variant()
        result[entry.get_child_value(0).get_string()] = (inner.get_type_string(), inner.unpack())
    return result


class DBusError(Exception):
    def __init__(self, name, message):
        super().__init__(f'{name}: {message}')
        self.name = name
        self.message = message


def _error_from_glib(error: GLib.Error) -> DBusError:
    name = Gio.DBusError.get_remote_error(error) or f'(local) {error.domain}:{error.code}'
    return DBusError(name, strip_remote_prefix(error.message, name))


def strip_remote_prefix(message, name):
    """GDBus prefixes remote errors' messages with "GDBus.Error:NAME: "."""
    prefix = f'GDBus.Error:{name}: '
    return message[len(prefix):] if message.startswith(prefix) else message


class Event(NamedTuple):
    member: str      # PropertiesChanged, InterfacesAdded, InterfacesRemoved, ...
    path: str        # the object the signal is about (InterfacesAdded/Removed: the argument)
    interface: str   # PropertiesChanged: the interface whose properties changed
    values: Any      # PropertiesChanged: {prop: value}; InterfacesAdded: {iface: {prop: value}};
                     # InterfacesRemoved: [iface, ...]
    types: Any       # PropertiesChanged: {prop: type}; InterfacesAdded: {iface: {prop: type}}
    time: float


class SignalLog:
    """Every signal from below /org/l2tpbus1 on one connection, in order."""

    def __init__(self, connection: Gio.DBusConnection):
        self.events: list[Event] = []
        self._connection = connection
        self._id = connection.signal_subscribe(None, None, None, None, None,
                                               Gio.DBusSignalFlags.NONE, self._on_signal)

    def _on_signal(self, _conn, _sender, path, interface, member, parameters, *_):
        if not path.startswith(ROOT_PATH):
            return
        now = time.monotonic()
        if member == 'PropertiesChanged' and interface == PROPERTIES:
            changed = typed_dict(parameters.get_child_value(1))
            self.events.append(Event(member, path, parameters.get_child_value(0).get_string(),
                                     {k: v for k, (_, v) in changed.items()},
                                     {k: t for k, (t, _) in changed.items()}, now))
        elif member == 'InterfacesAdded':
            target = parameters.get_child_value(0).get_string()
            interfaces = parameters.get_child_value(1)
            values, types = {}, {}
            for index in range(interfaces.n_children()):
                entry = interfaces.get_child_value(index)
                name = entry.get_child_value(0).get_string()
                props = typed_dict(entry.get_child_value(1))
                values[name] = {k: v for k, (_, v) in props.items()}
                types[name] = {k: t for k, (t, _) in props.items()}
            self.events.append(Event(member, target, '', values, types, now))
        elif member == 'InterfacesRemoved':
            target, interfaces = parameters.unpack()
            self.events.append(Event(member, target, '', list(interfaces), None, now))
        else:
            self.events.append(Event(member, path, interface or '', parameters.unpack(), None,
                                     now))

    # The accessors dispatch pending signals first: a signal emitted before a method's
    # reply is queued by the time the reply is read.
    def of(self, path, member=None):
        pump()
        return [e for e in self.events if e.path == path and (member is None or e.member == member)]

    def of_member(self, member):
        pump()
        return [e for e in self.events if e.member == member]

    def added(self, interface):
        """Paths announced with `interface`, in order."""
        pump()
        return [e.path for e in self.events
                if e.member == 'InterfacesAdded' and interface in e.values]

    def removed(self, path):
        pump()
        return any(e.member == 'InterfacesRemoved' and e.path == path for e in self.events)

    def states(self, path, interface):
        """The State values that PropertiesChanged and InterfacesAdded announced for `path`."""
        pump()
        states = []
        for e in self.events:
            if e.path != path:
                continue
            if e.member == 'InterfacesAdded' and 'State' in e.values.get(interface, {}):
                states.append(e.values[interface]['State'])
            elif (e.member == 'PropertiesChanged' and e.interface == interface
                  and 'State' in e.values):
                states.append(e.values['State'])
        return states

    def wait_removed(self, path, timeout=10.0):
        wait_until(lambda: self.removed(path), timeout, f'InterfacesRemoved for {path}')

    def wait_added(self, interface, count=1, timeout=10.0):
        wait_until(lambda: len(self.added(interface)) >= count, timeout,
                   f'{count} object(s) with {interface} announced')
        return self.added(interface)

    def close(self):
        self._connection.signal_unsubscribe(self._id)


# --------------------------------------------------------------------------
# clients


class Calls:
    """Conveniences shared by the root client and the unprivileged clients."""

    def call(self, path, interface, method, args=None, reply_type=None, timeout=10.0,
             interactive=False, dest=BUS_NAME):  # -> GLib.Variant or None
        raise NotImplementedError

    def call_py(self, *args, **kwargs):
        reply = self.call(*args, **kwargs)
        return reply.unpack() if reply is not None else ()

    # Manager, Tunnel, Session, Listener
    def create_tunnel(self, values: dict, **kwargs) -> str:
        return self.call_py(ROOT_PATH, MANAGER, 'CreateTunnel', options(values), '(o)',
                            **kwargs)[0]

    def listen(self, values: dict, **kwargs) -> str:
        return self.call_py(ROOT_PATH, MANAGER, 'Listen', options(values), '(o)', **kwargs)[0]

    def create_session(self, tunnel: str, values: dict, **kwargs) -> str:
        return self.call_py(tunnel, TUNNEL, 'CreateSession', options(values), '(o)',
                            **kwargs)[0]

    def close(self, path: str, interface: str, **kwargs):
        self.call(path, interface, 'Close', None, '()', **kwargs)

    # Properties, ObjectManager, Introspectable
    def get(self, path, interface, name) -> GLib.Variant:
        return self.call(path, PROPERTIES, 'Get', GLib.Variant('(ss)', (interface, name)),
                         '(v)').get_child_value(0).get_variant()

    def prop(self, path, interface, name):
        return self.get(path, interface, name).unpack()

    def get_all_typed(self, path, interface) -> dict:
        return typed_dict(self.call(path, PROPERTIES, 'GetAll', GLib.Variant('(s)', (interface,)),
                                    '(a{sv})').get_child_value(0))

    def props(self, path, interface) -> dict:
        return {k: v for k, (_, v) in self.get_all_typed(path, interface).items()}

    def managed_objects(self) -> dict:
        return self.call_py(ROOT_PATH, OBJECT_MANAGER, 'GetManagedObjects', None,
                            '(a{oa{sa{sv}}})')[0]

    def paths(self, interface=None) -> set:
        return {path for path, interfaces in self.managed_objects().items()
                if interface is None or interface in interfaces}

    def introspect(self, path) -> str:
        return self.call_py(path, INTROSPECTABLE, 'Introspect', None, '(s)')[0]


class Client(Calls):
    """A connection as this process's uid (root), recording signals."""

    def __init__(self, address: str):
        flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
                 | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
        self.connection = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
        self.connection.set_exit_on_close(False)
        self.signals = SignalLog(self.connection)

    @property
    def unique_name(self):
        return self.connection.get_unique_name()

    def call(self, path, interface, method, args=None, reply_type=None, timeout=10.0,
             interactive=False, dest=BUS_NAME):
        flags = Gio.DBusCallFlags.NONE
        if interactive:
            flags |= Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION
        try:
            return self.connection.call_sync(
                dest, path, interface, method, args,
                GLib.VariantType(reply_type) if reply_type else None, flags,
                int(timeout * 1000), None)
        except GLib.Error as error:
            raise _error_from_glib(error) from None

    def call_async(self, path, interface, method, args=None, reply_type=None, timeout=30.0,
                   dest=BUS_NAME):
        """Starts a call; returns a dict that gets 'reply' or 'error' when it ends."""
        outcome = {}

        def done(connection, result):
            try:
                outcome['reply'] = connection.call_finish(result)
            except GLib.Error as error:
                outcome['error'] = _error_from_glib(error)

        self.connection.call(dest, path, interface, method, args,
                             GLib.VariantType(reply_type) if reply_type else None,
                             Gio.DBusCallFlags.NONE, int(timeout * 1000), None, done)
        return outcome

    def name_has_owner(self, name) -> bool:
        return self.call_py('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameHasOwner',
                            GLib.Variant('(s)', (name,)), '(b)',
                            dest='org.freedesktop.DBus')[0]

    def connection_uid(self, name) -> int:
        return self.call_py('/org/freedesktop/DBus', 'org.freedesktop.DBus',
                            'GetConnectionUnixUser', GLib.Variant('(s)', (name,)), '(u)',
                            dest='org.freedesktop.DBus')[0]

    def close_connection(self):
        self.signals.close()
        self.connection.close_sync(None)


class PendingUserCall:
    """A call running in an unprivileged subprocess."""

    def __init__(self, process: subprocess.Popen, what: str):
        self.process = process
        self.what = what
        # Byte by byte from the pipe itself: a buffered readline() could take
        # the reply line too, when it is already there, and communicate()
        # (which reads the descriptor, not the buffer) would then find nothing.
        line = b''
        while not line.endswith(b'\n'):
            chunk = os.read(process.stdout.fileno(), 1)
            if not chunk:
                break
            line += chunk
        if not line:
            _, err = process.communicate(timeout=10)
            raise AssertionError(f'{what}: the helper failed before connecting: {err}')
        self.sender = json.loads(line)['sender']

    def done(self) -> bool:
        return self.process.poll() is not None

    def result(self, timeout=30.0):
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise AssertionError(f'{self.what}: no reply within {timeout:g} s') from None
        if not out.strip():
            raise AssertionError(f'{self.what}: the helper printed nothing: {err}')
        answer = json.loads(out.strip().splitlines()[-1])
        if 'error' in answer:
            raise DBusError(answer['error'], answer['message'])
        text = answer['reply']
        return None if text == '()' else GLib.Variant.parse(None, text, None, None)


class UserClient(Calls):
    """Calls made by an unprivileged uid: one subprocess per call."""

    def __init__(self, address: str, uid: int, helper: pathlib.Path):
        self.address = address
        self.uid = uid
        self.helper = helper

    def start(self, path, interface, method, args=None, reply_type=None, timeout=25.0,
              interactive=False, dest=BUS_NAME) -> PendingUserCall:
        command = ['setpriv', f'--reuid={self.uid}', f'--regid={self.uid}', '--clear-groups',
                   '--', PYTHON, str(self.helper), self.address, dest, path, interface, method,
                   args.print_(True) if args is not None else '()']
        if reply_type:
            command.append(reply_type)
        command += ['--timeout', str(timeout)]
        if interactive:
            command.append('--interactive')
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, cwd='/',
                                   env={'PATH': '/usr/sbin:/usr/bin:/sbin:/bin',
                                        'LANG': 'C.UTF-8', 'HOME': '/nonexistent'})
        return PendingUserCall(process, f'{method} on {path} as uid {self.uid}')

    def call(self, path, interface, method, args=None, reply_type=None, timeout=25.0,
             interactive=False, dest=BUS_NAME):
        pending = self.start(path, interface, method, args, reply_type, timeout, interactive,
                             dest)
        return pending.result(timeout + 10)


# --------------------------------------------------------------------------
# processes


def _tail(path: pathlib.Path, lines=400) -> str:
    try:
        text = path.read_text(errors='replace')
    except OSError as error:
        return f'({path}: {error})'
    parts = text.splitlines()
    if len(parts) > lines:
        return f'[... {len(parts) - lines} earlier lines in {path}]\n' + '\n'.join(parts[-lines:])
    return text


class PrivateBus:
    CONFIG = textwrap.dedent('''\
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <type>session</type>
          <listen>unix:path={socket}</listen>
          <auth>EXTERNAL</auth>
          <policy context="default">
            <allow user="*"/>
            <allow own="*"/>
            <allow send_destination="*" eavesdrop="true"/>
            <allow receive_sender="*"/>
            <allow eavesdrop="true"/>
          </policy>
        </busconfig>
        ''')

    def __init__(self, directory: pathlib.Path):
        self.socket = directory / 'bus'
        self.config = directory / 'bus.conf'
        self.log = directory / 'dbus-daemon.log'
        self.config.write_text(self.CONFIG.format(socket=self.socket))
        self.address = f'unix:path={self.socket}'
        with open(self.log, 'wb') as log:
            self.process = subprocess.Popen(
                ['dbus-daemon', f'--config-file={self.config}', '--nofork', '--nopidfile',
                 '--print-address=1'],
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        line = self.process.stdout.readline().decode().strip()
        if not line:
            raise AssertionError(f'dbus-daemon did not start: {_tail(self.log)}')
        os.chmod(self.socket, 0o777)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


class PolkitDouble:
    """tests/support/polkit_double.py on the private bus, driven through its control API."""

    def __init__(self, address: str, control: Client, log: pathlib.Path, default='deny'):
        self.control = control
        self.log = log
        with open(log, 'wb') as out:
            self.process = subprocess.Popen(
                [PYTHON, str(POLKIT_DOUBLE), '--address', address, '--default', default],
                stdout=subprocess.PIPE, stderr=out, stdin=subprocess.DEVNULL)
        line = self.process.stdout.readline().decode().strip()
        if line != 'ready':
            raise AssertionError(f'the polkit double did not start: {line} {_tail(log)}')

    def _call(self, method, args=None, reply_type=None):
        return self.control.call_py(POLKIT_PATH, POLKIT_CONTROL, method, args, reply_type,
                                    dest=POLKIT_NAME)

    def set_mode(self, action, mode):
        self._call('SetMode', GLib.Variant('(ss)', (action, mode)))

    def set_default(self, mode):
        self._call('SetDefaultMode', GLib.Variant('(s)', (mode,)))

    def calls(self):
        """[(subject kind, subject name, action, flags, cancellation id), ...]"""
        return [tuple(c) for c in self._call('GetCalls', None, '(a(sssus))')[0]]

    def actions(self):
        return [c[2] for c in self.calls()]

    def clear(self):
        self._call('ClearCalls')

    def hanging(self) -> int:
        return self._call('HangingCount', None, '(u)')[0]

    def release(self, mode='allow') -> int:
        return self._call('ReleaseHanging', GLib.Variant('(s)', (mode,)), '(u)')[0]

    def cancellations(self) -> list[str]:
        return list(self._call('GetCancellations', None, '(as)')[0])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


_ASAN_CACHE = {}


def _has_asan(binary):
    if binary not in _ASAN_CACHE:
        with open(binary, 'rb') as executable:
            _ASAN_CACHE[binary] = b'__asan_init' in executable.read()
    return _ASAN_CACHE[binary]


class Daemon:
    def __init__(self, binary: str, address: str, config_dir: pathlib.Path,
                 log: pathlib.Path, data_plane='null', extra_args=()):
        self.binary = binary
        self.address = address
        self.config_dir = config_dir
        self.log = log
        self.data_plane = data_plane
        self.extra_args = list(extra_args)
        self.process = None
        self.returncode = None
        self.killed = False  # by the test, on purpose

    def start(self, client: Client, timeout=10.0):
        # Never the machine's charon: tests that want IPsec name their own
        # (a later --vici in extra_args wins).
        no_charon = pathlib.Path(self.config_dir).parent / 'no-charon.vici'
        command = [self.binary, '--bus', self.address, '--data-plane', self.data_plane,
                   '--config', str(self.config_dir), '--log-level', 'debug',
                   '--vici', str(no_charon), *self.extra_args]
        with open(self.log, 'ab') as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f'l2tpbusd exited with {self.process.returncode} before '
                                     f'owning {BUS_NAME}:\n{_tail(self.log, 60)}')
            return client.name_has_owner(BUS_NAME)

        wait_until(ready, timeout, f'l2tpbusd to own {BUS_NAME}')

    @property
    def pid(self):
        return self.process.pid

    @property
    def sanitized(self) -> bool:
        """True for an ASan build, whose RSS (shadow memory, quarantine) says little."""
        return _has_asan(self.binary)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_kib(self) -> int:
        with open(f'/proc/{self.pid}/status') as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        raise AssertionError('no VmRSS in /proc/PID/status')

    def kill(self):
        """SIGKILL, as a test's way to make a peer vanish; teardown won't count it."""
        self.killed = True
        self.process.kill()
        self.process.wait()

    def sighup(self):
        self.process.send_signal(signal.SIGHUP)

    def log_text(self) -> str:
        return self.log.read_text(errors='replace')

    def stop(self) -> list[str]:
        """SIGTERM, then the problems found (empty when it exited cleanly)."""
        problems = []
        if self.process is None:
            return problems
        if self.killed:
            pass
        elif self.process.poll() is not None:
            problems.append(f'l2tpbusd had exited during the test with {self.process.returncode}')
        else:
            problems += terminate(self.process, 'l2tpbusd')
            if self.process.returncode not in (0, -signal.SIGTERM):
                problems.append(f'l2tpbusd exited with {self.process.returncode} on SIGTERM')
        self.returncode = self.process.returncode
        text = self.log_text()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                problems.append(f'l2tpbusd log holds a sanitizer report ({marker!r})')
        return problems


class Stack:
    """One private bus, its polkit double, one l2tpbusd, and clients."""

    def __init__(self, binary, label='a', conf=None, files=None, data_plane='null',
                 polkit_default='deny', extra_args=(), write_conf=True):
        self.label = label
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix=f'l2tpbus-it-{label}-'))
        os.chmod(self.dir, 0o755)
        self.config_dir = self.dir / 'config'
        self.config_dir.mkdir()
        if write_conf:
            self.write_conf(conf or {})
        for name, text in (files or {}).items():
            self.write_file(name, text)
        self.helper = self.dir / 'bus_call.py'
        shutil.copyfile(HERE / 'bus_call.py', self.helper)
        os.chmod(self.helper, 0o755)
        self.bus = PrivateBus(self.dir)
        self.root = Client(self.bus.address)
        self.polkit = PolkitDouble(self.bus.address, self.root, self.dir / 'polkit.log',
                                   polkit_default)
        self.daemon = Daemon(binary, self.bus.address, self.config_dir, self.dir / 'l2tpbusd.log',
                             data_plane, extra_args)

    def logs(self):
        return [(f'l2tpbusd {self.label} log', self.daemon.log),
                (f'polkit double {self.label} log', self.polkit.log),
                (f'dbus-daemon {self.label} log', self.bus.log)]

    def write_conf(self, settings: dict):
        lines = ['[Daemon]'] + [f'{key}={value}' for key, value in settings.items()]
        (self.config_dir / 'l2tpbusd.conf').write_text('\n'.join(lines) + '\n')

    def write_file(self, name, text):
        (self.config_dir / name).write_text(textwrap.dedent(text))

    def start(self):
        self.daemon.start(self.root)
        return self

    def user(self, uid=NOBODY) -> UserClient:
        return UserClient(self.bus.address, uid, self.helper)

    @property
    def signals(self) -> SignalLog:
        return self.root.signals

    # waiting on the daemon's objects
    def wait_prop(self, path, interface, name, expected, timeout=10.0):
        def matches():
            try:
                return self.root.prop(path, interface, name) == expected
            except DBusError:
                return False
        try:
            wait_until(matches, timeout, f'{path} {name} == {expected!r}')
        except AssertionError:
            try:
                now = self.root.prop(path, interface, name)
            except DBusError as error:
                now = error
            raise AssertionError(f'timed out after {timeout:g} s waiting for {path} {name} == '
                                 f'{expected!r}; it is {now!r}') from None

    def wait_state(self, path, interface, state, timeout=10.0):
        self.wait_prop(path, interface, 'State', state, timeout)

    def tunnels(self):
        return sorted(self.root.paths(TUNNEL))

    def sessions(self):
        return sorted(self.root.paths(SESSION))

    def listeners(self):
        return sorted(self.root.paths(LISTENER))

    def stop_daemon(self) -> list[str]:
        return [f'[{self.label}] {p}' for p in self.daemon.stop()]

    def stop_rest(self):
        self.root.close_connection()
        self.polkit.stop()
        self.bus.stop()


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope='session')
def l2tpbusd_path():
    return built_program('L2TPBUSD', 'build/*/service/l2tpbusd', 'build/*/service/daemon/l2tpbusd')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        item._l2tpbus_failed = True  # keep the temporary directories
        logs = getattr(item, '_l2tpbus_logs', []) + getattr(item.module, '_l2tpbus_logs', [])
        for label, path in logs:
            report.sections.append((label, _tail(path)))


class StackPool:
    """Creates stacks for one test (or module) and tears them all down."""

    def __init__(self, binary, holder):
        self.binary = binary
        self.holder = holder  # the pytest item or module that collects the log paths
        self.stacks: list[Stack] = []

    def make(self, label=None, start=True, **kwargs) -> Stack:
        stack = Stack(self.binary, label or 'abcdefgh'[len(self.stacks)], **kwargs)
        self.stacks.append(stack)
        self.holder._l2tpbus_logs = getattr(self.holder, '_l2tpbus_logs', []) + stack.logs()
        if start:
            stack.start()
        return stack

    def teardown(self, failed=False):
        problems = []
        for stack in self.stacks:
            problems += stack.stop_daemon()
        for stack in self.stacks:
            stack.stop_rest()
        for stack in self.stacks:
            if failed or problems or os.environ.get('L2TPBUS_KEEP'):
                print(f'kept {stack.dir}')
            else:
                shutil.rmtree(stack.dir, ignore_errors=True)
        if problems:
            pytest.fail('\n'.join(problems))


@pytest.fixture
def make_stack(request, l2tpbusd_path):
    """make_stack(label='a', conf={...}, files={name: text}, ...) -> a started Stack."""
    pool = StackPool(l2tpbusd_path, request.node)
    yield pool.make
    pool.teardown(getattr(request.node, '_l2tpbus_failed', False))


@pytest.fixture(scope='module')
def make_module_stack(request, l2tpbusd_path):
    """As make_stack, for stacks shared by the tests of one module."""
    pool = StackPool(l2tpbusd_path, request.module)
    yield pool.make
    failed = any(getattr(item, '_l2tpbus_failed', False) for item in request.session.items
                 if item.module is request.module)
    pool.teardown(failed)


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack()


@pytest.fixture
def silent_peer():
    """('127.0.0.1', port) of a UDP socket that never answers: tunnels stay connecting."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(('127.0.0.1', 0))
        yield sock.getsockname()


def assert_error(excinfo_or_error, name, *words):
    """The D-Bus error has `name` and its message mentions each word."""
    error = getattr(excinfo_or_error, 'value', excinfo_or_error)
    assert isinstance(error, DBusError), error
    assert error.name == name, f'expected {name}, got {error.name}: {error.message}'
    for word in words:
        assert word in error.message, f'{error.name} message {error.message!r} lacks {word!r}'


# --------------------------------------------------------------------------
# scenarios shared by several test files


class Pair(NamedTuple):
    listener: str   # on the LNS stack
    initiator: str  # tunnel on the LAC stack
    responder: str  # tunnel on the LNS stack
    port: int


def establish(lac: Stack, lns: Stack, version=2, lac_options=None, listener_options=None,
              listener=None, port=None, local='127.0.0.2', timeout=10.0) -> Pair:
    """A listener on lns at 127.0.0.1:port, a tunnel from lac to it, both established."""
    if listener is None:
        port = port or free_port()
        listener = lns.root.listen({'Local': f'127.0.0.1:{port}', 'Version': version,
                                    'HostName': 'lns-host', **(listener_options or {})})
    else:
        port = int(lns.root.prop(listener, LISTENER, 'Local').rsplit(':', 1)[1])
    known = set(lns.root.prop(listener, LISTENER, 'Tunnels'))
    tunnel = lac.root.create_tunnel({'Peer': f'127.0.0.1:{port}', 'Local': local,
                                     'Version': version, 'HostName': 'lac-host',
                                     **(lac_options or {})})
    lac.wait_state(tunnel, TUNNEL, 'established', timeout)
    responder = wait_until(
        lambda: [t for t in lns.root.prop(listener, LISTENER, 'Tunnels') if t not in known],
        timeout, 'the accepted tunnel in Listener.Tunnels')[0]
    lns.wait_state(responder, TUNNEL, 'established', timeout)
    return Pair(listener, tunnel, responder, port)


def open_call(lac: Stack, lns: Stack, pair: Pair, values: dict, timeout=10.0):
    """A session created on the initiator; returns (its path, the peer's session path)."""
    known = set(lns.root.prop(pair.responder, TUNNEL, 'Sessions'))
    session = lac.root.create_session(pair.initiator, values)
    lac.wait_state(session, SESSION, 'established', timeout)
    remote = wait_until(
        lambda: [s for s in lns.root.prop(pair.responder, TUNNEL, 'Sessions') if s not in known],
        timeout, 'the incoming session in the responder tunnel\'s Sessions')[0]
    lns.wait_state(remote, SESSION, 'established', timeout)
    return session, remote


def signalled_view(signals: SignalLog, path: str, interface: str) -> dict:
    """The properties of `path` as its InterfacesAdded and PropertiesChanged told them."""
    pump()
    view = {}
    for event in signals.events:
        if event.path != path:
            continue
        if event.member == 'InterfacesAdded' and interface in event.values:
            view = dict(event.values[interface])
        elif event.member == 'PropertiesChanged' and event.interface == interface:
            view.update(event.values)
    return view


def assert_removed_cleanly(signals: SignalLog, path: str, interface: str, timeout=10.0):
    """Final PropertiesChanged (State closed, LastResult set), then InterfacesRemoved.

    Returns the final LastResult as the signals told it."""
    signals.wait_removed(path, timeout)
    pump(0.1)
    events = [e for e in signals.events if e.path == path]
    first_removed = next(i for i, e in enumerate(events) if e.member == 'InterfacesRemoved')
    # this life of the path began at its last InterfacesAdded before that removal (or
    # before the log was last cleared)
    added = [i for i, e in enumerate(events[:first_removed]) if e.member == 'InterfacesAdded']
    life = events[added[-1] if added else 0:first_removed]
    assert interface in events[first_removed].values, events[first_removed]
    changes = [e for e in life if e.member == 'PropertiesChanged' and e.interface == interface]
    assert changes, f'{path}: no PropertiesChanged before InterfacesRemoved'
    assert changes[-1].values.get('State') == 'closed', (
        f'{path}: the last PropertiesChanged before InterfacesRemoved was {changes[-1].values}, '
        'not the final State closed')
    view, states = {}, []
    for event in life:
        if event.member == 'InterfacesAdded':
            view = dict(event.values.get(interface, {}))
        elif event.member == 'PropertiesChanged' and event.interface == interface:
            view.update(event.values)
        else:
            continue
        if 'State' in event.values.get(interface, event.values):
            states.append(view.get('State'))
    last_result = tuple(view.get('LastResult', (0, 0, '')))
    assert last_result[0] != 0, f'{path}: closed with LastResult {last_result} (not set)'
    later = events[first_removed + 1:]
    readded = next((i for i, e in enumerate(later) if e.member == 'InterfacesAdded'), len(later))
    stray = [e for e in later[:readded] if e.member == 'PropertiesChanged']
    assert not stray, f'{path}: PropertiesChanged after InterfacesRemoved: {stray}'
    assert all(s in STATES for s in states), f'{path}: states outside the contract: {states}'
    order = [STATES.index(s) for s in states]
    assert order == sorted(order), f'{path}: states went backwards: {states}'
    return last_result
