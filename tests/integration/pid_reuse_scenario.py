#!/usr/bin/python3
"""A PID-reuse attack on l2tpbusd's idea of who is calling, staged in a PID
namespace of its own (test_caller_identity.py runs it under
`unshare --pid --fork --mount-proc`, so nothing else takes PIDs meanwhile and
/proc shows this namespace):

1. uid nobody connects to the bus and hands its connection to a child, then
   exits: the bus daemon still records the parent's PID for the connection;
2. a root process is started at exactly that PID (kernel.ns_last_pid);
3. the child calls CreateTunnel on the inherited connection.

A daemon that reads the caller's uid from /proc/<recorded PID> sees root. The
outcome is printed as one JSON line: {"staged": bool, "answer": {...},
"polkit_calls": [...], "owners": [...]}.

Usage: pid_reuse_scenario.py L2TPBUSD
"""

import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import NOBODY, PYTHON, TUNNEL, Stack  # noqa: E402


def read_json_line(stream):
    line = stream.readline()
    if not line:
        raise RuntimeError('the hostile caller printed nothing')
    return json.loads(line)


def process_at(pid):
    """Starts a root process that gets exactly `pid`, or returns None."""
    for _ in range(5):
        pathlib.Path('/proc/sys/kernel/ns_last_pid').write_text(f'{pid - 1}\n')
        process = subprocess.Popen(['sleep', '60'])
        if process.pid == pid:
            return process
        process.kill()
        process.wait()
    return None


def main():
    binary = sys.argv[1]
    stack = Stack(binary, label='pid-reuse', polkit_default='deny').start()
    squatter = None
    try:
        caller = subprocess.Popen(
            ['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups', '--', PYTHON,
             str(HERE / 'hostile_caller.py'), 'handoff', stack.bus.address],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd='/')
        hello = read_json_line(caller.stdout)
        caller.wait(timeout=10)  # the parent has gone; its child keeps the connection
        squatter = process_at(hello['pid'])
        caller.stdin.write('go\n')
        caller.stdin.flush()
        answer = read_json_line(caller.stdout)
        owners = [stack.root.prop(path, TUNNEL, 'Owner') for path in stack.root.paths(TUNNEL)]
        print(json.dumps({'staged': squatter is not None, 'sender': hello['sender'],
                          'answer': answer, 'polkit_calls': stack.polkit.calls(),
                          'owners': owners}), flush=True)
    finally:
        if squatter is not None:
            squatter.kill()
            squatter.wait()
        stack.stop_daemon()
        stack.stop_rest()


if __name__ == '__main__':
    main()
