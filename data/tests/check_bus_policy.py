#!/usr/bin/python3
"""The system bus policy and the activation file, on a real dbus-daemon.

  check_bus_policy.py BUS_POLICY ACTIVATION_FILE

Starts a private dbus-daemon whose configuration has the default policy of
Debian's system bus (dbus 1.14 system.conf: nothing may be owned and no
method called unless a policy file allows it) and <include>s BUS_POLICY;
dbus-daemon refuses to start on a file it cannot parse. ACTIVATION_FILE is put
in the bus's service directory. Then:
  - root owns org.l2tpbus1 (a stand-in daemon that answers every call);
  - the bus lists org.l2tpbus1 as activatable (the activation file parses);
  - uid 65534 (nobody) may not own org.l2tpbus1;
  - nobody may call the daemon's four interfaces and Properties,
    Introspectable, Peer and ObjectManager, and nothing else.
Needs root (to own the name and to become nobody): exits 77 (skip) otherwise.
"""

import os
import shutil
import subprocess
import sys
import tempfile

NAME = "org.l2tpbus1"
PATH = "/org/l2tpbus1"
ALLOWED = [
    "org.l2tpbus1.Manager",
    "org.l2tpbus1.Tunnel",
    "org.l2tpbus1.Session",
    "org.l2tpbus1.Listener",
    "org.freedesktop.DBus.Properties",
    "org.freedesktop.DBus.Introspectable",
    "org.freedesktop.DBus.Peer",
    "org.freedesktop.DBus.ObjectManager",
]
DENIED = ["org.example.NotL2tpbus", "org.l2tpbus1.Secret", None]  # None: no interface
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{servicedir}</servicedir>
  <!-- The default policy of Debian's /usr/share/dbus-1/system.conf. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
  </policy>
  <include>{policy}</include>
</busconfig>
"""


def serve(address):
    """Own org.l2tpbus1 and answer every method call with an empty return."""
    import dbus
    import dbus.lowlevel
    import dbus.mainloop.glib
    from gi.repository import GLib

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    conn = dbus.bus.BusConnection(address)

    def answer(connection, message):
        if isinstance(message, dbus.lowlevel.MethodCallMessage):
            connection.send_message(dbus.lowlevel.MethodReturnMessage(message))
            return dbus.lowlevel.HANDLER_RESULT_HANDLED
        return dbus.lowlevel.HANDLER_RESULT_NOT_YET_HANDLED

    conn.add_message_filter(answer)
    result = conn.request_name(NAME, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
    if result != dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER:
        print(f"root could not own {NAME}: reply {result}", flush=True)
        return 1
    print("READY", flush=True)
    GLib.MainLoop().run()
    return 0


def call(conn, interface):
    """None when the call went through, else the D-Bus error name."""
    import dbus

    try:
        # libdbus itself answers Peer's methods in the stand-in daemon.
        method = "Ping" if interface == "org.freedesktop.DBus.Peer" else "Probe"
        conn.call_blocking(NAME, PATH, interface, method, "", (), timeout=10)
        return None
    except dbus.exceptions.DBusException as error:
        return error.get_dbus_name()


def client(address):
    """Run as nobody: what may and may not be done."""
    import dbus

    conn = dbus.bus.BusConnection(address)
    failures = []
    try:
        reply = conn.request_name(NAME, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
        failures.append(f"uid {os.getuid()} may own {NAME} (RequestName replied {reply})")
    except dbus.exceptions.DBusException as error:
        if error.get_dbus_name() != ACCESS_DENIED:
            failures.append(f"owning {NAME}: {error.get_dbus_name()}, expected AccessDenied")
    for interface in ALLOWED:
        error = call(conn, interface)
        if error is not None:
            failures.append(f"call on {interface} refused: {error}")
    for interface in DENIED:
        error = call(conn, interface)
        if error != ACCESS_DENIED:
            failures.append(f"call on {interface or '(no interface)'} gave {error or 'a reply'}, "
                            "expected AccessDenied")
    for line in failures:
        print(f"FAIL: {line}")
    if not failures:
        print(f"ok: uid {os.getuid()} cannot own {NAME}, may call {len(ALLOWED)} interfaces, "
              f"is refused {len(DENIED)} others")
    return 1 if failures else 0


def activatable(address):
    import dbus

    conn = dbus.bus.BusConnection(address)
    return [str(name) for name in conn.list_activatable_names()]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        return serve(sys.argv[2])
    if len(sys.argv) == 3 and sys.argv[1] == "client":
        return client(sys.argv[2])
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    policy, activation = (os.path.abspath(p) for p in sys.argv[1:])

    if os.getuid() != 0:
        print("SKIP: needs root, to own org.l2tpbus1 and to call as another uid")
        return 77
    for tool in ("dbus-daemon", "setpriv"):
        if shutil.which(tool) is None:
            print(f"FAIL: {tool} is missing (Debian packages dbus-daemon, util-linux)")
            return 1
    try:
        import dbus  # noqa: F401
        from gi.repository import GLib  # noqa: F401
    except ImportError as error:
        print(f"FAIL: {error} (Debian packages python3-dbus, python3-gi)")
        return 1

    status = 0
    with tempfile.TemporaryDirectory(prefix="l2tpbus-bus-") as tmp:
        os.chmod(tmp, 0o755)
        servicedir = os.path.join(tmp, "system-services")
        os.mkdir(servicedir)
        shutil.copy(activation, os.path.join(servicedir, "org.l2tpbus1.service"))
        script = os.path.join(tmp, "check_bus_policy.py")
        shutil.copy(__file__, script)
        os.chmod(script, 0o755)
        config = os.path.join(tmp, "bus.conf")
        socket = os.path.join(tmp, "bus")
        with open(config, "w", encoding="utf-8") as f:
            f.write(BUS_CONFIG.format(socket=socket, servicedir=servicedir, policy=policy))

        bus = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork",
                                "--print-address"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        address = bus.stdout.readline().strip()
        if not address:
            bus.wait(timeout=10)
            print(f"FAIL: dbus-daemon refused the configuration with {policy}:")
            print(bus.stderr.read())
            return 1
        print(f"dbus-daemon accepted {policy} at {address}")
        server = None
        try:
            names = activatable(address)
            if NAME in names:
                print(f"ok: {activation} makes {NAME} activatable")
            else:
                print(f"FAIL: {NAME} is not activatable from {activation}: {names}")
                status = 1

            server = subprocess.Popen(["/usr/bin/python3", script, "serve", address],
                                      stdout=subprocess.PIPE, text=True)
            ready = server.stdout.readline().strip()
            if ready != "READY":
                print(f"FAIL: {ready or 'the stand-in daemon exited'}")
                return 1
            print(f"ok: root owns {NAME}")
            nobody = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                     "/usr/bin/python3", script, "client", address],
                                    capture_output=True, text=True, timeout=120, check=False)
            print(nobody.stdout, end="")
            print(nobody.stderr, end="", file=sys.stderr)
            if nobody.returncode != 0:
                status = 1
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)
            bus.terminate()
            bus.wait(timeout=10)
        # Expected: the refusals above, and the fd limit root cannot raise in a
        # container. Anything else (a bad service file, say) fails the test.
        expected = ("Rejected send message", "Failed to set fd limit")
        unexpected = [line for line in bus.stderr.read().splitlines()
                      if line.strip() and not any(e in line for e in expected)]
        if unexpected:
            print("FAIL: dbus-daemon complained:\n" + "\n".join(unexpected))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
