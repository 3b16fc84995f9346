#!/usr/bin/python3
"""A polkit authority double for tests, on a private bus.

Run it with Debian's interpreter (python3-dbus, python3-gi):

    /usr/bin/python3 tests/support/polkit_double.py --address ADDRESS [--default MODE]

It connects to the bus at ADDRESS (never the machine's own bus unless told
to), owns org.freedesktop.PolicyKit1, serves
org.freedesktop.PolicyKit1.Authority.CheckAuthorization on
/org/freedesktop/PolicyKit1/Authority, and prints one line "ready" on stdout
once the name is owned. It exits when the bus goes away or on SIGTERM.

How it answers depends on the mode of the action asked about (its own mode if
set, else the default mode, "deny" unless --default says otherwise):

    allow              (True, False, {})
    deny               (False, False, {})
    challenge          authentication needed; when the caller's flags hold
                       AllowUserInteraction (1) a simulated agent authenticates
                       the user: (True, False, {}); without it (False, True, {})
    challenge-refused  as challenge, but the simulated user dismisses the
                       dialog: (False, False, {"polkit.dismissed": "true"})
    hang               never answers until ReleaseHanging()
    error              the D-Bus error org.freedesktop.PolicyKit1.Error.Failed
    malformed          a reply of the wrong type (a single string)

Control interface org.l2tpbus1.Test.PolkitDouble, on the same object path:

    SetMode(s action_id, s mode)    mode for one action
    SetDefaultMode(s mode)          mode for actions without their own
    Reset()                         default "deny", no per-action modes,
                                    call log emptied (hanging calls stay)
    GetCalls() -> a(sssus)          every CheckAuthorization received, oldest
                                    first: (subject kind, subject "name"
                                    detail or "", action_id, flags,
                                    cancellation_id)
    ClearCalls()                    empties the call log
    HangingCount() -> u             calls held by mode "hang"
    ReleaseHanging(s mode) -> u     answers every held call as `mode` would
                                    (not "hang"); returns how many
    GetCancellations() -> as        every CancelCheckAuthorization received
                                    (its cancellation id), oldest first

CancelCheckAuthorization(s cancellation_id) answers the caller's held check
with that id with org.freedesktop.PolicyKit1.Error.Cancelled, as polkit does,
and fails with org.freedesktop.PolicyKit1.Error.Failed when no such check is
held.
"""

import argparse
import os
import signal
import sys

import dbus
import dbus.service
import dbus.mainloop.glib
from gi.repository import GLib

BUS_NAME = 'org.freedesktop.PolicyKit1'
OBJECT_PATH = '/org/freedesktop/PolicyKit1/Authority'
AUTHORITY_INTERFACE = 'org.freedesktop.PolicyKit1.Authority'
CONTROL_INTERFACE = 'org.l2tpbus1.Test.PolkitDouble'
ALLOW_USER_INTERACTION = 1

MODES = ('allow', 'deny', 'challenge', 'challenge-refused', 'hang', 'error', 'malformed')


class PolkitError(dbus.DBusException):
    _dbus_error_name = 'org.freedesktop.PolicyKit1.Error.Failed'


class PolkitCancelled(dbus.DBusException):
    _dbus_error_name = 'org.freedesktop.PolicyKit1.Error.Cancelled'


class InvalidMode(dbus.DBusException):
    _dbus_error_name = 'org.freedesktop.DBus.Error.InvalidArgs'


def check_mode(mode, allow_hang=True):
    if mode not in MODES or (mode == 'hang' and not allow_hang):
        raise InvalidMode(f'unknown mode "{mode}"; one of {", ".join(MODES)}')
    return str(mode)


def authorization_result(authorized, challenge, details=None):
    return dbus.Struct(
        (dbus.Boolean(authorized), dbus.Boolean(challenge),
         dbus.Dictionary(details or {}, signature='ss')),
        signature='bba{ss}')


class Authority(dbus.service.Object):

    def __init__(self, bus, default_mode):
        super().__init__(bus, OBJECT_PATH)
        self.default_mode = default_mode
        self.modes = {}
        self.calls = []
        self.hanging = []  # (flags, reply, error, sender, cancellation_id)
        self.cancellations = []

    def answer(self, mode, flags, reply, error, sender='', cancellation_id=''):
        interactive = bool(flags & ALLOW_USER_INTERACTION)
        if mode == 'allow':
            reply(authorization_result(True, False))
        elif mode == 'deny':
            reply(authorization_result(False, False))
        elif mode == 'challenge':
            reply(authorization_result(interactive, not interactive))
        elif mode == 'challenge-refused':
            if interactive:
                reply(authorization_result(False, False, {'polkit.dismissed': 'true'}))
            else:
                reply(authorization_result(False, True))
        elif mode == 'error':
            error(PolkitError('the polkit double was told to fail'))
        elif mode == 'malformed':
            reply(dbus.String('not an authorization result'))
        else:
            self.hanging.append((flags, reply, error, sender, cancellation_id))

    # No out_signature: "malformed" must be able to answer with the wrong type.
    @dbus.service.method(AUTHORITY_INTERFACE, in_signature='(sa{sv})sa{ss}us',
                         async_callbacks=('reply', 'error'), sender_keyword='sender')
    def CheckAuthorization(self, subject, action_id, _details, flags, cancellation_id,
                           reply, error, sender=None):
        kind, subject_details = subject
        name = subject_details.get('name', '')
        self.calls.append((str(kind), str(name), str(action_id), int(flags),
                           str(cancellation_id)))
        mode = self.modes.get(str(action_id), self.default_mode)
        self.answer(mode, int(flags), reply, error, str(sender), str(cancellation_id))

    @dbus.service.method(AUTHORITY_INTERFACE, in_signature='s', out_signature='',
                         sender_keyword='sender')
    def CancelCheckAuthorization(self, cancellation_id, sender=None):
        self.cancellations.append(str(cancellation_id))
        for held in self.hanging:
            if held[3] == str(sender) and held[4] == str(cancellation_id):
                self.hanging.remove(held)
                held[2](PolkitCancelled('the check was cancelled'))
                return
        raise PolkitError(f'no check with cancellation id "{cancellation_id}"')

    @dbus.service.method(CONTROL_INTERFACE, in_signature='', out_signature='as')
    def GetCancellations(self):
        return dbus.Array(self.cancellations, signature='s')

    @dbus.service.method(CONTROL_INTERFACE, in_signature='ss', out_signature='')
    def SetMode(self, action_id, mode):
        self.modes[str(action_id)] = check_mode(mode)

    @dbus.service.method(CONTROL_INTERFACE, in_signature='s', out_signature='')
    def SetDefaultMode(self, mode):
        self.default_mode = check_mode(mode)

    @dbus.service.method(CONTROL_INTERFACE, in_signature='', out_signature='')
    def Reset(self):
        self.default_mode = 'deny'
        self.modes = {}
        self.calls = []
        self.cancellations = []

    @dbus.service.method(CONTROL_INTERFACE, in_signature='', out_signature='a(sssus)')
    def GetCalls(self):
        return dbus.Array(self.calls, signature='(sssus)')

    @dbus.service.method(CONTROL_INTERFACE, in_signature='', out_signature='')
    def ClearCalls(self):
        self.calls = []

    @dbus.service.method(CONTROL_INTERFACE, in_signature='', out_signature='u')
    def HangingCount(self):
        return dbus.UInt32(len(self.hanging))

    @dbus.service.method(CONTROL_INTERFACE, in_signature='s', out_signature='u')
    def ReleaseHanging(self, mode):
        mode = check_mode(mode, allow_hang=False)
        held, self.hanging = self.hanging, []
        for flags, reply, error, sender, cancellation_id in held:
            self.answer(mode, flags, reply, error, sender, cancellation_id)
        return dbus.UInt32(len(held))


def main():
    parser = argparse.ArgumentParser(description='polkit authority double for tests')
    parser.add_argument('--address', required=True,
                        help='D-Bus address of the (private) bus to serve on')
    parser.add_argument('--default', default='deny', choices=MODES,
                        help='mode for actions without their own (default: deny)')
    arguments = parser.parse_args()

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    bus = dbus.bus.BusConnection(arguments.address)
    bus.set_exit_on_disconnect(False)
    bus.add_signal_receiver(loop.quit, signal_name='Disconnected',
                            dbus_interface='org.freedesktop.DBus.Local',
                            path='/org/freedesktop/DBus/Local')
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)

    # Both stay referenced by these locals while the loop runs.
    authority = Authority(bus, arguments.default)  # noqa: F841
    bus_name = dbus.service.BusName(BUS_NAME, bus, do_not_queue=True)  # noqa: F841
    print('ready', flush=True)
    loop.run()
    # Leave without the BusName's finalizer, which would call a bus that may
    # be gone already; the bus drops the name with the connection anyway.
    sys.stdout.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
