"""Running l2tpctl against a test stack's private bus, as root or as another
uid (setpriv), and checking its JSON against doc/l2tpctl.schema.json."""

import json
import os
import pathlib
import shutil
import subprocess
from typing import NamedTuple

import jsonschema

from built_programs import built_program

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
SCHEMA = json.loads((REPO / 'doc' / 'l2tpctl.schema.json').read_text())


def l2tpctl_path() -> str:
    return built_program('L2TPCTL', 'build/*/ctl/l2tpctl')


class Result(NamedTuple):
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)

    def lines(self):
        return [line for line in self.out.splitlines() if line]


def validate(value, definition):
    """`value` is valid under the schema's $defs/<definition>."""
    schema = {'$ref': f'#/$defs/{definition}', **{k: v for k, v in SCHEMA.items() if k != '$id'}}
    jsonschema.validate(value, schema, cls=jsonschema.Draft202012Validator)


class Ctl:
    """l2tpctl on one stack's bus; `uid` runs it as that user."""

    def __init__(self, stack, uid=None):
        self.stack = stack
        self.uid = uid
        self.binary = l2tpctl_path()
        if uid is not None:
            # The build tree may not be readable by others: a copy in the
            # stack's world-readable directory is.
            copy = stack.dir / 'l2tpctl'
            if not copy.exists():
                shutil.copyfile(self.binary, copy)
                os.chmod(copy, 0o755)
            self.binary = str(copy)

    def command(self, *args, bus=None):
        command = [self.binary, '--bus', bus or self.stack.bus.address, '--no-pager', *args]
        if self.uid is not None:
            command = ['setpriv', f'--reuid={self.uid}', f'--regid={self.uid}', '--clear-groups',
                       *command]
        return command

    def env(self):
        env = {k: v for k, v in os.environ.items() if k not in ('NO_COLOR', 'PAGER')}
        env['LC_ALL'] = 'C'
        return env

    def __call__(self, *args, bus=None, timeout=30, stdin=subprocess.DEVNULL) -> Result:
        done = subprocess.run(self.command(*args, bus=bus), capture_output=True, text=True,
                              timeout=timeout, env=self.env(), stdin=stdin)
        return Result(done.returncode, done.stdout, done.stderr)

    def popen(self, *args) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env(),
                                stdin=subprocess.DEVNULL)
