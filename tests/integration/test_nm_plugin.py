"""nm-l2tpbus-service driven exactly as NetworkManager drives a VPN service:
org.freedesktop.NetworkManager.VPN.Plugin's Connect, ConnectInteractive,
NeedSecrets, NewSecrets and Disconnect, and its signals StateChanged, Config,
Ip4Config, Failure and SecretsRequired, on a private bus. The service finds
l2tpbusd on the bus it was started on (DBUS_SYSTEM_BUS_ADDRESS): a real
l2tpbusd (null data plane) as LAC, toward a second l2tpbusd listening as LNS
over loopback.

With the null data plane a PPP session becomes established but no pppd runs:
no interface, no IP configuration. The service then sends Config (gateway; no
tundev, since the daemon names no interface) and waits for the Session's
Ip4Config; it never invents addresses, so after --ip-timeout it fails the
connection (CONNECT_FAILED) and closes its session and tunnel.
"""

import os
import socket
import subprocess
import sys
import uuid

import pytest

from built_programs import built_program
from conftest import (
    SANITIZER_MARKERS, SESSION, TUNNEL, assert_removed_cleanly, free_port, pump, terminate,
    wait_until)

from gi.repository import Gio, GLib  # noqa: E402  (conftest required the versions)

SERVICE_TYPE = 'org.freedesktop.NetworkManager.l2tpbus'
PLUGIN_PATH = '/org/freedesktop/NetworkManager/VPN/Plugin'
PLUGIN_IFACE = 'org.freedesktop.NetworkManager.VPN.Plugin'
BAD_ARGUMENTS = 'org.freedesktop.NetworkManager.VPN.Error.BadArguments'

# NMVpnServiceState and NMVpnPluginFailure
STARTING, STARTED, STOPPED = 3, 4, 6
LOGIN_FAILED, CONNECT_FAILED, BAD_IP_CONFIG = 0, 1, 2

IP_TIMEOUT = 3  # seconds the service waits for IPCP in these tests


def service_binary():
    return built_program('NM_L2TPBUS_SERVICE', 'build/*/plugin/nm-l2tpbus-service')


def ipv4_u32(address):
    """An IPv4 address as NetworkManager's uint32 (network byte order in memory)."""
    return int.from_bytes(socket.inet_aton(address), sys.byteorder)


class VpnService:
    """One nm-l2tpbus-service process and the signals it sent, as NetworkManager sees them."""

    def __init__(self, stack, binary, index, ip_timeout=IP_TIMEOUT):
        self.stack = stack
        self.bus_name = f'{SERVICE_TYPE}.Connection_{index}'
        self.log = stack.dir / f'nm-l2tpbus-service-{index}.log'
        self.signals = []
        connection = stack.root.connection
        self._subscription = connection.signal_subscribe(
            self.bus_name, PLUGIN_IFACE, None, PLUGIN_PATH, None, Gio.DBusSignalFlags.NONE,
            self._on_signal)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=stack.bus.address, LANG='C.UTF-8',
                   G_MESSAGES_DEBUG='all')
        with open(self.log, 'wb') as out:
            self.process = subprocess.Popen(
                [binary, '--bus-name', self.bus_name, '--ip-timeout', str(ip_timeout)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f'nm-l2tpbus-service exited with {self.process.returncode}: '
                                     f'{self.log.read_text(errors="replace")}')
            return stack.root.name_has_owner(self.bus_name)

        wait_until(ready, 10, f'nm-l2tpbus-service to own {self.bus_name}')

    def _on_signal(self, _conn, _sender, _path, _iface, member, parameters, *_):
        self.signals.append((member, parameters.unpack()))

    def call(self, method, args=None, reply_type=None):
        return self.stack.root.call_py(PLUGIN_PATH, PLUGIN_IFACE, method, args, reply_type,
                                       dest=self.bus_name)

    def of(self, member):
        pump()
        return [args for name, args in self.signals if name == member]

    def wait_signal(self, member, timeout=10.0):
        return wait_until(lambda: self.of(member), timeout, f'{member} from {self.bus_name}')[0]

    def states(self):
        return [args[0] for args in self.of('StateChanged')]

    def wait_state(self, state, timeout=10.0):
        wait_until(lambda: state in self.states(), timeout,
                   f'StateChanged({state}) from {self.bus_name}; got {self.states()}')

    def log_text(self):
        return self.log.read_text(errors='replace')

    def stop(self):
        self.stack.root.connection.signal_unsubscribe(self._subscription)
        problems = [f'nm-l2tpbus-service log holds a sanitizer report ({marker!r})'
                    for marker in SANITIZER_MARKERS if marker in self.log_text()]
        if self.process.poll() is None:
            stuck = terminate(self.process, 'nm-l2tpbus-service')
            if stuck:
                return problems + stuck
            if self.process.returncode != 0:
                problems.append(f'nm-l2tpbus-service exited with {self.process.returncode} '
                                'on SIGTERM')
        elif self.process.returncode != 0:
            # libnm ends the program itself once a connection stopped
            problems.append(f'nm-l2tpbus-service exited with {self.process.returncode}')
        return problems


def settings(data, secrets=None, ipv4=None, ipv6_method='ignore'):
    """A connection as NetworkManager hands it to the plugin (a{sa{sv}}, as a dict)."""
    return {
        'connection': {'id': GLib.Variant('s', 'l2tpbus test'),
                       'uuid': GLib.Variant('s', str(uuid.uuid4())),
                       'type': GLib.Variant('s', 'vpn')},
        'vpn': {'service-type': GLib.Variant('s', SERVICE_TYPE),
                'data': GLib.Variant('a{ss}', data),
                'secrets': GLib.Variant('a{ss}', secrets or {})},
        'ipv4': {'method': GLib.Variant('s', 'auto'),
                 **{k: GLib.Variant('b', v) for k, v in (ipv4 or {}).items()}},
        'ipv6': {'method': GLib.Variant('s', ipv6_method)},
    }


def profile(*args, **kwargs):
    """The argument of Connect, NeedSecrets and NewSecrets."""
    return GLib.Variant('(a{sa{sv}})', (settings(*args, **kwargs),))


@pytest.fixture
def world(request, make_stack):
    """An LNS listening on 127.0.0.1:<port>, a LAC stack, and a way to start services there."""
    lac, lns = make_stack('lac'), make_stack('lns')
    port = free_port()
    listener = lns.root.listen({'Local': f'127.0.0.1:{port}', 'HostName': 'lns-host'})
    binary = service_binary()
    services = []

    def start(ip_timeout=IP_TIMEOUT):
        service = VpnService(lac, binary, len(services) + 1, ip_timeout)
        services.append(service)
        request.node._l2tpbus_logs = (getattr(request.node, '_l2tpbus_logs', [])
                                      + [(f'nm-l2tpbus-service {len(services)} log',
                                          service.log)])
        return service

    class World:
        pass

    result = World()
    result.lac, result.lns, result.port, result.listener = lac, lns, port, listener
    result.gateway = f'127.0.0.1:{port}'
    result.start = start
    yield result
    problems = []
    for service in services:
        problems += service.stop()
    if problems:
        pytest.fail('\n'.join(problems))


def good(world, **extra):
    return {'gateway': world.gateway, 'user': 'alice', **extra}


SECRETS = {'password': 's3cret'}


def established_connection(world, service, data=None, **profile_args):
    """Connect; returns (Config, LAC tunnel, LAC session, LNS tunnel, LNS session)."""
    service.call('Connect', profile({**good(world), **(data or {})}, SECRETS, **profile_args))
    config = service.wait_signal('Config')[0]
    tunnel = wait_until(lambda: world.lac.tunnels(), 10, 'the LAC tunnel')[0]
    session = wait_until(lambda: world.lac.sessions(), 10, 'the LAC session')[0]
    world.lac.wait_state(session, SESSION, 'established')
    remote_tunnel = wait_until(lambda: world.lns.tunnels(), 10, 'the LNS tunnel')[0]
    remote_session = wait_until(lambda: world.lns.sessions(), 10, 'the LNS session')[0]
    return config, tunnel, session, remote_tunnel, remote_session


def assert_all_gone(world, tunnel, session, remote_tunnel, remote_session):
    assert_removed_cleanly(world.lac.signals, session, SESSION)
    assert_removed_cleanly(world.lac.signals, tunnel, TUNNEL)
    assert_removed_cleanly(world.lns.signals, remote_session, SESSION)
    assert_removed_cleanly(world.lns.signals, remote_tunnel, TUNNEL)
    assert world.lac.tunnels() == [] and world.lac.sessions() == []
    assert world.lns.tunnels() == [] and world.lns.sessions() == []


# --------------------------------------------------------------------------
# secrets


def test_need_secrets_asks_for_the_vpn_password(world):
    service = world.start()
    without = service.call('NeedSecrets', profile(good(world)), '(s)')[0]
    assert without == 'vpn'  # the setting whose secret "password" is missing
    assert service.call('NeedSecrets', profile(good(world), SECRETS), '(s)')[0] == ''
    not_required = good(world, **{'password-flags': '4'})
    assert service.call('NeedSecrets', profile(not_required), '(s)')[0] == ''


def test_connect_interactive_without_password_asks_and_continues(world):
    service = world.start()
    service.call('ConnectInteractive',
                 GLib.Variant('(a{sa{sv}}a{sv})', (settings(good(world)), {})))
    message, hints = service.wait_signal('SecretsRequired')
    assert hints == ['password'] and message
    assert world.lac.tunnels() == []
    service.call('NewSecrets', profile(good(world), SECRETS))
    config = service.wait_signal('Config')[0]
    assert config['gateway'] == ipv4_u32('127.0.0.1')


def test_connect_without_password_names_it(world):
    service = world.start()
    with pytest.raises(Exception) as error:
        service.call('Connect', profile(good(world)))
    assert 'password' in str(error.value)
    assert world.lac.tunnels() == []


# --------------------------------------------------------------------------
# refused profiles: nothing reaches the daemon


@pytest.mark.parametrize('key,data', [
    ('colour', {'colour': 'blue'}),
    ('nobsdcomp', {'nobsdcomp': 'yes'}),
    ('refuse-pap', {'refuse-pap': 'true'}),
    ('mtu', {'mtu': '12'}),
    ('lcp-echo-interval', {'lcp-echo-interval': 'often'}),
    ('user', {'user': 'alice\nplugin /tmp/evil.so'}),
    ('gateway', {'gateway': 'vpn.example.com\nrefuse-pap=yes'}),
], ids=['unknown', 'nm-l2tp-pppd-knob', 'boolean', 'mtu', 'number', 'user-newline',
        'gateway-newline'])
def test_bad_keys_fail_connect_naming_the_key(world, key, data):
    service = world.start()
    with pytest.raises(Exception) as error:
        service.call('Connect', profile({**good(world), **data}, SECRETS))
    assert BAD_ARGUMENTS in str(error.value), error.value
    assert f'{key}: ' in str(error.value), error.value
    service.wait_state(STOPPED)
    assert world.lac.tunnels() == []


IPSEC = {'ipsec-enabled': 'yes'}
PSK = 'battery staple'


@pytest.mark.parametrize('key,data', [
    ('ipsec-ipcomp', {'ipsec-ipcomp': 'yes'}),
    ('ipsec-ike', {'ipsec-ike': 'aes256-sha1;modp2048'}),
    ('ipsec-esp', {'ipsec-pfs': 'yes', 'ipsec-esp': 'aes256-sha1'}),
    ('ipsec-ikelifetime', {'ipsec-ikelifetime': '8d'}),
    ('ipsec-group-name', {'ipsec-group-name': 'Group', 'ipsec-ikev2': 'yes'}),
    ('ipsec-gateway-id', {'ipsec-remote-id': 'gw', 'ipsec-gateway-id': 'other'}),
    ('machine-auth-type', {'machine-auth-type': 'certificate'}),
    ('machine-cert', {'machine-auth-type': 'tls', 'machine-cert': '/nonexistent/client.pem',
                      'machine-key': '/nonexistent/client.key'}),
], ids=['ipcomp', 'ike', 'esp-without-pfs-group', 'lifetime', 'group-name-ikev2', 'remote-ids',
        'auth-type', 'cert-unreadable'])
def test_bad_ipsec_keys_fail_connect_naming_the_key(world, key, data):
    service = world.start()
    with pytest.raises(Exception) as error:
        service.call('Connect', profile({**good(world), **IPSEC, **data},
                                        {**SECRETS, 'ipsec-psk': PSK}))
    assert BAD_ARGUMENTS in str(error.value), error.value
    assert f'{key}: ' in str(error.value), error.value
    service.wait_state(STOPPED)
    assert world.lac.tunnels() == []


def test_need_secrets_asks_for_the_ipsec_psk(world):
    service = world.start()
    data = {**good(world), **IPSEC}
    assert service.call('NeedSecrets', profile(data, SECRETS), '(s)')[0] == 'vpn'
    assert service.call('NeedSecrets', profile(data, {**SECRETS, 'ipsec-psk': PSK}),
                        '(s)')[0] == ''
    not_required = {**data, 'ipsec-psk-flags': '4'}
    assert service.call('NeedSecrets', profile(not_required, SECRETS), '(s)')[0] == ''


def test_connect_interactive_without_psk_asks_for_it(world):
    service = world.start()
    service.call('ConnectInteractive',
                 GLib.Variant('(a{sa{sv}}a{sv})', (settings({**good(world), **IPSEC}), {})))
    message, hints = service.wait_signal('SecretsRequired')
    assert hints == ['password', 'ipsec-psk'] and message
    assert world.lac.tunnels() == []
    service.call('Disconnect')
    service.wait_state(STOPPED)


def test_connect_without_psk_names_it(world):
    service = world.start()
    with pytest.raises(Exception) as error:
        service.call('Connect', profile({**good(world), **IPSEC}, SECRETS))
    assert 'ipsec-psk: missing' in str(error.value), error.value
    assert world.lac.tunnels() == []


def test_ipsec_goes_to_the_daemon_never_around_it(world):
    """The old refusal is gone: the profile is translated and handed to l2tpbusd.
    Whether or not this l2tpbusd knows IPsec yet (it refuses unknown options; once
    it knows them it needs charon, which these tests do not run), the connection
    must fail rather than come up without IPsec, and the PSK must not be logged."""
    service = world.start()
    data = {**good(world), **IPSEC, 'ipsec-remote-id': '@lns', 'ipsec-ike': 'aes256-sha1-modp2048!'}
    service.call('Connect', profile(data, {**SECRETS, 'ipsec-psk': PSK}))
    failure = service.wait_signal('Failure', timeout=60)
    assert failure[0] == CONNECT_FAILED
    service.wait_state(STOPPED)
    assert service.of('Config') == []
    assert world.lns.sessions() == []
    assert 'IPsec is not supported yet' not in service.log_text()
    assert PSK not in service.log_text()


# --------------------------------------------------------------------------
# connecting


def test_config_once_established_then_no_ip_config_times_out(world):
    service = world.start()
    config, tunnel, session, remote_tunnel, remote_session = established_connection(
        world, service, ipv4={'never-default': True})
    assert config['gateway'] == ipv4_u32('127.0.0.1')
    assert config['has-ip4'] is True and config['has-ip6'] is False
    interface = world.lac.root.prop(session, SESSION, 'InterfaceName')
    # the null data plane names no interface; the service invents none
    assert config.get('tundev', '') == interface
    assert STARTING in service.states()
    # Ip4Config stays empty without pppd: no Ip4Config signal, then a clean failure
    failure = service.wait_signal('Failure', timeout=IP_TIMEOUT + 10)
    assert failure[0] == CONNECT_FAILED
    service.wait_state(STOPPED)
    assert service.of('Ip4Config') == [] and STARTED not in service.states()
    assert 'gave no IPv4 configuration' in service.log_text()
    assert_all_gone(world, tunnel, session, remote_tunnel, remote_session)


def test_ipv6_profile_does_not_wait_once_the_session_says_no_ipv6(world):
    # The session's Ip6Negotiation is settled at once (off: no pppd under the
    # null data plane), so Config goes without the IP time-out's wait.
    service = world.start(ip_timeout=60)
    config, *_ = established_connection(world, service, ipv6_method='auto')
    assert config['has-ip4'] is True and config['has-ip6'] is False
    assert 'IPV6CP off: IPv4 only' in service.log_text()


def test_config_carries_the_profile_mtu(world):
    # Read at translation: the session options (which hold the password) are
    # dropped once CreateSession is sent, and never searched.
    service = world.start(ip_timeout=60)
    config, *_ = established_connection(world, service, data={'mtu': '1300'})
    assert config['mtu'] == 1300
    service.call('Disconnect')
    service.wait_state(STOPPED)


def test_disconnect_closes_session_and_tunnel(world):
    service = world.start(ip_timeout=60)
    _, tunnel, session, remote_tunnel, remote_session = established_connection(world, service)
    service.call('Disconnect')
    service.wait_state(STOPPED)
    assert_all_gone(world, tunnel, session, remote_tunnel, remote_session)
    # the session was closed first, with a CDN the LNS saw (result 3: by request)
    assert assert_removed_cleanly(world.lns.signals, remote_session, SESSION)[0] == 3


def test_cdn_from_the_lns_fails_the_connection(world):
    service = world.start(ip_timeout=60)
    _, tunnel, session, remote_tunnel, remote_session = established_connection(world, service)
    world.lns.root.close(remote_session, SESSION)
    failure = service.wait_signal('Failure')
    assert failure[0] == CONNECT_FAILED
    service.wait_state(STOPPED)
    assert 'the session ended (result 3' in service.log_text()
    assert_all_gone(world, tunnel, session, remote_tunnel, remote_session)


def test_stopccn_from_the_lns_fails_the_connection(world):
    service = world.start(ip_timeout=60)
    _, tunnel, session, remote_tunnel, remote_session = established_connection(world, service)
    world.lns.root.close(remote_tunnel, TUNNEL)
    failure = service.wait_signal('Failure')
    assert failure[0] == CONNECT_FAILED
    service.wait_state(STOPPED)
    assert 'tunnel closed (result 1' in service.log_text()
    assert_all_gone(world, tunnel, session, remote_tunnel, remote_session)


def test_disconnect_while_the_tunnel_is_connecting(world):
    """Nothing answers on port 1: Disconnect (as NetworkManager's own timeout would)
    closes the tunnel still connecting."""
    service = world.start(ip_timeout=60)
    service.call('Connect', profile(good(world, gateway='127.0.0.1:1'), SECRETS))
    wait_until(lambda: world.lac.tunnels(), 10, 'the LAC tunnel')
    service.call('Disconnect')
    service.wait_state(STOPPED)
    tunnel = world.lac.tunnels()[0]
    world.lac.wait_state(tunnel, TUNNEL, 'closing')
    # the StopCCN goes unanswered: the tunnel leaves once its retransmissions give up
    world.lac.signals.wait_removed(tunnel, timeout=60)


def test_two_connections_from_two_service_instances(world):
    first, second = world.start(ip_timeout=60), world.start(ip_timeout=60)
    first.call('Connect', profile(good(world), SECRETS))
    second.call('Connect', profile(good(world, user='bob'), SECRETS))
    for service in (first, second):
        assert service.wait_signal('Config')[0]['gateway'] == ipv4_u32('127.0.0.1')
    wait_until(lambda: len(world.lac.sessions()) == 2, 10, 'two LAC sessions')
    wait_until(lambda: len(world.lns.sessions()) == 2, 10, 'two LNS sessions')
    assert len(world.lac.tunnels()) == 2
    first.call('Disconnect')
    first.wait_state(STOPPED)
    wait_until(lambda: len(world.lac.tunnels()) == 1, 10, 'one LAC tunnel left')
    assert second.of('Failure') == [] and STOPPED not in second.states()
    second.call('Disconnect')
    second.wait_state(STOPPED)
    wait_until(lambda: world.lac.tunnels() == [] and world.lns.tunnels() == [], 10,
               'every tunnel gone')


def test_domain_user_reaches_the_daemon(world):
    service = world.start(ip_timeout=60)
    service.call('Connect', profile(good(world, domain='CORP'), SECRETS))
    wait_until(lambda: service.of('Config') or service.of('Failure'), 10, 'Config or Failure')
    assert service.of('Failure') == [], service.log_text()
