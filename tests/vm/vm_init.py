"""Stage 2 in the VM: PID 1 after switch_root, under the host's /usr/bin/python3.

Reads /run/l2tpbus-vm/config.json (written by run-in-vm), brings lo up, runs
the command with the caller's working directory and environment, its output
copied to the console through a pipe (the command sees no terminal, as under
meson on the host), reaps every orphan meanwhile (PID 1's duty: tests look
for zombies), writes the exit status to /run/l2tpbus-vm/status, and powers
off.

With "init": "systemd" in the config (run-in-vm --systemd), PID 1 becomes
systemd instead, booting only what the command's unit needs: this script
writes that unit (l2tpbus-vm-command.service, under /run/systemd/system) and
execs /lib/systemd/systemd, which starts it; the unit runs this script again
with --in-unit to run the command, and powers the VM off when it ends. Tests
there start units of their own (the sandboxed l2tpbusd.service).
"""

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback

CONTROL = '/run/l2tpbus-vm'
RB_POWER_OFF = 0x4321FEDC


def say(text):
    sys.stdout.write(f'vm: {text}\n')
    sys.stdout.flush()


def copy_output(source, sink):
    """The command's output, to the console as it comes."""
    while True:
        chunk = os.read(source, 65536)
        if not chunk:
            return
        os.write(sink, chunk)


def run(config, as_pid1=True) -> int:
    os.environ.clear()
    os.environ.update(config['env'])
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    with open('/proc/uptime') as uptime:
        say(f'up after {float(uptime.read().split()[0]):.1f} s; running {config["argv"]}')

    # from here on a second boot would run the command twice: run-in-vm
    # retries a stalled boot only while this file is missing
    with open(f'{CONTROL}/started', 'w'):
        pass
    reader, writer = os.pipe()
    try:
        child = subprocess.Popen(config['argv'], cwd=config['cwd'], stdin=subprocess.DEVNULL,
                                 stdout=writer, stderr=writer, start_new_session=True)
    except OSError as error:
        say(f'cannot run {config["argv"][0]}: {error}')
        return 127
    finally:
        os.close(writer)
    copier = threading.Thread(target=copy_output, args=(reader, sys.stdout.fileno()),
                              daemon=True)
    copier.start()

    while True:
        pid, status = os.wait()
        if pid == child.pid:
            code = os.waitstatus_to_exitcode(status)
            break
    # Left-over processes of the command (a daemon a test forgot) hold the
    # pipe open; they go now, before the console copy is waited for. Under
    # systemd, they are in the unit's cgroup, which systemd empties.
    if as_pid1:
        stop_everything()
    copier.join(5)
    return code if code >= 0 else 128 - code


def stop_everything():
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 2.0)):
        try:
            os.kill(-1, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                time.sleep(0.05)


SYSTEMD = '/lib/systemd/systemd'
COMMAND_UNIT = 'l2tpbus-vm-command.service'
# Early-boot units that a test of a service's sandbox does not need and that
# cost seconds each under TCG (tmpfiles alone walks the 9p root for 14 s):
# masked for this boot (/run/systemd/system, gone at power-off).
UNNEEDED_UNITS = (
    'systemd-tmpfiles-setup.service', 'systemd-tmpfiles-clean.timer',
    'systemd-update-utmp.service', 'systemd-sysusers.service', 'systemd-binfmt.service',
    'proc-sys-fs-binfmt_misc.automount', 'dev-hugepages.mount', 'dev-mqueue.mount',
    'sys-kernel-debug.mount', 'sys-kernel-tracing.mount', 'sys-kernel-config.mount',
    'sys-fs-fuse-connections.mount', 'kmod-static-nodes.service', 'modprobe@.service',
    'systemd-modules-load.service', 'systemd-udev-trigger.service',
    'systemd-journal-flush.service', 'systemd-random-seed.service',
    'systemd-machine-id-commit.service', 'systemd-firstboot.service',
    'systemd-hwdb-update.service', 'ldconfig.service', 'systemd-journal-catalog-update.service',
    'systemd-update-done.service', 'systemd-pstore.service', 'apparmor.service',
    'systemd-repart.service', 'systemd-boot-system-token.service', 'e2scrub_reap.service',
    'systemd-sysctl.service', 'systemd-tmpfiles-setup-dev.service', 'systemd-remount-fs.service',
)


def boot_systemd():
    """Hands PID 1 to systemd, which runs the command in a unit."""
    units = '/run/systemd/system'
    os.makedirs(units, exist_ok=True)
    for name in UNNEEDED_UNITS:
        os.symlink('/dev/null', f'{units}/{name}')
    # Default dependencies: the command runs once basic.target is up (the
    # journal, udev, the D-Bus socket), as a service would. Its output goes to
    # the console, as without systemd; its end powers the VM off either way
    # (the status file says how it went).
    with open(f'{units}/{COMMAND_UNIT}', 'w') as unit:
        unit.write(f"""[Unit]
Description=l2tpbus VM test command
SuccessAction=poweroff-immediate
FailureAction=poweroff-immediate

[Service]
Type=exec
ExecStart=/usr/bin/python3 -I {CONTROL}/vm_init.py --in-unit
StandardInput=null
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TimeoutStartSec=infinity
""")
    say('starting systemd')
    # --unit: nothing of the machine's default.target (gettys, the host's own
    # services) is started; only the command's unit and its dependencies.
    os.execv(SYSTEMD, [SYSTEMD, f'--unit={COMMAND_UNIT}', '--show-status=no',
                       '--log-level=warning'])


def run_in_unit():
    """The command, under systemd (see boot_systemd); the unit's end powers off."""
    code = 125
    try:
        with open(f'{CONTROL}/config.json') as file:
            config = json.load(file)
        code = run(config, as_pid1=False)
        say(f'command exited with {code}')
        with open(f'{CONTROL}/status', 'w') as status:
            status.write(f'{code}\n')
    except BaseException:
        traceback.print_exc()
    sys.stdout.flush()
    os.sync()
    # At once, as without systemd: an orderly shutdown takes tens of seconds
    # under TCG and proves nothing here (the unit's SuccessAction= and
    # FailureAction= remain for a command that never gets this far).
    ctypes.CDLL(None, use_errno=True).reboot(RB_POWER_OFF)
    sys.exit(0 if code == 0 else 1)


def main():
    if sys.argv[1:] == ['--in-unit']:
        run_in_unit()
    code = 125
    try:
        with open(f'{CONTROL}/config.json') as file:
            config = json.load(file)
        if config.get('init') == 'systemd':
            boot_systemd()  # does not return
        code = run(config)
        say(f'command exited with {code}')
        with open(f'{CONTROL}/status', 'w') as status:
            status.write(f'{code}\n')
    except BaseException:  # PID 1 must reach the power-off below whatever happens
        traceback.print_exc()
        sys.stdout.flush()
    os.sync()
    ctypes.CDLL(None, use_errno=True).reboot(RB_POWER_OFF)
    # still here: the kernel panics when PID 1 exits, and panic=-1 ends qemu
    sys.exit(code)


if __name__ == '__main__':
    main()
