#!/usr/bin/python3
"""One D-Bus method call, made by whoever runs this script.

The integration tests run it under `setpriv --reuid=UID ...`, because the
daemon learns a caller's uid from the socket credentials of the caller's own
connection. Usage:

    bus_call.py ADDRESS DEST PATH INTERFACE METHOD ARGS_TEXT [REPLY_TYPE]
                [--interactive] [--timeout SECONDS]

ARGS_TEXT is a GVariant tuple in text form ("({'Peer': <'127.0.0.1'>},)", or
"()" for none). Prints two JSON lines on stdout: {"sender": unique name} as
soon as connected, then {"reply": GVariant text} or {"error": D-Bus error
name, "message": text}.
"""

import argparse
import json
import sys

import gi

gi.require_version('Gio', '2.0')
gi.require_version('GLib', '2.0')
from gi.repository import Gio, GLib  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    for name in ('address', 'dest', 'path', 'interface', 'method', 'args'):
        parser.add_argument(name)
    parser.add_argument('reply_type', nargs='?', default=None)
    parser.add_argument('--interactive', action='store_true')
    parser.add_argument('--timeout', type=float, default=25.0)
    arguments = parser.parse_args()

    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
             | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    connection = Gio.DBusConnection.new_for_address_sync(arguments.address, flags, None, None)
    print(json.dumps({'sender': connection.get_unique_name()}), flush=True)

    parameters = None
    if arguments.args != '()':
        parameters = GLib.Variant.parse(None, arguments.args, None, None)
    reply_type = GLib.VariantType(arguments.reply_type) if arguments.reply_type else None
    call_flags = Gio.DBusCallFlags.NONE
    if arguments.interactive:
        call_flags |= Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION
    try:
        reply = connection.call_sync(arguments.dest, arguments.path, arguments.interface,
                                     arguments.method, parameters, reply_type, call_flags,
                                     int(arguments.timeout * 1000), None)
    except GLib.Error as error:
        name = Gio.DBusError.get_remote_error(error) or f'(local) {error.domain}:{error.code}'
        message = error.message
        prefix = f'GDBus.Error:{name}: '
        if message.startswith(prefix):
            message = message[len(prefix):]
        print(json.dumps({'error': name, 'message': message}), flush=True)
        return 0
    print(json.dumps({'reply': reply.print_(True) if reply is not None else '()'}), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
