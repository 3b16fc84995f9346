"""xl2tpd as a peer: test_xl2tpd.py runs it on loopback, tests/vm/test_ppp.py
in a network namespace. Also the /proc scans that find its processes (and
pppd's). The tests import these names from conftest.py, which re-exports them.
"""

import os
import pathlib
import signal
import subprocess
import textwrap
import time

from waiting import wait_until

XL2TPD = '/usr/sbin/xl2tpd'
XL2TPD_STARTED = []  # the config paths of every xl2tpd started in this run


class Xl2tpd:
    """One xl2tpd -D in its own PID and mount namespace (1.3.18 may signal a
    reused pid), configured in `directory`.

    `popen(*argv, **kwargs)` starts it: subprocess.Popen by default, a
    Host's popen to run it in that network namespace. `secrets` is the
    auth file (@SECRETS@ in config); `ppp_options`, when given, the pppd
    options file (@OPTIONS@ in config)."""

    def __init__(self, directory: pathlib.Path, config: str, secrets: str = '',
                 ppp_options: str | None = None, popen=None):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / 'xl2tpd.conf'
        self.secrets = self.dir / 'l2tp-secrets'
        self.options = self.dir / 'options.xl2tpd'
        self.control = self.dir / 'l2tp-control'
        self.pidfile = self.dir / 'xl2tpd.pid'
        self.log = self.dir / 'xl2tpd.log'
        self.secrets.write_text(secrets)
        os.chmod(self.secrets, 0o600)
        config = textwrap.dedent(config).replace('@SECRETS@', str(self.secrets))
        if ppp_options is not None:
            self.options.write_text(textwrap.dedent(ppp_options))
            config = config.replace('@OPTIONS@', str(self.options))
        self.conf.write_text(config)
        self.popen = popen or (lambda *argv, **kwargs: subprocess.Popen(argv, **kwargs))
        self.process = None

    def start(self):
        XL2TPD_STARTED.append(self.conf)
        with open(self.log, 'wb') as out:
            # --kill-child: when unshare goes, its child (xl2tpd, pid 1 inside) gets SIGTERM
            self.process = self.popen(
                'unshare', '-p', '-f', '--mount-proc', '--kill-child=SIGTERM', XL2TPD, '-D',
                '-c', str(self.conf), '-p', str(self.pidfile), '-C', str(self.control),
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_until(lambda: 'Listening on IP address' in self.text() or self.process.poll(),
                   10, 'xl2tpd to listen')
        assert self.process.poll() is None, f'xl2tpd exited:\n{self.text()}'
        return self

    def command(self, line):
        """Writes a command to xl2tpd's control FIFO (e.g. 'c x' dials LAC x)."""
        wait_until(lambda: self.control.exists(), 5, 'the control FIFO')
        fd = os.open(self.control, os.O_WRONLY | os.O_NONBLOCK)
        try:
            os.write(fd, (line + '\n').encode())
        finally:
            os.close(fd)

    def text(self):
        return self.log.read_text(errors='replace') if self.log.exists() else ''

    def stop(self):
        if self.process and self.process.poll() is None:
            # SIGTERM to xl2tpd itself (unshare's child), so that unshare reaps it and
            # exits; unshare ignores SIGTERM while it waits
            for pid in _children(self.process.pid):
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()  # --kill-child passes SIGTERM on
                self.process.wait(5)
        # nothing of ours may outlive the test
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if not xl2tpd_pids(self.conf):
                break
            time.sleep(0.05)
        for pid in xl2tpd_pids(self.conf):
            os.kill(pid, signal.SIGKILL)


def _children(pid):
    try:
        return [int(child) for child in
                pathlib.Path(f'/proc/{pid}/task/{pid}/children').read_text().split()]
    except OSError:
        return []


def pids_of(program: str, matches=None):
    """Running processes whose argv[0] ends with `program` and, when given, for
    which matches(/proc/PID path, argv as bytes) holds. A process that ends
    while it is looked at is left out."""
    suffix = program.encode()
    pids = []
    for entry in pathlib.Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / 'cmdline').read_bytes().split(b'\0')
            if command[0].endswith(suffix) and (matches is None or matches(entry, command)):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def in_network_namespace(inode: int):
    """For pids_of: processes in the network namespace with this inode."""
    return lambda entry, _command: os.stat(entry / 'ns' / 'net').st_ino == inode


def xl2tpd_pids(fragment):
    """xl2tpd processes with an argument that contains `fragment`."""
    fragment = str(fragment).encode()
    return pids_of('xl2tpd', lambda _entry, command: any(fragment in c for c in command))


class Xl2tpdPeers:
    """What an xl2tpd fixture yields calls: peers(config, **Xl2tpd options) starts
    one in directory/xl2tpd-N, its log joining a failing test's report; stop()
    at teardown stops them all."""

    def __init__(self, request, directory: pathlib.Path):
        assert os.access(XL2TPD, os.X_OK), f'{XL2TPD} is missing: tools/setup.sh installs xl2tpd'
        self.request = request
        self.directory = directory
        self.started = []

    def __call__(self, config, **kwargs) -> Xl2tpd:
        peer = Xl2tpd(self.directory / f'xl2tpd-{len(self.started)}', config, **kwargs)
        self.started.append(peer)
        node = self.request.node
        node._l2tpbus_logs = getattr(node, '_l2tpbus_logs', []) + [
            (f'xl2tpd {len(self.started)} log', peer.log)]
        return peer.start()

    def stop(self):
        for peer in self.started:
            peer.stop()
