"""The LNSes bench/run measures, each started afresh in a temporary directory
on loopback, and what /proc says about their processes (bench/README.md).

Every LNS class has start() and stop(), `port` (its UDP listener on
127.0.0.1), `load_prefix` (the command that puts the generator where the LNS
can be reached: empty, or nsenter into the LNS's network namespace), and the
pids whose CPU time, memory and wake-ups are counted.
"""

import os
import pathlib
import socket
import subprocess
import sys
import textwrap
import time


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise RuntimeError(f'timed out waiting for {what}')


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def udp_port_bound(port, net_of_pid='self'):
    """In the network namespace of net_of_pid: /proc/PID/net is that namespace's view."""
    suffix = f':{port:04X}'
    try:
        with open(f'/proc/{net_of_pid}/net/udp') as table:
            return any(line.split()[1].endswith(suffix) for line in list(table)[1:])
    except OSError:
        return False


def cpu_seconds(pid):
    """CPU time of every thread of the process, in nanoseconds from
    /proc/PID/task/*/schedstat rather than in the 10 ms clock ticks of
    /proc/PID/stat, which would leave a few ticks for a few hundred tunnels.
    The control plane only: xl2tpd's pppd children (one per session) are left
    out, as l2tpbusd's null data plane runs none."""
    total = 0
    for task in pathlib.Path(f'/proc/{pid}/task').iterdir():
        try:
            total += int((task / 'schedstat').read_text().split()[0])
        except OSError:
            pass  # a thread that ended meanwhile
    return total / 1e9


def rss_kb(pid):
    for line in pathlib.Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return 0


def context_switches(pid):
    """Voluntary + involuntary context switches of every thread of the process:
    each is one time the process stopped running, so while it holds tunnels
    with no traffic, each is one wake-up (a timer, a poll returning) or a
    preemption during one."""
    total = 0
    for task in pathlib.Path(f'/proc/{pid}/task').iterdir():
        try:
            for line in (task / 'status').read_text().splitlines():
                if line.startswith(('voluntary_ctxt_switches:', 'nonvoluntary_ctxt_switches:')):
                    total += int(line.split()[1])
        except OSError:
            pass  # a thread that ended meanwhile
    return total


def wakeups_per_second(pids, seconds):
    """{pid: wake-ups per second} over one window in which nothing is sent."""
    before = {pid: context_switches(pid) for pid in pids}
    start = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - start
    return {pid: (context_switches(pid) - before[pid]) / elapsed for pid in pids}


def children(pid):
    try:
        return [int(child) for child in
                pathlib.Path(f'/proc/{pid}/task/{pid}/children').read_text().split()]
    except OSError:
        return []


def stop(process, timeout=10):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_namespace(process):
    """An LNS under `unshare --fork --kill-child`: SIGTERM its child, then wait."""
    for pid in children(process.pid):
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class L2tpbusd:
    """l2tpbusd --data-plane null on a private session-type bus, with one
    listener from a file in its --config directory, its limits sized to the load."""
    name = 'l2tpbusd'
    versions = (2, 3)
    load_prefix = []

    def __init__(self, binary, directory, load):
        self.binary = binary
        self.dir = directory
        self.load = load
        self.bus = self.daemon = None

    @classmethod
    def unavailable(cls):
        return None

    def start(self):
        self.dir.mkdir(parents=True)
        socket_path = self.dir / 'bus'
        bus_config = self.dir / 'bus.conf'
        bus_config.write_text(textwrap.dedent(f'''\
            <!DOCTYPE busconfig PUBLIC
             "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path={socket_path}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            '''))
        self.log = open(self.dir / 'l2tpbusd.log', 'wb')
        self.bus = subprocess.Popen(['dbus-daemon', '--nofork', '--config-file', str(bus_config)],
                                    stdin=subprocess.DEVNULL, stdout=self.log,
                                    stderr=subprocess.STDOUT)
        wait_until(socket_path.exists, 10, 'the private bus')
        config = self.dir / 'config'
        config.mkdir()
        tunnels, sessions = self.load.tunnels, self.load.tunnels * self.load.sessions
        # Tunnel ids are 16 bits: 65,535 tunnels from peers need MaxTunnels
        # above that by at least the reserve kept for local tunnels.
        (config / 'l2tpbusd.conf').write_text(textwrap.dedent(f'''\
            [Daemon]
            MaxTunnels={min(max(4096, 2 * tunnels), 70000)}
            ReservedLocalTunnels=1000
            MaxSessions={max(1024, 2 * sessions)}
            MaxHalfOpen={max(1024, self.load.window)}
            MaxHalfOpenPerPeer={max(64, self.load.window)}
            '''))
        self.port = free_udp_port()
        (config / 'bench.tunnel').write_text(textwrap.dedent(f'''\
            [Listener]
            Local=127.0.0.1:{self.port}
            HostName=l2tpbus-lns
            Version={self.load.version}
            Pseudowires={'ppp;eth' if self.load.version == 3 else 'ppp'}
            PppRequireAuthentication=false
            MaxTunnels={max(2048, tunnels)}
            MaxTunnelsPerPeer={max(64, tunnels)}
            MaxSessions={max(512, sessions)}
            MaxCallsPerSecond=1000000
            '''))
        self.daemon = subprocess.Popen(
            [self.binary, '--bus', f'unix:path={socket_path}', '--data-plane', 'null',
             '--config', str(config), '--log-level', 'warning',
             # never the machine's charon
             '--vici', str(self.dir / 'no-charon.vici')],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: udp_port_bound(self.port) or self.daemon.poll() is not None, 10,
                   'l2tpbusd to listen')
        if self.daemon.poll() is not None:
            raise RuntimeError(f'l2tpbusd exited:\n{(self.dir / "l2tpbusd.log").read_text()}')

    def cpu_pids(self):
        return [self.daemon.pid, self.bus.pid]

    def memory_pid(self):
        return self.daemon.pid

    def wakeup_pids(self):
        """(the LNS's process, the bus daemon or None)"""
        return self.daemon.pid, self.bus.pid

    def stop(self):
        stop(self.daemon)
        stop(self.bus)
        self.log.close()
        if self.daemon.returncode not in (0, None):
            print(f'l2tpbusd exited with {self.daemon.returncode}', file=sys.stderr)


class NamespacedLns:
    """An LNS that is one process (`pid`) in namespaces of its own, started
    through `process`, writing to `output`; `binary` is its executable."""
    binary = None

    def __init__(self, directory, load):
        self.dir = directory
        self.load = load
        self.process = None

    @classmethod
    def unavailable(cls):
        if not os.access(cls.binary, os.X_OK):
            return f'{cls.binary} is missing (tools/setup.sh installs it)'
        return None

    def cpu_pids(self):
        return [self.pid]

    def memory_pid(self):
        return self.pid

    def wakeup_pids(self):
        return self.pid, None

    def stop(self):
        stop_namespace(self.process)
        self.output.close()


class Xl2tpd(NamespacedLns):
    """Debian's xl2tpd as an LNS on loopback, configured in its own directory,
    in its own PID namespace as tests/integration/xl2tpd_peer.py runs it."""
    name = 'xl2tpd'
    binary = '/usr/sbin/xl2tpd'
    versions = (2,)
    load_prefix = []

    def start(self):
        self.dir.mkdir(parents=True)
        self.port = free_udp_port()
        conf = self.dir / 'xl2tpd.conf'
        conf.write_text(textwrap.dedent(f'''\
            [global]
            port = {self.port}
            listen-addr = 127.0.0.1
            auth file = {self.dir / 'l2tp-secrets'}

            [lns default]
            ip range = 10.200.0.1-10.200.255.254
            local ip = 10.199.0.1
            require authentication = no
            hostname = xl2tpd-lns
            '''))
        (self.dir / 'l2tp-secrets').write_text('')
        os.chmod(self.dir / 'l2tp-secrets', 0o600)
        self.output = open(self.dir / 'xl2tpd.log', 'wb')
        self.process = subprocess.Popen(
            ['unshare', '-p', '-f', '--mount-proc', '--kill-child=SIGTERM', self.binary, '-D',
             '-c', str(conf), '-p', str(self.dir / 'xl2tpd.pid'),
             '-C', str(self.dir / 'l2tp-control')],
            stdin=subprocess.DEVNULL, stdout=self.output, stderr=subprocess.STDOUT)
        wait_until(lambda: udp_port_bound(self.port) or self.process.poll() is not None, 10,
                   'xl2tpd to listen')
        if self.process.poll() is not None:
            raise RuntimeError(f'xl2tpd exited:\n{(self.dir / "xl2tpd.log").read_text()}')
        wait_until(lambda: children(self.process.pid), 5, 'xl2tpd under unshare')
        self.pid = children(self.process.pid)[0]



class L2tpns(NamespacedLns):
    """Debian's l2tpns (2.4.1) as an LNS. It listens on the fixed port 1701,
    reads its ip_pool and users from the fixed /etc/l2tpns, and needs a tun
    device for the PPP it terminates itself; so it runs in its own PID, mount
    and network namespace, with its temporary directory bind-mounted on
    /etc/l2tpns and only the namespace's loopback up, and the generator
    enters that network namespace (nsenter) to reach 127.0.0.1:1701 there."""
    name = 'l2tpns'
    binary = '/usr/sbin/l2tpns'
    versions = (2,)
    port = 1701

    @classmethod
    def unavailable(cls):
        if missing := super().unavailable():
            return missing
        if not os.path.isdir('/etc/l2tpns'):
            return '/etc/l2tpns is missing: its configuration is bind-mounted there'
        if not os.access('/dev/net/tun', os.R_OK | os.W_OK):
            return 'it needs /dev/net/tun, which this machine does not offer'
        return None

    def start(self):
        self.dir.mkdir(parents=True)
        self.log_path = self.dir / 'l2tpns.log'
        # No RADIUS: without servers l2tpns still sets up tunnels and calls;
        # only PPP authentication would fail, and the generator stops at ICCN.
        # Its cluster code wants an interface address (loopback's), and it
        # drops L2TP until it has elected itself master: after
        # cluster_hb_timeout (tenths of a second; 15 s by default) without
        # hearing another, which start() waits for.
        (self.dir / 'startup-config').write_text(textwrap.dedent(f'''\
            set debug 1
            set log_file "{self.log_path}"
            set pid_file "{self.dir / 'l2tpns.pid'}"
            set bind_address 127.0.0.1
            set cli_bind_address 127.0.0.1
            set cluster_interface "lo"
            set cluster_hb_timeout 10
            set send_garp no
            set primary_dns 0.0.0.0
            set secondary_dns 0.0.0.0
            '''))
        (self.dir / 'ip_pool').write_text('10.200.0.0/16\n')
        (self.dir / 'users').write_text('')
        self.output = open(self.dir / 'l2tpns.out', 'wb')
        inside = (f'ip link set lo up && mount --bind {self.dir} /etc/l2tpns && '
                  f'exec {self.binary} -c {self.dir / "startup-config"}')
        # Its own session: l2tpns signals its whole process group when it stops.
        self.process = subprocess.Popen(
            ['unshare', '--pid', '--fork', '--mount-proc', '--net', '--kill-child=SIGTERM',
             'sh', '-c', inside],
            stdin=subprocess.DEVNULL, stdout=self.output, stderr=subprocess.STDOUT,
            start_new_session=True)
        wait_until(lambda: children(self.process.pid) or self.process.poll() is not None, 5,
                   'l2tpns under unshare')
        self.pid = children(self.process.pid)[0] if children(self.process.pid) else 0
        wait_until(lambda: udp_port_bound(self.port, self.pid) or self.process.poll() is not None,
                   10, 'l2tpns to listen')
        log = lambda: self.log_path.read_text() if self.log_path.exists() else ''  # noqa: E731
        wait_until(lambda: 'declaring myself the master' in log() or
                   self.process.poll() is not None, 30, 'l2tpns to become master')
        if self.process.poll() is not None:
            raise RuntimeError(f'l2tpns exited:\n{(self.dir / "l2tpns.out").read_text()}{log()}')
        self.load_prefix = ['nsenter', f'--net=/proc/{self.pid}/ns/net']

