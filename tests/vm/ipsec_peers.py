"""strongSwan as the IPsec peer of L2TP/IPsec tests in the VM.

    charon = Charon(host, tmp_path / 'charon-lns').start()
    charon.load(l2tp_connection(local=link.b4, psk='secret'))   # swanctl.conf text
    charon.initiate('l2tp')                                     # as an initiator
    esp_transport_sas(host)                                     # ip -s xfrm state, parsed

Which charon: /usr/lib/ipsec/charon (strongswan-charon), a plain daemon that
stays in the foreground and logs where strongswan.conf says. charon-systemd
(the charon l2tpbusd talks to on a real machine) logs to the journal, which
the VM has only under --systemd, and expects to be a unit; both are the same
libcharon with the same VICI plugin (strongswan-swanctl ships it, and
swanctl), so what a test proves with one holds for the other.

How several charons share one machine: each runs in its own network
namespace (`ip netns exec`), so ports 500 and 4500, its SAs and policies are
its own. Everything else it reads or writes is named by the strongswan.conf
that STRONGSWAN_CONF points at (the directory given to Charon): its VICI
socket (`Charon.socket`: what `l2tpbusd --vici PATH` is given), its log, and
the plugins it loads (PLUGINS: no stroke, so no /etc/ipsec.conf or
/etc/ipsec.secrets; no updown, resolve or attr, so no scripts, resolv.conf or
routes; install_routes = no). The one thing strongswan.conf cannot move is
the pid file, /var/run/charon.pid, whose presence stops a second charon: each
charon gets a private mount namespace in which its own directory is bound
over /run, so its pid file is DIRECTORY/charon.pid.

Where its logs go: DIRECTORY/charon.log (strongswan.conf's filelog: IKE and
configuration at level 2, which shows proposals and why they did not match)
and DIRECTORY/charon.out (its stdout and stderr); both are in a failed
test's report (their tails), and DIRECTORY is the test's tmp_path, kept by
pytest for a while. It must be on a local filesystem: a unix socket cannot
be made on the VM's 9p shares (so no --basetemp on a run-in-vm --rw folder).

Under TCG: charon is up in well under a second; IKEv1 main and quick mode
with PSKs take 2 to 5 s. A wrong PSK in IKEv1 is never answered in a way
the initiator can read, so it fails only when retransmissions run out,
about 25 s with retransmit_timeout = 2 and retransmit_tries = 3 (Charon's
`settings` can lower them); a proposal mismatch fails at once.
"""

import dataclasses
import os
import pathlib
import re
import signal
import socket
import subprocess
import textwrap

from netns import Host
from vmtest import wait_until, xl2tpd_lns_config

CHARON = '/usr/lib/ipsec/charon'
SWANCTL = '/usr/sbin/swanctl'
# What IKEv1 and IKEv2 with PSKs or certificates and the default proposals
# need (gmp: the MODP groups; kdf: IKEv2's prf+; openssl: 3DES and the ECP
# groups of the IKEv1 proposals l2tpbusd makes by default, as Windows and
# Apple clients do), nothing more: every plugin costs start-up time under TCG.
PLUGINS = ('random', 'nonce', 'aes', 'sha1', 'sha2', 'hmac', 'kdf', 'gmp', 'openssl', 'pem',
           'pkcs1', 'pkcs8', 'x509', 'pubkey', 'kernel-netlink', 'socket-default', 'vici')
# openssl: swanctl parses the keys in private/ itself, and EC keys need it
SWANCTL_PLUGINS = ('pem', 'pkcs1', 'pkcs8', 'x509', 'pubkey', 'openssl')
# sun_path's size, with its terminating NUL
UNIX_PATH_MAX = 108
PSK = 'l2tp over ipsec, a test key'


class Charon:
    """One charon in `host`'s network namespace, configured in `directory`.

    `settings` is more strongswan.conf text inside the charon section (say
    'retransmit_tries = 2'). Attributes: socket (the VICI socket's path),
    uri ('unix://' + socket), log and out (its log files), conf (its
    strongswan.conf), process (once started)."""

    def __init__(self, host: Host, directory: pathlib.Path, settings: str = '',
                 plugins=PLUGINS):
        self.host = host
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket = self.dir / 'charon.vici'
        if len(str(self.socket)) >= UNIX_PATH_MAX:
            raise ValueError(f'{self.socket}: too long for a unix socket')
        self.uri = f'unix://{self.socket}'
        self.log = self.dir / 'charon.log'
        self.out = self.dir / 'charon.out'
        self.pidfile = self.dir / 'charon.pid'
        self.conf = self.dir / 'strongswan.conf'
        self.conf.write_text(textwrap.dedent('''\
            charon {{
              load = {plugins}
              install_routes = no
              install_virtual_ip = no
              # an unanswered IKE_SA (a wrong IKEv1 PSK) fails after about
              # 25 s, not charon's default of minutes
              retransmit_timeout = 2
              retransmit_tries = 3
            {settings}
              plugins {{
                vici {{
                  socket = {uri}
                }}
              }}
              filelog {{
                main {{
                  path = {log}
                  time_format = %T
                  ike_name = yes
                  append = no
                  flush_line = yes
                  default = 1
                  ike = 2
                  cfg = 2
                }}
              }}
            }}
            swanctl {{
              load = {swanctl_plugins}
            }}
            ''').format(plugins=' '.join(plugins), uri=self.uri, log=self.log,
                        settings=textwrap.indent(textwrap.dedent(settings), '  '),
                        swanctl_plugins=' '.join(SWANCTL_PLUGINS)))
        self.env = dict(os.environ, STRONGSWAN_CONF=str(self.conf))
        self.process = None

    def __repr__(self):
        return f'Charon({self.host.netns}, {self.socket})'

    def start(self, timeout=30.0) -> 'Charon':
        """Starts charon and waits until its VICI socket answers."""
        assert os.access(CHARON, os.X_OK), \
            f'{CHARON} is missing: tools/setup.sh installs strongswan-charon'
        # ip netns exec, unshare and sh each exec the next: the pid is charon's
        with open(self.out, 'wb') as out:
            self.process = self.host.popen(
                'unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                'mount --bind "$1" /run && exec "$2"', 'charon-in-netns', str(self.dir), CHARON,
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        # Ready: the socket answers, and the pid file (written after the
        # plugins are loaded) is its own, where the bound /run put it.
        # charon runs on without VICI when it cannot make the socket (on a
        # 9p share, say: tmp_path must be on a local filesystem).
        wait_until(lambda: ((self._answers() and self._pid_in_file() == self.process.pid)
                            or self.process.poll() is not None
                            or 'creating vici socket failed' in self._log_text()), timeout,
                   f'charon in {self.host.netns} to open {self.socket} and write {self.pidfile}')
        assert self.process.poll() is None, \
            f'charon in {self.host.netns} exited with {self.process.returncode}:\n{self.tail()}'
        assert self._answers(), f'charon has no VICI socket:\n{self.tail()}'
        return self

    def _log_text(self) -> str:
        return self.log.read_text(errors='replace') if self.log.exists() else ''

    def _pid_in_file(self):
        try:
            return int(self.pidfile.read_text())
        except (OSError, ValueError):
            return None

    def _answers(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.socket))
                return True
            except OSError:
                return False

    def stop(self, timeout=10.0) -> int | None:
        """SIGTERM, then SIGKILL; returns the exit status (None: never started)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def tail(self, lines=60) -> str:
        text = ''
        for path in (self.out, self.log):
            if path.exists():
                text += f'--- {path}\n' + '\n'.join(
                    path.read_text(errors='replace').splitlines()[-lines:]) + '\n'
        return text

    def swanctl(self, *args, check=True, timeout=60.0) -> subprocess.CompletedProcess:
        """swanctl on this charon's socket (from the root namespace: VICI is a
        unix socket, reachable from anywhere on the filesystem)."""
        result = subprocess.run([SWANCTL, *args, '--uri', self.uri], env=self.env,
                                capture_output=True, text=True, timeout=timeout,
                                stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f'swanctl {" ".join(args)} exited with {result.returncode}:\n'
                                 f'{result.stdout}{result.stderr}\n{self.tail()}')
        return result

    def load(self, swanctl_conf: str, name='swanctl.conf',
             files: dict | None = None) -> subprocess.CompletedProcess:
        """Writes a swanctl.conf (connections, secrets, pools) into a directory
        of its own and loads all of it; its x509, private ... folders are
        beside it, where --load-all looks for certificates and keys.
        `files` are copied into them first: {'x509/gw.pem': path, ...}."""
        folder = self.dir / 'swanctl'
        folder.mkdir(exist_ok=True)
        for relative, source in (files or {}).items():
            target = folder / relative
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(pathlib.Path(source).read_bytes())
        path = folder / name
        path.write_text(textwrap.dedent(swanctl_conf))
        return self.swanctl('--load-all', '--noprompt', '--file', str(path))

    def initiate(self, child='l2tp', ike=None, timeout=60, check=True):
        """Brings `child` up (and its IKE_SA); swanctl waits for the outcome."""
        args = ['--initiate', '--child', child, '--timeout', str(timeout)]
        if ike:
            args += ['--ike', ike]
        return self.swanctl(*args, check=check, timeout=timeout + 10)

    def list_sas(self) -> str:
        return self.swanctl('--list-sas').stdout


def l2tp_connection(*, local: str, psk: str | None = None, remote='%any', name='l2tp',
                    initiator=False, version=1, proposals='default', esp_proposals='default',
                    encap=False, local_id=None, remote_id=None, cert=None, cacert=None) -> str:
    """swanctl.conf text: L2TP's transport-mode ESP between `local` and
    `remote`, authenticated with `psk`, or with certificates when `cert` is
    given: our certificate's file name in x509/ (its key in private/), and
    `cacert` the CA's in x509ca/ that must have signed the peer's. The
    LNS's side covers UDP 1701 locally and any UDP port of the peer (a LAC
    may send from an ephemeral port); the initiator's, the mirror image.
    `encap` forces UDP encapsulation (port 4500) without a NAT."""
    assert (psk is None) != (cert is None), 'a PSK or a certificate, not both'
    local_ts, remote_ts = 'dynamic[udp/1701]', 'dynamic[udp]'
    if initiator:
        local_ts, remote_ts = remote_ts, local_ts
    auth = 'psk' if cert is None else 'pubkey'
    ids = f'      id = {local_id}\n' if local_id else ''
    remote_ids = f'      id = {remote_id}\n' if remote_id else ''
    if cert is not None:
        ids += f'      certs = {cert}\n'
    if cacert is not None:
        remote_ids += f'      cacerts = {cacert}\n'
    secrets = ('' if psk is None else
               f'secrets {{\n  ike-{name} {{\n    secret = "{psk}"\n  }}\n}}\n')
    return f'''\
connections {{
  {name} {{
    version = {version}
    local_addrs = {local}
    remote_addrs = {remote}
    proposals = {proposals}
    encap = {'yes' if encap else 'no'}
    local {{
      auth = {auth}
{ids}    }}
    remote {{
      auth = {auth}
{remote_ids}    }}
    children {{
      {name} {{
        mode = transport
        local_ts = {local_ts}
        remote_ts = {remote_ts}
        esp_proposals = {esp_proposals}
      }}
    }}
  }}
}}
{secrets}'''


# ---------------------------------------------------------------------------
# certificates: a throw-away CA per test, made with the openssl command


# EC P-256: quick to make, and to sign and verify with under TCG
EC_KEY = ('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc', '-days', '1')


def _openssl(*args) -> bytes:
    result = subprocess.run(['openssl', *map(str, args)], capture_output=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f'openssl {" ".join(map(str, args))} exited with '
                             f'{result.returncode}:\n{result.stderr.decode(errors="replace")}')
    return result.stdout


@dataclasses.dataclass
class Credentials:
    """A certificate and its unencrypted private key: PEM files (the key
    PKCS#8)."""
    cert: pathlib.Path
    key: pathlib.Path

    def key_der(self) -> bytes:
        """The key as DER PKCS#8, as the NetworkManager plugin sends it."""
        return _openssl('pkcs8', '-topk8', '-nocrypt', '-outform', 'DER', '-in', self.key)


class Ca:
    """A certificate authority of one test, in `directory` (its own: issue()
    names files after the certificate's name). Valid a day, never
    committed. `cert` is its certificate (PEM)."""

    def __init__(self, directory: pathlib.Path, name='l2tpbus test CA'):
        self.dir = pathlib.Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert, self.key = self.dir / 'ca.pem', self.dir / 'ca.key'
        _openssl('req', '-x509', *EC_KEY, '-keyout', self.key, '-out', self.cert,
                 '-subj', f'/CN={name}', '-addext', 'basicConstraints=critical,CA:TRUE',
                 '-addext', 'keyUsage=critical,keyCertSign,cRLSign')

    @staticmethod
    def der(cert: pathlib.Path) -> bytes:
        """A PEM certificate file's DER encoding."""
        return _openssl('x509', '-in', cert, '-outform', 'DER')

    def issue(self, name: str, address: str | None = None) -> Credentials:
        """A certificate for CN=name (and `address` as its subjectAltName)."""
        issued = Credentials(self.dir / f'{name}.pem', self.dir / f'{name}.key')
        extensions = ['-addext', 'basicConstraints=CA:FALSE']
        if address:
            extensions += ['-addext', f'subjectAltName=IP:{address}']
        _openssl('req', '-x509', *EC_KEY, '-keyout', issued.key, '-out', issued.cert,
                 '-subj', f'/CN={name}', '-CA', self.cert, '-CAkey', self.key, *extensions)
        return issued


# ---------------------------------------------------------------------------
# VICI itself, for what swanctl does not show: get-keys


def vici_command(socket_path, command: str) -> dict:
    """Sends `command` without arguments to a charon's VICI socket and
    returns its answer: sections as dicts, lists as lists, values as bytes."""
    name = command.encode()
    request = bytes([0, len(name)]) + name  # CMD_REQUEST, its name, no message
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as vici:
        vici.settimeout(10)
        vici.connect(str(socket_path))
        vici.sendall(len(request).to_bytes(4, 'big') + request)
        size = int.from_bytes(_receive(vici, 4), 'big')
        packet = _receive(vici, size)
    assert packet[0] == 1, f'{command}: VICI answered with packet type {packet[0]}'  # CMD_RESPONSE
    return _vici_message(packet[1:])


def _receive(vici, size: int) -> bytes:
    data = b''
    while len(data) < size:
        chunk = vici.recv(size - len(data))
        assert chunk, 'charon closed the VICI socket mid-answer'
        data += chunk
    return data


def _vici_message(data: bytes) -> dict:
    stack, position, current_list = [{}], 0, None

    def read(length_bytes):
        nonlocal position
        length = int.from_bytes(data[position:position + length_bytes], 'big')
        position += length_bytes + length
        return data[position - length:position]

    while position < len(data):
        element = data[position]
        position += 1
        if element == 1:    # SECTION_START
            section = {}
            stack[-1][read(1).decode()] = section
            stack.append(section)
        elif element == 2:  # SECTION_END
            stack.pop()
        elif element == 3:  # KEY_VALUE
            key = read(1).decode()
            stack[-1][key] = read(2)
        elif element == 4:  # LIST_START
            current_list = stack[-1][read(1).decode()] = []
        elif element == 5:  # LIST_ITEM
            current_list.append(read(2))
        elif element == 6:  # LIST_END
            current_list = None
        else:
            raise AssertionError(f'unknown VICI element {element} in {data!r}')
    return stack[0]


# ---------------------------------------------------------------------------
# the kernel's view: ip -s xfrm state


@dataclasses.dataclass
class XfrmState:
    src: str
    dst: str
    proto: str          # esp, ah, comp
    spi: int
    mode: str           # transport, tunnel
    reqid: int
    algorithms: dict    # {'enc': 'cbc(aes)', 'auth-trunc': 'hmac(sha256)'} or {'aead': ...}
    encap: tuple | None  # (type, sport, dport): ('espinudp', 4500, 4500) for NAT-T
    selector: str       # 'src 10.0.0.1/32 dst 10.0.0.2/32' (transport mode: the addresses)
    bytes: int          # lifetime current: what crossed the SA
    packets: int


def xfrm_states(host: Host) -> list[XfrmState]:
    return parse_xfrm_states(host.ip('-s', 'xfrm', 'state').stdout)


def esp_transport_sas(host: Host) -> list[XfrmState]:
    return [s for s in xfrm_states(host) if s.proto == 'esp' and s.mode == 'transport']


def _blocks(text: str):
    """The entries of `ip xfrm state` or `ip xfrm policy`: each starts
    unindented (iproute2 prints no JSON for xfrm)."""
    blocks = []
    for line in text.splitlines():
        if line and not line[0].isspace():
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line.strip())
    return blocks


def parse_xfrm_states(text: str) -> list[XfrmState]:
    return [_state(block) for block in _blocks(text) if block[0].startswith('src ')]


@dataclasses.dataclass
class XfrmPolicy:
    selector: str       # 'src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dport 1701'
    direction: str      # in, out, fwd
    templates: list     # [('esp', 'transport'), ...]: what the traffic must go through


def xfrm_policies(host: Host) -> list[XfrmPolicy]:
    """The IPsec policies in host, without charon's per-socket bypasses."""
    policies = []
    for block in _blocks(host.ip('xfrm', 'policy').stdout):
        words = block[1].split() if len(block) > 1 else []
        if not block[0].startswith('src ') or words[:1] != ['dir']:
            continue
        templates = []
        for line in block[2:]:
            fields = line.split()
            if 'proto' in fields and 'mode' in fields:
                templates.append((fields[fields.index('proto') + 1],
                                  fields[fields.index('mode') + 1]))
        policies.append(XfrmPolicy(block[0].strip(), words[1], templates))
    return policies


def _state(lines) -> XfrmState:
    head = lines[0].split()
    fields = {'src': head[1], 'dst': head[3], 'algorithms': {}, 'encap': None,
              'selector': '', 'bytes': 0, 'packets': 0}
    current_lifetime = False
    for line in lines[1:]:
        words = line.split()
        if not words:
            continue
        if words[0] == 'proto':
            fields['proto'] = words[1]
            fields['spi'] = int(words[3].split('(')[0], 16)
            fields['reqid'] = int(words[5].split('(')[0])
            fields['mode'] = words[7]
        elif words[0] in ('enc', 'auth', 'auth-trunc', 'aead', 'comp'):
            fields['algorithms'][words[0]] = words[1]
        elif words[0] == 'encap':
            fields['encap'] = (words[2], int(words[4]), int(words[6]))
        elif words[0] == 'sel':
            fields['selector'] = ' '.join(words[1:])
        elif line.startswith('lifetime current:'):
            current_lifetime = True
        elif current_lifetime:
            match = re.match(r'(\d+)\(bytes\), (\d+)\(packets\)', line)
            if match:
                fields['bytes'], fields['packets'] = int(match[1]), int(match[2])
            current_lifetime = False
    return XfrmState(**fields)


# ---------------------------------------------------------------------------
# the classic L2TP/IPsec server: xl2tpd as LNS behind strongSwan


class IpsecLns:
    """xl2tpd (kernel mode, pppd) serving L2TP on `address`:1701 in `host`,
    behind a charon answering IKE for `address` with `psk`, or with the
    certificate and key of `credentials` (a Credentials) trusting clients
    whose certificates `ca` (its certificate's path) signed: IKEv1 (or
    `version` 2), transport mode, UDP 1701 here to any UDP port there.
    `proposals`/`esp_proposals` are swanctl.conf's (a test forces a
    mismatch with them); `encap` forces UDP encapsulation. PPP: this side is
    `local_ip`, the peer gets an address from `pool`, no authentication
    (two LNSes at once need addresses of their own).

    Started by the ipsec_lns fixture (conftest.py), which also stops it."""

    LOCAL_IP = '10.79.0.1'
    POOL = ('10.79.0.10', '10.79.0.19')

    def __init__(self, host: Host, address: str, charon: Charon, xl2tpd, *,
                 psk: str | None, version=1, proposals='default', esp_proposals='default',
                 encap=False, local_ip=LOCAL_IP, pool=POOL, credentials: Credentials = None,
                 ca: pathlib.Path = None):
        self.host = host
        self.address = address
        self.psk = psk
        self.local_ip, self.pool = local_ip, pool
        self.charon = charon
        files, certs = {}, {}
        if credentials is not None:
            files = {'x509/lns.pem': credentials.cert, 'private/lns.key': credentials.key,
                     'x509ca/ca.pem': ca}
            certs = {'cert': 'lns.pem', 'cacert': 'ca.pem'}
        charon.load(l2tp_connection(local=address, psk=psk, version=version, proposals=proposals,
                                    esp_proposals=esp_proposals, encap=encap, **certs),
                    files=files)
        self.xl2tpd = xl2tpd(host, *xl2tpd_lns_config(address, pool, local_ip,
                                                      'xl2tpd-ipsec-lns'))

    @property
    def vici(self) -> pathlib.Path:
        return self.charon.socket
