#!/usr/bin/python3
"""Callers that try to abuse l2tpbusd's authorization, run as other uids by
the integration tests (under setpriv). Two modes:

    hostile_caller.py flood ADDRESS COUNT
        One connection sends COUNT CreateTunnel calls at once, without waiting
        for replies, and prints {"sender": name} when connected, then, once
        every call is answered or none was for a second, {"errors": {name:
        count}, "replies": count, "unanswered": count}; it then keeps its
        connection (and the calls still waiting) until stdin closes.

    hostile_caller.py handoff ADDRESS
        Connects (libdbus, no threads, so a forked child can keep using the
        connection), prints {"sender": name, "pid": pid}, forks and exits at
        once. The child waits for a line on stdin, then sends CreateTunnel on
        the inherited connection and prints {"reply": path} or {"error": name,
        "message": text}. This is the first half of a PID-reuse attack: the
        bus recorded the parent's PID, which is now free for anyone.
"""

import json
import os
import sys

PEER = {'Peer': '127.0.0.1', 'Local': '127.0.0.2'}


def flood(address, count):
    import gi
    gi.require_version('Gio', '2.0')
    from gi.repository import Gio, GLib

    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    connection = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
    print(json.dumps({'sender': connection.get_unique_name()}), flush=True)
    loop = GLib.MainLoop()
    outcome = {'errors': {}, 'replies': 0, 'unanswered': count}
    quiet = {'source': None}

    def settle():
        if quiet['source'] is not None:
            GLib.source_remove(quiet['source'])
        quiet['source'] = GLib.timeout_add(1000, loop.quit)
    parameters = GLib.Variant('(a{sv})', ({k: GLib.Variant('s', v) for k, v in PEER.items()},))

    def done(source, result):
        try:
            source.call_finish(result)
            outcome['replies'] += 1
        except GLib.Error as error:
            name = Gio.DBusError.get_remote_error(error) or f'(local) {error.code}'
            outcome['errors'][name] = outcome['errors'].get(name, 0) + 1
        outcome['unanswered'] -= 1
        if outcome['unanswered'] == 0:
            loop.quit()
        else:
            settle()

    for _ in range(count):
        connection.call('org.l2tpbus1', '/org/l2tpbus1', 'org.l2tpbus1.Manager', 'CreateTunnel',
                        parameters, GLib.VariantType('(o)'), Gio.DBusCallFlags.NONE, 60000, None,
                        done)
    settle()
    loop.run()
    print(json.dumps(outcome), flush=True)
    # The calls still waiting stay waiting: the caller does not leave until told.
    sys.stdin.readline()


def handoff(address):
    import dbus
    connection = dbus.bus.BusConnection(address)
    print(json.dumps({'sender': connection.get_unique_name(), 'pid': os.getpid()}), flush=True)
    if os.fork() != 0:
        os._exit(0)
    sys.stdin.readline()
    manager = dbus.Interface(connection.get_object('org.l2tpbus1', '/org/l2tpbus1'),
                             'org.l2tpbus1.Manager')
    try:
        path = manager.CreateTunnel(dbus.Dictionary(PEER, signature='sv'), timeout=20)
        print(json.dumps({'reply': str(path)}), flush=True)
    except dbus.DBusException as error:
        print(json.dumps({'error': error.get_dbus_name(), 'message': error.get_dbus_message()}),
              flush=True)


def main():
    mode, address = sys.argv[1], sys.argv[2]
    if mode == 'flood':
        flood(address, int(sys.argv[3]))
    elif mode == 'handoff':
        handoff(address)
    else:
        sys.exit(f'unknown mode {mode}')


if __name__ == '__main__':
    main()
