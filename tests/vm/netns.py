"""Hosts made of network namespaces, joined by veth pairs, for tests in the VM.

    network = Network('t1-')
    a, b = network.host('a'), network.host('b')
    link = network.link(a, b)       # 10.200.N.1/24 + fd00:200:N::1/64 on a, .2 / ::2 on b
    a.run('ping', '-c', '1', link.b4)

Every host has lo up and IPv6 duplicate address detection off, so its
addresses are usable the moment they are added. Network.teardown() stops the
processes a host started, kills whatever else still runs in its namespace,
and deletes the namespaces.
"""

import dataclasses
import os
import signal
import subprocess


def _check(result: subprocess.CompletedProcess, what: str):
    if result.returncode != 0:
        raise AssertionError(f'{what} exited with {result.returncode}:\n{result.stdout}'
                             f'{result.stderr}')
    return result


def sh(*argv, check=True, timeout=30.0) -> subprocess.CompletedProcess:
    """A command in the VM's own (root) namespace."""
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    return _check(result, ' '.join(argv)) if check else result


class Host:
    """One network namespace."""

    def __init__(self, netns: str):
        self.netns = netns
        self.processes: list[subprocess.Popen] = []

    def __repr__(self):
        return f'Host({self.netns})'

    def command(self, *argv) -> list[str]:
        return ['ip', 'netns', 'exec', self.netns, *argv]

    def run(self, *argv, check=True, timeout=30.0) -> subprocess.CompletedProcess:
        """argv in this namespace; fails the test on a non-zero exit unless check=False."""
        result = subprocess.run(self.command(*argv), capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        return _check(result, f'[{self.netns}] {" ".join(argv)}') if check else result

    def popen(self, *argv, **kwargs) -> subprocess.Popen:
        """A long-running process in this namespace, stopped at teardown."""
        kwargs.setdefault('stdin', subprocess.DEVNULL)
        process = subprocess.Popen(self.command(*argv), **kwargs)
        self.processes.append(process)
        return process

    def ip(self, *args, check=True) -> subprocess.CompletedProcess:
        return sh('ip', '-n', self.netns, *args, check=check)

    def sysctl(self, name, value, *more):
        """sysctl(name, value[, name, value ...]): one process for them all."""
        pairs = [name, value, *more]
        self.run('sysctl', '-q', '-w',
                 *(f'{pairs[i]}={pairs[i + 1]}' for i in range(0, len(pairs), 2)))

    def ip_batch(self, *commands: str):
        """Several ip commands in one process (under TCG every process start is dear)."""
        result = subprocess.run(['ip', '-n', self.netns, '-batch', '-'], input='\n'.join(commands),
                                capture_output=True, text=True, timeout=30)
        return _check(result, f'[{self.netns}] ip -batch: {"; ".join(commands)}')

    def ping(self, address, count=1, wait=2, check=True) -> subprocess.CompletedProcess:
        return self.run('ping', '-n', '-c', str(count), '-W', str(wait), address, check=check,
                        timeout=count * wait + 10)

    def wait_ping(self, address, timeout=10.0):
        """The first answered ping within `timeout` s (a link may take a moment).
        One ping process probing every 0.2 s: under TCG every process start
        is dear, and a lost probe costs 0.2 s, not a whole -W wait."""
        result = self.run('ping', '-n', '-c', '1', '-i', '0.2', '-w', f'{timeout:g}', address,
                          check=False, timeout=timeout + 10)
        if result.returncode != 0:
            raise AssertionError(f'[{self.netns}] no answer from {address} within '
                                 f'{timeout:g} s:\n{result.stdout}{result.stderr}')
        return result

    def links(self) -> str:
        return self.ip('-br', 'link').stdout

    def stop_processes(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # anything else this namespace still runs (a pppd a daemon forked, say)
        pids = sh('ip', 'netns', 'pids', self.netns, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass


class RootNamespace(Host):
    """The VM's own network namespace as a Host, for what runs beside
    NetworkManager there (a charon, say): its commands need no ip netns exec."""

    def __init__(self):
        super().__init__('the root namespace')

    def command(self, *argv) -> list[str]:
        return list(argv)

    def ip(self, *args, check=True) -> subprocess.CompletedProcess:
        return sh('ip', *args, check=check)


@dataclasses.dataclass
class Link:
    """A veth pair between hosts a and b; addresses without their prefix length."""
    a: Host
    b: Host
    a_if: str
    b_if: str
    a4: str
    b4: str
    a6: str
    b6: str
    prefix4: int = 24
    prefix6: int = 64


class Network:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.hosts: list[Host] = []
        self.links: list[Link] = []

    def host(self, name: str) -> Host:
        host = Host(f'{self.prefix}{name}')
        sh('ip', 'netns', 'add', host.netns)
        self.hosts.append(host)
        # before any interface exists, so that every one inherits it
        host.sysctl('net.ipv6.conf.all.accept_dad', 0, 'net.ipv6.conf.default.accept_dad', 0)
        host.ip('link', 'set', 'lo', 'up')
        return host

    def link(self, a: Host, b: Host, a_if=None, b_if=None, mtu=None) -> Link:
        n = len(self.links) + 1
        a_if = a_if or f'veth{n}'
        b_if = b_if or f'veth{n}'
        sh('ip', 'link', 'add', a_if, 'netns', a.netns, 'type', 'veth',
           'peer', 'name', b_if, 'netns', b.netns)
        link = Link(a, b, a_if, b_if, f'10.200.{n}.1', f'10.200.{n}.2',
                    f'fd00:200:{n}::1', f'fd00:200:{n}::2')
        for host, name, v4, v6 in ((a, a_if, link.a4, link.a6), (b, b_if, link.b4, link.b6)):
            host.ip_batch(*([f'link set {name} mtu {mtu}'] if mtu else []),
                          f'addr add {v4}/{link.prefix4} dev {name}',
                          f'addr add {v6}/{link.prefix6} dev {name} nodad',
                          f'link set {name} up')
        self.links.append(link)
        return link

    def teardown(self):
        for host in self.hosts:
            host.stop_processes()
        for host in self.hosts:
            sh('ip', 'netns', 'del', host.netns, check=False)
        self.hosts.clear()
        self.links.clear()
