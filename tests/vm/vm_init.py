"""Stage 2 in the VM: PID 1 after switch_root, under the host's /usr/bin/python3.

Reads /run/l2tpbus-vm/config.json (written by run-in-vm), brings lo up, runs
the command with the caller's working directory and environment, its output
copied to the console through a pipe (the command sees no terminal, as under
meson on the host), reaps every orphan meanwhile (PID 1's duty: tests look
for zombies), writes the exit status to /run/l2tpbus-vm/status, and powers
off.
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


def run(config) -> int:
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
    # pipe open; they go now, before the console copy is waited for.
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


def main():
    code = 125
    try:
        with open(f'{CONTROL}/config.json') as file:
            config = json.load(file)
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
